"""``/settlement/requests/{year}``: the request (anmodning) of a year — each municipality's figure with
its breakdown by criterion (``nir.settlement.request``).

Read-only. The round is the year's latest *sent* round (the request in force); ``?round=N`` names an
earlier sent round, and IMDi's planners (``settlement.plan``) may name a draft too. Which lines: those of
the municipalities the caller may read settlement figures of (``nir.access.settlement.settlement_area``):
a municipality its own line only, a county governor or county municipality its counties', IMDi all.
Nothing sent for the year (or the round unknown): 404. Each call records one audit event (no person).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from nir.access import audit
from nir.access.settlement import may_plan, settlement_area
from nir.api.errors import ApiProblem
from nir.api.schemas import PROBLEMS, Out
from nir.settlement import indicators, planning_reads

router = Router(tags=["settlement"])


class CriterionOut(Out):
    key: str
    label: str
    indicator: str = Field(description="The indicator of the municipal indicators dataset")
    scope: str = Field(description="municipality, or ba_region: the population-weighted mean of the BA-region")
    better: str = Field(description="higher or lower")
    value: float | None = Field(description="The indicator's value (null: missing, counted as 0.5 normalised)")
    normalised: float = Field(description="0–1 over the municipalities asked; 1 is best")
    weight: float
    contribution: float = Field(description="weight × normalised; the score is their sum")


class UmPartOut(Out):
    asked: bool = Field(description="Whether the municipality is asked to settle unaccompanied minors")
    not_asked_reason: str
    share: float
    quota: float = Field(description="The exact (unrounded) figure")
    minimum_applied: bool


class BreakdownOut(Out):
    parameters_version: str
    population: int
    criteria: list[CriterionOut]
    score: float
    asked: bool
    not_asked_reason: str
    share: float = Field(description="Share of the need without unaccompanied minors")
    quota: float = Field(description="The exact (unrounded) figure of the need without unaccompanied minors")
    minimum_applied: bool
    um: UmPartOut


class RequestLineOut(Out):
    municipality: str
    persons: int = Field(description="Requested persons, unaccompanied minors included")
    um_persons: int = Field(description="Of whom unaccompanied minors")
    computed_persons: int
    computed_um: int
    adjusted: bool = Field(description="Adjusted by hand by IMDi before sending (the computed figures kept)")
    adjustment_reason: str
    breakdown: BreakdownOut


class SettlementRequestsOut(Out):
    year: int
    round: int
    sent_at: dt.datetime | None = Field(description="When the round was sent (null: a draft)")
    need_persons: int = Field(description="The national need the round distributes")
    need_um_persons: int
    parameters_version: str
    parameters_sha256: str
    synthetic: bool = Field(description="The municipal indicators are synthetic, not official statistics")
    notice: str = Field(description="«Syntetiske indikatorer – ikke offisiell statistikk» when synthetic")
    lines: list[RequestLineOut]


class RequestsQuery(Schema):
    round: int | None = Field(
        None, ge=1, le=10000, description="A sent round (default: the latest sent); drafts for IMDi's planners only"
    )


def _not_found(year: int) -> ApiProblem:
    return ApiProblem(404, f"Ingen anmodning for {year} som du har tilgang til.")


@router.get(
    "/settlement/requests/{year}",
    response={200: SettlementRequestsOut, **PROBLEMS},
    summary="The request (anmodning) of a year, per municipality with its breakdown",
)
def get_settlement_requests(request: HttpRequest, year: int, q: Query[RequestsQuery]):
    """The year's request in force (its latest sent round): each municipality's requested persons (EM
    separately), the computed figures, an adjustment's reason and the score broken down by criterion.
    A municipality gets its own line only."""
    principal = request.auth
    if not 2000 <= year <= 2100:
        raise _not_found(year)
    if q.round is not None:
        rnd = planning_reads.round_of(year, q.round)
        if rnd is None or (rnd.sent_at is None and not may_plan(principal)):
            raise _not_found(year)
    else:
        rnd = planning_reads.latest_sent_round(year)
        if rnd is None:
            raise _not_found(year)
    area = settlement_area(principal)
    lines = [x for x in planning_reads.round_lines(rnd) if area is None or x.municipality in area]
    audit.record(
        request=request,
        actor_user=principal,
        action="statistics",
        channel="api",
        what="settlement.requests",
        filters={"year": year, "round": rnd.number, "municipalities": len(lines)},
    )
    return Status(
        200,
        {
            "year": year,
            "round": rnd.number,
            "sent_at": rnd.sent_at,
            "need_persons": rnd.need.persons,
            "need_um_persons": rnd.need.um_persons,
            "parameters_version": rnd.parameters_version,
            "parameters_sha256": rnd.parameters_sha256,
            "synthetic": rnd.dataset.synthetic,
            "notice": indicators.SYNTHETIC_LABEL if rnd.dataset.synthetic else "",
            "lines": [
                {
                    "municipality": x.municipality,
                    "persons": x.persons,
                    "um_persons": x.um_persons,
                    "computed_persons": x.computed_persons,
                    "computed_um": x.computed_um,
                    "adjusted": x.supersedes_id is not None,
                    "adjustment_reason": x.change_reason,
                    "breakdown": x.breakdown,
                }
                for x in lines
            ],
        },
    )
