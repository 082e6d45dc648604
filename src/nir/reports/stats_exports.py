"""The yearly statistics table as JSON, CSV and XLSX (one layout for the pages and ``nir report``).

JSON::

    {"statistics": "aarsstatistikk", "year": 2025, "law": "integreringsloven",
     "as_of": "2025-12-31", "known_at": "…", "area": null, "area_label": "Hele landet", "by": "county",
     "figures": [{"id": "deltakere", "title": …, "definition": …, "source": …,
                  "columns": [{"key": "right_and_duty", "label": "Rett og plikt"}, …], "total": true}, …],
     "rows": [{"area": "50", "name": "Trøndelag", "kind": "county",
               "values": {"deltakere": {"right_and_duty": 12, …, "total": 20}, …},
               "shares": {"norsk-frist-proever": {"exam_taken": 0.52, …}}}, …]}

CSV and XLSX: one row per area, one column per figure column (``Tittel: kolonne``),
a total where the columns split the figure, shares as percentages; written by the one CSV and
XLSX writer, ``nir.spreadsheet`` (no text becomes a formula; numbers stay numbers).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

from django.utils import timezone

from nir import spreadsheet
from nir.reports.statistics import StatsTable, law_label

STATISTICS_ID = "aarsstatistikk"
CSV_DELIMITER = spreadsheet.CSV_DELIMITER


def to_json(table: StatsTable) -> dict[str, Any]:
    p = table.params
    rows = []
    for area in table.areas:
        values, shares = {}, {}
        for fig in table.figures:
            v = {c.key: table.value(fig.id, c.key, area.code) for c in fig.columns}
            if fig.exhaustive and len(fig.columns) > 1:
                v["total"] = table.total(fig.id, area.code)
            values[fig.id] = v
            if fig.shares:
                shares[fig.id] = {num: table.share(fig.id, num, den, area.code) for num, den, _label in fig.shares}
        rows.append(
            {
                "area": area.code or None,
                "name": area.name,
                "kind": area.kind,
                "values": values,
                **({"shares": shares} if shares else {}),
            }
        )
    return {
        "statistics": STATISTICS_ID,
        "year": p.year,
        "law": p.law,
        "as_of": p.as_of.isoformat(),
        "known_at": timezone.localtime(table.known_at).isoformat(),
        "area": p.area,
        "area_label": table.label,
        "by": p.by,
        "figures": [
            {
                "id": f.id,
                "title": f.title,
                "definition": f.definition,
                "source": f.source,
                "columns": [{"key": c.key, "label": c.label} for c in f.columns],
                "total": f.exhaustive and len(f.columns) > 1,
                **({"shares": [{"key": n, "of": d, "label": lab} for n, d, lab in f.shares]} if f.shares else {}),
            }
            for f in table.figures
        ],
        "rows": rows,
    }


def write_json(table: StatsTable, fh: TextIO) -> None:
    import json

    json.dump(to_json(table), fh, ensure_ascii=False, indent=1)
    fh.write("\n")


def headers_and_rows(table: StatsTable) -> tuple[list[str], list[list[Any]]]:
    """The wide layout: header texts and one list of values per area (shares as fractions)."""
    headers = ["Område-kode", "Område"]
    getters = []
    for fig in table.figures:
        for c in fig.columns:
            headers.append(f"{fig.title}: {c.label}" if len(fig.columns) > 1 else fig.title)
            getters.append(lambda a, f=fig.id, k=c.key: table.value(f, k, a))
        if fig.exhaustive and len(fig.columns) > 1:
            headers.append(f"{fig.title}: Totalt")
            getters.append(lambda a, f=fig.id: table.total(f, a))
        for num, den, label in fig.shares:
            headers.append(f"{fig.title}: {label} (%)")
            getters.append(lambda a, f=fig.id, n=num, d=den: table.share(f, n, d, a))
    rows = [[a.code, a.name, *[g(a.code) for g in getters]] for a in table.areas]
    return headers, rows


def _cell(v: Any) -> Any:
    """Shares (fractions, floats) as percentages; counts as they are."""
    return spreadsheet.Share(v) if isinstance(v, float) else v


def table_rows(table: StatsTable) -> Iterator[list[Any]]:
    headers, rows = headers_and_rows(table)
    yield [spreadsheet.Header(h) for h in headers]
    for row in rows:
        yield [_cell(v) for v in row]


def write_csv(table: StatsTable, fh: TextIO) -> None:
    spreadsheet.write_csv(fh, table_rows(table), delimiter=CSV_DELIMITER)


def to_csv(table: StatsTable) -> str:
    buf = io.StringIO()
    write_csv(table, buf)
    return buf.getvalue()


def definition_rows(table: StatsTable) -> Iterator[list[Any]]:
    p = table.params
    yield ["År", p.year]
    yield ["Lov", law_label(p.law)]
    yield ["Område", table.label]
    yield ["Referansedato", p.as_of.strftime("%d.%m.%Y")]
    yield ["Registeret slik det var kjent", timezone.localtime(table.known_at).strftime("%d.%m.%Y %H:%M:%S %z")]
    yield []
    yield ["Tall", "Tittel", "Definisjon", "Kilde"]
    for f in table.figures:
        yield [f.id, f.title, f.definition, f.source]


def write_xlsx(table: StatsTable, fh: BinaryIO | str) -> None:
    """«Statistikk»: the wide table; «Definisjoner»: each figure's definition and source."""
    spreadsheet.write_xlsx(
        fh,
        [spreadsheet.Sheet("Statistikk", table_rows(table)), spreadsheet.Sheet("Definisjoner", definition_rows(table))],
    )


def to_xlsx(table: StatsTable) -> bytes:
    buf = io.BytesIO()
    write_xlsx(table, buf)
    return buf.getvalue()
