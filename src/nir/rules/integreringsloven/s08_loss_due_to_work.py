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
(rule ``participation_after_two_years``); if it does not, it is ignored and the
closure stands.
"""

from __future__ import annotations

from nir.codes import label
from nir.rules.context import Context, decision_facts
from nir.rules.dates import fmt
from nir.rules.model import Closure, Decision, Derived, Explanation, RuleError

SOURCE = "il. § 8 fjerde ledd; 004 (Nytt vedtak om bortfall av rett og plikt)"
TYPE = "loss_due_to_work"


def not_in_force(ctx: Context, d: Decision) -> RuleError | None:
    """Rule ``loss_due_to_work_not_in_force``: il. § 8 fourth paragraph applies from 2026-01-01."""
    if ctx.find("intro.work.min_hours_per_week", d.decision_date) is None:
        return RuleError(
            "loss_due_to_work_not_in_force",
            f"Vedtak om bortfall av rett og plikt pga. arbeid kan ikke være datert {fmt(d.decision_date)}: "
            "il. § 8 fjerde ledd gjelder fra 01.01.2026.",
            SOURCE,
            d.path,
            decision_facts(d),
        )
    return None


def after_participation(ctx: Context, d: Decision, participations: list[Decision]) -> RuleError | None:
    """Rule ``loss_due_to_work_after_participation``: only when there is no participation decision."""
    before = [p for p in participations if p.decision_date <= d.decision_date]
    if before:
        return RuleError(
            "loss_due_to_work_after_participation",
            "Vedtak om bortfall av rett og plikt pga. arbeid over 30 timer kan kun registreres dersom det "
            f"ikke foreligger et vedtak om deltakelse fra før (vedtak om deltakelse {fmt(before[0].decision_date)}).",
            SOURCE,
            d.path,
            decision_facts(d) | {"participation": before[0].path},
        )
    return None


def not_in_target_group(ctx: Context, d: Decision, category: str) -> RuleError | None:
    """Rule ``loss_due_to_work_not_in_target_group``: only a person with rett og plikt can lose it."""
    if category != "right_and_duty":
        return RuleError(
            "loss_due_to_work_not_in_target_group",
            "Vedtak om bortfall av rett og plikt pga. arbeid kan bare gjelde en person med rett og plikt "
            f"til introduksjonsprogram etter il. § 8 (personens kategori er '{category}').",
            SOURCE,
            d.path,
            decision_facts(d) | {"category": category},
        )
    return None


def closure(d: Decision) -> Closure:
    return Closure(
        label("termination_type", "aborted"), label("termination_reason", "loss_due_to_work"), d.decision_date
    )


def apply(
    ctx: Context,
    category: Derived,
    decisions: list[Decision],
    participations: list[Decision],
) -> tuple[Derived, Closure | None, Derived | None]:
    """Validate the loss decisions and apply the first valid one.

    Returns the (possibly changed) category, the closure (or None) and the
    explanation of ``closed``.
    """
    valid: Decision | None = None
    for d in decisions:
        if d.scheme != "intro" or d.type != TYPE:
            continue
        e = (
            not_in_force(ctx, d)
            or after_participation(ctx, d, participations)
            or not_in_target_group(ctx, d, category.value)
        )
        if e:
            ctx.error(e)
        elif valid is None:
            valid = d
    if valid is None:
        return category, None, None
    hours = ctx.param("intro.work.min_hours_per_week", valid.decision_date)
    later = [p for p in participations if p.decision_date > valid.decision_date]
    c = closure(valid)
    if later:
        step = Explanation(
            "loss_due_to_work_right_returned",
            SOURCE,
            f"Vedtak om bortfall av rett og plikt pga. arbeid (minst {hours.value} timer i uken) "
            f"{fmt(valid.decision_date)} "
            f"avsluttet ordningen, men vedtak om deltakelse {fmt(later[0].decision_date)} er registrert etter det: "
            "arbeidsforholdet opphørte innen fristen i § 8 første ledd, retten og plikten gjelder igjen og "
            "avslutningen gjelder ikke lenger.",
            None,
            decision_facts(valid) | {"participation": later[0].path, "closed_on": valid.decision_date},
            [hours],
        )
        return Derived(category.value, [*category.steps, step]), None, Derived(None, [step])
    step = Explanation(
        "loss_due_to_work_closes",
        SOURCE,
        f"Vedtak om bortfall av rett og plikt pga. arbeid over {hours.value} timer {fmt(valid.decision_date)}, uten "
        f"vedtak om deltakelse: ordningen avsluttes — «{c.status}», «{c.reason}», {fmt(c.date)}, registrert av "
        f"{c.registered_by}.",
        c.to_json(),
        decision_facts(valid),
        [hours],
    )
    cat_step = Explanation(
        "loss_due_to_work_closes",
        SOURCE,
        f"Ingen rett eller plikt til introduksjonsprogram: rett og plikt er falt bort ved vedtak "
        f"{fmt(valid.decision_date)} (arbeid eller tilbud om arbeid minst {hours.value} timer i uken).",
        "none",
        decision_facts(valid),
        [hours],
    )
    return Derived("none", [*category.steps, cat_step]), c, Derived(c, [step])
