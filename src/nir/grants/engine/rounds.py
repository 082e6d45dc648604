"""Payment rounds (*terminutbetalinger*): what is due at a round, what was paid before, the difference.

A round is one quarter of a grant year, read as the register was known at its cut-off
(``cutoff``) and covering what is earned up to its period end (31.03, 30.06, 30.09, 31.12). For each
(person, grant type, grant year, recipient) — a line's :attr:`~nir.grants.engine.model.Line.key` —

    due   = what the lines known at the cut-off have earned by the period end (Line.due_by)
    paid  = the sum of the deltas of the earlier rounds for the same key
    delta = round(due) − paid        (whole kroner, half up: grants.rounding)

so a late registration is paid with its arrears in the next round, a correction after payment becomes a
negative line (a settlement, *avregning*) for the old recipient and a positive one for the new, and
nothing is paid twice: paying a round again with the same facts gives deltas of zero (grants.md A.1, A.8).
A recipient whose deltas in a round sum to less than zero must be notified first (fvl. § 16,
``000:3089-3091``): its lines carry ``requires_notice``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from nir.grants import engine
from nir.grants.engine.facts import population
from nir.grants.engine.model import Finding, Line
from nir.rules.parameters import ParameterSet

OSLO = ZoneInfo("Europe/Oslo")
Key = tuple[str, str, int, str]  # person, grant type, grant year, recipient
ROUND_ID = re.compile(r"^(\d{4})Q([1-4])$")


def kroner(amount: Decimal) -> Decimal:
    """Whole kroner, half up (grants.rounding)."""
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Round:
    grant_year: int
    quarter: int
    cutoff: dt.datetime  # the register as known at this moment

    @property
    def id(self) -> str:
        return f"{self.grant_year}Q{self.quarter}"

    @property
    def period_end(self) -> dt.date:
        month = 3 * self.quarter
        return dt.date(self.grant_year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)

    @property
    def period_start(self) -> dt.date:
        return dt.date(self.grant_year, 3 * self.quarter - 2, 1)

    @classmethod
    def parse(cls, round_id: str, cutoff: dt.datetime | None = None, params: ParameterSet | None = None) -> Round:
        """``2025Q1``; without ``cutoff`` the parameter ``grants.round_cutoffs`` gives it (12:00 Oslo time)."""
        m = ROUND_ID.match(round_id.strip())
        if not m:
            raise ValueError(f"{round_id!r}: en termin skrives ÅÅÅÅQn, for eksempel 2025Q1")
        year, quarter = int(m.group(1)), int(m.group(2))
        if cutoff is None:
            ps = params or engine.params.default()
            month_day = engine.params.value(ps, "grants.round_cutoffs", year)[quarter - 1]
            day = dt.date.fromisoformat(f"{year}-{month_day}")
            cutoff = dt.datetime.combine(day, dt.time(12), OSLO)
        return cls(year, quarter, cutoff)


@dataclass(frozen=True)
class StatementLine:
    """One line of a round's statement (*termingrunnlag-linje*) for one recipient."""

    round: str
    recipient: str
    person: str
    grant_type: str
    grant_year: int
    due: Decimal  # earned by the round's period end, whole kroner
    paid_before: Decimal
    delta: Decimal  # positive: payment or arrears; negative: settlement
    year_index: int | None
    period: tuple[dt.date, dt.date] | None
    rules: tuple[str, ...]
    explanation: str
    rate: str  # the rate parameter's value and source, as shown on the statement
    verified: bool
    requires_notice: bool = False

    @property
    def key(self) -> Key:
        return (self.person, self.grant_type, self.grant_year, self.recipient)


@dataclass
class RoundResult:
    round: Round
    lines: list[StatementLine] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def total(self, recipient: str | None = None) -> Decimal:
        return sum((s.delta for s in self.lines if recipient in (None, s.recipient)), Decimal(0))


