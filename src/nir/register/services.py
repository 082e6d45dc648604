"""The register's storage: the one place that writes registrations, beneath the action layer.

Every registration — from the web application, the API, an import, the rules engine — is made by
an action (``nir.actions``), which checks access, calls these functions and records the audit
event in the same transaction; nothing else calls them but the test builders (``nir.testing``;
enforced by ``tests/actions/test_only_actions_write.py``).
They validate (refusing with the field and rule named, storing nothing), have the Regelmotor judge
the write (``nir.register.derivation``, which only judges), write append-only rows with who, when
and from which source, supersede instead of overwriting, and store the person's new derived status
(``replace_statuses``: the one way a status is replaced), the Regelmotor's automatic closures
(``store_closures``) and the plausibility warnings of what was written (``store_warnings``: append-only
``PlausibilityWarning`` rows, for the work list «Datakvalitet»). The PostgreSQL fast paths they use
sit in ``write_sql``/``snapshot_sql``, each with its Django fallback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from nir import rules
from nir.db.pipeline import Pipeline
from nir.register import derivation as d
from nir.register import models as m
from nir.register import write_sql
from nir.register.actors import REGELMOTOR, Actor
from nir.register.derivation import CLOSURE_ANNUL_REASON, ENGINE_MODELS, GUARD_MODELS, REGELMOTOR_ACTOR, Changes
from nir.register.errors import ConcurrentChange, Problem, RegistrationRefused
from nir.register.interchange import ParsedPerson
from nir.register.kinds import BY_MODEL as KIND_OF_MODEL
from nir.register.snapshot_sql import current_rows, current_rows_many, lock_persons
from nir.register.validation import reference, text_problems, validate_duf, validate_fact
from nir.rules import plausibility

_R = TypeVar("_R", bound=m.Registration)
# Facts written with the one judged: (model, field values) of each.
_Extra = Sequence[tuple[type[m.Registration], dict[str, Any]]]

CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass
class Outcome:
    row: m.Registration | m.Person
    warnings: list[Problem] = field(default_factory=list)
    # What the rules guard judged the write by (None when the write was not evaluated): the
    # Regelmotor's result after the write, and the person's current engine rows it was computed from.
    result: Any = None
    rows: list[m.Registration] | None = None
    # The person's current follow-up periods as the write's access check read them (set by the action).
    follow_ups: list[m.FollowUp] | None = None


def _registration_time(at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise RegistrationRefused([Problem("registered_at", "timezone_required", "tidspunktet må ha tidssone")])
    if at > now + CLOCK_SKEW:
        raise RegistrationRefused(
            [Problem("registered_at", "registered_in_future", "registreringstidspunktet er fram i tid")]
        )
    return at


def _starts_programme(scheme: str | None, decision_type: str | None, start_date: dt.date | None) -> bool:
    return scheme == "intro" and decision_type == "participation" and bool(start_date)


def programme_start(
    person: m.Person | None, extra: _Extra = (), *, rows: list[m.Registration] | None = None
) -> dt.date | None:
    """Start date in the first participation decision of the introduction programme (regelmotor.md § 4).

    ``rows``: the person's current rows, when already read (the bulk path); else they are queried.
    """
    starts = []
    if rows is not None:
        starts += [
            r.start_date
            for r in rows
            if isinstance(r, m.Decision) and _starts_programme(r.scheme, r.decision_type, r.start_date)
        ]
    elif person is not None and person.pk:
        starts += list(
            m.Decision.objects.current()
            .filter(person=person, scheme="intro", decision_type="participation", start_date__isnull=False)
            .values_list("start_date", flat=True)
        )
    starts += [
        v["start_date"]
        for model, v in extra
        if model is m.Decision and _starts_programme(v.get("scheme"), v.get("decision_type"), v.get("start_date"))
    ]
    # Every start is set (_starts_programme and the query require it); the filter tells mypy.
    return min((s for s in starts if s is not None), default=None)


def _check(
    model: type[m.Registration],
    values: dict[str, Any],
    *,
    path: str,
    at: dt.datetime,
    person: m.Person | None = None,
    extra: _Extra = (),
    rows: list[m.Registration] | None = None,
) -> list[Problem]:
    problems, warnings = validate_fact(
        model,
        values,
        path=path,
        registered_on=timezone.localdate(at),
        programme_start=programme_start(person, list(extra), rows=rows) if model is m.FinalGoal else None,
    )
    if problems:
        raise RegistrationRefused(problems)
    return warnings


def _new_row(
    model: type[_R],
    person: m.Person,
    values: dict[str, Any],
    actor: Actor,
    at: dt.datetime,
    *,
    operation: str = m.Operation.CREATE,
    supersedes: m.Registration | None = None,
    reason: str = "",
) -> _R:
    return model(
        person=person,
        operation=operation,
        supersedes=supersedes,
        change_reason=reason,
        recorded_at=at,
        **actor.row_fields(),
        **values,
    )


@transaction.atomic
def create_person(
    duf: str, details: dict[str, Any], actor: Actor, *, at: dt.datetime | None = None, evaluate: bool = True
) -> Outcome:
    """Create a person (anchor + details). Refuses an invalid or existing DUF number."""
    at = _registration_time(at)
    problems = validate_duf(duf)
    if not problems and m.Person.objects.filter(duf=duf).exists():
        problems.append(Problem("duf", "duf_exists", f"det finnes allerede en person med DUF-nummer {duf}"))
    if problems:
        raise RegistrationRefused(problems)
    warnings = _check(m.PersonDetails, details, path="person", at=at)
    try:
        with transaction.atomic():
            person = m.Person.objects.create(duf=duf, recorded_at=at, source_system=actor.source_system)
    except IntegrityError:
        raise RegistrationRefused(
            [Problem("duf", "duf_exists", f"det finnes allerede en person med DUF-nummer {duf}")]
        ) from None
    with _guard(person, at, evaluate, path="person") as changes:
        row = _new_row(m.PersonDetails, person, details, actor, at)
        row.save()
        changes.add(row)
    return Outcome(person, warnings)


def _before_person(person: m.Person, at: dt.datetime) -> None:
    if at < person.recorded_at:
        raise RegistrationRefused(
            [Problem("registered_at", "before_person", "personen var ikke registrert på dette tidspunktet")]
        )


def register(
    person: m.Person,
    model: type[m.Registration],
    values: dict[str, Any],
    actor: Actor,
    *,
    at: dt.datetime | None = None,
    evaluate: bool = True,
    savepoint: bool = True,
    locked_rows: list[m.Registration] | None = None,
    pipeline: Pipeline | None = None,
) -> Outcome:
    """Register one new fact about a person.

    Nothing is written before the fact is validated and the Regelmotor has judged the person with
    it; then the row and the person's new status are stored all or nothing (``rules_guard``). In a
    caller's transaction a refusal or failure leaves that transaction as it was — unless the caller
    says ``savepoint=False``: its transaction is this one write, and fails with it (the API).

    ``locked_rows``: the person's current rows of ``GUARD_MODELS``, read under the person's lock in
    this transaction (``snapshot_sql.person_by_duf(lock=True)``, the action's access check): the
    guard then reads nothing more. ``pipeline``: the ``write_sql.atomic_pipelined`` transaction the
    write is made in (with ``savepoint=False`` its statements go to the server with the COMMIT).
    """
    at = _registration_time(at)
    _before_person(person, at)
    warnings = _check(model, values, path=model.FACT_KEY or model.__name__, at=at, person=person)
    row = _new_row(model, person, values, actor, at)
    if not evaluate:
        with transaction.atomic():
            row.save()
        return Outcome(row, warnings)
    conn = connections[router.db_for_write(model)]
    nested = conn.in_atomic_block
    # Own transaction when called outside one (the person's lock is held until it ends); inside the
    # caller's, the guard's own savepoint (sent with the writes) keeps that transaction usable.
    with contextlib.nullcontext() if nested else transaction.atomic(using=conn.alias):
        with rules_guard(
            person, at, path=model.FACT_KEY, savepoint=nested and savepoint, rows=locked_rows, pipeline=pipeline
        ) as changes:
            changes.insert(row)
    return Outcome(row, warnings + changes.warnings, changes.result, changes.engine_rows)


def _supersede(row: m.Registration, at: dt.datetime) -> None:
    if at < row.recorded_at:
        raise RegistrationRefused(
            [Problem("registered_at", "before_original", "en korreksjon kan ikke registreres før det den korrigerer")]
        )
    # Only a current version: not one already superseded, nor an annulment (a tombstone is never
    # current, though nothing supersedes it), which would bring the annulled fact back.
    updated = (
        type(row)
        .objects.filter(pk=row.pk, superseded_at__isnull=True)
        .exclude(operation=m.Operation.ANNUL)
        .update(superseded_at=at)
    )
    if updated != 1:
        raise ConcurrentChange.already_superseded()
    row.superseded_at = at


@transaction.atomic
def correct(
    row: m.Registration,
    changes: dict[str, Any],
    reason: str,
    actor: Actor,
    *,
    at: dt.datetime | None = None,
    evaluate: bool = True,
) -> Outcome:
    """Correct a registered fact: a new row supersedes it; the old one stays readable."""
    at = _registration_time(at)
    if not reason or not reason.strip():
        raise RegistrationRefused([Problem("reason", "reason_required", "en korreksjon må ha en begrunnelse")])
    if bad := text_problems(reason, "reason"):
        raise RegistrationRefused(bad)
    unknown = set(changes) - set(row.FACT_FIELDS)
    if unknown:
        raise RegistrationRefused([Problem(f, "unknown_field", "ukjent felt") for f in sorted(unknown)])
    values = row.fact_values() | changes
    warnings = _check(type(row), values, path=row.FACT_KEY or type(row).__name__, at=at, person=row.person)
    with _guard(row.person, at, evaluate, path=row.FACT_KEY) as done:  # (``changes`` is the argument)
        _supersede(row, at)
        new = _new_row(
            type(row),
            row.person,
            values,
            actor,
            at,
            operation=m.Operation.CORRECT,
            supersedes=row,
            reason=reason.strip(),
        )
        new.save()
        done.remove(row)
        done.add(new)
    return Outcome(new, warnings + done.warnings)


@transaction.atomic
def annul(
    row: m.Registration, reason: str, actor: Actor, *, at: dt.datetime | None = None, evaluate: bool = True
) -> Outcome:
    """Delete a registered fact: an annulment row supersedes it; nothing is physically deleted."""
    at = _registration_time(at)
    if not reason or not reason.strip():
        raise RegistrationRefused([Problem("reason", "reason_required", "en sletting må ha en begrunnelse")])
    if bad := text_problems(reason, "reason"):
        raise RegistrationRefused(bad)
    if isinstance(row, m.PersonDetails):
        raise RegistrationRefused(
            [Problem("id", "details_not_annullable", "personopplysninger kan korrigeres, ikke slettes")]
        )
    with _guard(row.person, at, evaluate, path=row.FACT_KEY) as changes:
        _supersede(row, at)
        tomb = _new_row(
            type(row),
            row.person,
            row.fact_values(),
            actor,
            at,
            operation=m.Operation.ANNUL,
            supersedes=row,
            reason=reason.strip(),
        )
        tomb.save()
        changes.remove(row)  # a tombstone is never current
    return Outcome(tomb)


STATUS_REASON = "Ny vurdering av Regelmotor"


def derived_row(
    person: m.Person | int,
    model: type[_R],
    values: dict[str, Any],
    actor: Actor,
    at: dt.datetime,
    supersedes: m.Registration | None,
) -> _R:
    """An unsaved row of a value the Regelmotor derived, superseding ``supersedes`` (or None).
    ``person``: the person or their id."""
    whose = {"person": person} if isinstance(person, m.Person) else {"person_id": person}
    return model(
        **whose,
        operation=m.Operation.CORRECT if supersedes is not None else m.Operation.CREATE,
        supersedes=supersedes,
        change_reason=STATUS_REASON if supersedes is not None else "",
        recorded_at=at,
        **actor.row_fields(),
        **values,
    )


# --- the person's derived status: the one way it is replaced ---------------------------


def status_row(
    person: m.Person | int, values: dict[str, Any], at: dt.datetime, current: m.DerivedStatus | None
) -> m.DerivedStatus:
    """The new DerivedStatus (``derivation.status_values``) replacing ``current`` (or None), registered by
    the Regelmotor. It is recorded no earlier than the status it replaces: when history is loaded out
    of registration order, the Regelmotor's new evaluation still follows the previous one."""
    when = max(at, current.recorded_at) if current is not None else at
    return derived_row(person, m.DerivedStatus, values, REGELMOTOR_ACTOR, when, current)


def replace_statuses(
    statuses: Sequence[m.DerivedStatus],
    *,
    rows: Sequence[m.Registration] = (),
    savepoint: bool = True,
    pipeline: Pipeline | None = None,
) -> None:
    """Store new DerivedStatus rows (``status_row``), each superseding its ``supersedes`` only while
    that is still current (else ``ConcurrentChange`` and nothing is stored): the one way a derived
    status is replaced, by a single write, a batch and the re-evaluation of the register alike.

    One status (a single write; ``rows``: the write's own new rows, stored first) goes through
    ``write_sql.store_judged`` — one round trip on PostgreSQL, all or nothing (``savepoint``, ``pipeline``:
    as there). Many (a batch, a re-evaluation) in two statements per ``BULK_BATCH``: supersede the
    current ones, insert the new ones.
    """
    if len(statuses) <= 1:
        write_sql.store_judged(list(rows), statuses[0] if statuses else None, savepoint=savepoint, pipeline=pipeline)
        return
    if rows:
        raise ValueError("a write's own rows are stored with one status only")
    by_time: dict[dt.datetime, list[int]] = {}
    for status in statuses:
        if status.supersedes_id is not None:
            by_time.setdefault(status.recorded_at, []).append(status.supersedes_id)
    limit = connections[router.db_for_write(m.DerivedStatus)].features.max_query_params  # SQLite: 999
    per_statement = min(BULK_BATCH, limit or BULK_BATCH)
    with transaction.atomic(savepoint=savepoint):
        for when, pks in by_time.items():
            for lo in range(0, len(pks), per_statement):
                chunk = pks[lo : lo + per_statement]
                updated = m.DerivedStatus.objects.filter(pk__in=chunk, superseded_at__isnull=True).update(
                    superseded_at=when
                )
                if updated != len(chunk):
                    raise ConcurrentChange.already_superseded()
        m.DerivedStatus.objects.bulk_create(statuses, batch_size=BULK_BATCH)
    for status in statuses:
        if m.DerivedStatus.supersedes.is_cached(status) and status.supersedes is not None:
            status.supersedes.superseded_at = status.recorded_at


# --- the rules guard: judge a write, then store it with the person's new status ---------------


@contextlib.contextmanager
def rules_guard(
    person: m.Person,
    at: dt.datetime,
    *,
    path: str = "",
    savepoint: bool = True,
    rows: list[m.Registration] | None = None,
    pipeline: Pipeline | None = None,
) -> Iterator[Changes]:
    """Evaluate after a write (and before it, when needed to compare errors); refuse the write if it
    brings a rule error; store the result.

    Use inside the write's transaction, around the write itself; report the rows the write added or
    superseded on the yielded ``Changes``. The person is locked first (``snapshot_sql.lock_person``,
    in the same round trip as the read): writers of one person take turns — unless ``rows`` are
    given: the person's current rows of ``GUARD_MODELS`` already read under that lock in this
    transaction (the action's access check), so nothing is read again.

    Rows given to ``Changes.insert`` are not stored by the write but by the guard, after the
    Regelmotor (``derivation.judge_write``) has accepted them: with the person's new status, all or
    nothing (``savepoint``: on failure the caller's transaction is left as it was), in one round trip
    on PostgreSQL (``replace_statuses``).
    """
    as_of = timezone.localdate(at)
    if person.pk and rows is None:
        rows = current_rows(person.pk, GUARD_MODELS, lock=True)
    rows = rows or []
    engine_rows = [r for r in rows if not isinstance(r, m.DerivedStatus)]
    stored = next((r for r in rows if isinstance(r, m.DerivedStatus)), None)
    # evaluated only if the write leaves rule errors (judge_write)
    before = partial(d.before_write, person, engine_rows, stored, as_of)
    changes = Changes()
    yield changes
    rows = changes.apply(rows) if changes.complete else current_rows(person.pk, GUARD_MODELS)
    engine_rows = [r for r in rows if not isinstance(r, m.DerivedStatus)]
    _judge_plausibility(changes, engine_rows, as_of, path)
    after = d.judge_write(person, engine_rows, before, as_of, path=path)
    changes.result, changes.engine_rows = after, engine_rows
    current = next((r for r in rows if isinstance(r, m.DerivedStatus)), None)
    if d.closing(after, current):
        # Terminations matter only where a closure is or was derived (rare): read them only then, and
        # store step by step.
        with transaction.atomic(savepoint=savepoint):
            for row in changes.pending:
                row.save()
            store_result(person, after, at, current=current)
            store_warnings(changes.findings, at)
        return
    values = d.status_values(after)
    status = status_row(person, values, at, current) if d.status_changed(current, values) else None
    if changes.pending or status is not None:
        # A write with warnings stores them with the row's id: its statements are not left queued.
        replace_statuses(
            [status] if status is not None else [],
            rows=changes.pending,
            savepoint=savepoint,
            pipeline=None if changes.findings else pipeline,
        )
    store_warnings(changes.findings, at)


def _judge_plausibility(changes: Changes, engine_rows: list[m.Registration], as_of: dt.date, path: str) -> None:
    """The plausibility checks (``derivation.judge_plausibility``) of the rows the write added:
    refuses on an error, else notes the warnings on ``changes``."""
    facts: dict[str, Any] | None = None
    for row in changes.added:
        if isinstance(row, m.PersonDetails) and row.supersedes_id is not None:  # a corrected birth date
            _judge_birth_date(row.person_id, engine_rows, as_of, path)
        if type(row) not in KIND_OF_MODEL:
            continue
        if facts is None:
            facts = d.plausibility_facts(engine_rows)
        warnings, findings = d.judge_plausibility(type(row), row.fact_values(), facts, as_of, path=path)
        if findings:
            changes.warnings += warnings
            changes.findings.append((row, findings))


# The kinds the rules guard does not read, read for a corrected birth date only (it is rare).
_NOT_GUARDED = tuple(mdl for mdl in KIND_OF_MODEL if mdl not in GUARD_MODELS)


def _judge_birth_date(person_id: int, engine_rows: list[m.Registration], as_of: dt.date, path: str) -> None:
    """The person's details as ``engine_rows`` now hold them (a corrected birth date): refused, on the
    birth date, if a current registration of the person of any kind is dated before it (the
    plausibility rule ``date_before_birth``, an error for a new registration too)."""
    facts = d.plausibility_facts(engine_rows)
    problems = [
        Problem(f"{path}.birth_date" if path else "birth_date", f.rule, f.message)
        for row in [*engine_rows, *current_rows(person_id, _NOT_GUARDED)]
        if type(row) in KIND_OF_MODEL
        for f in d.plausibility_findings(type(row), row.fact_values(), facts, as_of)
        if f.rule == "date_before_birth"
    ]
    if problems:
        raise RegistrationRefused(problems)


def store_warnings(judged: Sequence[tuple[m.Registration, Sequence[plausibility.Finding]]], at: dt.datetime) -> None:
    """Store the plausibility warnings of stored rows (each with its id), append-only."""
    rows = [
        m.PlausibilityWarning(
            person_id=row.person_id,
            kind=KIND_OF_MODEL[type(row)].name,
            registration_id=row.pk,
            rule=f.rule,
            field=f.field,
            message=f.message,
            recorded_at=max(at, row.recorded_at),
        )
        for row, findings in judged
        for f in findings
        if not f.is_error
    ]
    if rows:
        if any(r.registration_id is None for r in rows):
            raise RuntimeError("a plausibility warning of a row without an id")
        m.PlausibilityWarning.objects.bulk_create(rows)


_UNSET_STATUS = object()


def store_result(
    person: m.Person,
    result: rules.Result,
    at: dt.datetime,
    *,
    current: Any = _UNSET_STATUS,  # m.DerivedStatus | None, or _UNSET_STATUS: read it
    terminations: list[m.Termination] | None = None,
) -> tuple[bool, int, int]:
    """Store what the Regelmotor derived (``result``), superseding only what changed.

    ``current`` (the person's current DerivedStatus or None) and ``terminations`` (their current
    terminations) may be passed when already read. Returns (status changed, closures created,
    closures annulled).
    """
    values = d.status_values(result)
    if current is _UNSET_STATUS:
        current = m.DerivedStatus.objects.current().filter(person=person).first()
    changed = d.status_changed(current, values)
    if changed:
        replace_statuses([status_row(person, values, at, current)], savepoint=False)
    created, annulled = store_closures(person, result, at, terminations)
    return changed, created, annulled


def store_closures(
    person: m.Person, result: rules.Result, at: dt.datetime, terminations: list[m.Termination] | None = None
) -> tuple[int, int]:
    """Register (or annul) the Regelmotor's automatic avslutning so that it matches ``result``
    (``derivation.plan_closures``). Returns (closures created, closures annulled)."""
    closure = result.intro.closed
    if terminations is None:
        if (
            closure is None
            and not m.Termination.objects.current()
            .filter(person=person, registered_by_kind=m.ActorKind.SYSTEM, registered_by_system=REGELMOTOR)
            .exists()
        ):
            return 0, 0
        terminations = list(m.Termination.objects.current().filter(person=person))
    to_annul, wanted = d.plan_closures(result, terminations, lambda day: d.follow_up_municipality(person, day))
    for row in to_annul:
        annul(row, CLOSURE_ANNUL_REASON, REGELMOTOR_ACTOR, at=max(at, row.recorded_at), evaluate=False)
    if wanted is not None:
        register(person, m.Termination, wanted, REGELMOTOR_ACTOR, at=at, evaluate=False)
    return (0 if wanted is None else 1), len(to_annul)


def _guard(
    person: m.Person,
    at: dt.datetime,
    evaluate: bool,
    *,
    path: str,
) -> contextlib.AbstractContextManager[Changes]:
    """The rules guard around a write, or nothing for the Regelmotor's own writes."""
    if not evaluate:
        return contextlib.nullcontext(Changes())
    return rules_guard(person, at, path=path)


# --- many registrations at once (POST /batches) -----------------------------------


@dataclass
class ItemOutcome:
    """What ``register_many`` did with one item: the stored row and its warnings, or the refusal."""

    row: m.Registration | None = None
    warnings: list[Problem] = field(default_factory=list)
    error: RegistrationRefused | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None

    @property
    def problems(self) -> list[Problem]:
        return self.error.problems if self.error is not None else []


_UNSET = object()


# What a closure needs besides the guard's rows: read only for persons where one is or may be derived.
CLOSURE_MODELS = (m.FollowUp, m.Termination)


class _PersonInBatch:
    """One person of a batch as the register holds them after the batch's accepted items so far:
    their current rows (stored ones, then those to be stored, in the order they will be), the
    status the Regelmotor would hold and the evaluation the next item is judged against."""

    def __init__(self, person: m.Person, rows: list[m.Registration], closure_rows: list[m.Registration] | None):
        self.person = person
        engine = set(ENGINE_MODELS)
        self.engine_rows = [r for r in rows if type(r) in engine]
        self.stored: m.DerivedStatus | None = next((r for r in rows if isinstance(r, m.DerivedStatus)), None)
        self.status: m.DerivedStatus | dict[str, Any] | None = self.stored  # the current status (row or values)
        self.status_changed = False
        self.before: Any = _UNSET  # rules.Result | None once the first item is judged
        # Follow-up periods and terminations, as the guard reads terminations: only where needed.
        self._closure_rows: dict[type[m.Registration], list[m.Registration]] | None = None
        self._added: list[m.Registration] = []  # of CLOSURE_MODELS, accepted before those were read
        if closure_rows is not None:
            self._set_closure_rows(closure_rows)

    def _set_closure_rows(self, rows: list[m.Registration]) -> None:
        self._closure_rows = {mdl: [r for r in [*rows, *self._added] if type(r) is mdl] for mdl in CLOSURE_MODELS}

    def closure_rows(self, model: type[_R]) -> list[_R]:
        """The person's current rows of ``model`` (a CLOSURE_MODELS), read now if not read yet."""
        if self._closure_rows is None:
            self._set_closure_rows(current_rows(self.person.pk, CLOSURE_MODELS))
        assert self._closure_rows is not None  # set just above
        return cast(list[_R], self._closure_rows[model])  # each list holds the rows of its model

    def add(self, row: m.Registration) -> None:
        if type(row) in CLOSURE_MODELS:
            (self._added if self._closure_rows is None else self._closure_rows[type(row)]).append(row)

    def drop(self, row: m.Registration) -> None:
        # Only a closure row the batch read (closure_rows) is dropped: the rows are read by then.
        assert self._closure_rows is not None
        rows = self._closure_rows[type(row)]
        rows[:] = [r for r in rows if r is not row]


class _Writes:
    """The batch's writes in the order the one-at-a-time path would make them; made at the end."""

    def __init__(self) -> None:
        self.ops: list[tuple[Any, ...]] = []  # ("insert", row) or ("annul", row, time)
        self.findings: list[tuple[m.Registration, list[plausibility.Finding]]] = []  # stored after the rows

    def insert(self, row: m.Registration) -> None:
        self.ops.append(("insert", row))

    def annul(self, row: m.Registration, at: dt.datetime) -> None:
        self.ops.append(("annul", row, at))

    def run(self) -> None:
        pending: dict[type[m.Registration], list[m.Registration]] = {}

        def flush() -> None:
            for model, rows in pending.items():
                model.objects.bulk_create(rows, batch_size=BULK_BATCH)
            pending.clear()

        for op in self.ops:
            if op[0] == "insert":
                pending.setdefault(type(op[1]), []).append(op[1])
            else:  # an automatic closure to annul (rare): what precedes it is stored first
                flush()
                annul(op[1], CLOSURE_ANNUL_REASON, REGELMOTOR_ACTOR, at=op[2], evaluate=False)
        flush()


BULK_BATCH = 2_000  # rows per INSERT statement


@transaction.atomic
def register_many(
    items: Sequence[tuple[m.Person, type[m.Registration], dict[str, Any]]],
    actor: Actor,
    *,
    at: dt.datetime | None = None,
) -> list[ItemOutcome]:
    """Register many facts, as ``register`` each in its own savepoint, in order — but in bulk.

    The outcome of each item (and what is stored) is what calling ``register(person, model, values,
    actor, at=at)`` for the items one after the other, each in a savepoint, gives: a refused item
    (``ItemOutcome.error``) leaves nothing behind; a later item sees the rows of the earlier
    accepted ones of its person. The persons are locked and read once (``current_rows_many``),
    every item is validated (``_check``) and judged by the Regelmotor in memory with the same
    functions as the rules guard (``derivation.before_write``/``judge_write``/``plan_closures``),
    the accepted rows are inserted with ``bulk_create``, and each person's DerivedStatus is
    written once, from the last evaluation, if it changed. Not written: the intermediate
    DerivedStatus versions the one-at-a-time path stores between two items of the same person.
    All items are registered at the same ``at`` (now when not given).
    """
    items = list(items)
    try:
        at = _registration_time(at)
    except RegistrationRefused as e:
        return [ItemOutcome(error=e) for _ in items]
    if not items:
        return []
    as_of = timezone.localdate(at)
    ids = sorted({person.pk for person, _model, _values in items})
    lock_persons(ids)
    read = current_rows_many(ids, d.GUARD_MODELS)
    # Terminations and follow-up periods of the persons whose status has a closure or who have none
    # yet, at once (as the guard reads them); of others only if the batch derives a closure for them.
    closing = [
        pid for pid in ids if d.closing_possible(next((r for r in read[pid] if isinstance(r, m.DerivedStatus)), None))
    ]
    closure_rows = current_rows_many(closing, CLOSURE_MODELS) if closing else {}
    persons: dict[int, _PersonInBatch] = {}
    writes = _Writes()
    outcomes = []
    for person, model, values in items:
        state = persons.get(person.pk)
        if state is None:
            state = persons[person.pk] = _PersonInBatch(person, read[person.pk], closure_rows.get(person.pk))
        try:
            outcomes.append(_register_in_batch(state, person, model, values, actor, at, as_of, writes))
        except RegistrationRefused as e:
            outcomes.append(ItemOutcome(error=e))
    writes.run()
    store_warnings(writes.findings, at)
    _store_statuses([s for s in persons.values() if s.status_changed], at)
    return outcomes


def _register_in_batch(
    state: _PersonInBatch,
    person: m.Person,
    model: type[m.Registration],
    values: dict[str, Any],
    actor: Actor,
    at: dt.datetime,
    as_of: dt.date,
    writes: _Writes,
) -> ItemOutcome:
    """``register`` of one item against the person's state in memory; refuses before changing anything."""
    _before_person(person, at)
    warnings = _check(
        model, values, path=model.FACT_KEY or model.__name__, at=at, person=person, rows=state.engine_rows
    )
    row = _new_row(model, person, values, actor, at)
    # The rules guard (rules_guard), with the rows in memory.
    if state.before is _UNSET:
        state.before = d.before_write(state.person, state.engine_rows, state.stored, as_of)
    changes = d.Changes()
    changes.add(row)
    engine_rows = changes.apply(state.engine_rows)
    plausible, findings = d.judge_plausibility(
        model, values, d.plausibility_facts(engine_rows), as_of, path=model.FACT_KEY
    )
    if model not in d.ENGINE_MODELS and state.before is not None:
        after = state.before  # the same facts on the same day: the same result, no new error
    else:
        after = d.judge_write(state.person, engine_rows, state.before, as_of, path=model.FACT_KEY)
    # What store_result would write: the automatic closure (the status is written at the end).
    to_annul: list[m.Termination] = []
    closure: m.Termination | None = None
    if d.closing(after, state.status):
        follow_ups = state.closure_rows(m.FollowUp) + ([row] if isinstance(row, m.FollowUp) else [])
        terminations = state.closure_rows(m.Termination) + ([row] if isinstance(row, m.Termination) else [])
        settlements = [r for r in engine_rows if isinstance(r, m.Settlement)]
        to_annul, wanted = d.plan_closures(
            after, terminations, lambda day: d.follow_up_municipality_in(follow_ups, settlements, day)
        )
        if wanted is not None:
            # as register(..., evaluate=False) does for the Regelmotor's closure: a refusal refuses the item
            _check(m.Termination, wanted, path=m.Termination.FACT_KEY, at=at, person=person)
            closure = _new_row(m.Termination, person, wanted, d.REGELMOTOR_ACTOR, at)

    # Accepted: the person's state moves on.
    writes.insert(row)
    if findings:
        writes.findings.append((row, findings))
    state.engine_rows = engine_rows
    state.add(row)
    for old in to_annul:
        writes.annul(old, max(at, old.recorded_at))
        state.drop(old)
    if closure is not None:
        writes.insert(closure)
        state.add(closure)
    values_now = d.status_values(after)
    if d.status_changed(state.status, values_now):
        state.status = values_now
        state.status_changed = True
    state.before = after
    return ItemOutcome(row, warnings + plausible)


def _store_statuses(changed: list[_PersonInBatch], at: dt.datetime) -> None:
    """Each person's new DerivedStatus, as a single write stores it (``replace_statuses``)."""
    # status_changed: ``status`` holds the new values (a dict, set in _register_in_batch).
    replace_statuses(
        [status_row(state.person, cast(dict[str, Any], state.status), at, state.stored) for state in changed]
    )


# --- import of whole persons (interchange format) ---------------------------------


@dataclass
class ImportResult:
    person: m.Person
    created: int
    annulled: int
    corrected: int
    warnings: list[Problem]


def validate_parsed(
    parsed: ParsedPerson,
    *,
    at: dt.datetime,
    existing: m.Person | None = None,
    findings: dict[int, list[plausibility.Finding]] | None = None,
) -> tuple[list[Problem], list[Problem]]:
    """All problems and warnings of one interchange line; touches nothing. ``findings``: filled with
    each item's plausibility warnings, by ``id`` of the item's values (to store them with its row)."""
    problems = list(parsed.problems)
    warnings: list[Problem] = []
    if parsed.duf:
        problems += validate_duf(parsed.duf)
    ref = reference()
    day = timezone.localdate(at)
    if parsed.details:
        p, w = validate_fact(m.PersonDetails, parsed.details, path="facts", registered_on=day, ref=ref)
        # the names are keys of the line itself, not of its facts: name the key the line used
        problems += [
            Problem(x.field[len("facts.") :], x.rule, x.message)
            if x.field in ("facts.first_name", "facts.last_name")
            else x
            for x in p
        ]
        warnings += w
    extra = [(it.model, it.values) for it in parsed.items]
    start = programme_start(existing, extra)
    facts = d.plausibility_facts([(m.PersonDetails, parsed.details or {}), *extra])
    for it in parsed.items:
        item_day = timezone.localdate(it.registered_at) if it.registered_at else day
        p, w = validate_fact(it.model, it.values, path=it.path, registered_on=item_day, programme_start=start, ref=ref)
        problems += p
        warnings += w
        try:
            w, found = d.judge_plausibility(it.model, it.values, facts, item_day, path=it.path, interchange=True)
        except RegistrationRefused as e:
            problems += [x for x in e.problems if x.field not in {y.field for y in p}]
            continue
        warnings += w
        if found and findings is not None:
            findings[id(it.values)] = found
    if parsed.follow_up_municipality and ref.municipality_valid(parsed.follow_up_municipality, day) is None:
        problems.append(
            Problem(
                "follow_up_municipality",
                "unknown_municipality",
                f"ukjent kommunenummer {parsed.follow_up_municipality!r}",
            )
        )
    return problems, warnings


def _derived_follow_up(parsed: ParsedPerson) -> dict[str, Any] | None:
    """A follow-up period from the line's ``follow_up_municipality`` when no ``follow_up`` list is given."""
    if not parsed.follow_up_municipality or any(it.model is m.FollowUp for it in parsed.items):
        return None
    settled = [
        it.values["settlement_date"]
        for it in parsed.items
        if it.model is m.Settlement and it.values.get("municipality") == parsed.follow_up_municipality
    ]
    permits = [it.values["decision_date"] for it in parsed.items if it.model is m.ResidencePermit]
    start = min(settled) if settled else (min(permits) if permits else None)
    if start is None:
        return None
    return {"municipality": parsed.follow_up_municipality, "district": "", "valid_from": start, "valid_to": None}


# Fields that identify a fact when a snapshot is compared with the register
# (--update): the interchange format does not carry the others.
SNAPSHOT_KEY_FIELDS: dict[type[m.Registration], tuple[str, ...]] = {
    m.FinalGoal: ("scheme", "goal"),
}


@transaction.atomic
def import_person(
    parsed: ParsedPerson, actor: Actor, *, at: dt.datetime | None = None, update: bool = False, evaluate: bool = True
) -> ImportResult:
    """Store one parsed interchange line, all or nothing.

    A new DUF number creates the person. An existing one is refused unless
    ``update``: then the line is the person's new snapshot — facts equal to a
    current one are kept, new ones created, current ones missing from the
    line annulled, and changed person details corrected.
    """
    at = _registration_time(parsed.registered_at or at)
    existing = m.Person.objects.filter(duf=parsed.duf).first() if parsed.duf else None
    findings: dict[int, list[plausibility.Finding]] = {}
    problems, warnings = validate_parsed(parsed, at=at, existing=existing, findings=findings)
    if existing is not None and not update:
        problems.append(
            Problem("duf", "duf_exists", f"personen med DUF-nummer {parsed.duf} finnes allerede (bruk --update)")
        )
    item_times = [it.registered_at for it in parsed.items if it.registered_at]
    for it in parsed.items:
        if it.registered_at and it.registered_at > timezone.now() + CLOCK_SKEW:
            problems.append(
                Problem(f"{it.path}.registered_at", "registered_in_future", "registreringstidspunktet er fram i tid")
            )
    if existing is not None:
        for it in parsed.items:
            if (it.registered_at or at) < existing.recorded_at:
                problems.append(
                    Problem(
                        f"{it.path}.registered_at",
                        "before_person",
                        "registreringstidspunktet er før personen ble registrert",
                    )
                )
    if problems:
        raise RegistrationRefused(problems)

    items = [(it.model, it.values, it.registered_at or at) for it in parsed.items]
    fu = _derived_follow_up(parsed)
    if fu:
        items.append((m.FollowUp, fu, at))

    if existing is None:
        first = min([at, *item_times])
        person = m.Person.objects.create(duf=parsed.duf, recorded_at=first, source_system=actor.source_system)
    else:
        person = existing
    created_rows: list[tuple[dict[str, Any], m.Registration]] = []
    with _guard(person, at, evaluate, path="facts") as changes:
        counts = _write_snapshot(
            person, parsed, items, actor, at, existing, first if existing is None else None, created_rows
        )
        changes.unknown()  # many rows at once: the guard reads the person again
        store_warnings([(row, findings[id(v)]) for v, row in created_rows if id(v) in findings], at)
    return ImportResult(person, *counts, warnings)


def _write_snapshot(
    person: m.Person,
    parsed: ParsedPerson,
    items: list[tuple[type[m.Registration], dict[str, Any], dt.datetime]],
    actor: Actor,
    at: dt.datetime,
    existing: m.Person | None,
    first: dt.datetime | None,
    created_rows: list[tuple[dict[str, Any], m.Registration]] | None = None,
) -> tuple[int, int, int]:
    """Write the line's facts; ``created_rows`` gets (values, row) of each row created from an item."""
    created = annulled = corrected = 0
    if existing is None:
        assert first is not None  # given for a new person
        m.PersonDetails.objects.create(person=person, recorded_at=first, **actor.row_fields(), **parsed.details)
        created += 1
    else:
        cur = m.PersonDetails.objects.current().filter(person=person).first()
        if cur is None or cur.fact_values() != {f: parsed.details.get(f) for f in m.PersonDetails.FACT_FIELDS}:
            if cur is not None:
                _supersede(cur, at)
            m.PersonDetails.objects.create(
                person=person,
                recorded_at=at,
                operation=m.Operation.CORRECT if cur else m.Operation.CREATE,
                supersedes=cur,
                change_reason="Oppdatert ved import" if cur else "",
                **actor.row_fields(),
                **parsed.details,
            )
            corrected += 1

    by_model: dict[type[m.Registration], list[tuple[dict[str, Any], dt.datetime]]] = {}
    for model, values, when in items:
        by_model.setdefault(model, []).append((values, when))
    models_in_scope = set(by_model) | (
        {mdl for mdl in m.REGISTRATION_MODELS if mdl is not m.PersonDetails} if existing else set()
    )
    for model in models_in_scope:
        wanted = by_model.get(model, [])
        if existing is not None:
            current = list(model.objects.current().filter(person=person))
            if model is m.Extension and sum(r.months for r in current if isinstance(r, m.Extension)) == sum(
                v["months"] for v, _ in wanted
            ):
                continue  # the format carries only the total; an equal total is the same extension
            fields = SNAPSHOT_KEY_FIELDS.get(model, model.FACT_FIELDS)
            remaining = []
            for values, when in wanted:
                key = {f: values.get(f) for f in fields}
                match = next((r for r in current if {f: getattr(r, f) for f in fields} == key), None)
                if match is not None:
                    current.remove(match)
                else:
                    remaining.append((values, when))
            for stale in current:
                if stale.registered_by_kind == m.ActorKind.SYSTEM and stale.registered_by_system == REGELMOTOR:
                    continue  # the Regelmotor's own registrations follow the rules, not the snapshot
                _supersede(stale, at)
                _new_row(
                    model,
                    person,
                    stale.fact_values(),
                    actor,
                    at,
                    operation=m.Operation.ANNUL,
                    supersedes=stale,
                    reason="Ikke med i importert øyeblikksbilde",
                ).save()
                annulled += 1
            wanted = remaining
        rows = [_new_row(model, person, values, actor, when) for values, when in wanted]
        if rows:
            model.objects.bulk_create(rows)
            created += len(rows)
            if created_rows is not None:
                created_rows += zip([values for values, _when in wanted], rows, strict=True)
    return created, annulled, corrected


# --- a move between municipalities (flytting) -------------------------------------------------


@dataclass
class Move:
    """What ``register_move`` stored: the follow-up period ended and the new one, the residences likewise."""

    ended_follow_up: m.FollowUp
    follow_up: m.FollowUp
    ended_residence: m.Residence | None
    residence: m.Residence
    outcome: Outcome


MOVE_REASON = "Flytting: ny oppfølgingskommune fra {date}"
# A move known in advance may be registered; not further ahead than this.
MOVE_AHEAD = dt.timedelta(days=366)


def register_move(
    person: m.Person,
    values: dict[str, Any],
    actor: Actor,
    *,
    at: dt.datetime | None = None,
    follow_ups: list[m.FollowUp] | None = None,
) -> Move:
    """Register a move (flytting): from ``values["move_date"]`` the person lives in and is followed up
    by ``values["municipality"]`` (and ``district``; ``address``, ``postal_code`` optional).

    Append-only: the follow-up period covering the move date and the residence covering it are
    corrected (a new row with ``valid_to`` the day before, superseding the old one, with the move as
    the reason), and a new follow-up period and residence start on the move date. The Regelmotor
    judges the person after the move (``rules_guard``): the deadlines follow the person. Refused
    (``RegistrationRefused``, nothing stored): no follow-up period on the move date, a move date on or
    before that period's start, a later period already registered, the same municipality and
    district, unknown municipality or district codes. ``follow_ups``: the person's current follow-up
    periods when already read under the person's lock (the action's access check).
    """
    at = _registration_time(at)
    _before_person(person, at)
    day = values.get("move_date")
    if not isinstance(day, dt.date):
        raise RegistrationRefused([Problem("move.move_date", "required", "flyttedato mangler")])
    municipality = str(values.get("municipality") or "")
    district = str(values.get("district") or "")
    if follow_ups is None:
        follow_ups = [r for r in current_rows(person.pk, (m.FollowUp,), lock=True) if isinstance(r, m.FollowUp)]
    covering = [r for r in follow_ups if r.valid_from <= day and (r.valid_to is None or day <= r.valid_to)]
    old = max(covering, key=lambda r: (r.valid_from, r.id), default=None)
    problems: list[Problem] = []
    if not municipality:
        problems.append(Problem("move.municipality", "required", "kommunen personen flytter til mangler"))
    if day > timezone.localdate(at) + MOVE_AHEAD:
        problems.append(
            Problem("move.move_date", "move_too_far_ahead", "en flytting kan registreres høyst ett år fram i tid")
        )
    if old is None:
        problems.append(
            Problem("move.move_date", "no_follow_up", "personen har ingen oppfølgingskommune på flyttedatoen")
        )
    else:
        if day <= old.valid_from:
            problems.append(
                Problem(
                    "move.move_date",
                    "move_before_period_start",
                    f"flyttedatoen må være etter at oppfølgingen i dag startet ({old.valid_from:%d.%m.%Y})",
                )
            )
        if any(r.valid_from > day for r in follow_ups):
            problems.append(
                Problem(
                    "move.move_date",
                    "later_follow_up",
                    "personen har en oppfølgingsperiode som starter etter flyttedatoen",
                )
            )
        if old.municipality == municipality and old.district == district:
            problems.append(
                Problem("move.municipality", "same_municipality", "personen følges allerede opp av denne kommunen")
            )
    new_follow_up = {"municipality": municipality, "district": district, "valid_from": day, "valid_to": None}
    new_residence = {
        "municipality": municipality,
        "district": district,
        "address": str(values.get("address") or ""),
        "postal_code": str(values.get("postal_code") or ""),
        "valid_from": day,
        "valid_to": None,
    }
    for model, v in ((m.FollowUp, new_follow_up), (m.Residence, new_residence)):
        found, _warnings = validate_fact(model, v, path="move", registered_on=timezone.localdate(at))
        problems += [p for p in found if p.field not in {q.field for q in problems}]
    if problems:
        raise RegistrationRefused(problems)
    assert old is not None  # refused above otherwise
    reason = MOVE_REASON.format(date=day.strftime("%d.%m.%Y"))
    before = day - dt.timedelta(days=1)
    residences = [
        r
        for r in current_rows(person.pk, (m.Residence,))
        if isinstance(r, m.Residence) and r.valid_from < day and (r.valid_to is None or r.valid_to >= day)
    ]
    with transaction.atomic():
        with rules_guard(person, at, path="move") as changes:
            ended_fu = _end_period(old, before, reason, actor, at)
            fu = _new_row(m.FollowUp, person, new_follow_up, actor, at)
            fu.save()
            ended_res = None
            for r in residences:
                ended = _end_period(r, before, reason, actor, at)
                changes.remove(r)
                changes.add(ended)
                ended_res = ended
            res = _new_row(m.Residence, person, new_residence, actor, at)
            res.save()
            changes.add(res)
    outcome = Outcome(fu, [], changes.result, changes.engine_rows)
    return Move(ended_fu, fu, ended_res, res, outcome)


def _end_period(row: _R, last_day: dt.date, reason: str, actor: Actor, at: dt.datetime) -> _R:
    """``row`` (a FollowUp or Residence period) ended on ``last_day``: a correction superseding it."""
    _supersede(row, at)
    values = row.fact_values() | {"valid_to": last_day}
    new = _new_row(
        type(row), row.person, values, actor, at, operation=m.Operation.CORRECT, supersedes=row, reason=reason
    )
    new.save()
    return new
