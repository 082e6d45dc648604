"""The synthetic settlement year (nir.synth.settlement, issue 17 § 8): its shape, its relations and
that it agrees with the register it is generated for."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from synth_support import NOW, NOW_ISO

from nir.register import models as rm
from nir.settlement import models as sm
from nir.synth import settlement as S

pytestmark = pytest.mark.django_db

YEAR = 2025


def _population(persons: int = 2500, seed: int = 2) -> None:
    call_command("synth", persons=persons, seed=seed, now=NOW_ISO, in_process=True, quiet=True, stdout=io.StringIO())


@pytest.fixture
def linked_year():
    _population()
    return S.generate(YEAR, 2, NOW)


def _cases():
    return sm.SettlementCase.objects.filter(number__startswith=f"BS{YEAR}-")


def test_every_settled_member_is_a_register_person_settled_by_agreement_there_and_then(linked_year):
    settlements = sm.CaseSettlement.objects.filter(case__in=_cases()).select_related("case")
    assert settlements.count() == linked_year.settled_households > 20
    register = {
        s.person_id: s for s in rm.Settlement.objects.current().filter(by_agreement=True, settlement_date__year=YEAR)
    }
    linked = set()
    for cs in settlements:
        members = {m.key: m for m in sm.CaseMember.objects.current().filter(case=cs.case)}
        settled = list(sm.SettledMember.objects.filter(settlement=cs))
        # The household is settled whole: one settled member per member, nobody else.
        assert {s.member_key for s in settled} == set(members)
        for s in settled:
            r = register[s.person_id]
            assert (r.municipality, r.district, r.settlement_date) == (cs.municipality, cs.district, cs.settlement_date)
            person = rm.Person.objects.get(pk=s.person_id)
            assert members[s.member_key].duf == person.duf
            linked.add(s.person_id)
        # A settled case has an accepted proposal to that municipality and a current agreement there.
        assert cs.agreement.municipality == cs.municipality
        assert cs.agreement.superseded_at is None and cs.agreement.planned_date == cs.settlement_date
        assert cs.agreement.proposal.answer.answer == sm.AnswerKind.ACCEPTED
    # The register and Bosetting count the same persons: every by-agreement settlement of the year is a case's.
    assert linked == set(register)
    assert linked_year.register_settled_by_agreement == linked_year.settled_persons == len(linked)


def test_households_are_whole_and_the_process_is_consistent(linked_year):
    for case in _cases():
        members = list(sm.CaseMember.objects.current().filter(case=case))
        assert members
        ums = [m for m in members if m.unaccompanied_minor]
        if ums:
            assert len(ums) == len(members) and 1 <= len(members) <= 2
            assert all(m.role == sm.MemberRole.CHILD for m in members)
        else:
            assert any(m.role == sm.MemberRole.ADULT for m in members)
    # No person in two cases (a household is never split over cases).
    dufs = Counter(sm.CaseMember.objects.current().filter(case__in=_cases()).values_list("duf", flat=True))
    assert dufs and max(dufs.values()) == 1
    cases = _cases()
    for d in sm.CaseDetails.objects.current().filter(case__in=cases):
        assert d.permit_date <= d.ready_date
    for cs in sm.CaseSettlement.objects.filter(case__in=cases):
        d = sm.CaseDetails.objects.current().get(case=cs.case)
        assert d.permit_date < cs.settlement_date
    # Every proposal has at most one answer; declined ones carry a reason.
    for a in sm.ProposalAnswer.objects.filter(proposal__case__in=cases):
        if a.answer == sm.AnswerKind.DECLINED:
            assert a.reason
    answers = Counter(sm.ProposalAnswer.objects.filter(proposal__case__in=cases).values_list("answer", flat=True))
    assert answers[sm.AnswerKind.ACCEPTED] > answers[sm.AnswerKind.DECLINED] > 0
    # Mapping per person, of the case's members, recording who and when.
    keys = set(sm.CaseMember.objects.current().filter(case__in=cases).values_list("key", flat=True))
    maps = sm.Mapping.objects.current().filter(case__in=cases)
    assert maps.exists() and all(m.member_key in keys and m.assessed_by for m in maps)
    # Some agreements got a new planned date (the first version superseded, with a reason).
    rescheduled = sm.Agreement.objects.filter(case__in=cases, operation=sm.Operation.CORRECT)
    assert rescheduled.exists() and all(a.change_reason and a.supersedes.superseded_at for a in rescheduled)
    # Need with its revisions, one current; decisions and capacity.
    need = sm.SettlementNeed.objects.filter(year=YEAR)
    assert need.count() == 3 and need.current().count() == 1
    assert sm.MunicipalDecision.objects.current().filter(year=YEAR).exists()
    assert sm.CapacityLine.objects.current().exists()
    # Written by the named synthetic system actor.
    assert set(sm.SettlementCase.objects.values_list("registered_by_system", "source_system")) == {
        (S.SYSTEM_ACTOR, S.SOURCE_SYSTEM)
    }


def test_a_full_year_has_the_2025_shape():
    s = S.generate(YEAR, 5, NOW, cases=1500)
    assert 1400 <= s.cases <= 1600
    assert abs(s.ready_end_persons / s.settled_persons - S.TARGET_READY_END / S.TARGET_SETTLED) < 0.03
    assert 0.03 <= s.special_share <= 0.07
    assert abs(s.um_settled / s.settled_persons - S.TARGET_UM / S.TARGET_SETTLED) < 0.02
    assert 2.5 <= s.wait_months <= 3.7
    assert 0.2 <= s.ready_end_with_agreement / s.ready_end_persons <= 0.5
    # Every settled person is in the register, settled by agreement at the case's place and date.
    assert s.register_settled_by_agreement == s.settled_persons
    # Resettlement refugees (abroad: no place in Norway) and everyone else at a place with its municipality.
    details = sm.CaseDetails.objects.current().filter(case__number__startswith=f"BS{YEAR}-")
    abroad = details.filter(location=sm.CaseLocation.RESETTLEMENT)
    assert abroad.exists() and not abroad.exclude(location_municipality="").exists()
    assert not details.exclude(location=sm.CaseLocation.RESETTLEMENT).filter(location_municipality="").exists()
    # The municipalities decided about 83 % of the request (2025: 15,625 of 18,900).
    requested = sum(r.persons + r.um_persons for r in sm.MunicipalRequest.objects.current().filter(round__year=YEAR))
    assert 0.7 <= s.decided / requested <= 0.92
    # Twice the cases, twice the figures (they scale).
    with pytest.raises(S.SettlementYearExists):
        S.generate(YEAR, 5, NOW, cases=1500)
    big = S.generate(YEAR - 1, 5, NOW, cases=3000)
    assert 1.8 <= big.settled_persons / s.settled_persons <= 2.2
    assert 1.8 <= big.ready_end_persons / s.ready_end_persons <= 2.2


def test_deterministic_by_seed():
    def households(seed: int):
        y = S._Year(YEAR, seed, NOW, 400, S._noop)
        y.build_households()
        return [
            (h.location, h.settled_on, h.municipality, h.state, h.special_kinds, [(m.birth, m.role) for m in h.members])
            for h in y.households
        ]

    first = households(7)
    assert first == households(7)
    assert first != households(8)


def test_summary_command_prints_the_figures_and_refuses_an_empty_year():
    out = io.StringIO()
    call_command("synth", "settlement", settlement_year=YEAR, settlement_cases=300, now=NOW_ISO, quiet=True, stdout=out)
    linked_year = S.summary(YEAR, NOW)
    assert linked_year.cases > 250
    call_command("synth", "settlement-summary", settlement_year=YEAR, now=NOW_ISO, stdout=out)
    text = out.getvalue()
    assert f"{linked_year.settled_persons}" in text and "særlige behov" in text and "ventetid" in text
    with pytest.raises(CommandError):
        call_command("synth", "settlement-summary", settlement_year=2019, now=NOW_ISO, stdout=io.StringIO())


def test_the_request_comes_from_the_planning_actions_when_installed_and_else_the_named_fallback():
    """2025's request was sent before the 2026 criteria were valid: the fallback (population split).
    2026's is computed and sent by the planning actions (s17-planning) when they are installed."""
    S.generate(YEAR, 4, NOW, cases=200)
    fallback = sm.RequestRound.objects.get(year=YEAR)
    assert fallback.parameters_version == "synth-fallback-population" and fallback.sent_at is not None
    assert fallback.need.supersedes_id is None  # computed from the need as first set
    pytest.importorskip("nir.settlement.actions.planning")
    S.generate(2026, 4, NOW, cases=200)
    computed = sm.RequestRound.objects.get(year=2026)
    assert computed.parameters_version != "synth-fallback-population" and computed.sent_at is not None
    lines = sm.MunicipalRequest.objects.current().filter(round=computed)
    assert sum(line.persons for line in lines) == computed.need.persons
