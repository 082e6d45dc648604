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
(``registry.ReportError``) is shown in Norwegian with status 400.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import tempfile
import typing
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nir import codes
from nir.access import audit
from nir.access.scope import person_scope
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS, LAW_LABELS
from nir.reports import charts, exports, registry

PAGE_SIZE = 50

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
# Exports are written to a temporary file (in memory up to this size, then on disk) and streamed from it.
SPOOL_BYTES = 8 * 1024 * 1024

# Filter name (as in the URL and on the command line) → label in the form. A filter a report adds
# without a label here is labelled by the column of the same key, or by its name.
FILTER_LABELS = {
    "law": "Lov",
    "municipality": "Oppfølgingskommune eller bydel",
    "category": "NIR-kategori",
    "duf": "DUF-nummer",
    "name": "Navn",
    "from": "Fra dato",
    "to": "Til dato",
    "termination_type": "Avslutningstype",
    "reason": "Avslutningsårsak",
    "avvik": "Avvik",
    "scheme": "Ordning",
    "status": "Status",
    "deadline_within": "Gjennomføringsfrist innen (antall dager)",
    "missing": "Manglende registrering",
    "as_of": "Per dato",
    "known_at": "Registeret slik det var kjent",
}
FILTER_HINTS = {
    "municipality": "Kommunenummer (4 siffer) eller bydelsnummer (6 siffer).",
    "name": "Del av fornavn eller etternavn.",
    "category": "Kategoriene for valgt ordning.",
    "as_of": "Datoen rapporten gjelder. Tomt: i dag.",
    "known_at": "Dato (ÅÅÅÅ-MM-DD, slutten av dagen) eller tidspunkt (ÅÅÅÅ-MM-DDTtt:mm). Tomt: nå.",
}
# The empty choice of a select: every value (not filtered), unless the registry has a default.
EMPTY_CHOICE_LABELS = {"scheme": "Standard (introduksjonsprogram)"}
# Filters whose values are codes of a code list with another name (others: a list with their own name).
CODE_LIST_FILTERS = {"reason": "termination_reason"}

# How the rows of a report are counted in the page («N personer»); a report whose rows are not
# persons says so here (avsluttet-intro has one row per termination) or in a ``row_nouns``
# attribute of its definition, (singular, plural).
ROW_NOUNS = {"avsluttet-intro": ("avslutning", "avslutninger")}
DEFAULT_ROW_NOUN = ("person", "personer")

_PARAM_TYPES = typing.get_type_hints(registry.ReportParams)
# Command-line hints in the registry's help texts, e.g. «(--from/--to)», not shown on the pages.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_CLI_HINT = re.compile(r"\s*\([^()]*--[^()]*\)")


# --- the list -------------------------------------------------------------------------------

@never_cache
@login_required
@require_GET
def report_list(request):
    sections = []
    for law in registry.LAWS:
        reports = [
            {"id": d.id, "title": d.title, "help_text": _web_text(d.help_text),
             "url": reverse("report", args=[d.id]) + "?" + urlencode({"law": law})}
            for d in registry.REPORTS.values() if law in getattr(d, "laws", registry.LAWS)
        ]
        label = LAW_LABELS.get(law, law)
        sections.append({"law": law, "label": label, "heading": f"Rapporter – {label}", "reports": reports})
    return render(request, "web/reports/list.html", {"sections": sections})


# --- parameters from the query string --------------------------------------------------------

def _accepted_filters() -> dict[str, str]:
    """Every filter name the pages read → ReportParams field. The filters of all reports are read, so
    that one that does not belong to the report is refused by the registry, not silently dropped."""
    names = {"law": "law", **registry.COMMON_FILTERS}
    for d in registry.REPORTS.values():
        names.update(d.filters)
    names.update({"as_of": "as_of", "known_at": "known_at"})
    return names


def _form_filters(d: registry.ReportDefinition) -> dict[str, str]:
    """The filters in the report's form, in the order shown."""
    return {"law": "law", **registry.COMMON_FILTERS, **d.filters, "as_of": "as_of", "known_at": "known_at"}


def _kind(attr: str) -> str:
    hint = _PARAM_TYPES.get(attr, str)
    args = typing.get_args(hint) or (hint,)
    if dt.datetime in args:
        return "datetime"
    if dt.date in args:
        return "date"
    if int in args:
        return "int"
    return "text"


