"""The workflow of settlement.md §§ 1.5–1.8 through the actions: case → proposal → accept → settled →
register persons with derived rights; all or nothing; who may do what."""

import datetime as dt

import pytest
from django.utils import timezone

from nir.access.models import AuditEvent, Role
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.register import models as rm
from nir.settlement import selectors, store
from nir.settlement.actions import assignment, cases
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import (
    Agreement,
    AnswerKind,
    CaseMember,
    CaseSettlement,
    Proposal,
    ProposalAnswer,
    SettledMember,
)
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    return {
        "imdi": make_user(django_user_model, "bs-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "kommune": make_user(django_user_model, "bs-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
        "bergen": make_user(django_user_model, "bs-bergen", "k-4601", roles=[Role.SETTLEMENT_COORDINATOR]),
        "mottak": make_user(django_user_model, "bs-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
    }


def web(user):
    return Acting.for_user(user, channel="web")


def family_case(user, **detail_changes):
    return cases.register_case(
        web(user),
        details=sc.details(**detail_changes),
        members=[sc.adult(), sc.adult("Omar", "Testesen", sex="male", birth_date=dt.date(1988, 5, 6)), sc.child()],
    )


def test_case_to_register_person_with_rights(people):
    today = timezone.localdate()
    case = family_case(people["mottak"])
    assert case.number.startswith(f"BS-{today.year}-") and len(case.number) == 14
    assert selectors.case_status(case) == selectors.Status.READY
    sc.capacity("5001", "families", 10)
    assert selectors.free_capacity("5001", "families", today) == 10

    proposal = assignment.propose(web(people["imdi"]), case.number, "5001")
    assert proposal.deadline == today + dt.timedelta(days=14)
    assert selectors.case_status(case) == selectors.Status.PROPOSED

    assignment.answer(web(people["kommune"]), proposal.pk, accept=True, planned_date=today)
    agreement = Agreement.objects.current().get(case=case)
    assert (agreement.capacity_kind, agreement.persons, agreement.municipality) == ("families", 3, "5001")
    assert selectors.free_capacity("5001", "families", today) == 7
    assert selectors.case_status(case) == selectors.Status.AGREED

    settled = assignment.settle(web(people["kommune"]), case.number, settlement_date=today)
    assert selectors.case_status(case) == selectors.Status.SETTLED
    links = list(SettledMember.objects.filter(settlement=settled).select_related("person"))
    assert len(links) == 3
    for link in links:
        person = link.person
        s = rm.Settlement.objects.current().get(person=person)
        assert (s.municipality, s.settlement_date, s.by_agreement) == ("5001", today, True)
        assert rm.FollowUp.objects.current().get(person=person).municipality == "5001"
        assert rm.Residence.objects.current().get(person=person).valid_from == today
        assert rm.ResidencePermit.objects.current().get(person=person).basis == "utl_28"
        status = rm.DerivedStatus.objects.current().get(person=person)
        assert status.law  # the Regelmotor derived the person's rights at once
    adults = [
        lk.person for lk in links if rm.PersonDetails.objects.current().get(person=lk.person).birth_date.year < 2000
    ]
    assert len(adults) == 2
    assert all(rm.DerivedStatus.objects.current().get(person=p).intro_category not in ("", "none") for p in adults)
    event = AuditEvent.objects.filter(what="settlement.settle").get()
    assert event.user_id == people["kommune"].pk and event.person_count == 3
    assert event.filters["register_actor"] == "Bosetting" and event.filters["case"] == case.number


def test_settle_is_all_or_nothing(people):
    today = timezone.localdate()
    case = family_case(people["mottak"])
    sc.capacity("5001", "families", 10)
    proposal = assignment.propose(web(people["imdi"]), case.number, "5001")
    assignment.answer(web(people["kommune"]), proposal.pk, accept=True, planned_date=today)
    # one member the register refuses (an identity number that is not one), past the case's checks
    member = CaseMember.objects.current().filter(case=case).order_by("pk").last()
    store.supersede(member, Acting.system("Test"), "test", national_id="12345678901")
    persons_before = rm.Person.objects.count()
    with pytest.raises(SettlementRefused) as e:
        assignment.settle(web(people["kommune"]), case.number, settlement_date=today)
    assert e.value.field.startswith("members.2.")
    assert rm.Person.objects.count() == persons_before
    assert not rm.Settlement.objects.exists() and not rm.DerivedStatus.objects.exists()
    assert not CaseSettlement.objects.exists() and not SettledMember.objects.exists()
    assert not AuditEvent.objects.filter(what="settlement.settle").exists()
    assert selectors.case_status(case) == selectors.Status.AGREED


def test_member_already_in_register_gets_only_the_new_facts(people):
    from nir.register.actors import REGELMOTOR, Actor
    from nir.testing.builders import Register

    known = Register(Actor.for_system(REGELMOTOR, source_system="test")).person("Kari", "Kjent", municipality="4601")
    today = timezone.localdate()
    case = cases.register_case(
        web(people["mottak"]),
        details=sc.details(),
        members=[sc.adult("Kari", "Kjent", duf=known.duf, birth_date=dt.date(1990, 1, 15))],
    )
    sc.capacity("5001", "single_adults", 2)
    p = assignment.propose(web(people["imdi"]), case.number, "5001")
    assignment.answer(web(people["kommune"]), p.pk, accept=True, planned_date=today)
    assignment.settle(web(people["kommune"]), case.number, settlement_date=today)
    assert rm.Person.objects.filter(duf=known.duf).count() == 1
    assert rm.PersonDetails.objects.filter(person=known).count() == 1  # details not written again
    assert rm.FollowUp.objects.current().filter(person=known, valid_to__isnull=True).get().municipality == "5001"
    assert rm.Settlement.objects.current().filter(person=known, municipality="5001", by_agreement=True).exists()


def test_propose_needs_capacity_of_the_right_kind_and_region(people):
    case = family_case(people["mottak"])
    with pytest.raises(SettlementRefused) as e:
        assignment.propose(web(people["imdi"]), case.number, "5001")
    assert e.value.field == "municipality" and "kapasitet" in e.value.message
    sc.capacity("5001", "single_adults", 10)  # the wrong kind
    with pytest.raises(SettlementRefused):
        assignment.propose(web(people["imdi"]), case.number, "5001")
    sc.capacity("5001", "families", 2)  # too few places for three persons
    with pytest.raises(SettlementRefused):
        assignment.propose(web(people["imdi"]), case.number, "5001")
    sc.capacity("4601", "families", 10)
    with pytest.raises(AccessDenied):  # Bergen (Vestland) is outside the Trøndelag office's region
        assignment.propose(web(people["imdi"]), case.number, "4601")
    with pytest.raises(AccessDenied):  # a municipality does not propose
        assignment.propose(web(people["kommune"]), case.number, "5001")
    assert not Proposal.objects.exists()


def test_closed_capacity_and_special_needs(people):
    case = family_case(people["mottak"], special_need_level="minor", special_need_kinds=["mobility"])
    sc.capacity("5001", "families", 10)
    with pytest.raises(SettlementRefused) as e:
        assignment.propose(web(people["imdi"]), case.number, "5001")
    assert "behovene" in e.value.message
    sc.capacity("5001", "families", 5, accessible_housing=True)
    assert assignment.propose(web(people["imdi"]), case.number, "5001")
    sc.capacity("5001", "single_adults", 5, closed=True)
    assert selectors.free_capacity("5001", "single_adults", timezone.localdate()) == 0


def test_answers_decline_deadline_withdraw_cancel(people):
    today = timezone.localdate()
    case = family_case(people["mottak"])
    sc.capacity("5001", "families", 10)
    p = assignment.propose(web(people["imdi"]), case.number, "5001")
    with pytest.raises(SettlementRefused):  # a second proposal while one is open
        assignment.propose(web(people["imdi"]), case.number, "5001")
    with pytest.raises(AccessDenied):  # Bergen does not answer Trondheim's proposals
        assignment.answer(web(people["bergen"]), p.pk, accept=False, reason="nei")
    with pytest.raises(SettlementRefused) as e:
        assignment.answer(web(people["kommune"]), p.pk, accept=False, reason=" ")
    assert e.value.field == "reason"
    assignment.answer(web(people["kommune"]), p.pk, accept=False, reason="Ingen bolig ledig")
    assert ProposalAnswer.objects.get(proposal=p).answer == AnswerKind.DECLINED
    assert selectors.case_status(case) == selectors.Status.READY

    # a proposal whose deadline has passed (rows are append-only: stored as made two weeks ago)
    p2 = store.create(
        Proposal, Acting.system("Test"), case=case, municipality="5001", deadline=today - dt.timedelta(days=1)
    )
    with pytest.raises(SettlementRefused) as e:
        assignment.answer(web(people["kommune"]), p2.pk, accept=True, planned_date=today)
    assert "svarfristen" in e.value.message
    assert selectors.case_status(case) == selectors.Status.READY  # an expired proposal is no longer open

    p3 = assignment.propose(web(people["imdi"]), case.number, "5001")
    assignment.withdraw_proposal(web(people["imdi"]), p3.pk, "Feil kommune")
    p4 = assignment.propose(web(people["imdi"]), case.number, "5001")
    assignment.answer(web(people["kommune"]), p4.pk, accept=True, planned_date=today + dt.timedelta(days=5))
    new = assignment.change_planned_date(
        web(people["kommune"]), case.number, today + dt.timedelta(days=9), "Bolig senere"
    )
    assert new.planned_date == today + dt.timedelta(days=9) and new.supersedes_id
    assignment.cancel_agreement(web(people["kommune"]), case.number, "Husstanden flyttet privat")
    assert selectors.case_status(case) == selectors.Status.READY
    assert selectors.free_capacity("5001", "families", today) == 10
