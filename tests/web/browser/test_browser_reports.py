"""Browser: Rapporter – the list of reports, the deviation report (filtered, sorted, downloaded as
CSV through the browser) and the yearly statistics, as Trondheim's caseworker."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from nir.register.explain import DEVIATION_LABELS

DEVIATION_REPORT = "/rapporter/avvik-sluttmaal/"  # nir.reports.registry: «… med avvik i registrering av sluttmål»


def test_report_list_and_the_deviation_report_filtered_and_downloaded(page, world, login, check_page, tmp_path):
    login(page, "saksbehandler-trondheim")
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Rapporter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapporter")
    check_page(page, "rapporter")

    page.get_by_role("link", name=re.compile(r"avvik i registrering av sluttm", re.I)).first.click()
    expect(page).to_have_url(re.compile(re.escape(DEVIATION_REPORT)))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"avvik i registrering av sluttm", re.I))

    # Filters: Trondheim, the deviation «sluttmål mangler».
    municipality = page.locator("#filter-municipality")
    expect(municipality).to_have_accessible_name("Oppfølgingskommune eller bydel")
    municipality.fill("5001")
    deviation = page.locator("#filter-avvik")
    expect(deviation).to_have_accessible_name("Avvik")
    deviation.select_option(value="final_goal_missing")
    expect(deviation.locator("option:checked")).to_have_text(DEVIATION_LABELS["final_goal_missing"])
    page.get_by_role("button", name="Vis rapport").click()
    expect(page).to_have_url(re.compile(r"avvik=final_goal_missing"))
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(2)  # header + Agnes Avvik
    expect(table).to_contain_text(world.duf("avvik"))
    expect(table).to_contain_text("Agnes")
    expect(table).not_to_contain_text(world.duf("deltaker"))
    expect(table).not_to_contain_text(world.duf("tidlig"))  # the other deviation: filtered away
    check_page(page, "rapport-avvik-sluttmaal")

    # Sorting by a column keeps the filters.
    table.get_by_role("columnheader").filter(has_text="Etternavn").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort="))
    expect(page).to_have_url(re.compile(r"avvik=final_goal_missing"))
    expect(page.get_by_role("table")).to_contain_text(world.duf("avvik"))

    # The CSV download, through the browser, has the same filters.
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"^CSV")).click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = target.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    body = [row for row in rows[1:] if any(row)]
    assert any(world.duf("avvik") in cell for row in body for cell in row), text[:500]
    assert not any(world.duf("deltaker") in cell for row in body for cell in row)
    assert not any(world.duf("ny") in cell for row in body for cell in row)
    assert not any(world.duf("tidlig") in cell for row in body for cell in row)  # the filter holds

    # Without the deviation filter, both deviations of Trondheim.
    page.locator("#filter-avvik").select_option(value="")
    page.get_by_role("button", name="Vis rapport").click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("table")).to_contain_text(world.duf("tidlig"))


def test_report_refuses_a_bad_filter_with_a_message(page, world, login, check_page):
    login(page, "saksbehandler-trondheim")
    page.nir_log.allow(r"status of 400")  # the page answers 400 with the message and the form
    page.goto(DEVIATION_REPORT + "?municipality=99999")
    expect(page.get_by_role("alert")).to_be_visible()
    check_page(page, "rapport-feil-filter")


def test_yearly_statistics(page, world, login, check_page):
    login(page, "saksbehandler-trondheim")
    page.goto("/rapporter/")
    page.get_by_role("link", name="Årsstatistikk med diagrammer").click()
    expect(page).to_have_url(re.compile(r"/rapporter/aarsstatistikk/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page(page, "aarsstatistikk")
