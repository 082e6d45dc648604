"""integreringsloven §§ 13 and 14 and 004 «Oversikt over nye sluttmål» — final goals, extension, deadline
(``integreringsloven/il_13_14_final_goals.py``). Each row of :data:`EXTENSION` on both interpreters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from two_paths import check_both, decide_both

from nir.rules import parameters
from nir.rules.dates import day, period_end
from nir.rules.integreringsloven import il_13_14_final_goals as goals
from nir.rules.table import REGISTRY

D = dt.date.fromisoformat


def ext_scope(has_goal=True, allowed=12, ext=6):
    return {
        "has_goal": has_goal,
        "allowed": allowed,
        "ext": ext,
        "label": "Fullføre videregående opplæring (fra 01.01.2025)",
        "start_date": D("2026-02-02"),
        "total": 48 + ext,
        "end_date": D("2031-02-01"),
    }


@pytest.mark.parametrize(
    "scope,expected,source",
    [
        (ext_scope(has_goal=False), "extension_without_final_goal", "il. § 14: an extension extends a final goal"),
        (ext_scope(allowed=0, ext=1), "extension_not_allowed", "il. § 13 tredje ledd: «kan ikke forlenges»"),
        (ext_scope(ext=13), "extension_exceeds_maximum", "il. § 14: «forlenges med inntil ett år»"),
        (ext_scope(ext=12), "granted", "il. § 14: up to the goal's maximum"),
    ],
)
def test_extension_rows(scope, expected, source):
    """il. §§ 13–14; 004 (each case's source in its parameters)."""
    step = decide_both(goals.EXTENSION, scope)
    assert step.value == expected, source
    assert step.rule == (expected if expected != "granted" else "s13_14_extension")


def test_extension_errors_on_columns():
    """il. § 14: the column form refuses the same extensions and none where no extension is registered."""
    has_goal = np.array([False, True, True, True, True])
    allowed = np.array([0, 0, 12, 12, 12])
    ext = np.array([6, 1, 13, 12, 0])
    masks = goals.extension_columns(has_goal, allowed, ext)
    assert {k: np.flatnonzero(m).tolist() for k, m in masks.items()} == {
        "extension_without_final_goal": [0],
        "extension_not_allowed": [1],
        "extension_exceeds_maximum": [2],
    }


def test_unknown_goal_check():
    """regelmotor.md § 4: a final goal that is not in the code list Sluttmål is refused."""
    assert check_both([goals.GOAL_UNKNOWN], {"goal_known": False, "final_goal": "x"}) == ["final_goal_unknown"]
    assert check_both([goals.GOAL_UNKNOWN], {"goal_known": True, "final_goal": "x"}) == []


def test_goal_columns_are_the_parameters():
    """004: NIR couples goal and duration; the column table holds each code's parameters (read on the code's
    valid_from), one extra entry for an unknown code."""
    codes = ("complete_vgo_2025", "work_vgo_2026", "higher_education_old")
    months, ext, bad = goals.goal_columns(parameters.default(), D("2026-06-01"), codes)
    assert months.tolist() == [48, 12, 6, 0] and ext.tolist() == [12, 0, 6, 0] and not bad.any()


@pytest.mark.parametrize("start,months,ext", [("2026-02-02", 48, 12), ("2026-01-31", 24, 0), ("2028-02-29", 12, 0)])
def test_deadline_columns_are_period_end(start, months, ext):
    """regelmotor.md § 4: deadline = period_end(start, months [+ extension]) on both forms."""
    base, end = goals.deadline_columns(np.array([day(D(start))]), np.array([months]), np.array([ext]))
    assert base[0] == day(period_end(D(start), months)) and end[0] == day(period_end(D(start), months + ext))


def test_declared_once():
    """Legal basis as data: the errors (kind error) and the deadline rules rest on il. §§ 13–14 and 004."""
    for rule_id in goals.EXTENSION_ERRORS:
        decl = REGISTRY[rule_id]
        assert decl.kind == "error" and decl.module == goals.__name__ and "{" not in decl.title
        assert decl.source == "il. §§ 13 og 14; 004 (Oversikt over nye sluttmål)"
    assert REGISTRY["final_goal_unknown"].kind == "error"
    assert REGISTRY["s13_14_deadline"].source.startswith("il. § 13")
    assert REGISTRY["s13_14_extension"].kind == "rule"


@pytest.mark.parametrize(
    "closed,participation,goal,expected,source",
    [
        (True, True, True, "none", "il. § 8 fjerde ledd: the scheme is closed — no deadline"),
        (False, False, True, "none", "004: the deadline runs from the first participation decision"),
        (False, True, False, "none", "004: no final goal, no duration (a deviation)"),
        (False, True, True, "deadline", "il. §§ 13–14: participation and a final goal give a deadline"),
    ],
)
def test_deadline_case(closed, participation, goal, expected, source):
    """regelmotor.md § 4; il. §§ 8, 13–14; 004 (each case's source in its parameters)."""
    step = decide_both(goals.DEADLINE_CASE, {"closed": closed, "has_participation": participation, "has_goal": goal})
    assert step.value == expected, source
    assert step.rule == ("intro_deadline_none" if expected == "none" else "s13_14_deadline")
    cols = goals.deadline_case_columns(np.array([closed]), np.array([participation]), np.array([goal]))
    assert cols[0] == (expected == "deadline")


@pytest.mark.parametrize(
    "upper,old,source,verified",
    [
        (True, False, "il. § 13 tredje ledd; 004 (Oversikt over nye sluttmål)", True),
        (False, False, "il. § 14; 004 (Oversikt over nye sluttmål)", True),
        (True, True, "il. § 13 (2021-versjonen; IMDi, Sluttmål og varighet i integreringsloven (2021))", False),
    ],
)
def test_deadline_rows_cite_the_goals_paragraph(upper, old, source, verified):
    """il. § 13 tredje ledd («inntil tolv måneder») for goals of persons with upper secondary education from
    before, il. § 14 for the others (004 «Oversikt over nye sluttmål»); the old codes follow IMDi's 2021
    guidance (unverified)."""
    scope = {
        "upper": upper,
        "old": old,
        "base": D("2027-01-04"),
        "label": "x",
        "months": 12,
        "start_date": D("2026-01-05"),
        "note": "",
    }
    step = decide_both(goals.DEADLINE, scope)
    assert step.rule == "s13_14_deadline" and step.value == D("2027-01-04")
    assert step.source == source and step.verified == verified
    assert step.text.endswith("05.01.2026 + 12 måneder − 1 dag = 04.01.2027.")


def test_deadline_of_a_goal_per_person():
    """il. § 14; 004: work_no_vgo_2026 gives 24 months from the start date, cited as il. § 14."""
    from nir.rules.context import Context, codes
    from nir.rules.model import Facts

    ctx = Context(Facts(D("1990-01-01"), "unknown", [], [], [], [], None, 0, []), D("2026-06-01"), parameters.default())
    d, months, ext, base = goals.deadline(ctx, D("2026-01-05"), codes("final_goal")["work_no_vgo_2026"], True)
    assert (d.value, months, ext, base) == (D("2028-01-04"), 24, 0, D("2028-01-04"))
    assert d.steps[0].source.startswith("il. § 14") and d.steps[0].verified
