"""The one write path of the register.

Every registration — from the web application, the API, an import, the
rules engine — goes through these functions. They validate (refusing with
the field and rule named, storing nothing), write append-only rows with who,
when and from which source, and supersede instead of overwriting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from nir.register import models as m
from nir.register.actors import REGELMOTOR, Actor
from nir.register.errors import ConcurrentChange, Problem, RegistrationRefused
from nir.register.interchange import ParsedPerson
from nir.register.validation import reference, validate_duf, validate_fact

CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass
class Outcome:
    row: m.Registration | m.Person
    warnings: list[Problem] = field(default_factory=list)


def _registration_time(at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise RegistrationRefused([Problem("registered_at", "timezone_required", "tidspunktet må ha tidssone")])
    if at > now + CLOCK_SKEW:
        raise RegistrationRefused([Problem("registered_at", "registered_in_future", "registreringstidspunktet er fram i tid")])
    return at


def programme_start(person: m.Person | None, extra: list[tuple[type, dict]] = ()) -> dt.date | None:
    """Start date in the first participation decision of the introduction programme (regelmotor.md § 4)."""
    starts = []
    if person is not None and person.pk:
        starts += list(
            m.Decision.objects.current()
            .filter(person=person, scheme="intro", decision_type="participation", start_date__isnull=False)
            .values_list("start_date", flat=True)
        )
    starts += [
        v["start_date"] for model, v in extra
        if model is m.Decision and v.get("scheme") == "intro" and v.get("decision_type") == "participation" and v.get("start_date")
    ]
    return min(starts) if starts else None


def _check(model, values, *, path, at, person=None, extra=()) -> list[Problem]:
    problems, warnings = validate_fact(
        model, values, path=path, registered_on=timezone.localdate(at),
        programme_start=programme_start(person, list(extra)) if model is m.FinalGoal else None,
    )
    if problems:
        raise RegistrationRefused(problems)
    return warnings


def _new_row(model, person, values, actor: Actor, at, *, operation=m.Operation.CREATE, supersedes=None, reason=""):
    return model(
        person=person, operation=operation, supersedes=supersedes, change_reason=reason,
        recorded_at=at, **actor.row_fields(), **values,
    )


@transaction.atomic
def create_person(duf: str, details: dict[str, Any], actor: Actor, *, at: dt.datetime | None = None,
                  evaluate: bool = True) -> Outcome:
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
        raise RegistrationRefused([Problem("duf", "duf_exists", f"det finnes allerede en person med DUF-nummer {duf}")]) from None
    with _guard(person, at, evaluate, path="person") as changes:
        row = _new_row(m.PersonDetails, person, details, actor, at)
        row.save()
        changes.add(row)
    return Outcome(person, warnings)


@transaction.atomic
def register(person: m.Person, model: type[m.Registration], values: dict[str, Any], actor: Actor,
             *, at: dt.datetime | None = None, evaluate: bool = True) -> Outcome:
    """Register one new fact about a person."""
    at = _registration_time(at)
    if at < person.recorded_at:
        raise RegistrationRefused([Problem("registered_at", "before_person", "personen var ikke registrert på dette tidspunktet")])
    warnings = _check(model, values, path=model.FACT_KEY or model.__name__, at=at, person=person)
    row = _new_row(model, person, values, actor, at)
    with _guard(person, at, evaluate, path=model.FACT_KEY) as changes:
        row.save()
        changes.add(row)
    return Outcome(row, warnings)


def _supersede(row: m.Registration, at: dt.datetime) -> None:
    if at < row.recorded_at:
        raise RegistrationRefused([Problem("registered_at", "before_original",
                                           "en korreksjon kan ikke registreres før det den korrigerer")])
    updated = type(row).objects.filter(pk=row.pk, superseded_at__isnull=True).update(superseded_at=at)
    if updated != 1:
        raise ConcurrentChange([Problem("id", "already_superseded",
                                        "registreringen er allerede korrigert eller slettet; last siden på nytt")])
    row.superseded_at = at


@transaction.atomic
def correct(row: m.Registration, changes: dict[str, Any], reason: str, actor: Actor,
            *, at: dt.datetime | None = None, evaluate: bool = True) -> Outcome:
    """Correct a registered fact: a new row supersedes it; the old one stays readable."""
    at = _registration_time(at)
    if not reason or not reason.strip():
        raise RegistrationRefused([Problem("reason", "reason_required", "en korreksjon må ha en begrunnelse")])
    unknown = set(changes) - set(row.FACT_FIELDS)
    if unknown:
        raise RegistrationRefused([Problem(f, "unknown_field", "ukjent felt") for f in sorted(unknown)])
    values = row.fact_values() | changes
    warnings = _check(type(row), values, path=row.FACT_KEY or type(row).__name__, at=at, person=row.person)
    with _guard(row.person, at, evaluate, path=row.FACT_KEY) as changes:
        _supersede(row, at)
        new = _new_row(type(row), row.person, values, actor, at, operation=m.Operation.CORRECT, supersedes=row,
                       reason=reason.strip())
        new.save()
        changes.remove(row)
        changes.add(new)
    return Outcome(new, warnings)


@transaction.atomic
def annul(row: m.Registration, reason: str, actor: Actor, *, at: dt.datetime | None = None,
          evaluate: bool = True) -> Outcome:
    """Delete a registered fact: an annulment row supersedes it; nothing is physically deleted."""
    at = _registration_time(at)
    if not reason or not reason.strip():
        raise RegistrationRefused([Problem("reason", "reason_required", "en sletting må ha en begrunnelse")])
    if isinstance(row, m.PersonDetails):
        raise RegistrationRefused([Problem("id", "details_not_annullable", "personopplysninger kan korrigeres, ikke slettes")])
    with _guard(row.person, at, evaluate, path=row.FACT_KEY) as changes:
        _supersede(row, at)
        tomb = _new_row(type(row), row.person, row.fact_values(), actor, at, operation=m.Operation.ANNUL,
                        supersedes=row, reason=reason.strip())
        tomb.save()
        changes.remove(row)  # a tombstone is never current
    return Outcome(tomb)


def write_derived(person: m.Person, model: type[m.Registration], values: dict[str, Any], actor: Actor,
                  *, at: dt.datetime, supersedes: m.Registration | None = None) -> m.Registration:
    """Store a value the Regelmotor derived, superseding the previous derived row (no re-evaluation).

    Runs on every write, so it is written as (at most) two plain statements — on
    PostgreSQL one: the UPDATE that closes the old row and the INSERT of the new one
    in a single CTE, which inserts nothing if someone else superseded the row first.
    """
    if supersedes is not None and at < supersedes.recorded_at:
        raise RegistrationRefused([Problem("registered_at", "before_original",
                                           "en korreksjon kan ikke registreres før det den korrigerer")])
    row = _new_row(model, person, values, actor, at,
                   operation=m.Operation.CORRECT if supersedes is not None else m.Operation.CREATE,
                   supersedes=supersedes, reason="Ny vurdering av Regelmotor" if supersedes is not None else "")
    conn = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(getattr(row, f.attname), conn) for f in fields]
    table = model._meta.db_table
    with conn.cursor() as cur:
        if supersedes is None:
            cur.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks}) RETURNING id', params)
            got = cur.fetchone()
        elif conn.vendor == "postgresql":
            cur.execute(
                f'WITH old AS (UPDATE "{table}" SET superseded_at = %s WHERE id = %s AND superseded_at IS NULL '
                f'RETURNING id) INSERT INTO "{table}" ({cols}) SELECT {marks} WHERE EXISTS (SELECT 1 FROM old) '
                f"RETURNING id", [at, supersedes.pk, *params])
            got = cur.fetchone()
        else:
            cur.execute(f'UPDATE "{table}" SET superseded_at = %s WHERE id = %s AND superseded_at IS NULL',
                        [conn.ops.adapt_datetimefield_value(at), supersedes.pk])
            got = None
            if cur.rowcount == 1:
                cur.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks}) RETURNING id', params)
                got = cur.fetchone()
    if got is None:
        raise ConcurrentChange([Problem("id", "already_superseded",
                                        "registreringen er allerede korrigert eller slettet; last siden på nytt")])
    row.pk = got[0]
    row._state.adding = False
    if supersedes is not None:
        supersedes.superseded_at = at
    return row


def _guard(person: m.Person, at: dt.datetime, evaluate: bool, *, path: str):
    """The rules guard around a write (see nir.register.derivation), or nothing for the Regelmotor's own writes."""
    if not evaluate:
        from nir.register.derivation import Changes

        return contextlib.nullcontext(Changes())
    from nir.register.derivation import rules_guard

    return rules_guard(person, at, path=path)


