"""POST /api/v1/persons/{duf}/<resource>/{id}/corrections and …/annulments: every registration kind
corrected and annulled through the actions, with a reason; refusals as problem+json."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from api_helpers import API, assert_problem

from nir.access.models import AuditEvent
from nir.register import kinds
from nir.register import models as m
from nir.register.actors import Actor
from nir.testing import builders as helpers

pytestmark = pytest.mark.django_db

# resource -> (model, values of a row to build on tor, the correction's values, model field -> expected)
CASES = {
    "permits": (m.ResidencePermit, None, {"arrival_date": "2025-09-20"}, {"arrival_date": dt.date(2025, 9, 20)}),
    "residences": (
        m.Residence,
        {"municipality": "5001", "address": "Storgata 1", "valid_from": dt.date(2025, 11, 1)},
        {"address": "Storgata 2"},
        {"address": "Storgata 2", "municipality": "5001"},
    ),
    "follow-up": (m.FollowUp, None, {"to": "2030-06-30"}, {"valid_to": dt.date(2030, 6, 30)}),
    "settlements": (m.Settlement, None, {"by_agreement": False}, {"by_agreement": False}),
    "decisions": (
        m.Decision,
        {"scheme": "intro", "decision_type": "participation", "decision_date": dt.date(2026, 2, 2)},
        {"start_date": "2026-02-02"},
        {"start_date": dt.date(2026, 2, 2), "decision_type": "participation"},
    ),
    "final-goals": (
        m.FinalGoal,
        {"scheme": "intro", "goal": "work_no_vgo_2026"},
        {"final_goal": "work_vgo_2026"},
        {"goal": "work_vgo_2026", "scheme": "intro"},
    ),
    "extension": (m.Extension, None, {"months": 6}, {"months": 6}),
    "participation": (
        m.Participation,
        {"scheme": "intro", "from_date": dt.date(2026, 2, 1), "to_date": dt.date(2026, 2, 28), "hours": 60},
        {"hours": 80.5},
        {"hours": Decimal("80.5")},
    ),
    "measures": (
        m.Measure,
        {"scheme": "intro", "measure": "work_practice", "from_date": dt.date(2026, 4, 1)},
        {"hours_per_week": 20},
        {"hours_per_week": 20, "measure": "work_practice"},
    ),
    "absences": (
        m.Absence,
        {"scheme": "intro", "kind": "time_off", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 3)},
        {"kind": "leave"},
        {"kind": "leave", "to_date": dt.date(2026, 3, 3)},
    ),
    "terminations": (
        m.Termination,
        {
            "scheme": "norwegian",
            "termination_type": "completed",
            "termination_reason": "work",
            "termination_date": dt.date(2026, 10, 1),
        },
        {"date": "2026-10-02"},
        {"termination_date": dt.date(2026, 10, 2), "termination_type": "completed"},
    ),
    "career-guidance": (
        m.CareerGuidance,
        {"guidance_date": dt.date(2026, 2, 20), "kind": "individual"},
        {"organisation": "Karrieresenteret"},
        {"organisation": "Karrieresenteret", "kind": "individual"},
    ),
    "competence-mappings": (
        m.CompetenceMapping,
        {"mapping_date": dt.date(2025, 10, 15), "kind": "before_settlement"},
        {"date": "2025-10-16"},
        {"mapping_date": dt.date(2025, 10, 16)},
    ),
    "exams": (
        m.Exam,
        {
            "scheme": "norwegian",
            "exam_type": "norwegian_oral",
            "exam_date": dt.date(2026, 1, 20),
            "result": "passed",
            "level": "B1",
        },
        {"level": "B2"},
        {"level": "B2", "result": "passed"},
    ),
    # the grants' facts (grants.md A.1.1)
    "family-reunifications": (
        m.FamilyReunification,
        {"reference_basis_at_grant": "utl_28", "application_date": dt.date(2025, 3, 1)},
        {"application_date": "2025-04-01"},
        {"application_date": dt.date(2025, 4, 1), "reference_basis_at_grant": "utl_28"},
    ),
    "upper-secondary-enrolments": (
        m.UpperSecondaryEnrolment,
        {"from_date": dt.date(2026, 1, 5), "full_time": True, "county": "50"},
        {"to": "2026-06-20"},
        {"to_date": dt.date(2026, 6, 20), "county": "50"},
    ),
    "reception-stays": (
        m.ReceptionStay,
        {"centre": "Mottak Lade", "host_municipality": "5001", "from_date": dt.date(2025, 5, 1)},
        {"to": "2025-10-31"},
        {"to_date": dt.date(2025, 10, 31), "centre": "Mottak Lade"},
    ),
    "extra-grant-cases": (
        m.ExtraGrantCase,
        {"grant_type": "FHT1", "grant_year": 2026, "applied_at": dt.date(2026, 2, 1)},
        {"amount_granted": 120000, "decided_at": "2026-03-01"},
        {"amount_granted": Decimal("120000"), "grant_type": "FHT1"},
    ),
}


def test_every_kind_has_a_case():
    assert set(CASES) == {k.resource for k in kinds.KINDS}


def post(client, path, body, **headers):
    return client.post(f"{API}{path}", json.dumps(body), content_type="application/json", headers=headers)


def row_of(world, users, resource):
    """tor's current row of the kind (built if the world has none)."""
    model, values, _changes, _expected = CASES[resource]
    person = world["tor"]
    r = helpers.Register(Actor.for_user(users["trondheim"], source_system="NIR-test"))
    if resource == "extension":
        r.participation(person, dt.date(2026, 1, 5), goal="complete_vgo_2025")
        return r.add(person, m.Extension, {"scheme": "intro", "months": 3})
    if values is not None:
        return r.add(person, model, values)
    return model.objects.current().get(person=person)


