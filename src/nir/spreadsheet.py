"""The one CSV writer and the one XLSX writer of NIR (reports, statistics, the audit log; web and command).

Spreadsheet programs take a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula: a name such as ``=HYPERLINK(…)`` in the register, or a URL filter
written into «Om rapporten», would run on the reader's machine (CSV injection, OWASP). Every
writer of CSV or XLSX in NIR goes through this module, which follows OWASP's guidance:

* **CSV**: a text cell starting with one of those characters gets a leading apostrophe
  (``'=HYPERLINK(…)``), which spreadsheets show as text; every cell containing the separator, a
  quote or a line break is quoted and its quotes doubled (the ``csv`` module), so no text can start
  a new cell.
* **XLSX**: every text cell is stored as text (never as a formula), and a text starting with one of
  those characters also carries Excel's *quote prefix* (the cell style Excel gives ``'…``), so it
  stays text when someone edits the cell. The text itself is unchanged.

Only text is neutralised: numbers (``int``, ``float``, ``Decimal``) stay numbers, also negative
ones — a number cell is written as a number in XLSX and as ``-2,5`` in CSV. Dates are dates
(dd.mm.yyyy in CSV and as the number format in XLSX).

Values a writer takes, per cell: ``None`` (empty), ``str``, ``Header`` (bold in XLSX),
``bool``, ``int``, ``float``, ``Decimal``, ``Share`` (a fraction shown as a percentage),
``datetime.date`` and ``datetime.datetime`` (shown in Norwegian time). Anything else is written
as its text, neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO, TextIO

from django.utils import timezone

# The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"  # as Norwegian spreadsheets expect
CSV_LINE_END = "\r\n"
DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y %H:%M:%S"
XLSX_DATE_FORMAT = "DD.MM.YYYY"
XLSX_DATETIME_FORMAT = "DD.MM.YYYY HH:MM:SS"
XLSX_SHARE_FORMAT = "0.0%"


class Header(str):
    """A heading cell: bold in XLSX, plain (neutralised) text in CSV."""


@dataclass(frozen=True)
class Share:
    """A fraction (0.52) shown as a percentage: ``52,0`` in CSV, 52.0 % (a number) in XLSX."""

    value: float


@dataclass
class Sheet:
    """One worksheet: its title and its rows (an iterable, read once)."""

    title: str
    rows: Iterable[Sequence[Any]]


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _decimal_text(v: Decimal) -> str:
    return format(v.normalize() if v == v.to_integral_value() else v, "f").replace(".", ",")


# --- CSV ----------------------------------------------------------------------------------------


def csv_text(value: Any) -> str:
    """One cell's text in a CSV file (decimal comma, dates dd.mm.yyyy, text neutralised)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, Share):
        return f"{value.value * 100:.1f}".replace(".", ",")
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime(DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT)
    return neutralise(str(value))


class CsvWriter:
    """Rows of values (see the module) into ``fh``, one ``;``-separated line each."""

    def __init__(self, fh: TextIO, *, delimiter: str = CSV_DELIMITER):
        self._writer = csv.writer(fh, delimiter=delimiter, lineterminator=CSV_LINE_END)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_text(v) for v in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_csv(fh: TextIO, rows: Iterable[Iterable[Any]], *, delimiter: str = CSV_DELIMITER) -> None:
    CsvWriter(fh, delimiter=delimiter).writerows(rows)


# --- XLSX ---------------------------------------------------------------------------------------


def write_xlsx(fh: BinaryIO | str, sheets: Iterable[Sheet]) -> None:
    """A workbook of ``sheets`` (written as they are read: a report's rows are not all kept)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)

        def styled(value, number_format=None, font=None, quote=False, ws=ws):
            cell = WriteOnlyCell(ws, value=value)
            if quote:  # stored as text, never a formula, and text again after an edit in Excel
                cell.data_type = "s"
                cell.quotePrefix = True
            if number_format:
                cell.number_format = number_format
            if font is not None:
                cell.font = font
            return cell

        def cell(value, styled=styled):
            if value is None or isinstance(value, (bool, int, float)):
                return value
            if isinstance(value, Decimal):
                return float(value)
            if isinstance(value, Share):
                return styled(value.value, XLSX_SHARE_FORMAT)
            if isinstance(value, dt.datetime):
                local = timezone.localtime(value) if timezone.is_aware(value) else value
                return styled(local.replace(tzinfo=None), XLSX_DATETIME_FORMAT)
            if isinstance(value, dt.date):
                return styled(value, XLSX_DATE_FORMAT)
            text = value if isinstance(value, str) else str(value)
            quote = text.startswith(FORMULA_TRIGGERS)
            if isinstance(value, Header):
                return styled(str(text), font=bold, quote=quote)
            # Plain text that openpyxl would not read as a formula goes in as it is (the fast path).
            return styled(text, quote=True) if quote else text

        for row in sheet.rows:
            ws.append([cell(v) for v in row])
    wb.save(fh)
