"""Browser: a caseworker's day with one person (Personer → person page → «+ Legg til» under Vedtak,
then Sluttmål: Gjennomføringsfrist, NIR - Kategori and the deviation follow on the page), the
Regelmotor's refusal of «Bortfall … arbeid» after a participation decision, another municipality
refused the person (404), the add form by keyboard, and the person page without JavaScript."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from nir.register import models as m
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS

pytestmark = pytest.mark.browser(urls=("persons", "person", "person_add"))

PARTICIPATION = "Deltakelse i introduksjonsprogram"  # codes.label("decision_type", "participation")
LOSS_DUE_TO_WORK = "Bortfall av rett og plikt pga. arbeid over 30 timer"  # … "loss_due_to_work"
GOAL = "work_no_vgo_2026"  # Arbeid - person har ikke utdanning på videregående nivå fra før (fra 01.01.2026)
REFUSAL = re.compile(r"kan kun registreres dersom det ikke foreligger et vedtak om deltakelse")  # s08 rule


def fill_date(field, day: dt.date):
    """A date field: <input type=date> takes ISO, a text field the Norwegian dd.mm.yyyy."""
    if field.get_attribute("type") == "date":
        field.fill(day.isoformat())
    else:
        field.fill(day.strftime("%d.%m.%Y"))


def open_add_form(page, section_id: str, subject: str = ""):
    """«+ Legg til» in a section of the person page: the form opens in place (htmx)."""
    section = page.locator(f"#{section_id}")
    section.get_by_role("link", name=re.compile(rf"^\+ Legg til.*{subject}", re.I)).first.click()
    form = section.locator("form")
    expect(form).to_be_visible()
    expect(form.get_by_role("button", name="Lagre")).to_be_visible()
    expect(form.get_by_role("link", name="Avbryt").or_(form.get_by_role("button", name="Avbryt"))).to_be_visible()
    return form


def register_decision(page, decision_type: str, decision_date: dt.date, start_date: dt.date | None = None):
    form = open_add_form(page, "vedtak-intro")
    form.get_by_label("Vedtakstype").select_option(label=decision_type)
    fill_date(form.get_by_label("Vedtaksdato"), decision_date)
    if start_date is not None:
        fill_date(form.get_by_label("Startdato"), start_date)
    form.get_by_role("button", name="Lagre").click()
    return form


def current_status(person):
    return m.DerivedStatus.objects.current().get(person=person)


def test_caseworker_registers_participation_and_is_refused_loss_due_to_work(page, world, login, check_page):
    nora = world.persons["ny"]
    login(page, "saksbehandler-trondheim")

    # Personer: search by DUF-nummer.
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Personer").click()
    expect(page).to_have_url(re.compile(r"/personer/"))
    check_page(page, "personer")
    search = page.get_by_role("textbox", name="DUF-nummer")
    search.fill(nora.duf)
    with page.expect_navigation():
        search.press("Enter")
    if not re.search(rf"/personer/{nora.duf}/", page.url):  # a list of hits rather than the person
        page.get_by_role("link", name=nora.duf).first.click()
    expect(page).to_have_url(re.compile(rf"/personer/{nora.duf}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nymark")
    for section in ("vedtak-intro", "sluttmaal-intro", "avslutning-intro", "kategori", "frist-intro"):
        expect(page.locator(f"#{section}")).to_be_visible()
    category = page.locator("#kategori")
    deadline = page.locator("#frist-intro")
    expect(category.get_by_role("heading").first).to_contain_text("NIR - Kategori")
    expect(category).to_contain_text("Rett og plikt til introduksjonsprogram")
    expect(deadline.get_by_role("heading").first).to_contain_text("Gjennomføringsfrist")
    deadline_before = deadline.inner_text()
    check_page(page, "person")

    # Vedtak: «Deltakelse i introduksjonsprogram» with a start date → Lagre.
    start = dt.date(2026, 11, 2)
    register_decision(page, PARTICIPATION, start, start)
    vedtak = page.locator("#vedtak-intro")
    expect(vedtak.get_by_role("status")).to_be_visible()  # «Vedtaket er registrert.»
    expect(vedtak.get_by_role("table")).to_contain_text(PARTICIPATION)
    expect(vedtak.get_by_role("table")).to_contain_text(start.strftime("%d.%m.%Y"))
    status = current_status(nora)
    assert status.intro_start_date == start
    # The Regelmotor's new status is on the page without a reload: the programme's start in
    # Gjennomføringsfrist, NIR - Kategori as derived, and the deviation «sluttmål mangler».
    expect(deadline).to_contain_text(start.strftime("%d.%m.%Y"))
    assert deadline.inner_text() != deadline_before
    expect(category).to_contain_text(CATEGORY_LABELS["intro"][status.intro_category])
    assert status.deviation_final_goal_missing
    expect(page.locator("#avvik")).to_contain_text(DEVIATION_LABELS["final_goal_missing"])
    check_page(page, "person-etter-vedtak")

    # Sluttmål: the Gjennomføringsfrist follows at once.
    form = open_add_form(page, "sluttmaal-intro", "sluttmål")
    form.get_by_label("Sluttmål").select_option(value=GOAL)
    form.get_by_role("button", name="Lagre").click()
    expect(page.locator("#sluttmaal-intro").get_by_role("status")).to_be_visible()
    status = current_status(nora)
    assert status.intro_deadline is not None and not status.deviation_final_goal_missing
    expect(deadline.locator("[data-deadline]")).to_have_text(status.intro_deadline.strftime("%d.%m.%Y"))
    expect(page.locator("#avvik")).not_to_contain_text(DEVIATION_LABELS["final_goal_missing"])
    expect(category).to_contain_text(CATEGORY_LABELS["intro"][status.intro_category])
    check_page(page, "person-etter-sluttmaal")

    # «Bortfall … arbeid over 30 timer» after a participation decision: refused, with the Regelmotor's words.
    n_decisions = m.Decision.objects.filter(person=nora).count()
    register_decision(page, LOSS_DUE_TO_WORK, dt.date(2026, 11, 16))
    alert = page.get_by_role("alert").filter(has_text=REFUSAL)
    expect(alert).to_be_visible()
    expect(alert).not_to_contain_text("loss_due_to_work_after_participation")  # the rule id: for fagansvarlige
    assert m.Decision.objects.filter(person=nora).count() == n_decisions
    assert not m.Decision.objects.filter(person=nora, decision_type="loss_due_to_work").exists()
    page.nir_log.allow(r"status of 4(00|09|22)")  # a refused registration may answer 400/409/422 with the form
    check_page(page, "person-avvist-bortfall")
    page.goto(f"/personer/{nora.duf}/")
    expect(page.locator("#vedtak-intro").get_by_role("table")).not_to_contain_text(LOSS_DUE_TO_WORK)


def test_another_municipality_is_refused_the_person(page, world, login, check_page):
    login(page, "saksbehandler-bergen")
    page.nir_log.allow(r"status of 404")
    response = page.goto(f"/personer/{world.duf('ny')}/")
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text("Nymark")
    check_page(page, "person-ikke-funnet")
    # Nor does the search find her.
    page.goto("/personer/")
    search = page.get_by_role("textbox", name="DUF-nummer")
    search.fill(world.duf("ny"))
    with page.expect_navigation():
        search.press("Enter")
    expect(page).to_have_url(re.compile(r"/personer/\?"))
    expect(page.locator("main")).not_to_contain_text("Nymark")


def test_add_form_by_keyboard_focus_moves_into_the_form_and_back(page, world, login):
    """«+ Legg til» by keyboard: the form opens in place with the focus on its heading (nir.js), a refused
    save puts the focus on the error summary, and «Avbryt» gives the focus back to «+ Legg til»."""
    didrik = world.persons["deltaker"]
    login(page, "saksbehandler-trondheim", next=f"/personer/{didrik.duf}/")
    add = page.locator("#vedtak-intro").get_by_role("link", name=re.compile(r"^\+ Legg til"))
    add.focus()
    page.keyboard.press("Enter")
    form = page.locator("#vedtak-intro form")
    expect(form.get_by_role("heading").first).to_be_focused()
    form.get_by_role("button", name="Lagre").press("Enter")  # nothing filled in: refused
    summary = form.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link").first).to_contain_text("Vedtakstype")
    page.nir_log.allow(r"status of 422")  # the form comes back with the errors and status 422
    form.get_by_role("link", name="Avbryt").press("Enter")
    expect(page.locator("#vedtak-intro form")).to_have_count(0)
    expect(add).to_be_focused()


def test_person_page_without_javascript(browser, live_server, world, login, screenshot):
    """Without JavaScript the person page reads, and «+ Legg til» is a plain link to the form page
    whose POST registers and leads back to the person (303)."""
    nora = world.persons["ny"]
    context = browser.new_context(
        base_url=live_server.url, locale="nb-NO", java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        login(page, "saksbehandler-trondheim", next=f"/personer/{nora.duf}/")
        for section in ("vedtak-intro", "sluttmaal-intro", "avslutning-intro", "kategori", "frist-intro"):
            expect(page.locator(f"#{section}")).to_be_visible()
        screenshot(page, "person-uten-javascript")
        page.locator("#vedtak-intro").get_by_role("link", name=re.compile(r"^\+ Legg til")).click()
        expect(page).to_have_url(re.compile(rf"/personer/{nora.duf}/ny/vedtak/\?ordning=intro"))
        form = page.locator("main form")
        form.get_by_label("Vedtakstype").select_option(label=PARTICIPATION)
        fill_date(form.get_by_label("Vedtaksdato"), dt.date(2026, 11, 2))
        fill_date(form.get_by_label("Startdato"), dt.date(2026, 11, 2))
        form.get_by_role("button", name="Lagre").click()
        expect(page).to_have_url(re.compile(rf"/personer/{nora.duf}/(#.*)?$"))
        expect(page.locator("#vedtak-intro").get_by_role("table")).to_contain_text(PARTICIPATION)
        assert m.Decision.objects.filter(person=nora, decision_type="participation").count() == 1
    finally:
        context.close()
