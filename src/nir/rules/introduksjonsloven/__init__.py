"""Rules under introduksjonsloven (LOV-2003-07-04-80), kept isolated.

The act was repealed on 1.1.2021 but still applies to persons whose first
permit was granted before then (if. § 72, ``nir.rules.integreringsforskriften.if_72_which_act``). NIR 1.0
supports it; support is to be phased out by 31.12.2027 (000, oppdrag 2026-02).
Everything about the old act lives in this package, which may use the shared
building blocks (dates, workdays, parameters, the general decision rules) but
is never imported by the integreringsloven rules: deleting this package and
its parameter file ``introduksjonsloven.yaml`` (and the branches in
``nir.rules.engine`` and ``nir.rules.vector``) removes the old act.

What is derived (all unverified — law-notes R5, R7; parameters in
``parameters/introduksjonsloven.yaml``):

* programme: ``right_and_duty`` for § 2 persons (permit bases as il. § 9,
  18–55 at grant, settled by agreement except family members); kan-gruppe
  otherwise when living in a municipality;
* programme deadline: «inntil to år, med tillegg av godkjent permisjon»; with an
  extension («særlige grunner») up to three years (§ 5); leave (permisjon)
  is added in workdays without threshold;
* Norwegian (§ 17): right and duty / duty by the same permit groups, ages
  16–66 at grant; the deadline is not computed by the regelmotor;
* no final goals and no deviation report (the report is for integreringsloven).

The category choices are decision tables (:data:`INTRO`, :data:`NORWEGIAN`) and the
deadline one small function of the date blocks; each per-person function has its
column form directly below it, which ``nir.rules.vector`` runs for the register.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np

from nir.rules.columns import ColumnContext
from nir.rules.context import Context, il9_letter, permit_facts
from nir.rules.dates import age_on, age_on_days, date_of, day, fmt, period_end, period_end_days
from nir.rules.integreringsforskriften import if_10_19_absence as periods_rules
from nir.rules.integreringsforskriften.if_10_19_absence import CAL_FIRST, CAL_LAST
from nir.rules.integreringsloven import decision_validity
from nir.rules.integreringsloven.common import (
    INTRO_LABELS,
    NORWEGIAN_LABELS,
    lives_in_municipality,
    settled_by_agreement,
)
from nir.rules.legal_basis import IF, IL, INTROL, LegalBasis, cite
from nir.rules.model import Derived, Explanation, IntroResult, NorwegianResult, Permit, RuleError
from nir.rules.table import ALWAYS, DecisionTable, Row, V, declare
from nir.rules.workdays import add_workdays, add_workdays_days, count_workdays

S2 = LegalBasis(INTROL, "2", verified=False)
S5 = LegalBasis(INTROL, "5")  # IMDi «Forlengelse» (law-notes [V]); the engine's reading of it is unverified
S17 = LegalBasis(INTROL, "17", verified=False)
LETTERS_FAMILY = ("f", "g")  # family members: settlement by agreement not required
WORK = "work"
# § 17: labour immigrants from outside the EEA and their family have a duty, not a right (law-notes R7 [S]);
# family immigrants with a Norwegian/Nordic reference person have right and duty.
S17_DUTY_BASES = ("work", "family_of_worker")
S17_BASES = ("family_of_norwegian", *S17_DUTY_BASES)
FAMILY_OF_NORWEGIAN = "family_of_norwegian"
INTRO_OUT = tuple(INTRO_LABELS)
NORWEGIAN_OUT = tuple(NORWEGIAN_LABELS)

# The programme (§ 2): the first permit with an il. § 9 basis (``has_permit``), the age when it was granted.
INTRO = DecisionTable(
    "introl_02_target_group",
    INTRO_OUT,
    [
        Row(
            "introduksjonsloven_s2_no_permit",
            ~V("has_permit"),
            "none",
            S2,
            "ingen tillatelse som gir rett og plikt etter introduksjonsloven § 2.",
            title="Ingen tillatelse som gir rett og plikt etter introduksjonsloven § 2: ingen rett eller plikt.",
        ),
        Row(
            "introduksjonsloven_s2_target_group",
            (V("age") >= V("age_min")) & (V("age") <= V("age_max")) & ((V("family") & V("lives")) | V("agreed")),
            "right_and_duty",
            S2,
            "{age} år ved innvilgelse {decision_date}, vilkårene i § 2 er oppfylt.",
            title="Tillatelse som i il. § 9, 18–55 år ved innvilgelse og bosatt etter avtale (familiemedlemmer: "
            "bosatt): rett og plikt; ellers kan-gruppe når personen bor i en kommune.",
        ),
        Row(
            "introduksjonsloven_s2_target_group",
            (V("age") >= V("age_min")) & V("lives"),
            "may_be_offered",
            S2,
            "{age} år ved innvilgelse, bosatt uten å fylle alle vilkårene i § 2.",
        ),
        Row(
            "introduksjonsloven_s2_target_group",
            ALWAYS,
            "none",
            S2,
            "{age} år ved innvilgelse, vilkårene i § 2 er ikke oppfylt.",
        ),
    ],
    {k: f"{v} (introduksjonsloven)" for k, v in INTRO_LABELS.items()},
)

# Norwegian (§ 17): the permit that counts (``has_permit``), the age when it was granted, a work permit.
NORWEGIAN = DecisionTable(
    "introl_17_norwegian",
    NORWEGIAN_OUT,
    [
        Row(
            "introduksjonsloven_s17_norwegian",
            ~V("has_permit"),
            "none",
            S17,
            "ingen tillatelse som gir rett eller plikt etter introduksjonsloven § 17.",
            title="Tillatelse som i il. § 9 eller familieinnvandring: rett og plikt; arbeid: plikt; 16–67 år ved "
            "innvilgelse. Fristen beregnes ikke.",
        ),
        Row(
            "introduksjonsloven_s17_norwegian",
            ~((V("age") >= V("age_min")) & (V("age") < V("age_end"))),
            "none",
            S17,
            "{basis}, {age} år ved innvilgelse {decision_date}. Fristen beregnes ikke av regelmotoren for "
            "introduksjonsloven.",
        ),
        Row(
            "introduksjonsloven_s17_norwegian",
            V("work"),
            "duty",
            S17,
            "{basis}, {age} år ved innvilgelse {decision_date}. Fristen beregnes ikke av regelmotoren for "
            "introduksjonsloven.",
        ),
        Row(
            "introduksjonsloven_s17_norwegian",
            ALWAYS,
            "right_and_duty",
            S17,
            "{basis}, {age} år ved innvilgelse {decision_date}. Fristen beregnes ikke av regelmotoren for "
            "introduksjonsloven.",
        ),
    ],
    {k: f"{v} (introduksjonsloven)" for k, v in NORWEGIAN_LABELS.items()},
)

LEAVE_WORKDAYS = declare(
    "introduksjonsloven_s5_leave_workdays",
    "Virkedager med godkjent permisjon legges til programtiden (uten terskel).",
    S5,
)
DEADLINE = declare(
    "introduksjonsloven_s5_deadline",
    "Inntil to år (+ inntil ett år forlengelse ved særlige grunner) fra startdato, med tillegg av virkedager "
    "godkjent permisjon.",
    S5,
    verified=False,
)
EXCEEDS = V("ext") > V("allowed")  # § 5: «inntil tre år» — a longer extension is refused (both interpreters)
LOSS_NOT_IN_TARGET_GROUP = (LegalBasis(IL, "8", 4), LegalBasis(IF, "72"))


def in_force(ctx: Context) -> dt.date:
    value: dt.date = ctx.param("introduksjonsloven.in_force", ctx.as_of).value
    return value


def in_force_columns(cc: ColumnContext) -> int:
    """:func:`in_force` on columns (a missing parameter sends the active persons to the per-person path)."""
    found = cc.params.find("introduksjonsloven.in_force", date_of(cc.as_of))
    if found is None:
        cc.bad |= cc.active
        return 0
    return day(found.value)


def _on(ctx: Context, p: Permit) -> dt.date:
    return max(p.decision_date, in_force(ctx))


def intro_category(ctx: Context) -> Derived:
    """:data:`INTRO` for one person."""
    p = next((x for x in ctx.permits if il9_letter(x.basis)), None)
    if p is None:
        return INTRO.decide({"has_permit": False})
    on = _on(ctx, p)
    lo, hi = ctx.param("introduksjonsloven.intro.age.min", on), ctx.param("introduksjonsloven.intro.age.max", on)
    age = age_on(ctx.facts.birth_date, p.decision_date)
    scope: dict[str, Any] = {
        "has_permit": True,
        "age": age,
        "age_min": lo.value,
        "age_max": hi.value,
        "family": il9_letter(p.basis) in LETTERS_FAMILY,
        "lives": lives_in_municipality(ctx) is not None,
        "agreed": settled_by_agreement(ctx) is not None,
        "decision_date": p.decision_date,
    }
    return INTRO.decide(scope, permit_facts(p) | {"age_at_decision": age}, [lo, hi])


def intro_category_columns(
    cc: ColumnContext,
    in_force_day: int,
    has: np.ndarray,
    decision_date: np.ndarray,
    family: np.ndarray,
    lives: np.ndarray,
    agreed: np.ndarray,
) -> np.ndarray:
    """:data:`INTRO` on columns: each person's first permit with an il. § 9 basis (``has``); the outcome's index."""
    on = np.maximum(decision_date, in_force_day)
    scope = {
        "has_permit": has,
        "age": age_on_days(cc.birth, decision_date),
        "age_min": cc.param("introduksjonsloven.intro.age.min", on, has),
        "age_max": cc.param("introduksjonsloven.intro.age.max", on, has),
        "family": family,
        "lives": lives,
        "agreed": agreed,
    }
    return INTRO.columns(scope, cc.n)[0]


def norwegian_category(ctx: Context) -> Derived:
    """:data:`NORWEGIAN` for one person."""
    relevant = [p for p in ctx.permits if il9_letter(p.basis) or p.basis in S17_BASES]
    if not relevant:
        return NORWEGIAN.decide({"has_permit": False})
    p = next((x for x in relevant if x.basis not in S17_DUTY_BASES), relevant[0])
    on = _on(ctx, p)
    lo, end = (
        ctx.param("introduksjonsloven.norwegian.age.min", on),
        ctx.param("introduksjonsloven.norwegian.age.end", on),
    )
    age = age_on(ctx.facts.birth_date, p.decision_date)
    scope: dict[str, Any] = {
        "has_permit": True,
        "age": age,
        "age_min": lo.value,
        "age_end": end.value,
        "work": p.basis in S17_DUTY_BASES,
        "basis": p.basis,
        "decision_date": p.decision_date,
    }
    return NORWEGIAN.decide(scope, permit_facts(p) | {"age_at_decision": age}, [lo, end])


def norwegian_category_columns(
    cc: ColumnContext, in_force_day: int, has: np.ndarray, decision_date: np.ndarray, work: np.ndarray
) -> np.ndarray:
    """:data:`NORWEGIAN` on columns: each person's permit that counts (``has``; ``work``: a work permit)."""
    on = np.maximum(decision_date, in_force_day)
    scope = {
        "has_permit": has,
        "age": age_on_days(cc.birth, decision_date),
        "age_min": cc.param("introduksjonsloven.norwegian.age.min", on, has),
        "age_end": cc.param("introduksjonsloven.norwegian.age.end", on, has),
        "work": work,
    }
    return NORWEGIAN.columns(scope, cc.n)[0]


