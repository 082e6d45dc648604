"""The report pages: /rapporter/ (list, split by law), /rapporter/<id>/ (filters, count, sortable table,
paging) and the CSV/XLSX downloads — login required, the user's scope applied, bad filters refused with 400."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.core.management import call_command

from nir import codes
from nir.register.actors import Actor
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS
from nir.reports import registry
from nir.testing import builders as helpers
from nir.testing.builders import make_user
from nir.web import views_reports

at = helpers.at


# --- a small register -------------------------------------------------------------------------


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "analytiker-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
        "bergen": make_user(django_user_model, "saksbehandler-4601", "k-4601"),
        "none": make_user(django_user_model, "uten-organisasjon"),
    }


@pytest.fixture
def world(users):
    """Registered 10.01.2026 (Norwegian time) unless said otherwise.

    avvik-sluttmaal: Anne Aas (5001, no final goal), Bjørn Berg (5001, 2026 goal but start 01.12.2025),
    Hanne Ild (4601, no final goal). bortfall-arbeid: Eva Fjell (Oslo, Gamle Oslo; 05.01.2026), Ivar Jensen
    (5001; 02.03.2026). avsluttet-intro: David Eng (5001; completed 30.06.2026, 37,5 hours) and the
    Regelmotor's closures of Eva and Ivar; Gunnar Holm (introduksjonsloven) with two terminations.
    """
    r = helpers.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    p = {}
    p["anne"] = r.person("Anne", "Aas")
    r.participation(p["anne"], dt.date(2026, 1, 5))
    p["bjorn"] = r.person("Bjørn", "Berg")
    r.participation(p["bjorn"], dt.date(2025, 12, 1), goal="work_no_vgo_2026")
    p["hanne"] = r.person("Hanne", "Ild", municipality="4601")
    r.participation(p["hanne"], dt.date(2026, 1, 5))
    p["david"] = r.person("David", "Eng")
    r.participation(p["david"], dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    r.termination(
        p["david"], dt.date(2026, 6, 30), type_="completed", reason="work", hours=Decimal("37.5"), when=at(2026, 7, 1)
    )
    p["eva"] = r.person("Eva", "Fjell", municipality="0301", district="030101")
    r.loss_due_to_work(p["eva"], dt.date(2026, 1, 5))
    p["ivar"] = r.person("Ivar", "Jensen")
    r.loss_due_to_work(p["ivar"], dt.date(2026, 3, 2), when=at(2026, 3, 3))
    p["gunnar"] = r.person(
        "Gunnar", "Holm", permit=dt.date(2019, 5, 1), settled=dt.date(2019, 6, 1), follow_up_from=dt.date(2019, 6, 1)
    )
    r.participation(p["gunnar"], dt.date(2019, 8, 1))
    r.termination(p["gunnar"], dt.date(2020, 3, 1), type_="aborted", reason="health")
    r.termination(p["gunnar"], dt.date(2021, 6, 30), type_="completed", reason="education")
    return p


@pytest.fixture
def as_imdi(client, users, world):
    client.force_login(users["imdi"])
    return client


# --- reading the pages ------------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a page the tests look at: every start tag, the report table and the text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.headers: list[str] = []
        self.header_attrs: list[dict] = []
        self.header_links: list[str] = []
        self.rows: list[list[str]] = []
        self.caption = ""
        self._in = None  # "th", "td", "caption"
        self._section = None
        self._cell: list[str] = []
        self._table_depth = 0
        self.text_parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = {k: "" if v is None else v for k, v in attrs}
        self.tags.append((tag, attrs))
        if tag == "table" and "report-table" in attrs.get("class", ""):
            self._table_depth = 1
        if not self._table_depth:
            return
        if tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self.rows.append([])
        elif tag in ("th", "td", "caption"):
            self._in, self._cell = tag, []
            if tag == "th" and self._section == "thead":
                self.header_attrs.append(attrs)
        elif tag == "a" and self._section == "thead":
            self.header_links.append(attrs["href"])

    def handle_endtag(self, tag):
        if not self._table_depth:
            return
        if tag == "table":
            self._table_depth = 0
        elif tag in ("th", "td", "caption") and self._in == tag:
            text = " ".join("".join(self._cell).split())
            if tag == "caption":
                self.caption = text
            elif self._section == "thead":
                self.headers.append(text)
            else:
                self.rows[-1].append(text)
            self._in = None

    def handle_data(self, data):
        data = data.replace("\u00ad", "")  # soft hyphens: shown only where a header breaks
        self.text_parts.append(data)
        if self._in:
            self._cell.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def find(self, tag, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def column(self, header_start: str) -> list[str]:
        i = next(k for k, h in enumerate(self.headers) if h.startswith(header_start))
        return [row[i] for row in self.rows]


def get(client, url, **params) -> tuple[int, Page]:
    r = client.get(url, params)
    return r.status_code, Page(r.content.decode())


def last_names(page: Page) -> list[str]:
    return page.column("Etternavn") if page.headers else []  # no table when there are no rows


# --- login ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/rapporter/",
        "/rapporter/avvik-sluttmaal/",
        "/rapporter/avvik-sluttmaal/eksport.csv",
        "/rapporter/bortfall-arbeid/eksport.xlsx",
    ],
)
def test_login_required(client, url):
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_menu_links_to_the_reports(client, users):
    client.force_login(users["trondheim"])
    page = Page(client.get("/", follow=True).content.decode())  # the start page may lead on to Arbeidsflate
    assert page.find("a", href="/rapporter/")
    page = Page(client.get("/rapporter/").content.decode())
    assert page.find("a", href="/rapporter/", **{"aria-current": "page"})


# --- the list --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_is_split_by_law(client, users):
    client.force_login(users["trondheim"])
    r = client.get("/rapporter/")
    assert r.status_code == 200
    text = r.content.decode()
    first, second = text.index("Rapporter – Integreringsloven"), text.index("Rapporter – Introduksjonsloven")
    assert first < second
    page = Page(text)
    for d in registry.REPORTS.values():
        for law in registry.LAWS:
            assert page.find("a", href=f"/rapporter/{d.id}/?law={law}"), (d.id, law)
        assert page.text.count(d.title) == 2
    # Each section lists every report once, with its help text (without the command-line hints).
    assert "Avslutninger av introduksjonsprogrammet i perioden, én rad per avslutning" in page.text
    assert "--from" not in text and "--avvik" not in text


# --- one report -----------------------------------------------------------------------------


@pytest.mark.parametrize("report_id", list(registry.REPORTS))
def test_every_report_renders_with_labelled_filters(as_imdi, report_id):
    d = registry.REPORTS[report_id]
    status, page = get(as_imdi, f"/rapporter/{report_id}/")
    assert status == 200
    assert d.title in page.text and "Filtre" in page.text and "Definisjon" in page.text
    labels = {a["for"] for a in page.find("label")}
    controls = [
        a
        for t, a in page.tags
        if t in ("input", "select")
        and a.get("type") != "hidden"
        and a.get("name")
        and a.get("name") != "csrfmiddlewaretoken"
    ]
    assert {a["name"] for a in controls} >= {
        "law",
        "municipality",
        "category",
        "duf",
        "name",
        "as_of",
        "known_at",
        *d.filters,
    }
    assert all(a["id"] in labels for a in controls)
    result = registry.run(report_id, registry.ReportParams(), scope=None)
    n = result.count
    assert views_reports._count_text(d, n) in page.text
    if n:
        assert page.caption.startswith(d.title)
        assert page.headers[:3] == [
            "DUF-nummer, sorter stigende",
            "Fornavn, sorter stigende",
            "Etternavn, sorter synkende ▲",
        ]
        assert all(a.get("scope") == "col" for a in page.header_attrs)
        assert len(page.rows) == min(n, views_reports.PAGE_SIZE)
        assert all(len(row) == len(d.columns) for row in page.rows)


def test_avvik_sluttmaal_rows_with_labels_and_dates(as_imdi):
    status, page = get(as_imdi, "/rapporter/avvik-sluttmaal/")
    assert status == 200 and "3 personer" in page.text
    assert last_names(page) == ["Aas", "Berg", "Ild"]
    assert page.column("Fornavn")[1] == "Bjørn"
    assert page.column("Avvik") == [
        DEVIATION_LABELS["final_goal_missing"],
        DEVIATION_LABELS["final_goal_2026_before_2026_start"],
        DEVIATION_LABELS["final_goal_missing"],
    ]
    assert page.column("Startdato")[1] == "01.12.2025"
    assert page.column("NIR-kategori")[0] == CATEGORY_LABELS["intro"]["right_and_duty"]
    # Municipalities with their names; the export keeps the numbers (one value per cell).
    assert page.column("Oppfølgingskommune") == ["5001 Trondheim - Tråante", "5001 Trondheim - Tråante", "4601 Bergen"]


def test_duf_numbers_link_to_the_person_page_and_the_area_is_named(client, users, world):
    """Issue 16 § 4: each row's DUF number opens the person; the count says what the report covers."""
    client.force_login(users["trondheim"])
    status, page = get(client, "/rapporter/avvik-sluttmaal/")
    assert status == 200
    links = {a.get("href") for a in page.find("a")}
    for person in (world["anne"], world["bjorn"]):
        assert f"/personer/{person.duf}/" in links
    assert f"/personer/{world['hanne'].duf}/" not in links  # Bergen's person: not in the rows at all
    assert "2 personer – Trondheim - Tråante kommune, per" in page.text
    assert client.get(f"/personer/{world['anne'].duf}/").status_code == 200  # the link opens
    client.force_login(users["imdi"])
    _, page = get(client, "/rapporter/bortfall-arbeid/")
    assert "– Hele landet, per" in page.text
    assert page.column("Oppfølgingsbydel") == ["030101 Gamle Oslo", ""]


