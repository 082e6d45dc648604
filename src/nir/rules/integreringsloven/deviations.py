"""Deviations (avvik) — the report «Personer i introduksjonsprogram med avvik i
registrering av sluttmål» (004; regelmotor.md § 6).

Filters in the report (004):

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
"""

from __future__ import annotations

import datetime as dt

from nir.codes import Code
from nir.rules.dates import fmt
from nir.rules.model import Explanation

SOURCE = "004 (Personer i introduksjonsprogram med avvik i registrering av sluttmål)"


def final_goal_deviations(start: dt.date | None, code: Code | None, has_participation: bool) -> list[Explanation]:
    if not has_participation:
        return []
    if code is None:
        return [
            Explanation(
                "final_goal_missing",
                SOURCE,
                "Med vedtak om introduksjonsprogram, men ikke registrert sluttmål.",
                "final_goal_missing",
                {"start_date": start},
            )
        ]
    facts = {"start_date": start, "final_goal": code.code, "valid_from": code.valid_from, "valid_to": code.valid_to}
    if start is not None and code.valid_from is not None and start < code.valid_from:
        return [
            Explanation(
                "final_goal_2026_before_2026_start",
                SOURCE,
                f"Med oppstart i introduksjonsprogram ({fmt(start)}) før sluttmålet «{code.label}» gjelder "
                f"(fra {fmt(code.valid_from)}).",
                "final_goal_2026_before_2026_start",
                facts,
            )
        ]
    if start is not None and code.valid_to is not None and start > code.valid_to:
        return [
            Explanation(
                "final_goal_expired",
                SOURCE,
                f"Med oppstart i introduksjonsprogram {fmt(start)}, men med sluttmålet «{code.label}» som "
                f"ikke gjelder lenger (gyldig til {fmt(code.valid_to)}).",
                "final_goal_expired",
                facts,
            )
        ]
    return []
