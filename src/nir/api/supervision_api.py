"""``/supervision``: the county governor's supervision view (tilsyn) — the figures of the page /tilsyn/.

The figures are ``nir.reports.supervision.figures`` over ``person_scope(principal)``, as the page counts
them: a county governor sees the municipalities of its counties, IMDi every one; a county or a
municipality outside the caller's scope is *not found* (404). Each call records one audit event of
kind «statistics» (counts, no person), as the page does.
"""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from nir.access import audit
from nir.access.scope import person_scope
from nir.api.errors import ApiProblem
from nir.api.schemas import PROBLEMS, Out
from nir.reports import supervision

router = Router(tags=["supervision"])


class FigureOut(Out):
    key: str = Field(description="followed, in_programme, deviations, deadline_passed or missing_decision")
    label: str
    deviation: bool = Field(description="A figure the county governor follows up (a warning when > 0)")


class CountyOut(Out):
    county: str
    name: str


class MunicipalityFiguresOut(Out):
    municipality: str
    name: str
    county: str
    figures: dict[str, int] = Field(description="figure key → persons")


class SupervisionOut(Out):
    as_of: dt.date
    figures: list[FigureOut]
    counties: list[CountyOut] = Field(description="The counties shown")
    municipalities: list[MunicipalityFiguresOut]
    total: dict[str, int] = Field(description="The counties' total, figure key → persons")


class FigureValueOut(FigureOut):
    value: int
    report: str = Field(description="The report that lists the persons counted: GET /reports/{report}")
    report_query: dict[str, str] = Field(description="Its filters for this figure and municipality")


class SupervisionMunicipalityOut(Out):
    as_of: dt.date
    municipality: str
    name: str
    county: str
    county_name: str
    figures: list[FigureValueOut]


class SupervisionQuery(Schema):
    county: str | None = Field(
        None, max_length=10, description="County (2 digits); default: every county the caller supervises"
    )


def _not_found(what: str) -> ApiProblem:
    return ApiProblem(404, f"Ukjent {what}, eller utenfor ditt tilsynsområde.")


@router.get("/supervision", response={200: SupervisionOut, **PROBLEMS}, summary="Supervision figures of a county")
def get_supervision(request: HttpRequest, q: Query[SupervisionQuery]):
    """Per municipality of the county (or of every county the caller supervises) and in total: persons
    followed up, in the programme, deviations in final goals, completion deadline passed, participation
    decision missing — the figures of /tilsyn/."""
    try:
        doc = supervision.overview(person_scope(request.auth), q.county, timezone.localdate())
    except supervision.UnknownCounty as e:
        raise _not_found(f"fylke {str(e)[:10]!r}") from None
    audit.record(
        request=request,
        actor_user=request.auth,
        action="statistics",
        channel="api",
        what="supervision",
        filters={"counties": [c["county"] for c in doc["counties"]], "municipalities": len(doc["municipalities"])},
    )
    return Status(200, doc)


@router.get(
    "/supervision/{municipality}",
    response={200: SupervisionMunicipalityOut, **PROBLEMS},
    summary="Supervision figures of one municipality",
)
def get_supervision_municipality(request: HttpRequest, municipality: str):
    """One municipality's figures (/tilsyn/<kommunenr>/), each with the report and filters that list its
    persons (for a caller who may read reports)."""
    today = timezone.localdate()
    munis = supervision.municipality_names(today)
    if municipality not in munis:
        raise _not_found(f"kommune {municipality[:10]!r}")
    values = supervision.figures(person_scope(request.auth), [municipality], today).get(municipality)
    if values is None:  # outside the caller's scope: as unknown
        raise _not_found(f"kommune {municipality[:10]!r}")
    audit.record(
        request=request,
        actor_user=request.auth,
        action="statistics",
        channel="api",
        what=f"supervision:{municipality}",
        filters={"municipality": municipality},
    )
    name, county, county_name = munis[municipality]
    return Status(
        200,
        {
            "as_of": today,
            "municipality": municipality,
            "name": name,
            "county": county,
            "county_name": county_name,
            "figures": [
                {
                    "key": f.key,
                    "label": str(f.label),
                    "deviation": f.deviation,
                    "value": values[f.key],
                    "report": f.report,
                    "report_query": f.report_query(municipality),
                }
                for f in supervision.FIGURES
            ],
        },
    )
