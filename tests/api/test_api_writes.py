"""POST /api/v1/persons/{duf}/…: every registration kind through the one write path, refusals as problem+json."""

from __future__ import annotations

import json

import pytest
from api_helpers import API, assert_problem

from nir.register import models as m

pytestmark = pytest.mark.django_db

HAPPY = {
    "decisions": (
        {"scheme": "intro", "type": "participation", "decision_date": "2026-02-02", "start_date": "2026-02-02"},
        m.Decision,
        {"decision_type": "participation", "result": "made"},
    ),
    "final-goals": ({"final_goal": "work_vgo_2026"}, m.FinalGoal, {"goal": "work_vgo_2026", "scheme": "intro"}),
    "participation": (
        {"scheme": "norwegian", "from": "2026-03-01", "to": "2026-03-31", "hours": 48},
        m.Participation,
        {"hours": 48},
    ),
    "measures": (
        {"measure": "work_practice", "from": "2026-04-01", "to": "2026-06-30", "hours_per_week": 20},
        m.Measure,
        {"scheme": "intro", "measure": "work_practice"},
    ),
    "absences": (
        {"scheme": "intro", "kind": "leave", "from": "2026-09-07", "to": "2026-09-11"},
        m.Absence,
        {"kind": "leave"},
    ),
    "terminations": (
        {"scheme": "intro", "type": "completed", "reason": "work", "hours_work_per_week": 37.5, "date": "2026-10-01"},
        m.Termination,
        {"termination_type": "completed"},
    ),
    "career-guidance": (
        {"date": "2026-02-20", "kind": "individual", "recommended_final_goal": "work_vgo_2026"},
        m.CareerGuidance,
        {"kind": "individual"},
    ),
}


def post(client, duf, kind, body):
    return client.post(
        f"{API}/persons/{duf}/{kind}",
        json.dumps(body) if not isinstance(body, (str, bytes)) else body,
        content_type="application/json",
    )


def counts():
    return {model.__name__: model.objects.count() for model in m.ALL_REGISTRATION_MODELS}


@pytest.mark.parametrize("kind", list(HAPPY))
def test_each_kind_registers_as_the_user(world, as_user, users, kind):
    body, model, expected = HAPPY[kind]
    person = world["tor"] if kind in ("decisions", "career-guidance") else world["anne"]
    before = model.objects.filter(person=person).count()
    r = post(as_user("trondheim"), person.duf, kind, body)
    assert r.status_code == 201, r.content
    out = r.json()
    reg = out["registration"]
    row = model.objects.get(pk=reg["id"])
    assert model.objects.filter(person=person).count() == before + 1
    for f, v in expected.items():
        assert getattr(row, f) == v
    assert row.registered_by_user_id == users["trondheim"].pk and row.source_system == "NIR API"
    assert reg["registered_by"] == {
        "kind": "user",
        "username": "saksbehandler-5001",
        "client_id": "",
        "source_system": "NIR API",
    }
    assert reg["recorded_at"] and reg["kind"]
    assert out["person"]["duf"] == person.duf and out["person"]["status"]["law"] == "integreringsloven"


def test_decision_updates_the_derived_status(world, as_user):
    c = as_user("trondheim")
    r = post(c, world["tor"].duf, "decisions", HAPPY["decisions"][0])
    assert r.json()["person"]["status"]["intro"]["start_date"] == "2026-02-02"
    status = m.DerivedStatus.objects.current().get(person=world["tor"])
    assert status.intro_start_date.isoformat() == "2026-02-02"


def test_regelmotor_refusal_names_the_rule_and_stores_nothing(world, as_user):
    """«Bortfall av rett og plikt pga. arbeid over 30 timer» for a person with a participation decision."""
    before = counts()
    r = post(
        as_user("trondheim"),
        world["anne"].duf,
        "decisions",
        {"scheme": "intro", "type": "loss_due_to_work", "decision_date": "2026-02-10"},
    )
    body = assert_problem(r, 422, rule="loss_due_to_work_after_participation")
    assert body["type"].endswith("/registration-refused")
    assert "deltakelse" in body["errors"][0]["message"]
    assert counts() == before


