"""The plausibility checks of one registration (``nir.rules.plausibility``, docs/rules.md «Plausibility»).

One test (or more) per rule; each docstring names the rule's source or reasoning. Pure Python: no
database. ``TODAY`` is the registration day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from nir.rules import parameters, plausibility
from nir.rules.plausibility import ERROR, WARNING, check

TODAY = dt.date(2026, 12, 7)
D = dt.date
PERSON = {
    "birth_date": D(1990, 5, 1),
    "permits": [{"decision_date": D(2025, 10, 1)}],
    "decisions": [
        {
            "scheme": "intro",
            "type": "participation",
            "result": "made",
            "decision_date": D(2026, 3, 1),
            "start_date": D(2026, 3, 15),
        }
    ],
}


def found(kind, item, facts=PERSON, today=TODAY, params=None):
    return [(f.rule, f.severity, f.field) for f in check(kind, item, facts, today, params)]


NOV_1, NOV_30 = D(2026, 11, 1), D(2026, 11, 30)


def participation(hours, start=NOV_1, end=NOV_30):
    return {"scheme": "intro", "from": start, "to": end, "hours": Decimal(str(hours))}


# --- hours ------------------------------------------------------------------------------------------


def test_participation_hours_impossible_99999_in_a_month_is_an_error():
    """participation_hours_impossible — more than 12 hours a calendar day (over twice full time, il. § 13):
    99,999 hours in November is a typo and refused, on the field «hours»."""
    assert found("participation", participation(99999)) == [("participation_hours_impossible", ERROR, "hours")]
    msg = check("participation", participation(99999), PERSON, TODAY)[0].message
    assert "99\u00a0999 timer er umulig" in msg and "01.11.2026–30.11.2026" in msg and "360 timer" in msg


def test_participation_hours_ceiling_is_inclusive():
    """participation_hours_impossible — 30 days × 12 h = 360 h is the ceiling itself (a warning, not an error)."""
    assert found("participation", participation(360)) == [("participation_hours_above_full_time", WARNING, "hours")]
    assert found("participation", participation("360.1"))[0][0] == "participation_hours_impossible"


def test_participation_hours_above_full_time_is_a_warning():
    """participation_hours_above_full_time — il. § 13 (the programme is full time, 37.5 h/week): November
    2026 has 21 weekdays, so 157.5 hours is full time and more is a warning."""
    assert found("participation", participation("157.5")) == []
    assert found("participation", participation(158)) == [("participation_hours_above_full_time", WARNING, "hours")]


def test_participation_on_a_weekend_only_is_allowed_one_days_full_time():
    """participation_hours_above_full_time — il. § 13: a Saturday–Sunday period (a weekend course) is
    allowed one day's full time (7.5 hours); more is a warning."""
    assert found("participation", participation("7.5", D(2026, 11, 7), D(2026, 11, 8))) == []
    assert found("participation", participation(8, D(2026, 11, 7), D(2026, 11, 8))) == [
        ("participation_hours_above_full_time", WARNING, "hours")
    ]


def test_participation_with_end_before_start_is_left_to_the_validation():
    """end_before_start is the register's validation; the hours rules do not judge a reversed period."""
    assert found("participation", participation(99999, D(2026, 11, 30), D(2026, 11, 1))) == []


def test_measure_hours_above_maximum_is_an_error():
    """measure_hours_above_maximum — arbeidsmiljøloven § 10-6 tiende ledd: at most 60 hours in seven days."""
    item = {"scheme": "intro", "measure": "work_practice", "from": D(2026, 11, 2), "hours_per_week": Decimal("61")}
    assert found("measures", item) == [("measure_hours_above_maximum", ERROR, "hours_per_week")]


def test_measure_hours_above_full_time_is_a_warning():
    """measure_hours_above_full_time — il. § 13 (full time 37.5 h/week)."""
    item = {"scheme": "intro", "measure": "work_practice", "from": D(2026, 11, 2), "hours_per_week": Decimal("45")}
    assert found("measures", item) == [("measure_hours_above_full_time", WARNING, "hours_per_week")]
    assert found("measures", item | {"hours_per_week": Decimal("37.5")}) == []
    assert found("measures", item | {"hours_per_week": None}) == []