def test_long_column_headers_may_break_between_the_parts_of_their_compounds(as_imdi):
    """So that a report's table fits a 1366 px screen: soft hyphens in «Oppfølgingskommune» and the like."""
    html = as_imdi.get("/rapporter/personliste/").content.decode()
    assert "Oppfølgings\u00adkommune" in html and "Gjennomførings\u00adfrist introduksjons\u00adprogram" in html
    assert "NIR-kategori norsk\u00adopplæring" in html


def test_avsluttet_intro_values_and_period(as_imdi):
    status, page = get(as_imdi, "/rapporter/avsluttet-intro/")
    assert status == 200 and "3 avslutninger" in page.text
    assert sorted(last_names(page)) == ["Eng", "Fjell", "Jensen"]
    eng = page.rows[last_names(page).index("Eng")]
    assert codes.label("termination_type", "completed") in eng and codes.label("termination_reason", "work") in eng
    assert "30.06.2026" in eng and "37,5" in eng
    status, page = get(as_imdi, "/rapporter/avsluttet-intro/", **{"from": "2026-06-01", "to": "2026-12-31"})
    assert status == 200 and last_names(page) == ["Eng"] and "1 avslutning" in page.text


def test_law_split(as_imdi):
    status, page = get(as_imdi, "/rapporter/avsluttet-intro/", law="introduksjonsloven")
    assert status == 200 and last_names(page) == ["Holm", "Holm"] and "2 avslutninger" in page.text
    assert "Introduksjonsloven" in page.caption
    assert page.find("option", value="introduksjonsloven", selected="")
    status, page = get(as_imdi, "/rapporter/avvik-sluttmaal/", law="introduksjonsloven")
    assert status == 200 and page.rows == [] and "0 personer" in page.text