def _label(d: registry.ReportDefinition | None, name: str) -> str:
    if name in FILTER_LABELS:
        return FILTER_LABELS[name]
    col = d.column(name) if d else None
    return col.header if col else name.replace("_", " ").capitalize()


def _parse_date(raw: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            pass
    raise ValueError(raw)


def _parse_known_at(raw: str) -> dt.datetime:
    """A date (the end of that day), or a time; without a time zone: Norwegian time."""
    try:
        day = _parse_date(raw)
    except ValueError:
        pass
    else:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59, 999999)))
    # A «+» typed into a URL by hand arrives as a space: 2026-01-10T09:00:00 01:00.
    raw = re.sub(r"(T[\d:.]+) (\d\d(:?\d\d)?)$", r"\1+\2", raw)
    value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _convert(d: registry.ReportDefinition | None, name: str, attr: str, raw: str) -> Any:
    kind = _kind(attr)
    try:
        if kind == "date":
            return _parse_date(raw)
        if kind == "datetime":
            return _parse_known_at(raw)
        if kind == "int":
            return int(raw)
    except (ValueError, OverflowError):
        label = _label(d, name)
        expected = {"date": "en dato (ÅÅÅÅ-MM-DD)", "datetime": "en dato (ÅÅÅÅ-MM-DD) eller et tidspunkt "
                    "(ÅÅÅÅ-MM-DDTtt:mm)", "int": "et heltall"}[kind]
        raise registry.ReportError(f"{label} må være {expected}, ikke «{raw}»") from None
    if _CONTROL.search(raw):
        raise registry.ReportError(f"{_label(d, name)} inneholder ugyldige tegn")
    return raw


def params_from_query(query, d: registry.ReportDefinition | None = None) -> registry.ReportParams:
    """``ReportParams`` from a query string (``request.GET``); empty values mean not filtered.

    Raises ``registry.ReportError`` (Norwegian) for a value that cannot be read; the registry
    checks the rest when the report is run.
    """
    values: dict[str, Any] = {}
    for name, attr in _accepted_filters().items():
        raw = query.get(name, "").strip()
        if raw:
            values[attr] = _convert(d, name, attr, raw)
    raw_page = query.get("page", "").strip() or "1"
    try:
        page = int(raw_page)
    except ValueError:
        page = 0
    if page < 1:
        raise registry.ReportError(f"side må være et positivt heltall, ikke «{raw_page}»")
    return registry.ReportParams(**values, sort=query.get("sort", "").strip() or None, page=page,
                                 page_size=PAGE_SIZE)


def _current(query) -> dict[str, str]:
    """The recognised, non-empty filters and the sort of the request (for the links of the page)."""
    out = {}
    for name in [*_accepted_filters(), "sort"]:
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
    empty_label: str = "Alle"

    @property
    def id(self) -> str:
        return f"filter-{self.name}"


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
        kind = _kind(attr)
        input_type = "select" if choices is not None else {"date": "date", "int": "number"}.get(kind, "text")
        if name == "law" and not value:
            value = registry.DEFAULT_LAW
        if kind == "date" and value:
            try:
                value = _parse_date(value).isoformat()  # a date field shows ISO dates only
            except ValueError:
                pass
        hint = FILTER_HINTS.get(name, "")
        if name == "category" and "scheme" not in d.filters:
            hint = ""
        fields.append(FilterField(name=name, label=_label(d, name), value=value, input_type=input_type,
                                  choices=choices, hint=hint, required=name == "law",
                                  empty_label=EMPTY_CHOICE_LABELS.get(name, "Alle")))
    return fields


# --- the table --------------------------------------------------------------------------------

def cell_text(column: registry.Column, value: Any) -> str:
    """A value as the page shows it: as ``exports.display`` (labels), dates dd.mm.yyyy, decimal comma."""
    v = exports.display(column, value)
    if isinstance(v, dt.datetime):
        return timezone.localtime(v).strftime("%d.%m.%Y %H:%M") if timezone.is_aware(v) else v.strftime("%d.%m.%Y %H:%M")
    if isinstance(v, dt.date):
        return v.strftime(exports.DATE_FORMAT)
    if isinstance(v, bool):
        return "Ja" if v else "Nei"
    if isinstance(v, (Decimal, float, int)):
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
        exponent = d.normalize().as_tuple().exponent
        return charts.format_number(d, max(0, -exponent) if isinstance(exponent, int) else 2)
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v)
    return str(v)


