"""Municipal decisions (kommunalt vedtak) and capacity (kapasitet): ``settlement.md`` § 1.3–1.4.

The municipality (its settlement coordinator, its case system through the API with the scope
``nir:settlement.municipality``) — or IMDi's administrators on its behalf — registers

* its **decision** of a year: decided (persons, of which EM) or declined, with the decision date.
  A change during the year supersedes the current version with a reason; the history is kept.
  No current version: *not answered*.
* its **capacity**: free places of one kind (single adults, families with the largest household it
  can take, unaccompanied minors) in a period of whole months inside one year, the special needs it
  can meet. A change supersedes the line with a reason; closing it ("fullt") is a version with
  ``closed = True``, reopening one with ``closed = False``. Agreements use the places up
  (``nir.settlement.capacity``).

Every function checks access (``nir.access.settlement.acts_for_municipality``), validates (all
problems at once: ``MunicipalRefused``, a ``SettlementRefused`` naming the first field, with
``errors`` listing every field), stores append-only (``nir.settlement.store``) and records the audit
event, in one transaction. A version the caller did not see (``expected``: the id it changes) is
``store.ChangedMeanwhile`` (409).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from nir.access.policy import AccessDenied, Permission
from nir.access.settlement import acts_for_municipality
from nir.actions.acting import Acting
from nir.reference.models import Municipality
from nir.register.validation import text_problems
from nir.settlement import store
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import CapacityKind, CapacityLine, DecisionStatus, MunicipalDecision

__all__ = [
    "FIRST_YEAR",
    "MAX_PERSONS",
    "MunicipalRefused",
    "add_capacity",
    "change_capacity",
    "close_capacity",
    "register_decision",
    "reopen_capacity",
]

FIRST_YEAR = 2020  # the first settlement year the system holds (earlier years are history elsewhere)
MAX_PERSONS = 20_000  # more than any municipality's year (2025: Oslo decided ≈ 1,000): a typo
MAX_HOUSEHOLD = 20


class MunicipalRefused(SettlementRefused):
    """Bad input, every field's problem at once (``errors``: field → message)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        field, message = next(iter(self.errors.items()))
        super().__init__(field, message)


def _today(acting: Acting) -> dt.date:
    return timezone.localdate()


def _require(acting: Acting, municipality: str) -> None:
    if acting.unrestricted:
        return
    if not acts_for_municipality(acting.principal, municipality):
        raise AccessDenied(
            Permission.SETTLEMENT_MUNICIPALITY,
            f"Du kan ikke registrere bosetting for kommune {municipality[:10]}.",
        )


def _known_municipality(municipality: str, day: dt.date) -> bool:
    return (
        isinstance(municipality, str)
        and len(municipality) == 4
        and municipality.isdigit()
        and Municipality.objects.valid_on(day).filter(number=municipality).exists()
    )


def _year_problem(year: Any, today: dt.date) -> str | None:
    if not isinstance(year, int) or isinstance(year, bool):
        return "må være et årstall"
    if year < FIRST_YEAR or year > today.year + 1:
        return f"må være mellom {FIRST_YEAR} og {today.year + 1}"
    return None


def _count_problem(value: Any, *, low: int = 0, high: int = MAX_PERSONS) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return "må være et heltall"
    if value < low:
        return f"kan ikke være mindre enn {low}"
    if value > high:
        return f"kan ikke være større enn {high}"
    return None


def _text_problems(**texts: Any) -> dict[str, str]:
    """Text that cannot be stored (NUL, control characters: the register's one check), by field."""
    return {p.field: p.message for name, value in texts.items() for p in text_problems(value or "", name)}


def _refuse_if(errors: dict[str, str]) -> None:
    if errors:
        raise MunicipalRefused(errors)


def _check_expected(current: Any, expected: int | None) -> None:
    """The caller changes the version it saw (``expected``: its id) or, with no version seen, none
    may exist meanwhile. Otherwise someone changed it first: 409."""
    current_id = current.pk if current is not None else None
    if expected is not None and expected != current_id:
        raise store.ChangedMeanwhile("vedtaket er endret av noen andre i mellomtiden; last siden på nytt")


# --- decisions -----------------------------------------------------------------------------------


