"""Decisions (vedtak) on the introduction programme: the general validation rules
(regelmotor.md § 5; 004 "Legg til vedtak").

Each rule is a small function returning a :class:`RuleError` or ``None``; a
decision that breaks a rule is reported as an error naming the rule and is
ignored for derivation (never dropped silently). Decisions with a result other
than *Vedtak fattet* (``made``) are registered but not in effect. The rules on
the decision *Bortfall av rett og plikt pga. arbeid over 30 timer* are in
``il_08_loss_due_to_work``; the two-year window for participation decisions is in
``il_08_target_group``.
"""

from __future__ import annotations

from collections.abc import Callable

from nir.rules.context import Context, codes, decision_facts
from nir.rules.dates import fmt
from nir.rules.model import Decision, RuleError

SOURCE = "regelmotor.md § 5; 004 (Legg til vedtak)"
PARTICIPATION = "participation"
NORWEGIAN_PARTICIPATION = "norwegian_participation"
LOSS_DUE_TO_WORK = "loss_due_to_work"


def _err(rule: str, message: str, d: Decision, source: str = SOURCE) -> RuleError:
    return RuleError(rule, message, source, d.path, decision_facts(d))


def decision_type_unknown(ctx: Context, d: Decision) -> RuleError | None:
    if d.type not in codes("decision_type"):
        return _err("decision_type_unknown", f"Vedtakstypen '{d.type}' finnes ikke i kodeverket Vedtakstype.", d)
    return None


def decision_type_not_in_scheme(ctx: Context, d: Decision) -> RuleError | None:
    code = codes("decision_type").get(d.type)
    schemes = code.attrs.get("schemes", []) if code else []
    if code and d.scheme not in schemes:
        return _err(
            "decision_type_not_in_scheme",
            f"Vedtakstypen «{code.label}» kan ikke registreres på ordningen '{d.scheme}'.",
            d,
        )
    return None


def decision_type_not_valid_on_date(ctx: Context, d: Decision) -> RuleError | None:
    if d.type == LOSS_DUE_TO_WORK:  # its own rule: il_08_loss_due_to_work.CHECK
        return None
    code = codes("decision_type").get(d.type)
    if code and not code.valid_on(d.decision_date):
        return _err(
            "decision_type_not_valid_on_date",
            f"Vedtakstypen «{code.label}» gjelder ikke på vedtaksdatoen {fmt(d.decision_date)} "
            f"(gyldig {fmt(code.valid_from)}–{fmt(code.valid_to)}).",
            d,
        )
    return None


def decision_end_before_start(ctx: Context, d: Decision) -> RuleError | None:
    if d.start_date and d.end_date and d.end_date < d.start_date:
        return _err(
            "decision_end_before_start", f"Sluttdato {fmt(d.end_date)} er før startdato {fmt(d.start_date)}.", d
        )
    return None


def participation_without_start_date(ctx: Context, d: Decision) -> RuleError | None:
    if d.type == PARTICIPATION and d.start_date is None:
        return _err(
            "participation_without_start_date",
            "Vedtak om deltakelse i introduksjonsprogram må ha startdato: "
            "gjennomføringsfristen løper fra startdato i første vedtak om program.",
            d,
            "regelmotor.md § 4; 004 (frist fra startdato i første vedtak om program)",
        )
    return None


RULES: tuple[Callable[[Context, Decision], RuleError | None], ...] = (
    decision_type_unknown,
    decision_type_not_in_scheme,
    decision_type_not_valid_on_date,
    decision_end_before_start,
    participation_without_start_date,
)


def effective_decisions(ctx: Context) -> list[Decision]:
    """Decisions in effect on ``as_of`` that pass the general rules (errors recorded)."""
    out = []
    for d in ctx.decisions:
        if d.result != "made":
            continue
        errors = [e for rule in RULES if (e := rule(ctx, d)) is not None]
        if errors:
            for e in errors:
                ctx.error(e)
            continue
        out.append(d)
    return out


def of(decisions: list[Decision], scheme: str, type_: str) -> list[Decision]:
    return [d for d in decisions if d.scheme == scheme and d.type == type_]
