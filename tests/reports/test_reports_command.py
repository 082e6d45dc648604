"""nir report NAME: the same reports on the command line, in csv, json and xlsx."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def report(*args) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_list():
    text = report("--list")
    assert "avsluttet-intro" in text and "Deltakere som har avsluttet introduksjonsprogram" in text
    lines = text.strip().splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == [
        "avsluttet-intro",
        "avvik-sluttmaal",
        "bortfall-arbeid",
        "personliste",
        "sekundaerflytting",
        "aarsstatistikk",
    ]
    assert sum(1 for line in lines if line.startswith("  --figure ")) == 9


def test_json(world):
    doc = json.loads(
        report("avvik-sluttmaal", "--format", "json", "--known-at", "2026-02-01", "--avvik", "final_goal_expired")
    )
    assert doc["count"] == 1 and doc["rows"][0]["last_name"] == "Dahl"
    assert doc["filters"]["avvik"] == "final_goal_expired"
    assert doc["known_at"].startswith("2026-02-01T23:59:59")


def test_csv_is_the_default(world):
    rows = list(
        csv.reader(
            io.StringIO(
                report("avsluttet-intro", "--from", "2026-01-01", "--to", "2026-12-31", "--sort=-termination_date")
            ),
            delimiter=";",
        )
    )
    assert rows[0][0] == "DUF-nummer" and [r[2] for r in rows[1:]] == ["Eng", "Jensen", "Fjell"]


def test_options_are_read_as_the_pages_and_the_api_read_the_query(world):
    """One reader (``nir.reports.params``) for the pages, the API and the command: a date as typed on
    the pages (dd.mm.yyyy) is the same filter as ISO, and a bad value is refused with the filter's name."""
    iso = json.loads(report("avsluttet-intro", "--format", "json", "--from", "2026-01-01", "--to", "2026-12-31"))
    typed = json.loads(report("avsluttet-intro", "--format", "json", "--from", "01.01.2026", "--to", "31.12.2026"))
    assert typed["filters"] == iso["filters"] and typed["rows"] == iso["rows"] and iso["count"] == 3
    with pytest.raises(CommandError, match="«2026-13-01»"):
        report("avsluttet-intro", "--from", "2026-13-01")


def test_xlsx_to_file(world, tmp_path):
    out = tmp_path / "bortfall.xlsx"
    report("bortfall-arbeid", "--format", "xlsx", "--out", str(out), "--municipality", "5001")
    values = list(openpyxl.load_workbook(out)["Rapport"].iter_rows(values_only=True))
    assert values[0][-1] == "Vedtaksdato" and [v[2] for v in values[1:]] == ["Jensen"]


def test_csv_to_file_and_as_a_municipality_user(world, tmp_path, caseworker):
    out = tmp_path / "avvik.csv"
    report("avvik-sluttmaal", "--user", caseworker.username, "--out", str(out), "--name", "GRAN")
    text = out.read_text(encoding="utf-8-sig")
    assert [r[2] for r in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]] == ["Gran"]
    doc = json.loads(report("avvik-sluttmaal", "--user", caseworker.username, "--format", "json"))
    assert [r["last_name"] for r in doc["rows"]] == ["Bergh", "Gran"]  # Trondheim's own persons only


@pytest.mark.parametrize(
    "args",
    [
        ("avvik-sluttmaal", "--format", "xlsx"),  # xlsx needs --out
        ("bortfall-arbeid", "--avvik", "final_goal_missing"),
        ("avsluttet-intro", "--from", "2026-13-01"),
        ("avsluttet-intro", "--known-at", "i går"),
        ("avvik-sluttmaal", "--known-at", "2026-02-01", "--compare-known-at", "snart"),
        ("aarsstatistikk", "--as-of", "31.13.2025"),
        ("avvik-sluttmaal", "--user", "nobody"),
        ("personlister",),
        ("aarsstatistikk", "--status", "active"),
        ("aarsstatistikk", "--municipality", "5001", "--county", "50"),
        ("aarsstatistikk", "--year", "2025", "--figure", "nope"),
        ("avvik-sluttmaal", "--known-at", "2026-02-01", "--compare-known-at", "now", "--format", "xlsx"),
        (),
    ],
)
def test_refusals(args):
    with pytest.raises(CommandError):
        report(*args)
