"""Parameters as effective-dated data (regelmotor.md § 1; OpenFisca style)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from nir.rules import evaluate, parameters
from nir.rules.parameters import ParameterError, load

D = dt.date.fromisoformat


def test_get_returns_value_and_source():
    p = parameters.get("intro.age.max", on=D("2026-01-01"))
    assert p.value == 55
    assert p.source == "il. § 8 første og tredje ledd"
    assert p.valid_from == D("2021-01-01") and p.valid_to is None


@pytest.mark.parametrize(
    "name,value",
    [
        ("intro.age.min", 18),
        ("intro.age.max", 55),
        ("norwegian.age.min", 18),
        ("norwegian.age.end", 67),
        ("intro.work.min_hours_per_week", 30),
        ("intro.absence.threshold_workdays", 10),
        ("norwegian.duration_months.default", 36),
        ("norwegian.duration_months.upper_secondary", 18),
        ("intro.decision_window.years", 2),
        ("intro.ch6a.ordinary_rules_from", D("2026-01-01")),
        ("intro.s43h.decisions_before", D("2026-01-01")),
        ("law.integreringsloven_from", D("2021-01-01")),
    ],
)
def test_shipped_values(name, value):
    assert parameters.get(name, on=D("2026-06-01")).value == value


def test_every_version_names_its_source():
    s = parameters.default()
    for name in s.names():
        for v in s.parameter(name).versions:
            assert v.source.strip(), name


def test_every_final_goal_code_has_duration_and_extension():
    """regelmotor.md § 4 table: one duration and one extension per final goal code."""
    from nir.codes import code_list

    for code in code_list("final_goal").codes:
        months = parameters.get(f"intro.final_goal.{code.code}.months", on=code.valid_from)
        ext = parameters.get(f"intro.final_goal.{code.code}.extension_months", on=code.valid_from)
        assert months.value > 0 and ext.value >= 0


def test_30_hour_rule_not_in_force_before_2026():
    """il. § 8 fjerde ledd applies from 2026-01-01."""
    assert parameters.find("intro.work.min_hours_per_week", on=D("2025-12-31")) is None
    assert parameters.find("intro.work.min_hours_per_week", on=D("2026-01-01")).value == 30


def test_unknown_parameter_and_no_version_in_force():
    with pytest.raises(ParameterError):
        parameters.get("intro.no_such_thing", on=D("2026-01-01"))
    with pytest.raises(ParameterError):
        parameters.get("intro.age.max", on=D("2020-01-01"))


def test_age_60_version_is_pending():
    """Prop. 81 L (2024–2025) pkt 12.2; 004 'Uten ikrafttredelse p.t.': present, valid_from null."""
    pending = parameters.default().parameter("intro.age.max").pending()
    assert [v.value for v in pending] == [60]
    assert parameters.get("intro.age.max", on=D("2099-01-01")).value == 55


def test_latest_valid_from_wins_when_switched_on():
    s = parameters.default().with_valid_from("intro.age.max", 60, D("2026-07-01"))
    assert s.get("intro.age.max", on=D("2026-06-30")).value == 55
    assert s.get("intro.age.max", on=D("2026-07-01")).value == 60
    assert parameters.get("intro.age.max", on=D("2026-07-01")).value == 55  # the shipped set is unchanged


def _person(birth: str, permit: str) -> dict:
    return {
        "birth_date": birth,
        "education": "below_upper_secondary",
        "permits": [{"basis": "utl_28", "decision_date": permit, "arrival_date": None}],
        "settlements": [{"municipality": "5001", "date": permit, "by_agreement": True}],
        "decisions": [],
        "final_goal": None,
        "extension_months": 0,
        "absences": [],
    }


def test_age_55_to_60_switched_on_by_one_line_of_data(tmp_path):
    """Prop. 81 L (2024–2025) pkt 12.2: setting valid_from on the pending version (one line in intro.yaml)
    switches it on; a 58-year-old then gets right_and_duty. The limit is read on the permit decision date."""
    for f in parameters.DATA_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    text = (tmp_path / "intro.yaml").read_text(encoding="utf-8")
    line = "          valid_from: null   # Uten ikrafttredelse p.t. (004); set the date when it is announced"
    assert line in text
    (tmp_path / "intro.yaml").write_text(text.replace(line, "          valid_from: 2026-07-01"), encoding="utf-8")
    switched = load(tmp_path)

    as_of = D("2026-12-01")
    aged_58 = _person("1968-03-03", "2026-08-03")
    assert evaluate(aged_58, as_of).intro.category == "may_be_offered"
    assert evaluate(aged_58, as_of, switched).intro.category == "right_and_duty"
    # a permit granted before the change came into force is judged by the limit then in force
    assert evaluate(_person("1968-03-03", "2026-05-04"), as_of, switched).intro.category == "may_be_offered"
    # over 60: the kan-gruppe ("Over 60 i kan-gruppe intro", 004)
    assert evaluate(_person("1965-03-03", "2026-08-03"), as_of, switched).intro.category == "may_be_offered"
    # the explanation names the new version's source
    steps = evaluate(aged_58, as_of, switched).to_json()["explanations"]["intro.category"]
    assert any(p["value"] == 60 and "Prop. 81 L" in p["source"] for s in steps for p in s.get("parameters", []))


def test_loader_rejects_malformed_files(tmp_path):
    (tmp_path / "a.yaml").write_text("x:\n  values:\n    - value: 1\n      source: s\n", encoding="utf-8")
    with pytest.raises(ValueError, match="valid_from"):
        load(tmp_path)
    (tmp_path / "a.yaml").write_text(
        "x:\n  values:\n    - value: 1\n      valid_from: 2021-01-01\n      source: s\n", encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text(
        "x:\n  values:\n    - value: 2\n      valid_from: 2021-01-01\n      source: s\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="defined twice"):
        load(tmp_path)


def test_valid_to_is_inclusive():
    s = parameters.default()
    assert s.get("intro.final_goal.work_vgo_old.months", on=D("2025-12-31")).value == 6
    assert s.find("intro.final_goal.work_vgo_old.months", on=D("2026-01-01")) is None
