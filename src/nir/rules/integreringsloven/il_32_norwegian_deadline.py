"""The deadline for Norwegian training — integreringsloven § 32, ch. 6A § 37 d (regelmotor.md § 4).

«Retten og plikten til å delta i opplæring i norsk gjelder … ikke lenger enn tre
år. For personer som minimum har utdanning på videregående nivå fra før gjelder
retten og plikten … i 18 måneder. … Godkjent permisjon skal legges til fristen.»
(IMDi, law-notes R8 [V]). Collective protection under ch. 6A: «rett til gratis
opplæring i norsk i ett år» (il. § 37 d; law-notes R9 [V]; 004: «Mindre omfang av
opplæring i norsk» stays after 1.1.2026).

The period runs from the day the right or duty arose (il. § 26 second paragraph,
``il_26_28_norwegian.START``); Prop. 73 L (2022–2023) moves it to the date the
participant was offered a start, with a commencement not found (law-notes R8), so
the start of the period stays unverified. Table :data:`MONTHS` chooses the length;
:func:`deadline_dates` is the arithmetic: start + months − 1 day, leave decisions
extend it from the first workday with no threshold (004), and it never runs past
the day before the 67th birthday (il. § 26: the right and duty end at 67).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from nir.rules.columns import ColumnContext
from nir.rules.context import Context
from nir.rules.dates import I64, ONE_DAY, birthday, birthday_days, day, fmt, period_end, period_end_days
from nir.rules.integreringsloven.common import rule_date
from nir.rules.integreringsloven.il_26_28_norwegian import S26_END, S37D
from nir.rules.legal_basis import IL, NIR_004, LegalBasis
from nir.rules.model import Derived, Explanation
from nir.rules.table import ALWAYS, DecisionTable, Row, V, declare
from nir.rules.workdays import FIRST_YEAR, LAST_YEAR, add_workdays, add_workdays_days

S32 = LegalBasis(IL, "32")
NO_DEADLINE = declare("norwegian_deadline_none", "Ingen frist: ingen rett eller plikt til opplæring i norsk.", S32)
S32_FROM = LegalBasis(
    IL, "32", verified=False, note="fristen regnes fra da retten eller plikten inntrådte; Prop. 73 L: fra tilbud om "
    "oppstart, ikrafttredelse ikke funnet"
)  # fmt: skip
LEAVE_004 = LegalBasis(NIR_004, "permisjoner forlenger fra første virkedag")

UPPER_SECONDARY = "upper_secondary_or_higher"
EDUCATION_TEXT = {
    UPPER_SECONDARY: "utdanning på videregående nivå eller høyere",
    "below_upper_secondary": "ikke utdanning på videregående nivå",
}

MONTHS = DecisionTable(
    "il_32_norwegian_months",
    (),
    [
        Row(
            "s37d_deadline_one_year",
            V("ch6a"),
            V("base"),
            (S37D, S32_FROM),
            "rett til gratis opplæring i norsk i ett år etter kap. 6A: {months} måneder fra {start}: {start} + "
            "{months} måneder − 1 dag = {base}.",
            title="Rett til norsk etter kap. 6A (kollektiv beskyttelse): ett års opplæring, fra da retten inntrådte.",
        ),
        Row(
            "s32_deadline",
            V("upper"),
            V("base"),
            (S32, S32_FROM),
            "{months} måneder ({edu}) fra {start}: {start} + {months} måneder − 1 dag = {base}.",
            title="18 måneder med utdanning på videregående nivå eller høyere, ellers 36 måneder (ukjent utdanning "
            "regnes som uten), fra da retten eller plikten inntrådte, − 1 dag.",
        ),
        Row(
            "s32_deadline",
            ALWAYS,
            V("base"),
            (S32, S32_FROM),
            "{months} måneder ({edu}) fra {start}: {start} + {months} måneder − 1 dag = {base}.",
        ),
    ],
)
# the parameter each row of MONTHS reads
MONTHS_PARAMETERS = (
    "norwegian.duration_months.ch6a",
    "norwegian.duration_months.upper_secondary",
    "norwegian.duration_months.default",
)

LEAVE_EXTENSION = declare(
    "s32_leave_extension",
    "Godkjent permisjon (virkedager i permisjonsvedtak) legges til fristen, fra første virkedag, uten terskel.",
    S32,
    LEAVE_004,
)
CAPPED_AT_67 = declare("s26_deadline_capped_at_67", "Fristen går aldri forbi dagen før 67-årsdagen.", S26_END)


def deadline_dates(
    start: dt.date, months: int, leave_workdays: int, birth_date: dt.date, end_age: int
) -> tuple[dt.date, dt.date, dt.date]:
    """(base, after leave, deadline): ``start`` + ``months`` − 1 day; ``leave_workdays`` workdays after it; never
    past the day before the ``end_age`` birthday."""
    base = period_end(start, months)
    extended = add_workdays(base, leave_workdays)
    return base, extended, min(extended, birthday(birth_date, end_age) - ONE_DAY)


def deadline_dates_days(
    start: np.ndarray,
    months: np.ndarray,
    leave_workdays: np.ndarray,
    birth: tuple[np.ndarray, np.ndarray],
    end_age: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`deadline_dates` on day numbers."""
    base = period_end_days(start, months)
    extended = add_workdays_days(base, leave_workdays)
    return base, extended, np.minimum(extended, birthday_days(birth, end_age) - 1)


