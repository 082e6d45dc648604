"""The yearly statistics pages: /rapporter/aarsstatistikk/ (figures with definitions, charts and tables, the
yearly series, by area, what late registrations changed), its downloads, and the printable yearly report
/rapporter/aarsrapport/<area>/<year>/ — on the ``stats_world`` register of the statistics tests, with its
exact figures; login required, the user's scope applied, bad parameters refused with 400."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.core.management import call_command

from nir.register.actors import Actor
from nir.reports import charts, statistics
from nir.reports.statistics import FIGURES, StatsParams
from nir.testing import builders as helpers
from nir.testing.builders import make_user

REPORTS_TESTS = Path(__file__).resolve().parents[1] / "reports"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# the stats_world fixture of the statistics tests (a test module: loaded by path, under its own name)
_stats_module = _load("web_statistics_stats_world", REPORTS_TESTS / "test_reports_statistics.py")
stats_world = _stats_module.stats_world  # the fixture: 2025 in Trondheim, Bergen and Oslo
CUT = "2026-01-19"  # «tall per 19.01.2026»: before Ida's late decision and Erik's correction
KNOWN_AT = "2026-11-01T12:00:00+01:00"
URL = "/rapporter/aarsstatistikk/"


# --- users and the register ---------------------------------------------------------------------


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "analytiker-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
        "none": make_user(django_user_model, "uten-organisasjon"),
    }


@pytest.fixture
def register(users):
    """What ``stats_world`` registers with (as in tests/reports/conftest.py)."""
    return helpers.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))


@pytest.fixture
def as_imdi(client, users, stats_world):
    client.force_login(users["imdi"])
    return client


# --- reading the pages ----------------------------------------------------------------------------


def _squeeze(text: str) -> str:
    """Runs of ASCII white space as one space (no-break spaces kept: they are part of the numbers)."""
    return re.sub(r"[ \t\r\n\f]+", " ", text).strip()


class Page(HTMLParser):
    """Start tags, the text, every table (by id: caption, header cells, body rows, foot rows) and the SVGs."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.html = text
        self.tags: list[tuple[str, dict]] = []
        self.tables: dict[str, dict] = {}
        self.text_parts: list[str] = []
        self._table = None
        self._part = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = {k: "" if v is None else v for k, v in attrs}
        self.tags.append((tag, attrs))
        if tag == "table":
            self._table = {"caption": "", "head": [], "rows": [], "foot": [], "attrs": attrs}
            self.tables[attrs.get("id", f"table-{len(self.tables)}")] = self._table
        elif self._table is None:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr" and self._part in ("tbody", "tfoot"):
            self._table["rows" if self._part == "tbody" else "foot"].append([])
        elif tag in ("th", "td", "caption"):
            self._cell = []

    def handle_endtag(self, tag):
        if self._table is None:
            return
        if tag == "table":
            self._table = None
        elif tag in ("th", "td", "caption") and self._cell is not None:
            text = _squeeze("".join(self._cell))
            if tag == "caption":
                self._table["caption"] = text
            elif self._part == "thead":
                self._table["head"].append(text)
            else:
                self._table["rows" if self._part == "tbody" else "foot"][-1].append(text)
            self._cell = None

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def text(self) -> str:
        return _squeeze(" ".join(self.text_parts))

    def find(self, tag, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def cell(self, table_id: str, row: str, column: str, foot: bool = False) -> str:
        t = self.tables[table_id]
        r = next(r for r in t["foot" if foot else "rows"] if r[0] == row)
        return r[t["head"].index(column)]

    def svg_titles(self) -> list[str]:
        return re.findall(r'<svg [^>]*role="img"[^>]*><title id="[^"]+">([^<]*)</title>', self.html)


def get(client, url=URL, **params) -> tuple[int, Page]:
    r = client.get(url, params)
    return r.status_code, Page(r.content.decode())


def text_of(html: str) -> str:
    return _squeeze(re.sub(r"<[^>]+>", " ", html))


# --- login and links ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, f"{URL}eksport.csv", f"{URL}eksport.json", "/rapporter/aarsrapport/5001/2025/"])
def test_login_required(client, url):
    r = client.get(url, {"year": "2025"})
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_the_reports_list_links_to_the_statistics(client, users):
    client.force_login(users["trondheim"])
    page = Page(client.get("/rapporter/").content.decode())
    assert page.find("a", href=URL)


# --- the page -------------------------------------------------------------------------------------


def test_every_figure_with_its_definition_chart_and_table(as_imdi):
    status, page = get(as_imdi, year="2025", serie="1")
    assert status == 200
    text = page.text
    assert "Årsstatistikk 2025 – Hele landet" in text and "Integreringsloven" in text
    assert "Tall per 31.12.2025 slik registeret var kjent" in text
    for fig in FIGURES.values():
        section = page.find("section", id=f"fig-{fig.id}")
        assert section, fig.id
        # The definition is shown beside the figure (not folded away), with the source.
        block = page.html.split(f'id="fig-{fig.id}"', 1)[1].split("</section>", 1)[0]
        assert "<details" not in block.split('class="stats-data"')[0]
        assert " ".join(fig.definition.split()) in text_of(block) and fig.source in text_of(block)
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in block and 'role="img"' in block, fig.id
        assert f'id="fig-{fig.id}-table"' in block and "<caption" in block
    # Inline, accessible SVG charts with titles: one per figure and the yearly series.
    titles = page.svg_titles()
    assert len(titles) == len(FIGURES) + 1
    assert any(t.startswith("Hovedtall 2021–2025") for t in titles)
    assert all(t for t in titles)
    for table in page.tables.values():
        assert table["caption"]
    assert all(a.get("scope") in ("col", "row") for a in page.find("th"))


def test_exact_numbers_of_the_register_now_and_as_known_on_the_cut_date(as_imdi):
    _, page = get(as_imdi, year="2025", serie="1")
    # 2024 and 2025 side by side; the 2025 column is what statistics.yearly counts.
    assert page.tables["fig-deltakere-table"]["head"] == ["Gruppe", "2024", "2025"]
    assert page.cell("fig-deltakere-table", "Rett og plikt", "2025") == "5"
    assert page.cell("fig-deltakere-table", "Kollektiv beskyttelse, kan få tilbud", "2025") == "1"
    assert page.cell("fig-deltakere-table", "Totalt", "2025", foot=True) == "7"
    assert page.cell("fig-rett-og-plikt-31-12-table", "Personer", "2025") == "5"
    assert page.cell("fig-begynt-table", "Totalt", "2025", foot=True) == "3"
    assert page.cell("fig-avsluttet-table", "Totalt", "2025", foot=True) == "0"
    exams = "fig-norsk-frist-proever-table"
    assert [page.cell(exams, row, "2025") for row in ("Frist i året", "Avlagt prøve", "Bestått")] == ["3", "2", "1"]
    assert page.cell(exams, "Andel bestått (av avlagt prøve)", "2025", foot=True) == "50,0\u00a0%"
    assert page.cell(exams, "Andel avlagt prøve (av frist i året)", "2025", foot=True) == "66,7\u00a0%"
    # The final goals as shares: n and % of the participants with rett og plikt.
    goals = page.tables["fig-sluttmaal-rett-og-plikt-table"]
    assert goals["head"] == ["Sluttmål", "Personer", "Andel"]
    assert ["Ikke registrert", "1", "20,0\u00a0%"] in goals["rows"]
    assert goals["foot"] == [["Sum", "5", "100,0\u00a0%"]]
    assert "3 (60,0\u00a0%)" in page.html  # work_no_vgo_old: the bar's label
    # The register as known on 19.01.2026: before the late registration and the correction.
    _, page = get(as_imdi, year="2025", known_at=CUT)
    assert page.cell("fig-deltakere-table", "Rett og plikt", "2025") == "4"
    assert page.cell("fig-rett-og-plikt-31-12-table", "Personer", "2025") == "4"
    assert page.cell("fig-avsluttet-table", "Rett og plikt", "2025") == "1"
    assert "slik registeret var kjent 19.01.2026 23:59" in page.text


def test_national_series_only_when_asked_for(as_imdi):
    _, page = get(as_imdi, year="2025")
    assert "serie-table" not in page.tables
    assert page.find("a", href="/rapporter/aarsstatistikk/?year=2025&serie=1")
    assert len(page.svg_titles()) == len(FIGURES)


def test_yearly_series_of_the_main_figures(as_imdi):
    _, page = get(as_imdi, year="2025", serie="1")
    series = page.tables["serie-table"]
    assert [r[0] for r in series["rows"]] == ["2021", "2022", "2023", "2024", "2025"]
    assert series["head"][1:] == ["Deltakere", "Begynt", "Avsluttet", "Rett og plikt per 31.12."]
    expected = statistics.series(StatsParams(year=2025), range(2021, 2026), scope=None)
    for row in series["rows"]:
        t = expected[int(row[0])]
        assert row[1:] == [
            charts.format_number(t.total(f)) for f in ("deltakere", "begynt", "avsluttet", "rett-og-plikt-31-12")
        ]
    assert series["rows"][-1][1] == "7" and series["rows"][-1][4] == "5"
    assert 'class="nir-chart nir-chart-line"' in page.html and 'id="serie-title"' in page.html
    # The previous year beside the chosen one comes from the same series.
    assert page.cell("fig-deltakere-table", "Totalt", "2024", foot=True) == charts.format_number(
        expected[2024].total("deltakere")
    )


def test_by_municipality_one_row_per_area(as_imdi):
    status, page = get(as_imdi, year="2025", by="municipality")
    assert status == 200
    t = page.tables["fig-deltakere-table"]
    assert [r[0] for r in t["rows"]] == ["0301 Oslo", "4601 Bergen", "5001 Trondheim - Tråante"]
    assert page.cell("fig-deltakere-table", "0301 Oslo", "Totalt") == "3"
    assert page.cell("fig-deltakere-table", "5001 Trondheim - Tråante", "Rett og plikt") == "2"
    assert page.cell("fig-deltakere-table", "Sum", "Totalt", foot=True) == "7"
    assert page.cell("fig-norsk-frist-proever-table", "5001 Trondheim - Tråante", "Andel bestått (%)") == "50,0\u00a0%"
    # No chart per area; the chart of «deltakere» by area, no yearly series.
    assert page.svg_titles() == ["Personer som deltok i introduksjonsprogram i 2025 – Hele landet, per kommune"]
    assert "serie-table" not in page.tables
    assert page.tables["omraader-table"]["rows"] == [["Oslo", "3"], ["Bergen", "2"], ["Trondheim - Tråante", "2"]]
    _, page = get(as_imdi, year="2025", by="county")
    assert [r[0] for r in page.tables["fig-deltakere-table"]["rows"]] == [
        "03 Oslo",
        "46 Vestland",
        "50 Trøndelag - Trööndelage",
    ]


def test_one_area_and_districts(as_imdi):
    _, page = get(as_imdi, year="2025", area="4601")
    assert "Årsstatistikk 2025 – Bergen" in page.text
    assert page.cell("fig-deltakere-table", "Totalt", "2025", foot=True) == "2"
    assert page.find("option", value="4601", selected="")
    assert page.find("a", href="/rapporter/aarsrapport/4601/2025/")
    # A district typed in the district field (or given as area) wins over the select.
    _, page = get(as_imdi, year="2025", area="50", district="030102")
    assert "Grünerløkka" in page.text and page.cell("fig-deltakere-table", "Totalt", "2025", foot=True) == "3"
    assert page.find("input", name="district", value="030102")
    _, page = get(as_imdi, year="2025", area="030102")
    assert page.find("input", name="district", value="030102")
    assert page.find("a", href="/rapporter/aarsrapport/030102/2025/")
    # Only some figures.
    _, page = get(as_imdi, "/rapporter/aarsstatistikk/?year=2025&figure=deltakere&figure=begynt&serie=1")
    assert [k for k in page.tables if k.startswith("fig-")] == ["fig-deltakere-table", "fig-begynt-table"]
    assert page.tables["serie-table"]["rows"][-1][1] == "7"  # the series has every main figure


def test_changes_between_two_registration_times(as_imdi):
    status, page = get(as_imdi, year="2025", known_at=CUT, compare_known_at="nå")
    assert status == 200
    t = page.tables["endringer-table"]
    assert t["head"] == ["Område", "Tall", "Kolonne", "Før", "Etter", "Endring"]
    rows = {(r[1], r[2]): r[3:] for r in t["rows"]}
    assert rows[(FIGURES["deltakere"].title, "Rett og plikt")] == ["4", "5", "+1"]
    assert rows[(FIGURES["avsluttet"].title, "Rett og plikt")] == ["1", "0", "\u22121"]
    assert rows[(FIGURES["rett-og-plikt-31-12"].title, "Personer")] == ["4", "5", "+1"]
    assert all(r[0] == "Hele landet" for r in t["rows"])
    assert t["caption"].startswith("Endrede tall mellom registeret 19.01.2026 23:59 og ")
    # Both as known on 19.01.2026: nothing changed.
    _, page = get(as_imdi, year="2025", known_at=CUT, compare_known_at=CUT)
    assert "Ingen tall er endret" in page.text and "endringer-table" not in page.tables
    # Without a comparison time: no changes section.
    _, page = get(as_imdi, year="2025", known_at=CUT)
    assert not page.find("section", id="endringer")


# --- downloads ------------------------------------------------------------------------------------


def command_output(user, tmp_path, fmt: str, params: dict) -> Path:
    out = tmp_path / f"command.{fmt}"
    args = ["aarsstatistikk", "--user", user.username, "--format", fmt, "--out", str(out)]
    for name, value in params.items():
        if name == "area":
            args.append(f"--{'county' if len(value) == 2 else 'municipality'}={value}")
        else:
            args.append(f"--{name.replace('_', '-')}={value}")
    call_command("report", *args, stdout=io.StringIO(), stderr=io.StringIO())
    return out


@pytest.mark.parametrize(
    "params",
    [
        {"year": "2025", "by": "municipality"},
        {"year": "2025", "area": "50", "by": "municipality"},
        {"year": "2025", "area": "5001", "as_of": "2025-06-30"},
        {"year": "2025", "area": "030102"},
        {"year": "2024", "law": "introduksjonsloven", "by": "county"},
    ],
)
def test_downloads_equal_the_command(as_imdi, users, tmp_path, params):
    params = {**params, "known_at": KNOWN_AT}
    for fmt, content_type in (("csv", "text/csv; charset=utf-8"), ("json", "application/json; charset=utf-8")):
        r = as_imdi.get(f"{URL}eksport.{fmt}", params)
        assert r.status_code == 200 and r["Content-Type"] == content_type
        assert r["Content-Disposition"].startswith('attachment; filename="aarsstatistikk-')
        assert r["Content-Disposition"].endswith(f'.{fmt}"')
        assert r.content == command_output(users["imdi"], tmp_path, fmt, params).read_bytes()
    assert r.content.decode().startswith("{")
    r = as_imdi.get(f"{URL}eksport.xlsx", params)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    got = openpyxl.load_workbook(io.BytesIO(r.content))
    want = openpyxl.load_workbook(command_output(users["imdi"], tmp_path, "xlsx", params))
    assert got.sheetnames == want.sheetnames == ["Statistikk", "Definisjoner"]
    for name in got.sheetnames:
        assert list(got[name].iter_rows(values_only=True)) == list(want[name].iter_rows(values_only=True))


def test_download_links_carry_the_parameters(as_imdi):
    _, page = get(as_imdi, year="2025", area="50", by="municipality", known_at=CUT, compare_known_at="nå")
    links = {
        a["href"].split("?")[0]: parse_qs(urlsplit(a["href"]).query)
        for a in page.find("a")
        if "/eksport." in a.get("href", "")
    }
    expected = {
        "year": ["2025"],
        "law": ["integreringsloven"],
        "area": ["50"],
        "by": ["municipality"],
        "known_at": [CUT],
    }
    assert links == {f"{URL}eksport.{fmt}": expected for fmt in ("csv", "xlsx", "json")}
    r = as_imdi.get(f"{URL}eksport.csv", {k: v[0] for k, v in expected.items()})
    lines = r.content.decode("utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in lines[1:]] == ["5001"]


# --- the printable yearly report ------------------------------------------------------------------


def test_printable_yearly_report(as_imdi):
    r = as_imdi.get("/rapporter/aarsrapport/5001/2025/")
    assert r.status_code == 200
    html = r.content.decode()
    page = Page(html)
    assert page.find("h1")[0] is not None and "<h1>Trondheim - Tråante kommune</h1>" in html
    assert "Årsrapport 2025" in page.text and "Integreringsloven" in page.text
    assert "Tall per 31.12.2025 slik registeret var kjent" in page.text
    # Printable: print CSS for A4, a page per figure, no menu; a print button; not a PDF.
    assert "@media print" in html and "size: A4" in html and "break-before: page" in html
    assert 'class="toolbar no-print"' in html and ".no-print, .toolbar { display: none" in html
    assert "window.print()" in html and "Skriv ut" in page.text and "PDF" in page.text
    assert 'aria-label="Hovedmeny"' not in html  # standalone: not the application's menu
    assert page.find("button", id="print-button", hidden="")  # shown by the script; the page reads without it
    for fig in FIGURES.values():
        assert fig.title in page.text and " ".join(fig.definition.split()) in page.text
    assert len(page.svg_titles()) == len(FIGURES) + 1
    assert page.cell("fig-deltakere-table", "Rett og plikt", "2025") == "2"  # Aslak, Berit
    assert [r[0] for r in page.tables["serie-table"]["rows"]] == ["2021", "2022", "2023", "2024", "2025"]
    assert "Kilder og definisjoner" in page.text and "Generert" in page.text
    assert re.search(r"Generert \d\d\.\d\d\.\d{4} \d\d:\d\d", page.text)
    # The register as known on the cut date; a county; a district.
    _, page = get(as_imdi, "/rapporter/aarsrapport/5001/2025/", known_at=CUT)
    assert "slik registeret var kjent 19.01.2026 23:59" in page.text
    status, page = get(as_imdi, "/rapporter/aarsrapport/46/2025/")
    assert (
        status == 200
        and "Vestland" in page.text
        and page.cell("fig-deltakere-table", "Totalt", "2025", foot=True) == "2"
    )
    status, page = get(as_imdi, "/rapporter/aarsrapport/030102/2025/")
    assert status == 200 and "Grünerløkka" in page.text


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({"year": "tjuetjuefem"}, "År må være et årstall (ÅÅÅÅ), ikke «tjuetjuefem»"),
        ({"year": "1999"}, "Årstallet 1999 er utenfor registerets tid"),
        ({"year": "2025", "area": "123"}, "Område må være et fylkesnummer"),
        ({"year": "2025", "area": "9999"}, "Ukjent kommune «9999»"),
        ({"year": "2025", "district": "039999"}, "Ukjent bydel «039999»"),
        ({"year": "2025", "area": "99"}, "Ukjent fylke «99»"),
        ({"year": "2025", "by": "fylke"}, "Ukjent inndeling 'fylke'"),
        ({"year": "2025", "figure": "lykke"}, "Ukjent tall lykke"),
        ({"year": "2025", "law": "utlendingsloven"}, "Ukjent lov 'utlendingsloven'"),
        ({"year": "2025", "as_of": "2024-01-01"}, "Referansedatoen 01.01.2024 er ikke i året 2025"),
        ({"year": "2025", "as_of": "2025-13-01"}, "Per dato må være en dato (ÅÅÅÅ-MM-DD), ikke «2025-13-01»"),
        ({"year": "2025", "known_at": "i går"}, "Registeret slik det var kjent må være en dato"),
        ({"year": "2025", "compare_known_at": "i morgen"}, "Sammenlign med må være en dato"),
        ({"year": "2025", "area": "50\x00"}, "Område inneholder ugyldige tegn"),
    ],
)
def test_bad_parameters_give_400_with_the_norwegian_message(as_imdi, params, message):
    for url in (URL, f"{URL}eksport.csv", f"{URL}eksport.xlsx"):
        r = as_imdi.get(url, params)
        assert r.status_code == 400 and r["Content-Type"].startswith("text/html"), url
        page = Page(r.content.decode())
        assert message in page.text and "Statistikken kan ikke vises" in page.text
        assert page.find("div", role="alert") and page.find("form")
        assert not page.svg_titles()


