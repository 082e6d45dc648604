"""Browser: pages for caseworkers (issue 16 § 4) — the language switch in the header (English and back),
logging out to the application's own page, its own 403 and 404 pages, the Regelmotor's explanation in
plain Norwegian for a caseworker and with «For fagansvarlige» for IMDi, and the person page's sections
Kompetansekartlegging and Prøver with «+ Legg til». Each page passes axe-core."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser(urls=("set_language", "person", "rules_explain"))

TRONDHEIM, IMDI = "saksbehandler-trondheim", "admin-imdi"


def test_switch_to_english_and_back(page, world, login, check_page):
    url = f"/personer/{world.duf('deltaker')}/"
    login(page, TRONDHEIM, next=url)
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", name="Grunndata")).to_be_visible()

    page.get_by_role("button", name=re.compile("^English")).click()
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Basic data")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    check_page(page, "sprak-engelsk")

    # the choice holds on the next page
    page.goto("/personer/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name=re.compile("^Norsk bokmål")).click()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("navigation", name="Hovedmeny")).to_be_visible()


def test_logout_lands_on_the_applications_own_page(page, world, login, check_page):
    login(page, TRONDHEIM)
    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Du er logget ut")
    check_page(page, "utlogget")
    page.get_by_role("link", name="Logg inn igjen").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def test_own_404_and_403_pages(page, world, login, check_page):
    page.nir_log.allow(r"status of 40[34]")
    login(page, TRONDHEIM)
    page.goto("/finnes-ikke/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Siden finnes ikke")
    expect(page.get_by_role("navigation", name="Hovedmeny")).to_be_visible()
    check_page(page, "feil-404")
    page.goto("/administrering/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    check_page(page, "feil-403")


def test_the_explanation_in_plain_norwegian_and_for_fagansvarlige(page, world, login, check_page):
    url = f"/regelmotor/forklar/{world.duf('deltaker')}/"
    login(page, TRONDHEIM, next=url)
    main = page.locator("main")
    expect(main).to_contain_text("Integreringsloven § 8 første ledd")
    expect(main).to_contain_text("bosatt i Trondheim")
    expect(main).not_to_contain_text("s08_right_and_duty")
    expect(main).not_to_contain_text("settlements[")
    expect(page.get_by_text("For fagansvarlige")).to_have_count(0)

    page.get_by_role("button", name="Logg ut").click()
    login(page, IMDI, next=url)
    detail = page.locator("details.nir-tech").filter(has_text="s08_right_and_duty").first
    detail.locator("summary").click()
    expect(detail.get_by_text("s08_right_and_duty", exact=True)).to_be_visible()
    check_page(page, "regelmotor-forklar-fagansvarlig")


def test_competence_mapping_and_test_results_on_the_person_page(page, world, login, check_page):
    login(page, TRONDHEIM, next=f"/personer/{world.duf('deltaker')}/")
    section = page.locator("#prover")
    expect(section.get_by_role("heading", name="Prøver i norsk og samfunnskunnskap")).to_be_visible()
    section.get_by_role("link", name=re.compile(r"^\+ Legg til")).click()
    form = section.locator("form")
    expect(form).to_be_visible()
    form.get_by_role("combobox", name=re.compile(r"^Prøve")).select_option(label="Prøve i norsk – muntlig")
    date = form.get_by_label(re.compile(r"^Prøvedato"))
    date.fill("2026-06-10" if date.get_attribute("type") == "date" else dt.date(2026, 6, 10).strftime("%d.%m.%Y"))
    form.get_by_role("combobox", name=re.compile(r"^Resultat")).select_option(label="Bestått")
    form.get_by_role("textbox", name=re.compile(r"^Nivå")).fill("B1")
    form.get_by_role("button", name="Lagre").click()
    expect(section.get_by_role("status")).to_contain_text("Prøveresultatet er registrert.")
    expect(section.get_by_role("table")).to_contain_text("Bestått")
    expect(page.locator("#kartlegging")).to_contain_text("Ingen kompetansekartlegging er registrert.")
    check_page(page, "person-prover")
