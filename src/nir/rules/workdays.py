"""Workday arithmetic: Monday–Friday except Norwegian public holidays.

"Tillegg i programtid for gyldig fravær, fri og permisjoner skal gjelde for
virkedager (mandag til og med fredag) med unntak av helligdager" (004). The
public holidays come from the ``holidays`` package (country ``NO``) without
its optional ``include_sundays`` (every Sunday is a *helligdag* in Norwegian
law, but Sundays are never workdays anyway); the holiday array keeps only the
holidays that fall on Monday–Friday, so a Sunday can never be counted twice or
turn into a "holiday workday".

Periods are intervals (inclusive ``from``/``to`` dates). A set of periods is
first merged into a union of disjoint intervals — a day covered by two
registrations counts once — and each interval is then counted from a
cumulative table of workdays (built once per process with numpy's workday
calendar): two look-ups per interval, no loops over single days. The vectorised
engine (``nir.rules.vector``) uses the same calendar through ``numpy.busday_count``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

FIRST_YEAR = 1990
LAST_YEAR = 2100
WEEKMASK = "1111100"  # Monday–Friday

Interval = tuple[dt.date, dt.date]


@lru_cache(maxsize=1)
def holiday_dates() -> tuple[dt.date, ...]:
    """Norwegian public holidays falling on Monday–Friday, FIRST_YEAR–LAST_YEAR."""
    import holidays  # imported lazily: building the calendar is a one-off cost

    days = holidays.country_holidays("NO", years=range(FIRST_YEAR, LAST_YEAR + 1), include_sundays=False)
    return tuple(sorted(d for d in days if d.weekday() < 5))


@lru_cache(maxsize=1)
def calendar() -> np.busdaycalendar:
    """The workday calendar, built once per process."""
    return np.busdaycalendar(weekmask=WEEKMASK, holidays=np.array(holiday_dates(), dtype="datetime64[D]"))


_BASE = dt.date(FIRST_YEAR, 1, 1).toordinal()
_EPOCH = dt.date(1970, 1, 1).toordinal()


@lru_cache(maxsize=1)
def _cumulative() -> list[int]:
    """``[i]``: workdays before day ``_BASE + i`` (so an interval counts ``[b + 1] - [a]``).

    A plain list: indexing it is far cheaper than building numpy arrays for a person's few periods."""
    first = np.datetime64(dt.date(FIRST_YEAR, 1, 1), "D")
    days = np.arange(first, np.datetime64(dt.date(LAST_YEAR, 12, 31), "D") + np.timedelta64(1, "D"))
    flags = np.is_busday(days, busdaycal=calendar())
    table: list[int] = np.concatenate(([0], np.cumsum(flags, dtype=np.int64))).tolist()
    return table


def _check_range(day: dt.date) -> None:
    if not (FIRST_YEAR <= day.year <= LAST_YEAR):
        raise ValueError(f"{day.isoformat()} is outside the workday calendar ({FIRST_YEAR}–{LAST_YEAR})")


def is_workday(day: dt.date) -> bool:
    _check_range(day)
    return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=calendar()))


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of inclusive date intervals as sorted, disjoint, non-adjacent intervals.

    Intervals whose end is before their start are empty and dropped.
    """
    items = sorted((a, b) for a, b in intervals if a <= b)
    out: list[Interval] = []
    for a, b in items:
        if out and a <= out[-1][1] + dt.timedelta(days=1):
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def count_workdays(intervals: Iterable[Interval]) -> int:
    """Workdays covered by the union of the inclusive intervals (a day counts once)."""
    merged = merge(intervals)
    if not merged:
        return 0
    for a, b in (merged[0], merged[-1]):
        _check_range(a)
        _check_range(b)
    cum = _cumulative()
    return sum(cum[b.toordinal() - _BASE + 1] - cum[a.toordinal() - _BASE] for a, b in merged)


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The date reached by counting ``n`` workdays after ``day`` (``day`` itself not counted).

    ``n = 0`` gives ``day`` unchanged. When ``day`` is not a workday the count
    starts at the next workday: Saturday + 1 workday is the following Monday
    (``busday_offset`` with ``roll="backward"`` first moves to the previous
    workday, from which the next one is +1).
    """
    if n < 0:
        raise ValueError("n must be non-negative")
    if n == 0:
        return day
    _check_range(day)
    result = np.busday_offset(np.datetime64(day, "D"), n, roll="backward", busdaycal=calendar())
    out: dt.date = result.astype(object)
    _check_range(out)
    return out


# --- array forms (int64 day numbers, nir.rules.dates) ------------------------------------------

_M8 = "datetime64[D]"


def add_workdays_days(day: np.ndarray, n: np.ndarray) -> np.ndarray:
    """:func:`add_workdays` on day numbers (n ≥ 0; n = 0 leaves the day unchanged)."""
    out = np.array(day, np.int64, copy=True)
    m = n > 0
    if m.any():
        out[m] = np.busday_offset(out[m].view(_M8), n[m], roll="backward", busdaycal=calendar()).view(np.int64)
    return out


def union_workdays_days(person: np.ndarray, start: np.ndarray, end: np.ndarray, n: int) -> np.ndarray:
    """:func:`count_workdays` on exploded intervals: the workdays in the union of each person's intervals
    (``person`` in ``0..n-1``; a day counts once however many intervals cover it)."""
    out = np.zeros(n, np.int64)
    if len(person) == 0:
        return out
    base = start.min()
    span = int(max(end.max(), start.max()) - base) + 3
    off = person * span - base  # one key per (person, day): a stable argsort is far faster than a lexsort
    order = np.argsort(start + off, kind="stable")
    p, s, e, off = person[order], start[order], end[order], off[order]
    cm = np.maximum.accumulate(e + off)
    new = np.ones(len(p), bool)
    new[1:] = (s[1:] + off[1:] > cm[:-1] + 1) | (p[1:] != p[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(p)) - 1
    counts = _count_days(s[first], cm[last] - off[first] + 1)
    return np.bincount(p[first], weights=counts, minlength=n).astype(np.int64)


def _count_days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Workdays in ``[a, b)`` (day numbers): two look-ups in the cumulative table when every day is in the
    calendar, else ``numpy.busday_count`` (weekends only outside the holidays' years)."""
    cum = _cumulative_days()
    i, j = a - (_BASE - _EPOCH), b - (_BASE - _EPOCH)
    if len(i) == 0 or (i.min() >= 0 and j.max() < len(cum)):
        counted: np.ndarray = cum[j] - cum[i]
        return counted
    return np.busday_count(a.view(_M8), b.view(_M8), busdaycal=calendar())


@lru_cache(maxsize=1)
def _cumulative_days() -> np.ndarray:
    return np.array(_cumulative(), np.int64)
