"""Workday arithmetic: Monday–Friday minus Norwegian public holidays
(004: «virkedager (mandag til og med fredag) med unntak av helligdager»; if. §§ 10, 19)."""

from __future__ import annotations

import datetime as dt

import pytest

from nir.rules.workdays import add_workdays, count_workdays, holiday_dates, is_workday, merge

D = dt.date.fromisoformat


def n(a: str, b: str) -> int:
    return count_workdays([(D(a), D(b))])


def test_holiday_array_has_only_weekday_public_holidays():
    """holidays.NO may list Sundays (Easter Sunday, Whit Sunday, 17 May on a Sunday): only Mon–Fri are kept."""
    days = holiday_dates()
    assert all(d.weekday() < 5 for d in days)
    assert D("2026-05-17") not in days  # a Sunday in 2026
    assert D("2026-04-05") not in days  # Easter Sunday


@pytest.mark.parametrize(
    "day",
    [
        "2026-01-01",  # 1. nyttårsdag
        "2026-04-02",  # Skjærtorsdag
        "2026-04-03",  # Langfredag
        "2026-04-06",  # 2. påskedag
        "2026-05-01",  # Arbeidernes dag
        "2026-05-14",  # Kristi himmelfartsdag
        "2026-05-25",  # 2. pinsedag
        "2026-12-25",  # 1. juledag
        "2027-05-17",  # Grunnlovsdag (Monday in 2027)
        "2028-12-26",  # 2. juledag (Tuesday in 2028)
    ],
)
def test_public_holidays_are_not_workdays(day):
    """Lov om helligdager og helligdagsfred § 2; lov om 1. og 17. mai (law-notes R10)."""
    assert not is_workday(D(day))


@pytest.mark.parametrize("day", ["2026-12-24", "2026-12-31", "2026-04-04", "2026-05-23", "2028-02-29"])
def test_eves_and_leap_day_are_ordinary_days(day):
    """Christmas Eve, New Year's Eve, Easter Eve and Whitsun Eve are not public holidays (law-notes R10)."""
    d = D(day)
    assert is_workday(d) == (d.weekday() < 5)


def test_easter_week_2026():
    # 30.03–10.04.2026: 10 weekdays minus Skjærtorsdag, Langfredag, 2. påskedag
    assert n("2026-03-30", "2026-04-10") == 7


def test_ascension_and_whit_monday_2026():
    assert n("2026-05-11", "2026-05-29") == 13


def test_1_and_17_may():
    assert n("2026-04-27", "2026-05-08") == 9  # 1 May 2026 is a Friday
    assert n("2027-05-10", "2027-05-21") == 9  # 17 May 2027 is a Monday
    assert n("2026-05-11", "2026-05-22") == 9  # 17 May 2026 is a Sunday: only Ascension Day is lost


def test_christmas_and_new_year():
    assert n("2028-12-22", "2029-01-02") == 5  # 22, 27, 28, 29 Dec and 2 Jan; 25, 26 Dec and 1 Jan are holidays


def test_month_end_and_leap_year():
    assert n("2028-02-28", "2028-03-03") == 5  # includes 29.02.2028
    assert n("2027-02-26", "2027-03-01") == 2  # Fri 26.02 and Mon 01.03.2027
    assert n("2026-01-31", "2026-02-01") == 0  # weekend across a month end


def test_union_counts_a_day_once():
    a = (D("2026-03-02"), D("2026-03-06"))
    b = (D("2026-03-04"), D("2026-03-13"))
    assert count_workdays([a, b]) == 10
    assert count_workdays([a, a, a]) == 5


def test_adjacent_and_disjoint_intervals():
    assert merge(
        [(D("2026-03-09"), D("2026-03-13")), (D("2026-03-02"), D("2026-03-06")), (D("2026-03-07"), D("2026-03-08"))]
    ) == [(D("2026-03-02"), D("2026-03-13"))]
    assert count_workdays([(D("2026-03-02"), D("2026-03-03")), (D("2026-03-05"), D("2026-03-05"))]) == 3


def test_empty_and_reversed_intervals():
    assert count_workdays([]) == 0
    assert count_workdays([(D("2026-03-05"), D("2026-03-04"))]) == 0


def test_add_workdays_from_a_workday():
    assert add_workdays(D("2028-01-04"), 11) == D("2028-01-19")  # shared case absence_and_leave_over_10
    assert add_workdays(D("2028-03-02"), 3) == D("2028-03-07")  # shared case norwegian_only_leave_extends


def test_add_workdays_from_a_weekend_starts_at_the_next_workday():
    assert add_workdays(D("2028-09-30"), 1) == D("2028-10-02")  # Saturday + 1 = Monday
    assert add_workdays(D("2028-10-01"), 1) == D("2028-10-02")  # Sunday + 1 = Monday


def test_add_workdays_over_easter_and_christmas():
    assert add_workdays(D("2026-04-01"), 1) == D("2026-04-07")  # Wed before Easter + 1 = Tuesday after 2. påskedag
    assert add_workdays(D("2028-12-22"), 1) == D("2028-12-27")
    assert add_workdays(D("2028-12-29"), 1) == D("2029-01-02")
    assert add_workdays(D("2028-02-28"), 1) == D("2028-02-29")


def test_add_zero_workdays_is_identity():
    assert add_workdays(D("2026-04-04"), 0) == D("2026-04-04")


def test_add_workdays_rejects_negative():
    with pytest.raises(ValueError):
        add_workdays(D("2026-04-04"), -1)


def test_outside_calendar_range_is_an_error():
    with pytest.raises(ValueError):
        count_workdays([(D("1980-01-01"), D("1980-02-01"))])


def test_cumulative_table_agrees_with_numpy_calendar_across_the_whole_range():
    """The scalar engine counts from a cumulative table; the vectorised engine uses numpy's
    busday_count/busday_offset on the same calendar (004: workdays, helligdager excluded).
    Both must give the same day counts and the same deadlines everywhere, including at the range ends."""
    import random

    import numpy as np

    from nir.rules.workdays import FIRST_YEAR, LAST_YEAR, calendar

    rng = random.Random(20261123)
    first, last = dt.date(FIRST_YEAR, 1, 1).toordinal(), dt.date(LAST_YEAR, 12, 31).toordinal()
    cal = calendar()
    for _ in range(3000):
        a = dt.date.fromordinal(rng.randint(first, last))
        b = a + dt.timedelta(days=rng.choice([0, 1, 2, 6, 30, 400, 4000]))
        if b.toordinal() <= last:
            expected = int(
                np.busday_count(np.datetime64(a, "D"), np.datetime64(b + dt.timedelta(days=1), "D"), busdaycal=cal)
            )
            assert count_workdays([(a, b)]) == expected, (a, b)
        k = rng.choice([1, 2, 5, 10, 23, 260])
        offset = np.busday_offset(np.datetime64(a, "D"), k, roll="backward", busdaycal=cal).astype(object)
        if offset.toordinal() <= last:
            assert add_workdays(a, k) == offset, (a, k)
    assert count_workdays([(dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31))]) == int(
        np.busday_count(
            np.datetime64(dt.date(FIRST_YEAR, 1, 1), "D"),
            np.datetime64(dt.date(LAST_YEAR + 1, 1, 1), "D"),
            busdaycal=cal,
        )
    )


def test_add_workdays_beyond_the_calendar_is_refused():
    with pytest.raises(ValueError):
        add_workdays(dt.date(2100, 12, 20), 30)
