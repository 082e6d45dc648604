"""Month arithmetic and ages (regelmotor.md § 4: start + N months − 1 day, relativedelta)."""

from __future__ import annotations

import datetime as dt

import pytest

from nir.rules.dates import add_months, age_on, birthday, fmt, period_end

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
