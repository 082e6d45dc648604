"""Browser: the municipality changes an agreement's planned date on «Avtaler» (issue 17 § 4). Without a
reason the form comes back open, with the date typed and the reason marked; with one, the new date is a
new version of the agreement (the old one kept with who, when and why) and the page says so."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nir.settlement.models import Agreement

pytestmark = pytest.mark.browser(urls=("settlement_agreements",))


@pytest.fixture
def agreed(world):
    from django.contrib.auth import get_user_model

    from nir.access.models import Role
    from nir.actions.acting import Acting
    from nir.settlement.actions import assignment, cases
    from nir.testing import settlement_cases as sc
    from nir.testing.builders import make_user

    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    users = get_user_model()
    imdi = make_user(users, "bosetting-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER])
    coordinator = make_user(users, "bosetting-trondheim", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR])
    reception = make_user(users, "mottak-bruker", "mottak-test", roles=[Role.RECEPTION_CASEWORKER])
    # the world's users' password (conftest.PASSWORD), copied from one of them
    users.objects.filter(pk=coordinator.pk).update(password=users.objects.get(pk=world.users["trondheim"].pk).password)
    sc.capacity("5001", "families", 6)
    case = cases.register_case(
        Acting.for_user(reception, channel="web"),
        details=sc.details(),
        members=[sc.adult("Hawa", "Husstand"), sc.child("Ilyas", "Husstand")],
    )
    proposal = assignment.propose(Acting.for_user(imdi, channel="web"), case.number, "5001")
    planned = timezone.localdate() + dt.timedelta(days=10)
    assignment.answer(Acting.for_user(coordinator, channel="web"), proposal.pk, accept=True, planned_date=planned)
    return case


def test_the_municipality_changes_the_planned_date_with_a_reason(page, world, agreed, login, check_page):
    number = agreed.number
    new_date = timezone.localdate() + dt.timedelta(days=20)
    page.nir_log.allow(r"status of 422")  # the refused change answers 422 with the form
    login(page, "bosetting-trondheim")
    page.goto("/bosetting/avtaler/")
    row = page.get_by_role("row").filter(has_text=number)
    row.get_by_text("Endre planlagt dato").first.click()  # the <summary> opens the form
    row.get_by_label("Ny planlagt bosettingsdato").fill(new_date.isoformat())
    with page.expect_navigation():
        row.get_by_role("button", name="Endre planlagt dato").click()
    # refused: no reason; the form is open again with the date kept and the reason marked
    reason = page.get_by_label("Begrunnelse (påkrevd)").first
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Ny planlagt bosettingsdato").first).to_have_value(new_date.isoformat())
    check_page(page, "bosetting-avtale-endre-feil")
    assert Agreement.objects.current().get(case=agreed).planned_date != new_date

    reason.fill("Boligen blir klar senere")
    with page.expect_navigation():
        page.get_by_role("button", name="Endre planlagt dato").first.click()
    expect(page.get_by_text("Planlagt bosettingsdato er endret.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=number)).to_contain_text(re.compile(new_date.strftime("%d.%m.%Y")))
    versions = Agreement.objects.filter(case=agreed).order_by("recorded_at")
    assert [v.planned_date for v in versions][-1] == new_date and versions.count() == 2
    assert versions.last().change_reason == "Boligen blir klar senere"
