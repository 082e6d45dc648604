"""Rapporter in Designsystemet and bokmål through the catalogue (issue 6): the report list with a "?" per
report (004), the filter forms as ds-field/ds-label/ds-input with an error summary that links to the
refused field, the pager, htmx updates of the result (a partial, the clean URL pushed, the focus
moved) with the whole page as the fallback, and the login page's form."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nir.register.actors import Actor
from nir.reports import registry
from nir.testing import builders as helpers
from nir.testing.builders import make_user
from nir.web import views_reports
from nir.web.help import save_text
from nir.web.models import HelpText

HX = {"HTTP_HX_REQUEST": "true"}


class Tags(HTMLParser):
    """Start tags with their attributes, and the text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: "" if v is None else v for k, v in attrs}))

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def find(self, tag, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def with_class(self, cls: str) -> list[tuple[str, dict]]:
        return [(t, a) for t, a in self.tags if cls in a.get("class", "").split()]


def page(client, url, params=None, **headers) -> tuple[object, Tags]:
    r = client.get(url, params or {}, **headers)
    return r, Tags(r.content.decode())


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "analytiker-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
    }


@pytest.fixture
def register(users):
    return helpers.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))


@pytest.fixture
def three(register):
    """Three persons in Trondheim and Bergen with a participation and no final goal (avvik-sluttmaal)."""
    for first, last, municipality in (("Anne", "Aas", "5001"), ("Bjørn", "Berg", "5001"), ("Hanne", "Ild", "4601")):
        register.participation(register.person(first, last, municipality=municipality), dt.date(2026, 1, 5))


@pytest.fixture
def as_imdi(client, users):
    client.force_login(users["imdi"])
    return client


# --- the list ------------------------------------------------------------------------------------


def test_list_has_a_help_per_report_and_law(as_imdi):
    r, p = page(as_imdi, "/rapporter/")
    assert r.status_code == 200
    html = r.content.decode()
    helps = p.find("details", **{"class": "nir-help"})
    assert len(helps) == 2 * len(registry.REPORTS) + 1  # every report in both sections, and the statistics
    assert "Hjelp: Avvik i registrering av sluttmål" in p.text and "Hjelp: Årsstatistikk" in p.text
    for law in registry.LAWS:
        section = html.split(f'id="law-{law}"', 1)[1].split("</section>", 1)[0]
        for d in registry.REPORTS.values():
            link = f'href="/rapporter/{d.id}/?law={law}"'
            assert link in section
            # the "?" follows its report's link
            assert section.split(link, 1)[1].split("</li>", 1)[0].count('class="nir-help"') == 1
    assert p.find("h2", id="law-integreringsloven") and "Rapporter – Integreringsloven" in p.text
    assert "Disse rapportene inneholder kun personer som er omfattet av introduksjonsloven" in p.text
    assert [a for t, a in p.with_class("ds-alert") if a.get("data-color") == "info"]