@pytest.mark.parametrize("resource", list(CASES))
def test_each_kind_is_corrected_then_annulled(world, as_user, users, resource):
    model, _values, changes, expected = CASES[resource]
    old = row_of(world, users, resource)
    c = as_user("trondheim")
    r = post(c, f"/persons/{world['tor'].duf}/{resource}/{old.pk}/corrections", {"reason": "Feil", "values": changes})
    assert r.status_code == 201, r.content
    reg = r.json()["registration"]
    assert (reg["operation"], reg["supersedes"], reg["reason"], reg["kind"]) == (
        "correct",
        old.pk,
        "Feil",
        kinds.BY_RESOURCE[resource].name,
    )
    new = model.objects.get(pk=reg["id"])
    for f, v in expected.items():
        assert getattr(new, f) == v, f
    # what was not sent is kept
    kept = set(model.FACT_FIELDS) - set(expected) - {kinds.BY_RESOURCE[resource].model_field(k) for k in changes}
    assert {f: getattr(new, f) for f in kept} == {f: getattr(old, f) for f in kept}
    old.refresh_from_db()
    assert old.superseded_at is not None and new.registered_by_user_id == users["trondheim"].pk
    assert r.json()["person"]["duf"] == world["tor"].duf

    r = post(c, f"/persons/{world['tor'].duf}/{resource}/{new.pk}/annulments", {"reason": "Registrert på feil person"})
    assert r.status_code == 201, r.content
    reg = r.json()["registration"]
    assert (reg["operation"], reg["supersedes"], reg["reason"]) == ("annul", new.pk, "Registrert på feil person")
    assert not model.objects.current().filter(pk__in=[old.pk, new.pk]).exists()
    whats = list(AuditEvent.objects.filter(action="write").order_by("id").values_list("what", flat=True))
    assert whats[-2:] == [f"{model.FACT_KEY}:correct", f"{model.FACT_KEY}:annul"]