def test_known_at_and_as_of(as_imdi):
    # Before the registrations of 10.01.2026 09:00 the register knew nobody.
    assert "0 personer" in get(as_imdi, "/rapporter/avvik-sluttmaal/", known_at="2026-01-09")[1].text
    assert "0 personer" in get(as_imdi, "/rapporter/avvik-sluttmaal/", known_at="2026-01-10T08:59")[1].text
    assert "3 personer" in get(as_imdi, "/rapporter/avvik-sluttmaal/", known_at="2026-01-10T09:00:00+01:00")[1].text
    # «+» typed into the address bar arrives as a space.
    assert "3 personer" in get(as_imdi, "/rapporter/avvik-sluttmaal/", known_at="2026-01-10T09:00:00 01:00")[1].text
    # Ivar's decision (02.03.2026) was registered 03.03.2026.
    status, page = get(as_imdi, "/rapporter/bortfall-arbeid/", known_at="2026-03-02", as_of="2026-03-10")
    assert status == 200 and last_names(page) == ["Fjell"]
    assert "per 10.03.2026" in page.text


def test_filters_form_offers_the_code_lists(as_imdi):
    _, page = get(as_imdi, "/rapporter/avsluttet-intro/", termination_type="completed")
    options = lambda name: [a["value"] for t, a in _options(page, name)]  # noqa: E731
    assert options("termination_type") == [""] + [c.code for c in codes.code_list("termination_type").codes]
    assert options("reason") == [""] + [c.code for c in codes.code_list("termination_reason").codes]
    assert options("category") == [""] + list(CATEGORY_LABELS["intro"])
    assert options("law") == list(registry.LAWS)
    assert page.find("option", value="completed", selected="")
    assert page.find("input", name="from", type="date") and page.find("input", name="to", type="date")
    _, page = get(as_imdi, "/rapporter/avvik-sluttmaal/")
    assert options("avvik") == [""] + list(DEVIATION_LABELS)
    assert not _options(page, "termination_type")  # another report's filter is not in the form


