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
in the table; a registration that breaks this is an error and is ignored. Which
is one decision table, :data:`EXTENSION`: its rows are the three errors and, last,
the extension granted (whose explanation the deadline gives). The per-person
functions and the column functions below them run the same rows and blocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from nir.codes import Code
from nir.rules.checks import Check
from nir.rules.context import Context, codes
from nir.rules.dates import period_end, period_end_days
from nir.rules.legal_basis import IL, NIR_004, REGELMOTOR, LegalBasis
from nir.rules.model import Derived, Explanation, Facts, RuleError
from nir.rules.parameters import ParameterError, ParameterSet, Value
from nir.rules.table import ALWAYS, DecisionTable, Row, V, declare

IL_13 = LegalBasis(IL, "13")
IL_14 = LegalBasis(IL, "14")
GOALS_004 = LegalBasis(NIR_004, "", note="Oversikt over nye sluttmål")
IL_13_3 = LegalBasis(IL, "13", 3)
IL_13_2021 = LegalBasis(
    IL, "13", verified=False, note="2021-versjonen; IMDi, Sluttmål og varighet i integreringsloven (2021)"
)
RM_4 = LegalBasis(REGELMOTOR, "§ 4")
UPPER_SECONDARY = "upper_secondary_or_higher"  # the final goal code's attribute «education»
DEADLINE_FROM_START_004 = LegalBasis(NIR_004, "", note="frist fra startdato i første vedtak om program")
IL_8_4 = LegalBasis(IL, "8", 4)  # the scheme closed by loss of right and duty due to work
CODES_FROM = dt.date(2021, 1, 1)  # a code without valid_from is read on integreringsloven's first day

GOAL_UNKNOWN = Check(
    "final_goal_unknown",
    ~V("goal_known"),
    RM_4,
    "Sluttmålet '{final_goal}' finnes ikke i kodeverket Sluttmål.",
    title="Sluttmålet finnes ikke i kodeverket Sluttmål: registreringen avvises.",
)

# The deadline's legal basis follows the final goal: the codes for persons with upper secondary education from
# before are il. § 13 (third paragraph: «inntil tolv måneder»), the others il. § 14; the old codes (valid until
# 31.12.2025) the 2021 version of § 13 as IMDi's 2021 guidance reads it (unverified). ``base`` is
# period_end(start, months), computed by the date block; the column path computes it with period_end_days.
_DEADLINE_TEXT = (
    "Sluttmål «{label}» gir en frist på {months} måneder fra startdato {start_date} i første vedtak om program: "
    "{start_date} + {months} måneder − 1 dag = {base}.{note}"
)
# Declared with every basis its rows cite (a table registers an id with its first row's); the old codes' row is
# flagged unverified when it decides.
declare(
    "s13_14_deadline",
    "Frist: startdato i første vedtak om program + sluttmålets varighet (måneder) − 1 dag; il. § 13 for sluttmål "
    "for personer med videregående fra før, § 14 for de andre, de gamle sluttmålene etter IMDis veiledning fra "
    "2021 (ikke verifisert).",
    IL_13_3,
    IL_14,
    GOALS_004,
)
DEADLINE = DecisionTable(
    "il_13_14_deadline",
    (),
    [
        Row(
            "s13_14_deadline",
            V("upper") & ~V("old"),
            V("base"),
            (IL_13_3, GOALS_004),
            _DEADLINE_TEXT,
        ),
        Row("s13_14_deadline", ~V("old"), V("base"), (IL_14, GOALS_004), _DEADLINE_TEXT),
        Row("s13_14_deadline", ALWAYS, V("base"), IL_13_2021, _DEADLINE_TEXT),
    ],
)

