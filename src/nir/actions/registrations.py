"""Actions that register facts about persons: one write, a batch, a correction, an annulment, a new person.

Each action runs in one transaction: the access check (``_for_write``: the person locked and read
with what the rules guard needs, in one round trip on PostgreSQL), the write judged by the
Regelmotor and stored by the register (``nir.register.services``), and the audit event. Called
outside a transaction, a single write runs in ``write_sql.atomic_pipelined``: on PostgreSQL the row,
the new status, the audit event and the COMMIT go to the server in one round trip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router, transaction

from nir.access import audit
from nir.access.models import AuditAction, AuditOutcome
from nir.access.persons import (
    AccessRefused,
    PersonElsewhere,
    PersonNotFound,
    ProtectedIdentityRefused,
    ReadOnly,
    check_person,
    is_duf,
    may_register,
)
from nir.access.policy import may_change_protected_identity
from nir.actions.acting import Acting
from nir.register import models as m
from nir.register import services
from nir.register.derivation import GUARD_MODELS
from nir.register.errors import ConcurrentChange, Problem, RegistrationNotFound, RegistrationRefused
from nir.register.snapshot_sql import current_rows, lock_person, person_by_duf
from nir.register.write_sql import atomic_pipelined

# Values of a registration, or a function giving them: called after the access check, so that a
# person the actor may not see is refused as not found whatever the values (as the API always did).
Values = dict[str, Any] | Callable[[], dict[str, Any]]


def _values(values: Values) -> dict[str, Any]:
    return values() if callable(values) else values


def _in_transaction(model: type[m.Registration] = m.Registration) -> bool:
    return bool(connections[router.db_for_write(model)].in_atomic_block)


def _for_write(acting: Acting, duf: str) -> tuple[m.Person, list[m.FollowUp], list[m.Registration]]:
    """The person with DUF number ``duf``, locked for this transaction's write, their current follow-up
    periods and their current rows of ``GUARD_MODELS`` (read in the same round trip) — if ``acting``
    may register on them (``PersonNotFound``/``ReadOnly`` otherwise, as every entry point refuses)."""
    person, rows = person_by_duf(duf, (m.FollowUp, *GUARD_MODELS), lock=True) if is_duf(duf) else (None, [])
    follow_ups = [r for r in rows if isinstance(r, m.FollowUp)]
    if acting.unrestricted:
        if person is None:
            raise PersonNotFound(duf)
    else:
        person = check_person(acting.principal, person, follow_ups, duf=duf, write=True)
    return person, follow_ups, [r for r in rows if not isinstance(r, m.FollowUp)]


def _check_registered_person(acting: Acting, person: m.Person) -> None:
    """The access check of a write on a person given as a row's person: locked, then checked."""
    lock_person(person.pk)
    if not acting.unrestricted:
        check_person(acting.principal, person, current_rows(person.pk, (m.FollowUp,)), duf=person.duf, write=True)


def _require_write(acting: Acting) -> None:
    if not acting.unrestricted and not may_register(acting.principal):
        raise ReadOnly()


# --- one registration ------------------------------------------------------------------------------


def register(
    acting: Acting,
    duf: str,
    model: type[m.Registration],
    values: Values,
    *,
    at: dt.datetime | None = None,
    what: str = "",
) -> services.Outcome:
    """Register one fact about the person with DUF number ``duf`` (``services.register``), audited.

    Raises ``AccessRefused`` (nothing written, nothing audited) or ``RegistrationRefused``."""
    own = not _in_transaction(model)
    with atomic_pipelined() as pipeline:
        person, follow_ups, rows = _for_write(acting, duf)
        outcome = services.register(
            person, model, _values(values), acting.actor, at=at, savepoint=not own, locked_rows=rows, pipeline=pipeline
        )
        acting.audit(what=what or model.FACT_KEY or model.__name__, persons=[person.pk])
    outcome.follow_ups = follow_ups
    return outcome


def create_person(
    acting: Acting,
    duf: str,
    details: dict[str, Any],
    *,
    at: dt.datetime | None = None,
) -> services.Outcome:
    """Create a person (``services.create_person``), audited. Needs the permission to register."""
    with transaction.atomic():
        _require_write(acting)
        outcome = services.create_person(duf, details, acting.actor, at=at)
        acting.audit(what="person:create", persons=[outcome.row.pk])
    return outcome


