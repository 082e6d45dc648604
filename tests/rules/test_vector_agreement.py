"""The vectorised evaluator (nir.rules.vector) gives exactly the per-person engine's results.

Compared values: everything in ``evaluate(facts, as_of).to_json(explanations=False)`` —
law, the nine intro values (closed with status/reason/date/registered_by), the five
Norwegian values, deviations and error ids (both sorted). No database.

* a seeded random sample of 24,000 persons (6 evaluation dates × 4,000) from the adversarial
  generator in ``nir.rules.testing`` (every permit basis, ages around every limit, dates around
  2021-01-01 / 2025-01-01 / 2026-01-01 and the evaluation date, utl_34 transitions, rule-breaking
  decisions, every final goal, invalid extensions, absences of every kind over holidays …);
* every conformance case (tests/rules/cases and the shared cases);
* the columnar entry point fed string codes and unsorted tables (as from SQL), the fallback
  path, the parallel path, and the date helpers against ``nir.rules.dates``.

``test_a_broken_rule_is_detected`` shows that the comparison fails when a vectorised rule is
wrong.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import nir.rules
from nir.rules import InvalidFacts, evaluate, parameters, vector
from nir.rules.cases import find_cases, load_case
from nir.rules.dates import add_months_days
from nir.rules.table import REGISTRY
from nir.rules.testing import differences, disagreements, per_person, population

D = dt.date.fromisoformat
SEED = 20260101
AS_OF = ("2020-12-31", "2021-01-01", "2025-12-31", "2026-01-01", "2026-04-15", "2027-06-30")
PER_DATE = 4_000

SHARED = next(
    (p for p in (Path("/work/shared/domain/cases"), Path(__file__).parents[1] / "data" / "cases") if p.is_dir()),
    Path("/work/shared/domain/cases"),
)
OURS = Path(__file__).parent / "cases"


def _report(problems, facts_list, limit=5) -> str:
    lines = [f"{len(problems)} persons differ"]
    for i, diffs in problems[:limit]:
        lines.append(f"person {i}: " + "; ".join(diffs))
        if isinstance(i, int) and 0 <= i < len(facts_list):
            lines.append("  facts: " + json.dumps(facts_list[i], ensure_ascii=False, default=str))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def sample():
    """(as_of, facts_list, per-person results) for each evaluation date."""
    out = []
    for k, day in enumerate(AS_OF):
        as_of = D(day)
        facts = population(PER_DATE, SEED + k, as_of)
        out.append((as_of, facts, per_person(facts, as_of)))
    return out


def test_random_sample_agrees(sample):
    total = 0
    for as_of, facts, expected in sample:
        problems = disagreements(facts, as_of, expected=expected)
        assert not problems, f"as_of {as_of}: " + _report(problems, facts)
        total += len(facts)
    assert total >= 20_000


def test_random_sample_is_varied(sample):
    """The sample reaches the rules it is meant to exercise (else agreement proves little)."""
    seen: dict[str, set] = defaultdict(set)
    closed = deadlines = extended = 0
    for _, _, expected in sample:
        for r in expected:
            seen["law"].add(r["law"])
            seen["intro"].add(r["intro"]["category"])
            seen["norwegian"].add(r["norwegian"]["category"])
            seen["errors"].update(r["errors"])
            seen["deviations"].update(r["deviations"])
            seen["goal"].add(r["intro"]["final_goal"])
            closed += r["intro"]["closed"] is not None
            deadlines += r["intro"]["deadline"] is not None
            extended += r["intro"]["deadline"] != r["intro"]["base_deadline"]
    assert seen["law"] == set(vector.LAWS)
    assert seen["intro"] == set(vector.INTRO_CATEGORIES)
    assert seen["norwegian"] == set(vector.NORWEGIAN_CATEGORIES)
    assert seen["errors"] == set(vector.ERRORS)
    assert seen["deviations"] == set(vector.DEVIATIONS)
    assert seen["goal"] >= set(vector.vocab().final_goal)
    assert closed > 50 and deadlines > 3000 and extended > 1000


def _all_cases():
    files, _ = find_cases([p for p in (SHARED, OURS) if p.exists()])
    return [load_case(f) for f in files]


def test_every_case_agrees():
    cases = _all_cases()
    assert len(cases) >= 120
    by_date = defaultdict(list)
    for c in cases:
        by_date[c.as_of].append(c)
    for as_of, group in by_date.items():
        facts = [c.facts for c in group]
        res = vector.evaluate_facts(facts, as_of)
        assert not res.fallback.any(), [group[i].path.name for i in np.flatnonzero(res.fallback)]
        problems = disagreements(facts, as_of, actual=res.to_dicts())
        assert not problems, _report([(f"{group[i].path.name}", d) for i, d in problems], [])


def test_a_broken_rule_is_detected(sample, monkeypatch):
    """The comparison can fail: an off-by-one in the vectorised deadline arithmetic is found."""
    as_of, facts, expected = sample[4]
    monkeypatch.setattr(vector, "period_end", lambda days, months: add_months_days(days, months))
    problems = disagreements(facts, as_of, expected=expected)
    assert len(problems) > 500
    assert any("intro.deadline" in d for _, diffs in problems for d in diffs)


def test_a_changed_parameter_is_followed():
    """Both paths read the same parameter set: switching on the pending 55→60 limit changes both alike."""
    params = parameters.default().with_valid_from("intro.age.max", 60, D("2024-01-01"))
    as_of = D("2026-04-15")
    facts = population(3_000, SEED + 99, as_of)
    expected = per_person(facts, as_of, params)
    assert expected != per_person(facts, as_of)
    problems = disagreements(facts, as_of, params, expected=expected)
    assert not problems, _report(problems, facts)


# --- the columnar entry point ---------------------------------------------------------


def _sql_like_columns(facts_list, rng) -> dict:
    """Columns as a bulk query would return them: string codes, datetime64 dates, table rows in
    arbitrary order with an explicit ``order`` (list index) column."""
    cols = {
        "birth_date": np.array([f["birth_date"] for f in facts_list], dtype="datetime64[D]"),
        "education": np.array([str(f.get("education") or "unknown") for f in facts_list]),
        "final_goal": np.array([f.get("final_goal") or None for f in facts_list], dtype=object),
        "extension_months": np.array([f.get("extension_months") or 0 for f in facts_list]),
    }
    spec = {
        "permits": {
            "basis": lambda r: str(r.get("basis") or ""),
            "decision_date": "decision_date",
            "arrival_date": "arrival_date",
            "applied_from_abroad": lambda r: {None: -1, True: 1, False: 0}[r.get("applied_from_abroad")],
        },
        "settlements": {"date": "date", "by_agreement": lambda r: r.get("by_agreement") is True},
        "residences": {"from": "from"},
        "decisions": {
            "scheme": lambda r: str(r.get("scheme") or ""),
            "type": lambda r: str(r.get("type") or ""),
            "result": lambda r: r.get("result"),
            "decision_date": "decision_date",
            "start_date": "start_date",
            "end_date": "end_date",
        },
        "absences": {
            "scheme": lambda r: str(r.get("scheme") or ""),
            "kind": lambda r: str(r.get("kind") or ""),
            "from": "from",
            "to": "to",
        },
    }
    for table, columns in spec.items():
        rows = [(i, k, r) for i, f in enumerate(facts_list) for k, r in enumerate(f.get(table) or [])]
        perm = rng.permutation(len(rows))
        rows = [rows[j] for j in perm]
        cols[f"{table}.person"] = np.array([i for i, _, _ in rows], dtype=np.int64)
        cols[f"{table}.order"] = np.array([k for _, k, _ in rows], dtype=np.int64)
        for name, get in columns.items():
            if isinstance(get, str):
                cols[f"{table}.{name}"] = np.array([r.get(get) for _, _, r in rows], dtype="datetime64[D]")
            else:
                cols[f"{table}.{name}"] = np.array([get(r) for _, _, r in rows], dtype=object)
    return cols


def test_columnar_entry_with_string_codes_and_unsorted_rows(sample):
    as_of, facts, expected = sample[4]
    cols = _sql_like_columns(facts, np.random.default_rng(1))
    res = vector.evaluate_columns(cols, as_of)
    assert not res.fallback.any()
    problems = disagreements(facts, as_of, expected=expected, actual=res.to_dicts())
    assert not problems, _report(problems, facts)


def test_unflatten_round_trip(sample):
    """The facts rebuilt from columns (used for fallback persons) evaluate like the originals."""
    as_of, facts, expected = sample[3]
    cols = vector.flatten(facts[:1500])
    rebuilt = vector.unflatten(cols, np.arange(1500))
    assert per_person(rebuilt, as_of) == expected[:1500]


def test_forced_fallback_gives_the_same_results(sample):
    """Persons routed to the per-person engine are stored back into the arrays unchanged."""
    as_of, facts, expected = sample[2]
    cols = vector.flatten(facts[:800])
    cols["fallback"][::3] = True
    res = vector.evaluate_columns(cols, as_of, facts_for=lambda idx: [facts[i] for i in idx])
    assert res.fallback.sum() == len(range(0, 800, 3))
    assert not disagreements(facts[:800], as_of, expected=expected[:800], actual=res.to_dicts())
    res = vector.evaluate_columns(cols, as_of)  # facts rebuilt from the columns
    assert not disagreements(facts[:800], as_of, expected=expected[:800], actual=res.to_dicts())


def test_parameter_gap_goes_to_fallback():
    """A parameter with no version in force where the columns need it: those persons go per person
    (and get exactly the per-person result, or the same ParameterError)."""
    base = parameters.default()
    name = "intro.final_goal.work_vgo_2026.months"
    gap = parameters.ParameterSet(
        {**{n: base.parameter(n) for n in base.names()}, name: dataclasses.replace(base.parameter(name), versions=())}
    )
    as_of = D("2026-04-15")
    facts = [f for f in population(3_000, SEED + 7, as_of) if f.get("final_goal") == "work_vgo_2026"]
    ok, raising = [], 0
    for f in facts:
        try:
            evaluate(f, as_of, gap)
            ok.append(f)
        except parameters.ParameterError:
            raising += 1
    assert ok and raising
    res = vector.evaluate_facts(ok, as_of, gap)
    integ = res.law == vector.LAWS.index("integreringsloven")
    assert res.fallback.any() and (res.fallback == integ).all()  # introduksjonsloven has no final goals
    assert not disagreements(ok, as_of, gap, actual=res.to_dicts())
    with pytest.raises(parameters.ParameterError):
        vector.evaluate_batch(facts, as_of, gap)


@pytest.mark.parametrize(
    "change",
    [
        {"birth_date": "2020-13-01"},
        {"birth_date": None},
        {"permits": ""},
        {"extension_months": True},
        {"extension_months": -1},
        {"final_goal": 5},
        {"decisions": [{"scheme": "intro", "type": "participation"}]},
        {"absences": [{"scheme": "intro", "kind": "leave", "from": "2026-01-05"}]},
        {"permits": [{"basis": "utl_28", "decision_date": "2025-01-01", "applied_from_abroad": "yes"}]},
        {"settlements": [{"date": dt.datetime(2025, 1, 1)}]},
    ],
)
def test_malformed_facts_raise_like_the_engine(change):
    facts = dict(population(1, 5)[0], **change)
    with pytest.raises(InvalidFacts) as per_person_error:
        evaluate(facts, D("2026-04-15"))
    cols = vector.flatten([facts])
    assert cols["fallback"].tolist() == [True]
    with pytest.raises(InvalidFacts) as batch_error:
        vector.evaluate_batch([population(1, 6)[0], facts], D("2026-04-15"))
    assert str(batch_error.value) == str(per_person_error.value)


def test_odd_but_valid_values_agree():
    """Values parse_facts accepts in other spellings: date objects, non-string codes, missing keys."""
    as_of = D("2026-04-15")
    facts = population(200, 11, as_of)
    odd = copy.deepcopy(facts)
    for f in odd[::2]:
        f["birth_date"] = D(f["birth_date"])
        for p in f["permits"]:
            p["decision_date"] = D(p["decision_date"])
            p["basis"] = p["basis"] or None
        for d in f["decisions"]:
            d["result"] = d.get("result") or 0
            d["type"] = d["type"] or None
        f.pop("settlements")
        f["residences"] = None
        f["education"] = 0
    assert not disagreements(odd, as_of)


def test_parallel_path_is_identical(sample):
    as_of, facts, _ = sample[4]
    one = vector.evaluate_facts(facts, as_of)
    two = vector.evaluate_facts(facts, as_of, processes=2)
    cols = vector.flatten(facts)
    three = vector.evaluate_columns(cols, as_of, processes=2)
    for name in vector.BatchResult.ARRAYS:
        a, b, c = (getattr(r, name) for r in (one, two, three))
        assert np.array_equal(a.view("i8") if a.dtype.kind == "M" else a, b.view("i8") if b.dtype.kind == "M" else b)
        assert np.array_equal(a.view("i8") if a.dtype.kind == "M" else a, c.view("i8") if c.dtype.kind == "M" else c)


def test_small_chunks_are_identical(sample):
    """Persons are evaluated in chunks; the chunk boundaries do not change anything."""
    as_of, facts, expected = sample[1]
    cols = vector.flatten(facts[:1000])
    res = vector._evaluate_all(vector._encode_columns(cols), as_of, parameters.default(), chunk=37)
    assert not disagreements(facts[:1000], as_of, expected=expected[:1000], actual=res.to_dicts())


def test_polars_frame():
    as_of = D("2026-04-15")
    facts = population(500, 3, as_of)
    res = vector.evaluate_facts(facts, as_of)
    df = res.to_polars()
    rows = res.to_dicts()
    assert df.height == 500
    assert df["intro_deadline"].to_list() == [
        D(r["intro"]["deadline"]) if r["intro"]["deadline"] else None for r in rows
    ]
    assert df["errors"].to_list() == [r["errors"] for r in rows]
    assert df["intro_months"].to_list() == [r["intro"]["months"] for r in rows]
    assert df["deviation_final_goal_missing"].to_list() == ["final_goal_missing" in r["deviations"] for r in rows]


# --- building blocks ----------------------------------------------------------------------


def test_error_ids_cover_every_rule_error():
    """vector.ERRORS lists every rule id a RuleError can carry in nir.rules: written in a RuleError(...) or
    declared as an error rule (``table.declare(..., kind="error")``)."""
    src = "\n".join(
        p.read_text(encoding="utf-8")
        for p in Path(nir.rules.__file__).parent.rglob("*.py")
        if p.name not in ("vector.py", "testing.py")
    )
    found = set(re.findall(r"(?:RuleError|_err)\(\s*\"([a-z0-9_]+)\"", src))
    found |= {d.id for d in REGISTRY.values() if d.kind == "error"}
    assert found == set(vector.ERRORS)


def test_empty_batch_and_people_without_facts():
    as_of = D("2026-04-15")
    assert vector.evaluate_batch([], as_of) == []
    facts = [{"birth_date": "1990-01-01"}, {"birth_date": "1990-01-01", "permits": [], "decisions": None}]
    assert not disagreements(facts, as_of)
    assert differences({"a": 1}, {"a": True}) == ["a: 1 != True"]
