"""The settlement figures and the weekly list as one document (JSON: the API and ``nir settlement figures
--format json``) and as tables (CSV/XLSX through ``nir.spreadsheet``: the pages' downloads and the
command). Every output is made here from ``nir.settlement.figures``, so the page, the API, the command
and the downloads show the same numbers."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from nir import spreadsheet
from nir.settlement import figures as fg
from nir.spreadsheet import Header, Share, Sheet


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def document(f: fg.Figures) -> dict[str, Any]:
    """The figures as one JSON-able document."""
    return {
        "year": f.year,
        "known_at": f.known_at.isoformat(),
        "area": {"code": f.area.code, "kind": f.area.kind, "label": f.area.label},
        "figures": [{"key": x.key, "label": x.label, "kind": x.kind, "value": f.values[x.key]} for x in fg.FIGURES],
        "need": {k: _jsonable(v) for k, v in f.need.items()} if f.need else None,
        "municipalities": [{"code": r.code, "name": r.name, **_area_values(r)} for r in f.by_municipality],
        "counties": [{"code": r.code, "name": r.name, **_area_values(r)} for r in f.by_county],
        "regions": [{"code": r.code, "name": r.name, **_area_values(r)} for r in fg.by_region(f)]
        if f.area.kind == "national"
        else [],
        "monthly": f.monthly,
        "ready": [{k: _jsonable(v) for k, v in r.items()} for r in f.ready],
    }


def _area_values(r: fg.AreaRow) -> dict[str, Any]:
    return {k: r.values[k] for k, _label in fg.AREA_COLUMNS}


def weekly_document(w: fg.WeeklyList) -> dict[str, Any]:
    groups = [label for label, _lo, _hi in fg.AGE_GROUPS]
    return {
        "year": w.year,
        "week": w.week,
        "first": w.first.isoformat(),
        "last": w.last.isoformat(),
        "known_at": w.known_at.isoformat(),
        "area": w.area_label,
        "age_groups": groups,
        "municipalities": [
            {"code": r.code, "name": r.name, "persons": {g: r.values[g] for g in groups}, "total": r.values["total"]}
            for r in w.rows
        ],
        "total": {"persons": {g: w.total[g] for g in groups}, "total": w.total["total"]},
    }


# --- tables --------------------------------------------------------------------------------------


def _cell(figure: fg.Figure | None, value: Any) -> Any:
    if value is None:
        return None
    if figure is not None and figure.kind == "share" or figure is None and isinstance(value, float):
        return Share(value)
    return value


def _about(f: fg.Figures) -> Iterator[list[Any]]:
    yield [Header("Bosettingstall"), f"{f.area.label}, {f.year}"]
    yield ["Kjent per", timezone.localtime(f.known_at)]
    yield ["Kilde", "NIR og Bosetting (bosettingsmodulen); definisjoner i docs/settlement.md «Tall og lister»"]


def key_rows(f: fg.Figures) -> Iterator[list[Any]]:
    yield [Header("Nøkkel"), Header("Tall"), Header("Verdi")]
    for x in fg.FIGURES:
        yield [x.key, x.label, _cell(x, f.values[x.key])]


def area_rows(rows: list[fg.AreaRow], header: str) -> Iterator[list[Any]]:
    yield [Header(header), Header("Navn"), *[Header(label) for _k, label in fg.AREA_COLUMNS]]
    for r in rows:
        yield [r.code, r.name, *[_cell(fg.BY_KEY[k], r.values[k]) for k, _label in fg.AREA_COLUMNS]]


def monthly_rows(f: fg.Figures) -> Iterator[list[Any]]:
    yield [Header("Måned"), *[Header(label) for _k, label in fg.MONTHLY_COLUMNS]]
    for m in f.monthly:
        yield [f"{f.year}-{m['month']:02d}", *[m[k] for k, _label in fg.MONTHLY_COLUMNS]]


def ready_rows(f: fg.Figures) -> Iterator[list[Any]]:
    yield [Header("Dato (månedsslutt)"), *[Header(label) for _k, label in fg.READY_COLUMNS]]
    for r in f.ready:
        yield [r["date"], *[r[k] for k, _label in fg.READY_COLUMNS]]


def sheets(f: fg.Figures) -> list[Sheet]:
    return [
        Sheet("Nøkkeltall", [*_about(f), [], *key_rows(f)]),
        Sheet("Per fylke", list(area_rows(f.by_county, "Fylke"))),
        Sheet("Per kommune", list(area_rows(f.by_municipality, "Kommune"))),
        Sheet("Per måned", list(monthly_rows(f))),
        Sheet("Bosettingsklare", list(ready_rows(f))),
    ]


def csv_text(f: fg.Figures) -> str:
    """The same tables in one CSV file, one after the other with an empty row between."""
    buf = io.StringIO()
    w = spreadsheet.CsvWriter(buf)
    for k, sheet in enumerate(sheets(f)):
        if k:
            w.writerow([])
            w.writerow([Header(sheet.title)])
        w.writerows(sheet.rows)
    return buf.getvalue()


def xlsx_bytes(f: fg.Figures) -> bytes:
    buf = io.BytesIO()
    spreadsheet.write_xlsx(buf, sheets(f))
    return buf.getvalue()


def weekly_rows(w: fg.WeeklyList) -> Iterator[list[Any]]:
    groups = [label for label, _lo, _hi in fg.AGE_GROUPS]
    yield [Header("Kommunenummer"), Header("Kommune"), *[Header(g) for g in groups], Header("Totalt")]
    for r in w.rows:
        yield [r.code, r.name, *[r.values[g] for g in groups], r.values["total"]]
    yield ["", "Totalt", *[w.total[g] for g in groups], w.total["total"]]


def weekly_sheets(w: fg.WeeklyList) -> list[Sheet]:
    about = [
        [Header("Bosatte per uke etter aldersgruppe"), f"uke {w.week} {w.year} ({w.first:%d.%m.}–{w.last:%d.%m.%Y})"],
        ["Område", w.area_label],
        ["Kjent per", timezone.localtime(w.known_at)],
        [],
    ]
    return [Sheet(f"Uke {w.week} {w.year}", [*about, *weekly_rows(w)])]


def weekly_csv(w: fg.WeeklyList) -> str:
    buf = io.StringIO()
    spreadsheet.write_csv(buf, weekly_rows(w))
    return buf.getvalue()


def weekly_xlsx(w: fg.WeeklyList) -> bytes:
    buf = io.BytesIO()
    spreadsheet.write_xlsx(buf, weekly_sheets(w))
    return buf.getvalue()
