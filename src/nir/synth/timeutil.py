"""Vectorised date and time arithmetic for the generator.

Dates are ``int64`` day numbers (days since 1970-01-01); registration times
are ``int64`` microseconds since the epoch, UTC. Helpers follow the rules of
the register: month arithmetic as ``dateutil.relativedelta`` (31 January +
1 month is the last day of February) and Norwegian local time
(Europe/Oslo, CET/CEST with the EU summer-time rule).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
US_PER_DAY = 86_400_000_000
US_PER_SECOND = 1_000_000
NULL_DAY = -(1 << 40)  # marks a missing date in day arrays (far from any real day; arithmetic cannot wrap)


def day(d: dt.date) -> int:
    """The day number of a date."""
    return (d - EPOCH).days


def to_date(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1–12) and day of month of day numbers."""
    d64 = np.asarray(days, dtype="int64").astype("datetime64[D]")
    months = d64.astype("datetime64[M]")
    year = months.astype("int64") // 12 + 1970
    month = months.astype("int64") % 12 + 1
    dom = (d64 - months.astype("datetime64[D]")).astype("int64") + 1
    return year, month, dom


def from_ymd(year: np.ndarray, month: np.ndarray, dom: np.ndarray) -> np.ndarray:
    """Day numbers from year, month and day of month (the day must exist)."""
    months = (np.asarray(year, dtype="int64") - 1970) * 12 + (np.asarray(month, dtype="int64") - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    return first + np.asarray(dom, dtype="int64") - 1


def days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    months = (np.asarray(year, dtype="int64") - 1970) * 12 + (np.asarray(month, dtype="int64") - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    nxt = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    return nxt - first


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """``days + relativedelta(months=months)``, clamping to the month's last day."""
    y, m, d = ymd(days)
    total = (y - 1970) * 12 + (m - 1) + np.asarray(months, dtype="int64")
    ny, nm = total // 12 + 1970, total % 12 + 1
    return from_ymd(ny, nm, np.minimum(d, days_in_month(ny, nm)))


def add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    return add_months(days, np.asarray(years, dtype="int64") * 12)


def age_on(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Age in whole years on a day (birthday counted on the day itself)."""
    by, bm, bd = ymd(birth)
    oy, om, od = ymd(on)
    before = (om < bm) | ((om == bm) & (od < bd))
    return oy - by - before.astype("int64")


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype="int64") + 3) % 7


def _last_sunday(year: np.ndarray, month: int) -> np.ndarray:
    last = from_ymd(year, np.full_like(year, month), days_in_month(year, np.full_like(year, month)))
    return last - (weekday(last) + 1) % 7


def oslo_offset_seconds(days: np.ndarray) -> np.ndarray:
    """UTC offset of Europe/Oslo on a local calendar day (daytime): 7200 in summer time, else 3600."""
    y, _m, _d = ymd(days)
    summer = (days >= _last_sunday(y, 3)) & (days < _last_sunday(y, 10))
    return np.where(summer, 7200, 3600)


def local_to_utc_us(days: np.ndarray, seconds_of_day: np.ndarray) -> np.ndarray:
    """UTC microseconds for a local Oslo date and daytime (seconds after local midnight)."""
    days = np.asarray(days, dtype="int64")
    secs = days * 86_400 + np.asarray(seconds_of_day, dtype="int64") - oslo_offset_seconds(days)
    return secs * US_PER_SECOND


def utc_us_to_local_day(us: np.ndarray) -> np.ndarray:
    """The Oslo calendar day of a UTC time (exact for the daytime hours the generator uses)."""
    us = np.asarray(us, dtype="int64")
    approx = (us // US_PER_SECOND + 3600) // 86_400
    return (us // US_PER_SECOND + oslo_offset_seconds(approx)) // 86_400


def datetime_to_us(when: dt.datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("timezone-aware datetime required")
    delta = when.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return delta.days * US_PER_DAY + delta.seconds * US_PER_SECOND + delta.microseconds


def us_to_datetime(us: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(us))