def test_a_correction_changes_the_derived_status_at_once(world, as_user):
    """The participation decision's start date corrected: the answer's derived status and the stored one
    follow (deadline three years from the new start)."""
    c = as_user("trondheim")
    decision = m.Decision.objects.current().get(person=world["anne"], decision_type="participation")
    before = m.DerivedStatus.objects.current().get(person=world["anne"]).intro_deadline
    body = {"reason": "Feil startdato", "values": {"decision_date": "2026-03-02", "start_date": "2026-03-02"}}
    r = post(c, f"/persons/{world['anne'].duf}/decisions/{decision.pk}/corrections", body)
    assert r.status_code == 201, r.content
    status = m.DerivedStatus.objects.current().get(person=world["anne"])
    assert status.intro_start_date == dt.date(2026, 3, 2) and status.intro_deadline != before
    assert r.json()["person"]["status"]["intro"]["start_date"] == "2026-03-02"


def test_annulling_a_termination_makes_the_person_active_again(world, as_user, users):
    """The person list (report personliste, status «Pågår») follows a termination and its annulment."""
    c = as_user("trondheim")
    anne = world["anne"].duf

    def active():
        r = c.get(f"{API}/reports/personliste?municipality=5001&status=active")
        assert r.status_code == 200, r.content
        return anne in {row["duf"] for row in r.json()["rows"]}

    assert active()
    r = post(
        c,
        f"/persons/{anne}/terminations",
        {"scheme": "intro", "type": "completed", "reason": "work", "date": "2026-10-01"},
    )
    assert r.status_code == 201, r.content
    assert not active()
    tid = r.json()["registration"]["id"]
    r = post(c, f"/persons/{anne}/terminations/{tid}/annulments", {"reason": "Feil person"})
    assert r.status_code == 201, r.content
    assert active()


def test_a_stale_version_is_a_conflict(world, as_user):
    c = as_user("trondheim")
    goal = m.FinalGoal.objects.current().get(person=world["anne"])
    path = f"/persons/{world['anne'].duf}/final-goals/{goal.pk}"
    body = {"reason": "Feil sluttmål", "values": {"final_goal": "work_vgo_2026"}}
    assert post(c, f"{path}/corrections", body).status_code == 201
    before = m.FinalGoal.objects.count()
    body409 = assert_problem(post(c, f"{path}/corrections", body), 409, rule="already_superseded", field="id")
    assert body409["type"].endswith("/not-current")
    assert_problem(post(c, f"{path}/annulments", {"reason": "x"}), 409, rule="already_superseded")
    assert m.FinalGoal.objects.count() == before


@pytest.mark.parametrize(
    "body, status, field, rule",
    [
        ({"values": {"hours": 10}}, 422, "reason", "missing"),
        ({"reason": "", "values": {"hours": 10}}, 422, "reason", "string_too_short"),
        ({"reason": "   ", "values": {"hours": 10}}, 422, "reason", "reason_required"),
        ({"reason": "Feil", "values": {"colour": "red"}}, 422, "values.colour", "extra_forbidden"),
        ({"reason": "Feil", "values": {"from": "2026-03-15"}}, 422, "values.to", "end_before_start"),
        ({"reason": "Feil", "values": {"hours": None}}, 422, "values.hours", "required"),
        ({"reason": "Feil", "values": {"scheme": "nope"}}, 422, "values.scheme", "unknown_code"),
        ({"reason": "Feil", "values": {}}, 422, "values", "no_change"),
    ],
)
def test_refused_corrections_name_the_field_and_store_nothing(world, as_user, users, body, status, field, rule):
    row = helpers.Register(Actor.for_user(users["trondheim"], source_system="NIR-test")).add(
        world["anne"],
        m.Participation,
        {"scheme": "intro", "from_date": dt.date(2026, 2, 1), "to_date": dt.date(2026, 2, 28), "hours": 60},
    )
    before = m.Participation.objects.count()
    r = post(as_user("trondheim"), f"/persons/{world['anne'].duf}/participation/{row.pk}/corrections", body)
    problem = assert_problem(r, status, rule=rule)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert m.Participation.objects.count() == before


