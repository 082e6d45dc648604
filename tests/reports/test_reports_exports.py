"""Report output (reports.md): JSON exactly as shown, CSV and XLSX with the same columns and
Norwegian headers, dates dd.mm.yyyy."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest

from conftest import at
from nir.reports import exports, registry
from nir.reports.registry import ReportParams

pytestmark = pytest.mark.django_db


def run(report_id, **params):
    return registry.run(report_id, ReportParams(**params), scope=None)


def test_json_object_as_in_reports_md(world):
    result = run("avvik-sluttmaal", municipality="5001", as_of=dt.date(2026, 5, 1), known_at=at(2026, 4, 2))
    doc = json.loads(json.dumps(exports.to_json(result)))
    assert list(doc) == ["report", "law", "as_of", "known_at", "filters", "count", "rows"]
    assert doc["report"] == "avvik-sluttmaal" and doc["law"] == "integreringsloven"
    assert doc["as_of"] == "2026-05-01"
    assert dt.datetime.fromisoformat(doc["known_at"]) == at(2026, 4, 2)
    assert doc["filters"] == {"municipality": "5001", "category": None, "duf": None, "name": None, "avvik": None}
    assert doc["count"] == 3
    assert doc["rows"][0] == {
        "duf": world["anne"].duf,
        "first_name": "Anne",
        "last_name": "Aas",
        "follow_up_municipality": "5001",
        "follow_up_district": "",
        "category": "right_and_duty",
        "deviations": ["final_goal_missing"],
        "intro_start_date": "2026-01-05",
    }


def test_json_of_avsluttet_intro_carries_period_and_hours(world):
    doc = exports.to_json(run("avsluttet-intro", date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 30)))
    assert doc["filters"]["from"] == "2026-06-01" and doc["filters"]["to"] == "2026-06-30"
    assert doc["count"] == 1
    row = doc["rows"][0]
    assert (
        row["termination_type"],
        row["termination_reason"],
        row["termination_date"],
        row["hours_work_per_week"],
    ) == ("completed", "work", "2026-06-30", 37.5)
    assert json.loads(json.dumps(doc)) == doc


def test_csv_headers_labels_and_norwegian_dates(world):
    text = exports.to_csv(run("avvik-sluttmaal"))
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "DUF-nummer",
        "Fornavn",
        "Etternavn",
        "Oppfølgingskommune",
        "Oppfølgingsbydel",
        "NIR-kategori introduksjonsprogram",
        "Avvik",
        "Startdato introduksjonsprogram",
    ]
    assert len(rows) == 1 + 4
    assert rows[1] == [
        world["anne"].duf,
        "Anne",
        "Aas",
        "4601",
        "",
        "Rett og plikt til introduksjonsprogram",
        "Med vedtak om introduksjonsprogram, men ikke registrert sluttmål",
        "05.01.2026",
    ]
    term = list(
        csv.reader(io.StringIO(exports.to_csv(run("avsluttet-intro", termination_type="completed"))), delimiter=";")
    )
    assert term[0][-4:] == ["Avslutning", "Avslutningsårsak", "Avslutningsdato", "Antall timer arbeid per uke"]
    assert term[1][-4:] == ["Fullført", "Overgang til arbeid", "30.06.2026", "37,5"]


def test_xlsx_headers_and_a_row(world):
    data = exports.to_xlsx(run("bortfall-arbeid"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Rapport"]
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == (
        "DUF-nummer",
        "Fornavn",
        "Etternavn",
        "Oppfølgingskommune",
        "Oppfølgingsbydel",
        "NIR-kategori introduksjonsprogram",
        "Vedtaksdato",
    )
    assert len(values) == 1 + 2
    assert values[1][:6] == (
        world["eva"].duf,
        "Eva",
        "Fjell",
        "0301",
        "030101",
        "Ingen rett eller plikt til introduksjonsprogram",
    )
    assert values[1][6] == dt.datetime(2026, 1, 5)
    assert ws.cell(row=2, column=7).number_format == "DD.MM.YYYY"
    assert ws.cell(row=1, column=1).font.bold
    about = dict(wb["Om rapporten"].iter_rows(values_only=True))
    assert about["Rapport-id"] == "bortfall-arbeid" and about["Antall rader"] == 2
    assert about["Område"] == "Hele landet"  # every person (scope None); a municipality's user: its name