@pytest.mark.parametrize(
    "path, params, message",
    [
        ("/rapporter/aarsrapport/12345/2025/", {}, "Område må være et fylkesnummer"),
        ("/rapporter/aarsrapport/9999/2025/", {}, "Ukjent kommune «9999»"),
        ("/rapporter/aarsrapport/5001/tjue/", {}, "År må være et årstall"),
        ("/rapporter/aarsrapport/5001/2025/", {"as_of": "2026-01-01"}, "ikke i året 2025"),
        ("/rapporter/aarsrapport/5001/2025/", {"known_at": "snart"}, "Registeret slik det var kjent må være en dato"),
    ],
)
def test_bad_yearly_report_gives_400(as_imdi, path, params, message):
    r = as_imdi.get(path, params)
    assert r.status_code == 400
    page = Page(r.content.decode())
    assert message in page.text and "Årsrapporten kan ikke vises" in page.text and page.find("div", role="alert")


def test_unknown_format_and_post(as_imdi):
    assert as_imdi.get(f"{URL}eksport.pdf", {"year": "2025"}).status_code == 404
    assert as_imdi.post(URL).status_code == 405


def test_text_is_escaped(as_imdi):
    r = as_imdi.get(URL, {"year": "2025", "district": "<script>alert(1)</script>"})
    text = r.content.decode()
    assert r.status_code == 400 and "<script>alert" not in text and "&lt;script&gt;" in text


