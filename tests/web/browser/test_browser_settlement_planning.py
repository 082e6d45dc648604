"""Browser: IMDi sets the year's settlement need, computes the request, looks at one municipality's
breakdown, adjusts its figure with a reason and sends the round (issue 17 § 1). Every page passes axe
and says that the indicators are synthetic."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from nir.actions.acting import Acting
from nir.settlement import planning_reads
from nir.settlement.actions import planning

pytestmark = pytest.mark.browser(
    urls=("settlement_need", "settlement_requests", "settlement_request_round", "settlement_request_line")
)
LABEL = "Syntetiske indikatorer – ikke offisiell statistikk"


def test_need_request_adjust_and_send(page, world, login, check_page):
    planning.load_indicators(Acting.system("nettlesertest"))
    login(page, "admin-imdi")
    page.goto("/bosetting/behov/?aar=2026")
    page.get_by_label("Personer", exact=False).first.fill("18900")
    page.get_by_label("Herav enslige mindreårige").fill("752")
    page.get_by_label("Fastsatt dato").fill("16.12.2025")
    with page.expect_navigation():
        page.get_by_role("button", name="Lagre behovet").click()
    expect(page.get_by_text("Bosettingsbehovet for 2026 er lagret")).to_be_visible()
    check_page(page, "bosetting-behov")

    page.get_by_role("link", name="Årets anmodninger").click()
    expect(page.locator("main")).to_contain_text(LABEL)
    check_page(page, "bosetting-anmodning")
    with page.expect_navigation():
        page.get_by_role("button", name="Beregn").click()
    expect(page).to_have_url(re.compile(r"/bosetting/anmodning/2026/1/$"))
    page.goto("/bosetting/anmodning/2026/1/?fylke=50&sort=-persons")
    expect(page.locator("main")).to_contain_text(LABEL)
    expect(page.get_by_role("link", name=re.compile("^5001 Trondheim"))).to_be_visible()
    check_page(page, "bosetting-anmodning-runde")

    page.get_by_role("link", name=re.compile("^5001 Trondheim")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("5001")
    expect(page.locator("main")).to_contain_text("Arbeidsledighet i regionen")
    check_page(page, "bosetting-anmodning-kommune")
    computed = planning_reads.round_lines(planning_reads.round_of(2026, 1), "5001")[0]
    page.locator("#justering-persons").fill(str(computed.persons + 25))
    page.get_by_label("Begrunnelse").fill("Kommunen har ledige boliger")
    with page.expect_navigation():
        page.get_by_role("button", name="Lagre justeringen").click()
    expect(page.locator("main")).to_contain_text("Kommunen har ledige boliger")

    page.get_by_role("link", name="Runde 1").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Send til kommunene").click()
    expect(page.get_by_text("Runde 1 er sendt til kommunene")).to_be_visible()
    sent = planning_reads.sent_request(2026, "5001")
    assert sent is not None and sent.persons == computed.persons + 25