def _options(page: Page, select_name: str) -> list[tuple[str, dict]]:
    out, inside = [], False
    for tag, attrs in page.tags:
        if tag == "select":
            inside = attrs.get("name") == select_name
        elif tag == "option" and inside:
            out.append((tag, attrs))
        elif tag in ("input", "button"):
            inside = False
    return out


# --- sorting and paging ----------------------------------------------------------------------


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _header_link(page: Page, header: str) -> tuple[dict, dict]:
    """The ``<th>`` of a column and the query of its link."""
    i = next(k for k, h in enumerate(page.headers) if h.startswith(header))
    return page.header_attrs[i], _query(page.header_links[i])


def test_sorting_links_and_aria_sort(as_imdi):
    _, page = get(as_imdi, "/rapporter/avvik-sluttmaal/", municipality="5001")
    th, q = _header_link(page, "Etternavn")
    assert th["aria-sort"] == "ascending" and q == {"municipality": "5001", "sort": "-last_name"}
    th, q = _header_link(page, "Fornavn")
    assert "aria-sort" not in th and q == {"municipality": "5001", "sort": "first_name"}
    assert last_names(page) == ["Aas", "Berg"]

    _, page = get(as_imdi, "/rapporter/avvik-sluttmaal/", municipality="5001", sort="-last_name")
    assert last_names(page) == ["Berg", "Aas"]
    th, q = _header_link(page, "Etternavn")
    assert th["aria-sort"] == "descending" and q["sort"] == "last_name"
    assert sum("aria-sort" in a for a in page.header_attrs) == 1
    assert page.find("input", type="hidden", name="sort", value="-last_name")  # the form keeps the order

    _, page = get(as_imdi, "/rapporter/avsluttet-intro/", sort="-termination_date")
    assert last_names(page) == ["Eng", "Jensen", "Fjell"]
    th, q = _header_link(page, "Avslutningsdato")
    assert th["aria-sort"] == "descending" and q["sort"] == "termination_date"


def test_paging(as_imdi, monkeypatch):
    monkeypatch.setattr(views_reports, "PAGE_SIZE", 2)
    _, page = get(as_imdi, "/rapporter/avvik-sluttmaal/", sort="-last_name")
    assert last_names(page) == ["Ild", "Berg"] and "Side 1 av 2" in page.text and "3 personer" in page.text
    nxt = page.find("a", rel="next")[0]["href"]
    assert _query(nxt) == {"sort": "-last_name", "page": "2"} and not page.find("a", rel="prev")
    _, page = get(as_imdi, "/rapporter/avvik-sluttmaal/", sort="-last_name", page="2")
    assert last_names(page) == ["Aas"] and "Side 2 av 2" in page.text
    assert _query(page.find("a", rel="prev")[0]["href"]) == {"sort": "-last_name"} and not page.find("a", rel="next")
    # Past the last page: the last page.
    _, page = get(as_imdi, "/rapporter/avvik-sluttmaal/", sort="-last_name", page="9")
    assert last_names(page) == ["Aas"] and "Side 2 av 2" in page.text
    # Downloads are never paged.
    r = as_imdi.get("/rapporter/avvik-sluttmaal/eksport.csv", {"page": "2"})
    assert len(list(csv.reader(io.StringIO(r.getvalue().decode("utf-8-sig")), delimiter=";"))) == 4