# --- import of whole persons (interchange format) ---------------------------------

@dataclass
class ImportResult:
    person: m.Person
    created: int
    annulled: int
    corrected: int
    warnings: list[Problem]


def validate_parsed(parsed: ParsedPerson, *, at: dt.datetime, existing: m.Person | None = None) -> tuple[list[Problem], list[Problem]]:
    """All problems and warnings of one interchange line; touches nothing."""
    problems = list(parsed.problems)
    warnings: list[Problem] = []
    if parsed.duf:
        problems += validate_duf(parsed.duf)
    ref = reference()
    day = timezone.localdate(at)
    if parsed.details:
        p, w = validate_fact(m.PersonDetails, parsed.details, path="facts", registered_on=day, ref=ref)
        problems += p
        warnings += w
    extra = [(it.model, it.values) for it in parsed.items]
    start = programme_start(existing, extra)
    for it in parsed.items:
        item_day = timezone.localdate(it.registered_at) if it.registered_at else day
        p, w = validate_fact(it.model, it.values, path=it.path, registered_on=item_day, programme_start=start, ref=ref)
        problems += p
        warnings += w
    if parsed.follow_up_municipality and ref.municipality_valid(parsed.follow_up_municipality, day) is None:
        problems.append(Problem("follow_up_municipality", "unknown_municipality",
                                f"ukjent kommunenummer {parsed.follow_up_municipality!r}"))
    return problems, warnings


