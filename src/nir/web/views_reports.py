"""The report pages: the list of reports, one report with filters, sorting and paging, and its download.

    /rapporter/                              every report of ``registry.REPORTS``, once per law
    /rapporter/<id>/?law=…&municipality=…    one report: filter form, count, table (50 rows a page)
    /rapporter/<id>/eksport.csv?…            the whole report (every row) as CSV or
    /rapporter/<id>/eksport.xlsx?…           Excel, with the same filters as the page

The pages are generic over ``registry.REPORTS``: the form has the common filters and the
report's own (``definition.filters``), with a select where the values come from a list
(laws, categories, deviations, code lists, the registry's ``*_LABELS``), a date field for
dates and a number field for numbers. Every query goes through ``registry.run`` with
``person_scope(request.user)``; the CSV and XLSX are written by ``exports.write_csv`` and
``exports.write_xlsx``, the same functions as ``nir report``. A bad filter value
(``registry.ReportError``) is shown in Norwegian with status 400, in an error summary that links
to the field when the field is known.

The page text is English in the source and bokmål through the catalogue
(``src/nir/locale/parts/reports.po``); report titles, help texts, column headers and code-list
labels are the registry's (domain data, already bokmål). The filter form is a plain GET form;
htmx (``hx-get`` on the form, the sort links and the pager) replaces only ``#report-body``
(``_report_body.html``) and pushes the clean URL (``HX-Push-Url``); without JavaScript the same
URLs give the whole page.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import tempfile
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nir import codes
from nir.access import audit
from nir.access.scope import person_scope
from nir.isodates import parse_typed_date
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS, LAW_LABELS
from nir.reports import charts, exports, registry
from nir.reports.areas import area_names
from nir.reports.params import accepted_filters, filter_label, report_params, value_kind
from nir.web.help import current_texts, text_for
from nir.web.limits import export_rate_limited

PAGE_SIZE = 50

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
# Exports are written to a temporary file (in memory up to this size, then on disk) and streamed from it.
SPOOL_BYTES = 8 * 1024 * 1024

FILTER_HINTS = {
    "municipality": gettext_lazy("Municipality number (4 digits) or district number (6 digits)."),
    "name": gettext_lazy("Part of the first or last name."),
    "category": gettext_lazy("The categories of the chosen scheme."),
    "as_of": gettext_lazy("The date the report applies to. Empty: today."),
    "known_at": gettext_lazy("Date (YYYY-MM-DD, end of the day) or time (YYYY-MM-DDThh:mm). Empty: now."),
}
# The empty choice of a select: every value (not filtered), unless the registry has a default.
EMPTY_CHOICE_LABELS = {"scheme": gettext_lazy("Default (introduction programme)")}
ALL_LABEL = gettext_lazy("All")
# Filters whose values are codes of a code list with another name (others: a list with their own name).
CODE_LIST_FILTERS = {"reason": "termination_reason"}

# How the rows of a report are counted in the page («N personer»): a function of the number and
# its formatted text. A report whose rows are not persons says so here (avsluttet-intro has one
# row per termination) or in a ``row_nouns`` attribute of its definition, (singular, plural).


def _persons(n: int, text: str) -> str:
    return ngettext("%(n)s person", "%(n)s persons", n) % {"n": text}


def _terminations(n: int, text: str) -> str:
    return ngettext("%(n)s termination", "%(n)s terminations", n) % {"n": text}


ROW_COUNTS = {"avsluttet-intro": _terminations}
DEFAULT_ROW_COUNT = _persons

# Command-line hints in the registry's help texts, e.g. «(--from/--to)», not shown on the pages.
_CLI_HINT = re.compile(r"\s*\([^()]*--[^()]*\)")


# --- the list -------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def report_list(request):
    sections = []
    for law in registry.LAWS:
        reports = [
            {
                "id": d.id,
                "title": d.title,
                "help_text": _web_text(d.help_text),
                "url": reverse("report", args=[d.id]) + "?" + urlencode({"law": law}),
            }
            for d in registry.REPORTS.values()
            if law in getattr(d, "laws", registry.LAWS)
        ]
        label = LAW_LABELS.get(law, law)
        sections.append(
            {"law": law, "label": label, "heading": gettext("Reports - %(law)s") % {"law": label}, "reports": reports}
        )
    # The "?" beside each report shows its help text (HelpText «report.<id>», editable by IMDi); a
    # report without one shows the registry's help text as a paragraph instead.
    texts = current_texts()
    for section in sections:
        for r in section["reports"]:
            r["help_key"] = f"report.{r['id']}"
            r["has_help"] = r["help_key"] in texts
    return render(
        request, "web/reports/list.html", {"sections": sections, "statistics_help": "report.aarsstatistikk" in texts}
    )


# --- parameters from the query string --------------------------------------------------------


def _form_filters(d: registry.ReportDefinition) -> dict[str, str]:
    """The filters in the report's form, in the order shown."""
    return {"law": "law", **registry.COMMON_FILTERS, **d.filters, "as_of": "as_of", "known_at": "known_at"}


