"""What the grant engine says: entitlement lines, findings (not eligible, pending) and the rules behind them.

Every grant rule is declared once with :func:`rule`: an id, the scheme, a bokmål title, its sources
(grants.md's marks: ``S`` a seed, ``P`` a public IMDi page, ``P2`` a secondary source, ``I`` our
inference, ``R`` a recollection) and whether it is verified. A :class:`Line` or :class:`Finding` names
the rule it comes from, so a caseworker sees why a person triggers, or does not trigger, each amount;
the Tilskudd pages and ``docs/grants.md`` list :data:`RULES`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nir.rules.parameters import Version


@dataclass(frozen=True, slots=True)
class Source:
    """Where a grant rule comes from: a citation, its address, and grants.md's mark (S, P, P2, I, R)."""

    text: str
    url: str = ""
    mark: str = "P"

    @property
    def verified(self) -> bool:
        return self.mark in ("S", "P")


@dataclass(frozen=True, slots=True)
class GrantRule:
    id: str
    scheme: str
    title: str  # bokmål
    sources: tuple[Source, ...]
    verified: bool
    module: str = ""


RULES: dict[str, GrantRule] = {}


def rule(rule_id: str, scheme: str, title: str, *sources: Source, verified: bool | None = None) -> GrantRule:
    """Declare a grant rule once. ``verified`` defaults to every source being a seed or IMDi's own page."""
    import sys

    module = str(sys._getframe(1).f_globals.get("__name__", ""))
    decl = GrantRule(
        rule_id, scheme, title, tuple(sources), all(s.verified for s in sources) if verified is None else verified,
        module,
    )  # fmt: skip
    old = RULES.get(rule_id)
    if old is not None and old.module != module:
        raise ValueError(f"grant rule {rule_id!r} declared in {old.module} and {module}")
    RULES[rule_id] = decl
    return decl


def kr(value: object) -> str:
    """An amount as the explanations write it: «1\u00a0344 kr», «241\u00a0100 kr» (decimals kept when not whole)."""
    d = Decimal(str(value))
    text = f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"
    return text.replace(",", "\u00a0").replace(".", ",") + " kr"


@dataclass(frozen=True, slots=True)
class GrantType:
    """IMDi's grant-type code (grants.md A.0), its scheme, bokmål name and how it is earned."""

    code: str
    scheme: str
    name: str
    unit: str  # one_off, annual_by_month, annual_by_share, per_municipality, per_person_once


SCHEMES = {
    "integration_grant": ("Integreringstilskudd", "0671.60"),
    "um_grant": ("Særskilt tilskudd ved bosetting av enslige mindreårige", "0671.61"),
    "extra_grant": ("Ekstratilskudd", "0671.60"),
    "norwegian_grant_adult": ("Tilskudd til opplæring i norsk og samfunnskunnskap for voksne innvandrere", "0672.60"),
    "norwegian_grant_collective": ("Tilskudd til opplæring i norsk for voksne med kollektiv beskyttelse", "0672.60"),
    "norwegian_grant_asylum": ("Tilskudd til opplæring i norsk og samfunnskunnskap for asylsøkere", "0672.60"),
    "mapping_grant": ("Tilskudd til kompetansekartlegging i mottak", "0672.61"),
}

