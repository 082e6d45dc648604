"""Changes to a settlement case after registration through the API (issue 17): corrections of the
details and of a person, removal of a person, withdrawal of the case and of a proposal, a new planned
date and cancellation of the agreement — each with its reason, audited; refused callers and input
store nothing."""

# ruff: noqa: F811  (the api fixture of test_api_settlement_cases, imported)

import datetime as dt

import pytest
from django.utils import timezone
from test_api_settlement_cases import api, call, case_body  # noqa: F401  (the fixture and helpers)

from nir.access.models import AuditEvent
from nir.actions.acting import Acting
from nir.settlement.actions import assignment
from nir.settlement.models import Agreement, CaseDetails, CaseMember, ProposalAnswer
from nir.settlement.selectors import free_capacity

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def two_person_case(client, who):
    body = case_body(
        members=[
            case_body()["members"][0],
            {"first_name": "Bilal", "last_name": "Testesen", "birth_date": "2015-05-06", "role": "child"},
        ]
    )
    r = call(client, who, "post", "/settlement/cases", body)
    assert r.status_code == 201, r.content
    return r.json()


def counts(number):
    return (
        CaseDetails.objects.filter(case__number=number).count(),
        CaseMember.objects.filter(case__number=number).count(),
        AuditEvent.objects.filter(action="write").count(),
    )


def test_correct_details_with_reason_keeps_the_old_version(api, client):
    case = two_person_case(client, api["mottak"])
    nr = case["number"]
    r = call(client, api["mottak"], "post", f"/settlement/cases/{nr}/corrections", {"reason": "Feil", "wishes": "Nord"})
    assert r.status_code == 201, r.content
    assert r.json()["wishes"] == "Nord" and r.json()["special_need_kinds"] == ["mental"]  # the rest as it was
    versions = CaseDetails.objects.filter(case__number=nr).order_by("pk")
    assert [v.operation for v in versions] == ["create", "correct"] and versions[1].change_reason == "Feil"
    event = AuditEvent.objects.filter(what="settlement.case.correct").latest("pk")
    assert event.filters["case"] == nr and event.filters["fields"] == ["wishes"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reason": " ", "wishes": "Nord"}, "reason"),
        ({"reason": "Feil", "ready_date": "1990-01-01"}, "ready_date"),  # before the permit date
        ({"reason": "Feil"}, "values"),  # changes nothing
    ],
)
def test_refused_correction_names_the_field_and_stores_nothing(api, client, body, field):
    nr = two_person_case(client, api["mottak"])["number"]
    before = counts(nr)
    r = call(client, api["mottak"], "post", f"/settlement/cases/{nr}/corrections", body)
    assert r.status_code == 422, r.content
    assert field in [e["field"] for e in r.json()["errors"]]
    assert counts(nr) == before


def test_who_may_not_change_a_case_gets_403_or_404_and_nothing_is_stored(api, client):
    nr = two_person_case(client, api["mottak"])["number"]
    before = counts(nr)
    body = {"reason": "Feil", "wishes": "Sør"}
    assert call(client, api["annet"], "post", f"/settlement/cases/{nr}/corrections", body).status_code == 404
    assert call(client, api["kommune"], "post", f"/settlement/cases/{nr}/corrections", body).status_code == 403
    assert call(client, api["annet"], "post", f"/settlement/cases/{nr}/withdrawals", body).status_code == 404
    assert call(client, api["mottak"], "post", "/settlement/cases/BS-1999-000001/corrections", body).status_code == 404
    assert counts(nr) == before


