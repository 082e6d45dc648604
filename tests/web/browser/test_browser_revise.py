"""Browser: correct a registration from the person page (the «Rett» form opens in the section with htmx,
pre-filled; the Gjennomføringsfrist follows at once, the history shows who, when and why) and annul
one from the history page that «Vis detaljer» leads to (a confirmation page of its own; the deviation
the annulment causes is on the person page)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from nir.register import models as m
from nir.register.explain import DEVIATION_LABELS

pytestmark = pytest.mark.browser(urls=("person", "person_history", "person_correct", "person_annul"))


def test_caseworker_corrects_a_decision_date(page, world, login, check_page):
    didrik = world.persons["deltaker"]  # participation from 05.01.2026, with a final goal
    login(page, "saksbehandler-trondheim")
    page.goto(f"/personer/{didrik.duf}/")
    vedtak = page.locator("#vedtak-intro")
    deadline = page.locator("#frist-intro")
    expect(deadline).to_contain_text("05.01.2026")
    vedtak.get_by_role("link", name=re.compile(r"^Rett")).first.click()
    form = vedtak.locator("form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Vedtaksdato")).to_have_value("05.01.2026")  # pre-filled
    expect(form.get_by_label("Startdato")).to_have_value("05.01.2026")
    check_page(page, "rett-vedtak-skjema")

    # Without a reason: refused, what was typed kept.
    form.get_by_label("Startdato").fill("02.02.2026")
    form.get_by_role("button", name="Lagre rettingen").click()
    alert = vedtak.get_by_role("alert")
    expect(alert).to_contain_text("en retting må ha en begrunnelse")
    expect(vedtak.locator("form").get_by_label("Startdato")).to_have_value("02.02.2026")
    assert m.Decision.objects.filter(person=didrik).count() == 1

    form = vedtak.locator("form")
    form.get_by_label("Vedtaksdato").fill("02.02.2026")
    form.get_by_label("Begrunnelse").fill("Feil startdato registrert")
    form.get_by_role("button", name="Lagre rettingen").click()
    expect(vedtak.get_by_role("status")).to_contain_text("Rettingen er lagret.")
    expect(vedtak.get_by_role("table")).to_contain_text("02.02.2026")
    expect(vedtak.get_by_role("table")).not_to_contain_text("05.01.2026")
    status = m.DerivedStatus.objects.current().get(person=didrik)
    assert status.intro_start_date == dt.date(2026, 2, 2)
    expect(deadline.locator("[data-deadline]")).to_have_text(status.intro_deadline.strftime("%d.%m.%Y"))
    check_page(page, "rett-vedtak-lagret")

    # «Vis detaljer»: the history, with the correction, who made it and why.
    vedtak.get_by_role("link", name=re.compile(r"^Vis detaljer")).first.click()
    expect(page).to_have_url(re.compile(rf"/personer/{didrik.duf}/historikk/"))
    history = page.get_by_role("table")
    corrected = history.locator("tr", has_text="Feil startdato registrert")
    expect(corrected).to_contain_text("Korrigert")
    expect(corrected).to_contain_text("Tora Trondsen")
    expect(corrected).to_contain_text("02.02.2026")
    expect(history.locator("tr", has_text="05.01.2026").filter(has_text="Erstattet").first).to_be_visible()
    page.nir_log.allow(r"status of 4(09|22)")  # (the refused form was answered 200 to htmx; to be safe)


def test_caseworker_annuls_a_final_goal_from_the_history(page, world, login, check_page):
    didrik = world.persons["deltaker"]
    login(page, "saksbehandler-trondheim")
    page.goto(f"/personer/{didrik.duf}/")
    expect(page.locator("#avvik")).not_to_contain_text(DEVIATION_LABELS["final_goal_missing"])
    page.locator("#sluttmaal-intro").get_by_role("link", name=re.compile(r"^Vis detaljer")).first.click()
    expect(page).to_have_url(re.compile(rf"/personer/{didrik.duf}/historikk/"))
    row = page.locator("tr", has_text="Sluttmål").filter(has_text="Gjeldende").first
    row.get_by_role("link", name=re.compile(r"^Slett")).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Slett (annuller)")
    check_page(page, "slett-sluttmaal-bekreft")
    page.get_by_label("Begrunnelse").fill("Registrert på feil person")
    page.get_by_role("button", name="Slett (annuller)").click()
    expect(page).to_have_url(re.compile(rf"/personer/{didrik.duf}/historikk/"))
    expect(page.get_by_role("status").or_(page.locator(".ds-alert")).first).to_contain_text("slettet")
    annulled = page.get_by_role("table").locator("tr", has_text="Registrert på feil person")
    expect(annulled).to_contain_text("Annullert")
    expect(annulled).to_contain_text("Tora Trondsen")
    assert not m.FinalGoal.objects.current().filter(person=didrik).exists()
    # The Regelmotor follows: «sluttmål mangler» on the person page.
    page.goto(f"/personer/{didrik.duf}/")
    expect(page.locator("#avvik")).to_contain_text(DEVIATION_LABELS["final_goal_missing"])
    expect(page.locator("#sluttmaal-intro")).not_to_contain_text("Arbeid - person har ikke")


def test_caseworker_corrects_a_surname(page, world, login, check_page):
    """The person's own details: «Rett» beside them opens a form of its own, pre-filled; saved with a
    reason, the person page shows the new name and the history the old one, who and why."""
    didrik = world.persons["deltaker"]
    details = m.PersonDetails.objects.current().get(person=didrik)
    login(page, "saksbehandler-trondheim")
    page.goto(f"/personer/{didrik.duf}/")
    page.locator(".pp-details-revise").get_by_role("link", name=re.compile(r"^Rett")).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Personopplysninger")
    expect(page.get_by_label("Etternavn")).to_have_value(details.last_name)  # pre-filled
    expect(page.get_by_label("Fornavn")).to_have_value(details.first_name)
    check_page(page, "rett-personopplysninger-skjema")
    page.get_by_label("Etternavn").fill("Rettesen")
    page.get_by_label("Begrunnelse").fill("Skrivefeil i etternavnet")
    page.get_by_role("button", name="Lagre rettingen").click()
    expect(page).to_have_url(re.compile(rf"/personer/{didrik.duf}/$"))
    expect(page.get_by_role("status").or_(page.locator(".ds-alert")).first).to_contain_text("Rettingen er lagret.")
    expect(page.locator("#grunndata")).to_contain_text(f"{details.first_name} Rettesen")
    assert m.PersonDetails.objects.current().get(person=didrik).last_name == "Rettesen"
    page.goto(f"/personer/{didrik.duf}/historikk/")
    corrected = page.get_by_role("table").locator("tr", has_text="Skrivefeil i etternavnet")
    expect(corrected).to_contain_text("Korrigert")
    expect(corrected).to_contain_text("Tora Trondsen")