def register_decision(
    acting: Acting,
    municipality: str,
    year: int,
    *,
    status: str,
    persons: int,
    um_persons: int,
    decision_date: dt.date,
    note: str = "",
    reason: str = "",
    expected: int | None = None,
) -> MunicipalDecision:
    """Register (or change) ``municipality``'s decision of ``year``. The first one is a new chain;
    a later one supersedes the current version and needs ``reason``. ``expected``: the id of the
    version the caller changes (409 when another is current by now)."""
    today = _today(acting)
    with transaction.atomic():
        _require(acting, municipality)
        errors: dict[str, str] = {}
        if not _known_municipality(municipality, today):
            errors["municipality"] = f"ukjent kommune {str(municipality)[:10]!r}"
        if problem := _year_problem(year, today):
            errors["year"] = problem
        if status not in DecisionStatus.values:
            errors["status"] = "må være «decided» (vedtatt) eller «declined» (avslått)"
        for field, value in (("persons", persons), ("um_persons", um_persons)):
            if problem := _count_problem(value):
                errors[field] = problem
        if "persons" not in errors and "um_persons" not in errors:
            if status == DecisionStatus.DECLINED and (persons or um_persons):
                errors["persons"] = "et avslag har ingen personer (0)"
            elif um_persons > persons:
                errors["um_persons"] = "enslige mindreårige er en del av personene: kan ikke være flere"
            elif status == DecisionStatus.DECIDED and persons == 0:
                errors["persons"] = "et vedtak om bosetting gjelder minst én person (ellers: avslått)"
        if not isinstance(decision_date, dt.date):
            errors["decision_date"] = "ikke en gyldig dato (dd.mm.åååå)" if decision_date else "mangler (påkrevd)"
        elif decision_date > today:
            errors["decision_date"] = "kan ikke være fram i tid"
        elif "year" not in errors and decision_date < dt.date(year - 1, 1, 1):
            errors["decision_date"] = f"må være i {year - 1} eller senere (vedtaket gjelder {year})"
        if len(note) > 2000:
            errors["note"] = "høyst 2000 tegn"
        errors.update(_text_problems(note=note, reason=reason))
        current = (
            MunicipalDecision.objects.current()
            .select_for_update()
            .filter(municipality=municipality, year=year)
            .order_by("-pk")
            .first()
            if "year" not in errors
            else None
        )
        reason = (reason or "").strip()
        if current is not None and not reason:
            errors["reason"] = "begrunnelse kreves når et vedtak endres"
        _refuse_if(errors)
        _check_expected(current, expected)
        fields = {
            "status": status,
            "persons": persons,
            "um_persons": um_persons,
            "decision_date": decision_date,
            "note": note.strip(),
        }
        if current is None:
            row = store.create(MunicipalDecision, acting, municipality=municipality, year=year, **fields)
        else:
            row = store.supersede(current, acting, reason, **fields)
        acting.audit(
            what="settlement.decision",
            persons=[],
            filters={"municipality": municipality, "year": year, "status": status, "version": row.pk},
        )
        return row


# --- capacity ------------------------------------------------------------------------------------


