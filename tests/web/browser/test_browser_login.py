"""Browser: the login page, the start page, logging out, and the keyboard's way past the header."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_login_page_refuses_a_wrong_password_then_logs_in(page, world, login, check_page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("NIR og Bosetting")
    check_page(page, "start-utlogget")

    page.get_by_role("link", name="Logg inn").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")
    check_page(page, "innlogging")

    page.get_by_label("Brukernavn").fill("saksbehandler-trondheim")
    page.get_by_label("Passord").fill("feil-passord-123")
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("alert")).to_contain_text("Feil brukernavn eller passord")
    check_page(page, "innlogging-feil")

    login(page, "saksbehandler-trondheim")
    expect(page.get_by_text("Tora Trondsen")).to_be_visible()
    menu = page.get_by_role("navigation", name="Hovedmeny")
    expect(menu.get_by_role("link", name="Rapporter")).to_be_visible()
    check_page(page, "start-saksbehandler")

    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("button", name="Logg ut")).to_have_count(0)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, world, login):
    login(page, "saksbehandler-trondheim")
    page.goto("/rapporter/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({text: document.activeElement.textContent.trim(), href: document.activeElement.getAttribute('href')})"
    )
    assert focused == {"text": "Hopp til hovedinnhold", "href": "#innhold"}
    skip = page.get_by_role("link", name="Hopp til hovedinnhold")
    expect(skip).to_be_visible()  # visible when focused (Designsystemet's ds-skip-link)
    page.keyboard.press("Enter")
    expect(page.locator("main#innhold")).to_be_focused()
    # The next Tab stop is inside the main content, past the header and the menu.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
