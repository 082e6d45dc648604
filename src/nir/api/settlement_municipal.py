"""``/settlement/municipalities/{municipality}/…`` and ``/settlement/capacity/{id}/…``: a municipality's
decision (kommunalt vedtak) and capacity (kapasitet) — ``settlement.md`` § 1.3–1.4, for municipal
case systems (scope ``nir:settlement.municipality``) and the web session's users.

Who: the municipality itself, or IMDi's administrators on its behalf
(``nir.access.settlement.acts_for_municipality``); another municipality, or an unknown one, is
*not found* (404). Writes go through ``nir.settlement.actions.municipal`` (access, validation,
append-only storage, audit event in one transaction): 201 with the new version; 422 with every
field's problem; 409 when the version changed is no longer current (someone changed it first).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from nir.access.policy import AccessDenied
from nir.access.settlement import acts_for_municipality
from nir.actions.acting import Acting
from nir.api.errors import ApiProblem
from nir.api.schemas import PROBLEMS, REVISION_PROBLEMS, Out
from nir.reference.models import Municipality
from nir.settlement import capacity
from nir.settlement.actions import municipal
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import CapacityLine, MunicipalDecision
from nir.settlement.store import ChangedMeanwhile

router = Router(tags=["settlement"])


# --- documents -----------------------------------------------------------------------------------


class VersionOut(Out):
    id: int = Field(description="This version's id (give it as `expected` / in the path to change it)")
    key: str = Field(description="The chain every version of the same decision or line shares")
    operation: str = Field(description="create, correct")
    recorded_at: dt.datetime
    superseded_at: dt.datetime | None
    registered_by: str
    change_reason: str


class DecisionOut(VersionOut):
    municipality: str
    year: int
    status: str = Field(description="decided (vedtatt) or declined (avslått)")
    persons: int = Field(description="Persons the municipality will settle in the year")
    um_persons: int = Field(description="Of which unaccompanied minors (EM)")
    decision_date: dt.date
    note: str


class DecisionsOut(Out):
    municipality: str
    year: int
    status: str = Field(description="not_answered, decided or declined")
    current: DecisionOut | None
    history: list[DecisionOut] = Field(description="Every version, newest first")


class CapacityOut(VersionOut):
    municipality: str
    kind: str = Field(description="single_adults, families or um")
    period_from: dt.date
    period_to: dt.date
    places: int
    largest_household: int | None
    accessible_housing: bool
    mental_health_services: bool
    specialist_health_services: bool
    closed: bool = Field(description="Full («fullt»): no more places of the kind in the period")
    note: str
    used: int = Field(description="Persons of agreements of the kind planned in the period")
    remaining: int = Field(description="Places left (0 when closed)")


class CapacityListOut(Out):
    municipality: str
    year: int | None
    lines: list[CapacityOut]


class DecisionIn(Schema):
    year: int
    status: str = Field(description="decided or declined")
    persons: int = 0
    um_persons: int = Field(0, description="Of which unaccompanied minors")
    decision_date: dt.date
    note: str = Field("", max_length=2000)
    reason: str = Field("", max_length=2000, description="Required when a decision of the year exists")
    expected: int | None = Field(
        None, description="The id of the version changed; 409 if another version is current by now"
    )


class CapacityIn(Schema):
    kind: str = Field(description="single_adults, families or um")
    period_from: dt.date = Field(description="The first day of a month")
    period_to: dt.date = Field(description="The last day of a month, the same year")
    places: int
    largest_household: int | None = Field(None, description="Families only: the largest household (≥ 2)")
    accessible_housing: bool = False
    mental_health_services: bool = False
    specialist_health_services: bool = False
    note: str = Field("", max_length=2000)


class CapacityChangeIn(Schema):
    """The fields to change (left out or null: unchanged; largest_household null: none)."""

    reason: str = Field(max_length=2000)
    kind: str | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    places: int | None = None
    largest_household: int | None = None
    accessible_housing: bool | None = None
    mental_health_services: bool | None = None
    specialist_health_services: bool | None = None
    note: str | None = Field(None, max_length=2000)


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


class YearQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="Default: this year")
    known_at: dt.datetime | None = Field(None, description="As the system knew it at this moment")


class CapacityQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="Default: every year")
    known_at: dt.datetime | None = Field(None, description="As the system knew it at this moment")


# --- helpers -------------------------------------------------------------------------------------


def _not_found(municipality: str) -> ApiProblem:
    return ApiProblem(
        404,
        f"Ukjent kommune {municipality[:10]!r}, eller en kommune du ikke registrerer bosetting for.",
        errors=[{"field": "municipality", "rule": "not_found", "message": "ukjent kommune eller ingen tilgang"}],
    )


def _municipality(request: HttpRequest, municipality: str) -> str:
    if not (
        len(municipality) == 4
        and municipality.isascii()
        and municipality.isdigit()
        and Municipality.objects.filter(number=municipality).exists()
        and acts_for_municipality(request.auth, municipality)
    ):
        raise _not_found(municipality)
    return municipality


def _refused(e: SettlementRefused) -> ApiProblem:
    errors = getattr(e, "errors", None) or {e.field: e.message}
    return ApiProblem(
        422,
        "Ugyldige data: " + ", ".join(errors),
        slug="settlement-refused",
        title="Ikke registrert",
        errors=[{"field": f, "rule": "invalid", "message": m} for f, m in errors.items()],
    )


def _conflict(e: ChangedMeanwhile, field: str) -> ApiProblem:
    return ApiProblem(409, str(e), errors=[{"field": field, "rule": "changed_meanwhile", "message": str(e)}])


def _version(row) -> dict:
    return {
        "id": row.pk,
        "key": str(row.key),
        "operation": row.operation,
        "recorded_at": row.recorded_at,
        "superseded_at": row.superseded_at,
        "registered_by": row.registered_by_label,
        "change_reason": row.change_reason,
    }


def _decision(row: MunicipalDecision) -> dict:
    return {
        **_version(row),
        "municipality": row.municipality,
        "year": row.year,
        "status": row.status,
        "persons": row.persons,
        "um_persons": row.um_persons,
        "decision_date": row.decision_date,
        "note": row.note,
    }


def _line(row: CapacityLine, used: int) -> dict:
    use = capacity.LineUse(row, used)
    return {
        **_version(row),
        "municipality": row.municipality,
        "kind": row.kind,
        "period_from": row.period_from,
        "period_to": row.period_to,
        "places": row.places,
        "largest_household": row.largest_household,
        "accessible_housing": row.accessible_housing,
        "mental_health_services": row.mental_health_services,
        "specialist_health_services": row.specialist_health_services,
        "closed": row.closed,
        "note": row.note,
        "used": use.used,
        "remaining": use.remaining,
    }


def _line_with_use(row: CapacityLine) -> dict:
    found = capacity.with_use(CapacityLine.objects.filter(pk=row.pk)).values_list("used", flat=True).first()
    return _line(row, found or 0)


# --- decisions -----------------------------------------------------------------------------------


@router.get(
    "/settlement/municipalities/{municipality}/decisions",
    response={200: DecisionsOut, **PROBLEMS},
    summary="A municipality's decision of the year, with its history",
)
def get_decisions(request: HttpRequest, municipality: str, q: Query[YearQuery]):
    """The decision (kommunalt vedtak) that holds — none: *not answered* — and every version, newest first."""
    municipality = _municipality(request, municipality)
    year = q.year or dt.date.today().year
    history = capacity.decision_history(municipality, year, known_at=q.known_at)
    current = capacity.current_decision(municipality, year, known_at=q.known_at)
    return Status(
        200,
        {
            "municipality": municipality,
            "year": year,
            "status": current.status if current else "not_answered",
            "current": _decision(current) if current else None,
            "history": [_decision(d) for d in history],
        },
    )


@router.post(
    "/settlement/municipalities/{municipality}/decisions",
    response={201: DecisionOut, **REVISION_PROBLEMS},
    summary="Register the decision of the year (or a new version of it)",
)
def post_decision(request: HttpRequest, municipality: str, payload: DecisionIn):
    """The municipality's decision of ``year``: decided (persons, of which EM) or declined. When a
    decision of the year exists, this is a new version of it and needs ``reason`` (``expected``: the
    version you change; 409 if another is current by now)."""
    municipality = _municipality(request, municipality)
    try:
        row = municipal.register_decision(
            Acting.from_request(request),
            municipality,
            payload.year,
            status=payload.status,
            persons=payload.persons,
            um_persons=payload.um_persons,
            decision_date=payload.decision_date,
            note=payload.note,
            reason=payload.reason,
            expected=payload.expected,
        )
    except SettlementRefused as e:
        raise _refused(e) from None
    except ChangedMeanwhile as e:
        raise _conflict(e, "expected") from None
    except AccessDenied:
        raise _not_found(municipality) from None
    return Status(201, _decision(row))


# --- capacity ------------------------------------------------------------------------------------


@router.get(
    "/settlement/municipalities/{municipality}/capacity",
    response={200: CapacityListOut, **PROBLEMS},
    summary="A municipality's capacity lines, with the places used and left",
)
def get_capacity(request: HttpRequest, municipality: str, q: Query[CapacityQuery]):
    """Every current line (open and closed) by period and kind: places, used by agreements of the
    kind planned in the period, remaining."""
    municipality = _municipality(request, municipality)
    uses = capacity.capacity_lines(municipality, year=q.year, known_at=q.known_at)
    return Status(200, {"municipality": municipality, "year": q.year, "lines": [_line(u.line, u.used) for u in uses]})


@router.post(
    "/settlement/municipalities/{municipality}/capacity",
    response={201: CapacityOut, **PROBLEMS},
    summary="Report capacity: free places of a kind in a period",
)
def post_capacity(request: HttpRequest, municipality: str, payload: CapacityIn):
    """A new capacity line: ``kind``, a period of whole months inside one year, ``places``; for
    families the largest household; the special needs it can meet. 422 if it overlaps an open line
    of the same kind (change that one instead)."""
    municipality = _municipality(request, municipality)
    try:
        row = municipal.add_capacity(Acting.from_request(request), municipality, **payload.dict())
    except SettlementRefused as e:
        raise _refused(e) from None
    except AccessDenied:
        raise _not_found(municipality) from None
    return Status(201, _line(row, 0))


def _own_line(request: HttpRequest, line_id: int) -> CapacityLine:
    row = capacity.line_for(request.auth, line_id) if 0 < line_id < 2**63 else None
    if row is None:
        raise ApiProblem(
            404,
            f"Ukjent kapasitetslinje {line_id}, eller en kommune du ikke registrerer bosetting for.",
            errors=[{"field": "id", "rule": "not_found", "message": "ukjent kapasitetslinje eller ingen tilgang"}],
        )
    return row


def _revise(request: HttpRequest, line_id: int, change) -> Status:
    _own_line(request, line_id)
    try:
        with transaction.atomic():
            row = change(Acting.from_request(request))
    except SettlementRefused as e:
        raise _refused(e) from None
    except ChangedMeanwhile as e:
        raise _conflict(e, "id") from None
    except AccessDenied:
        raise _own_line(request, -1) from None
    return Status(201, _line_with_use(row))


@router.post(
    "/settlement/capacity/{id}/corrections",
    response={201: CapacityOut, **REVISION_PROBLEMS},
    summary="Change a capacity line (a new version, with a reason)",
)
def post_capacity_correction(request: HttpRequest, id: int, payload: CapacityChangeIn):
    """The fields given replace those of the line ``id`` (its current version; 409 otherwise)."""
    # null leaves a field as it is, except largest_household (null: none, when the kind is no longer families)
    changes = {
        k: v
        for k, v in payload.dict(exclude_unset=True).items()
        if k != "reason" and (v is not None or k == "largest_household")
    }
    return _revise(request, id, lambda a: municipal.change_capacity(a, id, reason=payload.reason, **changes))


@router.post(
    "/settlement/capacity/{id}/closures",
    response={201: CapacityOut, **REVISION_PROBLEMS},
    summary="Close a capacity line («fullt»)",
)
def post_capacity_closure(request: HttpRequest, id: int, payload: ReasonIn):
    """No more places of the kind in the period: a new version with ``closed = true`` (agreements
    already made stand)."""
    return _revise(request, id, lambda a: municipal.close_capacity(a, id, reason=payload.reason))


@router.post(
    "/settlement/capacity/{id}/reopenings",
    response={201: CapacityOut, **REVISION_PROBLEMS},
    summary="Reopen a closed capacity line",
)
def post_capacity_reopening(request: HttpRequest, id: int, payload: ReasonIn):
    """A new version with ``closed = false`` (422 if an open line of the kind overlaps its period)."""
    return _revise(request, id, lambda a: municipal.reopen_capacity(a, id, reason=payload.reason))
