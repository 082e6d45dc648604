"""IMDi's pages render in bokmål for an IMDi administrator, and are refused (403) to a municipal
caseworker by the access middleware; Organisasjoner filters and counts users; queries stay bounded."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nir.testing.builders import make_client, make_user

ADMIN_PAGES = [
    "/organisasjoner/",
    "/organisasjoner/k-5001/",
    "/administrering/",
    "/administrering/brukere/",
    "/administrering/klienter/",
    "/administrering/tilgangslogg/",
    "/hjelpetekster/",
    "/hjelpetekster/person.grunndata/",
]


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "admin-imdi", "imdi", first_name="Ida", last_name="Admin"),
        "trondheim": make_user(django_user_model, "admin-5001", "k-5001", first_name="Tor", last_name="Saksbehandler"),
        "bergen": make_user(django_user_model, "admin-4601", "k-4601"),
    }


@pytest.mark.parametrize("url", ADMIN_PAGES + ["/administrering/brukere/{pk}/"])
def test_pages_render_in_bokmal_for_imdi_admin(client, users, url):
    make_client("k-5001", "fagsystem-trondheim")
    client.force_login(users["imdi"])
    r = client.get(url.format(pk=users["trondheim"].pk))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'lang="nb"' in html and "<h1" in html
    assert "Administrering" in html  # the menu and the administration's own navigation
    for english in ("Users", "Search", "Organisations", "Name", "Role", "Help texts", "Active"):
        assert f">{english}<" not in html
    assert "pbkdf2" not in html and "password" not in html.lower()


@pytest.mark.parametrize("url", ADMIN_PAGES + ["/administrering/brukere/{pk}/"])
def test_pages_are_refused_to_a_municipal_caseworker(client, users, url):
    client.force_login(users["trondheim"])
    assert client.get(url.format(pk=users["trondheim"].pk)).status_code == 403


def test_anonymous_visitors_must_log_in(client, db):
    r = client.get("/administrering/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_imdi_analyst_may_search_the_audit_log_but_not_administer(client, django_user_model, db):
    analyst = make_user(django_user_model, "admin-analytiker", "imdi", roles=["imdi_analyst"])
    client.force_login(analyst)
    assert client.get("/administrering/tilgangslogg/").status_code == 200
    assert client.get("/administrering/").status_code == 403
    assert client.get("/administrering/brukere/").status_code == 403


def test_organisations_filter_by_kind_and_search_and_count_users(client, users):
    client.force_login(users["imdi"])
    html = client.get("/organisasjoner/", {"kind": "municipality", "q": "Trondheim"}).content.decode()
    assert "k-5001" in html and "Trondheim - Tråante kommune" in html
    assert "k-4601" not in html and "IMDi" in html  # IMDi in the menu/header only
    row = html[html.index("k-5001") :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">1</td>' in row  # one user
    html = client.get("/organisasjoner/", {"kind": "county_governor"}).content.decode()
    assert "sf-trl" in html and "k-5001" not in html
    assert "1 organisasjon" in client.get("/organisasjoner/", {"q": "k-5001"}).content.decode()


def test_organisation_page_shows_users_roles_and_api_clients(client, users):
    make_client("k-5001", "fagsystem-trondheim")
    client.force_login(users["imdi"])
    html = client.get("/organisasjoner/k-5001/").content.decode()
    assert "Trondheim - Tråante kommune" in html and "admin-5001" in html and "Saksbehandler" in html
    assert "fagsystem-trondheim" in html and "Aktiv" in html
    assert "Lokal administrator" in html  # a role a municipality can give
    assert client.get("/organisasjoner/finnes-ikke/").status_code == 404


def test_list_pages_issue_a_bounded_number_of_queries(client, django_user_model, users):
    for i in range(30):
        make_user(django_user_model, f"admin-mange-{i}", "k-5001")
        make_client("k-5001", f"klient-{i}")
    client.force_login(users["imdi"])
    client.get("/administrering/")  # session and caches warmed
    for url, limit in (
        ("/administrering/brukere/", 12),
        ("/organisasjoner/", 12),
        ("/organisasjoner/k-5001/", 14),
        ("/administrering/klienter/", 12),
        ("/administrering/tilgangslogg/", 14),
        ("/hjelpetekster/", 10),
    ):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert len(ctx.captured_queries) <= limit, (url, len(ctx.captured_queries))