def _current(query) -> dict[str, str]:
    """The recognised, non-empty filters and the sort of the request (for the links of the page)."""
    out = {}
    for name in [*accepted_filters(), "sort"]:
        raw = query.get(name, "").strip()
        if raw:
            out[name] = raw
    return out


def _qs(values: dict[str, Any]) -> str:
    items = [(k, v) for k, v in values.items() if v not in (None, "")]
    return "?" + urlencode(items) if items else ""


# --- the form ---------------------------------------------------------------------------------


@dataclass
class FilterField:
    name: str
    label: str
    value: str
    input_type: str = "text"  # text, date, number or select
    choices: list[tuple[str, str]] | None = None
    hint: str = ""
    required: bool = False
    empty_label: str = ""
    error: str = ""  # the message of a refused value of this filter

    @property
    def id(self) -> str:
        return f"filter-{self.name}"

    @property
    def describedby(self) -> str:
        """The ids of the hint and the error message (``aria-describedby``)."""
        return " ".join(i for i in (self.hint and f"{self.id}-hint", self.error and f"{self.id}-error") if i)


def _choices(name: str, attr: str, query) -> list[tuple[str, str]] | None:
    if name == "law":
        return list(LAW_LABELS.items())
    if name == "category":
        scheme = query.get("scheme", "").strip()
        return list(CATEGORY_LABELS.get(scheme, CATEGORY_LABELS["intro"]).items())
    if name == "avvik":
        return list(DEVIATION_LABELS.items())
    # The registry's lists of values: STATUS_LABELS, MISSING_LABELS, SCHEMES, …
    for constant in (f"{attr.upper()}_LABELS", f"{attr.upper()}S"):
        labels = getattr(registry, constant, None)
        if isinstance(labels, dict):
            return [(str(k), str(v)) for k, v in labels.items()]
    list_name = CODE_LIST_FILTERS.get(name, attr)
    if list_name in codes.all_lists():
        return [(c.code, c.label) for c in codes.code_list(list_name).codes]
    return None


def _fields(d: registry.ReportDefinition, query) -> list[FilterField]:
    fields = []
    for name, attr in _form_filters(d).items():
        value = query.get(name, "").strip()
        choices = _choices(name, attr, query)
        kind = value_kind(attr)
        input_type = "select" if choices is not None else {"date": "date", "int": "number"}.get(kind, "text")
        if name == "law" and not value:
            value = registry.DEFAULT_LAW
        if kind == "date" and value:
            try:
                value = parse_typed_date(value).isoformat()  # a date field shows ISO dates only
            except ValueError:
                pass
        hint = FILTER_HINTS.get(name, "")
        if name == "category" and "scheme" not in d.filters:
            hint = ""
        fields.append(
            FilterField(
                name=name,
                label=filter_label(d, name),
                value=value,
                input_type=input_type,
                choices=choices,
                hint=hint,
                required=name == "law",
                empty_label=EMPTY_CHOICE_LABELS.get(name, ALL_LABEL),
            )
        )
    return fields


# --- the table --------------------------------------------------------------------------------


def cell_text(column: registry.Column, value: Any) -> str:
    """A value as the page shows it: as ``exports.display`` (labels), dates dd.mm.yyyy, decimal comma."""
    v = exports.display(column, value)
    if isinstance(v, dt.datetime):
        return (
            timezone.localtime(v).strftime("%d.%m.%Y %H:%M") if timezone.is_aware(v) else v.strftime("%d.%m.%Y %H:%M")
        )
    if isinstance(v, dt.date):
        return v.strftime(exports.DATE_FORMAT)
    if isinstance(v, bool):
        return gettext("Yes") if v else gettext("No")
    if isinstance(v, (Decimal, float, int)):
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
        exponent = d.normalize().as_tuple().exponent
        return charts.format_number(d, max(0, -exponent) if isinstance(exponent, int) else 2)
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v)
    return str(v)


_NUMERIC_KINDS = {"decimal", "int", "integer", "number"}
# Columns holding a municipality or district number: the page shows the number and the name.
PLACE_COLUMNS = {"follow_up_municipality", "follow_up_district"}


def _place_names() -> dict[str, str]:
    """{municipality or district number: name} of the reference data (the latest name of each number)."""
    munis, _counties, districts = area_names()
    return {**{n: name for n, (name, _county) in munis.items()}, **districts}


