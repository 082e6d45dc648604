"""``/reports/{id}`` and ``/statistics``: the NIR reports and yearly statistics, in the user's scope.

The query string is read as the report pages and ``nir report`` read it (``nir.reports.params.report_params``,
``nir.reports.params.stats_request``) and the reports are run by ``nir.reports.registry.run`` /
``nir.reports.statistics.yearly`` with ``person_scope(user)``: one meaning everywhere. A bad filter is a
400 problem with the registry's Norwegian message.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from nir.access import audit
from nir.access.scope import person_scope
from nir.api.errors import ApiProblem
from nir.api.schemas import PROBLEMS, Out
from nir.register import models as m
from nir.reports import exports, registry, statistics, stats_exports
from nir.reports.params import report_params, stats_request

router = Router(tags=["reports"])


class ReportOut(Out):
    report: str
    law: str
    as_of: dt.date
    known_at: dt.datetime
    filters: dict[str, Any]
    count: int
    rows: list[dict[str, Any]]


class ReportQuery(Schema):
    law: str | None = Field(None, max_length=40, description="integreringsloven (default) or introduksjonsloven")
    municipality: str | None = Field(None, max_length=40)
    category: str | None = Field(None, max_length=40)
    duf: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=200)
    as_of: str | None = Field(None, max_length=40, description="Domain date (YYYY-MM-DD); default today")
    known_at: str | None = Field(None, max_length=40, description="The register as known then (date or ISO 8601 time)")
    from_: str | None = Field(None, alias="from", max_length=40, description="avsluttet-intro: from date")
    to: str | None = Field(None, max_length=40, description="avsluttet-intro: to date")
    termination_type: str | None = Field(None, max_length=40)
    reason: str | None = Field(None, max_length=40)
    avvik: str | None = Field(None, max_length=40)
    scheme: str | None = Field(None, max_length=40)
    status: str | None = Field(None, max_length=40)
    deadline_within: str | None = Field(None, max_length=40)
    missing: str | None = Field(None, max_length=40)
    sort: str | None = Field(None, max_length=60)
    page: str | None = Field(None, max_length=20, description="Page (default 1)")
    page_size: int = Field(100, ge=1, le=1000)


def _report_error(e: Exception) -> ApiProblem:
    return ApiProblem(
        400,
        str(e),
        slug="bad-filter",
        title="Ugyldig filter",
        errors=[{"field": "query", "rule": "report_filter", "message": str(e)}],
    )


@router.get("/reports/{report_id}", response={200: ReportOut, **PROBLEMS}, summary="Run a report")
def get_report(request: HttpRequest, report_id: str, q: Query[ReportQuery]):
    """One of the NIR reports (``avsluttet-intro``, ``avvik-sluttmaal``, ``bortfall-arbeid``, ``personliste``;
    docs/reports.md) for the persons in the user's scope, paged; the shape of ``nir report --format json``."""
    if report_id not in registry.REPORTS:
        raise ApiProblem(404, f"Ukjent rapport {report_id[:60]!r}; rapportene er: {', '.join(registry.REPORTS)}.")
    try:
        params = report_params(request.GET, registry.get(report_id), page_size=q.page_size)
        result = registry.run(report_id, params, scope=person_scope(request.auth))
        doc = exports.to_json(result)
    except registry.ReportError as e:
        raise _report_error(e) from None
    audit.record(
        request=request,
        actor_user=request.auth,
        action="report",
        channel="api",
        what=f"report:{report_id}",
        filters=doc["filters"],
        persons=m.Person.objects.filter(duf__in=[r["duf"] for r in doc["rows"]]).values_list("pk", flat=True),
    )
    return Status(200, doc)


class StatsQuery(Schema):
    year: str | None = Field(None, max_length=10, description="Year (default: the last complete year)")
    area: str | None = Field(None, max_length=10, description="County (2), municipality (4) or district (6)")
    by: str | None = Field(None, max_length=20, description="municipality or county")
    law: str | None = Field(None, max_length=40)
    as_of: str | None = Field(None, max_length=40)
    known_at: str | None = Field(None, max_length=40)


class StatsOut(Out):
    statistics: str
    year: int
    law: str
    as_of: dt.date
    known_at: dt.datetime
    area: str | None = None
    area_label: str = Field(
        description="What the figures count, as far as the caller may see: «Hele landet» only for IMDi, "
        "else e.g. «Trondheim - Tråante kommune» (nir.reports.areas)"
    )
    by: str | None = None
    figures: list[dict[str, Any]]
    rows: list[dict[str, Any]]


@router.get("/statistics", response={200: StatsOut, **PROBLEMS}, summary="Yearly statistics (aarsstatistikk)")
def get_statistics(request: HttpRequest, q: Query[StatsQuery]):
    """The yearly NIR statistics for the user's scope; the shape of ``nir report aarsstatistikk --format json``."""
    try:
        params = stats_request(request.GET).params
        table = statistics.yearly(params, scope=person_scope(request.auth))
    except registry.ReportError as e:
        raise _report_error(e) from None
    audit.record(
        request=request,
        actor_user=request.auth,
        action="statistics",
        channel="api",
        what="aarsstatistikk",
        filters={"year": params.year, "area": params.area, "by": params.by},
    )
    return Status(200, stats_exports.to_json(table))