@pytest.mark.parametrize(
    "kind, body, field, rule",
    [
        (
            "decisions",
            {"scheme": "intro", "type": "no_such_type", "decision_date": "2026-02-02"},
            "type",
            "unknown_code",
        ),
        ("decisions", {"scheme": "intro", "type": "participation"}, "decision_date", "missing"),
        (
            "decisions",
            {"scheme": "intro", "type": "participation", "decision_date": "2026-02-30"},
            "decision_date",
            None,
        ),
        (
            "decisions",
            {
                "scheme": "intro",
                "type": "participation",
                "decision_date": "2026-02-02",
                "start_date": "2026-03-01",
                "end_date": "2026-02-01",
            },
            "end_date",
            "end_before_start",
        ),
        ("decisions", {"scheme": "intro", "type": "participation", "decision_date": 20260202}, "decision_date", None),
        (
            "decisions",
            {"scheme": "intro", "type": "participation", "decision_date": "2026-02-02", "colour": "red"},
            "colour",
            "extra_forbidden",
        ),
        ("measures", {"measure": "x" * 100_000, "from": "2026-04-01"}, "measure", "string_too_long"),
        (
            "absences",
            {"scheme": "intro", "kind": "leave", "from": "1800-01-01", "to": "1800-01-02"},
            "from",
            "date_range",
        ),
        (
            "participation",
            {"scheme": "intro", "from": "2026-03-01", "to": "2026-03-31", "hours": "many"},
            "hours",
            None,
        ),
        (
            "terminations",
            {"scheme": "intro", "type": "completed", "date": "2026-10-01", "hours_work_per_week": 500},
            "hours_work_per_week",
            None,
        ),
        ("final-goals", {"final_goal": "nonsense"}, "final_goal", "unknown_code"),
        (
            "career-guidance",
            {"date": "2026-02-20", "kind": "individual", "recommended_final_goal": 7},
            "recommended_final_goal",
            None,
        ),
    ],
)
def test_bad_input_is_422_problem_naming_the_field(world, as_user, kind, body, field, rule):
    before = counts()
    assert_problem(post(as_user("trondheim"), world["tor"].duf, kind, body), 422, field=field, rule=rule)
    assert counts() == before


@pytest.mark.parametrize(
    "kind, body, field, rule",
    [
        (
            "career-guidance",
            {"date": "2026-02-20", "kind": "individual", "organisation": "Senter\x00"},
            "organisation",
            "nul_character",
        ),
        (
            "career-guidance",
            {"date": "2026-02-20", "kind": "individual", "organisation": "Senter\x07"},
            "organisation",
            "control_character",
        ),
        (
            "absences",
            {"scheme": "intro", "kind": "leave\x00", "from": "2026-09-07", "to": "2026-09-11"},
            "kind",
            "nul_character",
        ),
    ],
)
def test_unstorable_text_is_422_naming_the_field(world, as_user, kind, body, field, rule):
    """NUL was a 500 on PostgreSQL and stored on SQLite: the register's text check refuses it (both passes)."""
    before = counts()
    body = assert_problem(post(as_user("trondheim"), world["tor"].duf, kind, body), 422, field=field, rule=rule)
    assert body["type"].endswith("/registration-refused")
    assert counts() == before


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"null"])
def test_unparseable_or_wrong_shape_body_is_a_problem(world, as_user, raw):
    r = post(as_user("trondheim"), world["tor"].duf, "decisions", raw)
    assert r.status_code in (400, 422)
    assert_problem(r, r.status_code)


def test_writes_outside_scope_are_not_found_and_supervisors_are_forbidden(world, as_user):
    body = HAPPY["absences"][0]
    before = counts()
    assert_problem(post(as_user("trondheim"), world["berit"].duf, "absences", body), 404)
    assert_problem(post(as_user("bergen"), world["anne"].duf, "absences", body), 404)
    # Supervision reads only: the county governor holds no person.write (nir.access.policy).
    assert_problem(post(as_user("governor"), world["anne"].duf, "absences", body), 403, rule="person.write")
    assert_problem(post(as_user("trondheim"), "000000000000", "absences", body), 404)
    assert counts() == before
    assert post(as_user("imdi"), world["berit"].duf, "absences", body).status_code == 201


def test_csrf_is_enforced_for_session_writes(world, users):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(users["trondheim"])
    r = post(c, world["tor"].duf, "absences", HAPPY["absences"][0])
    assert_problem(r, 403)
    assert c.get(f"{API}/persons/{world['tor'].duf}").status_code == 200  # safe methods need no token