def _period(lines: list[Line], paid: Decimal, until: dt.date) -> tuple[dt.date, dt.date] | None:
    """The part of the lines' period this round's delta pays: from the first earned day not yet paid to the
    round's period end (or the period's end, if earlier)."""
    spans = [ln for ln in lines if ln.period]
    if not spans:
        return None
    start = min(ln.period[0] for ln in spans if ln.period)
    end = min(max(ln.period[1] for ln in spans if ln.period), until)
    earned = sorted(d for ln in lines for d in ln.earned)
    if earned:
        total = sum((ln.amount for ln in lines), Decimal(0))
        share = total / len(earned)
        unpaid = [d for i, d in enumerate(earned) if share * (i + 1) > paid and d <= until]
        if unpaid:
            start = unpaid[0]
    return (start, end) if start <= end else None


def settle(rnd: Round, lines: Iterable[Line], paid: Mapping[Key, Decimal]) -> list[StatementLine]:
    """The round's statement lines: for every key with lines or earlier payments, ``round(due) − paid``."""
    by_key: dict[Key, list[Line]] = {}
    for line in lines:
        by_key.setdefault(line.key, []).append(line)
    out: list[StatementLine] = []
    for key in sorted(set(by_key) | {k for k, v in paid.items() if v}):
        group = by_key.get(key, [])
        due = kroner(sum((ln.due_by(rnd.period_end) for ln in group), Decimal(0)))
        before = paid.get(key, Decimal(0))
        delta = due - before
        if not delta:
            continue
        person, grant_type, grant_year, recipient = key
        out.append(
            StatementLine(
                rnd.id,
                recipient,
                person,
                grant_type,
                grant_year,
                due,
                before,
                delta,
                group[0].year_index if group else None,
                _period(group, before, rnd.period_end) if group else None,
                tuple(dict.fromkeys(ln.rule for ln in group)),
                " ".join(dict.fromkeys(ln.explanation for ln in group))
                or "Tidligere utbetalt beløp avregnes: grunnlaget gir ikke lenger tilskudd.",
                "; ".join(dict.fromkeys(f"{ln.rate.value} ({ln.rate.source})" for ln in group if ln.rate)),
                all(ln.verified for ln in group),
            )
        )
    negative = {r for r in {s.recipient for s in out} if sum(s.delta for s in out if s.recipient == r) < 0}
    return [StatementLine(**{**s.__dict__, "requires_notice": True}) if s.recipient in negative else s for s in out]


def run(
    rnd: Round,
    persons: Mapping[str, Mapping[str, object]],
    paid: Mapping[Key, Decimal],
    params: ParameterSet | None = None,
    schemes: Iterable[str] | None = None,
) -> RoundResult:
    """One payment round over ``persons`` (``{id: facts}``, read as known at the round's cut-off), given what
    earlier rounds paid. Every grant year from the person's first (``engine.first_year``) to the round's
    own is open (``grants.grant_year_closes_after_months``: none)."""
    ctx = engine.Context(population(persons, rnd.cutoff), params or engine.params.default(), rnd.cutoff)
    chosen = list(schemes) if schemes is not None else None
    lines: list[Line] = []
    findings: list[Finding] = []
    for pid, person in ctx.population.persons.items():
        first = engine.first_year(person)
        if first is None:
            continue
        for year in range(first, rnd.grant_year + 1):
            outcome = engine.entitlements(ctx, pid, year, chosen)
            lines.extend(outcome.lines)
            findings.extend(f for f in outcome.findings if year == rnd.grant_year or f.kind == "pending")
    mine = {k: v for k, v in paid.items() if k[0] in persons}
    return RoundResult(rnd, settle(rnd, lines, mine), findings)


def paid_after(paid: Mapping[Key, Decimal], result: RoundResult) -> dict[Key, Decimal]:
    """What has been paid per key once ``result`` is paid."""
    out = dict(paid)
    for s in result.lines:
        out[s.key] = out.get(s.key, Decimal(0)) + s.delta
    return out
