"""Moving from collective protection to another permit — integreringsforskriften § 43h
(004 "Overgang fra kollektiv beskyttelse til ny tillatelse"; regelmotor.md § 3.1).

«Deltagere som har hatt oppholdstillatelse etter utlendingsloven § 34 og som har
fått vedtak om introduksjonsprogram eller opplæring i norsk etter de midlertidige
reglene i integreringsloven kapittel 6A, får ikke nye rettigheter eller plikter
etter integreringsloven ved overgang til en annen oppholdstillatelse … har rett
til å fullføre påbegynt introduksjonsprogram … eller eventuell gjenstående
norskopplæring» (if. § 43h, quoted in 004).

NIR's reading (004): for a person whose earlier ``utl_34`` permit was decided
before 2026-01-01, who has an introduction or Norwegian participation decision
dated before 2026-01-01, and whose current (latest) permit is another one: the
introduction programme is ``right`` if there is an introduction participation
decision dated before 2026-01-01, else ``none``; Norwegian is ``right``.

A decision counts only if it was made while the person held the collective
protection, i.e. dated before the decision date of the first other permit that
followed it (the change): a decision made after the change is not made «etter de
midlertidige reglene i integreringsloven kapittel 6A» (:func:`ch6a_decisions`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from nir.rules.columns import any_row, bounds
from nir.rules.context import Context, decision_facts, permit_facts
from nir.rules.dates import NAT, day, fmt
from nir.rules.integreringsloven.common import INTRO_LABELS
from nir.rules.legal_basis import IF, NIR_004, LegalBasis
from nir.rules.model import Decision, Derived, Explanation, Permit
from nir.rules.parameters import ParameterSet, Value
from nir.rules.table import ALWAYS, DecisionTable, Row, V, declare

S43H = LegalBasis(IF, "43h")
S43H_004 = LegalBasis(NIR_004, "", note="Overgang fra kollektiv beskyttelse til ny tillatelse")
SOURCE = f"{S43H.cite()}; {S43H_004.cite()}"
COLLECTIVE = "utl_34"
CUT = "intro.s43h.decisions_before"
CH6A_DECISIONS = (("intro", "participation"), ("norwegian", "norwegian_participation"))

# The introduction programme after the change, when § 43h applies.
INTRO = DecisionTable(
    "if_43h_intro",
    tuple(INTRO_LABELS),
    [
        Row(
            "s43h_intro",
            V("has_intro"),
            "right",
            (S43H, S43H_004),
            "hadde kollektiv beskyttelse fra {first_date} og vedtak om deltakelse {intro_date} (før {cut}); ved "
            "overgang til ny tillatelse ({current_basis}, {current_date}) beholdes retten til å fullføre, uten nye "
            "rettigheter eller plikter.",
            title="Kollektiv beskyttelse før 2026 med vedtak om introduksjonsprogram eller norskopplæring etter kap. "
            "6A (før intro.s43h.decisions_before og før overgangen), deretter en annen tillatelse: rett til "
            "introduksjonsprogram med vedtak om deltakelse, ellers ingen.",
        ),
        Row(
            "s43h_intro",
            ALWAYS,
            "none",
            (S43H, S43H_004),
            "hadde kollektiv beskyttelse fra {first_date} og vedtak om norskopplæring etter kap. 6A før {cut}; ved "
            "overgang til ny tillatelse ({current_basis}) gis ingen nye rettigheter eller plikter.",
        ),
    ],
    INTRO_LABELS,
)

NORWEGIAN = declare(
    "s43h_norwegian",
    "Kollektiv beskyttelse med vedtak etter kap. 6A, deretter en annen tillatelse: retten til gjenstående "
    "norskopplæring beholdes (rett til norsk).",
    S43H,
    S43H_004,
)


def _before(ctx: Context) -> Value | None:
    return ctx.find(CUT, ctx.as_of)


def _cut(ctx: Context) -> Value:
    """The § 43h date, where the rule applies (``applies`` is false without it)."""
    cut = _before(ctx)
    if cut is None:
        raise LookupError(f"{CUT}: no value on this date, so § 43h does not apply")
    return cut


def change(ctx: Context, first_34: Permit) -> Permit | None:
    """The first permit after the collective protection that is another one: the change (overgangen)."""
    return next(
        (
            p
            for p in ctx.permits
            if p is not first_34 and p.basis not in (COLLECTIVE, "eea") and p.decision_date >= first_34.decision_date
        ),
        None,
    )


def ch6a_decisions(ctx: Context, first_34: Permit, decisions: list[Decision]) -> list[Decision]:
    """Introduction or Norwegian participation decisions made under ch. 6A: dated before the § 43h date, on or
    after the collective-protection permit and before the change to another permit."""
    cut = _before(ctx)
    if cut is None or first_34.decision_date >= cut.value:
        return []
    new = change(ctx, first_34)
    until: dt.date = min(cut.value, new.decision_date) if new else cut.value
    return [
        d
        for d in decisions
        if first_34.decision_date <= d.decision_date < until and (d.scheme, d.type) in CH6A_DECISIONS
    ]


def ch6a_decision_columns(
    params: ParameterSet,
    as_of: dt.date,
    n: int,
    person: np.ndarray,
    decision_date: np.ndarray,
    ch6a_kind: np.ndarray,
    intro_kind: np.ndarray,
    first_34: np.ndarray,
    first_date: np.ndarray,
    change_date: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ch6a_decisions` on columns: per person, whether there is such a decision and whether one is on the
    introduction programme. Decision rows: ``person``, ``decision_date``, ``ch6a_kind`` (an effective intro or
    Norwegian participation decision), ``intro_kind`` (an intro one); per person: ``first_34`` (the first § 9
    permit is collective protection), its ``first_date`` and the ``change_date`` (``NAT``: no change)."""
    cut = params.find(CUT, as_of)
    if cut is None or len(person) == 0:
        return np.zeros(n, bool), np.zeros(n, bool)
    c = day(cut.value)
    f_dd = first_date[person]
    ch_dd = change_date[person]
    until = np.where(ch_dd == NAT, c, np.minimum(ch_dd, c))
    rows = ch6a_kind & first_34[person] & (f_dd < c) & (decision_date >= f_dd) & (decision_date < until)
    b = bounds(person, n)
    return any_row(b, rows), any_row(b, rows & intro_kind)


