"""Browser: a household from ready for settlement to the register (issue 17 §§ 3–4). An IMDi caseworker
proposes the case to Trondheim from the assignment work list; Trondheim's settlement coordinator
accepts with a planned date and confirms the household settled; the person is then in the register,
where Trondheim's caseworker finds them with the rights the Regelmotor derived."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nir.register import models as m
from nir.settlement.models import SettledMember

pytestmark = pytest.mark.browser(
    urls=("settlement_assignment", "settlement_proposals", "settlement_agreements", "settlement_case")
)


def logout(page):
    with page.expect_navigation():
        page.get_by_role("button", name="Logg ut").click()


@pytest.fixture
def household(world):
    from django.contrib.auth import get_user_model

    from nir.access.models import Role
    from nir.actions.acting import Acting
    from nir.settlement.actions import cases
    from nir.testing import settlement_cases as sc
    from nir.testing.builders import make_user

    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    users = get_user_model()
    made = [
        make_user(users, "bosetting-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        make_user(users, "bosetting-trondheim", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
    ]
    reception = make_user(users, "mottak-bruker", "mottak-test", roles=[Role.RECEPTION_CASEWORKER])
    # the world's users' password (conftest.PASSWORD), copied from one of them
    users.objects.filter(pk__in=[u.pk for u in made]).update(
        password=users.objects.get(pk=world.users["trondheim"].pk).password
    )
    sc.capacity("5001", "families", 6)
    return cases.register_case(
        Acting.for_user(reception, channel="web"),
        details=sc.details(),
        members=[sc.adult("Hawa", "Husstand"), sc.child("Ilyas", "Husstand")],
    )


def test_propose_accept_settle_and_the_household_is_in_the_register(page, world, household, login, check_page):
    number = household.number
    today = timezone.localdate()

    login(page, "bosetting-imdi")
    page.goto("/bosetting/fordeling/")
    expect(page.get_by_role("heading", name="Anbefalinger")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("5001")
    check_page(page, "bosetting-fordeling")
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("Foreslå for kommune")).click()
    expect(page.get_by_text(f"Sak {number} er foreslått.")).to_be_visible()
    logout(page)

    login(page, "bosetting-trondheim")
    page.goto("/bosetting/forslag/")
    row = page.get_by_role("row").filter(has_text=number)
    check_page(page, "bosetting-forslag")
    row.get_by_label("Planlagt bosettingsdato").fill(today.isoformat())
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("Send svar")).click()
    expect(page.get_by_text("Svaret er registrert.")).to_be_visible()
    page.get_by_role("navigation", name="Bosetting").get_by_role("link", name="Avtaler", exact=True).click()
    row = page.get_by_role("row").filter(has_text=number)
    check_page(page, "bosetting-avtaler")
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("Bekreft bosatt")).click()
    expect(page).to_have_url(re.compile(rf"/bosetting/saker/{number}/"))
    expect(page.get_by_text("Husstanden er bosatt")).to_be_visible()
    expect(page.get_by_role("heading", name="Kartlegging")).to_be_visible()  # after agreement
    check_page(page, "bosetting-sak-bosatt")
    logout(page)

    adult = next(
        s.person
        for s in SettledMember.objects.select_related("person")
        if m.PersonDetails.objects.current().get(person=s.person).first_name == "Hawa"
    )
    login(page, "saksbehandler-trondheim")
    page.goto(f"/personer/{adult.duf}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Husstand")
    expect(page.locator("#kategori")).to_contain_text("Rett og plikt til introduksjonsprogram")
    check_page(page, "bosetting-person")
