"""004 «Personer i introduksjonsprogram med avvik i registrering av sluttmål» — the deviation report's
filters (``nir_004/deviations.py``). Each row of :data:`DEVIATION` on both interpreters."""

from __future__ import annotations

import datetime as dt

import pytest
from two_paths import decide_both

from nir.rules.dates import NAT, day
from nir.rules.nir_004 import deviations
from nir.rules.nir_004.deviations import DEVIATION, FAR_FUTURE, FAR_PAST
from nir.rules.table import REGISTRY

D = dt.date.fromisoformat


def scope(has_participation=True, has_goal=True, start="2026-01-12", valid_from=None, valid_to=None):
    return {
        "has_participation": has_participation,
        "has_goal": has_goal,
        "start": day(D(start)) if start else NAT,
        "valid_from": day(D(valid_from)) if valid_from else FAR_PAST,
        "valid_to": day(D(valid_to)) if valid_to else FAR_FUTURE,
        "start_date": D(start) if start else None,
        "label": "Arbeid",
        "valid_from_date": D(valid_from) if valid_from else None,
        "valid_to_date": D(valid_to) if valid_to else None,
    }


@pytest.mark.parametrize(
    "s,expected",
    [
        (scope(has_goal=False), "final_goal_missing"),
        (scope(start="2025-11-03", valid_from="2026-01-01"), "final_goal_2026_before_2026_start"),
        (scope(start="2026-01-01", valid_from="2026-01-01"), "none"),
        (scope(start="2026-01-01", valid_to="2025-12-31"), "final_goal_expired"),
        (scope(start="2025-12-31", valid_to="2025-12-31"), "none"),
        (scope(has_participation=False, has_goal=False, start=None), "none"),
    ],
)
def test_filters(s, expected):
    """004: «Med vedtak om introduksjonsprogram, men ikke registrert sluttmål»; «Med oppstart … før 2026,
    men med sluttmål fra 1.1.2026»; «Med oppstart … fra 2026, men med sluttmål som ikke gjelder lenger»."""
    step = decide_both(DEVIATION, s)
    assert step.value == expected


def test_order_of_the_report_columns():
    """004: the report's three filters, in the order vector.py encodes them as bits."""
    assert deviations.DEVIATIONS == ("final_goal_missing", "final_goal_2026_before_2026_start", "final_goal_expired")
    for d in deviations.DEVIATIONS:
        assert REGISTRY[d].kind == "deviation" and REGISTRY[d].source.startswith("004 (Personer i")