def correct(
    acting: Acting, row: m.Registration, changes: dict[str, Any], reason: str, *, at: dt.datetime | None = None
) -> services.Outcome:
    """Correct a registered fact (``services.correct``), audited."""
    with transaction.atomic():
        _check_registered_person(acting, row.person)
        outcome = services.correct(row, changes, reason, acting.actor, at=at)
        acting.audit(what=f"{row.FACT_KEY or type(row).__name__}:correct", persons=[row.person_id])
    return outcome


def annul(acting: Acting, row: m.Registration, reason: str, *, at: dt.datetime | None = None) -> services.Outcome:
    """Annul (delete) a registered fact (``services.annul``), audited."""
    with transaction.atomic():
        _check_registered_person(acting, row.person)
        outcome = services.annul(row, reason, acting.actor, at=at)
        acting.audit(what=f"{row.FACT_KEY or type(row).__name__}:annul", persons=[row.person_id])
    return outcome


# --- correcting or annulling a registration found by its id ------------------------------------

Changes = dict[str, Any] | Callable[[m.Registration], dict[str, Any]]


def _current_registration(acting: Acting, duf: str, model: type[m.Registration], pk: int) -> m.Registration:
    """The registration ``pk`` of ``model`` about the person ``duf``, read after the access check and
    under the person's lock: ``PersonNotFound``/``ReadOnly`` as every write, ``RegistrationNotFound``
    for no such row of that person, ``ConcurrentChange`` for a version no longer current (corrected
    or annulled since it was read: a stale version is never corrected again)."""
    person, _follow_ups, _rows = _for_write(acting, duf)
    row = model.objects.filter(pk=pk, person=person).first() if isinstance(pk, int) else None
    if row is None:
        raise RegistrationNotFound(f"{model.__name__} {pk}")
    row.person = person  # the locked, checked row: no second read of it
    if row.superseded_at is not None or row.operation == m.Operation.ANNUL:
        raise ConcurrentChange.already_superseded()
    return row


def correct_registration(
    acting: Acting,
    duf: str,
    model: type[m.Registration],
    pk: int,
    changes: Changes,
    reason: str,
    *,
    at: dt.datetime | None = None,
) -> services.Outcome:
    """Correct the registration ``pk`` of ``model`` about the person ``duf`` (``services.correct``: a new
    version supersedes it, with ``reason``), judged by the Regelmotor and audited, in one transaction.

    ``changes``: the changed values, or a function of the current row giving them (called after the
    access check, so that a refused actor learns nothing of the row). The person's details
    (``PersonDetails``) are corrected here too; a change of their protected identity (skjermet) is
    IMDi's only (``ProtectedIdentityRefused`` otherwise). Raises ``AccessRefused``,
    ``RegistrationNotFound``, ``ConcurrentChange`` (the version is no longer current) or
    ``RegistrationRefused``; nothing is written or audited then."""
    with transaction.atomic():
        row = _current_registration(acting, duf, model, pk)
        values = changes(row) if callable(changes) else changes
        if all(getattr(row, f, object()) == v for f, v in values.items()):
            raise RegistrationRefused([Problem("values", "no_change", "rettingen endrer ingenting")])
        if (
            isinstance(row, m.PersonDetails)
            and "protected_identity" in values
            and bool(values["protected_identity"]) != row.protected_identity
            and not acting.unrestricted
            and not may_change_protected_identity(acting.principal)
        ):
            raise ProtectedIdentityRefused()
        outcome = services.correct(row, values, reason, acting.actor, at=at)
        acting.audit(what=f"{row.FACT_KEY or model.__name__}:correct", persons=[row.person_id])
    return outcome


