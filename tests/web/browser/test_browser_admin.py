"""Browser: IMDi creates a user in the application, the user sets its password with the one-time link
and logs in; the new user page, the link's page and the supervision view pass axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

NEW_PASSWORD = "Et-langt-nytt-passord-2026"


@pytest.mark.browser(urls=("admin_user_new", "password_set"))
def test_imdi_creates_a_user_who_sets_its_password_and_logs_in(page, world, login, check_page):
    login(page, "admin-imdi", next="/administrering/brukere/")
    page.get_by_role("link", name="+ Ny bruker").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny bruker")
    check_page(page, "administrering-ny-bruker-skjema")
    page.get_by_label("Brukernavn").fill("nina-ny")
    page.get_by_label("Fornavn").fill("Nina")
    page.get_by_label("Etternavn").fill("Ny")
    page.get_by_label("E-post").fill("nina@example.org")
    page.get_by_label("Organisasjon").select_option("k-5001")
    page.get_by_label("Saksbehandler", exact=True).check()
    page.get_by_role("button", name="Opprett brukeren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Brukeren nina-ny er opprettet")
    link = page.locator("code.nir-login-link").inner_text()
    assert re.search(r"/passord/[^/]+/[^/]+/$", link), link
    check_page(page, "administrering-bruker-opprettet")

    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("button", name="Logg ut")).to_have_count(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Velg passordet ditt")
    check_page(page, "passord-velg")
    page.get_by_label("Nytt passord", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Det nye passordet en gang til").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Lagre passordet").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_text("Passordet ditt er satt")).to_be_visible()
    login(page, "nina-ny", password=NEW_PASSWORD)
    expect(page.get_by_text("Nina Ny")).to_be_visible()