def test_the_regelmotor_refuses_a_correction_with_its_rule(world, as_user, users):
    """tor's decision on loss of the right due to work, 02.03.2026, and a participation decision from
    01.04.2026; the participation moved to 02.02.2026 would come before the loss: refused with the
    rule's message, as registering it so would be."""
    c = as_user("trondheim")
    tor = world["tor"].duf
    loss = {"scheme": "intro", "type": "loss_due_to_work", "decision_date": "2026-03-02"}
    assert post(c, f"/persons/{tor}/decisions", loss).status_code == 201
    participation = {
        "scheme": "intro",
        "type": "participation",
        "decision_date": "2026-04-01",
        "start_date": "2026-04-01",
    }
    r = post(c, f"/persons/{tor}/decisions", participation)
    assert r.status_code == 201, r.content
    rid = r.json()["registration"]["id"]
    before = m.Decision.objects.count()
    body = {"reason": "Dato", "values": {"decision_date": "2026-02-02", "start_date": "2026-02-02"}}
    problem = assert_problem(post(c, f"/persons/{tor}/decisions/{rid}/corrections", body), 422)
    assert problem["type"].endswith("/registration-refused")
    assert [e["rule"] for e in problem["errors"]] == ["loss_due_to_work_after_participation"], problem
    assert m.Decision.objects.count() == before
    assert m.Decision.objects.current().get(pk=rid).decision_date == dt.date(2026, 4, 1)


def test_not_found_and_access(world, as_user, users):
    decision = m.Decision.objects.current().get(person=world["anne"])
    body = {"reason": "Feil", "values": {"end_date": "2028-01-01"}}
    anne = world["anne"].duf
    before = m.Decision.objects.count()
    # another person's row, another kind's id, an unknown id: 404
    assert_problem(
        post(as_user("trondheim"), f"/persons/{world['tor'].duf}/decisions/{decision.pk}/corrections", body), 404
    )
    assert_problem(
        post(as_user("trondheim"), f"/persons/{anne}/measures/{decision.pk}/annulments", {"reason": "x"}), 404
    )
    assert_problem(post(as_user("trondheim"), f"/persons/{anne}/decisions/999999/annulments", {"reason": "x"}), 404)
    # outside the scope: 404 whatever the id; the county governor: 403
    for pk in (decision.pk, 999999):
        assert_problem(post(as_user("bergen"), f"/persons/{anne}/decisions/{pk}/corrections", body), 404)
        assert_problem(post(as_user("governor"), f"/persons/{anne}/decisions/{pk}/annulments", {"reason": "x"}), 403)
    assert m.Decision.objects.count() == before


def test_a_client_corrects_as_itself(world, same_connection):
    from django.test import Client

    from nir.testing.builders import make_client

    client = make_client("k-5001", "fagsystem-5001")
    goal = m.FinalGoal.objects.current().get(person=world["anne"])
    r = Client().post(
        f"{API}/persons/{world['anne'].duf}/final-goals/{goal.pk}/corrections",
        json.dumps({"reason": "Feil", "values": {"final_goal": "work_vgo_2026"}}),
        content_type="application/json",
        headers=client.headers(),
    )
    assert r.status_code == 201, r.content
    assert r.json()["registration"]["registered_by"]["client_id"] == "fagsystem-5001"
    assert m.FinalGoal.objects.get(pk=r.json()["registration"]["id"]).registered_by_kind == "client"


def test_every_kind_has_its_access_rules():
    from nir.access import policy

    assert policy.REVISION_RESOURCES == tuple(k.resource for k in kinds.KINDS)
    for k in kinds.KINDS:
        for what in ("corrections", "annulments"):
            rule = policy.api_rule("POST", f"/persons/{{duf}}/{k.resource}/{{id}}/{what}")
            assert rule is not None and rule.write and rule.permission == policy.Permission.PERSON_WRITE
    # the person's details: corrected, never annulled (no operation, no rule)
    rule = policy.api_rule("POST", "/persons/{duf}/details/{id}/corrections")
    assert rule is not None and rule.write and rule.permission == policy.Permission.PERSON_WRITE
    assert policy.api_rule("POST", "/persons/{duf}/details/{id}/annulments") is None
