"""The bulk re-evaluation (``nir.register.bulk``) in columns: rule errors round-trip through the
comparison and the write (SQLite and PostgreSQL), a status superseded meanwhile refuses the range, and
the counts of what changed come from the columns."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import timezone

from nir.register import bulk, derivation, services
from nir.register import models as m
from nir.register.errors import ConcurrentChange

AS_OF = dt.date(2026, 11, 20)


def _status(person) -> m.DerivedStatus:
    return m.DerivedStatus.objects.current().get(person=person)


def _raw_absence(person, actor, at, kind, start, end):
    """An absence stored as an older system or a load may have left it (no validation, no derivation)."""
    return m.Absence.objects.create(
        person=person, recorded_at=at, scheme="intro", kind=kind, from_date=start, to_date=end, **actor.row_fields()
    )


def _bounds():
    return bulk.person_id_bounds(1000)[0]


@pytest.mark.django_db
def test_rule_errors_are_written_and_compared_as_the_per_person_engine_stores_them(make_person, actor):
    person = make_person()
    at = timezone.now()
    _raw_absence(person, actor, at, "time_off", dt.date(2026, 3, 10), dt.date(2026, 3, 2))
    _raw_absence(person, actor, at, "holiday?", dt.date(2026, 4, 1), dt.date(2026, 4, 1))
    lo, hi = _bounds()
    first = bulk.reevaluate_range(lo, hi, AS_OF, timezone.now())
    expected = derivation.status_values(derivation.evaluate_person(person, as_of=AS_OF))
    assert len(expected["errors"]) >= 2
    stored = _status(person)
    assert {f: getattr(stored, f) for f in m.DerivedStatus.RESULT_FIELDS} == {
        f: expected[f] for f in m.DerivedStatus.RESULT_FIELDS
    }
    assert first.changed + first.created == 1 and first.person_ids == [person.pk]
    assert first.field_changes.get("errors", 0) == first.changed
    again = bulk.reevaluate_range(lo, hi, AS_OF, timezone.now())
    assert (again.changed, again.created, again.unchanged, again.person_ids) == (0, 0, 1, [])


@pytest.mark.django_db
def test_a_new_status_supersedes_the_current_one_with_who_and_when(make_person, actor):
    person = make_person()
    old = _status(person)
    later = old.recorded_at + dt.timedelta(days=1)
    _raw_absence(person, actor, later, "time_off", dt.date(2026, 3, 10), dt.date(2026, 3, 2))
    lo, hi = _bounds()
    # recorded no earlier than the status it replaces, even when "now" is before it
    out = bulk.reevaluate_range(lo, hi, AS_OF, old.recorded_at - dt.timedelta(days=3))
    assert out.changed == 1 and out.created == 0
    new = _status(person)
    old.refresh_from_db()
    assert new.supersedes_id == old.pk and new.operation == m.Operation.CORRECT
    assert new.change_reason == services.STATUS_REASON and new.registered_by_label == "Regelmotor"
    assert new.recorded_at == old.recorded_at == old.superseded_at
    assert new.as_of == AS_OF and new.rules_version == old.rules_version


@pytest.mark.django_db
def test_a_status_superseded_meanwhile_refuses_the_whole_range(make_person, actor):
    person = make_person()
    lo, hi = _bounds()
    ids, cols = bulk.load_columns(lo, hi)
    res = bulk.vector.evaluate_columns(cols, AS_OF)
    stored = bulk.stored_statuses(lo, hi)
    new = bulk.result_frame(res).with_columns(bulk.pl.lit("changed").alias("law"))
    cmp = bulk.compare(ids, new, stored)
    assert cmp.changed == 1
    m.DerivedStatus.objects.filter(person=person).update(superseded_at=timezone.now())  # another writer
    before = m.DerivedStatus.objects.count()
    with pytest.raises(ConcurrentChange), transaction.atomic():
        bulk.write_statuses(cmp.written, AS_OF, timezone.now())
    assert m.DerivedStatus.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reading_ahead_outside_a_transaction_stores_what_the_per_person_engine_derives():
    """PostgreSQL: called outside a transaction (as ``nir rules reevaluate`` is), the next range is read on
    a second connection while this one is written; every range is read and evaluated once."""
    from django.core.management import call_command

    from nir import actions

    call_command("synth", persons=120, seed=5, quiet=True, stdout=io.StringIO())
    assert not transaction.get_connection().in_atomic_block
    report = actions.reevaluate(as_of=AS_OF, chunk=25)
    assert report.persons == 120 and report.created + report.changed + report.unchanged == 120
    for person in m.Person.objects.all():
        expected = derivation.status_values(derivation.evaluate_person(person, as_of=AS_OF))
        stored = _status(person)
        assert {f: getattr(stored, f) for f in m.DerivedStatus.RESULT_FIELDS} == {
            f: expected[f] for f in m.DerivedStatus.RESULT_FIELDS
        }, person.duf
    again = actions.reevaluate(as_of=AS_OF, chunk=25)
    assert (again.persons, again.changed, again.created) == (120, 0, 0)