def annul_registration(
    acting: Acting, duf: str, model: type[m.Registration], pk: int, reason: str, *, at: dt.datetime | None = None
) -> services.Outcome:
    """Annul the registration ``pk`` of ``model`` about the person ``duf`` (``services.annul``: an
    annulment row with ``reason`` supersedes it), judged by the Regelmotor and audited, in one
    transaction. Raises as ``correct_registration``."""
    with transaction.atomic():
        row = _current_registration(acting, duf, model, pk)
        outcome = services.annul(row, reason, acting.actor, at=at)
        acting.audit(what=f"{row.FACT_KEY or model.__name__}:annul", persons=[row.person_id])
    return outcome


# --- many registrations at once ---------------------------------------------------------------------


@dataclass(frozen=True)
class BatchItem:
    """One item of a batch: the person's DUF number, the kind and its values (or a function giving them)."""

    duf: str
    model: type[m.Registration]
    values: Values


@dataclass
class ItemResult:
    """What ``register_batch`` did with one item: the stored row and its warnings, or why it was
    refused: ``AccessRefused``, ``RegistrationRefused`` or what preparing its values raised."""

    row: m.Registration | None = None
    warnings: list[Problem] = field(default_factory=list)
    error: Exception | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


def register_batch(
    acting: Acting,
    items: Sequence[BatchItem],
    *,
    at: dt.datetime | None = None,
    invalid: tuple[type[Exception], ...] = (),
    what: str = "batch",
    filters: dict[str, Any] | None = None,
) -> list[ItemResult]:
    """Register many facts (``services.register_many``: as one write after the other, in bulk), audited
    by one event naming every person written.

    Each item is checked as a single write is: access first (once per person), then its values
    (``invalid``: the exceptions with which preparing an item's values refuses that item only).
    Refused items are reported, not raised; the caller decides whether to keep the rest (the
    API's ``atomic`` mode rolls its transaction back, audit event included)."""
    with transaction.atomic():
        people: dict[str, m.Person | AccessRefused] = {}
        results = [ItemResult() for _ in items]
        valid: list[int] = []
        prepared = []
        for i, item in enumerate(items):
            if item.duf not in people:
                people[item.duf] = _batch_person(acting, item.duf)
            person = people[item.duf]
            if isinstance(person, AccessRefused):
                results[i].error = person
                continue
            try:
                prepared.append((person, item.model, _values(item.values)))
            except invalid as e:
                results[i].error = e
                continue
            valid.append(i)
        for i, outcome in zip(valid, services.register_many(prepared, acting.actor, at=at)):
            results[i] = ItemResult(outcome.row, outcome.warnings, outcome.error)
        stored = [r.row for r in results if r.row is not None]
        _audit_elsewhere(acting, people.values(), what)
        if stored:
            acting.audit(
                what=what,
                persons={row.person_id for row in stored},
                filters={**(filters or {}), "items": len(items), "registrations": len(stored)},
            )
    return results


def _audit_elsewhere(acting: Acting, refusals: Iterable[object], what: str) -> None:
    """Items refused because their person is followed up elsewhere tell that the DUF number exists
    (``PersonElsewhere``): one refused-read event naming those persons (docs/access.md)."""
    elsewhere = {r.person_id for r in refusals if isinstance(r, PersonElsewhere)}
    if elsewhere:
        audit.record(
            actor_user=acting.principal,
            action=str(AuditAction.READ),
            channel=acting.channel,
            what=f"{what}:elsewhere",
            persons=elsewhere,
            outcome=str(AuditOutcome.DENIED),
            request=acting.request,
            endpoint=acting.endpoint,
        )


def _batch_person(acting: Acting, duf: str) -> m.Person | AccessRefused:
    """The person of a batch's items if ``acting`` may register on them, else the refusal. Not locked
    here: ``services.register_many`` locks all the batch's persons in id order."""
    person, rows = person_by_duf(duf, (m.FollowUp,)) if is_duf(duf) else (None, [])
    try:
        if acting.unrestricted:
            if person is None:
                raise PersonNotFound(duf)
            return person
        return check_person(acting.principal, person, rows, duf=duf, write=True)
    except AccessRefused as e:
        return e


def refused_by_access(e: AccessRefused) -> RegistrationRefused:
    """An access refusal as a registration refusal (for a command's line-by-line report)."""
    rule = "read_only_scope" if isinstance(e, ReadOnly) else "not_found"
    return RegistrationRefused([Problem("duf", rule, str(e))])
