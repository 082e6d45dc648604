"""Shared data for the rules-engine tests (imported by module name; conftest names collide across folders)."""

BASE_FACTS = {
    "birth_date": "1988-03-03",
    "education": "below_upper_secondary",
    "permits": [{"basis": "utl_28", "decision_date": "2025-10-01", "arrival_date": None}],
    "settlements": [{"municipality": "5001", "date": "2025-11-01", "by_agreement": True}],
    "decisions": [],
    "final_goal": None,
    "extension_months": 0,
    "absences": [],
}
