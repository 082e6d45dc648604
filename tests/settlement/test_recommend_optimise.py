"""The recommendation optimiser (nir.settlement.recommend.optimise): every hard constraint of
shared/settlement/formats.md, the batch optimum with its LP bound, one case at a time.

Each constraint is checked by ``violations`` below, written from formats.md on the raw records
(not from ``Problem.allowed``), and each has a test that breaks the optimiser's version of that
constraint and shows the check catches the result.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nir.settlement.recommend import optimise as opt

from .recommend_opt_world import capacity_rows, household, muni_rows, random_batch, tables

SERVICE = {"mobility": "accessible_housing", "mental": "mental_health_services", "other": "specialist_health_services"}


def violations(munis: list[dict], batch: list[dict], cap: list[dict], numbers: list[str], reasons: list[str]) -> list:
    """formats.md's hard constraints on the records: ``numbers[i]``/``reasons[i]`` for batch[i]."""
    out = []
    mrow = {r["municipality_number"]: r for r in munis}
    crow = {r["municipality_number"]: r for r in cap}
    if len(numbers) != len(batch) or any(n not in mrow for n in numbers):
        return ["not every household assigned exactly once to a known municipality"]
    used: dict[tuple[str, bool], int] = {}
    for h, n in zip(batch, numbers, strict=True):
        um = any(p["unaccompanied_minor"] for p in h["persons"])
        used[(n, um)] = used.get((n, um), 0) + len(h["persons"])
    for (n, um), k in used.items():
        if k > int(crow[n]["um_places" if um else "places"]):
            out.append(f"capacity {n} {'um' if um else ''}")

    def refusals(h: dict, n: str) -> set[str]:
        um = any(p["unaccompanied_minor"] for p in h["persons"])
        needs = {p["special_need"] for p in h["persons"]} - {"none"}
        r = set()
        if int(crow[n]["um_places" if um else "places"]) < len(h["persons"]):
            r.add("no_um_places" if um else "no_places")
        if needs and not int(crow[n]["accepts_special_needs"]):
            r.add("special_needs_not_accepted")
        if any(str(mrow[n][SERVICE[k]]) != "1" for k in needs):
            r.add("service_missing")
        return r

    for h, n, why in zip(batch, numbers, reasons, strict=True):
        needs = {p["special_need"] for p in h["persons"]} - {"none"}
        if needs and refusals(h, n) & {"special_needs_not_accepted", "service_missing"}:
            out.append(f"special needs {h['household_id']} at {n}")
        c = h.get("connection_municipality")
        if c and n != c:
            true = refusals(h, c)
            if not true:
                out.append(f"connection {h['household_id']} not at {c}")
            elif why not in true:
                out.append(f"false reason {h['household_id']}: {why!r}, true {sorted(true)}")
    return out


def solve(munis, batch, cap, values=None, *, one_at_a_time=False, breaker=None):
    """Assign with the optimiser; ``breaker`` may change the Problem first (a deliberately broken
    constraint). Returns (municipality numbers, override reasons, result, problem)."""
    m, hh, c = tables(munis, batch, cap)
    p = opt.problem(hh, m, c)
    if breaker:
        p = breaker(p)
    v = values if values is not None else np.random.default_rng(1).uniform(0, 1, (hh.nh, m.n))
    r = opt.assign_one_at_a_time(p, v) if one_at_a_time else opt.assign_batch(p, v)
    reasons = []
    for h in range(hh.nh):
        off = hh.h_conn[h] >= 0 and r.assign[h] != hh.h_conn[h]
        reasons.append((p.override_reasons(h) or ["(none)"])[0] if off else "")
    return [m.numbers[k] for k in r.assign], reasons, r, p


def cap_row(n: str, places: int, um: int = 0, sn: int = 1) -> dict:
    return {"municipality_number": n, "places": places, "um_places": um, "accepts_special_needs": sn}


# -- 1. every household exactly once, whole -------------------------------------------------------------


