"""A report's output: JSON (reports.md), CSV and XLSX.

JSON carries codes and ISO dates, as reports.md shows::

    {"report": …, "law": …, "as_of": …, "known_at": …, "filters": {…}, "count": N, "rows": […]}

CSV and XLSX carry the same columns with Norwegian headers and Norwegian
values for people: code labels (category, deviations, termination type and
reason), dates as dd.mm.yyyy (in XLSX real dates shown so), decimals with a
comma in CSV. The CSV uses ``;`` as separator, as Norwegian spreadsheets expect. Both are
written by the one CSV and XLSX writer, ``nir.spreadsheet``, which keeps text from becoming a
formula (``=``, ``+``, ``-``, ``@``, tab, CR first; OWASP) and numbers numeric.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, BinaryIO, TextIO

from django.utils import timezone

from nir import codes, spreadsheet
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS, LAW_LABELS
from nir.reports.registry import Column, ReportResult

CSV_DELIMITER = spreadsheet.CSV_DELIMITER
DATE_FORMAT = spreadsheet.DATE_FORMAT
XLSX_DATE_FORMAT = spreadsheet.XLSX_DATE_FORMAT


# --- JSON -------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def to_json(result: ReportResult) -> dict[str, Any]:
    """The report as one object (reports.md)."""
    return {
        "report": result.definition.id,
        "law": result.params.law,
        "as_of": result.params.as_of.isoformat(),
        "known_at": timezone.localtime(result.known_at).isoformat(),
        "filters": result.filters,
        "count": result.count,
        "rows": [{k: _json_value(v) for k, v in row.items()} for row in result.iter_rows()],
    }


def write_json(result: ReportResult, fh: TextIO) -> None:
    json.dump(to_json(result), fh, ensure_ascii=False, indent=1)
    fh.write("\n")


# --- values for people (CSV and XLSX) -----------------------------------------------------


def display(column: Column, value: Any) -> Any:
    """A value as people read it: labels for codes; dates and decimals are left to the format."""
    if value is None or value == "":
        return ""
    kind = column.kind
    if kind == "category":
        return CATEGORY_LABELS["intro"].get(value, value)
    if kind == "category:norwegian":
        return CATEGORY_LABELS["norwegian"].get(value, value)
    if kind == "status":
        from nir.reports.registry import STATUS_LABELS

        return STATUS_LABELS.get(value, value)
    if kind == "deviations":
        return "; ".join(DEVIATION_LABELS.get(v, v) for v in value)
    if kind.startswith("code:"):
        return codes.label(kind.split(":", 1)[1], value)
    return value


def cell_value(column: Column, value: Any) -> Any:
    """A value for the CSV and XLSX writer (``nir.spreadsheet``): as ``display``, text neutralised there."""
    return display(column, value)


def _csv_value(column: Column, value: Any) -> str:
    """One cell's text in CSV (labels, dd.mm.yyyy, decimal comma; text neutralised against formulas)."""
    return spreadsheet.csv_text(cell_value(column, value))


def csv_rows(result: ReportResult) -> Iterator[list[Any]]:
    """The header and every row, as the one CSV/XLSX writer takes them."""
    cols = result.definition.columns
    yield [spreadsheet.Header(c.header) for c in cols]
    for row in result.iter_rows():
        yield [cell_value(c, row[c.key]) for c in cols]


def write_csv(result: ReportResult, fh: TextIO) -> None:
    spreadsheet.write_csv(fh, csv_rows(result), delimiter=CSV_DELIMITER)


def to_csv(result: ReportResult) -> str:
    buf = io.StringIO()
    write_csv(result, buf)
    return buf.getvalue()


# --- XLSX -------------------------------------------------------------------------------


def about_rows(result: ReportResult) -> Iterator[list[Any]]:
    """The sheet «Om rapporten»: what the report is, with the filters as the request gave them."""
    d, p = result.definition, result.params
    yield ["Rapport", d.title]
    yield ["Rapport-id", d.id]
    yield ["Lov", LAW_LABELS.get(p.law, p.law)]
    yield ["Område", result.area_label]
    yield ["Per dato", p.as_of.strftime(DATE_FORMAT)]
    yield ["Registeret slik det var kjent", timezone.localtime(result.known_at).strftime("%d.%m.%Y %H:%M:%S %z")]
    yield ["Antall rader", result.count]
    for name, value in result.filters.items():
        if value is not None:
            yield [f"Filter {name}", value]
    yield ["Definisjon", d.definition]


def write_xlsx(result: ReportResult, fh: BinaryIO | str) -> None:
    """The rows on the sheet «Rapport» (headers on row 1) and what the report is on «Om rapporten»."""
    spreadsheet.write_xlsx(
        fh, [spreadsheet.Sheet("Rapport", csv_rows(result)), spreadsheet.Sheet("Om rapporten", about_rows(result))]
    )


def to_xlsx(result: ReportResult) -> bytes:
    buf = io.BytesIO()
    write_xlsx(result, buf)
    return buf.getvalue()
