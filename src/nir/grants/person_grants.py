"""One person's grants as the register knows them now: what they trigger, year by year, and why not.

The person page's «Tilskudd» (``/personer/<duf>/tilskudd/``) shows this: for every grant year from the
person's first fact to this year, the engine's lines (grant type, recipient, amount, period, the rule and
the rate with its source and verified flag, the explanation) and its findings (not in the target group,
or pending and why). The computation is the payment rounds' own (``nir.grants.engine``); only the cut-off
differs (now). A child's grant reads the mother's settlement: the mother's facts are read for the
computation, and nothing of hers is shown but what the child's explanation names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from nir.grants import engine
from nir.grants.engine.model import Finding, Line
from nir.register import models as m
from nir.register.history import rows_for
from nir.register.interchange import facts_to_line


@dataclass
class GrantYear:
    year: int
    lines: list[Line] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def total(self) -> Any:
        return sum((ln.amount for ln in self.lines), 0)


def _facts(person: m.Person, rows: list[m.Registration]) -> dict[str, Any]:
    facts: dict[str, Any] = facts_to_line(person, rows, typed=True)["facts"]
    return facts


def related_facts(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The facts of the persons the grant rules look up besides the person: the mother."""
    out: dict[str, dict[str, Any]] = {}
    mother = facts.get("mother")
    if mother:
        found = m.Person.objects.filter(duf=str(mother)).first()
        if found is not None:
            out[found.duf] = _facts(found, rows_for([found.pk])[found.pk])
    return out


def grants_of(person: m.Person, rows: list[m.Registration], today: dt.date) -> list[GrantYear]:
    """The person's grants for every grant year from their first fact to ``today``'s year, newest first."""
    facts = _facts(person, rows)
    pop = engine.facts.population({**related_facts(facts), person.duf: facts})
    ctx = engine.Context(pop, as_of=today)
    first = engine.first_year(pop[person.duf])
    if first is None:
        return []
    years = []
    for year in range(today.year, first - 1, -1):
        out = engine.entitlements(ctx, person.duf, year)
        years.append(GrantYear(year, out.lines, out.findings))
    return years
