"""Rules under integreringsloven (LOV-2020-11-06-127) and integreringsforskriften.

One module per act section (``il_08_target_group``, ``s13_14_final_goals``,
``forskrift_s10_s19_absence``, ``il_26_28_norwegian``, ``s43h_transition`` …);
this package's :func:`evaluate` composes them in a fixed order:

1. general decision rules (``s05_decisions``);
2. the introduction category (§ 8, ch. 6A, § 43h) and the permit it rests on;
3. the two-year window for participation decisions (§ 8);
4. loss of right and duty due to work (§ 8 fourth paragraph) and the closure;
5. absence, final goal, extension and the programme deadline (§§ 13–14, if. §§ 10, 19);
6. the Norwegian category, its start and deadline (§§ 26–28, 32, 37 d);
7. deviations (004 report).
"""

from __future__ import annotations

from nir.rules.context import Context, il9_letter, permit_facts
from nir.rules.dates import fmt
from nir.rules.integreringsloven import (
    deviations as dev,
)
from nir.rules.integreringsloven import (
    forskrift_s10_s19_absence as absence,
)
from nir.rules.integreringsloven import (
    il_08_target_group,
    il_26_28_norwegian,
    il_32_norwegian_deadline,
    s05_decisions,
    s08_loss_due_to_work,
    s43h_transition,
)
from nir.rules.integreringsloven import (
    s13_14_final_goals as goals,
)
from nir.rules.integreringsloven import (
    s37_ch6a_collective_protection as ch6a,
)
from nir.rules.integreringsloven.common import current_permit
from nir.rules.model import Decision, Derived, Explanation, IntroResult, NorwegianResult, Permit


def intro_category(ctx: Context, decisions: list[Decision]) -> tuple[Derived, Permit | None]:
    """The introduction category before the loss-due-to-work rule, and the permit it rests on."""
    s9 = [p for p in ctx.permits if il9_letter(p.basis)]
    if not s9:
        return il_08_target_group.category_without_s9_permit(ctx), None
    first = s9[0]
    if first.basis != ch6a.COLLECTIVE:
        return il_08_target_group.ordinary_category(ctx, first), first
    current = current_permit(ctx)
    if ch6a.under_ch6a(ctx, first) and current is not None and current.basis != ch6a.COLLECTIVE:
        if s43h_transition.applies(ctx, first, current, decisions):
            return s43h_transition.intro_category(ctx, first, current, decisions), first
        later = next((p for p in s9 if p.decision_date >= first.decision_date and p.basis != ch6a.COLLECTIVE), None)
        d = (
            il_08_target_group.ordinary_category(ctx, later)
            if later
            else il_08_target_group.category_without_s9_permit(ctx)
        )
        step = Explanation(
            "ch6a_superseded",
            "il. § 8; if. § 43h (gjelder ikke: ingen vedtak etter kap. 6A)",
            f"Kollektiv beskyttelse fra {fmt(first.decision_date)} uten vedtak etter kap. 6A; ny tillatelse "
            f"{current.basis} ({fmt(current.decision_date)}) vurderes etter ordinære regler.",
            d.value,
            {"collective_protection_permit": permit_facts(first), "current_permit": permit_facts(current)},
        )
        return Derived(d.value, [step, *d.steps]), later
    return ch6a.intro_category(ctx, first), first


def evaluate(ctx: Context) -> tuple[IntroResult, NorwegianResult, list[str]]:
    decisions = s05_decisions.effective_decisions(ctx)

    # introduction programme: who
    category, permit = intro_category(ctx, decisions)
    participations = []
    for d in s05_decisions.of(decisions, "intro", s05_decisions.PARTICIPATION):
        e = il_08_target_group.participation_after_two_years(ctx, permit, d)
        if e:
            ctx.error(e)
        else:
            participations.append(d)
    category, closure, closed_ex = s08_loss_due_to_work.apply(ctx, category, decisions, participations)
    intro = IntroResult(category=ctx.explain("intro.category", category), closed=closure)
    if closed_ex is not None:
        ctx.explain("intro.closed", closed_ex)
    else:
        ctx.explain(
            "intro.closed",
            Explanation(
                "loss_due_to_work_closes",
                s08_loss_due_to_work.SOURCE,
                "Ingen automatisk avslutning: det foreligger ikke et gyldig vedtak om bortfall av rett og plikt pga. "
                "arbeid som står ved lag.",
                None,
                {},
            ),
        )

    # introduction programme: how long
    periods = absence.valid_periods(ctx)
    intro.absence_workdays = ctx.explain("intro.absence_workdays", absence.intro_absence_workdays(ctx, periods))
    code = goals.goal_code(ctx)
    ext_error = goals.extension_error(ctx, code)
    if ext_error:
        ctx.error(ext_error)
    first = participations[0] if participations else None
    intro.final_goal = code.code if code else None
    if first is not None:
        intro.start_date = first.start_date
    if closure is not None:
        ctx.explain(
            "intro.deadline",
            Explanation(
                "intro_deadline_none", s08_loss_due_to_work.SOURCE, "Ingen frist: ordningen er avsluttet.", None, {}
            ),
        )
    elif first is None:
        ctx.explain(
            "intro.deadline",
            Explanation(
                "intro_deadline_none",
                "regelmotor.md § 4; 004",
                "Ingen frist: det er ikke registrert vedtak om deltakelse i introduksjonsprogram.",
                None,
                {},
            ),
        )
    elif code is None:
        ctx.explain(
            "intro.deadline",
            Explanation(
                "intro_deadline_none",
                "regelmotor.md § 4; 004",
                "Ingen frist: det er ikke registrert sluttmål (avvik).",
                None,
                {"start_date": first.start_date},
            ),
        )
    else:
        note = (
            " Programmets varighet etter kap. 6A er ikke avklart; beregnet med de samme reglene (ikke verifisert)."
            if intro.category == "right"
            else ""
        )
        start = first.start_date
        assert start is not None  # s05: a participation decision without a start date is not effective
        goal_deadline, months, ext, base = goals.deadline(ctx, start, code, ext_error is None, note)
        intro.months, intro.extension_months, intro.base_deadline = months, ext, base
        ctx.explain("intro.deadline", goal_deadline)
        intro.deadline = ctx.explain(
            "intro.deadline", absence.intro_extension(ctx, goal_deadline.value, intro.absence_workdays)
        )

    # Norwegian and social studies
    norwegian = NorwegianResult()
    ncat, npermit = il_26_28_norwegian.category(ctx, decisions)
    norwegian.category = ctx.explain("norwegian.category", ncat)
    norwegian.leave_workdays = ctx.explain("norwegian.leave_workdays", absence.norwegian_leave_workdays(ctx, periods))
    if norwegian.category != "none" and npermit is not None:
        n_start = ctx.explain("norwegian.deadline", il_26_28_norwegian.start(ctx, npermit))
        if n_start is not None:
            n_deadline, n_months = il_32_norwegian_deadline.deadline(
                ctx, n_start, norwegian.category, norwegian.leave_workdays, permit_facts(npermit)
            )
            norwegian.deadline = ctx.explain("norwegian.deadline", n_deadline)
            norwegian.start_date, norwegian.months = n_start, n_months
    else:
        ctx.explain(
            "norwegian.deadline",
            Explanation(
                "norwegian_deadline_none", "il. § 32", "Ingen frist: ingen rett eller plikt til opplæring.", None, {}
            ),
        )

    # deviations
    found = dev.final_goal_deviations(first.start_date if first else None, code, first is not None)
    if found:
        ctx.explain("deviations", Derived(None, found))
    return intro, norwegian, [e.rule for e in found]
