"""Work of at least 30 hours a week — integreringsloven § 8 fourth paragraph (from 2026-01-01).

«Første ledd gjelder ikke innvandrere som er i arbeid eller har tilbud om arbeid,
når stillingen utgjør minst 30 timer i uken. Første ledd gjelder likevel dersom
arbeidsforholdet opphører eller arbeidstilbudet bortfaller innen fristen satt i
første ledd tredje punktum.» (il. § 8 fjerde ledd, quoted in 004)

NIR (004): the decision *Bortfall av rett og plikt pga. arbeid over 30 timer*
"Kan kun registreres dersom det IKKE foreligger et vedtak om deltakelse fra
før"; when registered, "ordningen introduksjonsprogram avsluttes" — a
termination *Avbrutt*, reason *Vedtak om bortfall av rett og plikt pga.
arbeid*, dated the decision date, registered by *Regelmotor*; and it is
"Mulig å registrere vedtak om deltakelse ETTER vedtak om bortfall av rett og
plikt arbeid".

Choice (regelmotor.md is silent on the state after such a later participation
decision): a valid participation decision dated after the loss decision means
the job ended within the § 8 window and the right and duty returned, so the
category is the one § 8 gives without the loss decision and ``closed`` is
``null`` (the closure stays in the explanation as history). The participation
decision must itself fall inside the two-year window of § 8 first paragraph
(rule ``participation_after_two_years`` in ``il_08_target_group``); if it does not, it is ignored and the
closure stands.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nir.codes import label
from nir.rules.columns import param_days
from nir.rules.context import Context, decision_facts
from nir.rules.dates import NAT, fmt
from nir.rules.legal_basis import IL, NIR_004, LegalBasis
from nir.rules.model import Closure, Decision, Derived, Explanation, RuleError
from nir.rules.parameters import ParameterSet
from nir.rules.table import ALWAYS, DecisionTable, Row, V, declare

S8_4 = LegalBasis(IL, "8", 4)
S8_4_2 = LegalBasis(IL, "8", 4, sentence=2, verified=False)  # NIR's choice after a later participation decision
LOSS_004 = LegalBasis(NIR_004, "", note="Nytt vedtak om bortfall av rett og plikt")
SOURCE = f"{S8_4.cite()}; {LOSS_004.cite()}"
TYPE = "loss_due_to_work"
HOURS = "intro.work.min_hours_per_week"

for _id, _title in (
    ("loss_due_to_work_not_in_force", "Vedtak om bortfall pga. arbeid datert før il. § 8 fjerde ledd trådte i kraft."),
    ("loss_due_to_work_after_participation", "Vedtak om bortfall pga. arbeid når det foreligger vedtak om deltakelse."),
    ("loss_due_to_work_not_in_target_group", "Vedtak om bortfall pga. arbeid for en person uten rett og plikt."),
):
    declare(_id, _title, S8_4, LOSS_004, kind="error")

# Each decision on loss of right and duty due to work: refused (an error) or valid. The first row that holds.
CHECK = DecisionTable(
    "il_08_loss_check",
    ("not_in_force", "after_participation", "not_in_target_group", "valid"),
    [
        Row(
            "loss_due_to_work_not_in_force",
            ~V("in_force"),
            "not_in_force",
            (S8_4, LOSS_004),
            "Vedtak om bortfall av rett og plikt pga. arbeid kan ikke være datert {decision_date}: il. § 8 fjerde ledd "
            "gjelder fra 01.01.2026.",
        ),
        Row(
            "loss_due_to_work_after_participation",
            V("participation_before"),
            "after_participation",
            (S8_4, LOSS_004),
            "Vedtak om bortfall av rett og plikt pga. arbeid over 30 timer kan kun registreres dersom det ikke "
            "foreligger et vedtak om deltakelse fra før (vedtak om deltakelse {participation_date}).",
        ),
        Row(
            "loss_due_to_work_not_in_target_group",
            ~V("right_and_duty"),
            "not_in_target_group",
            (S8_4, LOSS_004),
            "Vedtak om bortfall av rett og plikt pga. arbeid kan bare gjelde en person med rett og plikt til "
            "introduksjonsprogram etter il. § 8 (personens kategori er '{category}').",
        ),
        Row(
            "loss_due_to_work_valid",
            ALWAYS,
            "valid",
            (S8_4, LOSS_004),
            "Gyldig vedtak om bortfall av rett og plikt pga. arbeid {decision_date}.",
            title="Vedtak om bortfall av rett og plikt pga. arbeid, i kraft, uten tidligere vedtak om deltakelse, for "
            "en person med rett og plikt: gyldig (ordningen avsluttes, se loss_due_to_work_closes).",
        ),
    ],
)

# The scheme after the loss decisions: the first valid one closes it, unless a participation decision follows.
CLOSURE = DecisionTable(
    "il_08_loss_closure",
    ("open", "returned", "closed"),
    [
        Row(
            "loss_due_to_work_closes",
            ~V("has_valid_loss"),
            "open",
            (S8_4, LOSS_004),
            "Ingen automatisk avslutning: det foreligger ikke et gyldig vedtak om bortfall av rett og plikt pga. "
            "arbeid som står ved lag.",
        ),
        Row(
            "loss_due_to_work_right_returned",
            V("participation_after"),
            "returned",
            (S8_4_2, LOSS_004),
            "Vedtak om bortfall av rett og plikt pga. arbeid (minst {hours} timer i uken) {loss_date} avsluttet "
            "ordningen, men vedtak om deltakelse {participation_date} er registrert etter det: arbeidsforholdet "
            "opphørte innen fristen i § 8 første ledd, retten og plikten gjelder igjen og avslutningen gjelder ikke "
            "lenger.",
            title="Gyldig vedtak om deltakelse datert etter vedtaket om bortfall: kategorien som uten bortfallet, "
            "ingen avslutning.",
        ),
        Row(
            "loss_due_to_work_closes",
            ALWAYS,
            "closed",
            (S8_4, LOSS_004),
            "Vedtak om bortfall av rett og plikt pga. arbeid over {hours} timer {loss_date}, uten vedtak om "
            "deltakelse: ordningen avsluttes — «{status}», «{reason}», {loss_date}, registrert av {registered_by}.",
            title="Gyldig vedtak om bortfall pga. arbeid uten senere vedtak om deltakelse: ingen rett eller plikt, "
            "ordningen avsluttes (Avbrutt, Vedtak om bortfall av rett og plikt pga. arbeid, vedtaksdato, Regelmotor).",
        ),
    ],
)


def check(ctx: Context, d: Decision, participations: list[Decision], category: str) -> RuleError | None:
    """Rules ``loss_due_to_work_not_in_force`` (il. § 8 fourth paragraph applies from 2026-01-01),
    ``loss_due_to_work_after_participation`` (only when there is no participation decision) and
    ``loss_due_to_work_not_in_target_group`` (only a person with rett og plikt can lose it): table :data:`CHECK`."""
    before = [p for p in participations if p.decision_date <= d.decision_date]
    scope: dict[str, Any] = {
        "in_force": ctx.find(HOURS, d.decision_date) is not None,
        "participation_before": bool(before),
        "right_and_duty": category == "right_and_duty",
        "decision_date": d.decision_date,
        "participation_date": before[0].decision_date if before else None,
        "category": category,
    }
    r = CHECK.match(scope)
    if r.then == "valid":
        return None
    ex = CHECK.explain(r, scope)
    facts = decision_facts(d)
    if r.then == "after_participation":
        facts["participation"] = before[0].path
    elif r.then == "not_in_target_group":
        facts["category"] = category
    return RuleError(ex.rule, ex.text, ex.source, d.path, facts, ex.verified)


def check_columns(
    params: ParameterSet,
    decision_date: np.ndarray,
    first_participation: np.ndarray,
    right_and_duty: np.ndarray,
) -> np.ndarray:
    """:data:`CHECK` on the rows of loss decisions (each row's date, the person's first valid participation
    decision's date or ``NAT``, whether the person has rett og plikt): the outcome's index per row."""
    _, in_force = param_days(params, HOURS, decision_date)
    scope = {
        "in_force": in_force,
        "participation_before": (first_participation != NAT) & (first_participation <= decision_date),
        "right_and_duty": right_and_duty,
    }
    return CHECK.columns(scope, len(decision_date))[0]


def closure(d: Decision) -> Closure:
    return Closure(
        label("termination_type", "aborted"), label("termination_reason", "loss_due_to_work"), d.decision_date
    )


def apply(
    ctx: Context,
    category: Derived,
    decisions: list[Decision],
    participations: list[Decision],
) -> tuple[Derived, Closure | None, Derived]:
    """Validate the loss decisions and apply the first valid one (table :data:`CLOSURE`).

    Returns the (possibly changed) category, the closure (or None) and the
    explanation of ``closed``.
    """
    valid: Decision | None = None
    for d in decisions:
        if d.scheme != "intro" or d.type != TYPE:
            continue
        e = check(ctx, d, participations, category.value)
        if e:
            ctx.error(e)
        elif valid is None:
            valid = d
    later = [p for p in participations if valid is not None and p.decision_date > valid.decision_date]
    c = closure(valid) if valid is not None else None
    hours = ctx.param(HOURS, valid.decision_date) if valid is not None else None
    scope: dict[str, Any] = {
        "has_valid_loss": valid is not None,
        "participation_after": bool(later),
        "hours": hours.value if hours else None,
        "loss_date": valid.decision_date if valid else None,
        "participation_date": later[0].decision_date if later else None,
        "status": c.status if c else None,
        "reason": c.reason if c else None,
        "registered_by": c.registered_by if c else None,
    }
    facts = decision_facts(valid) if valid is not None else {}
    params = [hours] if hours else []
    r = CLOSURE.match(scope)
    if r.then == "open":
        return category, None, Derived(None, [CLOSURE.explain(r, scope, facts, params, None)])
    assert valid is not None and c is not None and hours is not None
    if r.then == "returned":
        facts |= {"participation": later[0].path, "closed_on": valid.decision_date}
        step = CLOSURE.explain(r, scope, facts, params, None)
        return Derived(category.value, [*category.steps, step]), None, Derived(None, [step])
    step = CLOSURE.explain(r, scope, facts, params, c.to_json())
    cat_step = Explanation(
        step.rule,
        step.source,
        f"Ingen rett eller plikt til introduksjonsprogram: rett og plikt er falt bort ved vedtak "
        f"{fmt(valid.decision_date)} (arbeid eller tilbud om arbeid minst {hours.value} timer i uken).",
        "none",
        facts,
        params,
        step.verified,
    )
    return Derived("none", [*category.steps, cat_step]), c, Derived(c, [step])


def closure_columns(has_valid_loss: np.ndarray, participation_after: np.ndarray) -> np.ndarray:
    """:data:`CLOSURE` on columns: whether the scheme is closed (each person's first valid loss decision, and
    whether a valid participation decision is dated after it)."""
    out = CLOSURE.columns(
        {"has_valid_loss": has_valid_loss, "participation_after": participation_after}, len(has_valid_loss)
    )
    closed: np.ndarray = out[0] == CLOSURE.code("closed")
    return closed