# --- access ---------------------------------------------------------------------------------------


def test_a_municipality_user_sees_its_own_persons_only(client, users, stats_world, tmp_path):
    client.force_login(users["trondheim"])
    status, page = get(client, year="2025")
    assert status == 200
    assert page.cell("fig-deltakere-table", "Totalt", "2025", foot=True) == "2"  # Aslak, Berit
    assert (
        "Du ser bare tall for personer du har tilgang til: personer som følges opp av Trondheim - Tråante" in page.text
    )
    # Another municipality: zeros, and a clear notice.
    status, page = get(client, year="2025", area="4601")
    assert status == 200 and page.cell("fig-deltakere-table", "Totalt", "2025", foot=True) == "0"
    assert "Bergen er utenfor det du har tilgang til, så alle tallene for området er 0" in page.text
    status, page = get(client, year="2025", by="municipality")
    assert [r[0] for r in page.tables["fig-deltakere-table"]["rows"]] == ["5001 Trondheim - Tråante"]
    status, page = get(client, "/rapporter/aarsrapport/4601/2025/")
    assert status == 200 and "Bergen er utenfor det du har tilgang til" in page.text
    assert page.cell("fig-deltakere-table", "Totalt", "2025", foot=True) == "0"
    # The downloads: the same scope as the command run as the user.
    params = {"year": "2025", "by": "municipality", "known_at": KNOWN_AT}
    r = client.get(f"{URL}eksport.csv", params)
    assert r.content == command_output(users["trondheim"], tmp_path, "csv", params).read_bytes()
    assert [row["area"] for row in json.loads(client.get(f"{URL}eksport.json", params).content)["rows"]] == ["5001"]


