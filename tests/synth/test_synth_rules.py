"""The synthetic population seen by the rules engine: consistent facts, realistic deviations."""

from __future__ import annotations

from collections import Counter

from synth_support import NOW, jsonl_lines

from nir.rules import evaluate


def test_rules_engine_finds_no_errors_and_the_expected_deviations():
    lines = jsonl_lines(6000, seed=21)
    errors: Counter = Counter()
    deviations: Counter = Counter()
    categories: Counter = Counter()
    closures = 0
    for line in lines:
        facts = line["facts"]
        result = evaluate(facts, NOW.date())
        errors.update(result.error_ids)
        deviations.update(result.deviations)
        categories[result.intro.category] += 1
        loss = [d for d in facts.get("decisions", []) if d["type"] == "loss_due_to_work"]
        if loss:
            # The engine closes the programme where the generator registered the Regelmotor's termination.
            auto = [t for t in facts.get("terminations", []) if t.get("reason") == "loss_due_to_work"]
            assert result.intro.closed is not None, line["duf"]
            assert result.intro.closed.date.isoformat() == loss[0]["decision_date"] == auto[0]["date"]
            closures += 1
    assert not errors, errors
    assert closures > 0
    # The deviation report has rows of every kind, but few.
    assert set(deviations) == {"final_goal_missing", "final_goal_2026_before_2026_start", "final_goal_expired"}
    assert deviations["final_goal_missing"] < 0.05 * len(lines)
    # Collective protection (right) and right and duty dominate; some may be offered.
    # (a third of the settled persons are children of households, with no category of their own)
    assert categories["right"] > 0.18 * len(lines)
    assert categories["right_and_duty"] > 0.25 * len(lines)
    assert categories["may_be_offered"] > 0.05 * len(lines)
