"""Date building blocks: age, month arithmetic and the deadline rounding.

Adding a month to 31 January is ambiguous unless the rule names its rounding
(see Catala's ``dates.py``). The register's rounding is fixed in
``regelmotor.md`` § 4 and lives in one named function here,
:func:`period_end`, so that a change of rounding is a change of one function.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

ONE_DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` + ``months`` calendar months, clamped to the month's last day.

    This is ``dateutil.relativedelta``: 31 January + 1 month is 28 February
    (29 February in a leap year), 29 February 2028 + 12 months is 28 February
    2029. Never rolls over into the following month.
    """
    return day + relativedelta(months=months)


def period_end(start: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` months that begins on ``start``.

    Rounding rule (regelmotor.md § 4): ``start + N months − 1 day``, with the
    month addition of :func:`add_months` (clamping to the end of a shorter
    month). Examples:

    * 2026-01-05 + 24 months → 2028-01-04
    * 2026-01-31 + 1 month → 2026-02-28 − 1 day = 2026-02-27
    * 2024-02-29 + 36 months → 2027-02-28 − 1 day = 2027-02-27

    A period of 0 months ends the day before it starts (empty); callers never
    ask for one.
    """
    return add_months(start, months) - ONE_DAY


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in completed years on ``day``: the birthday itself counts.

    A person born 1970-06-01 is 55 on 2025-06-01. A person born on 29 February
    turns a year older on 1 March in years without 29 February (the tuple
    comparison (2, 28) < (2, 29) holds on 28 February).
    """
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def birthday(birth_date: dt.date, age: int) -> dt.date:
    """The date on which a person born ``birth_date`` reaches ``age`` (29 Feb → 1 Mar)."""
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:  # 29 February in a year without it
        return dt.date(birth_date.year + age, 3, 1)


def fmt(day: dt.date | None) -> str:
    """A date as Norwegian text (dd.mm.åååå); ``–`` for none."""
    return f"{day.day:02d}.{day.month:02d}.{day.year}" if day else "–"
