"""The whole Bosetting process end to end through its actions only (issue 17, «What must be shown»;
settlement.md § 1): the year's need → the request round → the municipality's decision → its capacity →
a reception centre's case and mapping → IMDi's proposal → the municipality accepts → settled → every
member a register person with a Settlement by agreement, a follow-up in the municipality and the
Regelmotor's derived rights; the figures count the household, the capacity used by it, the mapping
seen by the municipality only after the agreement, every step audited. And all or nothing at the
workflow level: a refused settlement changes no figure, no capacity and no register row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.register import models as rm
from nir.settlement import capacity, figures, selectors, store
from nir.settlement.actions import assignment, cases, municipal, planning
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import CaseMember, SettledMember
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db

TRONDHEIM = "5001"


@pytest.fixture
def actors(django_user_model):
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")

    def web(username, org, role):
        return Acting.for_user(make_user(django_user_model, username, org, roles=[role]), channel="web")

    return {
        "planner": web("e2e-plan", "imdi", Role.SETTLEMENT_NATIONAL),
        "imdi": web("e2e-imdi", "imdi-midt", Role.SETTLEMENT_CASEWORKER),
        "kommune": web("e2e-koord", "k-5001", Role.SETTLEMENT_COORDINATOR),
        "mottak": Acting.for_user(
            make_user(django_user_model, "e2e-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
            channel="api",
        ),
    }


def _whats(since: int) -> list[str]:
    return list(AuditEvent.objects.filter(pk__gt=since, action="write").order_by("pk").values_list("what", flat=True))


def _plan_and_prepare(actors, today: dt.date) -> int:
    """Need, request round, decision and capacity for Trondheim; returns the free family places."""
    year = today.year
    planning.set_need(actors["planner"], year=year, persons=12000, um_persons=800, decided_on=today)
    planning.load_indicators(actors["planner"])
    rnd = planning.compute_round(actors["planner"], year, on=today)
    planning.send_round(actors["planner"], rnd)
    asked = capacity.request_for(TRONDHEIM, year)
    assert asked is not None and asked.persons > 0  # the sent round asks Trondheim for some persons
    decision = municipal.register_decision(
        actors["kommune"],
        TRONDHEIM,
        year,
        status="decided",
        persons=asked.persons,
        um_persons=asked.um_persons,
        decision_date=today,
    )
    assert capacity.current_decision(TRONDHEIM, year).pk == decision.pk
    municipal.add_capacity(
        actors["kommune"],
        TRONDHEIM,
        kind="families",
        period_from=today.replace(day=1),
        period_to=dt.date(year, 12, 31),
        places=10,
        largest_household=5,
    )
    return selectors.free_capacity(TRONDHEIM, "families", today)


def _family_case(actors):
    case = cases.register_case(
        actors["mottak"],
        details=sc.details(),
        members=[sc.adult(), sc.child()],
    )
    adult = CaseMember.objects.current().filter(case=case, role="adult").get()
    cases.register_mapping(
        actors["mottak"],
        case.number,
        adult.key,
        {
            "kind": "competence",
            "assessed_on": timezone.localdate(),
            "assessed_by": "Kari Kartlegger, Testmottak",
            "content": {"education": "upper_secondary", "languages": ["ar", "en"]},
        },
    )
    return case


def test_from_the_need_to_a_register_person_with_rights(actors):
    today = timezone.localdate()
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    free_before = _plan_and_prepare(actors, today)
    assert free_before == 10
    settled_before = figures.compute(today.year).values["settled"]

    case = _family_case(actors)
    coordinator = actors["kommune"].principal
    assert selectors.case_detail(coordinator, case.number) is None  # not proposed to it: not seen at all

    proposal = assignment.propose(actors["imdi"], case.number, TRONDHEIM)
    seen = selectors.case_detail(coordinator, case.number)
    assert seen is not None and "mappings" not in seen  # proposed: the case, not its mapping

    assignment.answer(actors["kommune"], proposal.pk, accept=True, planned_date=today)
    seen = selectors.case_detail(coordinator, case.number)
    assert [m["kind"] for m in seen["mappings"]] == ["competence"]  # after the agreement: the mapping
    assert selectors.free_capacity(TRONDHEIM, "families", today) == free_before - 2  # used by the household

    settled = assignment.settle(actors["kommune"], case.number, settlement_date=today)
    assert selectors.case_status(case) == selectors.Status.SETTLED
    links = list(SettledMember.objects.filter(settlement=settled).select_related("person"))
    assert len(links) == 2
    for link in links:
        person = link.person
        s = rm.Settlement.objects.current().get(person=person)
        assert (s.municipality, s.settlement_date, s.by_agreement) == (TRONDHEIM, today, True)
        assert rm.FollowUp.objects.current().get(person=person).municipality == TRONDHEIM
        assert rm.DerivedStatus.objects.current().get(person=person).law  # the Regelmotor derived at once
    adult = next(
        lk.person for lk in links if rm.PersonDetails.objects.current().get(person=lk.person).birth_date.year == 1990
    )
    assert rm.DerivedStatus.objects.current().get(person=adult).intro_category == "right_and_duty"

    assert figures.compute(today.year).values["settled"] == settled_before + 2
    by_municipality = {r.code: r.values for r in figures.compute(today.year).by_municipality}
    assert by_municipality[TRONDHEIM]["settled"] == 2
    assert selectors.free_capacity(TRONDHEIM, "families", today) == free_before - 2  # settled: still used

    whats = _whats(start)
    assert [w for w in whats if w.startswith("settlement.")] == [
        "settlement.need",
        "settlement.indicators",
        "settlement.request_round",
        "settlement.request_send",
        "settlement.decision",
        "settlement.capacity",
        "settlement.case.register",
        "settlement.mapping.register",
        "settlement.proposal.create",
        "settlement.proposal.accept",
        "settlement.settle",
    ]
    # the register's own writes of the settle, one set per member (through nir.actions)
    register = [w for w in whats if not w.startswith("settlement.")]
    assert sorted(register) == sorted(
        2 * ["person:create", "settlement:permit", "settlement:residence", "settlement:follow_up", "settlement:settled"]
    )


def test_a_refused_settlement_changes_nothing_and_the_household_settles_once_corrected(actors):
    today = timezone.localdate()
    free_before = _plan_and_prepare(actors, today)
    case = _family_case(actors)
    proposal = assignment.propose(actors["imdi"], case.number, TRONDHEIM)
    assignment.answer(actors["kommune"], proposal.pk, accept=True, planned_date=today)
    settled_before = figures.compute(today.year).values["settled"]
    persons_before = rm.Person.objects.count()
    # the child's identity number is one the register refuses (past the case's own checks)
    child = CaseMember.objects.current().filter(case=case, role="child").get()
    bad = store.supersede(child, Acting.system("Test"), "test", national_id="12345678901")
    with pytest.raises(SettlementRefused):
        assignment.settle(actors["kommune"], case.number, settlement_date=today)
    assert rm.Person.objects.count() == persons_before
    assert not rm.Settlement.objects.exists() and not rm.DerivedStatus.objects.exists()
    assert figures.compute(today.year).values["settled"] == settled_before
    assert selectors.case_status(case) == selectors.Status.AGREED
    assert selectors.free_capacity(TRONDHEIM, "families", today) == free_before - 2  # still the agreement's
    assert not AuditEvent.objects.filter(what="settlement.settle").exists()

    store.supersede(bad, Acting.system("Test"), "test", national_id="")
    assignment.settle(actors["kommune"], case.number, settlement_date=today)
    assert rm.Settlement.objects.current().filter(by_agreement=True).count() == 2
    assert figures.compute(today.year).values["settled"] == settled_before + 2
