"""The yearly statistics pages: the figures of ``statistics.FIGURES`` with charts, tables and downloads.

    /rapporter/aarsstatistikk/?year=2025&law=…&area=…&by=…&as_of=…&known_at=…&compare_known_at=…
        every figure: title, definition and source beside a chart and the same numbers as a table;
        without ``by`` also the yearly series of the main figures; with ``compare_known_at`` the
        cells that late registrations and corrections changed (``diff.stats_diff``)
    /rapporter/aarsstatistikk/eksport.<csv|xlsx|json>?…
        the table as ``nir report aarsstatistikk --format … --out F`` writes it (``stats_exports``)
    /rapporter/aarsrapport/<area>/<year>/?law=…&as_of=…&known_at=…
        a standalone, printable yearly report for one municipality, county or district

Every number comes from ``statistics.yearly`` (or ``series``/``stats_diff``, which call it)
with ``person_scope(request.user)``. A bad parameter (``ReportError``, Norwegian) gives
status 400 with the message and the form.

``area`` is a county (2 digits), municipality (4) or Oslo district (6). The form has a select
of counties and municipalities named ``area`` and a text field ``district`` for a district
number; a district typed there wins over the select. Unlike the command line, the pages
refuse an area number that is not in the reference data (the command gives zeros).

The page text is English in the source and bokmål through the catalogue
(``src/nir/locale/parts/reports.po``); the figures' titles, definitions, sources and column
labels are ``statistics.FIGURES`` (domain data, already bokmål). The form is a plain GET form;
htmx replaces only ``#stats-body`` (``_stats_body.html``) and pushes the URL.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nir.access import audit
from nir.access.scope import Scope, person_scope
from nir.reference.models import County, District, Municipality
from nir.register.explain import LAW_LABELS
from nir.reports import charts, diff, statistics, stats_exports
from nir.reports.params import StatsRequest, default_year, stats_request
from nir.reports.registry import DEFAULT_LAW, LAWS, ReportError
from nir.reports.statistics import FIGURES, StatsParams, StatsTable
from nir.web.limits import export_rate_limited
from nir.web.views_reports import XLSX_CONTENT_TYPE, error_field, error_status, is_htmx, pager

YEARS_SHOWN = 10  # the year select: the current year and the nine before it
SERIES_YEARS = 5
# The main figures of the yearly series, with the short names written at the ends of the lines.
MAIN_FIGURES = {
    "deltakere": gettext_lazy("Participants"),
    "begynt": gettext_lazy("Started"),
    "avsluttet": gettext_lazy("Ended the programme"),
    "rett-og-plikt-31-12": gettext_lazy("Right and duty at 31.12."),
}
GOAL_FIGURES = ("sluttmaal-rett-og-plikt", "sluttmaal-rett")
EXAM_FIGURE = "norsk-frist-proever"
BY_CHOICES = (
    ("", gettext_lazy("None (one area)")),
    ("municipality", gettext_lazy("Municipality")),
    ("county", gettext_lazy("County")),
)
# The chart of «deltakere» by area: only up to this many areas (the table always has them all).
MAX_CHART_AREAS = 50
# A table by area shows this many areas a page (?side=N) and folds the figures after the first when
# there are more areas than FOLD_AREAS (the whole table is the CSV/XLSX download).
AREA_PAGE_SIZE = 50
FOLD_AREAS = 20
MAX_SCOPE_NAMES = 6
UNIT = gettext_lazy("Persons")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
EXPORT_FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE, "json": JSON_CONTENT_TYPE}

# --- areas (reference data) ---------------------------------------------------------------------


@dataclass
class AreaInfo:
    code: str
    name: str
    kind: str  # county, municipality, district
    municipalities: frozenset[str] = frozenset()  # the municipalities the area is or lies in
    districts: frozenset[str] = frozenset()  # the districts of the area


def area_info(code: str) -> AreaInfo:
    """The area's name and municipalities; ``ReportError`` when the number is not in the reference data."""
    if len(code) == 2:
        row = County.objects.filter(number=code).order_by("-valid_from").values_list("name", flat=True).first()
        if row is None:
            raise ReportError(
                gettext('unknown county "%(code)s": the county number is not in the reference data') % {"code": code}
            )
        munis = frozenset(Municipality.objects.filter(county__number=code).values_list("number", flat=True))
        districts = frozenset(District.objects.filter(municipality_number__in=munis).values_list("number", flat=True))
        return AreaInfo(code, row, "county", munis, districts)
    if len(code) == 4:
        row = Municipality.objects.filter(number=code).order_by("-valid_from").values_list("name", flat=True).first()
        if row is None:
            raise ReportError(
                gettext('unknown municipality "%(code)s": the municipality number is not in the reference data')
                % {"code": code}
            )
        districts = frozenset(District.objects.filter(municipality_number=code).values_list("number", flat=True))
        return AreaInfo(code, row, "municipality", frozenset({code}), districts)
    row = (
        District.objects.filter(number=code).order_by("-valid_from").values_list("name", "municipality_number").first()
    )
    if row is None:
        raise ReportError(
            gettext('unknown district "%(code)s": the district number is not in the reference data') % {"code": code}
        )
    return AreaInfo(code, row[0], "district", frozenset({row[1]}), frozenset({code}))


