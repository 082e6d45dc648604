"""Bosettingstall and the weekly list (``nir.settlement.figures``) on the web.

    /bosetting/tall/?year=2025&area=50&known_at=2026-01-19
        key figures (settlement.md § 3) of the country, an IMDi region, a county or a municipality;
        charts of the monthly pace (settled, proposals, agreements), the ready for settlement per
        month end, and requested / decided / settled per county, each with its numbers as a table;
        the table per municipality
    /bosetting/tall/eksport.<csv|xlsx>?…       the same tables (``figures_export``)
    /bosetting/ukeliste/?year=2025&week=48&area=…
        persons settled in an ISO week per municipality and age group (counts only, no names)
    /bosetting/ukeliste/eksport.<csv|xlsx>?…

Access: ``policy.WEB_RULES`` (``settlement.read``); every figure is counted within
``settlement_area(request.user)`` (IMDi: the country; a county governor or county municipality: its
counties; a municipality: itself), and an area outside it is *not found* (404). A bad parameter gives
400 with the message and the form. Each page and download records one audit event of kind
«statistics» (counts, no person).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nir.access import audit
from nir.access.settlement import settlement_area
from nir.reports import charts
from nir.settlement import figures as fg
from nir.settlement import figures_export as ex
from nir.web.limits import export_rate_limited
from nir.web.views_reports import XLSX_CONTENT_TYPE

YEARS_SHOWN = 6
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def _fmt(figure: fg.Figure | None, value: Any) -> str:
    if value is None:
        return "–"
    if figure is not None and figure.kind == "share":
        return charts.format_percent(value * 100)
    if figure is not None and figure.kind == "months":
        return charts.format_number(value, 1)
    return charts.format_number(value)


def _form(query, allowed) -> dict[str, Any]:
    this_year = timezone.localdate().year
    return {
        "year": query.get("year", "").strip() or str(this_year),
        "years": [str(y) for y in range(this_year, this_year - YEARS_SHOWN, -1)],
        "area": query.get("area", "").strip(),
        "areas": fg.area_options(allowed),
        "known_at": query.get("known_at", "").strip(),
        "week": query.get("week", "").strip(),
    }


def _downloads(name: str, query) -> list[tuple[str, str]]:
    params = {k: query.get(k, "").strip() for k in ("year", "area", "known_at", "week") if query.get(k, "").strip()}
    qs = "?" + urlencode(params) if params else ""
    return [(label, reverse(name, args=[fmt]) + qs) for fmt, label in (("csv", "CSV"), ("xlsx", "Excel (xlsx)"))]


def _known_label(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%d.%m.%Y %H:%M")


def _compute(request) -> fg.Figures:
    q = request.GET
    year = fg.parse_year(q.get("year", "").strip(), timezone.localdate().year)
    return fg.compute(
        year,
        known_at=fg.parse_known_at(q.get("known_at")),
        area=q.get("area", "").strip(),
        allowed=settlement_area(request.user),
    )


def _audit(request, what: str, filters: dict[str, Any]) -> None:
    audit.record(request=request, action="statistics", channel="web", what=what, filters=filters)


# --- the figures page ----------------------------------------------------------------------------


def _charts(f: fg.Figures) -> list[dict[str, Any]]:
    place = f.area.label
    months = [m.capitalize() for m in fg.MONTHS]
    pace = {label: [m[k] for m in f.monthly] for k, label in fg.MONTHLY_COLUMNS}
    title = _("Settled persons, proposals and agreements per month - %(place)s, %(year)s") % {
        "place": place,
        "year": f.year,
    }
    out = [
        {
            "id": "tempo",
            "title": title,
            "chart": charts.line_chart(title, months, pace, chart_id="tempo"),
            "table": charts.data_table(title, months, pace, category_header=_("Month"), table_id="tempo-table"),
        }
    ]
    ready_cats = [d["date"].strftime("%d.%m.") for d in f.ready]
    ready = {
        _("With agreement"): [d["with_agreement"] for d in f.ready],
        _("Without agreement"): [d["without_agreement"] for d in f.ready],
    }
    title = _("Ready for settlement at the end of each month (persons) - %(place)s, %(year)s") % {
        "place": place,
        "year": f.year,
    }
    extra = {"EM": [d["um"] for d in f.ready], _("Special needs"): [d["special_needs"] for d in f.ready]}
    out.append(
        {
            "id": "klare",
            "title": title,
            "chart": charts.bar_chart(title, ready_cats, ready, stacked=True, unit=_("Persons"), chart_id="klare"),
            "table": charts.data_table(
                title,
                ready_cats,
                {**ready, **extra},
                category_header=_("Month end"),
                table_id="klare-table",
            ),
        }
    )
    if len(f.by_county) > 1 or f.area.kind in ("national", "region", "county", "own"):
        cats = [r.name for r in f.by_county]
        series = {
            _("Requested"): [r.values["requested"] for r in f.by_county],
            _("Decided"): [r.values["decided"] for r in f.by_county],
            _("Settled"): [r.values["settled"] for r in f.by_county],
        }
        title = _("Requested, decided and settled per county - %(place)s, %(year)s") % {"place": place, "year": f.year}
        out.append(
            {
                "id": "fylker",
                "title": title,
                "chart": charts.bar_chart(title, cats, series, horizontal=True, unit=_("Persons"), chart_id="fylker"),
                "table": charts.data_table(title, cats, series, category_header=_("County"), table_id="fylker-table"),
            }
        )
    return out


def _area_table(rows: list[fg.AreaRow], header: str) -> dict[str, Any]:
    return {
        "head": [header, *[label for _k, label in fg.AREA_COLUMNS]],
        "rows": [
            (f"{r.code} {r.name}", [_fmt(fg.BY_KEY[k], r.values[k]) for k, _label in fg.AREA_COLUMNS]) for r in rows
        ],
    }


@never_cache
@login_required
@require_GET
def figures_page(request):
    allowed = settlement_area(request.user)
    context: dict[str, Any] = {"form": _form(request.GET, allowed), "url": reverse("settlement_figures")}
    try:
        f = _compute(request)
    except fg.OutsideArea as e:
        raise Http404(str(e)) from None
    except fg.FiguresError as e:
        context["error"] = str(e)[:1].upper() + str(e)[1:]
        context["error_field"] = e.field
        return render(request, "web/settlement_figures/figures.html", context, status=400)
    _audit(request, "settlement:figures", {"year": f.year, "area": f.area.code or f.area.kind})
    starts = dict(fg.FIGURE_GROUPS)
    key_sections: list[dict[str, Any]] = []
    for x in fg.FIGURES:
        if x.key in starts:
            key_sections.append({"title": starts[x.key], "rows": []})
        key_sections[-1]["rows"].append({"key": x.key, "label": x.label, "value": _fmt(x, f.values[x.key])})
    context.update(
        {
            "f": f,
            "known_label": _known_label(f.known_at),
            "key_sections": key_sections,
            "need": f.need,
            "charts": _charts(f),
            "county_table": _area_table(f.by_county, _("County")),
            "municipality_table": _area_table(f.by_municipality, _("Municipality")),
            "region_table": _area_table(fg.by_region(f), _("Region")) if f.area.kind == "national" else None,
            "downloads": _downloads("settlement_figures_export", request.GET),
            "weekly_url": reverse("settlement_weekly_list"),
        }
    )
    return render(request, "web/settlement_figures/figures.html", context)


@never_cache
@login_required
@require_GET
@export_rate_limited
def figures_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        f = _compute(request)
    except fg.OutsideArea as e:
        raise Http404(str(e)) from None
    except fg.FiguresError as e:
        return HttpResponse(str(e), status=400, content_type="text/plain; charset=utf-8")
    _audit(request, "settlement:figures", {"year": f.year, "area": f.area.code or f.area.kind, "format": fmt})
    name = f"bosettingstall-{f.year}{'-' + f.area.code if f.area.code else ''}.{fmt}"
    if fmt == "csv":
        response = HttpResponse("\ufeff" + ex.csv_text(f), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(ex.xlsx_bytes(f), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the weekly list -----------------------------------------------------------------------------


def _weekly(request) -> fg.WeeklyList:
    q = request.GET
    today = timezone.localdate()
    iso = today.isocalendar()
    year = fg.parse_year(q.get("year", "").strip(), iso.year)
    raw = q.get("week", "").strip()
    try:
        week = int(raw) if raw else iso.week
    except ValueError:
        raise fg.FiguresError(f"ugyldig uke «{raw[:10]}»") from None
    return fg.weekly_list(
        year,
        week,
        known_at=fg.parse_known_at(q.get("known_at")),
        allowed=settlement_area(request.user),
        area=q.get("area", "").strip(),
    )


@never_cache
@login_required
@require_GET
def weekly_page(request):
    allowed = settlement_area(request.user)
    form = _form(request.GET, allowed)
    iso = timezone.localdate().isocalendar()
    form["year"] = request.GET.get("year", "").strip() or str(iso.year)
    form["week"] = form["week"] or str(iso.week)
    context: dict[str, Any] = {"form": form, "url": reverse("settlement_weekly_list"), "weeks": range(1, 54)}
    try:
        w = _weekly(request)
    except fg.OutsideArea as e:
        raise Http404(str(e)) from None
    except fg.FiguresError as e:
        context["error"] = str(e)[:1].upper() + str(e)[1:]
        context["error_field"] = e.field
        return render(request, "web/settlement_figures/weekly.html", context, status=400)
    _audit(request, "settlement:weekly-list", {"year": w.year, "week": w.week, "area": form["area"]})
    groups = [label for label, _lo, _hi in fg.AGE_GROUPS]
    context.update(
        {
            "w": w,
            "groups": groups,
            "rows": [
                (f"{r.code} {r.name}", [charts.format_number(r.values[g]) for g in [*groups, "total"]]) for r in w.rows
            ],
            "total": [charts.format_number(w.total[g]) for g in [*groups, "total"]],
            "known_label": _known_label(w.known_at),
            "downloads": _downloads("settlement_weekly_list_export", request.GET),
            "figures_url": reverse("settlement_figures"),
        }
    )
    return render(request, "web/settlement_figures/weekly.html", context)


@never_cache
@login_required
@require_GET
@export_rate_limited
def weekly_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        w = _weekly(request)
    except fg.OutsideArea as e:
        raise Http404(str(e)) from None
    except fg.FiguresError as e:
        return HttpResponse(str(e), status=400, content_type="text/plain; charset=utf-8")
    _audit(request, "settlement:weekly-list", {"year": w.year, "week": w.week, "format": fmt})
    name = f"bosatte-uke-{w.year}-{w.week:02d}.{fmt}"
    if fmt == "csv":
        response = HttpResponse("\ufeff" + ex.weekly_csv(w), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(ex.weekly_xlsx(w), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
