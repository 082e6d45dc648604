"""Browser: IMDi's administrator, on Trondheim's behalf, reports capacity — a form with a mistake
comes back with the input kept and the message at the field (no JavaScript needed) — closes the line
when full, and registers the municipality's decision."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser(urls=("settlement_capacity", "settlement_capacity_line", "settlement_municipal"))


def test_report_capacity_close_it_and_register_the_decision(page, world, login, check_page):
    login(page, "admin-imdi", next="/bosetting/kapasitet/?kommune=5001")
    form = page.locator("form.nir-form")
    form.get_by_label("Type").select_option("families")
    form.get_by_label("Fra måned").select_option("1")
    form.get_by_label("Til og med måned").select_option("3")
    form.get_by_label("Plasser (personer)").fill("12")
    page.nir_log.allow(r"status of 422")
    with page.expect_navigation():
        page.get_by_role("button", name="Lagre kapasiteten").click()
    # families without the largest household: refused, the input kept
    expect(page.get_by_text("mangler (påkrevd for familier)")).to_be_visible()
    expect(page.get_by_label("Plasser (personer)")).to_have_value("12")
    expect(page.get_by_label("Største husstand (bare familier)")).to_have_attribute("aria-invalid", "true")
    check_page(page, "bosetting-kapasitet-feil")
    page.get_by_label("Største husstand (bare familier)").fill("6")
    with page.expect_navigation():
        page.get_by_role("button", name="Lagre kapasiteten").click()
    expect(page.get_by_text("Kapasiteten er registrert.")).to_be_visible()
    row = page.locator("tbody tr").filter(has_text="januar–mars")
    expect(row).to_contain_text("Familier")
    expect(row).to_contain_text("Åpen")

    row.get_by_role("link", name=re.compile("Endre")).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Steng linjen (fullt)").click()
    expect(page.get_by_text("Kapasiteten er stengt.")).to_be_visible()
    expect(page.locator("tbody tr").filter(has_text="januar–mars")).to_contain_text("Stengt (fullt)")

    page.get_by_role("link", name="Anmodning og vedtak").click()
    expect(page.get_by_text("Ingen anmodning sendt ennå.")).to_be_visible()
    page.get_by_label("Personer som skal bosettes").fill("30")
    page.get_by_label("Herav enslige mindreårige").fill("3")
    page.get_by_label("Vedtaksdato").fill("05.01." + page.locator("#sm-aar").input_value())
    with page.expect_navigation():
        page.get_by_role("button", name="Lagre vedtaket").click()
    expect(page.get_by_text("Vedtaket er registrert.")).to_be_visible()
    expect(page.locator("#history-heading + .table-wrap tbody tr")).to_have_count(1)
    check_page(page, "bosetting-kommune-vedtak")
