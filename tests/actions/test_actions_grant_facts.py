"""The grants' register facts (grants.md A.1.1) go through the one action layer like every other kind:
access checked, stored with who and when, audited; a correction supersedes; a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from actions_support import persons_of, write_events

from nir import actions
from nir.access.persons import PersonNotFound
from nir.register import models as m
from nir.register.errors import RegistrationRefused

pytestmark = pytest.mark.django_db

STAY = {"centre": "Mottak Lade", "host_municipality": "5001", "from_date": dt.date(2025, 5, 1), "to_date": None}
CASE = {
    "grant_type": "FHT2",
    "grant_year": 2026,
    "applied_at": dt.date(2026, 2, 1),
    "amount_applied": Decimal("500000"),
    "amount_granted": None,
    "decided_at": None,
}


def acting(user):
    return actions.Acting.for_user(user, channel="web")


def test_a_reception_stay_is_registered_with_who_and_audited(world, users):
    outcome = actions.register(acting(users["trondheim"]), world["anne"].duf, m.ReceptionStay, STAY)
    row = outcome.row
    assert row.registered_by_user_id == users["trondheim"].pk and row.recorded_at is not None
    [event] = write_events()
    assert event.what == "reception_stays" and persons_of(event) == {world["anne"].pk}


def test_an_extra_grant_case_is_corrected_by_superseding(world, users):
    who = acting(users["trondheim"])
    row = actions.register(who, world["anne"].duf, m.ExtraGrantCase, CASE).row
    changes = {"amount_granted": Decimal("400000"), "decided_at": dt.date(2026, 3, 15)}
    new = actions.correct_registration(who, world["anne"].duf, m.ExtraGrantCase, row.pk, changes, "Vedtak fattet").row
    row.refresh_from_db()
    assert row.superseded_at is not None and new.supersedes_id == row.pk and new.operation == m.Operation.CORRECT
    assert [r.pk for r in m.ExtraGrantCase.objects.current().filter(person=world["anne"])] == [new.pk]


def test_the_persons_grant_details_are_a_correction_of_their_details(world, users):
    who = acting(users["trondheim"])
    details = m.PersonDetails.objects.current().get(person=world["anne"])
    changes = {"citizenship": "AFG", "unaccompanied_minor": True, "with_companion": True}
    new = actions.correct_registration(who, world["anne"].duf, m.PersonDetails, details.pk, changes, "Fra UDI").row
    assert (new.citizenship, new.unaccompanied_minor, new.with_companion) == ("AFG", True, True)
    details.refresh_from_db()
    assert details.superseded_at is not None and details.citizenship == ""


def test_bad_grant_facts_are_refused_and_nothing_is_written(world, users):
    who = acting(users["trondheim"])
    before = (m.ExtraGrantCase.objects.count(), len(write_events()))
    bad = CASE | {"amount_granted": Decimal("1"), "decided_at": dt.date(2026, 1, 1)}
    with pytest.raises(RegistrationRefused) as refused:
        actions.register(who, world["anne"].duf, m.ExtraGrantCase, bad)
    assert any(p.rule == "decided_before_applied" and "søknadsdato" in p.message for p in refused.value.problems)
    assert (m.ExtraGrantCase.objects.count(), len(write_events())) == before


def test_outside_the_scope_the_person_is_not_found(world, users):
    with pytest.raises(PersonNotFound):
        actions.register(acting(users["trondheim"]), world["berit"].duf, m.ReceptionStay, STAY)
    assert m.ReceptionStay.objects.count() == 0
