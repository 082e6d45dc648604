"""The history of a settlement case after its changes (issue 17, docs/settlement.md «Endringer»): every
version of details, members, the proposals with their answers and every version of the agreement, with
who/when/why; a municipality sees only the proposals and agreements made to itself."""

import datetime as dt

import pytest
from django.utils import timezone

from nir.access.models import Role
from nir.actions.acting import Acting
from nir.settlement import selectors
from nir.settlement.actions import assignment, cases
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


def test_history_has_every_change_with_its_reason_and_a_municipality_sees_its_own(django_user_model):
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    imdi = make_user(django_user_model, "h-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER])
    koord = make_user(django_user_model, "h-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR])
    mottak = make_user(django_user_model, "h-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER])
    acting = Acting.for_user(imdi, channel="web")
    nr = cases.register_case(Acting.for_user(mottak, channel="web"), details=sc.details(), members=[sc.adult()]).number
    cases.correct_details(acting, nr, {"wishes": "Nord"}, "Ønske meldt")
    sc.capacity("5001", "single_adults", 3)
    sc.capacity("5006", "single_adults", 3)
    first = assignment.propose(acting, nr, "5006")
    assignment.withdraw_proposal(acting, first.pk, "Feil kommune")
    second = assignment.propose(acting, nr, "5001")
    today = timezone.localdate()
    assignment.answer(Acting.for_user(koord, channel="web"), second.pk, accept=True, planned_date=today)
    assignment.change_planned_date(acting, nr, today + dt.timedelta(days=7), "Boligen forsinket")

    history = selectors.case_detail(imdi, nr)["history"]
    reasons = {h["reason"] for h in history}
    assert {"Ønske meldt", "Feil kommune", "Boligen forsinket"} <= reasons
    whats = [h["what"] for h in history]
    assert any("Svar på forslag til kommune 5006: Trukket av IMDi" in w for w in whats)
    assert sum("Avtale om bosetting med kommune 5001" in w for w in whats) == 2  # both versions
    assert all(h["by"] for h in history)
    assert [h["recorded_at"] for h in history] == sorted((h["recorded_at"] for h in history), reverse=True)

    # the municipality (after agreement: the full view) sees its own proposal, not the one to 5006
    own = selectors.case_detail(koord, nr)["history"]
    assert not any("5006" in h["what"] for h in own)
    assert any("Boligen forsinket" == h["reason"] for h in own)