def applies(ctx: Context, first_34: Permit, current: Permit | None, decisions: list[Decision]) -> bool:
    return (
        current is not None
        and current.basis != COLLECTIVE
        and current.decision_date >= first_34.decision_date
        and bool(ch6a_decisions(ctx, first_34, decisions))
    )


def applies_columns(
    current_other: np.ndarray, current_date: np.ndarray, first_date: np.ndarray, has_ch6a: np.ndarray
) -> np.ndarray:
    """:func:`applies` on columns: the current permit is another one, not older than the collective protection,
    and there is a decision under ch. 6A (:func:`ch6a_decision_columns`)."""
    out: np.ndarray = current_other & (current_date >= first_date) & has_ch6a
    return out


def _facts(first_34: Permit, current: Permit, found: list[Decision]) -> dict[str, Any]:
    return {
        "collective_protection_permit": permit_facts(first_34),
        "current_permit": permit_facts(current),
        "decisions": [decision_facts(d) for d in found],
    }


def intro_category(ctx: Context, first_34: Permit, current: Permit, decisions: list[Decision]) -> Derived:
    """Rule ``s43h_intro`` (table :data:`INTRO`)."""
    cut = _cut(ctx)
    found = ch6a_decisions(ctx, first_34, decisions)
    intro = [d for d in found if d.scheme == "intro"]
    scope = {
        "has_intro": bool(intro),
        "first_date": first_34.decision_date,
        "intro_date": intro[0].decision_date if intro else None,
        "cut": cut.value,
        "current_basis": current.basis,
        "current_date": current.decision_date,
    }
    return INTRO.decide(scope, _facts(first_34, current, found), [cut])


def intro_category_columns(has_intro: np.ndarray) -> np.ndarray:
    """:data:`INTRO` on columns (``has_intro``: a ch. 6A decision on the programme): the outcome's index."""
    return INTRO.columns({"has_intro": has_intro}, len(has_intro))[0]


def norwegian_category(ctx: Context, first_34: Permit, current: Permit, decisions: list[Decision]) -> Derived:
    """Rule ``s43h_norwegian``: the right to Norwegian is kept."""
    cut = _cut(ctx)
    found = ch6a_decisions(ctx, first_34, decisions)
    return Derived(
        "right",
        [
            Explanation(
                NORWEGIAN.id,
                NORWEGIAN.source,
                f"Rett til norsk: hadde kollektiv beskyttelse fra {fmt(first_34.decision_date)} og vedtak etter "
                f"kap. 6A før {fmt(cut.value)}; retten til gjenstående norskopplæring beholdes ved overgang til "
                f"{current.basis}.",
                "right",
                _facts(first_34, current, found),
                [cut],
                NORWEGIAN.verified,
            )
        ],
    )
