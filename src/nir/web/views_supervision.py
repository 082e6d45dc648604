"""Tilsyn: the county governor's supervision view (``nir.reports.supervision``).

    /tilsyn/                 the municipalities of the county governor's counties, one row each: persons
                             followed up, in the programme, deviations, deadlines passed, missing
                             decisions; a county total. IMDi chooses a county (?fylke=NN).
                             The county governor's Arbeidsflate is this page (``policy.supervision_is_landing``).
    /tilsyn/<kommunenr>/     one municipality: its figures, each with the list of persons behind it
                             (the registry's report filtered on the municipality: person-level drill-down,
                             read-only, for a user who may read persons and reports)

Access: ``policy.WEB_RULES`` (``supervision.read``); the figures count only the persons in the user's
scope (``nir.access.scope``), and a municipality outside it is *not found*. Each page records one
audit event of kind «statistics» (counts, no person).
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nir.access import audit, policy
from nir.reports import supervision
from nir.reports.charts import format_number
from nir.reports.worklist import Context
from nir.web.views_overview import _scope_key, _url, reference_names, worklist_page


def _figure_cells(values: dict[str, int]) -> list[dict]:
    cells = []
    for f in supervision.FIGURES:
        n = values.get(f.key, 0)
        cells.append({"key": f.key, "value": format_number(n), "n": n, "warn": f.deviation and n > 0})
    return cells


FIGURE_CACHE_SECONDS = 120


def _figures(ctx: Context, numbers: list[str]) -> dict[str, dict[str, int]]:
    """``supervision.figures``, kept ``FIGURE_CACHE_SECONDS`` per scope, municipalities and day."""
    if not numbers:
        return {}
    digest = hashlib.sha1(f"{_scope_key(ctx.scope)}:{','.join(numbers)}".encode()).hexdigest()
    key = f"nir:supervision:{ctx.today.isoformat()}:{digest}"
    values = cache.get(key)
    if values is None:
        values = supervision.figures(ctx.scope, numbers, ctx.today)
        cache.set(key, values, FIGURE_CACHE_SECONDS)
    return values


@never_cache
@require_GET
def overview(request):
    ctx = Context.for_user(request.user)
    names = reference_names(ctx.today)
    counties = supervision.counties(ctx.scope, names["municipalities"])
    chosen = request.GET.get("fylke", "").strip()
    if chosen not in {c for c, _n in counties}:
        chosen = ""
    # A county governor sees its counties (or the one chosen); IMDi, who sees every county, chooses one.
    shown = [chosen] if chosen else ([] if ctx.scope is None else [c for c, _n in counties])
    munis = names["municipalities"]
    numbers = [nr for nr, (_name, county, _cn) in munis.items() if county in shown]
    values = _figures(ctx, numbers)
    rows = [
        {
            "number": nr,
            "name": munis[nr][0],
            "url": reverse("supervision_municipality", args=[nr]),
            "cells": _figure_cells(values[nr]),
        }
        for nr in numbers
        if nr in values
    ]
    totals = {k: sum(v[k] for v in values.values()) for k in supervision.FIGURE_KEYS}
    audit.record(
        request=request,
        action="statistics",
        channel="web",
        what="supervision",
        filters={"counties": shown, "municipalities": len(rows)},
    )
    return render(
        request,
        "web/supervision/overview.html",
        {
            "rows": rows,
            "totals": _figure_cells(totals),
            "headers": [f.label for f in supervision.FIGURES],
            "counties": counties,
            "chosen": chosen,
            "shown_counties": [(c, cn) for c, cn in counties if c in shown],
            "choose": ctx.scope is None,
            # the open plausibility warnings of the persons in scope, per municipality and rule
            "data_quality_url": reverse("worklist_section", args=["datakvalitet"])
            if policy.page_allowed(request.user, "worklist_section")
            else "",
            "today": ctx.today,
            "no_access": ctx.sees_nobody,
        },
    )


@never_cache
@require_GET
def municipality(request, nr: str):
    ctx = Context.for_user(request.user)
    names = reference_names(ctx.today)
    munis = names["municipalities"]
    if nr not in munis:
        raise Http404(_("Unknown municipality"))
    values = _figures(ctx, [nr]).get(nr)
    if values is None:  # outside the user's scope: as unknown
        raise Http404(_("Unknown municipality"))
    drill_down = policy.allows(request.user, policy.Permission.REPORT_READ) and policy.allows(
        request.user, policy.Permission.PERSON_READ
    )
    figures = [
        {
            "label": f.label,
            "value": format_number(values[f.key]),
            "warn": f.deviation and values[f.key] > 0,
            "url": _url("report", f.report, **f.report_query(nr)) if drill_down else "",
        }
        for f in supervision.FIGURES
    ]
    audit.record(
        request=request,
        action="statistics",
        channel="web",
        what=f"supervision:{nr}",
        filters={"municipality": nr},
    )
    name, county, county_name = munis[nr]
    return render(
        request,
        "web/supervision/municipality.html",
        {
            "number": nr,
            "name": name,
            "county": county,
            "county_name": county_name,
            "figures": figures,
            "today": ctx.today,
            "back_url": reverse("supervision") + (f"?fylke={county}" if ctx.scope is None else ""),
            "municipality_url": reverse("municipality", args=[nr])
            if policy.page_allowed(request.user, "municipality")
            else "",
        },
    )


def worklist_or_supervision(request):
    """/arbeidsflate/: the work list (``views_overview.worklist_page``); for a county governor, who
    supervises and has no to-do list (``policy.supervision_is_landing``), the supervision view."""
    if policy.supervision_is_landing(request.user):
        return overview(request)
    return worklist_page(request)
