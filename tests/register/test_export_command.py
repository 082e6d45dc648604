"""``nir export facts`` (regelmotor.md § 8): the register in the interchange format, as known
at any time, and the export → import round trip."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from register_support import at, basic_facts, interchange_line, register_counts, synthetic_id, write_jsonl

from nir.register import models as m
from nir.register import services


def export(*args, **opts) -> list[dict]:
    """Run ``export facts`` to standard output; return its lines parsed."""
    out, err = io.StringIO(), io.StringIO()
    call_command("export", "facts", *args, stdout=out, stderr=err, **opts)
    lines = [json.loads(x) for x in out.getvalue().splitlines() if x.strip()]
    assert f"{len(lines)} personer eksportert" in err.getvalue()
    return lines


def without_registered_at(line: dict) -> dict:
    line = json.loads(json.dumps(line))
    line.pop("registered_at", None)
    for value in line["facts"].values():
        if isinstance(value, list):
            for item in value:
                item.pop("registered_at", None)
    return line


@pytest.fixture
def corrected(participant, actor):
    """A participant whose final goal was corrected on 2026-03-01."""
    person, rows = participant
    services.correct(rows["final_goal"], {"goal": "work_vgo_2026"}, "Feil sluttmål", actor, at=at(2026, 3, 1))
    return person


@pytest.mark.django_db
def test_export_known_at_before_a_correction_shows_old_value(corrected):
    now = {ln["duf"]: ln for ln in export()}
    assert now[corrected.duf]["facts"]["final_goal"] == "work_vgo_2026"
    before = {ln["duf"]: ln for ln in export("--known-at", "2026-02-15T12:00:00+01:00")}
    assert before[corrected.duf]["facts"]["final_goal"] == "work_no_vgo_2026"
    # a date means the end of that day (Norwegian time)
    assert export("--known-at", "2026-02-28")[0]["facts"]["final_goal"] == "work_no_vgo_2026"
    assert export("--known-at", "2026-03-01")[0]["facts"]["final_goal"] == "work_vgo_2026"
    # before the person was known: not exported at all
    assert export("--known-at", "2026-01-09") == []


@pytest.mark.django_db
def test_export_line_shape(corrected, user):
    """One person per line with the keys of the interchange format; registration times in Norwegian time."""
    (line,) = export("--as-of", "2026-06-01")
    assert line["duf"] == corrected.duf
    assert (line["first_name"], line["last_name"]) == ("Test", "Testesen")
    assert line["registered_at"] == "2026-03-01T12:00:00+01:00"  # the latest registration
    facts = line["facts"]
    assert facts["birth_date"] == "1990-01-15"
    assert facts["national_id"] == synthetic_id(dt.date(1990, 1, 15))
    assert facts["permits"] == [
        {
            "basis": "utl_28",
            "decision_date": "2025-10-01",
            "arrival_date": None,
            "registered_at": "2026-01-10T09:00:00+01:00",
        }
    ]
    assert facts["decisions"][0]["type"] == "participation"
    assert facts["decisions"][0]["start_date"] == "2026-01-05"
    assert facts["extension_months"] == 0
    assert line["follow_up_municipality"] is None  # no follow-up period registered


@pytest.mark.django_db
def test_export_to_file_and_bad_known_at(corrected, tmp_path):
    out = tmp_path / "export.jsonl"
    call_command("export", "facts", "--out", str(out), stderr=io.StringIO())
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [ln["duf"] for ln in lines] == [corrected.duf]
    with pytest.raises(CommandError):
        call_command("export", "facts", "--known-at", "i går", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):  # naive time: ambiguous
        call_command("export", "facts", "--known-at", "2026-02-15T12:00:00", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_export_follow_up_municipality_as_of(make_person, actor):
    """--as-of decides which follow-up period is written as follow_up_municipality."""
    person = make_person()
    services.register(
        person,
        m.FollowUp,
        {"municipality": "5001", "valid_from": dt.date(2025, 11, 1), "valid_to": dt.date(2026, 3, 31)},
        actor,
        at=at(2026, 1, 11),
    )
    services.register(
        person, m.FollowUp, {"municipality": "4601", "valid_from": dt.date(2026, 4, 1)}, actor, at=at(2026, 1, 11)
    )
    assert export("--as-of", "2026-02-01")[0]["follow_up_municipality"] == "5001"
    assert export("--as-of", "2026-05-01")[0]["follow_up_municipality"] == "4601"
    assert export("--as-of", "2025-01-01")[0]["follow_up_municipality"] is None


def _build_register(make_person, actor, new_duf, tmp_path):
    """A small register with corrections, annulments, late registrations and every kind of fact."""
    p1 = make_person(when=at(2026, 1, 10))
    p2 = make_person(
        when=at(2026, 1, 12),
        birth_date=dt.date(1985, 2, 1),
        education="upper_secondary_or_higher",
        national_id=synthetic_id(dt.date(1985, 2, 1), d_number=True),
    )
    reg = services.register
    reg(p1, m.ResidencePermit, {"basis": "utl_28", "decision_date": dt.date(2025, 10, 1)}, actor, at=at(2026, 1, 10))
    s = reg(
        p1,
        m.Settlement,
        {"municipality": "4601", "settlement_date": dt.date(2025, 11, 1), "by_agreement": True},
        actor,
        at=at(2026, 1, 10),
    ).row
    services.correct(s, {"municipality": "5001"}, "Feil kommune", actor, at=at(2026, 1, 20))
    reg(p1, m.FollowUp, {"municipality": "5001", "valid_from": dt.date(2025, 11, 1)}, actor, at=at(2026, 1, 20))
    d = reg(
        p1,
        m.Decision,
        {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": dt.date(2026, 1, 5),
            "start_date": dt.date(2026, 1, 5),
            "follow_up_municipality": "5001",
        },
        actor,
        at=at(2026, 1, 21),
    ).row
    services.correct(d, {"end_date": dt.date(2027, 12, 31)}, "Sluttdato", actor, at=at(2026, 2, 1))
    reg(p1, m.FinalGoal, {"scheme": "intro", "goal": "complete_vgo_2025"}, actor, at=at(2026, 1, 21))
    reg(
        p1,
        m.Extension,
        {"scheme": "intro", "months": 6, "decision_date": dt.date(2026, 6, 1)},
        actor,
        at=at(2026, 6, 2),
    )
    a = reg(
        p1,
        m.Absence,
        {"scheme": "intro", "kind": "absence", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 6)},
        actor,
        at=at(2026, 3, 10),
    ).row
    services.annul(a, "Feil person", actor, at=at(2026, 3, 11))
    reg(
        p1,
        m.Absence,
        {"scheme": "intro", "kind": "leave", "from_date": dt.date(2026, 2, 2), "to_date": dt.date(2026, 2, 6)},
        actor,
        at=at(2026, 5, 4),
    )  # late
    reg(
        p1,
        m.Measure,
        {"scheme": "intro", "measure": "work_practice", "from_date": dt.date(2026, 4, 1), "hours_per_week": 17.5},
        actor,
        at=at(2026, 4, 2),
    )
    reg(
        p1,
        m.Participation,
        {"scheme": "norwegian", "from_date": dt.date(2026, 3, 1), "to_date": dt.date(2026, 3, 31), "hours": 48},
        actor,
        at=at(2026, 4, 2),
    )
    reg(
        p1,
        m.Residence,
        {
            "municipality": "0301",
            "district": "030102",
            "address": "Gata 2",
            "postal_code": "0550",
            "valid_from": dt.date(2026, 5, 1),
        },
        actor,
        at=at(2026, 5, 2),
    )
    reg(p2, m.ResidencePermit, {"basis": "utl_34", "decision_date": dt.date(2024, 5, 2)}, actor, at=at(2026, 1, 12))
    reg(
        p2,
        m.CareerGuidance,
        {"guidance_date": dt.date(2026, 1, 20), "kind": "group", "organisation": "f-50"},
        actor,
        at=at(2026, 1, 21),
    )
    reg(
        p2,
        m.CompetenceMapping,
        {"mapping_date": dt.date(2025, 10, 15), "kind": "simplified"},
        actor,
        at=at(2026, 1, 21),
    )
    reg(
        p2,
        m.Termination,
        {
            "scheme": "intro",
            "termination_type": "completed",
            "termination_reason": "work",
            "hours_work_per_week": 37.5,
            "termination_date": dt.date(2026, 6, 30),
        },
        actor,
        at=at(2026, 7, 1),
    )
    services.correct(
        m.PersonDetails.objects.current().get(person=p2),
        {"first_name": "Amina"},
        "Navn rettet",
        actor,
        at=at(2026, 7, 2),
    )
    return [p1.duf, p2.duf]


@pytest.mark.django_db
def test_export_import_round_trip_into_empty_register(make_person, actor, new_duf, tmp_path):
    """export → import into an empty register → export gives the same facts (regelmotor.md § 8:
    migration, fixtures and synthetic data all pass through this one format)."""
    empty = register_counts()
    with transaction.atomic():
        dufs = _build_register(make_person, actor, new_duf, tmp_path)
        first = export("--as-of", "2026-06-01")
        first_then = export("--as-of", "2026-06-01", "--known-at", "2026-03-10T18:00:00+01:00")
        transaction.set_rollback(True)
    assert register_counts() == empty  # the register is empty again
    assert sorted(ln["duf"] for ln in first) == sorted(dufs)

    path = write_jsonl(tmp_path / "export.jsonl", first)
    err = io.StringIO()
    call_command("import", path, stdout=io.StringIO(), stderr=err)
    second = export("--as-of", "2026-06-01")
    by_duf = {ln["duf"]: ln for ln in second}
    for line in first:
        again = by_duf[line["duf"]]
        # facts and per-item registration times are reproduced exactly
        assert again["facts"] == line["facts"]
        assert without_registered_at(again) == without_registered_at(line)
    # a person whose latest registration is an item keeps the line's registered_at too
    assert by_duf[dufs[0]]["registered_at"] == {ln["duf"]: ln for ln in first}[dufs[0]]["registered_at"]

    # history of the current facts survives: as known on 2026-03-10 the late leave was unknown;
    # (corrections and annulments themselves are not part of the format and are not reproduced)
    then = {ln["duf"]: ln for ln in export("--as-of", "2026-06-01", "--known-at", "2026-03-10T18:00:00+01:00")}
    old = {ln["duf"]: ln for ln in first_then}
    assert then[dufs[0]]["facts"]["absences"] == []
    assert old[dufs[0]]["facts"]["absences"][0]["kind"] == "absence"  # since annulled: not in the export


@pytest.mark.django_db
def test_import_export_of_interchange_lines_is_stable(tmp_path, new_duf):
    """Importing an exported file again with --update changes nothing."""
    dufs = [new_duf() for _ in range(3)]
    lines = [interchange_line(d, basic_facts(), registered_at="2026-02-01T10:00:00+01:00") for d in dufs]
    call_command("import", write_jsonl(tmp_path / "in.jsonl", lines), stdout=io.StringIO(), stderr=io.StringIO())
    first = export("--as-of", "2026-06-01")
    before = register_counts()
    call_command(
        "import", write_jsonl(tmp_path / "again.jsonl", first), "--update", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert register_counts() == before
    assert export("--as-of", "2026-06-01") == first
