"""Decisions (vedtak): the general validation rules (regelmotor.md § 5; 004 "Legg til vedtak").

Not a paragraph of the act: the register's own rules for a decision to be in
effect. Each rule is a :class:`~nir.rules.checks.Check` declared once in
:data:`CHECKS`, run by :func:`effective_decisions` on one person's decisions and
by :func:`decision_columns` on the register's decision rows. A decision that
breaks a rule is reported as an error naming the rule and is ignored for
derivation (never dropped silently); every rule it breaks is reported. Decisions
with a result other than *Vedtak fattet* (``made``) are registered but not in
effect. The rules on the decision *Bortfall av rett og plikt pga. arbeid over 30
timer* are in ``il_08_loss_due_to_work``; the two-year window for participation
decisions is in ``il_08_target_group``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from nir.rules.checks import Check, all_errors, all_masks, refused
from nir.rules.context import Context, codes, decision_facts
from nir.rules.dates import NAT, day
from nir.rules.legal_basis import NIR_004, REGELMOTOR, LegalBasis
from nir.rules.model import Decision
from nir.rules.table import V

PARTICIPATION = "participation"
NORWEGIAN_PARTICIPATION = "norwegian_participation"
LOSS_DUE_TO_WORK = "loss_due_to_work"
MADE = "made"

RM_4 = LegalBasis(REGELMOTOR, "§ 4")
RM_5 = LegalBasis(REGELMOTOR, "§ 5")
ADD_DECISION = LegalBasis(NIR_004, "", note="Legg til vedtak")
DEADLINE_FROM_START = LegalBasis(NIR_004, "", note="frist fra startdato i første vedtak om program")

# The scope of one decision (scalars) or of the decision rows (arrays): ``type_known`` (the type is in the
# code list Vedtakstype), ``in_scheme`` (the type may be registered on the decision's scheme),
# ``valid_on_date`` (the type is valid on the decision date), ``is_loss`` / ``is_participation`` (the type),
# ``start`` / ``end`` (day numbers, NAT for none). The per-person scope adds the texts' fields.
CHECKS = (
    Check(
        "decision_type_unknown",
        ~V("type_known"),
        (RM_5, ADD_DECISION),
        "Vedtakstypen '{type}' finnes ikke i kodeverket Vedtakstype.",
        title="Vedtakstypen finnes ikke i kodeverket Vedtakstype: vedtaket avvises.",
    ),
    Check(
        "decision_type_not_in_scheme",
        V("type_known") & ~V("in_scheme"),
        (RM_5, ADD_DECISION),
        "Vedtakstypen «{label}» kan ikke registreres på ordningen '{scheme}'.",
        title="Vedtakstypen kan ikke registreres på ordningen (kodeverket Vedtakstype): vedtaket avvises.",
    ),
    Check(
        "decision_type_not_valid_on_date",
        V("type_known") & ~V("is_loss") & ~V("valid_on_date"),
        (RM_5, ADD_DECISION),
        "Vedtakstypen «{label}» gjelder ikke på vedtaksdatoen {decision_date} (gyldig {valid_from}–{valid_to}).",
        title="Vedtakstypen gjelder ikke på vedtaksdatoen (gyldighetsperioden i kodeverket): vedtaket avvises.",
    ),
    Check(
        "decision_end_before_start",
        (V("start") != NAT) & (V("end") != NAT) & (V("end") < V("start")),
        (RM_5, ADD_DECISION),
        "Sluttdato {end_date} er før startdato {start_date}.",
        title="Sluttdato før startdato: vedtaket avvises.",
    ),
    Check(
        "participation_without_start_date",
        V("is_participation") & (V("start") == NAT),
        (RM_4, DEADLINE_FROM_START),
        "Vedtak om deltakelse i introduksjonsprogram må ha startdato: gjennomføringsfristen løper fra startdato i "
        "første vedtak om program.",
        title="Vedtak om deltakelse uten startdato: vedtaket avvises (fristen løper fra startdato).",
    ),
)


def _scope(d: Decision) -> dict[str, Any]:
    code = codes("decision_type").get(d.type)
    return {
        "type_known": code is not None,
        "in_scheme": code is not None and d.scheme in code.attrs.get("schemes", []),
        "valid_on_date": code is not None and code.valid_on(d.decision_date),
        "is_loss": d.type == LOSS_DUE_TO_WORK,
        "is_participation": d.type == PARTICIPATION,
        "start": day(d.start_date) if d.start_date else NAT,
        "end": day(d.end_date) if d.end_date else NAT,
        "type": d.type,
        "scheme": d.scheme,
        "label": code.label if code else d.type,
        "decision_date": d.decision_date,
        "valid_from": code.valid_from if code else None,
        "valid_to": code.valid_to if code else None,
        "start_date": d.start_date,
        "end_date": d.end_date,
    }


def effective_decisions(ctx: Context) -> list[Decision]:
    """Decisions in effect on ``as_of`` that pass the general rules (errors recorded)."""
    out = []
    for d in ctx.decisions:
        if d.result != MADE:
            continue
        errors = all_errors(CHECKS, _scope(d), d.path, partial(decision_facts, d))  # facts built on an error
        if errors:
            for e in errors:
                ctx.error(e)
            continue
        out.append(d)
    return out


def of(decisions: list[Decision], scheme: str, type_: str) -> list[Decision]:
    return [d for d in decisions if d.scheme == scheme and d.type == type_]


@dataclass
class DecisionColumns:
    """:func:`decision_columns`' result: per check id the decision rows it refuses, and the rows in effect."""

    errors: dict[str, np.ndarray]
    effective: np.ndarray


def decision_columns(
    made: np.ndarray,
    type_known: np.ndarray,
    in_scheme: np.ndarray,
    valid_on_date: np.ndarray,
    is_loss: np.ndarray,
    is_participation: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
) -> DecisionColumns:
    """:data:`CHECKS` on the register's decision rows (only decisions ``made`` are checked)."""
    n = len(made)
    scope = {
        "type_known": type_known,
        "in_scheme": in_scheme,
        "valid_on_date": valid_on_date,
        "is_loss": is_loss,
        "is_participation": is_participation,
        "start": start,
        "end": end,
    }
    masks = {k: m & made for k, m in all_masks(CHECKS, scope, n).items()}
    return DecisionColumns(masks, made & ~refused(masks, n))