_NUMERIC_KINDS = {"decimal", "int", "integer", "number"}


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
        out.append({
            "key": c.key, "header": c.header, "numeric": c.kind in _NUMERIC_KINDS,
            "url": url + _qs(params),
            "aria_sort": ("descending" if descending else "ascending") if sorted_here else "",
            "indicator": ("▼" if descending else "▲") if sorted_here else "",
            "action": "sorter synkende" if next_sort.startswith("-") else "sorter stigende",
        })
    return out


def _count_text(d: registry.ReportDefinition, n: int) -> str:
    one, many = getattr(d, "row_nouns", None) or ROW_NOUNS.get(d.id, DEFAULT_ROW_NOUN)
    return f"{charts.format_number(n)} {one if n == 1 else many}"


def _web_text(text: str) -> str:
    return _CLI_HINT.sub("", text)


def _message(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:]


def _get_definition(report_id: str) -> registry.ReportDefinition:
    d = registry.REPORTS.get(report_id)
    if d is None:
        raise Http404("Ukjent rapport")
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
    context = {
        "definition": d, "help_text": _web_text(d.help_text), "fields": _fields(d, query),
        "law_label": LAW_LABELS.get(law, law), "law": law, "sort": current.get("sort", ""),
        "reset_url": url + _qs({"law": law if law in registry.LAWS else ""}),
        "no_access": scope is not None and scope.empty,
    }
    try:
        params = params_from_query(query, d)
        result = registry.run(d.id, params, scope=scope)
        count = result.count
        pages = max(1, math.ceil(count / PAGE_SIZE))
        if result.params.page > pages:
            result = registry.run(d.id, replace(params, page=pages), scope=scope)
        rows = result.rows
    except registry.ReportError as e:
        context["error"] = _message(e)
        return render(request, "web/reports/report.html", context, status=400)

    # Audit log (issue 5): one event, the persons of the rows shown; a failure fails the request.
    audit.record(request=request, action="report", channel="web", what=f"report:{d.id}",
                 persons=audit.report_page_persons(result), filters=audit.report_filters(result))
    page = result.params.page
    columns = _columns(d, result.params.sort, current, url)
    table = [[{"text": cell_text(c, row[c.key]), "numeric": c.kind in _NUMERIC_KINDS} for c in d.columns]
             for row in rows]
    export_query = _qs(current)
    context.update({
        "result": result, "count": count, "count_text": _count_text(d, count), "columns": columns, "rows": table,
        "page": page, "pages": pages, "first_row": (page - 1) * PAGE_SIZE + 1 if count else 0,
        "last_row": min(page * PAGE_SIZE, count),
        "prev_url": url + _qs({**current, "page": page - 1 if page > 2 else ""}) if page > 1 else "",
        "next_url": url + _qs({**current, "page": page + 1}) if page < pages else "",
        "csv_url": reverse("report_export", args=[d.id, "csv"]) + export_query,
        "xlsx_url": reverse("report_export", args=[d.id, "xlsx"]) + export_query,
        "as_of": result.params.as_of, "known_at": timezone.localtime(result.known_at),
    })
    return render(request, "web/reports/report.html", context)


# --- download --------------------------------------------------------------------------------

def export_filename(result: registry.ReportResult, fmt: str) -> str:
    return f"{result.definition.id}-{result.params.law}-{result.params.as_of:%Y-%m-%d}.{fmt}"


@never_cache
@login_required
@require_GET
def report_export(request, report_id: str, fmt: str):
    """The whole report (every row, no paging) as CSV (UTF-8 with BOM, as ``nir report --out``) or XLSX."""
    d = _get_definition(report_id)
    if fmt not in EXPORT_FORMATS:
        raise Http404("Ukjent format")
    try:
        params = replace(params_from_query(request.GET, d), page=1, page_size=None)
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
    audit.record(request=request, action="export", channel="web", what=f"report:{d.id}",
                 persons=audit.report_all_persons(result), filters=audit.report_filters(result, format=fmt))
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=export_filename(result, fmt),
                        content_type=EXPORT_FORMATS[fmt])