# --- downloads ------------------------------------------------------------------------------


def command_output(report_id: str, user, tmp_path, fmt: str, **filters) -> Path:
    args = [report_id, "--user", user.username, "--format", fmt, "--out", str(tmp_path / f"command.{fmt}")]
    for name, value in filters.items():
        args.append(f"--{name.replace('_', '-')}={value}")
    call_command("report", *args, stdout=io.StringIO(), stderr=io.StringIO())
    return tmp_path / f"command.{fmt}"


KNOWN_AT = "2026-11-01T12:00:00+01:00"


@pytest.mark.parametrize(
    "report_id, filters",
    [
        ("avvik-sluttmaal", {"municipality": "5001", "sort": "-last_name"}),
        ("avsluttet-intro", {"from": "2026-01-01", "to": "2026-12-31", "reason": "work"}),
        ("avsluttet-intro", {"law": "introduksjonsloven"}),
        ("bortfall-arbeid", {"as_of": "2026-03-10", "name": "jens"}),
    ],
)
def test_downloads_equal_the_command(as_imdi, users, tmp_path, report_id, filters):
    params = {**filters, "known_at": KNOWN_AT}
    r = as_imdi.get(f"/rapporter/{report_id}/eksport.csv", params)
    assert r.status_code == 200 and r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"].startswith("attachment; filename=")
    assert f'filename="{report_id}-' in r["Content-Disposition"] and r["Content-Disposition"].endswith('.csv"')
    body = r.getvalue()
    assert body.startswith("\ufeff".encode())  # a BOM, as nir report --out, for spreadsheets
    expected = command_output(report_id, users["imdi"], tmp_path, "csv", **params).read_bytes()
    assert body == expected
    assert len(body.decode("utf-8-sig").splitlines()) > 1

    r = as_imdi.get(f"/rapporter/{report_id}/eksport.xlsx", params)
    assert r.status_code == 200 and r["Content-Type"] == views_reports.XLSX_CONTENT_TYPE
    assert r["Content-Disposition"].startswith("attachment; filename=") and r["Content-Disposition"].endswith('.xlsx"')
    got = openpyxl.load_workbook(io.BytesIO(r.getvalue()))
    want = openpyxl.load_workbook(command_output(report_id, users["imdi"], tmp_path, "xlsx", **params))
    assert got.sheetnames == want.sheetnames == ["Rapport", "Om rapporten"]
    for name in got.sheetnames:
        assert list(got[name].iter_rows(values_only=True)) == list(want[name].iter_rows(values_only=True))


