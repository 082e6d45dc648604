"""The engine's API: evaluate(), Result.to_json(), explanations, validate_registration()."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import nir.rules
from nir.rules import InvalidFacts, evaluate, validate_registration

D = dt.date.fromisoformat
RULES_DIR = Path(nir.rules.__file__).parent


def test_result_shape_matches_case_expect(facts):
    """regelmotor.md § 7: the keys of 'expect' plus explanations and the keys derived through an unverified
    step (three-valued results, optional in a case's 'expect')."""
    out = evaluate(facts, D("2026-06-01")).to_json()
    assert set(out) == {"law", "intro", "norwegian", "deviations", "errors", "unverified", "explanations"}
    assert {"category", "closed", "absence_workdays", "deadline"} <= set(out["intro"])
    assert {"category", "leave_workdays", "deadline"} <= set(out["norwegian"])
    assert set(evaluate(facts, D("2026-06-01")).to_json(explanations=False)) == {
        "law",
        "intro",
        "norwegian",
        "deviations",
        "errors",
    }


def test_every_derived_value_is_explained(facts):
    """regelmotor.md § 1 'Explainable': rule id, legal source, facts used, Norwegian text."""
    facts["decisions"] = [
        {
            "scheme": "intro",
            "type": "participation",
            "decision_date": "2026-01-05",
            "start_date": "2026-01-05",
            "end_date": None,
        }
    ]
    ex = evaluate(facts, D("2026-06-01")).to_json()["explanations"]
    for key in (
        "law",
        "intro.category",
        "intro.closed",
        "intro.absence_workdays",
        "intro.deadline",
        "norwegian.category",
        "norwegian.leave_workdays",
        "norwegian.deadline",
        "deviations",
    ):
        assert ex[key], key
        for step in ex[key]:
            assert step["rule"] and step["source"] and step["text"], (key, step)
            assert isinstance(step["facts"], dict)


def test_explanation_steps_are_to_json_explanations_flattened(facts):
    """regelmotor.md § 1 'Explainable': the readers' summary of the steps (the API's person document)
    says what ``to_json()`` says — same steps, order, rule, source, text and verified — without the
    facts behind them; errors last."""
    facts["decisions"] = [
        {"scheme": "intro", "type": "participation", "decision_date": "2025-12-15", "start_date": "2025-12-15"},
        {"scheme": "intro", "type": "loss_due_to_work", "decision_date": "2026-01-05"},
    ]
    for on in ("2025-12-01", "2026-03-01", "2028-06-01"):
        result = evaluate(facts, D(on))
        expected = [
            {"key": key, "rule": s["rule"], "source": s["source"], "text": s["text"], "verified": s["verified"]}
            for key, steps in result.to_json()["explanations"].items()
            for s in steps
        ]
        assert result.explanation_steps() == expected
    assert expected[-1]["key"] == "errors" and expected[-1]["rule"] == "loss_due_to_work_after_participation"


def test_errors_carry_rule_and_norwegian_message(facts):
    facts["decisions"] = [
        {"scheme": "intro", "type": "participation", "decision_date": "2025-12-15", "start_date": "2025-12-15"},
        {"scheme": "intro", "type": "loss_due_to_work", "decision_date": "2026-01-05"},
    ]
    out = evaluate(facts, D("2026-03-01")).to_json()
    assert out["errors"] == ["loss_due_to_work_after_participation"]
    [err] = out["explanations"]["errors"]
    assert err["subject"] == "decisions[1]" and "vedtak om deltakelse" in err["text"] and err["source"]


def test_closed_labels_come_from_code_lists(facts):
    facts["decisions"] = [{"scheme": "intro", "type": "loss_due_to_work", "decision_date": "2026-01-05"}]
    closed = evaluate(facts, D("2026-03-01")).to_json()["intro"]["closed"]
    assert closed == {
        "status": "Avbrutt",
        "reason": "Vedtak om bortfall av rett og plikt pga. arbeid",
        "date": "2026-01-05",
        "registered_by": "Regelmotor",
    }


def test_tolerates_interchange_keys(facts):
    """regelmotor.md § 8: the interchange format's extra keys are ignored by the engine."""
    facts |= {
        "sex": "female",
        "national_id": "12869112345",
        "protected_identity": False,
        "residences": [
            {"municipality": "5001", "address": "Storgata 1", "postal_code": "7010", "from": "2025-11-01", "to": None}
        ],
        "follow_up": [{"municipality": "5001", "from": "2025-11-01", "to": None}],
        "measures": [
            {
                "scheme": "intro",
                "measure": "work_practice",
                "from": "2026-04-01",
                "to": "2026-06-30",
                "hours_per_week": 20,
            }
        ],
        "participation": [{"scheme": "norwegian", "from": "2026-03-01", "to": "2026-03-31", "hours": 48}],
        "terminations": [],
        "career_guidance": [],
        "competence_mappings": [],
    }
    facts["permits"][0]["effectuation_date"] = None
    facts["decisions"] = [
        {
            "scheme": "intro",
            "type": "participation",
            "result": "made",
            "decision_date": "2026-01-05",
            "start_date": "2026-01-05",
            "end_date": None,
            "follow_up_municipality": "5001",
            "registered_at": "2026-01-05T10:00:00+01:00",
        }
    ]
    assert evaluate(facts, D("2026-06-01")).intro.category == "right_and_duty"


def test_invalid_facts_raise_with_path(facts):
    facts["permits"][0]["decision_date"] = "01.10.2025"
    with pytest.raises(InvalidFacts, match=r"facts.permits\[0\].decision_date"):
        evaluate(facts, D("2026-06-01"))


def test_absence_period_rules(facts):
    facts["absences"] = [
        {"scheme": "intro", "kind": "leave", "from": "2026-03-10", "to": "2026-03-02"},
        {"scheme": "intro", "kind": "sick", "from": "2026-03-02", "to": "2026-03-03"},
    ]
    assert evaluate(facts, D("2026-06-01")).error_ids == ["absence_end_before_start", "absence_kind_unknown"]


def test_integreringsloven_rules_do_not_depend_on_introduksjonsloven():
    """regelmotor.md § 2: introduksjonsloven support is phased out — it must be removable."""
    for p in (RULES_DIR / "integreringsloven").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert "nir.rules.introduksjonsloven" not in text and "import introduksjonsloven" not in text, p


# --- validate_registration -------------------------------------------------------------------

PART = {
    "scheme": "intro",
    "type": "participation",
    "decision_date": "2025-12-15",
    "start_date": "2025-12-15",
    "end_date": None,
}
LOSS = {
    "scheme": "intro",
    "type": "loss_due_to_work",
    "decision_date": "2026-01-05",
    "start_date": None,
    "end_date": None,
}


def test_refuses_loss_after_participation(facts):
    """004: «Kan kun registreres dersom det IKKE foreligger et vedtak om deltakelse fra før»."""
    facts["decisions"] = [PART]
    [v] = validate_registration(facts, "decisions", LOSS, D("2026-01-05"))
    assert v.rule == "loss_due_to_work_after_participation" and v.subject == "decisions[1]"
    assert "[loss_due_to_work_after_participation]" in str(v)


def test_accepts_loss_without_participation_and_participation_after_loss(facts):
    """004: «Mulig å registrere vedtak om deltakelse ETTER vedtak om bortfall av rett og plikt arbeid»."""
    assert validate_registration(facts, "decisions", LOSS, D("2026-01-05")) == []
    facts["decisions"] = [LOSS]
    later = PART | {"decision_date": "2026-03-02", "start_date": "2026-03-02"}
    assert validate_registration(facts, "decisions", later, D("2026-03-02")) == []


def test_refuses_backdated_participation_that_contradicts_a_loss(facts):
    facts["decisions"] = [LOSS]
    [v] = validate_registration(facts, "decisions", PART, D("2026-03-02"))
    assert v.rule == "loss_due_to_work_after_participation" and v.subject == "decisions[0]"


def test_refuses_loss_before_2026(facts):
    """il. § 8 fjerde ledd from 2026-01-01."""
    [v] = validate_registration(facts, "decisions", LOSS | {"decision_date": "2025-12-30"}, D("2025-12-30"))
    assert v.rule == "loss_due_to_work_not_in_force"


def test_refuses_decision_type_in_wrong_scheme(facts):
    d = {"scheme": "norwegian", "type": "temporary_stop", "decision_date": "2026-01-05"}
    assert [v.rule for v in validate_registration(facts, "decisions", d, D("2026-01-05"))] == [
        "decision_type_not_in_scheme"
    ]


def test_refuses_extension_beyond_allowed(facts):
    facts["final_goal"] = "work_vgo_2026"
    assert [v.rule for v in validate_registration(facts, "extension_months", 3, D("2026-06-01"))] == [
        "extension_not_allowed"
    ]
    facts["final_goal"] = "complete_vgo_2025"
    assert validate_registration(facts, "extension_months", 12, D("2026-06-01")) == []
    assert [v.rule for v in validate_registration(facts, "extension_months", 13, D("2026-06-01"))] == [
        "extension_exceeds_maximum"
    ]


def test_final_goal_outside_window_is_accepted(facts):
    """regelmotor.md § 5: a final goal outside its window is accepted with a warning (a deviation)."""
    facts["decisions"] = [PART | {"decision_date": "2026-01-12", "start_date": "2026-01-12"}]
    assert validate_registration(facts, "final_goal", "work_no_vgo_old", D("2026-04-01")) == []


def test_existing_errors_are_not_blamed_on_the_new_registration(facts):
    facts["decisions"] = [PART, LOSS]
    absence = {"scheme": "intro", "kind": "absence", "from": "2026-02-02", "to": "2026-02-03"}
    assert validate_registration(facts, "absences", absence, D("2026-03-01")) == []


def test_unknown_kind_is_rejected(facts):
    with pytest.raises(ValueError):
        validate_registration(facts, "nonsense", {}, D("2026-03-01"))


def test_absence_outside_calendar_is_an_error(facts):
    facts["absences"] = [{"scheme": "intro", "kind": "leave", "from": "2150-03-02", "to": "2150-03-10"}]
    assert evaluate(facts, D("2026-06-01")).error_ids == ["absence_date_out_of_range"]


def test_any_mix_of_case_facts_at_any_date_evaluates():
    """Robustness: facts recombined from the conformance cases, evaluated at dates 2020–2032, never crash."""
    import copy
    import json
    import random

    from test_cases import CASE_FILES

    facts_list = [json.loads(p.read_text(encoding="utf-8"))["facts"] for p in CASE_FILES]
    rnd = random.Random(7)
    for _ in range(300):
        f = {
            k: copy.deepcopy(rnd.choice(facts_list).get(k))
            for k in ("birth_date", "education", "settlements", "absences", "final_goal", "extension_months")
        }
        f["birth_date"] = f["birth_date"] or "1990-01-01"
        f["permits"] = [p for x in rnd.sample(facts_list, 2) for p in x.get("permits", [])]
        f["decisions"] = [d for x in rnd.sample(facts_list, 2) for d in x.get("decisions", [])]
        as_of = dt.date(rnd.randint(2020, 2032), rnd.randint(1, 12), rnd.randint(1, 28))
        out = evaluate(f, as_of).to_json()
        assert out["intro"]["category"] in ("right_and_duty", "right", "may_be_offered", "none")
        assert out["norwegian"]["category"] in ("right_and_duty", "duty", "right", "none")