def _last_day(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _capacity_problems(
    municipality: str, values: dict[str, Any], today: dt.date, *, exclude_key: Any = None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    kind = values["kind"]
    start, end = values["period_from"], values["period_to"]
    if kind not in CapacityKind.values:
        errors["kind"] = "må være single_adults, families eller um"
    dates_ok = True
    for field, day in (("period_from", start), ("period_to", end)):
        if not isinstance(day, dt.date):
            errors[field] = "mangler (påkrevd)"
            dates_ok = False
    if dates_ok:
        if start.day != 1:
            errors["period_from"] = "perioden begynner den første i en måned (måned eller kvartal)"
        if end != _last_day(end):
            errors["period_to"] = "perioden slutter den siste i en måned (måned eller kvartal)"
        if end < start:
            errors["period_to"] = "kan ikke være før «fra»"
        elif start.year != end.year:
            errors["period_to"] = "perioden må ligge innenfor ett år"
        if problem := _year_problem(start.year, today):
            errors.setdefault("period_from", f"året {problem}")
    if problem := _count_problem(values["places"]):
        errors["places"] = problem
    largest = values.get("largest_household")
    if kind == CapacityKind.FAMILIES:
        if largest is None:
            errors["largest_household"] = "mangler (påkrevd for familier)"
        elif problem := _count_problem(largest, low=2, high=MAX_HOUSEHOLD):
            errors["largest_household"] = problem
        elif "places" not in errors and largest > values["places"] and not values.get("closed"):
            errors["largest_household"] = "kan ikke være større enn antall plasser"
    elif largest is not None:
        errors["largest_household"] = "gjelder bare familier"
    if len(values.get("note") or "") > 2000:
        errors["note"] = "høyst 2000 tegn"
    errors.update(_text_problems(note=values.get("note")))
    if not errors and not values.get("closed"):
        overlap = (
            CapacityLine.objects.current()
            .filter(
                municipality=municipality,
                kind=kind,
                closed=False,
                period_from__lte=end,
                period_to__gte=start,
            )
            .exclude(key=exclude_key)
            .order_by("period_from")
            .first()
        )
        if overlap is not None:
            errors["period_from"] = (
                f"overlapper en åpen linje for {CapacityKind(kind).label.lower()} "
                f"({overlap.period_from:%d.%m.%Y}–{overlap.period_to:%d.%m.%Y}): endre den i stedet"
            )
    return errors


_CAPACITY_FIELDS = (
    "kind",
    "period_from",
    "period_to",
    "places",
    "largest_household",
    "accessible_housing",
    "mental_health_services",
    "specialist_health_services",
    "note",
)


def _audit_capacity(acting: Acting, row: CapacityLine, change: str) -> None:
    acting.audit(
        what="settlement.capacity",
        persons=[],
        filters={
            "municipality": row.municipality,
            "kind": row.kind,
            "period": f"{row.period_from.isoformat()}/{row.period_to.isoformat()}",
            "change": change,
            "version": row.pk,
        },
    )


def add_capacity(
    acting: Acting,
    municipality: str,
    *,
    kind: str,
    period_from: dt.date,
    period_to: dt.date,
    places: int,
    largest_household: int | None = None,
    accessible_housing: bool = False,
    mental_health_services: bool = False,
    specialist_health_services: bool = False,
    note: str = "",
) -> CapacityLine:
    """Report free places of ``kind`` in the period (whole months inside one year)."""
    today = _today(acting)
    values = {
        "kind": kind,
        "period_from": period_from,
        "period_to": period_to,
        "places": places,
        "largest_household": largest_household,
        "accessible_housing": bool(accessible_housing),
        "mental_health_services": bool(mental_health_services),
        "specialist_health_services": bool(specialist_health_services),
        "note": (note or "").strip(),
    }
    with transaction.atomic():
        _require(acting, municipality)
        errors = {}
        if not _known_municipality(municipality, today):
            errors["municipality"] = f"ukjent kommune {str(municipality)[:10]!r}"
        errors.update(_capacity_problems(municipality, values, today))
        _refuse_if(errors)
        row = store.create(CapacityLine, acting, municipality=municipality, **values)
        _audit_capacity(acting, row, "add")
        return row


def _current_line(line_id: int) -> CapacityLine:
    """The line ``line_id`` for a change: it must be the current version of its chain."""
    row = CapacityLine.objects.select_for_update().filter(pk=line_id).first()
    if row is None:
        raise CapacityLine.DoesNotExist(f"kapasitetslinje {line_id} finnes ikke")
    if row.superseded_at is not None:
        raise store.ChangedMeanwhile("kapasitetslinjen er endret av noen andre i mellomtiden; last siden på nytt")
    return row


def change_capacity(acting: Acting, line_id: int, *, reason: str, **changes: Any) -> CapacityLine:
    """A new version of the line ``line_id`` (its current version) with ``changes`` and ``reason``."""
    unknown = set(changes) - set(_CAPACITY_FIELDS)
    if unknown:
        raise TypeError(f"unknown capacity fields {sorted(unknown)}")
    today = _today(acting)
    with transaction.atomic():
        row = _current_line(line_id)
        _require(acting, row.municipality)
        values = {f: getattr(row, f) for f in _CAPACITY_FIELDS}
        values.update(changes)
        values["note"] = (values.get("note") or "").strip()
        for flag in ("accessible_housing", "mental_health_services", "specialist_health_services"):
            values[flag] = bool(values[flag])
        values["closed"] = row.closed
        errors = _capacity_problems(row.municipality, values, today, exclude_key=row.key)
        if not (reason or "").strip():
            errors["reason"] = "begrunnelse kreves når kapasiteten endres"
        errors.update(_text_problems(reason=reason))
        _refuse_if(errors)
        values.pop("closed")
        new = store.supersede(row, acting, reason.strip(), **values)
        _audit_capacity(acting, new, "change")
        return new


def close_capacity(acting: Acting, line_id: int, *, reason: str = "") -> CapacityLine:
    """«Fullt»: the municipality takes no more of this kind in the period (a version with
    ``closed = True``; agreements already made stand)."""
    with transaction.atomic():
        row = _current_line(line_id)
        _require(acting, row.municipality)
        if row.closed:
            raise MunicipalRefused({"closed": "kapasiteten er allerede stengt"})
        _refuse_if(_text_problems(reason=reason))
        new = store.supersede(row, acting, (reason or "").strip() or "Stengt (fullt)", closed=True)
        _audit_capacity(acting, new, "close")
        return new


def reopen_capacity(acting: Acting, line_id: int, *, reason: str = "") -> CapacityLine:
    """Open a closed line again (refused if another open line of the kind overlaps its period)."""
    today = _today(acting)
    with transaction.atomic():
        row = _current_line(line_id)
        _require(acting, row.municipality)
        if not row.closed:
            raise MunicipalRefused({"closed": "kapasiteten er ikke stengt"})
        _refuse_if(_text_problems(reason=reason))
        values = {f: getattr(row, f) for f in _CAPACITY_FIELDS}
        errors = _capacity_problems(row.municipality, values, today, exclude_key=row.key)
        if errors.get("period_from", "").startswith("året"):
            del errors["period_from"]  # a line's period may lie in a year since passed: no new report
        _refuse_if(errors)
        new = store.supersede(row, acting, (reason or "").strip() or "Åpnet igjen", closed=False)
        _audit_capacity(acting, new, "reopen")
        return new
