"""The judged write (``nir.register.write_sql.store_judged``): a registration and the person's new
DerivedStatus are stored all or nothing, in one round trip on PostgreSQL, and a failure leaves the
caller's transaction usable (its own savepoint) — on SQLite and, in the second pass, PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from register_support import at

from nir.register import derivation, services, write_sql
from nir.register import models as m
from nir.register.errors import ConcurrentChange, RegistrationRefused

ABSENCE = {"scheme": "intro", "kind": "time_off", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 3)}


def _current_status(person) -> m.DerivedStatus:
    return m.DerivedStatus.objects.current().get(person=person)


def _absence(person, actor, when) -> m.Absence:
    return m.Absence(person=person, recorded_at=when, **actor.row_fields(), **ABSENCE)


def _next_status(person, current, when, **changes) -> m.DerivedStatus:
    values = {f: getattr(current, f) for f in m.DerivedStatus.FACT_FIELDS} | changes
    return services.derived_row(person, m.DerivedStatus, values, derivation.REGELMOTOR_ACTOR, when, current)


@pytest.mark.django_db
def test_register_stores_row_and_new_status_together(participant, actor):
    """integreringsloven § 13 / forskrift § 10: an absence moves the deadline; the row and the new
    status are stored by one judged write, and the old status is superseded, not overwritten."""
    person, _rows = participant
    before = _current_status(person)
    outcome = services.register(person, m.Absence, ABSENCE, actor, at=at(2026, 3, 10))
    assert outcome.row.pk is not None and m.Absence.objects.filter(pk=outcome.row.pk).exists()
    after = _current_status(person)
    assert after.pk != before.pk and after.supersedes_id == before.pk
    assert after.intro_absence_workdays == before.intro_absence_workdays + 2
    before.refresh_from_db()
    assert before.superseded_at == after.recorded_at


# The caller's transaction: Django's own, or the API's pipelined one (statements without an answer
# go with the next round trip).
CALLER_TRANSACTIONS = [
    pytest.param(transaction.atomic, id="atomic"),
    pytest.param(write_sql.atomic_pipelined, id="atomic_pipelined"),
]


@pytest.mark.parametrize("callers_transaction", CALLER_TRANSACTIONS)
@pytest.mark.django_db
def test_superseded_status_fails_the_whole_write_and_keeps_callers_transaction(participant, actor, callers_transaction):
    """A status superseded by someone else meanwhile: ConcurrentChange, the registration is not
    stored either, and the caller's transaction goes on (the write's own savepoint)."""
    person, _rows = participant
    stale = _current_status(person)
    when = at(2026, 3, 10)
    services.replace_statuses(
        [
            services.status_row(
                person, {f: getattr(stale, f) for f in m.DerivedStatus.FACT_FIELDS}, when, _current_status(person)
            )
        ]
    )
    absences = m.Absence.objects.count()
    with callers_transaction():
        row = _absence(person, actor, when)
        with pytest.raises(ConcurrentChange):
            write_sql.store_judged([row], _next_status(person, stale, when, intro_absence_workdays=99), savepoint=True)
        # the caller's transaction is usable and holds nothing of the failed write
        assert m.Absence.objects.count() == absences
        assert not m.DerivedStatus.objects.filter(intro_absence_workdays=99).exists()
    assert m.Absence.objects.count() == absences


@pytest.mark.parametrize("callers_transaction", CALLER_TRANSACTIONS)
@pytest.mark.django_db
def test_database_error_rolls_back_rows_already_sent(participant, actor, callers_transaction):
    """A statement that fails (here the status's CHECK constraint) undoes the rows sent before it in
    the same round trip; the error is Django's IntegrityError; the caller's transaction goes on."""
    person, _rows = participant
    current = _current_status(person)
    when = at(2026, 3, 10)
    absences = m.Absence.objects.count()
    with callers_transaction():
        row = _absence(person, actor, when)
        bad = _next_status(person, current, when, intro_absence_workdays=-1)
        with pytest.raises(IntegrityError):
            write_sql.store_judged([row], bad, savepoint=True)
        assert m.Absence.objects.count() == absences
        assert _current_status(person).pk == current.pk  # still current: the UPDATE was undone too
    assert m.Absence.objects.count() == absences


@pytest.mark.postgres  # a transactional test: SQLite's append-only triggers refuse the flush after it
@pytest.mark.django_db(transaction=True)
def test_failure_outside_a_transaction_stores_nothing(participant, actor, monkeypatch):
    """Called outside a transaction, ``register`` opens its own: a failing write leaves nothing."""
    person, _rows = participant
    current = _current_status(person)
    absences = m.Absence.objects.count()
    real = services.derived_row

    def broken(person_, model, values, actor_, at_, supersedes):
        return real(person_, model, values | {"intro_absence_workdays": -1}, actor_, at_, supersedes)

    monkeypatch.setattr(services, "derived_row", broken)
    assert not connection.in_atomic_block
    with pytest.raises(IntegrityError):
        services.register(person, m.Absence, ABSENCE, actor, at=at(2026, 3, 10))
    assert m.Absence.objects.count() == absences
    assert _current_status(person).pk == current.pk


@pytest.mark.parametrize("callers_transaction", CALLER_TRANSACTIONS)
@pytest.mark.django_db
def test_refused_registration_writes_nothing_and_keeps_callers_transaction(participant, actor, callers_transaction):
    """A registration the Regelmotor refuses is judged before anything is written: nothing to undo,
    and the caller's transaction is not spoilt."""
    person, _rows = participant
    counts = (m.Absence.objects.count(), m.DerivedStatus.objects.count())
    with callers_transaction():
        with pytest.raises(RegistrationRefused):
            services.register(person, m.Absence, {**ABSENCE, "to_date": dt.date(2026, 3, 1)}, actor, at=at(2026, 3, 10))
        assert (m.Absence.objects.count(), m.DerivedStatus.objects.count()) == counts
        services.register(person, m.Absence, ABSENCE, actor, at=at(2026, 3, 10))  # the transaction goes on
    assert m.Absence.objects.count() == counts[0] + 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_write_path_statements_are_prepared_on_postgresql(participant, actor):
    """The write path's statements are prepared once per connection (Django disables prepared
    statements by default; nir.settings turns them on): a second write parses nothing again."""
    person, _rows = participant
    services.register(person, m.Absence, ABSENCE, actor, at=at(2026, 3, 10))
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [r[0] for r in cur.fetchall()]
    assert any(s.startswith('INSERT INTO "register_absence"') for s in prepared), prepared
    assert any("FOR UPDATE" in s for s in prepared)
    assert any("row_to_json" in s for s in prepared)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pipelined_transaction_commits_the_audit_event_with_the_write_or_neither(participant, actor):
    """In ``atomic_pipelined`` the audit event is sent with the COMMIT: it is stored with the
    registration; when it fails, the registration is rolled back with it."""
    from nir.access import audit
    from nir.access.models import AuditEvent

    person, _rows = participant
    events, absences = AuditEvent.objects.count(), m.Absence.objects.count()
    with write_sql.atomic_pipelined():
        services.register(person, m.Absence, ABSENCE, actor, at=at(2026, 3, 10))
        event = audit.record(system="test", action="write", channel="command", what="absence", persons=[person.pk])
        assert event.pk is None  # not read back
    assert (AuditEvent.objects.count(), m.Absence.objects.count()) == (events + 1, absences + 1)
    with pytest.raises(IntegrityError):
        with write_sql.atomic_pipelined():
            services.register(
                person,
                m.Absence,
                {**ABSENCE, "from_date": dt.date(2026, 3, 9), "to_date": dt.date(2026, 3, 9)},
                actor,
                at=at(2026, 3, 10),
            )
            audit.record(system="test", action="write", channel="command", what="absence", persons=[10**12])
    assert (AuditEvent.objects.count(), m.Absence.objects.count()) == (events + 1, absences + 1)


@pytest.mark.django_db
def test_rows_read_under_lock_by_the_access_check_serve_the_guarded_write(participant, actor, monkeypatch):
    """The rows ``person_by_duf(lock=True)`` read are passed to the write (``locked_rows``): the
    registration reads nothing more. Nothing is kept on the person or the connection."""
    from nir.register import snapshot_sql

    person, _rows = participant
    with transaction.atomic():
        found, rows = snapshot_sql.person_by_duf(person.duf, derivation.GUARD_MODELS, lock=True)
        assert not {"_locked_rows", "_follow_ups"} & set(found.__dict__)
        monkeypatch.setattr(services, "current_rows", lambda *a, **k: pytest.fail("read again"))
        outcome = services.register(found, m.Absence, ABSENCE, actor, at=at(2026, 3, 10), locked_rows=rows)
        monkeypatch.undo()
        assert outcome.result.intro.absence_workdays == _current_status(person).intro_absence_workdays


@pytest.mark.django_db
def test_rows_read_under_lock_equal_a_fresh_read(participant):
    from nir.register import snapshot_sql

    person, _rows = participant
    with transaction.atomic():
        _found, kept = snapshot_sql.person_by_duf(person.duf, derivation.GUARD_MODELS, lock=True)
        fresh = snapshot_sql.current_rows(person.pk, derivation.GUARD_MODELS)
        assert [(type(r), r.pk) for r in kept] == [(type(r), r.pk) for r in fresh] and kept


@pytest.mark.django_db
def test_without_savepoint_a_failed_write_fails_the_callers_transaction(participant, actor, monkeypatch):
    """``register(savepoint=False)`` (the API: its transaction is the one write): no savepoint is
    sent, and a failed write marks the caller's transaction for rollback instead of leaving it usable."""
    person, _rows = participant
    real = services.derived_row
    monkeypatch.setattr(
        services,
        "derived_row",
        lambda p, mdl, values, a, when, sup: real(p, mdl, values | {"intro_absence_workdays": -1}, a, when, sup),
    )
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            services.register(person, m.Absence, ABSENCE, actor, at=at(2026, 3, 10), savepoint=False)
        assert transaction.get_rollback()  # the block is rolled back as it ends


# The API's single registration: atomic_pipelined, the transaction is the one write (no savepoint).


@pytest.mark.postgres  # a transactional test: atomic_pipelined must own the transaction
@pytest.mark.django_db(transaction=True)
def test_api_write_sends_row_status_audit_and_commit_together(participant, actor):
    """With no savepoint in ``atomic_pipelined`` the row and the status are only queued: they go to
    the server with the audit event and the COMMIT (one round trip), and get their ids after it."""
    from nir.access import audit
    from nir.access.models import AuditEvent

    person, _rows = participant
    before = _current_status(person)
    events, absences = AuditEvent.objects.count(), m.Absence.objects.count()
    with write_sql.atomic_pipelined() as pipeline:
        outcome = services.register(
            person, m.Absence, ABSENCE, actor, at=at(2026, 3, 10), savepoint=False, pipeline=pipeline
        )
        assert outcome.row.pk is None  # queued, not sent yet
        audit.record(system="test", action="write", channel="command", what="absence", persons=[person.pk])
    assert outcome.row.pk is not None and m.Absence.objects.filter(pk=outcome.row.pk).exists()
    assert (AuditEvent.objects.count(), m.Absence.objects.count()) == (events + 1, absences + 1)
    after = _current_status(person)
    assert after.supersedes_id == before.pk and after.intro_absence_workdays == before.intro_absence_workdays + 2
    assert not hasattr(connection, "_nir_after_commit")  # the transaction's state is passed, not kept


@pytest.mark.parametrize("read_in_between", [False, True], ids=["surfaces-later", "surfaces-at-a-read"])
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_api_write_whose_status_was_superseded_meanwhile_stores_nothing(participant, actor, read_in_between):
    """The failure surfaces with the next statement whose answer is read, or at the COMMIT: either
    way ConcurrentChange (a refusal, 422 in the API), and neither the row, the status nor the audit
    event is stored."""
    from nir.access import audit
    from nir.access.models import AuditEvent

    person, _rows = participant
    stale = _current_status(person)
    when = at(2026, 3, 10)
    services.replace_statuses(
        [
            services.status_row(
                person, {f: getattr(stale, f) for f in m.DerivedStatus.FACT_FIELDS}, when, _current_status(person)
            )
        ]
    )
    events, absences = AuditEvent.objects.count(), m.Absence.objects.count()
    with pytest.raises(ConcurrentChange):
        with write_sql.atomic_pipelined() as pipeline:
            write_sql.store_judged(
                [_absence(person, actor, when)],
                _next_status(person, stale, when, intro_absence_workdays=99),
                savepoint=False,
                pipeline=pipeline,
            )
            if read_in_between:
                m.Absence.objects.filter(person=person).count()  # reads: the queued write's error surfaces
            audit.record(system="test", action="write", channel="command", what="absence", persons=[person.pk])
    assert (AuditEvent.objects.count(), m.Absence.objects.count()) == (events, absences)
    assert not m.DerivedStatus.objects.filter(intro_absence_workdays=99).exists()
    # the connection is usable again
    services.register(person, m.Absence, ABSENCE, actor, at=at(2026, 3, 11))
    assert m.Absence.objects.count() == absences + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_api_write_failing_in_the_database_stores_nothing(participant, actor):
    person, _rows = participant
    current = _current_status(person)
    when = at(2026, 3, 10)
    absences = m.Absence.objects.count()
    with pytest.raises(IntegrityError):
        with write_sql.atomic_pipelined() as pipeline:
            write_sql.store_judged(
                [_absence(person, actor, when)],
                _next_status(person, current, when, intro_absence_workdays=-1),
                savepoint=False,
                pipeline=pipeline,
            )
    assert m.Absence.objects.count() == absences
    assert _current_status(person).pk == current.pk
