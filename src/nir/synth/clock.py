"""The generator's registration clock: Norwegian local time and UTC microseconds, on arrays.

Registration times are ``int64`` microseconds since the epoch, UTC; the days
they fall on are ``int64`` day numbers in Europe/Oslo (CET/CEST with the EU
summer-time rule). This is bookkeeping, not law: the date arithmetic of the
rules (months, ages, birthdays) is :mod:`nir.rules.dates`', which this module
also uses for its calendar.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from nir.rules.dates import days_in_month_days, from_ymd_days, ymd_days

US_PER_DAY = 86_400_000_000
US_PER_SECOND = 1_000_000
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype="int64") + 3) % 7


def _last_sunday(year: np.ndarray, month: int) -> np.ndarray:
    m = np.full_like(year, month)
    last = from_ymd_days(year, m, days_in_month_days(year, m))
    return last - (weekday(last) + 1) % 7


def oslo_offset_seconds(days: np.ndarray) -> np.ndarray:
    """UTC offset of Europe/Oslo on a local calendar day (daytime): 7200 in summer time, else 3600."""
    y, _m, _d = ymd_days(days)
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
    """Microseconds since the epoch of an aware datetime."""
    if when.tzinfo is None:
        raise ValueError("timezone-aware datetime required")
    delta = when.astimezone(dt.UTC) - _EPOCH_UTC
    return delta.days * US_PER_DAY + delta.seconds * US_PER_SECOND + delta.microseconds
