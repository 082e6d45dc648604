"""Deviations (avvik) — the report «Personer i introduksjonsprogram med avvik i
registrering av sluttmål» (004; regelmotor.md § 6).

Filters in the report (004), the rows of :data:`DEVIATION`:

* ``final_goal_missing`` — «Med vedtak om introduksjonsprogram, men ikke registrert sluttmål»
* ``final_goal_2026_before_2026_start`` — «Med oppstart i introduksjonsprogram før 2026,
  men med sluttmål fra 1.1.2026»: the programme started before the new code's
  ``valid_from`` (a 2026 code before 2026-01-01, a 2025 code before 2025-01-01)
* ``final_goal_expired`` — «Med oppstart i introduksjonsprogram fra 2026, men med
  sluttmål som ikke gjelder lenger»: the programme started after the old code's
  ``valid_to``

The windows are those of the code list ``final_goal`` (nir/codes/data). A goal
outside its window is accepted with a warning, never refused (regelmotor.md § 5).
Only persons under integreringsloven with a participation decision are in the report.
The scope is in day numbers (``start``: ``NAT`` none; ``valid_from`` / ``valid_to``:
``FAR_PAST`` / ``FAR_FUTURE`` for an open end).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from nir.codes import Code
from nir.rules.dates import NAT, day
from nir.rules.legal_basis import NIR_004, REGELMOTOR, LegalBasis
from nir.rules.model import Explanation
from nir.rules.table import ALWAYS, DecisionTable, Row, V, declare

REPORT_004 = LegalBasis(NIR_004, "", note="Personer i introduksjonsprogram med avvik i registrering av sluttmål")
RM_6 = LegalBasis(REGELMOTOR, "§ 6")
FAR_PAST, FAR_FUTURE = -(10**9), 10**9
NONE = "none"

_ROWS = [
    Row(
        "final_goal_missing",
        V("has_participation") & ~V("has_goal"),
        "final_goal_missing",
        (REPORT_004, RM_6),
        "Med vedtak om introduksjonsprogram, men ikke registrert sluttmål.",
    ),
    Row(
        "final_goal_2026_before_2026_start",
        V("has_participation") & (V("start") != NAT) & (V("start") < V("valid_from")),
        "final_goal_2026_before_2026_start",
        (REPORT_004, RM_6),
        "Med oppstart i introduksjonsprogram ({start_date}) før sluttmålet «{label}» gjelder (fra {valid_from_date}).",
        title="Med oppstart i introduksjonsprogram før sluttmålet gjelder (for eksempel før 2026, men med sluttmål "
        "fra 1.1.2026).",
    ),
    Row(
        "final_goal_expired",
        V("has_participation") & (V("start") != NAT) & (V("start") > V("valid_to")),
        "final_goal_expired",
        (REPORT_004, RM_6),
        "Med oppstart i introduksjonsprogram {start_date}, men med sluttmålet «{label}» som ikke gjelder lenger "
        "(gyldig til {valid_to_date}).",
        title="Med oppstart i introduksjonsprogram etter at sluttmålet sluttet å gjelde.",
    ),
]
for _row in _ROWS:
    declare(_row.id, _row.title or _row.text, *_row.bases, kind="deviation")
DEVIATIONS = tuple(str(r.then) for r in _ROWS)

DEVIATION = DecisionTable(
    "nir_004_final_goal_deviation",
    (*DEVIATIONS, NONE),
    [
        *_ROWS,
        Row(
            "final_goal_no_deviation",
            ALWAYS,
            NONE,
            (REPORT_004, RM_6),
            "Ingen avvik i registrering av sluttmål.",
            title="Ingen avvik: ikke i rapporten (ingen vedtak om program, eller sluttmål som gjelder på startdato).",
        ),
    ],
)


def final_goal_deviations(start: dt.date | None, code: Code | None, has_participation: bool) -> list[Explanation]:
    """:data:`DEVIATION` for one person: the deviation's explanation, or none."""
    scope: dict[str, Any] = {
        "has_participation": has_participation,
        "has_goal": code is not None,
        "start": day(start) if start else NAT,
        "valid_from": day(code.valid_from) if code and code.valid_from else FAR_PAST,
        "valid_to": day(code.valid_to) if code and code.valid_to else FAR_FUTURE,
        "start_date": start,
        "label": code.label if code else None,
        "valid_from_date": code.valid_from if code else None,
        "valid_to_date": code.valid_to if code else None,
    }
    r = DEVIATION.match(scope)
    if r.then == NONE:
        return []
    facts: dict[str, Any] = {"start_date": start}
    if code is not None:
        facts |= {"final_goal": code.code, "valid_from": code.valid_from, "valid_to": code.valid_to}
    return [DEVIATION.explain(r, scope, facts)]


def deviation_columns(
    has_participation: np.ndarray, has_goal: np.ndarray, start: np.ndarray, valid_from: np.ndarray, valid_to: np.ndarray
) -> np.ndarray:
    """:data:`DEVIATION` on columns: per person the index of the deviation in :data:`DEVIATIONS` (or of ``none``)."""
    scope = {
        "has_participation": has_participation,
        "has_goal": has_goal,
        "start": start,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    return DEVIATION.columns(scope, len(has_participation))[0]
