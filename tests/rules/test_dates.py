"""Month arithmetic and ages (regelmotor.md § 4: start + N months − 1 day, relativedelta)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from nir.rules.dates import (
    add_months,
    add_months_days,
    age_on,
    age_on_days,
    birthday,
    birthday_days,
    fmt,
    period_end,
)

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    "start,months,end",
    [
        ("2026-01-05", 24, "2028-01-04"),  # shared case absence_10_workdays
        ("2026-02-02", 12, "2027-02-01"),  # shared case deadline_work_vgo_12_months
        ("2025-10-01", 36, "2028-09-30"),  # Norwegian, shared cases
        ("2025-12-01", 18, "2027-05-31"),
        ("2026-01-31", 1, "2026-02-27"),  # 31 Jan + 1 month = 28 Feb, − 1 day
        ("2028-01-31", 1, "2028-02-28"),  # leap year: 29 Feb − 1 day
        ("2025-08-31", 6, "2026-02-27"),
        ("2024-02-29", 12, "2025-02-27"),
        ("2024-02-29", 48, "2028-02-28"),
    ],
)
def test_period_end(start, months, end):
    """regelmotor.md § 4: the named rounding rule."""
    assert period_end(D(start), months) == D(end)


def test_add_months_clamps_to_month_end():
    assert add_months(D("2026-01-31"), 1) == D("2026-02-28")
    assert add_months(D("2028-01-31"), 1) == D("2028-02-29")
    assert add_months(D("2026-03-31"), -1) == D("2026-02-28")


@pytest.mark.parametrize(
    "birth,day,age",
    [
        ("2007-10-01", "2025-10-01", 18),  # birthday on the day counts
        ("2007-10-02", "2025-10-01", 17),
        ("1970-10-01", "2025-10-01", 55),
        ("1969-10-01", "2025-10-01", 56),
        ("2008-02-29", "2026-02-28", 17),  # 29 Feb birthday: a year older on 1 March
        ("2008-02-29", "2026-03-01", 18),
        ("2008-02-29", "2028-02-29", 20),
    ],
)
def test_age_on(birth, day, age):
    """il. § 8 / § 26: «Alderen da oppholdstillatelsen ble innvilget er avgjørende»."""
    assert age_on(D(birth), D(day)) == age


def test_birthday():
    assert birthday(D("1959-10-01"), 67) == D("2026-10-01")
    assert birthday(D("2008-02-29"), 18) == D("2026-03-01")


def test_fmt():
    assert fmt(D("2026-01-05")) == "05.01.2026"
    assert fmt(None) == "–"


def test_array_forms_match_scalar_forms():
    """Each date building block's array form (day numbers) gives its scalar form's result (regelmotor.md § 4)."""
    epoch = dt.date(1970, 1, 1).toordinal()
    rng = np.random.default_rng(3)
    lo, hi = dt.date(1780, 1, 1).toordinal() - epoch, dt.date(2320, 12, 31).toordinal() - epoch
    days = rng.integers(lo, hi, 20_000)
    other = rng.integers(lo, hi, 20_000)
    months = rng.integers(-40, 140, 20_000)
    ages = rng.integers(0, 100, 20_000)
    for k in range(2):  # inside and outside the lookup tables' years
        if k:
            days = np.r_[
                days[:100], np.arange(dt.date(2024, 1, 25).toordinal(), dt.date(2024, 3, 5).toordinal()) - epoch
            ]
            other, months, ages = other[: len(days)], months[: len(days)], ages[: len(days)]
        ds = [dt.date.fromordinal(int(x) + epoch) for x in days]
        os_ = [dt.date.fromordinal(int(x) + epoch) for x in other]
        assert add_months_days(days, months).tolist() == [
            add_months(d, int(m)).toordinal() - epoch for d, m in zip(ds, months.tolist())
        ]
        assert age_on_days(days, other).tolist() == [age_on(b, o) for b, o in zip(ds, os_)]
        assert birthday_days(days, ages).tolist() == [
            birthday(b, int(a)).toordinal() - epoch for b, a in zip(ds, ages.tolist())
        ]


def test_union_workdays_array_form_matches_count_workdays():
    """Workdays in a union of intervals (if. §§ 10, 19; 004): the array form equals the scalar form."""
    from nir.rules.workdays import count_workdays, union_workdays_days

    rng = np.random.default_rng(5)
    epoch = dt.date(1970, 1, 1).toordinal()
    start0 = dt.date(2024, 12, 1).toordinal() - epoch
    person = np.sort(rng.integers(0, 300, 2_000))
    start = start0 + rng.integers(0, 500, len(person))
    end = start + rng.integers(0, 30, len(person))
    got = union_workdays_days(person, start, end, 300)
    for p in range(300):
        m = person == p
        iv = [
            (dt.date.fromordinal(int(a) + epoch), dt.date.fromordinal(int(b) + epoch)) for a, b in zip(start[m], end[m])
        ]
        assert got[p] == count_workdays(iv), p


def test_add_workdays_array_form_matches_scalar_form():
    """Adding workdays (004: the extension counts workdays): array form == scalar form."""
    from nir.rules.workdays import add_workdays, add_workdays_days

    rng = np.random.default_rng(8)
    epoch = dt.date(1970, 1, 1).toordinal()
    days = dt.date(2020, 1, 1).toordinal() - epoch + rng.integers(0, 3000, 3_000)
    n = rng.integers(0, 90, len(days))
    got = add_workdays_days(days, n)
    for d, k, g in zip(days.tolist(), n.tolist(), got.tolist()):
        assert g == add_workdays(dt.date.fromordinal(d + epoch), k).toordinal() - epoch