def test_download_links_carry_the_filters(as_imdi):
    _, page = get(
        as_imdi,
        "/rapporter/avvik-sluttmaal/",
        municipality="5001",
        avvik="final_goal_missing",
        sort="-last_name",
        page="1",
    )
    links = {a["href"].split("?")[0]: _query(a["href"]) for a in page.find("a") if "/eksport." in a.get("href", "")}
    expected = {"municipality": "5001", "avvik": "final_goal_missing", "sort": "-last_name"}
    assert links == {
        "/rapporter/avvik-sluttmaal/eksport.csv": expected,
        "/rapporter/avvik-sluttmaal/eksport.xlsx": expected,
    }


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, params, message",
    [
        (
            "/rapporter/avvik-sluttmaal/",
            {"as_of": "2026-13-01"},
            "Per dato må være en dato (ÅÅÅÅ-MM-DD), ikke «2026-13-01»",
        ),
        ("/rapporter/avvik-sluttmaal/", {"known_at": "i går"}, "Registeret slik det var kjent må være en dato"),
        ("/rapporter/avsluttet-intro/", {"from": "1.1.26"}, "Fra dato må være en dato"),
        ("/rapporter/avsluttet-intro/", {"from": "2026-06-01", "to": "2026-01-01"}, "Fra-datoen er etter til-datoen"),
        ("/rapporter/avvik-sluttmaal/", {"avvik": "ukjent"}, "Ukjent avvik 'ukjent'"),
        (
            "/rapporter/bortfall-arbeid/",
            {"avvik": "final_goal_missing"},
            "Filteret avvik gjelder ikke rapporten bortfall-arbeid",
        ),
        ("/rapporter/avvik-sluttmaal/", {"municipality": "50"}, "Kommune må være et kommunenummer"),
        ("/rapporter/avvik-sluttmaal/", {"law": "utlendingsloven"}, "Ukjent lov 'utlendingsloven'"),
        ("/rapporter/avvik-sluttmaal/", {"sort": "passord"}, "Kan ikke sortere på 'passord'"),
        ("/rapporter/avvik-sluttmaal/", {"page": "to"}, "Side må være et positivt heltall"),
        ("/rapporter/avvik-sluttmaal/", {"name": "a\x00b"}, "Navn inneholder ugyldige tegn"),
        ("/rapporter/avvik-sluttmaal/eksport.csv", {"as_of": "31.02.2026"}, "Per dato må være en dato"),
        (
            "/rapporter/avsluttet-intro/eksport.xlsx",
            {"reason": "lottogevinst"},
            "Ukjent avslutningsårsak 'lottogevinst'",
        ),
    ],
)
def test_bad_filters_give_400_with_the_norwegian_message(as_imdi, url, params, message):
    r = as_imdi.get(url, params)
    assert r.status_code == 400 and r["Content-Type"].startswith("text/html")
    page = Page(r.content.decode())
    assert message in page.text and "Rapporten kan ikke vises" in page.text
    assert page.find("div", role="alert") and not page.rows
    assert page.find("form")  # the form is there to correct the filter


@pytest.mark.django_db
def test_unknown_report_and_format_are_404(client, users):
    client.force_login(users["imdi"])
    assert client.get("/rapporter/finnes-ikke/").status_code == 404
    assert client.get("/rapporter/finnes-ikke/eksport.csv").status_code == 404
    assert client.get("/rapporter/avvik-sluttmaal/eksport.pdf").status_code == 404
    assert client.post("/rapporter/avvik-sluttmaal/").status_code == 405


def test_text_is_escaped(as_imdi):
    r = as_imdi.get("/rapporter/avvik-sluttmaal/", {"name": '<script>alert("x")</script>'})
    text = r.content.decode()
    assert r.status_code == 200 and "<script>" not in text and "&lt;script&gt;" in text


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user, expected",
    [
        ("imdi", ["Aas", "Berg", "Ild"]),
        ("trondheim", ["Aas", "Berg"]),
        ("bergen", ["Ild"]),
    ],
)
def test_each_user_sees_only_its_persons(client, users, world, tmp_path, user, expected):
    client.force_login(users[user])
    status, page = get(client, "/rapporter/avvik-sluttmaal/")
    assert status == 200 and last_names(page) == expected
    r = client.get("/rapporter/avvik-sluttmaal/eksport.csv")
    rows = list(csv.reader(io.StringIO(r.getvalue().decode("utf-8-sig")), delimiter=";"))
    assert [row[2] for row in rows[1:]] == expected
    r = client.get("/rapporter/avvik-sluttmaal/eksport.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(r.getvalue()))["Rapport"]
    assert [row[2] for row in list(sheet.iter_rows(values_only=True))[1:]] == expected


def test_a_user_without_a_role_gets_no_report(client, users, world):
    client.force_login(users["none"])  # no organisation, no role (nir.access.policy)
    for url in ("/rapporter/", "/rapporter/avvik-sluttmaal/", "/rapporter/avvik-sluttmaal/eksport.csv"):
        assert client.get(url).status_code == 403


def test_a_municipality_user_cannot_filter_its_way_out(client, users, world):
    client.force_login(users["trondheim"])
    status, page = get(client, "/rapporter/avvik-sluttmaal/", municipality="4601")
    assert status == 200 and page.rows == [] and "0 personer" in page.text
    status, page = get(client, "/rapporter/bortfall-arbeid/", duf=world["eva"].duf)
    assert status == 200 and page.rows == []
    r = client.get("/rapporter/bortfall-arbeid/eksport.csv", {"municipality": "0301"})
    assert r.getvalue().decode("utf-8-sig").splitlines()[1:] == []
