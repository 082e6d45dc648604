"""Plausibility on every write (issue 16 § 3; docs/rules.md «Plausibility»): an error refuses the write
on the field that is wrong and stores nothing; a warning is stored (``PlausibilityWarning``), shown
after saving, returned by the API and listed in the work list «Datakvalitet» until corrected — through
the web form, the API (single and batch), a correction and ``nir import`` alike."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from actions_support import write_events
from django.core.management import call_command
from django.core.management.base import CommandError

from nir import actions, identity
from nir.register import history
from nir.register import models as m
from nir.register.errors import RegistrationRefused
from nir.reports import worklist

pytestmark = pytest.mark.django_db

# November 2026 (21 weekdays: full time is 157.5 hours; 30 days × 12 h = 360 is the ceiling)
NOVEMBER = {"from": "01.11.2026", "to": "30.11.2026"}
HX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    client.force_login(user)
    return client


def post_json(c, url, body):
    return c.post(url, json.dumps(body), content_type="application/json")


def warnings_of(person):
    return list(m.PlausibilityWarning.objects.filter(person=person).order_by("id"))


# --- web form ----------------------------------------------------------------------------------------


def test_web_99999_hours_refused_on_the_hours_field_nothing_stored(client, world, users):
    c = login(client, users["trondheim"])
    before = m.Participation.objects.count()
    r = c.post(f"/personer/{world['tor'].duf}/ny/deltakelse/?ordning=intro", {**NOVEMBER, "hours": "99999"})
    assert r.status_code == 422
    html = r.content.decode()
    assert 'href="#ny-deltakelse-intro-hours"' in html
    assert "99\u00a0999 timer er umulig for perioden 01.11.2026–30.11.2026" in html
    assert m.Participation.objects.count() == before and write_events() == []


def test_web_decision_in_1990_marks_the_date_not_type_and_result(client, world, users):
    """The 1990 decision of the probe: the code list's window is broken by the date, so the date is red."""
    c = login(client, users["trondheim"])
    r = c.post(
        f"/personer/{world['tor'].duf}/ny/vedtak/?ordning=intro",
        {"type": "participation", "decision_date": "01.01.1990", "start_date": "01.01.1990"},
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert 'href="#ny-vedtak-intro-decision_date"' in html
    assert 'href="#ny-vedtak-intro-type"' not in html and 'href="#ny-vedtak-intro-result"' not in html


def test_web_decision_dated_2099_refused_on_the_date(client, world, users):
    c = login(client, users["trondheim"])
    r = c.post(
        f"/personer/{world['tor'].duf}/ny/vedtak/?ordning=intro",
        {"type": "participation", "decision_date": "01.01.2099", "start_date": "01.01.2099"},
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert 'href="#ny-vedtak-intro-decision_date"' in html and "01.01.2099 er mer enn 366 dager fram i tid" in html
    assert not m.Decision.objects.filter(person=world["tor"], decision_date=dt.date(2099, 1, 1)).exists()


def test_web_completed_termination_before_start_refused_on_the_date(client, world, users):
    """Anne's programme started 05.01.2026: «Fullført» dated 01.12.2025 is impossible."""
    c = login(client, users["trondheim"])
    r = c.post(
        f"/personer/{world['anne'].duf}/ny/avslutning/?ordning=intro",
        {"type": "completed", "reason": "", "date": "01.12.2025"},
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert 'href="#ny-avslutning-intro-date"' in html and "før programmet startet 05.01.2026" in html
    assert not m.Termination.objects.filter(person=world["anne"]).exists()


def test_web_warning_is_saved_shown_and_listed_until_corrected(client, world, users):
    c = login(client, users["trondheim"])
    url = f"/personer/{world['tor'].duf}/ny/deltakelse/?ordning=intro"
    r = c.post(url, {**NOVEMBER, "hours": "200"}, **HX)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Lagret, men kontroller registreringen:" in html and "200 timer er mer enn full tid" in html
    [row] = m.Participation.objects.current().filter(person=world["tor"])
    [w] = warnings_of(world["tor"])
    assert (w.kind, w.registration_id, w.rule, w.field) == (
        "participation",
        row.pk,
        "participation_hours_above_full_time",
        "hours",
    )
    # the work list: the municipality's caseworker sees it, Bergen does not
    page = c.get("/arbeidsflate/datakvalitet/").content.decode()
    assert world["tor"].duf in page and "200 timer er mer enn full tid" in page
    assert f"/personer/{world['tor'].duf}/historikk/" in page
    bergen = login(client.__class__(), users["bergen"]).get("/arbeidsflate/datakvalitet/").content.decode()
    assert world["tor"].duf not in bergen
    # corrected to a plausible number: the warning is closed (its registration is no longer current)
    acting = actions.Acting.for_user(users["trondheim"], channel="web")
    outcome = actions.correct(acting, row, {"hours": Decimal("150")}, "skrivefeil")
    assert outcome.warnings == []
    assert worklist.open_warnings().filter(person=world["tor"]).count() == 0
    assert world["tor"].duf not in c.get("/arbeidsflate/datakvalitet/").content.decode()


def test_web_non_htmx_save_shows_the_warning_as_a_message(client, world, users):
    c = login(client, users["trondheim"])
    r = c.post(f"/personer/{world['tor'].duf}/ny/deltakelse/?ordning=intro", {**NOVEMBER, "hours": "200"}, follow=True)
    assert r.status_code == 200 and "200 timer er mer enn full tid" in r.content.decode()


# --- correction -----------------------------------------------------------------------------------------


def test_a_correction_into_an_implausible_value_is_refused_and_the_row_stays(world, users):
    acting = actions.Acting.for_user(users["trondheim"], channel="web")
    decision = m.Decision.objects.current().get(person=world["anne"])
    with pytest.raises(RegistrationRefused) as e:
        actions.correct(acting, decision, {"decision_date": dt.date(2099, 1, 5)}, "feil dato")
    assert [(p.field, p.rule) for p in e.value.problems] == [("decisions.decision_date", "date_far_in_future")]
    assert m.Decision.objects.current().get(person=world["anne"]).pk == decision.pk


# --- API --------------------------------------------------------------------------------------------------


def test_api_returns_the_warning_and_refuses_the_error_on_the_field(client, world, users):
    c = login(client, users["trondheim"])
    url = f"/api/v1/persons/{world['tor'].duf}/participation"
    body = {"scheme": "intro", "from": "2026-11-01", "to": "2026-11-30", "hours": 200}
    r = post_json(c, url, body)
    assert r.status_code == 201, r.content
    [w] = r.json()["warnings"]
    assert (w["field"], w["rule"]) == ("hours", "participation_hours_above_full_time") and w["message"]
    assert len(warnings_of(world["tor"])) == 1
    r = post_json(c, url, body | {"hours": 99999})
    assert r.status_code == 422 and r["Content-Type"].startswith("application/problem+json")
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [("hours", "participation_hours_impossible")]


def test_api_impossible_date_says_it_does_not_exist(client, world, users):
    r = post_json(
        login(client, users["trondheim"]),
        f"/api/v1/persons/{world['tor'].duf}/participation",
        {"scheme": "intro", "from": "2026-02-31", "to": "2026-03-02", "hours": 5},
    )
    assert r.status_code == 422
    assert [(e["field"], e["rule"], e["message"]) for e in r.json()["errors"]] == [
        ("from", "date_not_exist", "31.02.2026 finnes ikke")
    ]


def test_api_rule_refusal_names_the_field(client, world, users):
    """A Regelmotor refusal of the decision written points at the field its rule concerns."""
    r = post_json(
        login(client, users["trondheim"]),
        f"/api/v1/persons/{world['tor'].duf}/decisions",
        {"scheme": "intro", "type": "participation", "decision_date": "2026-02-02"},
    )
    assert r.status_code == 422
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [("start_date", "participation_without_start_date")]


def test_api_batch_returns_warnings_per_item_and_refuses_errors(client, world, users):
    c = login(client, users["trondheim"])
    item = {"scheme": "intro", "measure": "work_practice", "from": "2026-11-02", "hours_per_week": 45}
    body = {
        "mode": "partial",
        "items": [
            {"id": "a", "duf": world["tor"].duf, "kind": "measures", "values": item},
            {"id": "b", "duf": world["tor"].duf, "kind": "measures", "values": item | {"hours_per_week": 70}},
        ],
    }
    r = c.post("/api/v1/batches", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="plaus-1")
    assert r.status_code == 201, r.content
    a, b = r.json()["results"]
    assert a["status"] == "created"
    assert [(w["field"], w["rule"]) for w in a["warnings"]] == [
        ("items[0].values.hours_per_week", "measure_hours_above_full_time")
    ]
    assert b["status"] == "refused"
    assert [(e["field"], e["rule"]) for e in b["errors"]] == [
        ("items[1].values.hours_per_week", "measure_hours_above_maximum")
    ]
    [w] = warnings_of(world["tor"])
    assert w.registration_id == a["registration_id"] and w.kind == "measures"


# --- nir import -----------------------------------------------------------------------------------------


def _import(tmp_path, lines):
    path = tmp_path / "import.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False, default=str) + "\n" for x in lines), encoding="utf-8")
    err = io.StringIO()
    try:
        call_command("import", str(path), stdout=io.StringIO(), stderr=err)
    except CommandError as e:
        return err.getvalue(), e
    return err.getvalue(), None


def _new_line(world, seq: str, **facts) -> dict:
    line = history.snapshot(world["anne"])
    line["duf"] = identity.make_duf(seq)
    line["facts"]["national_id"] = None
    line["facts"].pop("follow_up", None)
    line["follow_up_municipality"] = "5001"
    line["facts"].update(facts)
    return line


def test_import_refuses_an_implausible_line_and_stores_a_warned_one(tmp_path, world):
    bad = _new_line(world, "2026900001")
    bad["facts"]["decisions"][0]["decision_date"] = "2099-01-05"
    warned = _new_line(
        world,
        "2026900002",
        # (the snapshot's lines are registered on 10.01.2026: the measure's date is judged against that day)
        measures=[{"scheme": "intro", "measure": "work_practice", "from": "2026-01-05", "hours_per_week": 45}],
    )
    err, exc = _import(tmp_path, [bad, warned])
    assert exc is not None  # a line was refused: exit status 1
    assert "facts.decisions[0].decision_date" in err and "date_far_in_future" in err
    assert not m.Person.objects.filter(duf=bad["duf"]).exists()
    person = m.Person.objects.get(duf=warned["duf"])
    [w] = warnings_of(person)
    measure = m.Measure.objects.current().get(person=person)
    assert (w.kind, w.registration_id, w.rule) == ("measures", measure.pk, "measure_hours_above_full_time")


# --- IMDi across municipalities -------------------------------------------------------------------------


def test_imdi_sees_counts_per_municipality_and_filters_by_rule(client, world, users):
    acting_t = actions.Acting.for_user(users["trondheim"], channel="web")
    acting_b = actions.Acting.for_user(users["bergen"], channel="web")
    hours = {"scheme": "intro", "from_date": dt.date(2026, 11, 2), "to_date": dt.date(2026, 11, 6), "hours": 40}
    actions.register(acting_t, world["tor"].duf, m.Participation, dict(hours))
    actions.register(acting_b, world["berit"].duf, m.Participation, dict(hours))
    measure = {"scheme": "intro", "measure": "work_practice", "from_date": dt.date(2026, 11, 2), "hours_per_week": 50}
    actions.register(acting_b, world["berit"].duf, m.Measure, dict(measure))
    c = login(client, users["imdi"])
    html = c.get("/arbeidsflate/datakvalitet/").content.decode()
    assert "Åpne plausibilitetsadvarsler per oppfølgingskommune og regel" in html
    assert "5001 Trondheim" in html and "4601 Bergen" in html
    assert world["tor"].duf in html and world["berit"].duf in html
    only = c.get("/arbeidsflate/datakvalitet/?regel=measure_hours_above_full_time").content.decode()
    assert world["berit"].duf in only and world["tor"].duf not in only
    ctx = worklist.Context.for_user(users["imdi"])
    counts = {(r["municipality"], r["rule"]): r["warnings"] for r in worklist.plausibility_counts(ctx)}
    assert counts == {
        ("5001", "participation_hours_above_full_time"): 1,
        ("4601", "participation_hours_above_full_time"): 1,
        ("4601", "measure_hours_above_full_time"): 1,
    }
    # the caseworker in Trondheim: only Trondheim's, and no table per municipality
    own = login(client.__class__(), users["trondheim"]).get("/arbeidsflate/datakvalitet/").content.decode()
    assert world["tor"].duf in own and world["berit"].duf not in own
    assert "per oppfølgingskommune og regel" not in own


def test_every_rule_field_is_a_key_of_the_kind_its_rule_judges():
    """``RULE_FIELDS`` (where a Regelmotor refusal is shown) names rules of the catalogue and keys the
    web form and the API know (the kind's input spec)."""
    from nir.register import kinds
    from nir.rules.catalogue import rule_ids
    from nir.rules.engine import RULE_FIELDS

    keys = {j for k in ("decisions", "absences") for j, *_ in kinds.get(k).spec}
    assert set(RULE_FIELDS) <= rule_ids()
    assert set(RULE_FIELDS.values()) <= keys
