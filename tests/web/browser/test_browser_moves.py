"""Browser: a move between municipalities (issue 16 § 2). Bergen cannot open Trondheim's person (told
the person is followed up elsewhere, nothing more); Trondheim registers the move from the person
page; Bergen then finds the person under Flyttinger → Innflyttet with the deadline, opens them and
registers leave; Trondheim sees the person only as registered until the transfer — not Bergen's
leave, not the new address — cannot register, and lists the person under Utflyttet."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nir.register import models as m

pytestmark = pytest.mark.browser(urls=("persons", "person", "person_move", "person_moves"))


def logout(page):
    with page.expect_navigation():
        page.get_by_role("button", name="Logg ut").click()


def test_move_a_person_and_the_new_municipality_takes_over(page, world, login, check_page):
    didrik = world.persons["deltaker"]
    moved_on = timezone.localdate() - dt.timedelta(days=1)

    # Bergen: the DUF number exists, but is followed up elsewhere — no name, no municipality.
    login(page, "saksbehandler-bergen")
    page.nir_log.allow(r"status of 404")
    response = page.goto(f"/personer/{didrik.duf}/")
    assert response.status == 404
    expect(page.locator("#person-elsewhere")).to_contain_text("følges opp av en annen kommune")
    expect(page.locator("main")).not_to_contain_text("Deltaker")
    logout(page)

    # Trondheim registers the move on the person page.
    login(page, "saksbehandler-trondheim")
    page.goto(f"/personer/{didrik.duf}/")
    page.get_by_role("link", name="Registrer flytting").click()
    expect(page).to_have_url(re.compile(rf"/personer/{didrik.duf}/flytting/"))
    check_page(page, "flytting-skjema")
    page.get_by_label("Flyttedato").fill(moved_on.strftime("%d.%m.%Y"))
    page.get_by_label("Ny oppfølgingskommune").select_option("4601")
    page.get_by_label("Ny adresse").fill("Bryggen 3")
    with page.expect_navigation():
        page.get_by_role("button", name="Registrer flyttingen").click()
    expect(page).to_have_url(re.compile(r"/personer/flyttinger/"))
    expect(page.get_by_text("Flyttingen er registrert")).to_be_visible()
    expect(page.locator("#utflyttet")).to_contain_text(didrik.duf)
    expect(page.locator("#utflyttet")).not_to_contain_text("Bergen")
    check_page(page, "flyttinger-utflyttet")
    logout(page)

    # Bergen takes over: Innflyttet with where from and the deadline; the person page; a registration.
    login(page, "saksbehandler-bergen")
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Personer").click()
    page.goto("/personer/flyttinger/")
    moved_in = page.locator("#innflyttet")
    expect(moved_in).to_contain_text(didrik.duf)
    expect(moved_in).to_contain_text("Trondheim")
    deadline = m.DerivedStatus.objects.current().get(person=didrik).intro_deadline
    expect(moved_in).to_contain_text(deadline.strftime("%d.%m.%Y"))
    check_page(page, "flyttinger-innflyttet")
    moved_in.get_by_role("link", name=didrik.duf).click()
    expect(page).to_have_url(re.compile(rf"/personer/{didrik.duf}/"))
    expect(page.locator("#grunndata")).to_contain_text("Bryggen 3")
    section = page.locator("#fravaer-intro")
    section.get_by_role("link", name=re.compile(r"^\+ Legg til")).first.click()
    form = section.locator("form")
    expect(form).to_be_visible()
    form.locator('[name="kind"]').select_option("leave")
    form.locator('[name="from"]').fill("06.04.2026")
    form.locator('[name="to"]').fill("07.04.2026")
    form.get_by_role("button", name="Lagre").click()
    expect(section).to_contain_text("06.04.2026")
    logout(page)

    # Trondheim: only what was registered until the transfer; nothing to register.
    login(page, "saksbehandler-trondheim")
    page.goto(f"/personer/{didrik.duf}/")
    expect(page.locator("#tidligere-oppfolging")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Deltaker")
    expect(page.locator("main")).not_to_contain_text("06.04.2026")
    expect(page.locator("main")).not_to_contain_text("Bryggen 3")
    expect(page.get_by_role("link", name=re.compile(r"^\+ Legg til"))).to_have_count(0)
    expect(page.get_by_role("link", name="Registrer flytting")).to_have_count(0)
    check_page(page, "person-tidligere-oppfolging")
    page.get_by_role("link", name="Alle registreringer (historikk)").click()
    expect(page.locator("main")).not_to_contain_text("06.04.2026")