def _cell(column: registry.Column, row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """One cell of the page's table: the text, a link to the person page for the DUF number, and the
    name beside a municipality or district number («5001 Trondheim - Tråante»)."""
    value = row[column.key]
    text = cell_text(column, value)
    cell: dict[str, Any] = {"text": text, "numeric": column.kind in _NUMERIC_KINDS, "url": ""}
    if column.key == "duf" and value:
        cell["url"] = reverse("person", args=[value])
    elif column.key in PLACE_COLUMNS and value in names:
        cell["text"] = f"{value} {names[value]}"
    return cell


def _columns(d: registry.ReportDefinition, sort: str | None, current: dict[str, str], url: str) -> list[dict]:
    # Without a sort the registry orders by last name, first name and DUF: shown as ascending last name.
    effective = sort or "last_name"
    key, descending = effective.removeprefix("-"), effective.startswith("-")
    out = []
    for c in d.columns:
        sorted_here = c.key == key
        next_sort = c.key if not sorted_here or descending else f"-{c.key}"
        params = {k: v for k, v in current.items() if k != "sort"}
        params["sort"] = next_sort
        out.append(
            {
                "key": c.key,
                "header": soft_hyphens(c.header),
                "numeric": c.kind in _NUMERIC_KINDS,
                "url": url + _qs(params),
                "aria_sort": ("descending" if descending else "ascending") if sorted_here else "",
                "indicator": ("▼" if descending else "▲") if sorted_here else "",
                "action": gettext("sort descending") if next_sort.startswith("-") else gettext("sort ascending"),
                "id": f"sort-{c.key}",
            }
        )
    return out


# Where the long compound words of the column headers may break (a soft hyphen, shown only at a line
# break; screen readers skip it), so that a report's table fits a 1366 px screen.
_SOFT_HYPHENS = re.compile(
    r"(Oppfølgings|Gjennomførings|introduksjons|Introduksjons|Avslutnings|Vedtaks|Bortfalls|norsk|Start)"
    r"(?=kommune|bydel|frist|program|opplæring|dato|årsak|type)"
)


def soft_hyphens(text: str) -> str:
    """The header with a soft hyphen (U+00AD) between the parts of its compounds: «Oppfølgings-kommune»."""
    return _SOFT_HYPHENS.sub("\\1\u00ad", text)


def _count_text(d: registry.ReportDefinition, n: int) -> str:
    nouns = getattr(d, "row_nouns", None)
    if nouns:
        one, many = nouns
        return f"{charts.format_number(n)} {one if n == 1 else many}"
    return ROW_COUNTS.get(d.id, DEFAULT_ROW_COUNT)(n, charts.format_number(n))


def _web_text(text: str) -> str:
    return _CLI_HINT.sub("", text)


def _message(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:]


def _get_definition(report_id: str) -> registry.ReportDefinition:
    d = registry.REPORTS.get(report_id)
    if d is None:
        raise Http404(gettext("Unknown report"))
    return d


# --- one report -------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def report(request, report_id: str):
    d = _get_definition(report_id)
    query = request.GET
    current = _current(query)
    url = reverse("report", args=[d.id])
    law = query.get("law", "").strip() or registry.DEFAULT_LAW
    scope = person_scope(request.user)
    partial = is_htmx(request)
    fields = _fields(d, query)
    # The lead is the report's help text as IMDi keeps it (HelpText «report.<id>», the "?" of the list).
    help_text = text_for(f"report.{d.id}")
    context = {
        "definition": d,
        "help_text": help_text.text if help_text else _web_text(d.help_text),
        "fields": fields,
        "law_label": LAW_LABELS.get(law, law),
        "law": law,
        "sort": current.get("sort", ""),
        "reset_url": url + _qs({"law": law if law in registry.LAWS else ""}),
        "url": url,
        "no_access": scope is not None and scope.empty,
        "partial": partial,
    }
    try:
        params = report_params(query, d, page_size=PAGE_SIZE)
        result = registry.run(d.id, params, scope=scope)
        count = result.count
        pages = max(1, math.ceil(count / PAGE_SIZE))
        if result.params.page > pages:
            result = registry.run(d.id, replace(params, page=pages), scope=scope)
        rows = result.rows
    except registry.ReportError as e:
        context["error"] = _message(e)
        field = error_field(e, query, [f.name for f in fields])
        for f in fields:
            if f.name == field:
                f.error = context["error"]
                context["error_field"] = f
        response = _render_report(request, context, status=error_status(request))
        if partial:
            response["HX-Push-Url"] = "false"  # a refusal is no state of the page to go back to
        return response

    # Audit log (issue 5): one event, the persons of the rows shown; a failure fails the request.
    audit.record(
        request=request,
        action="report",
        channel="web",
        what=f"report:{d.id}",
        persons=audit.report_page_persons(result),
        filters=audit.report_filters(result),
    )
    page = result.params.page
    columns = _columns(d, result.params.sort, current, url)
    names = _place_names()
    table = [[_cell(c, row, names) for c in d.columns] for row in rows]
    export_query = _qs(current)
    trigger = request.headers.get("HX-Trigger", "") if partial else ""

    def page_url(n: int) -> str:
        return url + _qs({**current, "page": n if n > 1 else ""})

    context.update(
        {
            "result": result,
            "count": count,
            "count_text": _count_text(d, count),
            "columns": columns,
            "rows": table,
            "page": page,
            "pages": pages,
            "first_row": (page - 1) * PAGE_SIZE + 1 if count else 0,
            "last_row": min(page * PAGE_SIZE, count),
            "prev_url": page_url(page - 1) if page > 1 else "",
            "next_url": page_url(page + 1) if page < pages else "",
            "pager": pager(page, pages, page_url),
            "csv_url": reverse("report_export", args=[d.id, "csv"]) + export_query,
            "xlsx_url": reverse("report_export", args=[d.id, "xlsx"]) + export_query,
            "as_of": result.params.as_of,
            "known_at": timezone.localtime(result.known_at),
            # After an htmx update the focus goes to the sort link that was used (``HX-Trigger``: the id of
            # the element), else to the result's heading; nir.js moves it to ``[data-autofocus]``.
            "focus": trigger if trigger.startswith("sort-") else "",
            "focus_result": partial and not trigger.startswith("sort-"),
        }
    )
    response = _render_report(request, context)
    if partial:
        response["HX-Push-Url"] = page_url(page)
    return response


def _render_report(request, context: dict, status: int = 200):
    template = "web/reports/_report_body.html" if context["partial"] else "web/reports/report.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- htmx, errors and paging (shared with views_statistics) -------------------------------------------------


def is_htmx(request) -> bool:
    """An htmx request for a part of the page; a history restore (back button) gets the whole page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def error_status(request) -> int:
    """400 for a refused filter; 200 to htmx, which swaps (and restores from history) 2xx answers only."""
    return 200 if request.headers.get("HX-Request") == "true" else 400


def error_field(error: Exception, query, names: list[str]) -> str | None:
    """The filter a refused value came from, so that the error summary can link to its field: the
    views say so (``error.field``); for the registry's messages, the filter whose value the message quotes."""
    field = getattr(error, "field", None)
    if field:
        return field
    text = str(error)
    if "fra-datoen" in text and "from" in names:
        return "from"
    for name in names:
        raw = query.get(name, "").strip()
        if raw and (repr(raw) in text or f"«{raw}»" in text):
            return name
    return None


def pager(page: int, pages: int, page_url, around: int = 1) -> list[dict]:
    """The page numbers of the pager: the first, the last, and those around the current one; a gap
    (``None`` as number) where pages are left out."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    items: list[dict] = []
    previous = 0
    for n in shown:
        if n - previous > 1:
            items.append({"number": None})
        items.append({"number": n, "url": page_url(n), "current": n == page})
        previous = n
    return items


# --- download --------------------------------------------------------------------------------


def export_filename(result: registry.ReportResult, fmt: str) -> str:
    return f"{result.definition.id}-{result.params.law}-{result.params.as_of:%Y-%m-%d}.{fmt}"


@never_cache
@login_required
@require_GET
@export_rate_limited
def report_export(request, report_id: str, fmt: str):
    """The whole report (every row, no paging) as CSV (UTF-8 with BOM, as ``nir report --out``) or XLSX."""
    d = _get_definition(report_id)
    if fmt not in EXPORT_FORMATS:
        raise Http404(gettext("Unknown format"))
    try:
        params = replace(report_params(request.GET, d), page=1)
        result = registry.run(d.id, params, scope=person_scope(request.user))
    except registry.ReportError:
        # The page explains the error (status 400) with the form to correct it.
        return report(request, report_id)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        exports.write_csv(result, text)
        text.flush()
        text.detach()
    else:
        exports.write_xlsx(result, out)
    # Audit log (issue 5): one event, every person of the download; a failure fails the request.
    audit.record(
        request=request,
        action="export",
        channel="web",
        what=f"report:{d.id}",
        persons=audit.report_all_persons(result),
        filters=audit.report_filters(result, format=fmt),
    )
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=export_filename(result, fmt), content_type=EXPORT_FORMATS[fmt]
    )
