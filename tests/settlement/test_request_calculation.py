"""The request (anmodning) as a pure calculation (nir.settlement.request): exact sums, EM separately,
the breakdown, dated parameters, thresholds, reproducibility."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from nir.settlement import indicators, request

CRITERIA = request.criteria_for(dt.date(2026, 1, 1))


@pytest.fixture(scope="module")
def world():
    parsed = indicators.read_indicators(indicators.PUBLIC_WORLD)
    return [{"municipality": r.municipality, **r.values} for r in parsed.rows]


def town(nr, population, *, region=None, employment=0.6, school=True, **more):
    return {
        "municipality": nr,
        "population": population,
        "ba_region": region or nr,
        "unemployment_rate": 2.0,
        "immigrant_employment_rate": employment,
        "labour_market_diversity": 0.5,
        "living_conditions_index": 0.4,
        "immigrant_share": 0.1,
        "secondary_migration_rate": 0.2,
        "upper_secondary_school": school,
        **more,
    }


@pytest.mark.parametrize("persons, um", [(18900, 752), (12640, 600), (13150, 769), (0, 0), (345 * 10 - 1, 0), (7, 7)])
def test_the_figures_sum_exactly_to_the_need(world, persons, um):
    d = request.distribute(persons, um, world, CRITERIA)
    assert sum(line.persons for line in d.lines) == persons
    assert sum(line.um_persons for line in d.lines) == um
    assert all(line.persons == line.other_persons + line.um_persons for line in d.lines)
    assert len(d.lines) == 357


def test_em_go_only_to_municipalities_that_can_receive_them(world):
    d = request.distribute(18900, 752, world, CRITERIA)
    by = {r["municipality"]: r for r in world}
    asked_um = [line for line in d.lines if line.um_persons > 0]
    assert asked_um and len(asked_um) < 150
    for line in asked_um:
        assert by[line.municipality]["population"] >= CRITERIA.um_minimum_population
        assert by[line.municipality]["upper_secondary_school"] is True
        assert line.um_persons >= CRITERIA.um_minimum_persons
    for line in d.lines:
        if not line.breakdown["um"]["asked"]:
            assert line.um_persons == 0 and line.breakdown["um"]["not_asked_reason"]


def test_very_small_municipalities_are_not_asked_and_those_asked_get_the_minimum(world):
    d = request.distribute(18900, 752, world, CRITERIA)
    by = {r["municipality"]: r for r in world}
    small = [line for line in d.lines if by[line.municipality]["population"] < CRITERIA.minimum_population]
    assert len(small) == 12
    assert all(line.persons == 0 and not line.breakdown["asked"] for line in small)
    assert all("800 innbyggere" in line.breakdown["not_asked_reason"] for line in small)
    asked = [line for line in d.lines if line.breakdown["asked"]]
    assert len(asked) == 345 and min(line.other_persons for line in asked) >= CRITERIA.minimum_persons
    assert any(line.breakdown["minimum_applied"] for line in asked)
    # a need too small to give everyone the minimum: proportional, no minimum
    d = request.distribute(100, 0, world, CRITERIA)
    assert sum(line.persons for line in d.lines) == 100
    assert not any(line.breakdown["minimum_applied"] for line in d.lines)


def test_each_breakdown_adds_up_to_the_score(world):
    d = request.distribute(18900, 752, world, CRITERIA)
    weights = {c.key: c.weight for c in CRITERIA.criteria}
    for line in d.lines:
        parts = line.breakdown["criteria"]
        assert [p["key"] for p in parts] == [c.key for c in CRITERIA.criteria]
        for p in parts:
            assert 0.0 <= p["normalised"] <= 1.0
            assert p["weight"] == weights[p["key"]]
            assert p["contribution"] == pytest.approx(p["weight"] * p["normalised"])
        assert sum(p["contribution"] for p in parts) == pytest.approx(line.score)
        assert line.breakdown["score"] == line.score
    assert sum(line.breakdown["share"] for line in d.lines) == pytest.approx(1.0)


def test_the_labour_market_has_heavy_weight():
    labour = sum(c.weight for c in CRITERIA.criteria if c.scope == "ba_region")
    assert labour >= 0.5
    assert all(c.reason and "000 L5" in c.reason for c in CRITERIA.criteria)
    assert "L544" in CRITERIA.source or "L548" in CRITERIA.source or "L553" in CRITERIA.source


def test_monotonic_in_the_labour_market_criterion():
    """A better immigrant employment rate in its region gives a municipality a larger share and figure."""
    towns = [town(f"50{i:02d}", 20000 + 1000 * i, employment=0.4 + 0.02 * i) for i in range(10)]
    before = request.distribute(2000, 0, towns, CRITERIA).by_municipality["5003"]
    prev = before
    for employment in (0.5, 0.55, 0.6, 0.7):
        changed = [dict(t, immigrant_employment_rate=employment) if t["municipality"] == "5003" else t for t in towns]
        after = request.distribute(2000, 0, changed, CRITERIA).by_municipality["5003"]
        assert after.score >= prev.score  # at the top, the others fall instead
        assert after.breakdown["quota"] > prev.breakdown["quota"]
        assert after.persons >= prev.persons
        prev = after
    assert prev.persons > before.persons
    # worse unemployment in its region: smaller
    worse = [dict(t, unemployment_rate=5.0) if t["municipality"] == "5003" else t for t in towns]
    assert request.distribute(2000, 0, worse, CRITERIA).by_municipality["5003"].persons < before.persons


def test_the_region_not_the_municipality_counts_for_the_labour_market():
    towns = [town("5001", 100000, region="1"), town("5002", 10000, region="1", employment=0.9), town("5003", 10000)]
    d = request.distribute(1000, 0, towns, CRITERIA).by_municipality
    a = next(p for p in d["5001"].breakdown["criteria"] if p["key"] == "immigrant_employment")
    b = next(p for p in d["5002"].breakdown["criteria"] if p["key"] == "immigrant_employment")
    assert a["value"] == b["value"] == pytest.approx((100000 * 0.6 + 10000 * 0.9) / 110000)


def test_reproducible_same_inputs_same_output(world):
    a = request.distribute(18900, 752, world, CRITERIA)
    b = request.distribute(18900, 752, list(reversed(world)), request.criteria_for(dt.date(2026, 1, 1)))
    assert [(x.municipality, x.persons, x.um_persons, x.breakdown) for x in a.lines] == [
        (x.municipality, x.persons, x.um_persons, x.breakdown) for x in b.lines
    ]
    assert CRITERIA.sha256 == request.criteria_for(dt.date(2026, 6, 1)).sha256 and len(CRITERIA.sha256) == 64


def _versions_with_later(weights: dict[str, float] | None = None, valid_from="2026-09-01"):
    doc = yaml.safe_load(request.CRITERIA_FILE.read_text(encoding="utf-8"))
    later = dict(doc["versions"][0], version="2027-1", valid_from=valid_from)
    later["criteria"] = [dict(c, weight=(weights or {}).get(c["key"], c["weight"])) for c in later["criteria"]]
    doc["versions"].append(later)
    return request.load_criteria(yaml.safe_dump(doc, allow_unicode=True))


def test_the_version_valid_on_the_day_is_used():
    versions = _versions_with_later()
    assert request.criteria_for(dt.date(2026, 8, 31), versions).version == "2026-1"
    assert request.criteria_for(dt.date(2026, 9, 1), versions).version == "2027-1"
    assert request.criteria_for(dt.date(2030, 1, 1), versions).version == "2027-1"
    with pytest.raises(request.RequestError):
        request.criteria_for(dt.date(2020, 1, 1), versions)


def test_a_changed_weight_changes_the_result(world):
    versions = _versions_with_later({"unemployment": 0.05, "immigrant_share": 0.275})
    new = request.criteria_for(dt.date(2026, 9, 1), versions)
    assert new.sha256 != CRITERIA.sha256
    a = request.distribute(18900, 752, world, CRITERIA)
    b = request.distribute(18900, 752, world, new)
    assert [x.persons for x in a.lines] != [x.persons for x in b.lines]
    assert sum(x.persons for x in b.lines) == 18900


@pytest.mark.parametrize(
    "change, message",
    [
        ({"unemployment": 0.3}, "summerer"),
        ({"unemployment": -0.2, "immigrant_share": 0.525}, "negativ"),
    ],
)
def test_bad_criteria_are_refused(change, message):
    with pytest.raises(request.RequestError, match=message):
        _versions_with_later(change)


def test_bad_need_is_refused(world):
    with pytest.raises(request.RequestError):
        request.distribute(10, 11, world, CRITERIA)


def test_apportion_is_largest_remainder_with_ties_to_the_lower_index():
    import numpy as np

    figures, quotas, _ = request.apportion(10, np.array([1.0, 1.0, 1.0]))
    assert figures.tolist() == [4, 3, 3]
    figures, _, _ = request.apportion(7, np.array([5.0, np.nan, 2.0]))
    assert figures.tolist() == [5, 0, 2]


def test_any_need_sums_exactly_and_respects_the_rules(world):
    """Property: for any need, the figures are whole, non-negative, sum exactly, EM only where EM can go,
    nobody below the minimum when the need allows the minimum for everyone asked."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    by = {r["municipality"]: r for r in world}

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(st.integers(0, 60000), st.data())
    def check(persons, data):
        um = data.draw(st.integers(0, min(persons, 3000)))
        d = request.distribute(persons, um, world, CRITERIA)
        assert sum(x.persons for x in d.lines) == persons and sum(x.um_persons for x in d.lines) == um
        asked = [x for x in d.lines if x.breakdown["asked"]]
        for x in d.lines:
            assert x.persons >= x.um_persons >= 0
            if x.um_persons:
                assert x.breakdown["um"]["asked"] and by[x.municipality]["population"] >= 15000
            if not x.breakdown["asked"]:
                assert x.persons == 0
        if persons - um >= CRITERIA.minimum_persons * len(asked):
            assert min(x.other_persons for x in asked) >= CRITERIA.minimum_persons

    check()