def test_termination_work_hours_high_is_a_warning():
    """termination_work_hours_high — aml. § 10-6: a job may be longer than full time, over 60 h is doubtful."""
    item = {"scheme": "intro", "type": "aborted", "date": D(2026, 11, 2), "hours_work_per_week": Decimal("70")}
    assert found("terminations", item) == [("termination_work_hours_high", WARNING, "hours_work_per_week")]
    assert found("terminations", item | {"hours_work_per_week": Decimal("45")}) == []


# --- dates in the future ----------------------------------------------------------------------------


def decision(**kw):
    return {"scheme": "intro", "type": "participation", "result": "made", "decision_date": D(2026, 12, 1)} | kw


def test_decision_dated_2099_is_an_error():
    """date_far_in_future — an event date more than 366 days after the registration day (a decision dated
    2099, issue 16 § 3) is refused, on the decision date."""
    assert found("decisions", decision(decision_date=D(2099, 1, 1))) == [("date_far_in_future", ERROR, "decision_date")]
    assert "01.01.2099" in check("decisions", decision(decision_date=D(2099, 1, 1)), PERSON, TODAY)[0].message


def test_event_date_boundaries():
    """date_in_future / date_far_in_future — 7 days ahead is allowed, 8 a warning, 366 a warning, 367 an error."""
    assert found("decisions", decision(decision_date=TODAY + dt.timedelta(days=7))) == []
    assert found("decisions", decision(decision_date=TODAY + dt.timedelta(days=8))) == [
        ("date_in_future", WARNING, "decision_date")
    ]
    assert found("decisions", decision(decision_date=TODAY + dt.timedelta(days=366)))[0][0] == "date_in_future"
    assert found("decisions", decision(decision_date=TODAY + dt.timedelta(days=367)))[0][0] == "date_far_in_future"


@pytest.mark.parametrize(
    "kind, item, field",
    [
        ("terminations", {"scheme": "intro", "type": "aborted", "date": D(2027, 1, 1)}, "date"),
        ("exams", {"type": "norwegian_oral", "date": D(2027, 1, 1), "result": "passed"}, "date"),
        ("participation", participation(10, D(2026, 12, 1), D(2027, 1, 1)), "to"),
        ("permits", {"basis": "utl_28", "decision_date": D(2027, 1, 1)}, "decision_date"),
        ("career_guidance", {"date": D(2027, 1, 1), "kind": "individual"}, "date"),
    ],
)
def test_event_dates_of_every_kind_in_the_future_warn(kind, item, field):
    """date_in_future — the dates of what has happened (terminations, tests, participation, permits,
    guidance) are judged alike."""
    assert (("date_in_future", WARNING, field)) in found(kind, item)


def test_planned_dates_may_lie_ahead_but_not_decades():
    """planned_date_far_in_future — a programme may start or end years ahead (longest 60 months, il. §§
    13–14), not more than 10 years; registered future leave is allowed (if. § 19)."""
    assert found("decisions", decision(start_date=D(2027, 3, 1), end_date=D(2031, 2, 28))) == []
    assert found("decisions", decision(end_date=D(2099, 1, 1))) == [("planned_date_far_in_future", ERROR, "end_date")]
    assert found("absences", {"scheme": "intro", "kind": "leave", "from": D(2027, 2, 1), "to": D(2027, 3, 1)}) == []


# --- before birth, before the permit ---------------------------------------------------------------


def test_decision_before_birth_is_an_error():
    """date_before_birth — a person cannot have a decision before they were born."""
    assert found("decisions", decision(decision_date=D(1989, 1, 1))) == [("date_before_birth", ERROR, "decision_date")]


def test_exam_before_birth_is_an_error():
    """date_before_birth — nor sit a test."""
    assert found("exams", {"type": "norwegian_oral", "date": D(1990, 4, 30), "result": "passed"}) == [
        ("date_before_birth", ERROR, "date")
    ]
    assert found("exams", {"type": "norwegian_oral", "date": D(1990, 5, 1), "result": "passed"}) == []


def test_without_a_birth_date_nothing_is_judged_against_it():
    """date_before_birth — a person without details (not yet registered) is judged by the other rules only."""
    assert found("decisions", decision(decision_date=D(1900, 1, 2)), facts={}) == []


