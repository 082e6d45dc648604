"""The evaluation context handed to every rule: facts, date, parameters, and the sinks
for explanations and errors.

Facts dated after ``as_of`` (permits, settlements and decisions whose date is
later) are not yet in effect on ``as_of`` and are left out of ``permits``,
``settlements`` and ``decisions``, so that evaluating at an earlier date
reproduces the state on that date. Absence, time off and leave are registered
periods and always count in full (registered future leave moves the deadline).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nir.codes import Code, code_list
from nir.rules.model import Decision, Derived, Explanation, Facts, Permit, Residence, RuleError, Settlement
from nir.rules.parameters import ParameterSet, Value


@dataclass(slots=True)
class Context:
    facts: Facts
    as_of: dt.date
    params: ParameterSet
    permits: list[Permit] = field(default_factory=list)
    settlements: list[Settlement] = field(default_factory=list)
    residences: list[Residence] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    explanations: dict[str, list[Explanation]] = field(default_factory=dict)

    @classmethod
    def build(cls, facts: Facts, as_of: dt.date, params: ParameterSet) -> Context:
        return cls(
            facts=facts,
            as_of=as_of,
            params=params,
            permits=[p for p in facts.permits if p.decision_date <= as_of],
            settlements=[s for s in facts.settlements if s.date <= as_of],
            residences=[r for r in facts.residences if r.start <= as_of],
            decisions=[d for d in facts.decisions if d.decision_date <= as_of],
        )

    # parameters
    def param(self, name: str, on: dt.date) -> Value:
        return self.params.get(name, on)

    def find(self, name: str, on: dt.date) -> Value | None:
        return self.params.find(name, on)

    # sinks
    def explain(self, key: str, derived: Derived | Explanation) -> Any:
        steps = derived.steps if isinstance(derived, Derived) else [derived]
        self.explanations.setdefault(key, []).extend(steps)
        return derived.value

    def error(self, error: RuleError) -> None:
        self.errors.append(error)


# --- code list helpers (nir.codes is the single source of the code lists) ----


@cache
def codes(name: str) -> dict[str, Code]:
    """A code list as a dict, built once per process (cheap lookups on the per-person path)."""
    return {c.code: c for c in code_list(name).codes}


def basis_attrs(basis: str) -> dict[str, Any]:
    code = codes("permit_basis").get(basis)
    return code.attrs if code else {}


def il9_letter(basis: str) -> str | None:
    """The il. § 9 first paragraph letter (a–g) of a permit basis, or None."""
    return basis_attrs(basis).get("il_9_letter")


def permit_facts(p: Permit) -> dict[str, Any]:
    return {"path": p.path, "basis": p.basis, "decision_date": p.decision_date, "arrival_date": p.arrival_date}


def decision_facts(d: Decision) -> dict[str, Any]:
    return {
        "path": d.path,
        "scheme": d.scheme,
        "type": d.type,
        "result": d.result,
        "decision_date": d.decision_date,
        "start_date": d.start_date,
        "end_date": d.end_date,
    }
