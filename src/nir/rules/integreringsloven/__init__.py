"""Rules under integreringsloven (LOV-2020-11-06-127) and integreringsforskriften.

One module per act section (``il_08_target_group``, ``il_13_14_final_goals``, ``il_26_28_norwegian``,
``il_32_norwegian_deadline``, ``il_37_ch6a_collective_protection`` …; ``integreringsforskriften.if_10_19_absence``
and ``integreringsforskriften.if_43h_transition`` for the regulation); this package's :func:`evaluate`
composes them in a fixed order:

1. general decision rules (``decision_validity``, regelmotor.md § 5);
2. the introduction category (§ 8, ch. 6A, § 43h) and the permit it rests on (table :data:`INTRO_RULE`);
3. the two-year window for participation decisions (§ 8);
4. loss of right and duty due to work (§ 8 fourth paragraph) and the closure;
5. absence, final goal, extension and the programme deadline (§§ 13–14, if. §§ 10, 19);
6. the Norwegian category, its start and deadline (§§ 26–28, 32, 37 d);
7. deviations (``nir_004.deviations``, the 004 report).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nir.rules.context import Context, il9_letter, permit_facts
from nir.rules.integreringsforskriften import if_10_19_absence as absence
from nir.rules.integreringsforskriften import if_43h_transition
from nir.rules.integreringsloven import (
    decision_validity,
    il_08_loss_due_to_work,
    il_08_target_group,
    il_26_28_norwegian,
    il_32_norwegian_deadline,
)
from nir.rules.integreringsloven import (
    il_13_14_final_goals as goals,
)
from nir.rules.integreringsloven import (
    il_37_ch6a_collective_protection as ch6a,
)
from nir.rules.integreringsloven.common import current_permit
from nir.rules.legal_basis import IF, IL, LegalBasis
from nir.rules.model import Decision, Derived, Explanation, IntroResult, NorwegianResult, Permit
from nir.rules.nir_004 import deviations as dev
from nir.rules.table import ALWAYS, DecisionTable, Row, V

S8 = LegalBasis(IL, "8")
S43H_NOT = LegalBasis(IF, "43h", verified=False, note="gjelder ikke: ingen vedtak etter kap. 6A")

# Which rule decides the introduction category, by the person's first permit with a § 9 basis.
INTRO_RULE = DecisionTable(
    "il_intro_rule",
    ("without_s9", "ordinary", "s43h", "superseded", "ch6a"),
    [
        Row(
            "intro_rule_without_s9",
            ~V("has_s9"),
            "without_s9",
            il_08_target_group.S8_1,
            "Ingen tillatelse etter § 9: § 8 for personer uten slik tillatelse.",
            title="Ingen tillatelse med grunnlag i il. § 9: § 8 for personer uten slik tillatelse (il_08_without_s9).",
        ),
        Row(
            "intro_rule_ordinary",
            ~V("first_34"),
            "ordinary",
            il_08_target_group.S8_1,
            "Første tillatelse etter § 9 er ikke kollektiv beskyttelse: § 8.",
            title="Første tillatelse etter § 9 er ikke kollektiv beskyttelse: § 8 for den tillatelsen "
            "(il_08_ordinary).",
        ),
        Row(
            "intro_rule_s43h",
            V("under_ch6a") & V("current_other") & V("s43h_applies"),
            "s43h",
            if_43h_transition.S43H,
            "Kollektiv beskyttelse med vedtak etter kap. 6A, deretter en annen tillatelse: if. § 43h.",
            title="Kollektiv beskyttelse under kap. 6A med vedtak etter kap. 6A, deretter en annen tillatelse: "
            "if. § 43h (if_43h_intro).",
        ),
        Row(
            "ch6a_superseded",
            V("under_ch6a") & V("current_other"),
            "superseded",
            (S8, S43H_NOT),
            "Kollektiv beskyttelse fra {first_date} uten vedtak etter kap. 6A; ny tillatelse {current_basis} "
            "({current_date}) vurderes etter ordinære regler.",
            title="Kollektiv beskyttelse under kap. 6A uten vedtak etter kap. 6A, deretter en annen tillatelse: den "
            "nye tillatelsen (første senere tillatelse etter § 9) vurderes etter § 8.",
        ),
        Row(
            "intro_rule_ch6a",
            ALWAYS,
            "ch6a",
            ch6a.S37C,
            "Første tillatelse etter § 9 er kollektiv beskyttelse: kap. 6A.",
            title="Første tillatelse etter § 9 er kollektiv beskyttelse (og ingen overgang): kap. 6A (il_37_ch6a).",
        ),
    ],
)


def intro_category(ctx: Context, decisions: list[Decision]) -> tuple[Derived, Permit | None]:
    """The introduction category before the loss-due-to-work rule, and the permit it rests on (table
    :data:`INTRO_RULE` chooses the rule)."""
    s9 = [p for p in ctx.permits if il9_letter(p.basis)]
    first = s9[0] if s9 else None
    current = current_permit(ctx)
    first_34 = first is not None and first.basis == ch6a.COLLECTIVE
    under = first_34 and first is not None and ch6a.under_ch6a(ctx, first)
    other = current is not None and current.basis != ch6a.COLLECTIVE
    scope: dict[str, Any] = {
        "has_s9": first is not None,
        "first_34": first_34,
        "under_ch6a": under,
        "current_other": other,
        # only read by the § 43h row, after first_34 and under_ch6a and current_other (no work for others)
        "s43h_applies": under
        and other
        and first is not None
        and if_43h_transition.applies(ctx, first, current, decisions),
        "first_date": first.decision_date if first else None,
        "current_basis": current.basis if current else None,
        "current_date": current.decision_date if current else None,
    }
    row = INTRO_RULE.match(scope)
    rule = row.then
    if rule == "without_s9":
        return il_08_target_group.category_without_s9_permit(ctx), None
    assert first is not None
    if rule == "ordinary":
        return il_08_target_group.ordinary_category(ctx, first), first
    if rule == "ch6a":
        return ch6a.intro_category(ctx, first), first
    assert current is not None
    if rule == "s43h":
        return if_43h_transition.intro_category(ctx, first, current, decisions), first
    later = next((p for p in s9 if p.decision_date >= first.decision_date and p.basis != ch6a.COLLECTIVE), None)
    d = (
        il_08_target_group.ordinary_category(ctx, later)
        if later
        else il_08_target_group.category_without_s9_permit(ctx)
    )
    facts = {"collective_protection_permit": permit_facts(first), "current_permit": permit_facts(current)}
    return Derived(d.value, [INTRO_RULE.explain(row, scope, facts, value=d.value), *d.steps]), later


def intro_rule_columns(
    has_s9: np.ndarray,
    first_34: np.ndarray,
    under_ch6a: np.ndarray,
    current_other: np.ndarray,
    s43h_applies: np.ndarray,
) -> np.ndarray:
    """:data:`INTRO_RULE` on columns: per person the index (``INTRO_RULE.code``) of the rule that decides the
    category — known before any category is computed, so each is computed once, on the permit it rests on."""
    scope = {
        "has_s9": has_s9,
        "first_34": first_34,
        "under_ch6a": under_ch6a,
        "current_other": current_other,
        "s43h_applies": s43h_applies,
    }
    return INTRO_RULE.columns(scope, len(has_s9))[0]


def intro_category_columns(rule: np.ndarray, categories: dict[str, np.ndarray]) -> np.ndarray:
    """Per person the category (index) of its rule (:func:`intro_rule_columns`) from ``categories`` (one array per
    rule: ``without_s9``, ``ordinary`` — § 8 or ch. 6A for the first § 9 permit, ``s43h``, ``superseded``)."""
    by_rule = {**categories, "ch6a": categories["ordinary"]}
    category: np.ndarray = np.choose(rule, [by_rule[o] for o in INTRO_RULE.outputs])
    return category


def evaluate(ctx: Context) -> tuple[IntroResult, NorwegianResult, list[str]]:
    decisions = decision_validity.effective_decisions(ctx)

    # introduction programme: who
    category, permit = intro_category(ctx, decisions)
    participations = []
    for d in decision_validity.of(decisions, "intro", decision_validity.PARTICIPATION):
        e = il_08_target_group.participation_after_two_years(ctx, permit, d)
        if e:
            ctx.error(e)
        else:
            participations.append(d)
    category, closure, closed_ex = il_08_loss_due_to_work.apply(ctx, category, decisions, participations)
    intro = IntroResult(category=ctx.explain("intro.category", category), closed=closure)
    ctx.explain("intro.closed", closed_ex)

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
    no_deadline = goals.deadline_case(ctx, closure is not None, first.start_date if first else None, code)
    if no_deadline is not None:
        ctx.explain("intro.deadline", no_deadline)
    else:
        assert first is not None and code is not None  # goals.DEADLINE_CASE: a deadline needs both
        note = (
            " Programmets varighet etter kap. 6A er ikke avklart; beregnet med de samme reglene (ikke verifisert)."
            if intro.category == "right"
            else ""
        )
        start = first.start_date
        assert start is not None  # decision_validity: a participation decision without a start date is not effective
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
                il_32_norwegian_deadline.NO_DEADLINE.id,
                il_32_norwegian_deadline.NO_DEADLINE.source,
                "Ingen frist: ingen rett eller plikt til opplæring.",
                None,
                {},
            ),
        )

    # deviations
    found = dev.final_goal_deviations(first.start_date if first else None, code, first is not None)
    if found:
        ctx.explain("deviations", Derived(None, found))
    return intro, norwegian, [e.rule for e in found]
