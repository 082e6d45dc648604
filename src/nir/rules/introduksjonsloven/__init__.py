"""Rules under introduksjonsloven (LOV-2003-07-04-80), kept isolated.

The act was repealed on 1.1.2021 but still applies to persons whose first
permit was granted before then (if. § 72, ``nir.rules.if_s72_law``). NIR 1.0
supports it; support is to be phased out by 31.12.2027 (000, oppdrag 2026-02).
Everything about the old act lives in this package, which may use the shared
building blocks (dates, workdays, parameters, the general decision rules) but
is never imported by the integreringsloven rules: deleting this package and
its parameter file ``introduksjonsloven.yaml`` (and the branch in
``nir.rules.engine``) removes the old act.

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
"""

from __future__ import annotations

import datetime as dt

from nir.rules.context import Context, il9_letter, permit_facts
from nir.rules.dates import age_on, fmt, period_end
from nir.rules.integreringsloven import forskrift_s10_s19_absence as periods_rules
from nir.rules.integreringsloven import s05_decisions
from nir.rules.integreringsloven.common import (
    INTRO_LABELS,
    NORWEGIAN_LABELS,
    lives_in_municipality,
    settled_by_agreement,
)
from nir.rules.model import Derived, Explanation, IntroResult, NorwegianResult, Permit, RuleError
from nir.rules.workdays import add_workdays, count_workdays

S2 = "introduksjonsloven § 2"
S5 = "introduksjonsloven § 5"
S17 = "introduksjonsloven § 17"
# § 17: labour immigrants from outside the EEA and their family have a duty, not a right (law-notes R7 [S]);
# family immigrants with a Norwegian/Nordic reference person have right and duty.
S17_DUTY_BASES = ("work", "family_of_worker")
S17_BASES = ("family_of_norwegian", *S17_DUTY_BASES)


def _on(ctx: Context, p: Permit) -> dt.date:
    in_force: dt.date = ctx.param("introduksjonsloven.in_force", ctx.as_of).value
    return max(p.decision_date, in_force)


def intro_category(ctx: Context) -> Derived:
    s9 = [p for p in ctx.permits if il9_letter(p.basis)]
    if not s9:
        return Derived(
            "none",
            [
                Explanation(
                    "introduksjonsloven_s2_no_permit",
                    S2,
                    f"{INTRO_LABELS['none']}: ingen tillatelse som gir rett og plikt etter introduksjonsloven § 2.",
                    "none",
                    {},
                    verified=False,
                )
            ],
        )
    p = s9[0]
    on = _on(ctx, p)
    lo, hi = ctx.param("introduksjonsloven.intro.age.min", on), ctx.param("introduksjonsloven.intro.age.max", on)
    age = age_on(ctx.facts.birth_date, p.decision_date)
    facts = permit_facts(p) | {"age_at_decision": age}
    lives = lives_in_municipality(ctx)
    family = il9_letter(p.basis) in ("f", "g")
    if lo.value <= age <= hi.value and ((family and lives) or settled_by_agreement(ctx)):
        cat, text = "right_and_duty", f"{age} år ved innvilgelse {fmt(p.decision_date)}, vilkårene i § 2 er oppfylt."
    elif age >= lo.value and lives:
        cat, text = "may_be_offered", f"{age} år ved innvilgelse, bosatt uten å fylle alle vilkårene i § 2."
    else:
        cat, text = "none", f"{age} år ved innvilgelse, vilkårene i § 2 er ikke oppfylt."
    return Derived(
        cat,
        [
            Explanation(
                "introduksjonsloven_s2_target_group",
                S2,
                f"{INTRO_LABELS[cat]} (introduksjonsloven): {text}",
                cat,
                facts,
                [lo, hi],
                verified=False,
            )
        ],
    )


