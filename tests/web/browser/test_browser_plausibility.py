"""Browser: plausibility (issue 16 § 3). A caseworker registers participation hours: 99,999 hours in a
month is refused beside «Antall timer» and nothing is stored; 200 hours (above full time) is saved with
a warning on the person page, and the registration is found in the work list «Datakvalitet» of the
Arbeidsflate, linked to the person. The person page lists the open warning near the top; the caseworker
checks it («Kontrollert», with a comment) in the work list, and it leaves the list (the filter «Vis
kontrollerte» shows it with who checked it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from nir.register import models as m

pytestmark = pytest.mark.browser(urls=("person", "person_add", "worklist", "worklist_section", "warning_acknowledge"))


def last_month() -> tuple[dt.date, dt.date]:
    end = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def test_implausible_hours_refused_then_warned_and_listed(page, world, login, check_page):
    person = world.persons["deltaker"]
    login(page, "saksbehandler-trondheim")
    page.goto(f"/personer/{person.duf}/")
    section = page.locator("#deltakelse-intro")
    section.get_by_role("link", name=re.compile(r"^\+ Legg til deltakelse", re.I)).first.click()
    form = section.locator("form")
    expect(form).to_be_visible()
    start, end = last_month()
    form.get_by_label("Fra dato").fill(start.strftime("%d.%m.%Y"))
    form.get_by_label("Til dato").fill(end.strftime("%d.%m.%Y"))

    # 99,999 hours in a month: refused, on the field «Antall timer», nothing stored
    form.get_by_label("Antall timer").fill("99999")
    form.get_by_role("button", name="Lagre").click()
    alert = page.get_by_role("alert").filter(has_text="er umulig for perioden")
    expect(alert).to_be_visible()
    hours = section.locator("form").get_by_label("Antall timer")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(section.locator("form").get_by_label("Fra dato")).not_to_have_attribute("aria-invalid", "true")
    assert not m.Participation.objects.filter(person=person).exists()

    # 200 hours: above full time, saved with a warning shown in the section
    hours.fill("200")
    section.locator("form").get_by_role("button", name="Lagre").click()
    warning = section.locator(".pp-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Lagret, men kontroller registreringen")
    expect(warning).to_contain_text("200 timer er mer enn full tid")
    assert m.Participation.objects.current().filter(person=person).count() == 1
    check_page(page, "plausibilitet-advarsel")

    # the work list: the block «Datakvalitet» on the Arbeidsflate, then the full list
    page.goto("/arbeidsflate/")
    block = page.locator("#block-datakvalitet")
    expect(block).to_contain_text(person.duf)
    check_page(page, "arbeidsflate-datakvalitet")
    block.get_by_role("link", name=re.compile(r"^Vis alle")).first.click()
    expect(page).to_have_url(re.compile(r"/arbeidsflate/datakvalitet/"))
    row = page.get_by_role("row").filter(has_text=person.duf)
    expect(row).to_contain_text("200 timer er mer enn full tid")
    expect(row.get_by_role("link", name="Deltakelse")).to_have_attribute("href", f"/personer/{person.duf}/historikk/")
    check_page(page, "datakvalitet-liste")
    row.get_by_role("link", name=person.duf).click()
    expect(page).to_have_url(re.compile(rf"/personer/{person.duf}/"))

    # the person page: the open warning near the top, with «Kontrollert»
    notice = page.locator("#plausibilitetsadvarsler")
    expect(notice).to_contain_text("200 timer er mer enn full tid")
    expect(notice.get_by_role("button", name=re.compile(r"^Kontrollert"))).to_be_visible()
    check_page(page, "person-plausibilitetsadvarsel")

    # the course really is 200 hours: checked in the work list, with a comment; it leaves the list
    page.goto("/arbeidsflate/datakvalitet/")
    row = page.get_by_role("row").filter(has_text=person.duf)
    row.get_by_label("Kommentar (valgfri)").fill("Intensivkurs, bekreftet av kursleder")
    row.get_by_role("button", name=re.compile(r"^Kontrollert")).click()
    expect(page).to_have_url(re.compile(r"/arbeidsflate/datakvalitet/$"))
    expect(page.get_by_text("Advarselen er kontrollert")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=person.duf)).to_have_count(0)
    assert m.WarningAcknowledgement.objects.filter(person=person).count() == 1
    # «Vis kontrollerte»: the warning with who checked it and the comment
    page.get_by_label("Vis kontrollerte").check()
    page.get_by_role("button", name="Vis", exact=True).click()
    row = page.get_by_role("row").filter(has_text=person.duf)
    expect(row).to_contain_text("Kontrollert av saksbehandler-trondheim")
    expect(row).to_contain_text("Intensivkurs, bekreftet av kursleder")
    check_page(page, "datakvalitet-kontrollerte")
    # the person page no longer shows it
    page.goto(f"/personer/{person.duf}/")
    expect(page.locator("#plausibilitetsadvarsler")).to_have_count(0)