@dataclasses.dataclass
class Programme:
    """The programme's months, the extension used, whether a registered extension is refused, the base
    deadline (without extension and leave) and the deadline (arrays on the column path)."""

    months: Any
    extension: Any
    exceeds: Any
    base: Any
    deadline: Any


def programme(ctx: Context, start: dt.date, leave_workdays: int) -> tuple[Programme, list[Any]]:
    """§ 5 for one person: inntil to år (+ forlengelse) fra startdato, med tillegg av godkjent permisjon."""
    on = max(start, in_force(ctx))
    months = ctx.param("introduksjonsloven.intro.duration_months", on)
    allowed = ctx.param("introduksjonsloven.intro.extension_months", on)
    ext = ctx.facts.extension_months
    exceeds = bool(EXCEEDS.eval({"ext": ext, "allowed": allowed.value}))
    ext = 0 if exceeds else ext
    with_ext = period_end(start, months.value + ext)
    end = add_workdays(with_ext, leave_workdays)
    return Programme(months.value, ext, exceeds, period_end(start, months.value), end), [months, allowed, with_ext]


def programme_columns(
    cc: ColumnContext, in_force_day: int, has: np.ndarray, start: np.ndarray, ext: np.ndarray, leave: np.ndarray
) -> Programme:
    """:func:`programme` on columns (``has``: a participation decision with ``start``)."""
    on = np.maximum(np.where(has, start, 0), in_force_day)
    months = cc.param("introduksjonsloven.intro.duration_months", on, has)
    allowed = cc.param("introduksjonsloven.intro.extension_months", on, has)
    exceeds = has & EXCEEDS.eval({"ext": ext, "allowed": allowed})
    ext_used = np.where(exceeds, 0, ext)
    s = np.where(has, start, 0)
    with_ext = period_end_days(s, months + ext_used)
    added = np.where(has, leave, 0)
    end = add_workdays_days(with_ext, added)
    cc.bad |= (
        cc.active
        & has
        & (added > 0)
        & ((with_ext < CAL_FIRST) | (with_ext > CAL_LAST) | (end < CAL_FIRST) | (end > CAL_LAST))
    )
    return Programme(months, ext_used, exceeds, period_end_days(s, months), end)