def norwegian_category(ctx: Context) -> Derived:
    relevant = [p for p in ctx.permits if il9_letter(p.basis) or p.basis in S17_BASES]
    if not relevant:
        return Derived(
            "none",
            [
                Explanation(
                    "introduksjonsloven_s17_norwegian", S17, f"{NORWEGIAN_LABELS['none']}.", "none", {}, verified=False
                )
            ],
        )
    p = next((x for x in relevant if x.basis not in S17_DUTY_BASES), relevant[0])
    on = _on(ctx, p)
    lo, end = (
        ctx.param("introduksjonsloven.norwegian.age.min", on),
        ctx.param("introduksjonsloven.norwegian.age.end", on),
    )
    age = age_on(ctx.facts.birth_date, p.decision_date)
    if not (lo.value <= age < end.value):
        cat = "none"
    else:
        cat = "duty" if p.basis in S17_DUTY_BASES else "right_and_duty"
    return Derived(
        cat,
        [
            Explanation(
                "introduksjonsloven_s17_norwegian",
                S17,
                f"{NORWEGIAN_LABELS[cat]} (introduksjonsloven): {p.basis}, {age} år ved innvilgelse "
                f"{fmt(p.decision_date)}. Fristen beregnes ikke av regelmotoren for introduksjonsloven.",
                cat,
                permit_facts(p) | {"age_at_decision": age},
                [lo, end],
                verified=False,
            )
        ],
    )


def evaluate(ctx: Context) -> tuple[IntroResult, NorwegianResult, list[str]]:
    decisions = s05_decisions.effective_decisions(ctx)
    for d in s05_decisions.of(decisions, "intro", "loss_due_to_work"):
        ctx.error(
            RuleError(
                "loss_due_to_work_not_in_target_group",
                "Vedtak om bortfall av rett og plikt pga. arbeid (il. § 8 fjerde ledd) gjelder ikke personer "
                "som omfattes av introduksjonsloven.",
                "il. § 8 fjerde ledd; if. § 72",
                d.path,
            )
        )
    intro = IntroResult(category=ctx.explain("intro.category", intro_category(ctx)))
    periods = periods_rules.valid_periods(ctx)
    leave = [(a.start, a.end) for a in periods if a.scheme == "intro" and a.kind == "leave"]
    intro.absence_workdays = ctx.explain(
        "intro.absence_workdays",
        Derived(
            count_workdays(leave),
            [
                Explanation(
                    "introduksjonsloven_s5_leave_workdays",
                    S5,
                    "Virkedager med godkjent permisjon (legges til programtiden).",
                    count_workdays(leave),
                    {},
                )
            ],
        ),
    )
    parts = s05_decisions.of(decisions, "intro", s05_decisions.PARTICIPATION)
    if parts:
        start = parts[0].start_date
        assert start is not None  # s05: a participation decision without a start date is not effective
        on = max(start, ctx.param("introduksjonsloven.in_force", ctx.as_of).value)
        months = ctx.param("introduksjonsloven.intro.duration_months", on)
        allowed = ctx.param("introduksjonsloven.intro.extension_months", on)
        ext = ctx.facts.extension_months
        if ext > allowed.value:
            ctx.error(
                RuleError(
                    "extension_exceeds_maximum",
                    f"Programmet etter introduksjonsloven kan forlenges med inntil {allowed.value} måneder "
                    f"(registrert {ext}).",
                    S5,
                    "extension_months",
                    {"extension_months": ext},
                    False,
                )
            )
            ext = 0
        base = period_end(start, months.value + ext)
        end = add_workdays(base, intro.absence_workdays)
        intro.start_date, intro.months, intro.extension_months = start, months.value, ext
        intro.base_deadline, intro.deadline = period_end(start, months.value), end
        ctx.explain(
            "intro.deadline",
            Explanation(
                "introduksjonsloven_s5_deadline",
                S5,
                f"Inntil {months.value} måneder (+ {ext} måneder forlengelse) fra {fmt(start)} = {fmt(base)}, med "
                "tillegg av "
                f"{intro.absence_workdays} virkedager godkjent permisjon: {fmt(end)}.",
                end,
                {"start_date": start, "extension_months": ext},
                [months, allowed],
                verified=False,
            ),
        )
    norwegian = NorwegianResult(category=ctx.explain("norwegian.category", norwegian_category(ctx)))
    nleave = [(a.start, a.end) for a in periods if a.scheme == "norwegian" and a.kind == "leave"]
    norwegian.leave_workdays = count_workdays(nleave)
    return intro, norwegian, []
