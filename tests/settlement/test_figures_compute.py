"""The settlement figures (settlement.md § 3) against a small, hand-counted settlement year, as known at
different moments, per area, and the weekly list by age group."""

from __future__ import annotations

import datetime as dt

import pytest

from nir.access.settlement import Area
from nir.settlement import figures
from nir.settlement.models import CaseLocation, SpecialNeedLevel
from nir.testing.settlement_builders import SettlementWorld, at

pytestmark = pytest.mark.django_db

D = dt.date
LATER = at(2026, 2, 1)  # everything is known
NEW_YEAR_EVE = at(2025, 12, 31, 23)  # H7's settlement (20.12.) is recorded only on 5.1.2026


@pytest.fixture
def year():
    """Seven households of 2025 (H1–H7), the request, decisions, need and capacity."""
    w = SettlementWorld()
    h = {}
    # H1: a family of four with collective protection, from reception, settled in Trondheim after 90 days
    h[1] = w.case(
        [
            w.adult(collective_protection=True),
            w.adult(collective_protection=True),
            w.child(D(2019, 1, 1), collective_protection=True),
            w.child(D(2012, 6, 1), collective_protection=True),
        ],
        permit=D(2025, 1, 10),
    )
    w.settle(h[1], "5001", D(2025, 4, 10))
    # H2: a single adult living privately, settled in Bergen after 90 days; later corrected to reception
    h[2] = w.case([w.adult(D(1960, 3, 1))], permit=D(2025, 2, 1), location=CaseLocation.PRIVATE)
    w.settle(h[2], "4601", D(2025, 5, 2))
    # H3: an EM without følgeperson from a Bufetat care centre, with special needs, 181 days
    h[3] = w.case(
        [w.um(D(2012, 1, 1))],
        permit=D(2025, 1, 1),
        location=CaseLocation.BUFETAT,
        special=SpecialNeedLevel.MINOR,
    )
    w.settle(h[3], "5001", D(2025, 7, 1))
    # H4: an EM with følgeperson and the adult following it, from reception, 92 days
    h[4] = w.case([w.um(D(2010, 1, 1), companion=True), w.adult(D(2000, 1, 1))], permit=D(2025, 3, 1))
    w.settle(h[4], "5001", D(2025, 6, 1))
    # H5: resettlement refugees (adult and child) from abroad, settled in Bergen after 45 days
    h[5] = w.case(
        [w.adult(resettlement_refugee=True), w.child(D(2020, 2, 2), resettlement_refugee=True)],
        permit=D(2025, 8, 1),
        location=CaseLocation.RESETTLEMENT,
    )
    w.settle(h[5], "4601", D(2025, 9, 15))
    # H6: two adults in reception in Trondheim, ready 15.10., agreement 1.12., not settled
    h[6] = w.case([w.adult(), w.adult()], permit=D(2025, 10, 1), ready=D(2025, 10, 15))
    w.agree(h[6], "5001", at(2025, 12, 1))
    # H7: one adult, ready 10.11., agreement 16.12., settled 20.12. but recorded 5.1.2026
    h[7] = w.case([w.adult(D(1950, 12, 30))], permit=D(2025, 11, 1), ready=D(2025, 11, 10))
    w.settle(h[7], "5001", D(2025, 12, 20), recorded=at(2026, 1, 5))
    w.correct_details(h[2], at(2025, 8, 1), location=CaseLocation.RECEPTION)
    # need, request (the sent round counts, not the later draft), decisions, capacity
    w.need(2025, 15, 2, at(2025, 1, 5))
    w.request_round(2025, {"5001": (10, 2), "4601": (5, 0)}, sent=at(2025, 2, 1))
    w.request_round(2025, {"5001": (99, 9)}, sent=None)
    w.decision("5001", 2025, 8, 1, at(2025, 3, 1))
    w.decision("4601", 2025, 0, 0, at(2025, 3, 2), status="declined")
    w.decision("5001", 2025, 9, 2, at(2025, 6, 1))
    w.need(2025, 20, 3, at(2025, 6, 15))
    w.capacity("5001", 6, at(2025, 2, 10))
    return h


def months(days: float) -> float:
    return round(days / figures.DAYS_PER_MONTH, 1)


