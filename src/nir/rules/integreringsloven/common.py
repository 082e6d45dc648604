"""Shared helpers for the integreringsloven rules: labels, parameter dates, residence."""

from __future__ import annotations

import datetime as dt

from nir.rules.context import Context
from nir.rules.model import Permit, Settlement

INTRO_LABELS = {
    "right_and_duty": "Rett og plikt til introduksjonsprogram",
    "right": "Rett til introduksjonsprogram",
    "may_be_offered": "Kan tilbys introduksjonsprogram (kan-gruppe)",
    "none": "Ingen rett eller plikt til introduksjonsprogram",
}
NORWEGIAN_LABELS = {
    "right_and_duty": "Rett og plikt til opplæring i norsk og samfunnskunnskap",
    "duty": "Plikt til opplæring i norsk og samfunnskunnskap",
    "right": "Rett til norsk",
    "none": "Ingen rett eller plikt til opplæring i norsk og samfunnskunnskap",
}


def rule_date(ctx: Context, day: dt.date) -> dt.date:
    """The date on which integreringsloven's parameters are read for a fact dated ``day``.

    Never before the act came into force: a person covered by if. § 72 through
    a permit granted in 2020 and arrival in 2021 is judged by the act's
    parameters as they were on 2021-01-01.
    """
    start = ctx.find("law.integreringsloven_from", ctx.as_of)
    return max(day, start.value) if start else day


def lives_in_municipality(ctx: Context) -> dt.date | None:
    """The first date the person is registered as living in a municipality
    (settlement or residence), or None."""
    dates = [s.date for s in ctx.settlements] + [r.start for r in ctx.residences]
    return min(dates) if dates else None


def settled_by_agreement(ctx: Context) -> Settlement | None:
    return next((s for s in ctx.settlements if s.by_agreement), None)


def current_permit(ctx: Context) -> Permit | None:
    """The latest permit giving rights or duties (Nordic/EEA registrations ignored)."""
    for p in reversed(ctx.permits):
        if p.basis != "eea":
            return p
    return None