def test_a_user_without_a_role_gets_no_statistics(client, users, stats_world):
    client.force_login(users["none"])  # no organisation, no role (nir.access.policy)
    assert client.get("/rapporter/aarsstatistikk/", {"year": "2025"}).status_code == 403
    assert client.get("/rapporter/aarsstatistikk/eksport.csv", {"year": "2025"}).status_code == 403


def test_reference_date_of_the_chosen_year(as_imdi):
    _, page = get(as_imdi, year="2025", as_of="2025-06-30", serie="1")
    assert "Tall per 30.06.2025 slik registeret var kjent" in page.text
    assert "2024: tall per 31.12.2024. 2025: tall per 30.06.2025." in page.text
    assert "for 2025 per 30.06.2025" in page.text  # the series says so too
    expected = statistics.yearly(StatsParams(year=2025, as_of=dt.date(2025, 6, 30)), scope=None)
    assert page.cell("fig-begynt-table", "Totalt", "2025", foot=True) == charts.format_number(expected.total("begynt"))
    assert page.tables["serie-table"]["rows"][-1][2] == charts.format_number(expected.total("begynt"))


# --- what the figures count: the real scope, never «Hele landet» for a municipality (issue 16 § 4) --------


@pytest.mark.parametrize(
    "who, org, label",
    [
        ("kommune", "k-5001", "Trondheim - Tråante kommune"),
        ("statsforvalter", "sf-trl", "Trøndelag - Trööndelage (kommunene du har tilgang til)"),
        ("imdi", "imdi", "Hele landet"),
    ],
)
def test_every_figure_is_labelled_with_the_users_real_scope(client, django_user_model, stats_world, who, org, label):
    client.force_login(make_user(django_user_model, f"scope-{who}", org))
    status, page = get(client, year="2025")
    assert status == 200
    assert f"Årsstatistikk 2025 – {label}" in page.text  # the heading
    assert page.find("option", value="")  # the empty choice of the area says what it means
    assert f">{label}</option>" in page.html.replace("&#x27;", "'")
    # Every chart and table title names the same scope.
    titles = page.svg_titles()
    assert titles and all(f"– {label}, 2025" in t for t in titles), titles
    if who != "imdi":
        assert "Hele landet" not in page.text  # not in the heading, the charts, the tables or the form
    # The downloads say the same: the CSV's area column, the XLSX's «Definisjoner», the JSON.
    csv_text = client.get(f"{URL}eksport.csv", {"year": "2025"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].split(";")[1] == label
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{URL}eksport.xlsx", {"year": "2025"}).content))
    about = {r[0]: r[1] for r in book["Definisjoner"].iter_rows(values_only=True) if r and r[0]}
    assert about["Område"] == label
    assert json.loads(client.get(f"{URL}eksport.json", {"year": "2025"}).content)["area_label"] == label
    if who != "imdi":
        assert "Hele landet" not in csv_text


def test_an_area_partly_or_not_in_scope_says_so(client, users, stats_world):
    client.force_login(users["trondheim"])
    _, page = get(client, year="2025", area="50")
    assert (
        "Årsstatistikk 2025 – Trøndelag - Trööndelage (bare Trondheim - Tråante kommune, som du har tilgang til)"
        in page.text
    )
    _, page = get(client, year="2025", by="county")
    assert [r[0] for r in page.tables["fig-deltakere-table"]["rows"]] == [
        "50 Trøndelag - Trööndelage (bare Trondheim - Tråante kommune, som du har tilgang til)"
    ]
    _, page = get(client, "/rapporter/aarsrapport/4601/2025/")
    assert "<h1>Bergen kommune (utenfor det du har tilgang til)</h1>" in page.html


def test_a_table_by_area_is_paged_and_folded(as_imdi, monkeypatch):
    """Issue 16 § 4: 357 municipalities × 9 figures made an 87,600 px page. The areas come a page at a
    time (the sums stay those of every area; the download has every row), the figures after the first
    folded into <details>."""
    from nir.web import views_statistics

    monkeypatch.setattr(views_statistics, "AREA_PAGE_SIZE", 2)
    monkeypatch.setattr(views_statistics, "FOLD_AREAS", 1)
    status, page = get(as_imdi, year="2025", by="municipality")
    assert status == 200
    t = page.tables["fig-deltakere-table"]
    assert [r[0] for r in t["rows"]] == ["0301 Oslo", "4601 Bergen"]
    assert page.cell("fig-deltakere-table", "Sum, alle 3", "Totalt", foot=True) == "7"
    assert "Område 1–2 av 3 (side 1 av 2)" in page.text
    next_links = [a["href"] for a in page.find("a", rel="next")]
    assert next_links and "side=2" in next_links[0] and "by=municipality" in next_links[0]
    assert page.find("details", **{"class": "ds-details stats-fold"})  # the figures after the first, folded
    assert "Vis tabellen: Begynt i introduksjonsprogram" in page.text
    status, page = get(as_imdi, year="2025", by="municipality", side="2")
    assert [r[0] for r in page.tables["fig-deltakere-table"]["rows"]] == ["5001 Trondheim - Tråante"]
    assert page.cell("fig-deltakere-table", "Sum, alle 3", "Totalt", foot=True) == "7"
    # A page beyond the last: the last one.
    status, page = get(as_imdi, year="2025", by="municipality", side="99")
    assert [r[0] for r in page.tables["fig-deltakere-table"]["rows"]] == ["5001 Trondheim - Tråante"]
    # The download has every area.
    csv_text = as_imdi.get(f"{URL}eksport.csv", {"year": "2025", "by": "municipality"}).content.decode("utf-8-sig")
    assert len(csv_text.splitlines()) == 1 + 3


def test_the_areas_can_be_ordered_by_name_or_participants(as_imdi):
    status, page = get(as_imdi, year="2025", by="municipality", sorter="navn")
    assert status == 200
    assert [r[0] for r in page.tables["fig-deltakere-table"]["rows"]] == [
        "4601 Bergen",
        "0301 Oslo",
        "5001 Trondheim - Tråante",
    ]
    current = page.find("a", **{"aria-current": "true"})
    assert [a["href"] for a in current if "sorter=" in a["href"]] and "Rekkefølge:" in page.text
    _, page = get(as_imdi, year="2025", by="municipality", sorter="deltakere")
    assert page.tables["fig-deltakere-table"]["rows"][0][0] == "0301 Oslo"  # 3 participants, the most
    # The download keeps the order of the numbers.
    csv_text = as_imdi.get(f"{URL}eksport.csv", {"year": "2025", "by": "municipality", "sorter": "navn"}).content
    assert [line.split(";")[0] for line in csv_text.decode("utf-8-sig").splitlines()[1:]] == ["0301", "4601", "5001"]
