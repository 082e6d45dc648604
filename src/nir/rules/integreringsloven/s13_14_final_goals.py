"""Final goals (sluttmål) and the programme deadline — integreringsloven §§ 13 and 14
(regelmotor.md § 4; 004 "Oversikt over nye sluttmål og endring i maksimal varighet").

The deadline runs from the start date in the first participation decision
(004). Each final goal code carries its duration and its possible extension
(parameters ``intro.final_goal.<code>.months`` / ``.extension_months``, read on
the code's own ``valid_from`` — NIR couples goal and duration, 004). The old
codes' durations follow IMDi's 2021 guidance (unverified).

    base_deadline = period_end(start, months)
    deadline      = period_end(start, months + extension)   # when an extension is registered

An extension is only allowed where the code allows one and at most the months
in the table; a registration that breaks this is an error and is ignored.
"""

from __future__ import annotations

import datetime as dt

from nir.codes import Code
from nir.rules.context import Context, codes
from nir.rules.dates import fmt, period_end
from nir.rules.model import Derived, Explanation, RuleError
from nir.rules.parameters import Value

SOURCE = "il. §§ 13 og 14; 004 (Oversikt over nye sluttmål)"


def goal_code(ctx: Context) -> Code | None:
    """The registered final goal, or None (an unknown code is an error and ignored)."""
    goal = ctx.facts.final_goal
    if goal is None:
        return None
    code = codes("final_goal").get(goal)
    if code is None:
        ctx.error(
            RuleError(
                "final_goal_unknown",
                f"Sluttmålet '{goal}' finnes ikke i kodeverket Sluttmål.",
                "regelmotor.md § 4",
                "final_goal",
                {"final_goal": goal},
            )
        )
    return code


def goal_parameters(ctx: Context, code: Code) -> tuple[Value, Value]:
    """Duration and maximum extension of a final goal code (read on the code's valid_from)."""
    on = code.valid_from or dt.date(2021, 1, 1)
    return (
        ctx.param(f"intro.final_goal.{code.code}.months", on),
        ctx.param(f"intro.final_goal.{code.code}.extension_months", on),
    )


def extension_error(ctx: Context, code: Code | None) -> RuleError | None:
    """Rules ``extension_without_final_goal``, ``extension_not_allowed``, ``extension_exceeds_maximum``."""
    ext = ctx.facts.extension_months
    if ext <= 0:
        return None
    if code is None:
        return RuleError(
            "extension_without_final_goal",
            f"Utvidelse på {ext} måneder er registrert uten sluttmål; utvidelse forutsetter et sluttmål "
            "som kan forlenges.",
            SOURCE,
            "extension_months",
            {"extension_months": ext},
        )
    _months, allowed = goal_parameters(ctx, code)
    if allowed.value == 0:
        return RuleError(
            "extension_not_allowed",
            f"Sluttmålet «{code.label}» kan ikke forlenges (registrert utvidelse {ext} måneder).",
            allowed.source,
            "extension_months",
            {"final_goal": code.code, "extension_months": ext, "allowed_months": 0},
            allowed.verified,
        )
    if ext > allowed.value:
        return RuleError(
            "extension_exceeds_maximum",
            f"Sluttmålet «{code.label}» kan forlenges med inntil {allowed.value} måneder "
            f"(registrert utvidelse {ext} måneder).",
            allowed.source,
            "extension_months",
            {"final_goal": code.code, "extension_months": ext, "allowed_months": allowed.value},
            allowed.verified,
        )
    return None


def deadline(
    ctx: Context,
    start: dt.date,
    code: Code,
    extension_ok: bool,
    unverified_note: str = "",
) -> tuple[Derived, int, int, dt.date]:
    """Rules ``s13_14_deadline`` and ``s13_14_extension``.

    Returns (deadline before absence, months, extension months used, base deadline).
    """
    months, allowed = goal_parameters(ctx, code)
    base = period_end(start, months.value)
    facts = {"start_date": start, "final_goal": code.code}
    steps = [
        Explanation(
            "s13_14_deadline",
            months.source,
            f"Sluttmål «{code.label}» gir en frist på {months.value} måneder fra startdato {fmt(start)} i første "
            "vedtak "
            f"om program: {fmt(start)} + {months.value} måneder − 1 dag = {fmt(base)}.{unverified_note}",
            base,
            facts,
            [months],
            verified=not unverified_note,
        )
    ]
    ext = ctx.facts.extension_months if extension_ok else 0
    end = base
    if ext:
        end = period_end(start, months.value + ext)
        steps.append(
            Explanation(
                "s13_14_extension",
                allowed.source,
                f"Utvidelse {ext} måneder (inntil {allowed.value} for dette sluttmålet): {fmt(start)} + "
                f"{months.value + ext} måneder − 1 dag = {fmt(end)}.",
                end,
                facts | {"extension_months": ext},
                [allowed],
            )
        )
    return Derived(end, steps), months.value, ext, base
