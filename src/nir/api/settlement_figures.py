"""``/settlement/figures`` and ``/settlement/weekly-list``: Bosetting's figures (settlement.md § 3) and the
weekly list of settled persons by age group, as the pages /bosetting/tall/ and /bosetting/ukeliste/ and
``nir settlement`` show them (``nir.settlement.figures``, ``nir.settlement.figures_export``).

Every caller with ``settlement.read`` sees its own area only (``nir.access.settlement.settlement_area``:
IMDi the country, a county governor or county municipality its counties, a municipality itself); an
area outside it is *not found* (404). A bad parameter is a 400 problem with a Norwegian message. Each
call records one audit event of kind «statistics» (counts, no person).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from nir.access import audit
from nir.access.settlement import settlement_area
from nir.api.errors import ApiProblem
from nir.api.schemas import PROBLEMS, Out
from nir.settlement import figures as fg
from nir.settlement import figures_export as ex

router = Router(tags=["settlement"])


class AreaOut(Out):
    code: str = Field(description="'' (all the caller may read), county (2 digits), municipality (4) or region-…")
    kind: str = Field(description="national, own (all the caller may read), region, county or municipality")
    label: str


class FigureValueOut(Out):
    key: str
    label: str
    kind: str = Field(description="count, share (a fraction 0–1), months (average waiting time) or places")
    value: float | int | None


class SettlementFiguresOut(Out):
    year: int
    known_at: dt.datetime
    area: AreaOut
    figures: list[FigureValueOut]
    need: dict[str, Any] | None = Field(description="The year's national need as known then (whole country only)")
    municipalities: list[dict[str, Any]] = Field(description="requested / decided / settled (EM separately) …")
    counties: list[dict[str, Any]]
    regions: list[dict[str, Any]] = Field(description="Per IMDi region (whole country only)")
    monthly: list[dict[str, Any]] = Field(description="Per month: settled, proposals, agreements (Fig 3.1.6)")
    ready: list[dict[str, Any]] = Field(description="Ready for settlement per month end")


class WeeklyListOut(Out):
    year: int
    week: int
    first: dt.date
    last: dt.date
    known_at: dt.datetime
    area: str
    age_groups: list[str]
    municipalities: list[dict[str, Any]] = Field(description="Per municipality: persons per age group and total")
    total: dict[str, Any]


class FiguresQuery(Schema):
    year: str | None = Field(None, max_length=10, description="The year (default: this year)")
    area: str | None = Field(
        None, max_length=30, description="County (2 digits), municipality (4) or region-…; default: all you may read"
    )
    known_at: str | None = Field(None, max_length=40, description="As known at (date: end of that day, or ISO 8601)")


class WeeklyQuery(Schema):
    year: str | None = Field(None, max_length=10, description="ISO year (default: this year)")
    week: int = Field(..., ge=1, le=53, description="ISO week")
    area: str | None = Field(None, max_length=30)
    known_at: str | None = Field(None, max_length=40)


def _problem(e: fg.FiguresError) -> ApiProblem:
    if isinstance(e, fg.OutsideArea):
        return ApiProblem(404, str(e))
    return ApiProblem(
        400, str(e), slug="bad-filter", errors=[{"field": "query", "rule": "settlement_figures", "message": str(e)}]
    )


@router.get(
    "/settlement/figures", response={200: SettlementFiguresOut, **PROBLEMS}, summary="Settlement figures of a year"
)
def get_settlement_figures(request: HttpRequest, q: Query[FiguresQuery]):
    """Every figure of settlement.md § 3 for a year as known at a moment, for the caller's area or a part of it:
    settled (by group and where from), waiting times, waiting in reception per 31.12., ready per month end,
    special needs, proposals and agreements, requested / decided / settled per municipality and county."""
    try:
        year = fg.parse_year(q.year, timezone.localdate().year)
        f = fg.compute(year, known_at=fg.parse_known_at(q.known_at), area=q.area, allowed=settlement_area(request.auth))
    except fg.FiguresError as e:
        raise _problem(e) from None
    audit.record(
        request=request,
        actor_user=request.auth,
        action="statistics",
        channel="api",
        what="settlement:figures",
        filters={"year": year, "area": f.area.code or f.area.kind, "known_at": q.known_at or ""},
    )
    return Status(200, ex.document(f))


@router.get(
    "/settlement/weekly-list",
    response={200: WeeklyListOut, **PROBLEMS},
    summary="Persons settled in a week, by municipality and age group",
)
def get_settlement_weekly_list(request: HttpRequest, q: Query[WeeklyQuery]):
    """The weekly list for county governors and county municipalities: persons settled in an ISO week per
    municipality of the caller's area and age group at the settlement date (counts only, no names)."""
    try:
        year = fg.parse_year(q.year, timezone.localdate().year)
        w = fg.weekly_list(
            year, q.week, known_at=fg.parse_known_at(q.known_at), allowed=settlement_area(request.auth), area=q.area
        )
    except fg.FiguresError as e:
        raise _problem(e) from None
    audit.record(
        request=request,
        actor_user=request.auth,
        action="statistics",
        channel="api",
        what="settlement:weekly-list",
        filters={"year": year, "week": q.week, "area": q.area or ""},
    )
    return Status(200, ex.weekly_document(w))