def test_households_are_never_split_even_where_the_lp_would_split_them():
    # Three 2-person households, two municipalities of 3 places each and one of 2: the LP relaxation
    # can fill 3 + 3 with halves; whole households cannot. Values make the halves tempting.
    munis = muni_rows(3)
    batch = [household(f"B{i}", 2) for i in range(3)]
    cap = [cap_row("4601", 3), cap_row("4602", 3), cap_row("4603", 2)]
    values = np.array([[1.0, 1.0, 0.0]] * 3)
    numbers, reasons, r, p = solve(munis, batch, cap, values)
    assert violations(munis, batch, cap, numbers, reasons) == []
    assert r.lp_bound == pytest.approx(3.0, abs=1e-6)  # 6 places of value, split households
    assert r.value == pytest.approx(2.0) and sorted(numbers) == ["4601", "4602", "4603"]
    assert r.gap_percent == pytest.approx(100 / 3, rel=1e-3)


def test_the_check_catches_a_household_left_out_or_split():
    munis = muni_rows(2)
    batch = [household("B0"), household("B1")]
    cap = [cap_row("4601", 5), cap_row("4602", 5)]
    assert violations(munis, batch, cap, ["4601"], [""])  # one missing
    m, hh, c = tables(munis, batch, cap)
    p = opt.problem(hh, m, c)
    assert p.check(np.array([0, -1])) == ["B1: not assigned"]


# -- 2. capacity -------------------------------------------------------------------------------------------


def _tight_capacity():
    munis = muni_rows(3)
    batch = [household(f"B{i}", 2) for i in range(4)] + [household(f"U{i}", 1, um=True) for i in range(3)]
    cap = [cap_row("4601", 2, 1), cap_row("4602", 4, 1), cap_row("4603", 4, 2)]
    values = np.tile([5.0, 1.0, 0.5], (7, 1))  # everyone would rather go to 4601
    return munis, batch, cap, values


def test_capacity_places_and_um_places_hold_when_everyone_prefers_one_municipality():
    munis, batch, cap, values = _tight_capacity()
    numbers, reasons, r, _ = solve(munis, batch, cap, values)
    assert violations(munis, batch, cap, numbers, reasons) == []
    assert numbers.count("4601") == 2  # one 2-person household and one UM
    assert r.duals_places[0] > 0 and r.duals_um[0] > 0  # the scarce places have a price


def test_a_broken_capacity_row_is_caught():
    munis, batch, cap, values = _tight_capacity()

    def more_places(p):
        big = dataclasses.replace(p.capacity, places=p.capacity.places * 10, um_places=p.capacity.um_places * 10)
        return dataclasses.replace(p, capacity=big, allowed=p.allowed | True)

    numbers, reasons, _, p = solve(munis, batch, cap, values, breaker=more_places)
    assert numbers.count("4601") == 7
    assert any(v.startswith("capacity 4601") for v in violations(munis, batch, cap, numbers, reasons))
    m, hh, c = tables(munis, batch, cap)
    assert any("capacity" in v for v in opt.problem(hh, m, c).check(np.zeros(7, int)))


# -- 3. special needs ----------------------------------------------------------------------------------------


def _needs():
    munis = muni_rows(3, row={0: {"accessible_housing": "0"}, 1: {"mental_health_services": "0"}})
    batch = [household("B0", 1, need="mobility"), household("B1", 1, need="mental"), household("B2", 1, need="other")]
    cap = [cap_row("4601", 5), cap_row("4602", 5), cap_row("4603", 5, sn=0)]
    values = np.tile([3.0, 2.0, 1.0], (3, 1))
    return munis, batch, cap, values


def test_special_needs_only_where_accepted_and_every_need_is_served():
    munis, batch, cap, values = _needs()
    numbers, reasons, _, p = solve(munis, batch, cap, values)
    assert violations(munis, batch, cap, numbers, reasons) == []
    assert numbers == ["4602", "4601", "4601"]
    assert not p.allowed[:, 2].any()  # 4603 does not accept special needs
    assert "tar ikke imot særlige behov" in p.excluded(0)[2] and "tilrettelagt bolig" in p.excluded(0)[0]


def test_a_household_with_two_need_types_needs_both_services():
    munis, _, cap, _ = _needs()
    two = household("B0", 2, need="mobility")
    two["persons"][1]["special_need"] = "mental"
    m, hh, c = tables(munis, [two], cap)
    with pytest.raises(opt.InfeasibleError, match="fit no municipality"):
        opt.problem(hh, m, c)
    munis = [*munis, muni_rows(4)[3]]
    m, hh, c = tables(munis, [two], [*cap, cap_row("4604", 2)])
    assert opt.problem(hh, m, c).allowed[0].tolist() == [False, False, False, True]


