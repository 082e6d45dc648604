"""The language switch (bokmål unless English is chosen in the header; the browser's Accept-Language is
not followed), the application's own logged-out page, and its own 403 and 404 pages (the API keeps its
problem+json)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from nir.web.language import chosen_language

pytestmark = pytest.mark.django_db

BROWSER_SAYS_ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


# --- language -------------------------------------------------------------------------------------


def test_bokmal_even_when_the_browser_asks_for_english(client):
    r = client.get("/login/", headers=BROWSER_SAYS_ENGLISH)
    assert r.status_code == 200 and html_lang(r) == "nb"
    html = r.content.decode()
    assert "Logg inn" in html and "Hopp til hovedinnhold" in html
    assert r["Content-Language"] == "nb"
    assert "Cookie" in r["Vary"] and "Accept-Language" not in r["Vary"]


def test_the_switch_is_in_the_header_on_every_page(client, users):
    html = client.get("/login/").content.decode()
    form = html[html.index('class="nir-language"') :]
    form = form[: form.index("</form>")]
    assert 'action="/sprak/"' in form and 'name="csrfmiddlewaretoken"' in form
    assert 'name="language" value="en" lang="en"' in form and "English" in form
    assert 'name="next" value="/login/"' in form
    client.force_login(users["trondheim"])
    assert 'class="nir-language"' in client.get("/personer/").content.decode()


def test_choose_english_and_back(client, users, world):
    client.force_login(users["trondheim"])
    path = f"/personer/{world['anne'].duf}/"
    r = client.post("/sprak/", {"language": "en", "next": path})
    assert r.status_code == 302 and r["Location"] == path
    cookie = r.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en" and cookie["httponly"] and cookie["samesite"] == "Lax"
    r = client.get(path)
    assert html_lang(r) == "en"
    html = r.content.decode()
    assert ">Basic data</h2>" in html and "Completion deadline" in html and ">Grunndata</h2>" not in html
    assert 'name="language" value="nb" lang="nb"' in html  # the way back, in its own language
    r = client.post("/sprak/", {"language": "nb", "next": path})
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"
    r = client.get(path, headers=BROWSER_SAYS_ENGLISH)
    assert html_lang(r) == "nb" and "Grunndata" in r.content.decode()


def test_an_unknown_language_or_a_foreign_next_changes_nothing(client):
    r = client.post("/sprak/", {"language": "sv", "next": "https://example.org/"})
    assert r.status_code == 302 and not r["Location"].startswith("https://example.org")
    # Django's view stores any language Django knows; NIR offers only its own (nir.web.language)
    assert html_lang(client.get("/login/")) == "nb" and "Logg inn" in client.get("/login/").content.decode()


def test_chosen_language(rf):
    request = rf.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert chosen_language(request) == "nb"
    request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert chosen_language(request) == "en"


# --- logging out ------------------------------------------------------------------------------------


def test_logout_is_a_post_and_lands_on_the_applications_own_page(client, users):
    client.force_login(users["trondheim"])
    html = client.get("/personer/").content.decode()
    assert re.search(r'<form method="post" action="/logout/">.*?csrfmiddlewaretoken.*?Logg ut</button>', html, re.S)
    assert client.get("/logout/").status_code == 405  # no logging out by a link
    r = client.post("/logout/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Du er logget ut" in html and 'href="/login/"' in html and "Logg inn igjen" in html
    assert "Django" not in html and "Logged out" not in html and "nir-menu" not in html
    assert html_lang(r) == "nb"
    assert client.get("/personer/").status_code == 302  # the session is gone


def test_logout_in_english_when_english_was_chosen(client, users):
    client.force_login(users["trondheim"])
    client.post("/sprak/", {"language": "en", "next": "/"})
    html = client.post("/logout/").content.decode()
    assert "You are logged out" in html and "Log in again" in html


# --- 403 and 404 ------------------------------------------------------------------------------------


def test_404_is_the_applications_own_page_with_the_menu(client, users):
    client.force_login(users["trondheim"])
    r = client.get("/finnes-ikke/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Siden finnes ikke" in html and 'class="nir-menu"' in html and "Arbeidsflate" in html
    assert 'href="/"' in html and html_lang(r) == "nb"
    assert "finnes-ikke" not in html  # nothing from the request


def test_404_without_login_has_no_menu(client):
    r = client.get("/finnes-ikke/")
    assert r.status_code == 404 and "Siden finnes ikke" in r.content.decode()
    assert 'class="nir-menu"' not in r.content.decode()


def test_the_explanation_pages_404_is_the_applications_own_and_shows_nothing_of_the_person(client, users, world):
    """The explanation page's 404, in the application's layout, names nothing of the person. A DUF number
    followed up by another municipality says so (issue 16 § 2: tests/web/test_rules_page.py), an unknown
    one does not; an unknown page is «Siden finnes ikke»."""
    client.force_login(users["trondheim"])
    outside = client.get(f"/regelmotor/forklar/{world['berit'].duf}/")
    unknown = client.get("/regelmotor/forklar/999999999999/")
    assert outside.status_code == unknown.status_code == 404
    for r in (outside, unknown):
        html = r.content.decode()
        assert 'class="nir-menu"' in html and "Berit" not in html
    assert "følges opp av en annen kommune eller bydel" in outside.content.decode()
    assert "følges opp av en annen kommune eller bydel" not in unknown.content.decode()
    page = client.get("/finnes-ikke/")
    assert page.status_code == 404 and "Siden finnes ikke" in page.content.decode()


def test_403_is_the_applications_own_page(client, users):
    client.force_login(users["trondheim"])
    r = client.get("/administrering/")
    assert r.status_code == 403
    html = r.content.decode()
    assert "Ingen tilgang" in html and "lokale administrator" in html and 'class="nir-menu"' in html
    assert "<h1>403 Forbidden</h1>" not in html


def test_the_api_keeps_problem_json(client, users):
    client.force_login(users["trondheim"])
    r = client.get("/api/v1/finnes-ikke")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/problem+json")
    r = client.get("/api/v1/persons/999999999999")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/problem+json")