def test_every_settled_figure_hand_counted(year):
    v = figures.compute(2025, known_at=LATER).values
    assert v["settled"] == 11
    assert v["settled_resettlement"] == 2
    assert v["settled_collective"] == 4
    assert (v["settled_um"], v["settled_um_companion"], v["settled_um_alone"]) == (2, 1, 1)
    assert (v["settled_um_bufetat"], v["settled_um_imdi"]) == (1, 1)
    # families with children: H1 (4 persons, 2 children) and H5 (2, 1); H4's EM is no family's child
    assert (v["family_persons"], v["family_children"], v["families"]) == (6, 3, 2)
    assert v["other_adults"] == 3  # H2, H4's følgeperson, H7
    # H2 was corrected to reception; H3's Bufetat care centre counts as reception
    assert (v["from_reception"], v["from_outside"], v["from_abroad"]) == (9, 0, 2)
    assert v["special_needs"] == 1 and v["special_needs_share"] == round(1 / 11, 4)
    waits = {1: 90, 2: 90, 3: 181, 4: 92, 5: 45, 7: 49}
    total = 4 * waits[1] + waits[2] + waits[3] + 2 * waits[4] + 2 * waits[5] + waits[7]
    assert v["wait_total"] == months(total / 11)
    assert v["wait_um"] == months((waits[3] + waits[4]) / 2)
    assert v["wait_family"] == months((4 * waits[1] + 2 * waits[5]) / 6)
    assert v["wait_other"] == months((waits[2] + waits[4] + waits[7]) / 3)
    assert v["wait_collective"] == months(waits[1])
    assert v["wait_not_collective"] == months((total - 4 * waits[1]) / 7)


def test_assignment_request_decision_and_coverage(year):
    f = figures.compute(2025, known_at=LATER)
    v = f.values
    # a proposal per settled or agreed household, 20 days before the settlement (H7's on 16.12.)
    assert v["proposals"] == 7 and v["proposals_special"] == 1
    assert v["proposals_special_share"] == round(1 / 7, 4)
    assert v["agreements"] == 7
    assert (v["requested"], v["requested_um"]) == (15, 2)  # the sent round, not the draft
    assert (v["decided"], v["decided_um"]) == (9, 2)  # the changed decision; Bergen declined
    assert v["capacity"] == 6
    assert f.need == {"persons": 20, "um_persons": 3, "decided_on": D(2025, 6, 15)}
    assert (v["coverage"], v["coverage_um"]) == (0.45, round(2 / 3, 4))
    rows = {r.code: r.values for r in f.by_municipality}
    assert (rows["5001"]["requested"], rows["5001"]["decided"], rows["5001"]["settled"]) == (10, 9, 8)
    assert (rows["5001"]["settled_um"], rows["5001"]["coverage"]) == (2, 0.9)
    assert (rows["4601"]["requested"], rows["4601"]["decided"], rows["4601"]["settled"]) == (5, 0, 3)
    counties = {r.code: r.values["settled"] for r in f.by_county}
    assert counties["50"] == 8 and counties["46"] == 3 and counties["03"] == 0  # every county has a row
    assert len(counties) == 15 and sum(counties.values()) == 11
    regions = {r.code: r.values for r in figures.by_region(f)}
    assert {k: v["settled"] for k, v in regions.items()} == {code: 0 for code in figures.REGIONS} | {
        "region-vest": 3,
        "region-midt": 8,
    }
    # averages of a region from its counties' sums: Bergen's H2 (90 days) and H5 (2 × 45 days)
    assert regions["region-vest"]["wait_total"] == months((90 + 2 * 45) / 3)
    assert regions["region-ost"]["wait_total"] is None


def test_monthly_pace(year):
    f = figures.compute(2025, known_at=LATER)
    settled = [m["settled"] for m in f.monthly]
    assert settled == [0, 0, 0, 4, 1, 2, 1, 0, 2, 0, 0, 1]
    assert [m["agreements"] for m in f.monthly] == [0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 2]
    assert sum(m["proposals"] for m in f.monthly) == 7


def test_ready_per_month_end_and_waiting_in_reception(year):
    f = figures.compute(2025, known_at=LATER)
    ready = {r["month"]: r for r in f.ready}
    assert (ready[10]["persons"], ready[10]["cases"], ready[10]["with_agreement"]) == (2, 1, 0)
    assert (ready[11]["persons"], ready[11]["without_agreement"]) == (3, 3)
    # 31.12.: H7 was settled on 20.12. (known now), H6 waits with an agreement
    assert (ready[12]["persons"], ready[12]["with_agreement"], ready[12]["um"]) == (2, 2, 0)
    assert f.values["waiting_in_reception"] == 2
    # January: H1 (ready 10.1.) and H3 (EM, special needs, ready 1.1.) wait
    assert (ready[1]["persons"], ready[1]["um"], ready[1]["special_needs"], ready[1]["special_cases"]) == (5, 1, 1, 1)


