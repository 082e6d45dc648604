"""A report's output: JSON (reports.md), CSV and XLSX.

JSON carries codes and ISO dates, as reports.md shows::

    {"report": …, "law": …, "as_of": …, "known_at": …, "filters": {…}, "count": N, "rows": […]}

CSV and XLSX carry the same columns with Norwegian headers and Norwegian
values for people: code labels (category, deviations, termination type and
reason), dates as dd.mm.yyyy (in XLSX real dates shown so), decimals with a
comma in CSV. The CSV uses ``;`` as separator, as Norwegian spreadsheets expect.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any, BinaryIO, TextIO

from django.utils import timezone

from nir import codes
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS, LAW_LABELS
from nir.reports.registry import Column, ReportResult

CSV_DELIMITER = ";"
DATE_FORMAT = "%d.%m.%Y"
XLSX_DATE_FORMAT = "DD.MM.YYYY"


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


def _csv_value(column: Column, value: Any) -> str:
    v = display(column, value)
    if isinstance(v, dt.date):
        return v.strftime(DATE_FORMAT)
    if isinstance(v, Decimal):
        return format(v.normalize() if v == v.to_integral_value() else v, "f").replace(".", ",")
    return str(v)


def write_csv(result: ReportResult, fh: TextIO) -> None:
    cols = result.definition.columns
    w = csv.writer(fh, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    w.writerow([c.header for c in cols])
    for row in result.iter_rows():
        w.writerow([_csv_value(c, row[c.key]) for c in cols])


def to_csv(result: ReportResult) -> str:
    buf = io.StringIO()
    write_csv(result, buf)
    return buf.getvalue()


# --- XLSX -------------------------------------------------------------------------------

def write_xlsx(result: ReportResult, fh: BinaryIO | str) -> None:
    """The rows on the sheet «Rapport» (headers on row 1) and what the report is on «Om rapporten»."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    d = result.definition
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Rapport")
    bold = Font(bold=True)

    def header(text):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        return cell

    ws.append([header(c.header) for c in d.columns])
    for row in result.iter_rows():
        out = []
        for c in d.columns:
            v = display(c, row[c.key])
            if isinstance(v, dt.date):
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = XLSX_DATE_FORMAT
                out.append(cell)
            elif isinstance(v, Decimal):
                out.append(float(v))
            else:
                out.append(v)
        ws.append(out)

    about = wb.create_sheet("Om rapporten")
    p = result.params
    about.append(["Rapport", d.title])
    about.append(["Rapport-id", d.id])
    about.append(["Lov", LAW_LABELS.get(p.law, p.law)])
    about.append(["Per dato", p.as_of.strftime(DATE_FORMAT)])
    about.append(["Registeret slik det var kjent", timezone.localtime(result.known_at).strftime("%d.%m.%Y %H:%M:%S %z")])
    about.append(["Antall rader", result.count])
    for name, value in result.filters.items():
        if value is not None:
            about.append([f"Filter {name}", value])
    about.append(["Definisjon", d.definition])
    wb.save(fh)


def to_xlsx(result: ReportResult) -> bytes:
    buf = io.BytesIO()
    write_xlsx(result, buf)
    return buf.getvalue()