# Whether there is a programme deadline at all: not when the scheme is closed (il. § 8 fourth paragraph), there
# is no participation decision to run from (004), or no final goal to give the duration (a deviation, 004).
declare(
    "intro_deadline_none",
    "Ingen frist: ordningen er avsluttet, det er ikke registrert vedtak om deltakelse, eller det er ikke "
    "registrert sluttmål.",
    IL_8_4,
    RM_4,
    DEADLINE_FROM_START_004,
    GOALS_004,
)
DEADLINE_CASE = DecisionTable(
    "il_13_14_deadline_case",
    ("none", "deadline"),
    [
        Row(
            "intro_deadline_none",
            V("closed"),
            "none",
            (IL_8_4, RM_4),
            "Ingen frist: ordningen er avsluttet.",
        ),
        Row(
            "intro_deadline_none",
            ~V("has_participation"),
            "none",
            (RM_4, DEADLINE_FROM_START_004),
            "Ingen frist: det er ikke registrert vedtak om deltakelse i introduksjonsprogram.",
        ),
        Row(
            "intro_deadline_none",
            ~V("has_goal"),
            "none",
            (RM_4, GOALS_004),
            "Ingen frist: det er ikke registrert sluttmål (avvik).",
        ),
        Row(
            "s13_14_deadline",
            ALWAYS,
            "deadline",
            (IL_13, IL_14, GOALS_004),
            "Frist fra startdato i første vedtak om program og sluttmålets varighet.",
        ),
    ],
)

EXTENSION_ERRORS = ("extension_without_final_goal", "extension_not_allowed", "extension_exceeds_maximum")

# A registered extension (``ext`` > 0 months) of a final goal (``has_goal``; ``allowed``: its maximum).
_EXTENSION_ROWS = [
    Row(
        "extension_without_final_goal",
        ~V("has_goal"),
        "extension_without_final_goal",
        (IL_13, IL_14, GOALS_004),
        "Utvidelse på {ext} måneder er registrert uten sluttmål; utvidelse forutsetter et sluttmål som kan forlenges.",
        title="Utvidelse registrert uten sluttmål: utvidelsen avvises.",
    ),
    Row(
        "extension_not_allowed",
        V("allowed") == 0,
        "extension_not_allowed",
        (IL_13, IL_14, GOALS_004),
        "Sluttmålet «{label}» kan ikke forlenges (registrert utvidelse {ext} måneder).",
        title="Utvidelse av et sluttmål som ikke kan forlenges: utvidelsen avvises.",
    ),
    Row(
        "extension_exceeds_maximum",
        V("ext") > V("allowed"),
        "extension_exceeds_maximum",
        (IL_13, IL_14, GOALS_004),
        "Sluttmålet «{label}» kan forlenges med inntil {allowed} måneder (registrert utvidelse {ext} måneder).",
        title="Utvidelse over sluttmålets grense: utvidelsen avvises.",
    ),
    Row(
        "s13_14_extension",
        ALWAYS,
        "granted",
        (IL_13, IL_14, GOALS_004),
        "Utvidelse {ext} måneder (inntil {allowed} for dette sluttmålet): {start_date} + {total} måneder − 1 dag "
        "= {end_date}.",
        title="Registrert utvidelse innenfor sluttmålets grense: frist = startdato + (varighet + utvidelse) "
        "måneder − 1 dag.",
    ),
]
for _row in _EXTENSION_ROWS[: len(EXTENSION_ERRORS)]:
    declare(_row.id, _row.title, *_row.bases, kind="error")  # errors: declared as such before the table's rows
EXTENSION = DecisionTable("il_13_14_extension", (*EXTENSION_ERRORS, "granted"), _EXTENSION_ROWS)


def goal_code(ctx: Context) -> Code | None:
    """The registered final goal, or None (an unknown code is an error and ignored)."""
    goal = ctx.facts.final_goal
    if goal is None:
        return None
    code = codes("final_goal").get(goal)
    e = GOAL_UNKNOWN.error({"goal_known": code is not None, "final_goal": goal}, "final_goal", {"final_goal": goal})
    if e:
        ctx.error(e)
    return code


def deadline_case(ctx: Context, closed: bool, start: dt.date | None, code: Code | None) -> Explanation | None:
    """:data:`DEADLINE_CASE` for one person: why there is no deadline, or None when there is one."""
    scope = {"closed": closed, "has_participation": start is not None, "has_goal": code is not None}
    r = DEADLINE_CASE.match(scope)
    return DEADLINE_CASE.explain(r, scope, {"start_date": start} if start else {}) if r.then == "none" else None


