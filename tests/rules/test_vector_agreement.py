"""The vectorised evaluator (nir.rules.vector) gives exactly the per-person engine's results.

Compared values: everything in ``evaluate(facts, as_of).to_json(explanations=False)`` —
law, the nine intro values (closed with status/reason/date/registered_by), the five
Norwegian values, deviations and error ids (both sorted). No database.

* the net: 200,000 seeded random persons (6 evaluation dates) from the adversarial generator
  in ``nir.rules.testing`` (every permit basis, ages around every limit, dates around
  2021-01-01 / 2025-01-01 / 2026-01-01 and the evaluation date, utl_34 transitions,
  rule-breaking decisions, every final goal, invalid extensions, absences of every kind over
  holidays …), run in forked worker processes; its report is split by paragraph
  (``testing.PARAGRAPHS``), one test per paragraph, so a failure names il. § 8, §§ 13–14 …;
* every conformance case (tests/rules/cases and the shared cases);
* the columnar entry point fed string codes and unsorted tables (as from SQL), the fallback
  path, the parallel path, and the date helpers against ``nir.rules.dates``.

``test_a_broken_rule_is_detected`` shows that the comparison fails when a vectorised rule is
wrong; ``test_a_mutated_table_row_changes_both_paths`` that a decision table is the one
definition both paths run: change one row and both change, on the same persons, alike.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import importlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

import nir.rules
from nir.rules import InvalidFacts, evaluate, parameters, vector
from nir.rules.cases import check_case, compare, find_cases, load_case
from nir.rules.dates import add_months_days
from nir.rules.integreringsloven import il_13_14_final_goals as il_13_14
from nir.rules.table import REGISTRY, V
from nir.rules.testing import (
    OTHER,
    PARAGRAPHS,
    agreement_net,
    differences,
    disagreements,
    paragraph_of,
    per_person,
    population,
)

D = dt.date.fromisoformat
SEED = 20260101
AS_OF = ("2020-12-31", "2021-01-01", "2025-12-31", "2026-01-01", "2026-04-15", "2027-06-30")
PER_DATE = 4_000  # the sample the other tests below take their persons from
NET_PERSONS = 200_000  # the net (issue 19): per evaluation date NET_PERSONS / len(AS_OF), in chunks
NET_CHUNK = 5_000

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


@pytest.fixture(scope="module")
def net():
    """The net's chunks (testing.agreement_chunk), one job per NET_CHUNK persons, in forked workers."""
    per_date = -(-NET_PERSONS // len(AS_OF))
    jobs = [
        (D(day), SEED + 1000 * (k + 1) + j, min(NET_CHUNK, per_date - j * NET_CHUNK))
        for k, day in enumerate(AS_OF)
        for j in range(-(-per_date // NET_CHUNK))
    ]
    return agreement_net(jobs, processes=vector.cpu_count())


def _net_report(chunks, gid: str, limit: int = 5) -> str:
    found = [(c, i, ds, f) for c in chunks for i, ds, f in c.problems.get(gid, [])]
    title = next((t for g, t, _ in PARAGRAPHS if g == gid), gid)
    lines = [f"{title}: {len(found)} persons differ"]
    for c, i, ds, f in found[:limit]:
        lines.append(f"as_of {c.as_of}, seed {c.seed}, person {i}: " + "; ".join(ds))
        if f is not None:
            lines.append("  facts: " + json.dumps(f, ensure_ascii=False, default=str))
    return "\n".join(lines)


@pytest.mark.slow  # ~31 s of CPU in forked workers; the suite runs it (SQLite pass: no database)
def test_the_net_holds_200_000_persons(net):
    assert sum(c.persons for c in net) >= NET_PERSONS


@pytest.mark.slow
@pytest.mark.parametrize("gid", [g for g, _, _ in PARAGRAPHS] + [OTHER])
def test_random_persons_agree_by_paragraph(net, gid):
    """Both paths agree on 200,000 random persons; one test per paragraph (testing.PARAGRAPHS), so a
    failure names where in the law the two paths part (``other``: a value no paragraph claims)."""
    assert not any(c.problems.get(gid) for c in net), _net_report(net, gid)


@pytest.mark.slow
def test_random_sample_is_varied(net):
    """The net reaches the rules it is meant to exercise (else agreement proves little)."""
    seen: dict[str, set] = defaultdict(set)
    counts: Counter = Counter()
    for c in net:
        for k, v in c.seen.items():
            seen[k] |= v
        counts.update(c.counts)
    assert seen["law"] == set(vector.LAWS)
    assert seen["intro"] == set(vector.INTRO_CATEGORIES)
    assert seen["norwegian"] == set(vector.NORWEGIAN_CATEGORIES)
    assert seen["errors"] == set(vector.ERRORS)
    assert seen["deviations"] == set(vector.DEVIATIONS)
    assert seen["goal"] >= set(vector.vocab().final_goal)
    assert counts["closed"] > 400 and counts["deadlines"] > 25_000 and counts["extended"] > 8_000


def test_every_difference_names_a_paragraph():
    assert paragraph_of("intro.deadline: '2028-01-19' != '2028-01-18'") == "il_13_14_deadline"
    assert paragraph_of("norwegian.leave_workdays: 3 != 4") == "il_32_norwegian_deadline"
    assert paragraph_of("norwegian.category: 'duty' != 'none'") == "il_26_28_norwegian_category"
    assert paragraph_of("intro.category: 'right' != 'none'") == "il_08_intro_category"
    assert paragraph_of("law: 'integreringsloven' != 'introduksjonsloven'") == "if_72_law"
    facts = population(300, SEED + 5, D("2026-04-15"))
    keys = {k for r in per_person(facts, D("2026-04-15")) for k in _leaves(r)}
    assert len(keys) > 15 and all(paragraph_of(k + ": x") != OTHER for k in keys), keys


def _leaves(result: dict, prefix: str = ""):
    """The value paths ``differences`` reports (``closed`` is compared whole)."""
    for k, v in result.items():
        if isinstance(v, dict) and k != "closed":
            yield from _leaves(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


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
    """The comparison can fail: an off-by-one in the column form of the deadline arithmetic (il. §§ 13–14's
    column function, which vector.py calls) is found."""
    as_of, facts, expected = sample[4]
    monkeypatch.setattr(il_13_14, "period_end_days", lambda days, months: add_months_days(days, months))
    problems = disagreements(facts, as_of, expected=expected)
    assert len(problems) > 500
    assert any("intro.deadline" in d for _, diffs in problems for d in diffs)


# A decision table is the one definition both paths run: mutate one row and both change alike. Each entry:
# (module, table, row id, the mutated condition). Add a paragraph's table here once it is converted.
MUTATIONS = [
    pytest.param(
        "nir.rules.integreringsloven.il_08_target_group",
        "ORDINARY",
        "s08_under_age",
        V("age") <= V("age_min"),
        id="il_08.ORDINARY.s08_under_age: age < age_min becomes age <= age_min",
    ),
]


def _mutated(table, row_id: str, when) -> tuple:
    assert any(r.id == row_id for r in table.rows), f"{table.name} has no row {row_id}"
    return tuple(dataclasses.replace(r, when=when) if r.id == row_id else r for r in table.rows)


def _check_cases(cases, columns: bool) -> set[str]:
    """The cases whose expectations fail, on the per-person path or on the column path."""
    broken = set()
    by_date = defaultdict(list)
    for c in cases:
        by_date[c.as_of].append(c)
    for as_of, group in by_date.items():
        if columns:
            results = vector.evaluate_facts([c.facts for c in group], as_of).to_dicts()
            broken |= {c.path.name for c, r in zip(group, results) if compare(_without_explanations(c.expect), r)}
        else:
            broken |= {c.path.name for c in group if check_case(c)}
    return broken


def _without_explanations(expect: dict) -> dict:
    """The column path has no explanations; compare every other expected value."""
    return {
        k: (_without_explanations(v) if isinstance(v, dict) else v) for k, v in expect.items() if k != "explanations"
    }


@pytest.mark.parametrize(("module", "name", "row_id", "when"), MUTATIONS)
def test_a_mutated_table_row_changes_both_paths(monkeypatch, module, name, row_id, when):
    """Change one row of a decision table: the per-person path and the column path change on exactly the same
    persons in exactly the same way (and still agree), and conformance cases break on both paths."""
    table = getattr(importlib.import_module(module), name)
    as_of = D("2026-04-15")
    facts = population(6_000, SEED + 77, as_of)
    cases = _all_cases()
    before_pp, before_col = per_person(facts, as_of), vector.evaluate_batch(facts, as_of)
    broken_before = _check_cases(cases, False), _check_cases(cases, True)

    monkeypatch.setattr(table, "rows", _mutated(table, row_id, when))
    after_pp, after_col = per_person(facts, as_of), vector.evaluate_batch(facts, as_of)

    def changed(before, after) -> dict[int, list[str]]:  # person -> the value paths that changed
        return {
            i: [d.split(":")[0] for d in differences(a, b)] for i, (a, b) in enumerate(zip(before, after)) if a != b
        }

    changed_pp, changed_col = changed(before_pp, after_pp), changed(before_col, after_col)
    assert len(changed_pp) >= 10, f"the mutation of {table.name}.{row_id} changed {len(changed_pp)} persons"
    assert changed_pp == changed_col  # the same persons, the same values changed …
    assert not disagreements(facts, as_of, expected=after_pp, actual=after_col)  # … to the same new values
    broken_pp = _check_cases(cases, False) - broken_before[0]
    broken_col = _check_cases(cases, True) - broken_before[1]
    assert broken_pp, f"no conformance case notices the mutation of {table.name}.{row_id}"
    assert broken_pp == broken_col


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
    """vector.ERRORS lists every rule id a RuleError can carry in nir.rules: the errors declared in the
    registry (table.declare(kind="error"), checks.Check) and, until their paragraphs declare them, the ids
    still written as a literal RuleError (vector.UNDECLARED_ERRORS, which must name exactly those)."""
    src = "\n".join(
        p.read_text(encoding="utf-8")
        for p in Path(nir.rules.__file__).parent.rglob("*.py")
        if p.name not in ("vector.py", "testing.py")
    )
    found = set(re.findall(r"(?:RuleError|_err)\(\s*\"([a-z0-9_]+)\"", src))
    declared = {d.id for d in REGISTRY.values() if d.kind == "error"}
    assert set(vector.ERRORS) == declared | found
    assert set(vector.UNDECLARED_ERRORS) == found - declared
    assert len(vector.ERRORS) <= 32  # the error bits are a uint32 per person


def test_empty_batch_and_people_without_facts():
    as_of = D("2026-04-15")
    assert vector.evaluate_batch([], as_of) == []
    facts = [{"birth_date": "1990-01-01"}, {"birth_date": "1990-01-01", "permits": [], "decisions": None}]
    assert not disagreements(facts, as_of)
    assert differences({"a": 1}, {"a": True}) == ["a: 1 != True"]