def test_correct_and_remove_a_member(api, client):
    case = two_person_case(client, api["mottak"])
    nr, child = case["number"], case["members"][1]["key"]
    path = f"/settlement/cases/{nr}/members/{child}"
    r = call(client, api["mottak"], "post", f"{path}/corrections", {"reason": "Skrivefeil", "first_name": "Bilaal"})
    assert r.status_code == 201, r.content
    assert [m["first_name"] for m in r.json()["members"]] == ["Amal", "Bilaal"]
    event = AuditEvent.objects.filter(what="settlement.case.member.correct", filters__case=nr).get()
    assert event.filters["member"] == child and event.filters["fields"] == ["first_name"]
    # a child of 30 is refused, naming the field
    r = call(client, api["mottak"], "post", f"{path}/corrections", {"reason": "x", "birth_date": "1996-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "role"
    r = call(client, api["mottak"], "post", f"{path}/removals", {"reason": "Flyttet til far"})
    assert r.status_code == 201, r.content
    assert [m["first_name"] for m in r.json()["members"]] == ["Amal"]
    removed = CaseMember.objects.filter(case__number=nr, operation="annul").get()
    assert removed.change_reason == "Flyttet til far"
    assert AuditEvent.objects.filter(what="settlement.case.member.remove", filters__case=nr).exists()
    # the last person stays; an unknown person is not found
    adult = case["members"][0]["key"]
    r = call(client, api["mottak"], "post", f"/settlement/cases/{nr}/members/{adult}/removals", {"reason": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "members"
    r = call(client, api["mottak"], "post", f"{path}/removals", {"reason": "x"})  # already removed
    assert r.status_code == 404
    assert (
        call(
            client, api["mottak"], "post", f"/settlement/cases/{nr}/members/nope/removals", {"reason": "x"}
        ).status_code
        == 404
    )


def test_withdraw_proposal_then_case(api, client):
    sc_capacity()
    nr = two_person_case(client, api["mottak"])["number"]
    p = assignment.propose(Acting.system("Test"), nr, "5001")
    # an open proposal stands in the way of withdrawing the case
    r = call(client, api["mottak"], "post", f"/settlement/cases/{nr}/withdrawals", {"reason": "Flyttet selv"})
    assert r.status_code == 409
    # only IMDi withdraws a proposal
    assert (
        call(client, api["kommune"], "post", f"/settlement/proposals/{p.pk}/withdrawals", {"reason": "x"}).status_code
        == 403
    )
    r = call(client, api["imdi"], "post", f"/settlement/proposals/{p.pk}/withdrawals", {"reason": " "})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = call(client, api["imdi"], "post", f"/settlement/proposals/{p.pk}/withdrawals", {"reason": "Feil kommune"})
    assert r.status_code == 201 and r.json() == {"proposal": p.pk, "answer": "withdrawn", "reason": "Feil kommune"}
    assert ProposalAnswer.objects.get(proposal=p).answer == "withdrawn"
    assert AuditEvent.objects.filter(what="settlement.proposal.withdraw", filters__case=nr, channel="api").exists()
    assert (
        call(client, api["imdi"], "post", f"/settlement/proposals/{p.pk}/withdrawals", {"reason": "x"}).status_code
        == 409
    )
    assert (
        call(client, api["imdi"], "post", "/settlement/proposals/999999/withdrawals", {"reason": "x"}).status_code
        == 404
    )
    # the case may be proposed again (and the withdrawn proposal holds none of the capacity)
    assert free_capacity("5001", "families", TODAY()) == 5
    again = assignment.propose(Acting.system("Test"), nr, "5001")
    assignment.withdraw_proposal(Acting.system("Test"), again.pk, "Likevel ikke")
    r = call(client, api["mottak"], "post", f"/settlement/cases/{nr}/withdrawals", {"reason": "Flyttet selv"})
    assert r.status_code == 201 and r.json()["status"] == "withdrawn"
    assert AuditEvent.objects.filter(what="settlement.case.withdraw", filters__case=nr).exists()
    r = call(client, api["imdi"], "get", "/settlement/cases", status="ready")
    assert nr not in [c["number"] for c in r.json()["rows"]]
    r = call(client, api["mottak"], "post", f"/settlement/cases/{nr}/withdrawals", {"reason": "igjen"})
    assert r.status_code == 409


def sc_capacity():
    from nir.testing import settlement_cases as sc

    sc.capacity("5001", "families", 5, mental_health_services=True)


def test_change_planned_date_and_cancel_agreement(api, client):
    sc_capacity()
    nr = two_person_case(client, api["mottak"])["number"]
    system = Acting.system("Test")
    p = assignment.propose(system, nr, "5001")
    assignment.answer(system, p.pk, accept=True, planned_date=TODAY() + dt.timedelta(days=10))
    assert free_capacity("5001", "families", TODAY()) == 3  # the household's two persons
    new_date = str(TODAY() + dt.timedelta(days=20))
    path = f"/settlement/cases/{nr}/agreement"
    body = {"planned_date": new_date, "reason": "Boligen blir klar senere"}
    assert call(client, api["bergen"], "post", f"{path}/corrections", body).status_code == 403
    r = call(client, api["kommune"], "post", f"{path}/corrections", {**body, "planned_date": "2000-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "planned_date"
    r = call(client, api["kommune"], "post", f"{path}/corrections", {**body, "reason": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    assert Agreement.objects.filter(case__number=nr).count() == 1
    r = call(client, api["kommune"], "post", f"{path}/corrections", body)
    assert r.status_code == 201, r.content
    assert r.json()["agreement"]["planned_date"] == new_date
    versions = Agreement.objects.filter(case__number=nr).order_by("pk")
    assert AuditEvent.objects.filter(what="settlement.agreement.change", filters__planned_date=new_date).exists()
    assert [str(v.planned_date) for v in versions][1] == new_date and versions[1].change_reason == body["reason"]
    # IMDi's caseworker of the region cancels on the municipality's behalf
    assert call(client, api["bergen"], "post", f"{path}/cancellations", {"reason": "x"}).status_code == 403
    r = call(client, api["imdi"], "post", f"{path}/cancellations", {"reason": "Familien takket nei"})
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "ready" and "agreement" not in r.json()
    assert AuditEvent.objects.filter(what="settlement.agreement.cancel", filters__case=nr).exists()
    assert call(client, api["imdi"], "post", f"{path}/cancellations", {"reason": "x"}).status_code == 409
    assert free_capacity("5001", "families", TODAY()) == 5  # the capacity is free again
    # ready again: it can be proposed anew
    assert assignment.propose(system, nr, "5001").pk != p.pk
