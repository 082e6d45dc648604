"""The rules engine's entry points: :func:`evaluate` and :func:`validate_registration`.

Pure and deterministic: facts in, result out, at a given ``as_of`` date; no web
or database imports anywhere in ``nir.rules``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from nir.rules import integreringsloven, introduksjonsloven, parameters
from nir.rules.context import Context
from nir.rules.integreringsforskriften import if_72_which_act
from nir.rules.model import Result, RuleError, parse_facts
from nir.rules.parameters import ParameterSet


def evaluate(facts: dict[str, Any], as_of: dt.date, params: ParameterSet | None = None) -> Result:
    """Derive everything the register derives for one person on ``as_of``.

    ``facts`` is the case-format ``facts`` object (also the interchange
    format; unknown keys are ignored). ``params`` defaults to the shipped
    parameter set.
    """
    ctx = Context.build(parse_facts(facts), as_of, params or parameters.default())
    law = ctx.explain("law", if_72_which_act.law(ctx))
    if law == if_72_which_act.INTEGRERINGSLOVEN:
        intro, norwegian, deviations = integreringsloven.evaluate(ctx)
    else:
        intro, norwegian, deviations = introduksjonsloven.evaluate(ctx)
    return Result(as_of, law, intro, norwegian, deviations, ctx.errors, ctx.explanations)


# --- refusing a new registration -----------------------------------------------

LIST_KINDS = ("permits", "settlements", "residences", "decisions", "absences")
VALUE_KINDS = ("final_goal", "extension_months")


# The field (interchange key) of the fact each rule error concerns: where a refusal is shown (the web
# form's field, the API's ``errors[].field``). A rule not listed concerns the fact as a whole.
RULE_FIELDS: dict[str, str] = {
    "loss_due_to_work_after_participation": "type",  # this type is not for a person in the programme
    "loss_due_to_work_not_in_force": "decision_date",
    "loss_due_to_work_not_in_target_group": "type",
    "participation_after_two_years": "decision_date",
    "participation_without_start_date": "start_date",
    "decision_type_unknown": "type",
    "decision_type_not_in_scheme": "type",
    "decision_type_not_valid_on_date": "decision_date",
    "decision_end_before_start": "end_date",
    "absence_kind_unknown": "kind",
    "absence_end_before_start": "to",
    "absence_date_out_of_range": "from",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule the new registration would break: the register refuses it with ``message``.
    ``field``: the interchange key of the subject's field the rule concerns ("" the fact as a whole)."""

    rule: str
    message: str
    source: str
    subject: str
    field: str = ""

    @classmethod
    def of(cls, e: RuleError) -> Violation:
        return cls(e.rule, e.message, e.source, e.subject, RULE_FIELDS.get(e.rule, ""))

    def __str__(self) -> str:
        return f"{self.message} [{self.rule}]"


def _key(e: RuleError) -> tuple[str, str]:
    return (e.rule, e.subject)


def validate_registration(
    facts: dict[str, Any], kind: str, item: Any, as_of: dt.date, params: ParameterSet | None = None
) -> list[Violation]:
    """The rules a new registration would break, given the person's current facts.

    ``kind`` is a list key of ``facts`` (``decisions``, ``permits``,
    ``settlements``, ``residences``, ``absences``) with ``item`` the new list
    element, or ``final_goal`` / ``extension_months`` with ``item`` the new
    value. The person is evaluated with and without the registration; every
    error that the registration brings (on the new item or, by making an
    earlier registration contradictory, on another one) is returned. An empty
    list means the registration may be stored. Warnings (a final goal outside
    its window, regelmotor.md § 5) never refuse a registration.
    """
    if kind not in LIST_KINDS + VALUE_KINDS:
        raise ValueError(f"unknown registration kind {kind!r}")
    before = evaluate(facts, as_of, params)
    after_facts = copy.copy(facts)
    if kind in LIST_KINDS:
        after_facts[kind] = [*(facts.get(kind) or []), item]
    else:
        after_facts[kind] = item
    after = evaluate(after_facts, as_of, params)
    return new_violations(before, after)


def new_violations(before: Result, after: Result) -> list[Violation]:
    """The rule errors ``after`` has that ``before`` had not: what a change to the facts brought."""
    seen = Counter(_key(e) for e in before.errors)
    out = []
    for e in after.errors:
        k = _key(e)
        if seen[k]:
            seen[k] -= 1
            continue
        out.append(Violation.of(e))
    return out
