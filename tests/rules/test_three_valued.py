"""Three-valued results (issue 19, part 4): a value derived through a rule, row or parameter not verified
against the law is flagged in ``Result.unverified`` (like nare's KANSKJE), with the sources it rests on."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from nir.rules import parameters
from nir.rules.cases import check_case, load_case

CASES = Path(__file__).parent / "cases"
KAN = CASES / "il_08" / "over_age_kan_gruppe_flagged_unverified.json"
OVER_58 = CASES / "il_08" / "age_58_not_yet_60_limit.json"


def test_a_value_derived_through_an_unverified_row_is_flagged_with_its_source():
    result = load_case(KAN).evaluate()
    assert result.intro.category == "may_be_offered"
    assert result.unverified == ["intro.category"]
    assert result.unverified_sources("intro.category") == ["il. § 8 tredje ledd"]
    assert result.unverified_sources("law") == []


def test_unverified_is_in_the_json_with_explanations_and_optional_in_the_values_only_form():
    result = load_case(KAN).evaluate()
    assert result.to_json()["unverified"] == ["intro.category"]
    assert "unverified" not in result.to_json(explanations=False)  # what the column path gives
    assert result.to_json(explanations=False, unverified=True)["unverified"] == ["intro.category"]


def test_a_case_may_expect_unverified_and_fails_when_it_differs():
    case = load_case(KAN)
    assert check_case(case) == []
    wrong = dataclasses.replace(case, expect={"unverified": []})
    assert [m.key for m in check_case(wrong)] == ["unverified"]
    without = dataclasses.replace(case, expect={"intro": {"category": "may_be_offered"}})
    assert check_case(without) == []


def test_an_unverified_parameter_flags_the_value_that_read_it():
    """The pending 55 → 60 version is unverified: switched on, a 58-year-old gets right and duty through
    a verified row, but on an unverified parameter — flagged, with the parameter's source."""
    params = parameters.default().with_valid_from("intro.age.max", 60, dt.date(2025, 1, 1))
    result = load_case(OVER_58).evaluate(params)
    assert result.intro.category == "right_and_duty"
    assert "intro.category" in result.unverified
    assert any("Prop. 81 L" in s for s in result.unverified_sources("intro.category"))
    assert (
        "intro.category"
        not in load_case(CASES / "il_08" / "age_55_birthday_on_permit_decision_date.json").evaluate().unverified
    )