def _derived_follow_up(parsed: ParsedPerson) -> dict | None:
    """A follow-up period from the line's ``follow_up_municipality`` when no ``follow_up`` list is given."""
    if not parsed.follow_up_municipality or any(it.model is m.FollowUp for it in parsed.items):
        return None
    settled = [it.values["settlement_date"] for it in parsed.items
               if it.model is m.Settlement and it.values.get("municipality") == parsed.follow_up_municipality]
    permits = [it.values["decision_date"] for it in parsed.items if it.model is m.ResidencePermit]
    start = min(settled) if settled else (min(permits) if permits else None)
    if start is None:
        return None
    return {"municipality": parsed.follow_up_municipality, "district": "", "valid_from": start, "valid_to": None}


# Fields that identify a fact when a snapshot is compared with the register
# (--update): the interchange format does not carry the others.
SNAPSHOT_KEY_FIELDS: dict[type, tuple[str, ...]] = {
    m.FinalGoal: ("scheme", "goal"),
}


@transaction.atomic
def import_person(parsed: ParsedPerson, actor: Actor, *, at: dt.datetime | None = None, update: bool = False,
                  evaluate: bool = True) -> ImportResult:
    """Store one parsed interchange line, all or nothing.

    A new DUF number creates the person. An existing one is refused unless
    ``update``: then the line is the person's new snapshot — facts equal to a
    current one are kept, new ones created, current ones missing from the
    line annulled, and changed person details corrected.
    """
    at = _registration_time(parsed.registered_at or at)
    existing = m.Person.objects.filter(duf=parsed.duf).first() if parsed.duf else None
    problems, warnings = validate_parsed(parsed, at=at, existing=existing)
    if existing is not None and not update:
        problems.append(Problem("duf", "duf_exists", f"personen med DUF-nummer {parsed.duf} finnes allerede (bruk --update)"))
    item_times = [it.registered_at for it in parsed.items if it.registered_at]
    for it in parsed.items:
        if it.registered_at and it.registered_at > timezone.now() + CLOCK_SKEW:
            problems.append(Problem(f"{it.path}.registered_at", "registered_in_future", "registreringstidspunktet er fram i tid"))
    if existing is not None:
        for it in parsed.items:
            if (it.registered_at or at) < existing.recorded_at:
                problems.append(Problem(f"{it.path}.registered_at", "before_person",
                                        "registreringstidspunktet er før personen ble registrert"))
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
    with _guard(person, at, evaluate, path="facts") as changes:
        counts = _write_snapshot(person, parsed, items, actor, at, existing, first if existing is None else None)
        changes.unknown()  # many rows at once: the guard reads the person again
    return ImportResult(person, *counts, warnings)


def _write_snapshot(person, parsed, items, actor, at, existing, first) -> tuple[int, int, int]:
    created = annulled = corrected = 0
    if existing is None:
        m.PersonDetails.objects.create(person=person, recorded_at=first, **actor.row_fields(), **parsed.details)
        created += 1
    else:
        cur = m.PersonDetails.objects.current().filter(person=person).first()
        if cur is None or cur.fact_values() != {f: parsed.details.get(f) for f in m.PersonDetails.FACT_FIELDS}:
            if cur is not None:
                _supersede(cur, at)
            m.PersonDetails.objects.create(
                person=person, recorded_at=at, operation=m.Operation.CORRECT if cur else m.Operation.CREATE,
                supersedes=cur, change_reason="Oppdatert ved import" if cur else "", **actor.row_fields(), **parsed.details,
            )
            corrected += 1

    by_model: dict[type, list[tuple[dict, dt.datetime]]] = {}
    for model, values, when in items:
        by_model.setdefault(model, []).append((values, when))
    models_in_scope = set(by_model) | ({mdl for mdl in m.REGISTRATION_MODELS if mdl is not m.PersonDetails} if existing else set())
    for model in models_in_scope:
        wanted = by_model.get(model, [])
        if existing is not None:
            current = list(model.objects.current().filter(person=person))
            if model is m.Extension and sum(r.months for r in current) == sum(v["months"] for v, _ in wanted):
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
                _new_row(model, person, stale.fact_values(), actor, at, operation=m.Operation.ANNUL,
                         supersedes=stale, reason="Ikke med i importert øyeblikksbilde").save()
                annulled += 1
            wanted = remaining
        rows = [_new_row(model, person, values, actor, when) for values, when in wanted]
        if rows:
            model.objects.bulk_create(rows)
            created += len(rows)
    return created, annulled, corrected