def deadline(
    ctx: Context, start: dt.date, category: str, leave_workdays: int, facts: dict[str, Any] | None = None
) -> tuple[Derived, int]:
    """The deadline from ``start`` (rules of :data:`MONTHS`, ``s32_leave_extension``, ``s26_deadline_capped_at_67``)
    and the months."""
    on = rule_date(ctx, start)
    scope: dict[str, Any] = {
        "ch6a": category == "right",
        "upper": ctx.facts.education == UPPER_SECONDARY,
        "edu": EDUCATION_TEXT.get(ctx.facts.education, "ukjent utdanningsnivå (regnes som uten)"),
        "start": start,
    }
    r = MONTHS.match(scope)
    months = ctx.param(MONTHS_PARAMETERS[MONTHS.rows.index(r)], on)
    end_age = ctx.param("norwegian.age.end", on)
    base, extended, end = deadline_dates(start, months.value, leave_workdays, ctx.facts.birth_date, end_age.value)
    scope |= {"months": months.value, "base": base}
    steps = [MONTHS.explain(r, scope, (facts or {}) | {"education": ctx.facts.education, "start": start}, [months])]
    if leave_workdays:
        steps.append(
            Explanation(
                LEAVE_EXTENSION.id,
                LEAVE_EXTENSION.source,
                f"{leave_workdays} virkedager permisjon legges til fristen: {fmt(base)} → {fmt(extended)}.",
                extended,
                {"deadline_before": base, "leave_workdays": leave_workdays},
                verified=LEAVE_EXTENSION.verified,
            )
        )
    if end < extended:
        steps.append(
            Explanation(
                CAPPED_AT_67.id,
                CAPPED_AT_67.source,
                f"Retten og plikten opphører ved fylte {end_age.value} år: fristen settes til {fmt(end)}.",
                end,
                {"birth_date": ctx.facts.birth_date},
                [end_age],
                verified=CAPPED_AT_67.verified,
            )
        )
    return Derived(end, steps), months.value


CAL_FIRST, CAL_LAST = day(dt.date(FIRST_YEAR, 1, 1)), day(dt.date(LAST_YEAR, 12, 31))


def deadline_columns(
    cc: ColumnContext, has: np.ndarray, start: np.ndarray, ch6a: np.ndarray, upper: np.ndarray, leave: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`deadline` on columns for the persons in ``has``: (deadline, months). A person whose dates leave the
    workday calendar falls back to the per-person interpreter (which raises the same error)."""
    on = cc.rule_date(np.where(has, start, 0))
    _, row = MONTHS.columns({"ch6a": ch6a, "upper": upper, "base": 0}, cc.n)  # the row only: base follows
    months = np.zeros(cc.n, I64)
    for i, name in enumerate(MONTHS_PARAMETERS):
        m = row == i
        months = np.where(m, cc.param(name, on, has & m), months)
    end_age = cc.param("norwegian.age.end", on, has)
    extra = np.where(has, leave, 0)
    base, extended, end = deadline_dates_days(np.where(has, start, 0), months, extra, cc.birth, end_age)
    out_of_calendar = (base < CAL_FIRST) | (base > CAL_LAST) | (extended < CAL_FIRST) | (extended > CAL_LAST)
    cc.bad |= cc.active & has & (extra > 0) & out_of_calendar
    return end, months