def test_a_broken_special_needs_rule_is_caught():
    munis, batch, cap, values = _needs()

    def ignore_needs(p):
        return dataclasses.replace(p, allowed=p.eligible | True)

    numbers, reasons, _, _ = solve(munis, batch, cap, values, breaker=ignore_needs)
    assert numbers == ["4601", "4601", "4601"]
    found = violations(munis, batch, cap, numbers, reasons)
    assert "special needs B0 at 4601" in found and "special needs B2 at 4601" not in found


# -- 4. connection and its override reasons --------------------------------------------------------------------


def _connections():
    munis = muni_rows(4, row={1: {"specialist_health_services": "0"}})
    batch = [
        household("B0", 2, conn="4601"),  # eligible: must go there although 4604 is worth more
        household("B1", 4, conn="4601"),  # 4601 has 3 places: no_places
        household("B2", 2, conn="4602", need="other"),  # 4602 lacks the service: service_missing
        household("B3", 1, conn="4603", need="mobility"),  # 4603 does not accept: special_needs_not_accepted
        household("B4", 2, conn="4601", um=True),  # 4601 has 1 UM place: no_um_places
        household("B5", 3, conn="4604"),
    ]
    cap = [cap_row("4601", 3, 1), cap_row("4602", 6, 0), cap_row("4603", 6, 0, sn=0), cap_row("4604", 12, 4)]
    values = np.tile([0.1, 0.2, 0.3, 1.0], (6, 1))
    values[5] = [5.0, 5.0, 5.0, 0.0]  # B5 would be better off anywhere but its connection
    return munis, batch, cap, values


def test_connection_honoured_whenever_eligible_else_a_true_reason():
    munis, batch, cap, values = _connections()
    for one in (False, True):
        numbers, reasons, _, p = solve(munis, batch, cap, values, one_at_a_time=one)
        assert violations(munis, batch, cap, numbers, reasons) == []
        assert numbers[0] == "4601" and numbers[5] == "4604"
        assert reasons == ["", "no_places", "service_missing", "special_needs_not_accepted", "no_um_places", ""]
    assert p.must.tolist() == [0, -1, -1, -1, -1, 3]
    assert p.excluded(0)[3].startswith("husstanden har tilknytning til Kommune 0")


def test_every_true_reason_is_listed_and_a_false_one_is_caught():
    munis, batch, cap, _ = _connections()
    batch[2]["persons"][0]["special_need"] = "other"
    cap[1]["accepts_special_needs"] = 0
    m, hh, c = tables(munis, batch, cap)
    p = opt.problem(hh, m, c)
    assert p.override_reasons(2) == ["special_needs_not_accepted", "service_missing"]
    assert p.override_reasons(0) == [] and p.override_reasons(5) == []
    numbers = ["4601", "4604", "4604", "4604", "4604", "4604"]
    bad = ["", "no_um_places", "service_missing", "special_needs_not_accepted", "no_um_places", ""]
    assert violations(munis, batch, cap, numbers, bad) == ["false reason B1: 'no_um_places', true ['no_places']"]


def test_a_broken_connection_rule_is_caught():
    munis, batch, cap, values = _connections()

    def forget_connections(p):
        return dataclasses.replace(p, allowed=p.eligible, must=np.full(p.nh, -1))

    numbers, reasons, _, _ = solve(munis, batch, cap, values, breaker=forget_connections)
    assert numbers[5] != "4604"
    assert "connection B5 not at 4604" in violations(munis, batch, cap, numbers, reasons)
    m, hh, c = tables(munis, batch, cap)
    assert any(v.startswith("connection: B5") for v in opt.problem(hh, m, c).check(np.array([0, 3, 0, 0, 3, 0])))


def test_connection_households_that_cannot_fit_together_are_refused():
    munis = muni_rows(2)
    batch = [household("B0", 2, conn="4601"), household("B1", 2, conn="4601")]
    m, hh, c = tables(munis, batch, [cap_row("4601", 3), cap_row("4602", 9)])
    with pytest.raises(opt.InfeasibleError, match="connection to 4601 need more places"):
        opt.problem(hh, m, c)


# -- the batch's bound, and one case at a time -------------------------------------------------------------------