def goal_parameters(ctx: Context, code: Code) -> tuple[Value, Value]:
    """Duration and maximum extension of a final goal code (read on the code's valid_from)."""
    on = code.valid_from or CODES_FROM
    return (
        ctx.param(f"intro.final_goal.{code.code}.months", on),
        ctx.param(f"intro.final_goal.{code.code}.extension_months", on),
    )


def extension_error(ctx: Context, code: Code | None) -> RuleError | None:
    """:data:`EXTENSION`'s error rows for one person (None: no extension, or one that is allowed)."""
    ext = ctx.facts.extension_months
    if ext <= 0:
        return None
    allowed = goal_parameters(ctx, code)[1] if code else None
    scope: dict[str, Any] = {
        "has_goal": code is not None,
        "allowed": allowed.value if allowed else 0,
        "ext": ext,
        "label": code.label if code else None,
    }
    r = EXTENSION.match(scope)
    if r.then == "granted":
        return None
    step = EXTENSION.explain(r, scope)
    facts: dict[str, Any] = {"extension_months": ext}
    if code is not None and allowed is not None:
        facts = {"final_goal": code.code, "extension_months": ext, "allowed_months": allowed.value}
    verified = step.verified and (allowed.verified if allowed else True)
    return RuleError(step.rule, step.text, step.source, "extension_months", facts, verified)


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
    scope: dict[str, Any] = {
        "upper": code.attrs.get("education") == UPPER_SECONDARY,
        "old": code.valid_to is not None,
        "base": base,
        "label": code.label,
        "months": months.value,
        "start_date": start,
        "note": unverified_note,
    }
    step = DEADLINE.decide(scope, facts, [months]).steps[0]
    step.verified = step.verified and not unverified_note
    steps = [step]
    ext = ctx.facts.extension_months if extension_ok else 0
    end = base
    if ext:
        end = period_end(start, months.value + ext)
        scope = {
            "has_goal": True,
            "allowed": allowed.value,
            "ext": ext,
            "start_date": start,
            "total": months.value + ext,
            "end_date": end,
        }
        steps.append(
            EXTENSION.explain(EXTENSION.match(scope), scope, facts | {"extension_months": ext}, [allowed], end)
        )
    return Derived(end, steps), months.value, ext, base


# --- columns -------------------------------------------------------------------------------------


def goal_columns(params: ParameterSet, as_of: dt.date, goal_codes: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Per final goal code (index into ``goal_codes``, plus one for an unknown code): its months, maximum
    extension and whether a parameter is missing (persons with that code fall back to the per-person path)."""
    ctx = Context(_NO_FACTS, as_of, params)  # goal_parameters only reads parameters
    n = len(goal_codes)
    months, ext, bad = np.zeros(n + 1, np.int64), np.zeros(n + 1, np.int64), np.zeros(n + 1, bool)
    for i, c in enumerate(goal_codes):
        try:
            m, e = goal_parameters(ctx, codes("final_goal")[c])
            months[i], ext[i] = int(m.value), int(e.value)
        except ParameterError:
            bad[i] = True
    return months, ext, bad


def extension_columns(has_goal: np.ndarray, allowed: np.ndarray, ext: np.ndarray) -> dict[str, np.ndarray]:
    """:data:`EXTENSION` on columns: per error id the persons with a registered extension it refuses."""
    n = len(ext)
    value = EXTENSION.columns({"has_goal": has_goal, "allowed": allowed, "ext": ext}, n)[0]
    return {e: (ext > 0) & (value == EXTENSION.code(e)) for e in EXTENSION_ERRORS}


def deadline_case_columns(closed: np.ndarray, has_participation: np.ndarray, has_goal: np.ndarray) -> np.ndarray:
    """:data:`DEADLINE_CASE` on columns: whether each person has a programme deadline."""
    scope = {"closed": closed, "has_participation": has_participation, "has_goal": has_goal}
    has: np.ndarray = DEADLINE_CASE.columns(scope, len(closed))[0] == DEADLINE_CASE.code("deadline")
    return has


def deadline_columns(start: np.ndarray, months: np.ndarray, ext_used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`deadline` on columns: (base deadline, deadline before absence)."""
    base = period_end_days(start, months)
    return base, np.where(ext_used > 0, period_end_days(start, months + ext_used), base)


_NO_FACTS = Facts(dt.date.min, "unknown", [], [], [], [], None, 0, [])
