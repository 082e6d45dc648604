"""Date building blocks: age, month arithmetic and the deadline rounding — each in a pair.

Every block has a scalar form on ``datetime.date`` (one person, the explained
path) and an array form on int64 day numbers since 1970-01-01 (``*_days``,
the whole register; a missing date is :data:`NAT`). The pairs are tested
against each other (``tests/rules/test_dates.py``); no other module of the
project does month or age arithmetic of its own.

Adding a month to 31 January is ambiguous unless the rule names its rounding
(see Catala's ``dates.py``). The register's rounding is fixed in
``regelmotor.md`` § 4 and lives in one named function here,
:func:`period_end`, so that a change of rounding is a change of one function.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

import numpy as np

ONE_DAY = dt.timedelta(days=1)
I64 = np.int64
NAT = np.iinfo(I64).min  # a missing date in day arrays: datetime64[D] NaT viewed as int64
_EPOCH = dt.date(1970, 1, 1).toordinal()


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` + ``months`` calendar months, clamped to the month's last day.

    This is ``dateutil.relativedelta``: 31 January + 1 month is 28 February
    (29 February in a leap year), 29 February 2028 + 12 months is 28 February
    2029. Never rolls over into the following month. (Written out: relativedelta's generality costs
    the per-person path several microseconds a call.)
    """
    y, m = divmod(day.month - 1 + months, 12)
    if day.day <= 28:
        return day.replace(year=day.year + y, month=m + 1)
    return dt.date(day.year + y, m + 1, min(day.day, calendar.monthrange(day.year + y, m + 1)[1]))


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


# --- day numbers ---------------------------------------------------------------------------


def day(d: dt.date) -> int:
    """The day number (days since 1970-01-01) of a date."""
    return d.toordinal() - _EPOCH


def date_of(n: int) -> dt.date:
    """The date of a day number."""
    return dt.date.fromordinal(int(n) + _EPOCH)


# --- array forms -----------------------------------------------------------------------------


def _ymd_arith(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of day numbers, proleptic Gregorian (H. Hinnant's ``civil_from_days``)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp_ = (5 * doy + 2) // 153
    d = doy - (153 * mp_ + 2) // 5 + 1
    m = np.where(mp_ < 10, mp_ + 3, mp_ - 9)
    return yoe + era * 400 + (m <= 2), m, d


def _from_ymd_arith(y: np.ndarray, m: np.ndarray, d: np.ndarray | int) -> np.ndarray:
    """Day numbers of (year, month, day) (``days_from_civil``)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + d - 1
    days: np.ndarray = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return days


TABLE_FROM, TABLE_TO = 1800, 2300  # years covered by the lookup tables (the arithmetic covers the rest)


@lru_cache(maxsize=1)
def _tables() -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(first day, each day's month index and day of month, each month's first day) for TABLE_FROM–TABLE_TO;
    a month index counts months from January TABLE_FROM (one month more, so every month has a length)."""
    lo, hi = day(dt.date(TABLE_FROM, 1, 1)), day(dt.date(TABLE_TO, 1, 1))
    y, m, d = _ymd_arith(np.arange(lo, hi, dtype=I64))
    months = np.arange((TABLE_TO - TABLE_FROM) * 12 + 1, dtype=I64)
    return lo, (y - TABLE_FROM) * 12 + m - 1, d, _from_ymd_arith(TABLE_FROM + months // 12, months % 12 + 1, 1)


def month_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(month index, day of month) of day numbers — all that month arithmetic and age read; a column read
    several times (the birth dates) is converted once."""
    days = np.asarray(days, I64)
    lo, months, dom, _ = _tables()
    if days.size and days.min() >= lo and days.max() < lo + len(months):
        i = days - lo
        return months.take(i), dom.take(i)
    y, m, d = _ymd_arith(days)
    return (y - TABLE_FROM) * 12 + m - 1, d


def _month_start(months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first day, length in days) of each month index."""
    *_, first = _tables()
    if months.size and months.min() >= 0 and months.max() < len(first) - 1:
        start = first.take(months)
        return start, first.take(months + 1) - start
    start, end = (_from_ymd_arith(TABLE_FROM + i // 12, i % 12 + 1, 1) for i in (months, months + 1))
    return start, end - start


def ymd_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of day numbers."""
    months, d = month_days(days)
    return TABLE_FROM + months // 12, months % 12 + 1, d


def from_ymd_days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Day numbers of valid (year, month, day) triples."""
    y, m, d = np.asarray(y, I64), np.asarray(m, I64), np.asarray(d, I64)
    days: np.ndarray = _month_start((y - TABLE_FROM) * 12 + m - 1)[0] + (d - 1)
    return days


def days_in_month_days(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The number of days in each (year, month)."""
    return _month_start((np.asarray(y, I64) - TABLE_FROM) * 12 + np.asarray(m, I64) - 1)[1]


def add_months_days(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """:func:`add_months` on day numbers: relativedelta, the day clipped to the month's end."""
    m, d = month_days(days)
    start, length = _month_start(m + np.asarray(months, I64))
    out: np.ndarray = start + np.minimum(d, length) - 1
    return out


def period_end_days(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """:func:`period_end` on day numbers: start + N months − 1 day."""
    end: np.ndarray = add_months_days(days, months) - 1
    return end


def age_on_days(birth: np.ndarray | tuple[np.ndarray, np.ndarray], days: np.ndarray) -> np.ndarray:
    """:func:`age_on` on day numbers: completed years (completed months // 12), the birthday counts. ``birth``
    may be given as its :func:`month_days` (computed once per batch)."""
    bm, bd = birth if isinstance(birth, tuple) else month_days(birth)
    m, d = month_days(days)
    age: np.ndarray = (m - bm - (d < bd)) // 12
    return age


def birthday_days(birth: np.ndarray | tuple[np.ndarray, np.ndarray], age: np.ndarray | int) -> np.ndarray:
    """:func:`birthday` on day numbers: 29 February → 1 March in other years (the day after the 28th)."""
    bm, bd = birth if isinstance(birth, tuple) else month_days(birth)
    start, length = _month_start(bm + 12 * np.asarray(age, I64))
    out: np.ndarray = start + np.minimum(bd - 1, length)
    return out