def test_a_report_without_a_help_text_shows_the_registry_text(as_imdi):
    HelpText.objects.filter(key="report.bortfall-arbeid").update(superseded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    cache.clear()
    try:
        r, p = page(as_imdi, "/rapporter/")
        assert len(p.find("details", **{"class": "nir-help"})) == 2 * len(registry.REPORTS) - 1
        assert registry.REPORTS["bortfall-arbeid"].help_text in p.text
    finally:
        cache.clear()


def test_the_report_page_shows_the_help_text_as_imdi_keeps_it(as_imdi):
    save_text("report.personliste", "Personer", "Endret av IMDi.\nAndre linje.", None)
    cache.clear()
    try:
        r, p = page(as_imdi, "/rapporter/personliste/")
        assert "Endret av IMDi.<br>Andre linje." in r.content.decode()
    finally:
        cache.clear()


# --- one report: the form, the table, the pager ----------------------------------------------------


def test_filter_form_is_designsystemet(as_imdi, three):
    r, p = page(as_imdi, "/rapporter/avvik-sluttmaal/")
    assert r.status_code == 200
    controls = [a for t, a in p.tags if t in ("input", "select") and a.get("type") != "hidden"]
    assert controls and all("ds-input" in a["class"].split() for a in controls)
    labels = {a["for"]: a for a in p.find("label")}
    assert all(labels[a["id"]]["class"] == "ds-label" for a in controls)
    # hints are tied to their field
    hinted = [a for a in controls if a.get("aria-describedby")]
    assert hinted and all(p.find("div", id=a["aria-describedby"]) for a in hinted)
    assert p.find("button", type="submit", **{"class": "ds-button", "data-variant": "primary"})
    assert p.find("form", id="report-filters", method="get", **{"hx-get": "/rapporter/avvik-sluttmaal/"})
    assert p.find("div", id="report-body", **{"hx-target": "this", "hx-push-url": "true"})
    table = p.find("table")[0]
    assert "ds-table" in table["class"].split() and "report-table" in table["class"].split()
    downloads = [a for a in p.find("a") if "/eksport." in a.get("href", "")]
    assert len(downloads) == 2 and all(
        a["class"] == "ds-button" and a["data-variant"] == "secondary" for a in downloads
    )
    assert not any("hx-get" in a for a in downloads)  # downloads are plain links
    html = r.content.decode()
    assert ' style="' not in html and "<style" not in html  # CSP: the CSS is in reports.css
    assert p.find("link", rel="stylesheet", href="/static/web/reports.css")


def test_pager_lists_the_pages(as_imdi, three, monkeypatch):
    monkeypatch.setattr(views_reports, "PAGE_SIZE", 1)
    r, p = page(as_imdi, "/rapporter/avvik-sluttmaal/", {"page": "2"})
    nav = p.find("nav", **{"class": "ds-pagination report-pager"})
    assert nav and nav[0]["aria-label"] == "Sider i rapporten"
    numbers = [a for a in p.find("a") if a.get("id", "").startswith("page-") and a["id"][5:].isdigit()]
    assert [a["aria-label"] for a in numbers] == ["Side 1", "Side 2", "Side 3"]
    assert [a.get("aria-current") for a in numbers] == [None, "true", None]
    assert numbers[0]["href"] == "/rapporter/avvik-sluttmaal/" and numbers[2]["href"].endswith("page=3")
    assert "Side 2 av 3" in p.text
    assert p.find("a", rel="prev") and p.find("a", rel="next")


def test_pager_leaves_out_pages_far_from_the_current_one():
    items = views_reports.pager(5, 9, lambda n: f"?page={n}")
    assert [i["number"] for i in items] == [1, None, 4, 5, 6, None, 9]
    assert [i["number"] for i in views_reports.pager(1, 1, str)] == [1]


# --- refusals: the error summary links to the field ----------------------------------------------------


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"as_of": "2026-13-01"}, "as_of", "Per dato må være en dato (ÅÅÅÅ-MM-DD), ikke «2026-13-01»"),
        ({"avvik": "ukjent"}, "avvik", "Ukjent avvik 'ukjent'"),
        ({"municipality": "50"}, "municipality", "Kommune må være et kommunenummer"),
        ({"name": "a\x00b"}, "name", "Navn inneholder ugyldige tegn"),
        ({"sort": "passord"}, None, "Kan ikke sortere på 'passord'"),
    ],
)
def test_error_summary_links_to_the_refused_field(as_imdi, params, field, message):
    r, p = page(as_imdi, "/rapporter/avvik-sluttmaal/", params)
    assert r.status_code == 400
    summary = p.find("div", role="alert")
    assert summary and summary[0]["class"].split()[0] == "ds-error-summary"
    assert message in p.text and "Rapporten kan ikke vises" in p.text
    if field is None:
        assert not p.find("a", href="#filter-sort") and not [a for t, a in p.tags if a.get("aria-invalid")]
        return
    assert p.find("a", href=f"#filter-{field}")
    control = next(a for t, a in p.tags if a.get("id") == f"filter-{field}")
    assert control["aria-invalid"] == "true" and f"filter-{field}-error" in control["aria-describedby"].split()
    assert p.find("p", id=f"filter-{field}-error", **{"class": "ds-validation-message"})


# --- htmx ---------------------------------------------------------------------------------------------


