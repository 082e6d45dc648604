"""Browser: IMDi's caseworker proposes from the recommendation (issue 18). On «Fordeling» the case's
ranked municipalities are shown; proposing the second one without «Begrunnelse for avvik fra
anbefalingen» is refused (422: the reason marked, nothing stored), and with a reason it is proposed with
the recommendation and model version recorded. The model and its inputs are the test-local stand-ins of
tests/settlement/recommend_fakes.py (the live server runs in this process)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from nir.settlement.models import Proposal
from settlement import recommend_fakes as fakes

pytestmark = pytest.mark.browser(urls=("settlement_assignment", "settlement_recommendation_model"))


@pytest.fixture
def household(world, monkeypatch):
    from django.contrib.auth import get_user_model

    from nir.access.models import Role
    from nir.actions.acting import Acting
    from nir.settlement.actions import cases
    from nir.testing import settlement_cases as sc
    from nir.testing.builders import make_user

    fakes.install(monkeypatch)
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    users = get_user_model()
    imdi = make_user(users, "anbefaling-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER])
    users.objects.filter(pk=imdi.pk).update(password=users.objects.get(pk=world.users["trondheim"].pk).password)
    reception = make_user(users, "anbefaling-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER])
    sc.capacity("5006", "families", 6)
    return cases.register_case(
        Acting.for_user(reception, channel="web"),
        details=sc.details(),
        members=[sc.adult("Hawa", "Anbefalt"), sc.child("Ilyas", "Anbefalt")],
    )


def test_propose_another_than_the_top_needs_a_reason(page, world, household, login, check_page):
    number = household.number
    login(page, "anbefaling-imdi")
    page.goto(f"/bosetting/fordeling/?sak={number}")
    section = page.locator("section", has=page.get_by_role("heading", name="Anbefalinger"))
    expect(section.get_by_role("heading", name=f"Anbefalte kommuner for sak {number}")).to_be_visible()
    rows = section.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("5001 Trondheim")
    expect(rows.nth(2)).to_contain_text("5006 Steinkjer")
    check_page(page, "bosetting-anbefaling")

    page.nir_log.allow(r"status of 422")
    with page.expect_navigation():
        section.get_by_role("button", name=re.compile("Foreslå – 5006")).click()
    reason = page.get_by_label("Begrunnelse for avvik fra anbefalingen")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("begrunnelse for avvik fra anbefalingen")
    assert not Proposal.objects.filter(case__number=number).exists()
    check_page(page, "bosetting-anbefaling-avvist")

    reason.fill("Familien har nettverk i Steinkjer")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Foreslå – 5006")).click()
    expect(page.get_by_text(f"Sak {number} er foreslått.")).to_be_visible()
    p = Proposal.objects.get(case__number=number)
    assert (p.municipality, p.model_version) == ("5006", fakes.VERSION)
    assert p.override_reason == "Familien har nettverk i Steinkjer"
    assert p.recommendation["ranked"][0]["number"] == "5001"

    page.goto("/bosetting/anbefaling/modell/")
    expect(page.get_by_role("heading", name="Validering per år holdt utenfor")).to_be_visible()
    check_page(page, "bosetting-anbefaling-modell")