def test_decision_before_permit_is_a_warning():
    """decision_before_permit — il. §§ 8, 26–28: the rights and duties follow from the residence permit;
    a warning, since the permit may be registered or corrected later."""
    assert found("decisions", decision(decision_date=D(2025, 9, 30))) == [
        ("decision_before_permit", WARNING, "decision_date")
    ]
    assert found("decisions", decision(decision_date=D(2025, 10, 1))) == []
    assert found("decisions", decision(decision_date=D(2025, 9, 30)), facts={"birth_date": D(1990, 5, 1)}) == []


# --- terminations and the programme -----------------------------------------------------------------


def termination(kind, day, scheme="intro"):
    return {"scheme": scheme, "type": kind, "date": day}


def test_completed_before_the_start_is_an_error():
    """termination_completed_before_start — il. §§ 13–14: the programme runs from the start date in the
    participation decision; «Fullført» before it (and before the decision, issue 16 § 3) is impossible."""
    assert found("terminations", termination("completed", D(2026, 1, 1))) == [
        ("termination_completed_before_start", ERROR, "date")
    ]
    # after the decision, before the start
    assert found("terminations", termination("completed", D(2026, 3, 10)))[0][0] == "termination_completed_before_start"
    assert found("terminations", termination("completed", D(2026, 3, 15))) == []


def test_completed_before_a_retroactive_decision_is_an_error():
    """termination_completed_before_start — a start date before the decision date (retroactive): a
    completion dated before the decision was made is still refused."""
    facts = PERSON | {"decisions": [decision(decision_date=D(2026, 3, 1), start_date=D(2026, 1, 5))]}
    assert found("terminations", termination("completed", D(2026, 2, 1)), facts) == [
        ("termination_completed_before_start", ERROR, "date")
    ]


def test_other_termination_before_the_decision_is_a_warning():
    """termination_before_decision — il. §§ 13–14; one may leave before starting (moving away), so a warning."""
    assert found("terminations", termination("moved", D(2026, 2, 1))) == [
        ("termination_before_decision", WARNING, "date")
    ]
    assert found("terminations", termination("moved", D(2026, 3, 5))) == []


def test_termination_rules_look_at_the_scheme_and_made_decisions_only():
    """termination_completed_before_start — only the scheme's own participation decisions, result «Vedtak
    fattet»: a Norwegian termination is not judged by the programme's decision, nor a rejected decision."""
    assert found("terminations", termination("completed", D(2026, 1, 1), scheme="norwegian")) == []
    rejected = PERSON | {"decisions": [decision(decision_date=D(2026, 3, 1), result="rejected")]}
    assert found("terminations", termination("completed", D(2026, 1, 1)), rejected) == []


# --- parameters and catalogue ------------------------------------------------------------------------


def test_thresholds_are_parameters_with_their_source(tmp_path: Path):
    """Every threshold is an effective-dated parameter with its source; a new version changes the rule."""
    params = parameters.default()
    for name in (
        "plausibility.full_time_hours_per_week",
        "plausibility.max_hours_per_week",
        "plausibility.participation.max_hours_per_day",
        "plausibility.future.warning_days",
        "plausibility.future.error_days",
        "plausibility.future.planned_max_years",
    ):
        assert params.get(name, TODAY).source
    for f in parameters.DATA_DIR.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    text = (tmp_path / "plausibility.yaml").read_text(encoding="utf-8")
    assert text.count("- value: 12\n") == 1
    (tmp_path / "plausibility.yaml").write_text(text.replace("- value: 12\n", "- value: 5\n"), encoding="utf-8")
    stricter = parameters.load(tmp_path)
    assert found("participation", participation(200), params=stricter) == [
        ("participation_hours_impossible", ERROR, "hours")
    ]


def test_every_rule_has_a_kind_title_and_source():
    assert {r.severity for r in plausibility.RULES} == {ERROR, WARNING}
    assert all(r.title and r.source for r in plausibility.RULES)
    assert len(plausibility.BY_ID) == len(plausibility.RULES)


def test_one_finding_per_field_errors_first():
    """An item with an error and a warning on different fields reports both, the error first."""
    item = decision(decision_date=D(2025, 9, 30), end_date=D(2099, 1, 1))
    assert found("decisions", item) == [
        ("planned_date_far_in_future", ERROR, "end_date"),
        ("decision_before_permit", WARNING, "decision_date"),
    ]