def area_choices(selected: str = "") -> list[tuple[str, list[tuple[str, str]]]]:
    """The select of areas: counties and municipalities valid today, grouped (``<optgroup>``)."""
    today = timezone.localdate()
    counties = [
        (n, f"{n} {name}")
        for n, name in County.objects.valid_on(today).order_by("number").values_list("number", "name")
    ]
    munis = [
        (n, f"{n} {name}")
        for n, name in Municipality.objects.valid_on(today).order_by("number").values_list("number", "name")
    ]
    known = {c for c, _ in counties} | {c for c, _ in munis}
    groups = [(gettext("Counties"), counties), (gettext("Municipalities"), munis)]
    if selected and len(selected) in (2, 4) and selected not in known:
        groups.insert(0, (gettext("Chosen"), [(selected, selected)]))
    return groups


def _municipality_names(numbers) -> list[str]:
    names = {}
    for number, name in (
        Municipality.objects.filter(number__in=numbers).order_by("number", "-valid_from").values_list("number", "name")
    ):
        names.setdefault(number, name)
    for number, name in (
        District.objects.filter(number__in=numbers).order_by("number", "-valid_from").values_list("number", "name")
    ):
        names.setdefault(number, name)
    return [names.get(n, n) for n in sorted(numbers)]


def scope_notice(scope: Scope | None, area: AreaInfo | None) -> dict[str, str] | None:
    """A notice for users who do not see every person: whose persons the figures count, and when
    the chosen area is outside what the user may see (all zeros)."""
    if scope is None:
        return None
    if scope.empty:
        return {
            "text": gettext("Your user has no access to persons in the register, so every figure is 0."),
            "level": "warning",
        }
    numbers = sorted(scope.municipalities | scope.districts)
    if len(numbers) > MAX_SCOPE_NAMES:
        whose = gettext("%(n)s municipalities and districts") % {"n": len(numbers)}
    else:
        names = _municipality_names(numbers)
        whose = (
            gettext("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}
            if len(names) > 1
            else names[0]
        )
    text = gettext(
        "You only see figures for persons you have access to: persons followed up by %(whose)s. Persons in other "
        "municipalities are not counted."
    ) % {"whose": whose}
    if area is not None and not (area.municipalities & scope.municipalities or area.districts & scope.districts):
        outside = gettext("%(area)s is outside what you have access to, so every figure for the area is 0.")
        return {"text": outside % {"area": area.name} + " " + text, "level": "warning"}
    return {"text": text, "level": "info"}


def checked(req: StatsRequest) -> tuple[StatsParams, AreaInfo | None]:
    """The parameters checked as ``statistics.validate`` does, and the area against the reference data."""
    p = statistics.validate(req.params)
    if req.compare_at is not None and timezone.is_naive(req.compare_at):
        raise ReportError(gettext("the comparison time must have a time zone"))
    return p, area_info(p.area) if p.area else None


# --- formatting ---------------------------------------------------------------------------------


def fmt_time(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


def fmt_date(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


def fmt_delta(n: int) -> str:
    return f"+{charts.format_number(n)}" if n > 0 else charts.format_number(n)


def law_label(law: str) -> str:
    return LAW_LABELS.get(law, law)


def _qs(values: dict[str, Any]) -> str:
    items = []
    for k, v in values.items():
        for one in v if isinstance(v, (list, tuple)) else [v]:
            if one not in (None, ""):
                items.append((k, one))
    return "?" + urlencode(items) if items else ""


# --- tables and charts --------------------------------------------------------------------------


@dataclass
class Table:
    """An HTML table as ``_stats_table.html`` writes it: caption, column headers, row headers, cells."""

    caption: str
    head: list[str]  # the first is the header of the row headers
    rows: list[tuple[str, list[str]]] = field(default_factory=list)
    foot: list[tuple[str, list[str]]] = field(default_factory=list)
    id: str = ""
    num_from: int = 1  # the columns from this one (0: the row headers) are numbers, right-aligned


def _n(v) -> str:
    return charts.format_number(v)


def _columns_of(fig: statistics.Figure) -> list[tuple[str, Any]]:
    """The headers of a figure's columns in a table by area, and how each cell is read from a table."""
    out: list[tuple[str, Any]] = [(c.label, lambda t, a, k=c.key: _n(t.value(fig.id, k, a))) for c in fig.columns]
    if fig.exhaustive and len(fig.columns) > 1:
        out.append((gettext("Total"), lambda t, a: _n(t.total(fig.id, a))))
    for num, den, label in fig.shares:
        out.append(
            (
                f"{label} (%)",
                lambda t, a, n=num, d=den: charts.format_percent(
                    None if t.share(fig.id, n, d, a) is None else t.share(fig.id, n, d, a) * 100
                ),
            )
        )
    return out


class _Sum:
    """The sum over the areas of a table, read like one area of it (for the «Sum» row)."""

    def __init__(self, table: StatsTable):
        self.table = table

    def value(self, figure, column, area=None):
        return sum(self.table.value(figure, column, a.code) for a in self.table.areas)

    def total(self, figure, area=None):
        fig = FIGURES[figure]
        return sum(self.value(figure, c.key) for c in fig.columns) if fig.exhaustive else None

    def share(self, figure, numerator, denominator, area=None):
        d = self.value(figure, denominator)
        return None if d == 0 else self.value(figure, numerator) / d


def _exam_split(t: StatsTable, code: str) -> tuple[list[tuple[str, int]], int]:
    """«norsk-frist-proever» as a split of the persons with the deadline in the year (bestått ⊆ avlagt ⊆ frist)."""
    deadline = t.value(EXAM_FIGURE, "deadline", code)
    taken = t.value(EXAM_FIGURE, "exam_taken", code)
    passed = t.value(EXAM_FIGURE, "exam_passed", code)
    return [
        (gettext("Passed"), passed),
        (gettext("Took the test, not passed"), max(taken - passed, 0)),
        (gettext("Did not take the test"), max(deadline - taken, 0)),
    ], deadline


def figure_section(
    fig: statistics.Figure, table: StatsTable, *, previous: StatsTable | None = None, prefix: str = "fig"
) -> dict[str, Any]:
    """One figure for one area: a chart, the numbers as a table (and the chart's own numbers when they differ)."""
    p = table.params
    code = table.areas[0].code if table.areas else (p.area or "")
    cid = f"{prefix}-{fig.id}"
    section: dict[str, Any] = {
        "figure": fig,
        "id": cid,
        "chart": None,
        "chart_table": None,
        "table": None,
        "table_html": None,
        "note": "",
    }
    place = table.areas[0].name if table.areas else ""
    unit = str(UNIT)
    title = _title(fig.title, place, p.year)
    if fig.id in GOAL_FIGURES:
        items = [(c.label, table.value(fig.id, c.key, code)) for c in fig.columns]
        total = sum(n for _, n in items)
        shown = [(label, n) for label, n in items if n]
        section["chart"] = charts.share_bars(title, shown, total=total, series_name=unit, chart_id=cid)
        section["table_html"] = charts.share_table(
            title, shown, total=total, label_header=gettext("Final goal"), count_header=unit, table_id=f"{cid}-table"
        )
        section["note"] = gettext("Final goals that no participant has are left out.")
        return section
    years = [p.year - 1, p.year] if previous is not None else [p.year]
    tables = [previous, table] if previous is not None else [table]
    if previous is not None and p.as_of != dt.date(p.year, 12, 31):
        section["note"] = gettext(
            "%(previous)s: figures as of 31.12.%(previous)s. %(year)s: figures as of %(date)s."
        ) % {"previous": p.year - 1, "year": p.year, "date": fmt_date(p.as_of)}
    labels = [c.label for c in fig.columns]
    rows = [(c.label, [_n(t.value(fig.id, c.key, code)) for t in tables]) for c in fig.columns]
    foot = []
    if fig.exhaustive and len(fig.columns) > 1:
        foot.append((gettext("Total"), [_n(t.total(fig.id, code)) for t in tables]))
    for num, den, label in fig.shares:
        of = fig.column(den).label.lower()
        foot.append(
            (
                gettext("%(share)s (of %(of)s)") % {"share": label, "of": of},
                [
                    charts.format_percent(
                        None if t.share(fig.id, num, den, code) is None else t.share(fig.id, num, den, code) * 100
                    )
                    for t in tables
                ],
            )
        )
    head = [gettext("Group"), *[str(y) for y in years]]
    both = _two_years(p.year - 1, p.year)
    caption = _title(fig.title, place, both if previous is not None else p.year)
    section["table"] = Table(caption, head, rows, foot, id=f"{cid}-table")
    if fig.id == EXAM_FIGURE:
        split, deadline = _exam_split(table, code)
        section["chart"] = charts.share_bars(
            gettext("%(title)s: distribution") % {"title": title}, split, total=deadline, series_name=unit, chart_id=cid
        )
        section["chart_table"] = charts.share_table(
            _title(gettext("Persons with the deadline in the year, by test"), place, p.year),
            split,
            total=deadline,
            label_header=gettext("Test"),
            count_header=unit,
            table_id=f"{cid}-split",
        )
        return section
    if previous is not None:
        title = _title(fig.title, place, both)
    if len(fig.columns) == 1:
        # One number a year: one bar per year.
        key = fig.columns[0].key
        section["chart"] = charts.bar_chart(
            title,
            [str(y) for y in years],
            {fig.columns[0].label: [t.value(fig.id, key, code) for t in tables]},
            horizontal=True,
            unit=unit,
            chart_id=cid,
        )
        return section
    # The category groups, the two years side by side (grouped bars).
    series = {str(y): [t.value(fig.id, c.key, code) for c in fig.columns] for y, t in zip(years, tables)}
    section["chart"] = charts.bar_chart(title, labels, series, unit=unit, chart_id=cid)
    return section


def _title(title: str, place: str, years) -> str:
    """«Deltakere – Bergen, 2025»: a figure's title, the place and the year(s)."""
    return gettext("%(title)s - %(place)s, %(years)s") % {"title": title, "place": place, "years": years}


def _two_years(first: int, second: int) -> str:
    return gettext("%(first)s and %(second)s") % {"first": first, "second": second}


def _by_word(by: str | None) -> str:
    return gettext("municipality") if by == "municipality" else gettext("county")


def figure_section_by_area(
    fig: statistics.Figure, table: StatsTable, *, prefix: str = "fig", page: int = 1, fold: bool = False
) -> dict[str, Any]:
    """One figure, one row per area (no chart per area), ``AREA_PAGE_SIZE`` areas a page, with a «Sum»
    row of every area; ``fold``: the table folded into <details> (a page of 357 municipalities)."""
    p = table.params
    cols = _columns_of(fig)
    shown = table.areas[(page - 1) * AREA_PAGE_SIZE : page * AREA_PAGE_SIZE]
    rows = [(f"{a.code} {a.name}".strip(), [get(table, a.code) for _, get in cols]) for a in shown]
    total = _Sum(table)
    sum_label = (
        gettext("Sum") if len(shown) == len(table.areas) else gettext("Sum, all %(n)s") % {"n": len(table.areas)}
    )
    foot = [(sum_label, [get(total, "") for _, get in cols])] if table.areas else []
    caption = gettext("%(title)s - %(place)s, %(year)s, per %(by)s") % {
        "title": fig.title,
        "place": table.label,
        "year": p.year,
        "by": _by_word(p.by),
    }
    table_ = Table(caption, [gettext("Area"), *[h for h, _ in cols]], rows, foot, id=f"{prefix}-{fig.id}-table")
    return {
        "figure": fig,
        "id": f"{prefix}-{fig.id}",
        "chart": None,
        "chart_table": None,
        "table": table_,
        "table_html": None,
        "note": "",
        "fold": fold,
    }


# The orders of the rows of a table by area (?sorter=): number (default), name, most participants.
AREA_ORDERS = {
    "": gettext_lazy("number"),
    "navn": gettext_lazy("name"),
    "deltakere": gettext_lazy("most participants"),
}


def sort_area_rows(table: StatsTable, order: str) -> None:
    """The rows of a table by area in the order asked for (the page only; the downloads keep the numbers' order)."""
    if order == "navn":
        table.areas.sort(key=lambda a: (a.name.lower(), a.code))
    elif order == "deltakere":
        table.areas.sort(key=lambda a: (-(table.total("deltakere", a.code) or 0), a.code))


def area_pages(table: StatsTable) -> int:
    return max(1, math.ceil(len(table.areas) / AREA_PAGE_SIZE))


def area_chart(table: StatsTable) -> dict[str, Any] | None:
    """«deltakere» in total per area (by municipality or county)."""
    if not table.areas:
        return None
    title = gettext("Persons who took part in the introduction programme in %(year)s - %(place)s, per %(by)s") % {
        "year": table.params.year,
        "place": table.label,
        "by": _by_word(table.params.by),
    }
    if len(table.areas) > MAX_CHART_AREAS:
        note = gettext("The chart is shown when there are at most %(n)s areas; the figures are in the table.")
        return {"title": title, "chart": None, "table": None, "note": note % {"n": MAX_CHART_AREAS}}
    cats = [a.name for a in table.areas]
    series = {gettext("Participants in total"): [table.total("deltakere", a.code) for a in table.areas]}
    unit = str(UNIT)
    return {
        "title": title,
        "note": "",
        "chart": charts.bar_chart(title, cats, series, horizontal=True, unit=unit, chart_id="omraader"),
        "table": charts.data_table(
            title, cats, series, unit=unit, category_header=gettext("Area"), table_id="omraader-table"
        ),
    }


def series_section(tables: dict[int, StatsTable], code: str, place: str) -> dict[str, Any]:
    """The main figures over the years: a line chart and the same numbers as a table."""
    years = sorted(tables)
    labels = [str(y) for y in years]
    series = {str(name): [tables[y].total(fid, code) for y in years] for fid, name in MAIN_FIGURES.items()}
    title = gettext("Main figures %(first)s-%(last)s - %(place)s") % {
        "first": years[0],
        "last": years[-1],
        "place": place,
    }
    last = tables[years[-1]].params.as_of
    dates = gettext("Figures as of 31.12. each year, for %(year)s as of %(date)s.") % {
        "year": years[-1],
        "date": fmt_date(last),
    }
    if last == dt.date(years[-1], 12, 31):
        dates = gettext("Figures as of 31.12. each year.")
    unit = str(UNIT)
    return {
        "title": title,
        "chart": charts.line_chart(title, labels, series, unit=unit, chart_id="serie"),
        "table": charts.data_table(
            title, labels, series, unit=unit, category_header=gettext("Year"), table_id="serie-table"
        ),
        "note": dates,
        "figures": [FIGURES[f] for f in MAIN_FIGURES],
    }


def yearly_series(p: StatsParams, table: StatsTable, scope) -> dict[int, StatsTable]:
    """The last five years up to ``p.year``, every figure; the chosen year as on the page (same reference date)."""
    first = max(2004, p.year - SERIES_YEARS + 1)
    every = replace(p, by=None, figures=())
    earlier = statistics.series(every, range(first, p.year), scope=scope) if first < p.year else {}
    if not set(MAIN_FIGURES) <= set(table.params.figures):
        table = statistics.yearly(every, scope=scope)  # same as_of: validate() kept it
    return {**earlier, p.year: table}


def changes_table(d: diff.StatsDiff) -> Table:
    rows = []
    for c in d.changes:
        fig = FIGURES[c.figure]
        area = f"{c.area} {c.area_name}".strip()
        rows.append((area, [fig.title, fig.column(c.column).label, _n(c.before), _n(c.after), fmt_delta(c.delta)]))
    caption = gettext("Changed figures between the register as known %(before)s and %(after)s") % {
        "before": fmt_time(d.before.known_at),
        "after": fmt_time(d.after.known_at),
    }
    head = [
        gettext("Area"),
        gettext("Figure"),
        gettext("Column"),
        gettext("Before"),
        gettext("After"),
        gettext("Change"),
    ]
    return Table(caption, head, rows, id="endringer-table", num_from=3)


def _sections(table: StatsTable, previous: StatsTable | None, page: int = 1) -> list[dict[str, Any]]:
    if table.params.by:
        # Many areas (IMDi by municipality: 357 rows per figure): every figure but the first folded.
        fold = len(table.areas) > FOLD_AREAS
        return [figure_section_by_area(f, table, page=page, fold=fold and i > 0) for i, f in enumerate(table.figures)]
    return [figure_section(f, table, previous=previous) for f in table.figures]


# --- the statistics page ------------------------------------------------------------------------


def _form(query) -> dict[str, Any]:
    """The values of the form as given (shown again after an error)."""
    district = query.get("district", "").strip()
    area = query.get("area", "").strip()
    if not district and len(area) == 6:
        district, area = area, ""
    year_now = timezone.localdate().year
    years = [str(y) for y in range(year_now, year_now - YEARS_SHOWN, -1)]
    year = query.get("year", "").strip() or str(default_year())
    if year not in years and re.fullmatch(r"\d{4}", year):
        years.append(year)
    return {
        "year": year,
        "years": years,
        "law": query.get("law", "").strip() or DEFAULT_LAW,
        "laws": [(law, law_label(law)) for law in LAWS],
        "area": area,
        "district": district,
        "areas": area_choices(area),
        "by": query.get("by", "").strip(),
        "by_choices": BY_CHOICES,
        "as_of": query.get("as_of", "").strip(),
        "known_at": query.get("known_at", "").strip(),
        "compare_known_at": query.get("compare_known_at", "").strip(),
    }


def _everything(scope) -> dict[str, str]:
    """What the empty area of the form counts (``statistics.AreaLabels``): the option's text and the hint's."""
    label = statistics.AreaLabels(scope).table(None)
    return {"everything": label, "everything_hint": label.lower() if scope is None else label}


def _link_params(p: StatsParams, query) -> dict[str, str]:
    """The parameters of the page as given (for the downloads and the yearly report)."""
    return {
        "year": str(p.year),
        "law": p.law,
        "area": p.area or "",
        "by": p.by or "",
        "as_of": query.get("as_of", "").strip(),
        "known_at": query.get("known_at", "").strip(),
        "figure": [f for f in p.figures] if len(p.figures) < len(FIGURES) else [],
    }


def _message(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:]


@never_cache
@login_required
@require_GET
def statistics_page(request):
    query = request.GET
    scope = person_scope(request.user)
    partial = is_htmx(request)
    context: dict[str, Any] = {
        "form": {**_form(query), **_everything(scope)},
        "figures": list(FIGURES.values()),
        "partial": partial,
        "url": reverse("statistics"),
    }
    # The URL of the page as asked for, without empty parameters (pushed to the address bar by htmx).
    clean_url = request.path + _qs({k: query.getlist(k) for k in query})
    try:
        req = stats_request(query)
        p, area = checked(req)
        table = statistics.yearly(p, scope=scope)
        p = table.params
        # Five years of the whole country are five whole-register statements (~8 s each at 1 M
        # persons): the national series is computed only when asked for (serie=1).
        want_series = not p.by and (bool(p.area) or query.get("serie") == "1")
        series = yearly_series(p, table, scope) if want_series else None
        changes = None
        if req.compare:
            changes = diff.stats_diff(p, p.known_at, req.compare_at, scope=scope)
    except ReportError as e:
        context["error"] = _message(e)
        context["error_field"] = error_field(e, query, FORM_FIELDS)
        return _render_statistics(request, context, "false", status=error_status(request))

    # Audit log (issue 5): aggregates only, no persons; a failure fails the request.
    audit.record(
        request=request,
        action="statistics",
        channel="web",
        what="statistics:aarsstatistikk",
        filters=audit.statistics_filters(
            p, series=bool(series), compare_known_at=(req.compare_at or "now") if req.compare else None
        ),
    )
    code = table.areas[0].code if not p.by and table.areas else ""
    area_page, area_pager, sort_links = 1, None, []
    if p.by:
        order = query.get("sorter", "").strip()
        sort_area_rows(table, order)
        sort_links = [
            {
                "label": label,
                "url": request.path
                + _qs({**{k: query.getlist(k) for k in query if k not in ("side", "sorter")}, "sorter": key}),
                "current": key == (order if order in AREA_ORDERS else ""),
            }
            for key, label in AREA_ORDERS.items()
        ]
        pages = area_pages(table)
        try:
            area_page = min(max(1, int(query.get("side") or 1)), pages)
        except ValueError:
            area_page = 1
        if pages > 1:

            def page_url(n: int) -> str:
                return request.path + _qs({**{k: query.getlist(k) for k in query if k != "side"}, "side": n})

            area_pager = {
                "page": area_page,
                "pages": pages,
                "items": pager(area_page, pages, page_url),
                "prev_url": page_url(area_page - 1) if area_page > 1 else "",
                "next_url": page_url(area_page + 1) if area_page < pages else "",
                "first": (area_page - 1) * AREA_PAGE_SIZE + 1,
                "last": min(area_page * AREA_PAGE_SIZE, len(table.areas)),
                "total": len(table.areas),
            }
    place = table.label  # what the figures count, as far as the user may see (statistics.AreaLabels)
    links = _link_params(p, query)
    export_query = _qs(links)
    context.update(
        {
            "table": table,
            "params": p,
            "place": place,
            "area": area,
            "law_label": law_label(p.law),
            "as_of": fmt_date(p.as_of),
            "known_at": fmt_time(table.known_at),
            "by_label": dict(BY_CHOICES).get(p.by or "", ""),
            "notice": scope_notice(scope, area),
            "sections": _sections(table, series.get(p.year - 1) if series else None, page=area_page),
            "area_pager": area_pager,
            "sort_links": sort_links,
            "area_chart": area_chart(table) if p.by else None,
            "series": series_section(series, code, place) if series else None,
            "series_url": (
                None if series or p.by else request.path + _qs({**{k: v for k, v in query.items()}, "serie": "1"})
            ),
            "changes": changes_table(changes) if changes is not None else None,
            "changes_count": len(changes.changes) if changes is not None else 0,
            "downloads": [
                (label, reverse("statistics_export", args=[fmt]) + export_query)
                for fmt, label in (("csv", "CSV"), ("xlsx", "Excel (xlsx)"), ("json", "JSON"))
            ],
            "report_url": (
                reverse("yearly_report", args=[p.area, p.year])
                + _qs(
                    {
                        "law": p.law if p.law != DEFAULT_LAW else "",
                        "as_of": links["as_of"],
                        "known_at": links["known_at"],
                    }
                )
            )
            if p.area
            else "",
            # After an htmx update the focus goes to the result's heading.
            "focus_result": partial,
        }
    )
    return _render_statistics(request, context, clean_url)


# The fields of the form, in the order shown (the error summary links to the one a message is about).
FORM_FIELDS = ["year", "law", "area", "district", "by", "as_of", "known_at", "compare_known_at"]


def _render_statistics(request, context: dict[str, Any], push_url: str, status: int = 200):
    partial = context["partial"]
    template = "web/reports/_stats_body.html" if partial else "web/reports/statistics.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    if partial:
        response["HX-Push-Url"] = push_url  # "false" after a refusal: no state of the page to go back to
    return response


# --- downloads ----------------------------------------------------------------------------------


def export_filename(p: StatsParams, fmt: str) -> str:
    parts = [stats_exports.STATISTICS_ID, str(p.year), p.law, p.area or "landet"]
    if p.by:
        parts.append({"municipality": "kommuner", "county": "fylker"}[p.by])
    return "-".join(parts) + f"-{p.as_of:%Y-%m-%d}.{fmt}"


@never_cache
@login_required
@require_GET
@export_rate_limited
def statistics_export(request, fmt: str):
    """The table as ``nir report aarsstatistikk --format FMT --out F`` writes it (CSV with a BOM)."""
    if fmt not in EXPORT_FORMATS:
        raise Http404(gettext("Unknown format"))
    try:
        p, _area = checked(stats_request(request.GET))
        table = statistics.yearly(p, scope=person_scope(request.user))
    except ReportError:
        return statistics_page(request)  # the page explains the error (400) with the form to correct it
    if fmt == "xlsx":
        body = stats_exports.to_xlsx(table)
    else:
        buf = io.StringIO()
        (stats_exports.write_json if fmt == "json" else stats_exports.write_csv)(table, buf)
        body = buf.getvalue().encode("utf-8-sig" if fmt == "csv" else "utf-8")
    # Audit log (issue 5): aggregates only, no persons; a failure fails the request.
    audit.record(
        request=request,
        action="export",
        channel="web",
        what="statistics:aarsstatistikk",
        filters=audit.statistics_filters(table.params, format=fmt),
    )
    response = HttpResponse(body, content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export_filename(table.params, fmt)}"'
    return response


# --- the printable yearly report ----------------------------------------------------------------


@never_cache
@login_required
@require_GET
def yearly_report(request, area: str, year: str):
    query = request.GET
    scope = person_scope(request.user)
    context: dict[str, Any] = {
        "area_code": area,
        "year": year,
        "statistics_url": reverse("statistics") + _qs({"year": year, "area": area}),
    }
    try:
        p, info = checked(stats_request(query, area=area, year=year, by_allowed=False))
        table = statistics.yearly(p, scope=scope)
        p = table.params
        series = yearly_series(p, table, scope)
    except ReportError as e:
        context["error"] = _message(e)
        return render(request, "web/reports/yearly_report.html", context, status=400)
    # Audit log (issue 5): aggregates only, no persons; a failure fails the request.
    audit.record(
        request=request,
        action="statistics",
        channel="web",
        what="statistics:aarsrapport",
        filters=audit.statistics_filters(p),
    )
    context.update(
        {
            "table": table,
            "params": p,
            "place": table.label,
            "area": info,
            "kind_label": {
                "county": gettext("County"),
                "municipality": gettext("Municipality"),
                "district": gettext("District"),
            }[info.kind],
            "law_label": law_label(p.law),
            "as_of": fmt_date(p.as_of),
            "known_at": fmt_time(table.known_at),
            "notice": scope_notice(scope, info),
            "sections": _sections(table, series.get(p.year - 1)),
            "series": series_section(series, table.areas[0].code, info.name),
            "generated": fmt_time(timezone.now()),
            "statistics_url": reverse("statistics") + _qs({**_link_params(p, query), "by": ""}),
        }
    )
    return render(request, "web/reports/yearly_report.html", context)