def evaluate(ctx: Context) -> tuple[IntroResult, NorwegianResult, list[str]]:
    decisions = decision_validity.effective_decisions(ctx)
    for d in decision_validity.of(decisions, "intro", decision_validity.LOSS_DUE_TO_WORK):
        ctx.error(
            RuleError(
                "loss_due_to_work_not_in_target_group",
                "Vedtak om bortfall av rett og plikt pga. arbeid (il. § 8 fjerde ledd) gjelder ikke personer "
                "som omfattes av introduksjonsloven.",
                cite(*LOSS_NOT_IN_TARGET_GROUP),
                d.path,
            )
        )
    intro = IntroResult(category=ctx.explain("intro.category", intro_category(ctx)))
    periods = periods_rules.valid_periods(ctx)
    leave = [(a.start, a.end) for a in periods if a.scheme == "intro" and a.kind == "leave"]
    n_leave = count_workdays(leave)
    intro.absence_workdays = ctx.explain(
        "intro.absence_workdays",
        Explanation(
            LEAVE_WORKDAYS.id,
            LEAVE_WORKDAYS.source,
            "Virkedager med godkjent permisjon (legges til programtiden).",
            n_leave,
            {},
            verified=LEAVE_WORKDAYS.verified,
        ),
    )
    parts = decision_validity.of(decisions, "intro", decision_validity.PARTICIPATION)
    if parts:
        start = parts[0].start_date
        assert start is not None  # decision_validity: a participation decision without a start date is refused
        prog, (months, allowed, with_ext) = programme(ctx, start, intro.absence_workdays)
        if prog.exceeds:
            ext = ctx.facts.extension_months
            ctx.error(
                RuleError(
                    "extension_exceeds_maximum",
                    f"Programmet etter introduksjonsloven kan forlenges med inntil {allowed.value} måneder "
                    f"(registrert {ext}).",
                    S5.cite(),
                    "extension_months",
                    {"extension_months": ext},
                    False,
                )
            )
        intro.start_date, intro.months, intro.extension_months = start, prog.months, prog.extension
        intro.base_deadline, intro.deadline = prog.base, prog.deadline
        ctx.explain(
            "intro.deadline",
            Explanation(
                DEADLINE.id,
                DEADLINE.source,
                f"Inntil {prog.months} måneder (+ {prog.extension} måneder forlengelse) fra {fmt(start)} = "
                f"{fmt(with_ext)}, med tillegg av {intro.absence_workdays} virkedager godkjent permisjon: "
                f"{fmt(prog.deadline)}.",
                prog.deadline,
                {"start_date": start, "extension_months": prog.extension},
                [months, allowed],
                verified=DEADLINE.verified,
            ),
        )
    norwegian = NorwegianResult(category=ctx.explain("norwegian.category", norwegian_category(ctx)))
    nleave = [(a.start, a.end) for a in periods if a.scheme == "norwegian" and a.kind == "leave"]
    norwegian.leave_workdays = count_workdays(nleave)
    return intro, norwegian, []
