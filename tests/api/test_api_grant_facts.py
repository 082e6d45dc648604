"""The grants' register facts (grants.md A.1.1) through the API: the new kinds' endpoints, a correction of
the person's details with the person-level facts, and refusals as problem+json with nothing stored."""

from __future__ import annotations

import json

import pytest
from api_helpers import API, assert_problem

from nir import identity
from nir.register import models as m

pytestmark = pytest.mark.django_db

HAPPY = {
    "family-reunifications": (
        {
            "reference_person": identity.make_duf("2025000002"),
            "reference_basis_at_grant": "utl_28",
            "reference_first_settlement_date": "2022-02-01",
            "application_date": "2025-03-01",
            "reference_nordic_citizen": False,
        },
        m.FamilyReunification,
        {"reference_basis_at_grant": "utl_28", "reference_is_family_immigrant": False},
    ),
    "upper-secondary-enrolments": (
        {"from": "2026-01-05", "to": "2026-06-20", "full_time": True, "county": "50"},
        m.UpperSecondaryEnrolment,
        {"county": "50", "full_time": True},
    ),
    "reception-stays": (
        {"centre": "Mottak Lade", "host_municipality": "5001", "from": "2025-05-01"},
        m.ReceptionStay,
        {"centre": "Mottak Lade"},
    ),
    "extra-grant-cases": (
        {"type": "FHT1", "grant_year": 2026, "applied_at": "2026-02-01", "amount_applied": 150000},
        m.ExtraGrantCase,
        {"grant_type": "FHT1", "grant_year": 2026},
    ),
}


def post(client, path, body):
    return client.post(f"{API}/{path}", json.dumps(body), content_type="application/json")


def counts():
    return {model.__name__: model.objects.count() for model in m.ALL_REGISTRATION_MODELS}


@pytest.mark.parametrize("kind", list(HAPPY))
def test_each_grant_kind_registers(world, as_user, users, kind):
    body, model, expected = HAPPY[kind]
    r = post(as_user("trondheim"), f"persons/{world['anne'].duf}/{kind}", body)
    assert r.status_code == 201, r.content
    row = model.objects.get(pk=r.json()["registration"]["id"])
    for f, v in expected.items():
        assert getattr(row, f) == v
    assert row.registered_by_user_id == users["trondheim"].pk


@pytest.mark.parametrize(
    "kind, body, field, rule",
    [
        ("extra-grant-cases", {"type": "FHT9", "grant_year": 2026}, "type", "unknown_code"),
        ("upper-secondary-enrolments", {"from": "2026-01-05", "full_time": True, "county": "99"}, "county", None),
        (
            "reception-stays",
            {"centre": "Lade", "host_municipality": "5001", "from": "2025-05-01", "to": "2025-04-01"},
            "to",
            "end_before_start",
        ),
        ("family-reunifications", {"reference_person": "123456789012"}, "reference_person", "duf_checksum"),
    ],
)
def test_bad_grant_facts_are_refused_and_nothing_is_stored(world, as_user, kind, body, field, rule):
    before = counts()
    r = post(as_user("trondheim"), f"persons/{world['anne'].duf}/{kind}", body)
    problem = assert_problem(r, 422, rule=rule)
    assert any(field in e["field"] for e in problem["errors"]), problem
    assert counts() == before


def test_the_person_level_facts_are_a_correction_of_the_details(world, as_user):
    details = m.PersonDetails.objects.current().get(person=world["anne"])
    body = {
        "reason": "Opplysninger fra UDI",
        "values": {"citizenship": "SYR", "mother": identity.make_duf("2025000001"), "unaccompanied_minor": False},
    }
    r = post(as_user("trondheim"), f"persons/{world['anne'].duf}/details/{details.pk}/corrections", body)
    assert r.status_code == 201, r.content
    new = m.PersonDetails.objects.current().get(person=world["anne"])
    assert (new.citizenship, new.supersedes_id) == ("SYR", details.pk)
    bad = {"reason": "x", "values": {"citizenship": "Syria"}}
    r = post(as_user("trondheim"), f"persons/{world['anne'].duf}/details/{new.pk}/corrections", bad)
    assert r.status_code in (400, 422), r.content
    assert m.PersonDetails.objects.current().get(person=world["anne"]).pk == new.pk
