"""The rule that decides the introduction category by the first § 9 permit (``integreringsloven.INTRO_RULE``):
row by row, both interpreters, and a changed row breaks the per-person and the column path at once."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from table_support import both

from nir.rules import evaluate, vector
from nir.rules.integreringsloven import INTRO_RULE

AS_OF = dt.date(2026, 4, 1)
CASE = {  # collective protection 2024 without a ch. 6A decision, then utl_28 in 2026: ch6a_superseded
    "birth_date": "1985-02-01",
    "education": "below_upper_secondary",
    "permits": [
        {"basis": "utl_34", "decision_date": "2024-05-02", "arrival_date": None},
        {"basis": "utl_28", "decision_date": "2026-02-01", "arrival_date": None},
    ],
    "settlements": [{"municipality": "5001", "date": "2024-06-15", "by_agreement": True}],
    "decisions": [],
    "final_goal": None,
    "extension_months": 0,
    "absences": [],
}


def scope(has_s9=True, first_34=True, under_ch6a=True, current_other=True, s43h_applies=True):
    return {
        "has_s9": has_s9,
        "first_34": first_34,
        "under_ch6a": under_ch6a,
        "current_other": current_other,
        "s43h_applies": s43h_applies,
    }


@pytest.mark.parametrize(
    "kw,expected",
    [
        # il. § 8 første ledd and femte ledd: no permit with a § 9 basis → § 8 for persons without one
        ({"has_s9": False}, ("without_s9", "intro_rule_without_s9")),
        # il. § 8 første ledd: the first § 9 permit is not collective protection → § 8 for it
        ({"first_34": False}, ("ordinary", "intro_rule_ordinary")),
        # if. § 43h: utl_34 under ch. 6A with a decision under ch. 6A, then another permit
        ({}, ("s43h", "intro_rule_s43h")),
        # il. § 8; if. § 43h (motsetningsvis): the same without a decision under ch. 6A → the new permit, § 8
        ({"s43h_applies": False}, ("superseded", "ch6a_superseded")),
        # il. § 37 c: collective protection and no change of permit → ch. 6A (CH6A decides right / right and duty)
        ({"current_other": False, "s43h_applies": False}, ("ch6a", "intro_rule_ch6a")),
        # 004 (Opphevelse …): utl_34 decided after ch. 6A's repeal, then another permit → still ch. 6A's table,
        # which gives ordinary § 8 (ch6a_repealed_right_and_duty); § 43h is for permits under ch. 6A only
        ({"under_ch6a": False}, ("ch6a", "intro_rule_ch6a")),
    ],
)
def test_rows(kw, expected):
    """Each row of INTRO_RULE, its legal source in the comment of its parameter set."""
    assert both(INTRO_RULE, scope(**kw)) == expected


def test_a_changed_row_breaks_both_paths(monkeypatch):
    """One definition: changing the superseded row's outcome (to ch. 6A) changes the per-person result and the
    column result alike — the new permit's right and duty becomes ch. 6A's right."""
    assert evaluate(CASE, AS_OF).intro.category == "right_and_duty"
    assert vector.evaluate_batch([CASE], AS_OF)[0]["intro"]["category"] == "right_and_duty"
    rows = list(INTRO_RULE.rows)
    i = next(k for k, r in enumerate(rows) if r.id == "ch6a_superseded")
    rows[i] = dataclasses.replace(rows[i], then="ch6a")
    monkeypatch.setattr(INTRO_RULE, "rows", tuple(rows))
    assert evaluate(CASE, AS_OF).intro.category == "right"
    assert vector.evaluate_batch([CASE], AS_OF)[0]["intro"]["category"] == "right"
