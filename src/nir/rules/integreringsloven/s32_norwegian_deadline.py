"""The deadline for Norwegian training — integreringsloven § 32 (regelmotor.md § 4).

«Retten og plikten til å delta i opplæring i norsk gjelder … ikke lenger enn tre
år. For personer som minimum har utdanning på videregående nivå fra før gjelder
retten og plikten … i 18 måneder. … Godkjent permisjon skal legges til fristen.»
(IMDi, law-notes R8 [V]).

The right or duty starts on the first permit's decision date, or its arrival
date if later (regelmotor.md § 4; the start rule is unverified). Leave decisions
extend the deadline from the first workday, no threshold (004). For collective
protection (``right``) the scope and deadline are not settled; the same rules are
used and the explanation says so (unverified). The deadline never runs past the
day before the 67th birthday (il. § 26: the right and duty end at 67).
"""

from __future__ import annotations

import datetime as dt

from nir.rules.context import Context, permit_facts
from nir.rules.dates import ONE_DAY, birthday, fmt, period_end
from nir.rules.integreringsloven.common import rule_date
from nir.rules.model import Derived, Explanation, Permit
from nir.rules.workdays import add_workdays

SOURCE = "il. § 32"


def start_date(p: Permit) -> dt.date:
    """The right or duty starts at the permit's decision date, or at arrival if later (unverified)."""
    return max(p.decision_date, p.arrival_date) if p.arrival_date else p.decision_date


def deadline(ctx: Context, p: Permit, category: str, leave_workdays: int) -> tuple[Derived, dt.date, int]:
    """Rules ``s32_deadline``, ``s32_leave_extension`` and ``s26_deadline_capped_at_67``."""
    start = start_date(p)
    upper = ctx.facts.education == "upper_secondary_or_higher"
    on = rule_date(ctx, start)
    months = ctx.param(
        "norwegian.duration_months.upper_secondary" if upper else "norwegian.duration_months.default", on
    )
    base = period_end(start, months.value)
    edu = {
        "upper_secondary_or_higher": "utdanning på videregående nivå eller høyere",
        "below_upper_secondary": "ikke utdanning på videregående nivå",
    }.get(ctx.facts.education, "ukjent utdanningsnivå (regnes som uten)")
    note = (
        (
            " Omfang og frist for rett til norsk etter kap. 6A er ikke avklart; beregnet med de samme reglene "
            "(ikke verifisert)."
        )
        if category == "right"
        else ""
    )
    steps = [
        Explanation(
            "s32_deadline",
            f"{SOURCE}; regelmotor.md § 4 (startregelen er ikke verifisert)",
            f"{months.value} måneder ({edu}) fra {fmt(start)} (tillatelsens vedtaksdato, eller ankomst hvis senere): "
            f"{fmt(start)} + {months.value} måneder − 1 dag = {fmt(base)}.{note}",
            base,
            permit_facts(p) | {"education": ctx.facts.education, "start": start},
            [months],
            verified=False,
        )
    ]
    end = base
    if leave_workdays:
        end = add_workdays(base, leave_workdays)
        steps.append(
            Explanation(
                "s32_leave_extension",
                f"{SOURCE}; 004 (permisjoner forlenger fra første virkedag)",
                f"{leave_workdays} virkedager permisjon legges til fristen: {fmt(base)} → {fmt(end)}.",
                end,
                {"deadline_before": base, "leave_workdays": leave_workdays},
            )
        )
    end_age = ctx.param("norwegian.age.end", on)
    last = birthday(ctx.facts.birth_date, end_age.value) - ONE_DAY
    if end > last:
        steps.append(
            Explanation(
                "s26_deadline_capped_at_67",
                "il. § 26",
                f"Retten og plikten opphører ved fylte {end_age.value} år: fristen settes til {fmt(last)}.",
                last,
                {"birth_date": ctx.facts.birth_date},
                [end_age],
            )
        )
        end = last
    return Derived(end, steps), start, months.value
