"""Parsing and serialising the interchange format (nir.register.interchange; regelmotor.md § 8)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from nir.register import interchange as ic
from nir.register import models as m


def rules(parsed):
    return {(p.field, p.rule) for p in parsed.problems}


@pytest.mark.parametrize("obj", [None, [], "tekst", 42])
def test_parse_line_never_raises_on_non_objects(obj):
    parsed = ic.parse_line(obj)
    assert rules(parsed) == {("$", "type")}


def test_parse_line_without_facts():
    parsed = ic.parse_line({"duf": "123456789002", "first_name": "A", "last_name": "B"})
    assert ("facts", "required") in rules(parsed)
    parsed = ic.parse_line({"duf": "123456789002", "first_name": "A", "last_name": "B", "facts": []})
    assert ("facts", "required") in rules(parsed)


def test_parse_typed_values():
    parsed = ic.parse_line(
        {
            "duf": " 123456789002",
            "first_name": "  Kari ",
            "last_name": "Nordmann",
            "registered_at": "2026-02-11T09:30:00Z",
            "facts": {
                "birth_date": "1990-01-15",
                "participation": [{"scheme": "norwegian", "from": "2026-03-01", "to": "2026-03-31", "hours": "12.5"}],
                "measures": [{"measure": "work_practice", "from": "2026-04-01", "hours_per_week": 20}],
                "decisions": [{"scheme": "intro", "type": "participation", "decision_date": "2026-01-05"}],
                "final_goal": "work_vgo_2026",
                "extension_months": 6,
            },
        }
    )
    assert parsed.problems == []
    assert parsed.details["first_name"] == "Kari"
    assert parsed.details["birth_date"] == dt.date(1990, 1, 15)
    assert parsed.details["education"] == "unknown" and parsed.details["protected_identity"] is False
    assert parsed.registered_at == dt.datetime(2026, 2, 11, 9, 30, tzinfo=dt.UTC)
    by_model = {it.model: it for it in parsed.items}
    assert by_model[m.Participation].values["hours"] == decimal.Decimal("12.5")
    assert by_model[m.Measure].values["scheme"] == "intro"  # default scheme
    assert by_model[m.Decision].values["result"] == "made"  # default result
    assert by_model[m.Decision].values["end_date"] is None
    assert by_model[m.FinalGoal].values == {"scheme": "intro", "goal": "work_vgo_2026", "follow_up_municipality": ""}
    assert by_model[m.Extension].values["months"] == 6


def test_extension_zero_is_no_registration():
    parsed = ic.parse_line(
        {"duf": "1", "first_name": "A", "last_name": "B", "facts": {"birth_date": "1990-01-15", "extension_months": 0}}
    )
    assert not any(it.model is m.Extension for it in parsed.items)


@pytest.mark.parametrize(
    "facts, field",
    [
        ({"birth_date": 19900115}, "facts.birth_date"),
        ({"birth_date": "1990-1-15"}, "facts.birth_date"),
        ({"birth_date": "1990-01-15", "protected_identity": "yes"}, "facts.protected_identity"),
        (
            {
                "birth_date": "1990-01-15",
                "settlements": [{"municipality": "5001", "date": "2025-11-01", "by_agreement": "true"}],
            },
            "facts.settlements[0].by_agreement",
        ),
        (
            {
                "birth_date": "1990-01-15",
                "participation": [{"scheme": "norwegian", "from": "2026-03-01", "to": "2026-03-31", "hours": "NaN"}],
            },
            "facts.participation[0].hours",
        ),
        (
            {
                "birth_date": "1990-01-15",
                "participation": [{"scheme": "norwegian", "from": "2026-03-01", "to": "2026-03-31", "hours": True}],
            },
            "facts.participation[0].hours",
        ),
        ({"birth_date": "1990-01-15", "permits": {"basis": "utl_28"}}, "facts.permits"),
        ({"birth_date": "1990-01-15", "permits": ["utl_28"]}, "facts.permits[0]"),
        ({"birth_date": "1990-01-15", "final_goal": 7}, "facts.final_goal"),
        ({"birth_date": "1990-01-15", "extension_months": 1.5}, "facts.extension_months"),
        (
            {
                "birth_date": "1990-01-15",
                "absences": [
                    {
                        "scheme": "intro",
                        "kind": "leave",
                        "from": "2026-03-02",
                        "to": "2026-03-02",
                        "registered_at": "i går",
                    }
                ],
            },
            "facts.absences[0].registered_at",
        ),
    ],
)
def test_type_problems_are_named(facts, field):
    parsed = ic.parse_line({"duf": "123456789002", "first_name": "A", "last_name": "B", "facts": facts})
    assert (field, "type") in rules(parsed), parsed.problems


def test_serialising_values():
    assert ic._json_value(decimal.Decimal("20.0")) == 20
    assert ic._json_value(decimal.Decimal("37.5")) == 37.5
    assert ic._json_value(dt.date(2026, 1, 5)) == "2026-01-05"
    assert ic._json_value(dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)) == "2026-07-01T12:00:00+02:00"


def test_every_model_is_in_the_format():
    """Every registration model has an interchange key (regelmotor.md § 8: the format grows with the register)."""
    keys = {model.FACT_KEY for model in m.REGISTRATION_MODELS}
    assert keys == set(ic.LIST_SPECS) | {"details", "final_goal", "extension_months", "family_reunification"}
    for key, (model, _spec) in ic.LIST_SPECS.items():
        assert model.FACT_KEY == key
        assert set(ic.FIELD_KINDS[model]) == set(model.FACT_FIELDS), key
