"""The parameters of a report or of the yearly statistics, read from text: one reader for the
report pages (``nir.web.views_reports``, ``nir.web.views_statistics``), the API
(``nir.api.reports_api``) and ``nir report``, so a filter means the same everywhere.

    report_params(query, definition)   -> registry.ReportParams   (query: request.GET or any mapping
    stats_request(query)               -> StatsRequest            with .get(name, "") and .getlist(name))

Empty values mean not filtered. A value that cannot be read raises ``registry.ReportError`` with a
message in the user's language that names the filter (``FILTER_LABELS``, ``STATS_LABELS``) and, for
reports, knows its filter (``error.field``) so a form can link to it; the registry and
``statistics.validate`` check the rest when the report is run.

Dates are read as people type them (dd.mm.yyyy or yyyy-mm-dd); a registration time
(``known_at``) is a date (the end of that day, Norwegian time) or a time, without a time zone
meaning Norwegian time.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from nir.isodates import KNOWN_AT_MAX_YEAR, KNOWN_AT_MIN_YEAR, TimeOutOfRange, check_known_at, parse_typed_date
from nir.reports import registry
from nir.reports.registry import DEFAULT_LAW, ReportError
from nir.reports.statistics import StatsParams

# Filter name (as in the URL and on the command line) → its name in forms and messages. A filter a
# report adds without a label here is labelled by the column of the same key, or by its name.
FILTER_LABELS = {
    "law": gettext_lazy("Act"),
    "municipality": gettext_lazy("Follow-up municipality or district"),
    "category": gettext_lazy("NIR category"),
    "duf": gettext_lazy("DUF number"),
    "name": gettext_lazy("Name"),
    "from": gettext_lazy("From date"),
    "to": gettext_lazy("To date"),
    "termination_type": gettext_lazy("Termination type"),
    "reason": gettext_lazy("Termination reason"),
    "avvik": gettext_lazy("Deviation"),
    "scheme": gettext_lazy("Scheme"),
    "status": gettext_lazy("Status"),
    "deadline_within": gettext_lazy("Completion deadline within (number of days)"),
    "missing": gettext_lazy("Missing registration"),
    "as_of": gettext_lazy("As of date"),
    "known_at": gettext_lazy("The register as it was known"),
}
# The parameters of the yearly statistics as named in the form and in the messages about them.
STATS_LABELS = {
    "year": gettext_lazy("Year"),
    "law": gettext_lazy("Act"),
    "area": gettext_lazy("Area"),
    "district": gettext_lazy("District"),
    "by": gettext_lazy("Breakdown"),
    "as_of": gettext_lazy("As of date"),
    "known_at": gettext_lazy("The register as it was known"),
    "compare_known_at": gettext_lazy("Compare with"),
    "figure": gettext_lazy("Figure"),
}
# ``compare_known_at`` with one of these: the register now.
NOW = ("nå", "na", "now")

_CONTROL = re.compile("[\x00-\x1f\x7f]")
_PARAM_TYPES = typing.get_type_hints(registry.ReportParams)


# --- values ------------------------------------------------------------------------------------


def parse_known_at(raw: str) -> dt.datetime:
    """A date (the end of that day), or a time; without a time zone: Norwegian time. ValueError if neither."""
    try:
        day = parse_typed_date(raw)
    except ValueError:
        pass
    else:
        return check_known_at(timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59, 999999))))
    # A «+» typed into a URL by hand arrives as a space: 2026-01-10T09:00:00 01:00.
    raw = re.sub(r"(T[\d:.]+) (\d\d(:?\d\d)?)$", r"\1+\2", raw)
    value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    # Outside the years 1900–9999 (in UTC): TimeOutOfRange, a ValueError (issue 15 § 3.8).
    return check_known_at(value if timezone.is_aware(value) else timezone.make_aware(value))


def _date_error(label: str, raw: str) -> str:
    return gettext('%(label)s must be a date (YYYY-MM-DD), not "%(value)s"') % {"label": label, "value": raw}


def _time_error(label: str, raw: str) -> str:
    return gettext('%(label)s must be a date (YYYY-MM-DD) or a time (YYYY-MM-DDThh:mm), not "%(value)s"') % {
        "label": label,
        "value": raw,
    }


def _range_error(label: str, raw: str) -> str:
    return gettext('%(label)s must be a time between the years %(first)s and %(last)s, not "%(value)s"') % {
        "label": label,
        "value": raw,
        "first": KNOWN_AT_MIN_YEAR,
        "last": KNOWN_AT_MAX_YEAR,
    }


def _invalid_characters(label: str) -> str:
    return gettext("%(label)s contains invalid characters") % {"label": label}


# --- reports -----------------------------------------------------------------------------------


def accepted_filters() -> dict[str, str]:
    """Every filter name read → ReportParams field. The filters of all reports are read, so that one
    that does not belong to the report is refused by the registry, not silently dropped."""
    names = {"law": "law", **registry.COMMON_FILTERS}
    for d in registry.REPORTS.values():
        names.update(d.filters)
    names.update({"as_of": "as_of", "known_at": "known_at"})
    return names


def value_kind(attr: str) -> str:
    """How the ReportParams field ``attr`` is read: ``date``, ``datetime``, ``int`` or ``text``."""
    hint = _PARAM_TYPES.get(attr, str)
    args = typing.get_args(hint) or (hint,)
    if dt.datetime in args:
        return "datetime"
    if dt.date in args:
        return "date"
    if int in args:
        return "int"
    return "text"


def filter_label(d: registry.ReportDefinition | None, name: str) -> str:
    if name in FILTER_LABELS:
        return str(FILTER_LABELS[name])
    col = d.column(name) if d else None
    return col.header if col else name.replace("_", " ").capitalize()


def field_error(message: str, name: str) -> ReportError:
    """A ``ReportError`` that knows its filter (an error summary links to the field)."""
    error = ReportError(message)
    error.field = name
    return error


def _convert(d: registry.ReportDefinition | None, name: str, attr: str, raw: str) -> Any:
    kind = value_kind(attr)
    try:
        if kind == "date":
            return parse_typed_date(raw)
        if kind == "datetime":
            return parse_known_at(raw)
        if kind == "int":
            return int(raw)
    except TimeOutOfRange:
        raise field_error(_range_error(filter_label(d, name), raw), name) from None
    except (ValueError, OverflowError):
        label = filter_label(d, name)
        if kind == "date":
            message = _date_error(label, raw)
        elif kind == "datetime":
            message = _time_error(label, raw)
        else:
            message = gettext('%(label)s must be a whole number, not "%(value)s"') % {"label": label, "value": raw}
        raise field_error(message, name) from None
    if _CONTROL.search(raw):
        raise field_error(_invalid_characters(filter_label(d, name)), name)
    return raw


def report_params(
    query, d: registry.ReportDefinition | None = None, *, page_size: int | None = None
) -> registry.ReportParams:
    """``ReportParams`` from a query string (``request.GET``) or the command's options: the filters,
    ``sort`` and ``page``; ``page_size`` rows a page (None: every row)."""
    values: dict[str, Any] = {}
    for name, attr in accepted_filters().items():
        raw = str(query.get(name, "") or "").strip()
        if raw:
            values[attr] = _convert(d, name, attr, raw)
    raw_page = str(query.get("page", "") or "").strip() or "1"
    try:
        page = int(raw_page)
    except ValueError:
        page = 0
    if page < 1:
        raise ReportError(gettext('page must be a positive whole number, not "%(value)s"') % {"value": raw_page})
    sort = str(query.get("sort", "") or "").strip() or None
    return registry.ReportParams(**values, sort=sort, page=page, page_size=page_size)


# --- the yearly statistics -----------------------------------------------------------------------


def default_year() -> int:
    """Last year: the yearly statistics are about a finished year unless another is asked for."""
    return timezone.localdate().year - 1


@dataclass
class StatsRequest:
    """What the query asks of the yearly statistics, read but not yet checked against the register."""

    params: StatsParams
    compare: bool = False  # show what changed between known_at and compare_at
    compare_at: dt.datetime | None = None  # None: now


def _text(query, name: str) -> str:
    raw = str(query.get(name, "") or "").strip()
    if _CONTROL.search(raw):
        raise ReportError(_invalid_characters(str(STATS_LABELS[name])))
    return raw


def _year(raw: str) -> int:
    if not re.fullmatch(r"\d{4}", raw or ""):
        raise ReportError(gettext('year must be a year (YYYY), not "%(value)s"') % {"value": raw})
    return int(raw)


def _date(raw: str, name: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return parse_typed_date(raw)
    except (ValueError, OverflowError):
        raise ReportError(_date_error(str(STATS_LABELS[name]), raw)) from None


def read_time(raw: str, label: str) -> dt.datetime | None:
    """``parse_known_at`` with a ``ReportError`` naming ``label`` when ``raw`` is neither a date nor a
    time; None for an empty value."""
    if not raw:
        return None
    try:
        return parse_known_at(raw)
    except TimeOutOfRange:
        raise ReportError(_range_error(label, raw)) from None
    except (ValueError, OverflowError):
        raise ReportError(_time_error(label, raw)) from None


def _time(raw: str, name: str) -> dt.datetime | None:
    return read_time(raw, str(STATS_LABELS[name]))


def stats_request(query, *, area: str | None = None, year: str | None = None, by_allowed: bool = True) -> StatsRequest:
    """``StatsParams`` from a query string (and the path of the yearly report: ``area``, ``year``)
    or the command's options; ``figure`` may be repeated. ``ReportError`` when a value is bad."""
    raw_year = year if year is not None else _text(query, "year")
    y = _year(raw_year) if raw_year else default_year()
    law = _text(query, "law") or DEFAULT_LAW
    if area is None:
        area = _text(query, "district") or _text(query, "area")
    by = _text(query, "by") if by_allowed else ""
    as_of = _date(_text(query, "as_of"), "as_of")
    known_at = _time(_text(query, "known_at"), "known_at")
    raw_compare = _text(query, "compare_known_at")
    compare_at = None
    if raw_compare and raw_compare.lower() not in NOW:
        compare_at = _time(raw_compare, "compare_known_at")
    figures: list[str] = []
    for raw in query.getlist("figure"):
        raw = raw.strip()
        if _CONTROL.search(raw):
            raise ReportError(_invalid_characters(str(STATS_LABELS["figure"])))
        if raw and raw not in figures:
            figures.append(raw)
    p = StatsParams(
        year=y, law=law, area=area or None, by=by or None, as_of=as_of, known_at=known_at, figures=tuple(figures)
    )
    return StatsRequest(p, compare=bool(raw_compare), compare_at=compare_at)
