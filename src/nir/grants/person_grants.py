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

from django.utils import timezone

from nir.grants import engine, reads
from nir.grants.engine.model import Finding, Line
from nir.register import models as m


@dataclass
class GrantYear:
    year: int
    lines: list[Line] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def total(self) -> Any:
        return sum((ln.amount for ln in self.lines), 0)


def grants_of(person: m.Person, now: dt.datetime) -> list[GrantYear]:
    """The person's grants for every grant year from their first fact to this year, newest first, as the
    register knows them at ``now`` (read as a payment round reads: ``reads.facts``, with the mother, the
    reference person and the household)."""
    today = timezone.localdate(now)
    read = reads.facts([person.pk], now)
    pop = engine.facts.population(read.by_duf, now)
    ctx = engine.Context(pop, known_at=now, as_of=today)
    first = engine.first_year(pop[person.duf])
    if first is None:
        return []
    years = []
    for year in range(today.year, first - 1, -1):
        out = engine.entitlements(ctx, person.duf, year)
        years.append(GrantYear(year, out.lines, out.findings))
    return years
