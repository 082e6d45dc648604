"""On PostgreSQL a single registration's action outside any transaction is one pipelined
transaction (``write_sql.atomic_pipelined``): the access check reads and locks the person in one
round trip, and the row, the new status, the audit event and the COMMIT go together; the rows get
their ids after the COMMIT. An audit failure there rolls everything back."""

from __future__ import annotations

import pytest
from actions_support import ABSENCE, persons_of, write_events
from django.db import connection

from nir import actions
from nir.register import models as m

# Transactional: the action must own its transaction (see tests/register/test_write_sql.py).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_single_write_outside_a_transaction_is_pipelined_and_audited(world, users):
    before = m.DerivedStatus.objects.current().get(person=world["anne"])
    assert not connection.in_atomic_block
    outcome = actions.register(
        actions.Acting.for_user(users["trondheim"], channel="api"), world["anne"].duf, m.Absence, ABSENCE
    )
    assert outcome.row.pk is not None and m.Absence.objects.filter(pk=outcome.row.pk).exists()
    after = m.DerivedStatus.objects.current().get(person=world["anne"])
    assert after.supersedes_id == before.pk
    [event] = write_events()
    assert persons_of(event) == {world["anne"].pk} and event.channel == "api"
    assert [r.pk for r in outcome.follow_ups] == list(
        m.FollowUp.objects.current().filter(person=world["anne"]).values_list("pk", flat=True)
    )


def test_audit_failure_in_the_pipeline_stores_nothing(world, users, monkeypatch):
    """The event is queued with the write: an event the database refuses (a person id that does not
    exist, as a failing audit log would) fails the COMMIT, and the registration goes with it."""
    from nir.access import audit

    real = audit.record
    monkeypatch.setattr(audit, "record", lambda **kw: real(**{**kw, "persons": [10**12]}))
    before = (m.Absence.objects.count(), m.DerivedStatus.objects.count())
    with pytest.raises(Exception):  # noqa: B017 - the database's IntegrityError, as Django wraps it
        actions.register(
            actions.Acting.for_user(users["trondheim"], channel="api"), world["anne"].duf, m.Absence, ABSENCE
        )
    assert (m.Absence.objects.count(), m.DerivedStatus.objects.count()) == before
    assert write_events() == []
