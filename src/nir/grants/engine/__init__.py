"""The pure grant engine: facts as known at a cut-off in, entitlement lines with explanations out (no Django).

    from nir.grants import engine
    ctx = engine.Context(engine.facts.population({"P1": facts, ...}, known_at), engine.params.default())
    outcome = engine.entitlements(ctx, "P1", 2025)            # every scheme; or schemes={"integration_grant"}
    outcome.lines, outcome.findings                           # Line: grant type, recipient, amount, rule, rate …

One module per scheme (grants.md A.2–A.6) registers its function with :func:`scheme`:
``integration`` (A.2), ``um`` (A.3), ``extra`` (A.4), ``norwegian`` (A.5.1, A.5.2, A.5.4), ``asylum``
(A.5.5) and ``mapping`` (A.6). A scheme function gets the context, one person and a grant year, and
returns an :class:`~nir.grants.engine.model.Outcome`: the lines the person triggers for that year (a line
of one grant year may be earned over a period reaching into the next: § 37 d) and, where nothing is
triggered, the finding that says why. ``rounds`` turns lines into payment rounds; ``examples`` runs
``grant-examples.json``.

The derived Norwegian category and its start date come from the Regelmotor (``nir.rules.evaluate``),
never recomputed here; so does the permit-basis code list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nir.grants.engine import facts, params
from nir.grants.engine.facts import PersonFacts, Population
from nir.grants.engine.model import RULES, Finding, Line, Outcome, rule
from nir.rules.parameters import ParameterSet, Version

__all__ = [
    "Context",
    "Finding",
    "Line",
    "Outcome",
    "PersonFacts",
    "Population",
    "RULES",
    "SCHEMES",
    "entitlements",
    "facts",
    "params",
    "rule",
    "scheme",
]


@dataclass
class Context:
    """What every scheme function reads besides the person: the population (households, mothers), the
    parameters, and the cut-off (``known_at``: the facts are already filtered to it; its date is the day
    derived categories are read on, unless ``as_of`` says otherwise)."""

    population: Population
    params: ParameterSet = field(default_factory=params.default)
    known_at: dt.datetime | None = None
    as_of: dt.date | None = None
    _rules: dict[tuple[str, dt.date], Any] = field(default_factory=dict, repr=False)

    def rate(self, grant_type: str, grant_year: int) -> Version | None:
        return params.rate(self.params, grant_type, grant_year)

    def value(self, name: str, grant_year: int) -> Any:
        return params.value(self.params, name, grant_year)

    def version(self, name: str, grant_year: int) -> Version:
        return params.version(self.params, name, grant_year)

    def day(self, grant_year: int) -> dt.date:
        """The day derived values are read on for ``grant_year``: ``as_of``, else the cut-off's date, else
        the grant year's last day."""
        if self.as_of is not None:
            return self.as_of
        if self.known_at is not None:
            return self.known_at.date()
        return dt.date(grant_year, 12, 31)

    def regelmotor(self, person: PersonFacts, on: dt.date) -> Any:
        """The Regelmotor's result for the person on ``on`` (``nir.rules.Result``), computed once."""
        key = (person.id, on)
        if key not in self._rules:
            from nir.rules import evaluate

            self._rules[key] = evaluate(dict(person.raw), on)
        return self._rules[key]


SchemeFunction = Callable[[Context, PersonFacts, int], Outcome]
SCHEMES: dict[str, SchemeFunction] = {}
# Per-person attributes a scheme reports besides lines (the extra grant's eligibility and deadlines).
ATTRIBUTES: dict[str, Callable[[Context, PersonFacts], dict[str, Any]]] = {}
# Grants per recipient rather than per person (the base grant): (ctx, recipient, persons counted, year).
RECIPIENT_GRANTS: dict[str, Callable[[Context, str, int, int], Line | None]] = {}


def scheme(code: str) -> Callable[[SchemeFunction], SchemeFunction]:
    """Register a scheme's function (one per scheme code of ``model.SCHEMES``)."""

    def register(fn: SchemeFunction) -> SchemeFunction:
        if code in SCHEMES and SCHEMES[code] is not fn:
            raise ValueError(f"scheme {code!r} registered twice")
        SCHEMES[code] = fn
        return fn

    return register


def entitlements(ctx: Context, person_id: str, grant_year: int, schemes: Iterable[str] | None = None) -> Outcome:
    """Every line ``person_id`` triggers for ``grant_year`` under ``schemes`` (default: all), and why not."""
    person = ctx.population[person_id]
    out = Outcome()
    for code in schemes if schemes is not None else SCHEMES:
        out.extend(SCHEMES[code](ctx, person, grant_year))
    return out


def first_year(person: PersonFacts) -> int | None:
    """The earliest grant year the person can trigger anything in: the year of their first permit,
    settlement, residence, reception stay, mapping or decision (a child born after settlement: birth)."""
    days = [
        *(p.decision_date for p in person.permits),
        *(s.date for s in person.settlements),
        *(r.start for r in person.residences),
        *(s.start for s in person.reception_stays),
        *(m.date for m in person.mappings),
        *(d.decision_date for d in person.decisions),
    ]
    if person.mother and person.birth_date:
        days.append(person.birth_date)
    return min(days).year if days else None


# the schemes (each module registers itself)
from nir.grants.engine import asylum, extra, integration, mapping, norwegian, um  # noqa: E402,F401