def _random_problem(n=240, n_munis=25, seed=3):
    rng = np.random.default_rng(seed)
    munis = muni_rows(n_munis, rng)
    batch = random_batch(n, munis, rng)
    cap = capacity_rows(munis, batch, slack=1.12, seed=seed)
    m, hh, c = tables(munis, batch, cap)
    # values with household x municipality structure (a size effect, a municipality effect, a match)
    n_el = np.bincount(hh.p_hh, weights=hh.p_eligible.astype(float), minlength=hh.nh)
    match = rng.normal(0, 0.15, (hh.nh, m.n))
    values = n_el[:, None] * np.clip(0.35 + rng.normal(0, 0.1, m.n)[None, :] + match, 0.01, 0.99)
    return munis, batch, cap, values


def test_batch_on_a_random_problem_keeps_every_constraint_and_is_near_its_lp_bound():
    munis, batch, cap, values = _random_problem()
    numbers, reasons, r, p = solve(munis, batch, cap, values)
    assert violations(munis, batch, cap, numbers, reasons) == []
    assert r.lp_bound >= r.value - 1e-6
    assert r.gap_percent == pytest.approx(100 * (r.lp_bound - r.value) / r.lp_bound)
    assert r.gap_percent < 1.0
    assert r.duals_places.shape == (25,) and (r.duals_places >= 0).all()


@pytest.mark.parametrize("sample", [1500, 20])  # 20: the places priced on a sample first (a large batch)
def test_the_lp_by_columns_reaches_the_full_lps_bound(monkeypatch, sample):
    monkeypatch.setattr(opt, "SAMPLE", sample)
    munis, batch, cap, values = _random_problem()
    m, hh, c = tables(munis, batch, cap)
    p = opt.problem(hh, m, c)
    full = opt.assign_batch(p, values, start_columns=None)
    by_columns = opt.assign_batch(p, values, start_columns=3)
    assert by_columns.info["lp_rounds"] > 1 and by_columns.info["lp_columns"] < p.allowed.sum()
    assert by_columns.lp_bound == pytest.approx(full.lp_bound, rel=2e-6)
    assert by_columns.lp_bound >= full.lp_bound - 1e-6  # still an upper bound
    assert by_columns.value == pytest.approx(full.value, rel=1e-3)


def test_one_at_a_time_keeps_every_constraint_and_reaches_most_of_the_batch():
    munis, batch, cap, values = _random_problem()
    numbers, reasons, r, p = solve(munis, batch, cap, values, one_at_a_time=True)
    assert violations(munis, batch, cap, numbers, reasons) == []
    b = opt.assign_batch(p, values)
    assert r.value >= 0.95 * b.value
    # the prices were re-estimated as the cases came (after 1, 10, 30, 60, 100, 200 cases)
    assert r.info["resolves"] >= 3


def test_one_at_a_time_never_looks_at_the_future_cases():
    munis, batch, cap, values = _random_problem()
    m, hh, c = tables(munis, batch, cap)
    p = opt.problem(hh, m, c)
    order = opt.ready_order(hh)
    first, later = order[:120], order[120:]
    changed = values.copy()
    changed[later] = np.random.default_rng(9).uniform(0, 3, (len(later), m.n))
    a = opt.assign_one_at_a_time(p, values).assign
    b = opt.assign_one_at_a_time(p, changed).assign
    assert (a[first] == b[first]).all()
    assert (a[later] != b[later]).any()


def test_rank_one_offers_only_allowed_municipalities_with_room_by_value_less_size_times_dual():
    munis, batch, cap, values = _needs()
    m, hh, c = tables(munis, batch, cap)
    p = opt.problem(hh, m, c)
    duals = np.array([0.0, 3.0, 0.0])
    # B2 ('other' need): allowed at 4601 and 4602; 4602's price outweighs its value
    assert opt.rank_one(p, 2, np.array([1.0, 2.0, 9.0]), c.places, c.um_places, duals, duals) == [0, 1]
    assert opt.rank_one(p, 2, np.array([1.0, 2.0, 9.0]), c.places, c.um_places, 0 * duals, duals) == [1, 0]
    full = c.places.copy()
    full[0] = 0
    assert opt.rank_one(p, 2, np.array([1.0, 2.0, 9.0]), full, c.um_places, duals, duals) == [1]