def test_htmx_gets_the_result_only_with_the_clean_url(as_imdi, three):
    r, p = page(
        as_imdi,
        "/rapporter/avvik-sluttmaal/",
        {"law": "integreringsloven", "municipality": "5001", "name": "", "avvik": ""},
        HTTP_HX_TRIGGER="report-filters",
        **HX,
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "<html" not in html and "nir-menu" not in html and "<h1" not in html
    assert p.find("form", id="report-filters") and p.find("table")
    assert "2 personer" in p.text
    assert r["HX-Push-Url"] == "/rapporter/avvik-sluttmaal/?law=integreringsloven&municipality=5001"
    assert "HX-Request" in r["Vary"]
    # the law in the breadcrumbs, out of band; the focus to the result
    assert p.find("li", id="report-law-crumb", **{"hx-swap-oob": "true"})
    assert p.find("h2", id="result-heading", tabindex="-1", **{"data-autofocus": ""})
    # the whole page without htmx (and for htmx's history restore)
    for headers in ({}, {**HX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}):
        r = as_imdi.get("/rapporter/avvik-sluttmaal/", {"municipality": "5001"}, **headers)
        html = r.content.decode()
        assert "<html" in html and 'id="report-body"' in html and "data-autofocus" not in html


def test_htmx_sort_keeps_the_focus_on_the_sort_link(as_imdi, three):
    r, p = page(as_imdi, "/rapporter/avvik-sluttmaal/", {"sort": "-last_name"}, HTTP_HX_TRIGGER="sort-last_name", **HX)
    link = p.find("a", id="sort-last_name")[0]
    assert "data-autofocus" in link and link["hx-get"] == link["href"] == "/rapporter/avvik-sluttmaal/?sort=last_name"
    assert not p.find("h2", id="result-heading", **{"data-autofocus": ""})
    assert r["HX-Push-Url"] == "/rapporter/avvik-sluttmaal/?sort=-last_name"


def test_htmx_refusal_is_swapped_in(as_imdi):
    # htmx swaps only 2xx answers: the partial with the error summary comes with 200
    r, p = page(as_imdi, "/rapporter/avvik-sluttmaal/", {"as_of": "i går"}, **HX)
    assert r.status_code == 200
    assert p.find("div", role="alert") and "Per dato må være en dato" in p.text and p.find("form")
    assert not p.find("h2", **{"data-autofocus": ""})  # nir.js focuses the alert
    assert r["HX-Push-Url"] == "false"  # the address bar keeps the last result
    # htmx's history restore (back button) of such an address: the whole page, with 200 (htmx needs a 2xx)
    r = as_imdi.get("/rapporter/avvik-sluttmaal/", {"as_of": "i går"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HX)
    assert r.status_code == 200 and "<html" in r.content.decode() and "Rapporten kan ikke vises" in r.content.decode()


def test_statistics_htmx_and_error_summary(as_imdi):
    r, p = page(as_imdi, "/rapporter/aarsstatistikk/", {"year": "tjuetjuefem"})
    assert r.status_code == 400 and p.find("a", href="#stats-year")
    assert p.find("select", id="stats-year", **{"aria-invalid": "true"})
    r, p = page(as_imdi, "/rapporter/aarsstatistikk/", {"year": "2025", "area": "9999"}, **HX)
    assert r.status_code == 200 and "<html" not in r.content.decode()
    assert "Ukjent kommune «9999»" in p.text and p.find("a", href="#stats-area")
    r, p = page(as_imdi, "/rapporter/aarsstatistikk/", {"year": "2025", "law": "", "by": "county"}, **HX)
    assert (
        r.status_code == 200
        and p.find("form", id="stats-filters")
        and p.find("h2", id="result-heading", **{"data-autofocus": ""})
    )
    assert r["HX-Push-Url"] == "/rapporter/aarsstatistikk/?year=2025&by=county"
    assert "Årsstatistikk 2025 – Hele landet" in p.text
    r = as_imdi.get("/rapporter/aarsstatistikk/", {"year": "2025"})
    html = r.content.decode()
    assert "<style" not in html and 'id="stats-body"' in html
    # the one style attribute is the charts' own, allowed by its hash (nir.web.security)
    assert set(re.findall(r' style="([^"]*)"', html)) == {"max-width:100%;height:auto"}


# --- bokmål through the catalogue ------------------------------------------------------------------------


def test_the_pages_follow_the_language(as_imdi, three):
    _, p = page(as_imdi, "/rapporter/avvik-sluttmaal/", HTTP_ACCEPT_LANGUAGE="en")  # the browser: not followed
    assert "Vis rapport" in p.text and "Filtre" in p.text and "3 personer" in p.text
    as_imdi.post("/sprak/", {"language": "en", "next": "/"})  # the switch in the header
    _, p = page(as_imdi, "/rapporter/avvik-sluttmaal/")
    assert "Show report" in p.text and "Filters" in p.text and "3 persons" in p.text
    # the register's data stay as they are
    assert registry.REPORTS["avvik-sluttmaal"].title in p.text


# --- a bounded number of queries ---------------------------------------------------------------------------


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_rows(as_imdi, register, three):
    urls = [
        ("/rapporter/", None),
        ("/rapporter/avvik-sluttmaal/", None),
        ("/rapporter/personliste/", None),
        ("/rapporter/avvik-sluttmaal/", {"sort": "-last_name"}),
    ]
    before = [_queries(as_imdi, u, q) for u, q in urls]
    for i in range(6):
        register.participation(register.person("Test", f"Person{i}"), dt.date(2026, 1, 5))
    assert [_queries(as_imdi, u, q) for u, q in urls] == before


# --- the login page ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_form_is_designsystemet(client, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    django_user_model.objects.create_user("saksbehandler", password="et-langt-passord-1")
    r, p = page(client, "/login/")
    assert r.status_code == 200
    user = p.find("input", id="id_username")[0]
    password = p.find("input", id="id_password")[0]
    assert user["autocomplete"] == "username" and password["autocomplete"] == "current-password"
    assert user["class"] == password["class"] == "ds-input" and "required" in user and "required" in password
    assert p.find("label", **{"for": "id_username", "class": "ds-label"}) and "Brukernavn" in p.text
    assert p.find("button", type="submit", **{"data-variant": "primary"}) and "Logg inn" in p.text
    assert not p.find("div", role="alert") and "aria-invalid" not in user

    r = client.post("/login/", {"username": "saksbehandler", "password": "feil"})
    p = Tags(r.content.decode())
    alert = p.find("div", role="alert", id="login-error")
    assert alert and alert[0]["class"] == "ds-alert" and alert[0]["data-color"] == "danger"
    assert "Feil brukernavn eller passord." in p.text
    for field in ("id_username", "id_password"):
        control = p.find("input", id=field)[0]
        assert control["aria-invalid"] == "true" and control["aria-describedby"] == "login-error"
    assert "feil" not in re.findall(r'value="([^"]*)"', r.content.decode())  # nothing typed is echoed back