GRANT_TYPES: dict[str, GrantType] = {
    t.code: t
    for t in (
        GrantType("AR-1", "integration_grant", "År 1, voksen i familie", "one_off"),
        GrantType("AR-1 EV", "integration_grant", "År 1, enslig voksen", "one_off"),
        GrantType("AR-1 B", "integration_grant", "År 1, barn", "one_off"),
        GrantType("ELDR", "integration_grant", "Eldretilskudd", "one_off"),
        GrantType("BHT", "integration_grant", "Barnehagetilskudd", "one_off"),
        *(GrantType(f"AR-{k}", "integration_grant", f"År {k}", "annual_by_month") for k in range(2, 6)),
        GrantType("EMINB", "um_grant", "Enslige mindreårige, barn (0–16 år)", "annual_by_month"),
        GrantType("EMINU", "um_grant", "Enslige mindreårige, ungdom (17–20 år)", "annual_by_month"),
        GrantType("FHT1", "extra_grant", "Ekstratilskudd 1 (engangstilskudd)", "one_off"),
        GrantType("FHT2", "extra_grant", "Ekstratilskudd 2 (årlig)", "one_off"),
        GrantType("Grunntilskudd-H", "norwegian_grant_adult", "Grunntilskudd, høy sats (4–150)", "per_municipality"),
        GrantType("Grunntilskudd-L", "norwegian_grant_adult", "Grunntilskudd, lav sats (1–3)", "per_municipality"),
        *(
            GrantType(f"P-AR{k}-{band}", "norwegian_grant_adult", f"Persontilskudd år {k}, {name}", "annual_by_share")
            for k in (1, 2, 3)
            for band, name in (("H", "høy"), ("L", "lav"))
        ),
        GrantType("P37D-AR1", "norwegian_grant_collective", "Persontilskudd § 37 d, år 1", "annual_by_month"),
        GrantType("UN43G", "norwegian_grant_collective", "Utvidet norskopplæring (if. § 43 g)", "annual_by_month"),
        GrantType("ASYLNORSK", "norwegian_grant_asylum", "Asylsøkere i mottak (engangstilskudd)", "per_person_once"),
        GrantType("MAPPING", "mapping_grant", "Kompetansekartlegging i mottak (per person)", "per_person_once"),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One entitlement (*utløst tilskudd*): what ``person`` triggers of ``grant_type`` for ``grant_year``, for
    one recipient and period, with the rule, the rate version and the explanation behind it.

    ``amount`` is exact (a ``Decimal``, unrounded: monthly shares are ``annual / 12``); rounding happens only
    on a payment round's statement line (:mod:`nir.grants.engine.rounds`). ``earned`` are the days on which
    the amount is earned in equal parts — the first day of each month of a line earned by month, the first
    day of each payment round of a line spread over rounds; empty: earned whole on ``due_from`` (a one-off
    line, due once it is known). A round pays what is earned up to its period end.
    """

    person: str
    grant_type: str
    grant_year: int
    recipient: str  # "municipality:NNNN" or "county:NN"
    amount: Decimal
    rule: str
    rate: Version | None
    explanation: str  # bokmål
    year_index: int | None = None
    period: tuple[dt.date, dt.date] | None = None
    due_from: dt.date | None = None
    earned: tuple[dt.date, ...] = ()
    facts_used: tuple[str, ...] = ()  # paths into the person's facts ("settlements[0]")

    @property
    def key(self) -> tuple[str, str, int, str]:
        """What a payment is recorded against: (person, grant type, grant year, recipient)."""
        return (self.person, self.grant_type, self.grant_year, self.recipient)

    @property
    def verified(self) -> bool:
        decl = RULES.get(self.rule)
        return (decl is None or decl.verified) and (self.rate is None or self.rate.verified)

    def due_by(self, day: dt.date) -> Decimal:
        """What of this line is earned on or before ``day``."""
        if not self.earned:
            start = self.due_from or (self.period[0] if self.period else None)
            return self.amount if start is None or start <= day else Decimal(0)
        done = sum(1 for d in self.earned if d <= day)
        return self.amount * done / len(self.earned)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "person": self.person,
            "grant_type": self.grant_type,
            "grant_year": self.grant_year,
            "recipient": self.recipient,
            "amount": str(self.amount),
            "year_index": self.year_index,
            "period": {"from": self.period[0].isoformat(), "to": self.period[1].isoformat()} if self.period else None,
            "rule": self.rule,
            "rate": self.rate.to_json() if self.rate else None,
            "explanation": self.explanation,
            "verified": self.verified,
            "facts_used": list(self.facts_used),
        }
        return out


@dataclass(frozen=True)
class Finding:
    """Why a person triggers nothing of a scheme (``not_eligible``) or nothing yet (``pending``: a fact the
    grant needs is not known at the cut-off, or no rate is known for the year), in bokmål."""

    person: str
    scheme: str
    kind: str  # "not_eligible" | "pending"
    rule: str
    reason: str
    grant_year: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "scheme": self.scheme,
            "kind": self.kind,
            "rule": self.rule,
            "reason": self.reason,
            "grant_year": self.grant_year,
        }


@dataclass
class Outcome:
    lines: list[Line] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def extend(self, other: Outcome) -> Outcome:
        self.lines.extend(other.lines)
        self.findings.extend(other.findings)
        return self

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))
