"""The register facts the grants need (grants.md A.1.1, issue 20): imported and exported in the
interchange format with their registration times, read by the grant engine as known at a cut-off,
corrected by superseding, and refused with a clear error (nothing stored) when bad."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from register_support import at, basic_facts, interchange_line, register_counts, write_jsonl

from nir import identity
from nir.grants.engine import facts as grant_facts
from nir.register import models as m
from nir.register import services

MOTHER = identity.make_duf("2025000001")
REFERENCE = identity.make_duf("2025000002")


def grant_line_facts() -> dict:
    facts = basic_facts(
        permits=[
            {
                "basis": "family_of_protected",
                "decision_date": "2025-10-01",
                "arrival_date": "2025-10-10",
                "effectuation_date": "2025-10-12",
            }
        ],
        settlements=[
            {
                "municipality": "5001",
                "date": "2025-11-01",
                "by_agreement": False,
                "kind": "family_arrival",
                "household_id": "H-2025-17",
                "household_role": "adult",
            }
        ],
        residences=[
            {"municipality": "5001", "from": "2025-11-01", "to": None, "source": "folkeregisteret", "kind": "ordinary"}
        ],
        competence_mappings=[
            {
                "date": "2025-12-01",
                "kind": "after_settlement",
                "legal_basis": "il_6",
                "registered_in_tool": True,
                "host_municipality": "5001",
            }
        ],
    )
    facts.update(
        mother=MOTHER,
        citizenship="SYR",
        unaccompanied_minor={"flag": True, "with_companion": True},
        emigration_date="2026-05-31",
        asylum_procedure="ordinary",
        asylum_duty_group_entry="2025-06-01",
        family_reunification={
            "reference_person": REFERENCE,
            "reference_basis_at_grant": "utl_28",
            "reference_first_settlement_date": "2022-02-01",
            "application_date": "2025-03-01",
            "reference_nordic_citizen": False,
            "reference_is_family_immigrant": False,
        },
        upper_secondary_enrolments=[{"from": "2026-01-05", "to": "2026-06-20", "full_time": True, "county": "50"}],
        reception_stays=[
            {"centre": "Mottak Lade", "host_municipality": "5001", "from": "2025-05-01", "to": "2025-10-31"}
        ],
        extra_grant_cases=[
            {
                "type": "FHT1",
                "grant_year": 2026,
                "applied_at": "2026-02-01",
                "amount_applied": 150000,
                "amount_granted": 120000.5,
                "decided_at": "2026-03-01",
            }
        ],
    )
    return facts


def export(*args) -> list[dict]:
    out = io.StringIO()
    call_command("export", "facts", *args, stdout=out, stderr=io.StringIO())
    return [json.loads(x) for x in out.getvalue().splitlines() if x.strip()]


def run_import(path, *args) -> tuple[str, CommandError | None]:
    err = io.StringIO()
    try:
        call_command("import", str(path), *args, stdout=io.StringIO(), stderr=err)
    except CommandError as e:
        return err.getvalue(), e
    return err.getvalue(), None


GRANT_KEYS = (
    "mother",
    "citizenship",
    "unaccompanied_minor",
    "emigration_date",
    "asylum_procedure",
    "asylum_duty_group_entry",
    "family_reunification",
    "upper_secondary_enrolments",
    "reception_stays",
    "extra_grant_cases",
)


def _without_registered_at(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k != "registered_at"} for item in items]


@pytest.mark.django_db
def test_import_export_round_trip_of_the_grant_keys(tmp_path, new_duf):
    duf = new_duf()
    line = interchange_line(duf, grant_line_facts(), registered_at="2026-02-01T10:00:00+01:00")
    _err, error = run_import(write_jsonl(tmp_path / "in.jsonl", [line]))
    assert error is None, _err
    (out,) = export()
    facts = out["facts"]
    for key in GRANT_KEYS:
        value = facts[key]
        if isinstance(value, list):
            assert _without_registered_at(value) == line["facts"][key], key
            assert all(item["registered_at"] == "2026-02-01T10:00:00+01:00" for item in value)
        else:
            assert value == line["facts"][key], key
    settled = {k: v for k, v in facts["settlements"][0].items() if k != "registered_at"}
    assert settled == line["facts"]["settlements"][0]
    assert facts["settlements"][0]["household_id"] == "H-2025-17"
    assert facts["residences"][0]["source"] == "folkeregisteret"
    assert facts["competence_mappings"][0]["legal_basis"] == "il_6"
    assert facts["permits"][0]["effectuation_date"] == "2025-10-12"

    # the grant engine reads the export as it is
    person = grant_facts.parse(duf, facts)
    assert person.mother == MOTHER and person.citizenship == "SYR"
    assert person.unaccompanied_minor and person.with_companion
    assert person.settlements[0].kind == "family_arrival" and person.settlements[0].household_role == "adult"
    assert person.residences[0].from_folkeregister
    assert person.family_reunification is not None
    assert person.family_reunification.reference_first_settlement_date == dt.date(2022, 2, 1)
    assert person.upper_secondary[0].county == "50" and person.upper_secondary[0].full_time
    assert person.reception_stays[0].host_municipality == "5001"
    assert person.mappings[0].legal_basis == "il_6" and person.mappings[0].registered_in_tool
    assert str(person.extra_grant_cases[0].amount_granted) == "120000.5"
    assert person.emigration_date == dt.date(2026, 5, 31)

    # importing the export again with --update changes nothing
    before = register_counts()
    _err, error = run_import(write_jsonl(tmp_path / "again.jsonl", [out]), "--update")
    assert error is None, _err
    assert register_counts() == before
    assert export() == [out]


@pytest.mark.django_db
def test_known_at_before_and_after_a_registration_and_a_correction(tmp_path, new_duf, actor):
    duf = new_duf()
    line = interchange_line(duf, basic_facts(), registered_at="2026-02-01T10:00:00+01:00")
    _err, error = run_import(write_jsonl(tmp_path / "in.jsonl", [line]))
    assert error is None, _err
    person = m.Person.objects.get(duf=duf)
    services.register(
        person,
        m.ReceptionStay,
        {"centre": "Mottak Lade", "host_municipality": "5001", "from_date": dt.date(2025, 5, 1), "to_date": None},
        actor,
        at=at(2026, 3, 1),
    )
    details = m.PersonDetails.objects.current().get(person=person)
    services.correct(details, {"mother": MOTHER, "citizenship": "ERI"}, "Mor registrert", actor, at=at(2026, 3, 2))

    before = export("--known-at", "2026-02-15T12:00:00+01:00")[0]["facts"]
    assert "reception_stays" not in before and "mother" not in before and "citizenship" not in before
    after = export("--known-at", "2026-03-05T12:00:00+01:00")[0]["facts"]
    assert after["reception_stays"][0]["centre"] == "Mottak Lade"
    assert after["reception_stays"][0]["registered_at"] == "2026-03-01T12:00:00+01:00"
    assert after["mother"] == MOTHER and after["citizenship"] == "ERI"
    # the grant engine's own cut-off on the full export drops the item registered later
    now = export()[0]["facts"]
    cut = grant_facts.parse(duf, now, known_at=dt.datetime(2026, 2, 15, tzinfo=dt.UTC))
    assert cut.reception_stays == ()
    # the old details row is kept, superseded (append-only)
    assert details.__class__.objects.filter(person=person).count() == 2
    details.refresh_from_db()
    assert details.superseded_at is not None and details.mother == ""


@pytest.mark.django_db
def test_a_correction_of_the_family_reunification_supersedes(tmp_path, new_duf, actor):
    duf = new_duf()
    facts = basic_facts(family_reunification={"reference_person": REFERENCE, "application_date": "2025-03-01"})
    line = interchange_line(duf, facts, registered_at="2026-02-01T10:00:00+01:00")
    _err, error = run_import(write_jsonl(tmp_path / "in.jsonl", [line]))
    assert error is None, _err
    row = m.FamilyReunification.objects.current().get(person__duf=duf)
    services.correct(row, {"application_date": dt.date(2025, 4, 1)}, "Feil søknadsdato", actor, at=at(2026, 3, 1))
    rows = list(m.FamilyReunification.objects.filter(person__duf=duf).order_by("id"))
    assert len(rows) == 2 and rows[0].superseded_at is not None and rows[1].supersedes_id == rows[0].id
    assert export()[0]["facts"]["family_reunification"]["application_date"] == "2025-04-01"
    old = export("--known-at", "2026-02-28")[0]["facts"]["family_reunification"]
    assert old["application_date"] == "2025-03-01"


@pytest.mark.parametrize(
    ("mutate", "field", "rule"),
    [
        (lambda f: f["settlements"][0].update(kind="own"), "facts.settlements[0].kind", "unknown_code"),
        (
            lambda f: f["settlements"][0].update(kind="by_agreement"),
            "facts.settlements[0].kind",
            "settlement_kind_agreement",
        ),
        (lambda f: f.update(citizenship="sy"), "facts.citizenship", "country_format"),
        (lambda f: f.update(mother="12345"), "facts.mother", "duf_format"),
        (
            lambda f: f.update(unaccompanied_minor={"flag": False, "with_companion": True}),
            "facts.with_companion",
            "companion_without_minor",
        ),
        (lambda f: f.update(death_date="1980-01-01"), "facts.death_date", "before_birth"),
        (
            lambda f: f["residences"][0].update(reception_centre="Lade"),
            "facts.residences[0].reception_centre",
            "reception_centre_kind",
        ),
        (lambda f: f["upper_secondary_enrolments"][0].update(county="99"), "county", "unknown_county"),
        (
            lambda f: f["reception_stays"][0].update(to="2025-01-01"),
            "facts.reception_stays[0].to",
            "end_before_start",
        ),
        (lambda f: f["extra_grant_cases"][0].update(type="FHT3"), "facts.extra_grant_cases[0].type", "unknown_code"),
        (
            lambda f: f["extra_grant_cases"][0].update(decided_at="2026-01-01"),
            "facts.extra_grant_cases[0].decided_at",
            "decided_before_applied",
        ),
        (
            lambda f: f["family_reunification"].update(reference_nordic_citizen="nei"),
            "facts.family_reunification.reference_nordic_citizen",
            "type",
        ),
    ],
)
@pytest.mark.django_db
def test_bad_grant_facts_are_refused_with_a_clear_error_and_nothing_stored(mutate, field, rule, tmp_path, new_duf):
    facts = grant_line_facts()
    mutate(facts)
    before = register_counts()
    err, error = run_import(write_jsonl(tmp_path / "bad.jsonl", [interchange_line(new_duf(), facts)]))
    assert error is not None
    assert field in err and f"[{rule}]" in err, err
    assert register_counts() == before
