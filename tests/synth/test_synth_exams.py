"""Tests taken (prøver) in the synthetic population: shares as in Tab 3.2.18, consistent rows, determinism.

"Of persons whose Norwegian deadline fell in the year, the share who took a
test, and of those the share who passed" is measured as the reports will: the
category and deadline the Regelmotor derives from the generated facts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import polars as pl
import pytest
from synth_support import NOW, current, generate, lines_in_memory, population

from nir.rules import evaluate
from nir.synth import world as w

SKILLS = set(w.EXAM_SKILLS)


@pytest.fixture(scope="module")
def exam_lines() -> list[tuple[dict, object]]:
    """(facts, the Regelmotor's result) per person of an 8,000-person population."""
    return [(line["facts"], evaluate(line["facts"], NOW.date())) for line in lines_in_memory(8000, seed=3)]


@pytest.fixture(scope="module")
def exams() -> pl.DataFrame:
    return current(population(20_000, 1)["Exam"])


def _deadline_passed(result) -> bool:
    nor = result.norwegian
    return nor.category in ("right_and_duty", "duty") and nor.deadline is not None and nor.deadline < NOW.date()


def tab_3_2_18(lines) -> dict[int, tuple[int, int, int]]:
    """Tab 3.2.18 as the yearly statistics count it (figure ``norsk-frist-proever``): per year, persons
    with right and duty or duty whose Norwegian deadline (as the Regelmotor derives it) fell in the
    year; of them those who sat Norskprøven (a skill passed or failed, not «Ikke møtt») by 31.12. of
    that year; of those the ones who passed at least one skill. {year: (deadline, sat, passed)}"""
    out: dict[int, list[int]] = {}
    for facts, result in lines:
        if not _deadline_passed(result):
            continue
        year = result.norwegian.deadline.year
        ref = min(dt.date(year, 12, 31), NOW.date())
        sat = [
            e
            for e in facts.get("exams", [])
            if e["type"] in SKILLS and e["result"] in ("passed", "failed") and dt.date.fromisoformat(e["date"]) <= ref
        ]
        row = out.setdefault(year, [0, 0, 0])
        row[0] += 1
        row[1] += bool(sat)
        row[2] += any(e["result"] == "passed" for e in sat)
    return {y: tuple(v) for y, v in out.items()}


# IMDi's annual report 2025, Tab 3.2.18 (2023–25): 52–60 % sat a test, 93–97 % of them passed.
SAT = (0.52, 0.60)
PASSED = (0.93, 0.97)


def test_tab_3_2_18_rates_per_deadline_year(exam_lines):
    """8,000 persons (seed 3): every deadline year with at least 80 persons is within the real ranges."""
    years = {y: v for y, v in tab_3_2_18(exam_lines).items() if v[0] >= 80}
    assert len(years) >= 3, years
    for year, (due, sat, passed) in years.items():
        assert SAT[0] <= sat / due <= SAT[1], (year, due, sat)
        assert PASSED[0] <= passed / sat <= PASSED[1], (year, sat, passed)


def test_tab_3_2_18_rates_in_the_demo_population():
    """The demo's 2,000 persons (``nir demo``: seed 1): each deadline year with at least 35 persons, and
    all years together, within the real ranges (a quota per year, not coin flips: issue 16 found
    34–41 % sat and 100 % passed in the demo's earlier years)."""
    lines = [(line["facts"], evaluate(line["facts"], NOW.date())) for line in lines_in_memory(2000, seed=1)]
    per_year = tab_3_2_18(lines)
    # At least 35 persons a year: since the grants' households, about a third of the settled are children.
    years = {y: v for y, v in per_year.items() if v[0] >= 35}
    assert len(years) >= 3, per_year
    for year, (due, sat, passed) in years.items():
        assert SAT[0] <= sat / due <= SAT[1], (year, due, sat)
        assert PASSED[0] <= passed / sat <= PASSED[1], (year, sat, passed)
    due, sat, passed = (sum(v[i] for v in per_year.values()) for i in range(3))
    assert SAT[0] <= sat / due <= SAT[1], (due, sat)
    assert PASSED[0] <= passed / sat <= PASSED[1], (sat, passed)


def test_share_who_took_a_test_and_passed_after_the_deadline(exam_lines):
    """Of all persons whose deadline has passed: about 55 % sat Norskprøven, about 95 % of them passed a
    skill; a few more are registered only as not having shown up."""
    due = [facts.get("exams", []) for facts, result in exam_lines if _deadline_passed(result)]
    assert len(due) > 600
    sat = [ex for ex in due if any(e["type"] in SKILLS and e["result"] != "absent" for e in ex)]
    passed = [ex for ex in sat if any(e["type"] in SKILLS and e["result"] == "passed" for e in ex)]
    absent_only = [ex for ex in due if ex and all(e["result"] == "absent" for e in ex)]
    assert abs(len(sat) / len(due) - w.EXAM_TAKEN_SHARE) < 0.03, len(sat) / len(due)
    assert abs(len(passed) / len(sat) - w.EXAM_PASSED_SHARE) < 0.02, len(passed) / len(sat)
    assert 0 < len(absent_only) < 0.05 * len(due)


def test_share_holds_per_deadline_year(exam_lines):
    due: Counter = Counter()
    took: Counter = Counter()
    for facts, result in exam_lines:
        if _deadline_passed(result):
            year = result.norwegian.deadline.year
            due[year] += 1
            took[year] += any(e["result"] != "absent" for e in facts.get("exams", []))
    years = [y for y, n in due.items() if n >= 100]
    assert len(years) >= 3, due
    for y in years:
        assert abs(took[y] / due[y] - w.EXAM_TAKEN_SHARE) < 0.05, (y, took[y], due[y])


def test_tests_are_taken_by_persons_with_a_right_or_duty_to_norwegian_training(exam_lines):
    with_tests = [(facts, result) for facts, result in exam_lines if facts.get("exams")]
    assert with_tests
    assert not any(facts["permits"][0]["basis"] == "eea" for facts, _ in with_tests)
    categories = Counter(result.norwegian.category for _, result in with_tests)
    # Before the 67th birthday; "none" only for the few who have turned 67 since (the right and duty end then).
    for facts, result in with_tests:
        birth = dt.date.fromisoformat(facts["birth_date"])
        turns_67 = dt.date(birth.year + 67, birth.month, 28 if (birth.month, birth.day) == (2, 29) else birth.day)
        assert all(dt.date.fromisoformat(e["date"]) < turns_67 for e in facts["exams"]), facts["birth_date"]
        if result.norwegian.category == "none":
            assert turns_67 <= NOW.date(), facts["birth_date"]
    assert categories["right_and_duty"] > categories["duty"] > 0 and categories["right"] > 0, categories


def test_rows_are_consistent(exams):
    assert exams.height > 0
    assert set(exams["scheme"]) == {"norwegian"}
    assert set(exams["exam_type"]) == SKILLS | {"social_studies"}
    assert set(exams["result"]) == {"passed", "failed", "absent"}
    # A level (A1–C1) on every passed Norwegian skill and nowhere else; C1 rare.
    norwegian = exams.filter(pl.col("exam_type").is_in(list(SKILLS)))
    passed = norwegian.filter(pl.col("result") == "passed")
    assert set(passed["level"]) <= set(w.EXAM_LEVELS) and "" not in set(passed["level"])
    assert set(exams.filter((pl.col("result") != "passed") | (pl.col("exam_type") == "social_studies"))["level"]) == {
        ""
    }
    levels = Counter(passed["level"])
    assert levels["B1"] > levels["A1"] and levels["C1"] < 0.05 * passed.height, levels
    # Norskprøven is four rows, one per skill, the written parts on one day.
    per_person = norwegian.group_by("person").agg(
        pl.col("exam_type").n_unique().alias("skills"), pl.len().alias("rows")
    )
    assert (per_person["skills"] == 4).all() and (per_person["rows"] == 4).all()
    written = (
        norwegian.filter(pl.col("exam_type") != "norwegian_oral")
        .group_by("person")
        .agg(pl.col("exam_date").n_unique().alias("days"))
    )
    assert (written["days"] == 1).all()
    # Registered after the test, never after now; organised where the person lives.
    rec_day = exams["recorded_at"].dt.convert_time_zone("Europe/Oslo").dt.date()
    assert (rec_day >= exams["exam_date"]).all()
    assert exams["exam_date"].max() < NOW.date()
    assert (exams["organisation"] != "").all()


def test_tests_come_after_the_permit_and_most_persons_with_tests_took_several(exams):
    permits = current(population(20_000, 1)["ResidencePermit"]).select("person", "decision_date")
    joined = exams.join(permits, on="person")
    assert (joined["exam_date"] >= joined["decision_date"]).all()
    rows = exams.group_by("person").len()["len"]
    assert 3 < rows.mean() < 6


def test_corrections_of_tests_change_the_date_and_say_so():
    f = population(20_000, 1)["Exam"]
    corrections = f.filter(pl.col("operation") == "correct")
    assert corrections.height > 0
    assert set(corrections["change_reason"]) == set(w.CORRECTION_REASONS["exam"])
    old = f.join(
        corrections.select("block", pl.col("supersedes_id").alias("id"), pl.col("exam_date").alias("corrected_date")),
        on=["block", "id"],
    )
    assert old.height == corrections.height
    assert (old["exam_date"] < old["corrected_date"]).all()


def test_same_seed_same_tests_other_seed_other_tests():
    a, b, c = generate(2000, seed=31), generate(2000, seed=31), generate(2000, seed=32)
    assert a[0].frames["Exam"].height > 0
    assert a[0].frames["Exam"].equals(b[0].frames["Exam"])
    assert not a[0].frames["Exam"].equals(c[0].frames["Exam"])


def test_nothing_is_dated_or_registered_after_an_earlier_now():
    earlier = NOW - dt.timedelta(days=365)
    frame = pl.concat([b.frames["Exam"] for b in generate(5000, seed=33, now=earlier)])
    assert frame.height > 0
    assert frame["exam_date"].max() < earlier.date()
    assert frame["recorded_at"].max() <= earlier