def test_as_known_at_a_moment_a_later_registration_changes_nothing(year):
    before = figures.compute(2025, known_at=NEW_YEAR_EVE)
    assert before.values["settled"] == 10  # H7 recorded in January
    assert before.monthly[11]["settled"] == 0
    assert before.values["waiting_in_reception"] == 3
    assert (before.ready[-1]["persons"], before.ready[-1]["with_agreement"]) == (3, 3)
    # and again, after the registration: the same as before
    assert figures.compute(2025, known_at=NEW_YEAR_EVE).values == before.values
    spring = figures.compute(2025, known_at=at(2025, 5, 1))
    v = spring.values
    assert v["settled"] == 4  # H1 only (H2 on 2.5.)
    assert (v["decided"], v["decided_um"]) == (8, 1)  # before the change of 1.6.
    assert spring.need["persons"] == 15 and v["coverage"] == round(8 / 15, 4)
    assert [r["month"] for r in spring.ready] == [1, 2, 3, 4, 5]  # up to the moment known at
    summer = figures.compute(2025, known_at=at(2025, 7, 2)).values
    assert (summer["from_outside"], summer["from_reception"]) == (1, 7)  # H2 before its correction; H1, H3, H4


def test_area_restriction_and_choice(year):
    vestland = Area(counties=frozenset({"46"}))
    f = figures.compute(2025, known_at=LATER, allowed=vestland)
    assert f.area.kind == "own" and f.area.label == "Vestland"
    assert f.values["settled"] == 3 and [r.code for r in f.by_municipality] == ["4601"]
    assert f.values["waiting_in_reception"] == 0 and f.need is None
    with pytest.raises(figures.OutsideArea):
        figures.compute(2025, known_at=LATER, area="5001", allowed=vestland)
    with pytest.raises(figures.OutsideArea):
        figures.compute(2025, known_at=LATER, area="region-midt", allowed=vestland)
    own = figures.compute(2025, known_at=LATER, area="5001")
    assert own.values["settled"] == 8 and own.values["waiting_in_reception"] == 2
    assert own.values["coverage"] == 0.9  # against its request, not the national need
    midt = figures.compute(2025, known_at=LATER, area="region-midt")
    assert midt.area.label == "IMDi Midt-Norge" and midt.values["settled"] == 8
    with pytest.raises(figures.FiguresError):
        figures.compute(2025, area="9999")
    with pytest.raises(figures.FiguresError):
        figures.compute(2025, area="x")
    with pytest.raises(figures.OutsideArea):
        figures.compute(2025, allowed=Area())


def test_weekly_list_by_age_group(year):
    # ISO week 15 of 2025 (7.–13.4.): H1 settled 10.4. — adults 34 (born 1.5.1990), children 6 and 12
    wl = figures.weekly_list(2025, 15, known_at=LATER)
    assert (wl.first, wl.last) == (D(2025, 4, 7), D(2025, 4, 13))
    assert [r.code for r in wl.rows] == ["5001"]
    row = wl.rows[0].values
    assert (row["6–15"], row["25–34"], row["total"]) == (2, 2, 4)
    # week 51 (15.–21.12.): H7, 74 years old on 20.12.1950+75 → 74 (born 30.12.)
    late = figures.weekly_list(2025, 51, known_at=LATER)
    assert late.total["67+"] == 1 and late.total["total"] == 1
    assert figures.weekly_list(2025, 51, known_at=NEW_YEAR_EVE).total["total"] == 0
    assert figures.weekly_list(2025, 15, known_at=LATER, allowed=Area(counties=frozenset({"46"}))).rows == []
    with pytest.raises(figures.FiguresError):
        figures.weekly_list(2025, 54)


def test_age_groups():
    assert figures.age_on(D(2000, 5, 2), D(2025, 5, 1)) == 24
    assert figures.age_on(D(2000, 5, 1), D(2025, 5, 1)) == 25
    assert [figures.age_group(a) for a in (0, 5, 6, 15, 16, 17, 18, 24, 25, 54, 55, 66, 67, 99)] == [
        "0–5",
        "0–5",
        "6–15",
        "6–15",
        "16–17",
        "16–17",
        "18–24",
        "18–24",
        "25–34",
        "45–54",
        "55–66",
        "55–66",
        "67+",
        "67+",
    ]
