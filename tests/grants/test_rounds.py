"""Payment rounds (grants.md A.1 «Payment round algorithm», A.8): due − paid, whole kroner, no double payment,
arrears in the next round, corrections as settlements with notice (fvl. § 16, 000:3089-3091)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from nir.grants.engine import rounds
from nir.grants.engine.model import Line


def monthly(amount: int, year: int, recipient: str = "municipality:5001", months: range = range(1, 13)) -> Line:
    days = tuple(dt.date(year, m, 1) for m in months)
    end = dt.date(year + (months[-1] == 12), months[-1] % 12 + 1, 1) - dt.timedelta(days=1)
    share = Decimal(amount) * len(days) / 12
    return Line("P1", "AR-2", year, recipient, share, "test", None, "", 2, (days[0], end), earned=days)


def one_off(amount: int, year: int, day: dt.date, recipient: str = "municipality:5001") -> Line:
    return Line("P1", "AR-1 EV", year, recipient, Decimal(amount), "test", None, "", 1, None, due_from=day)


def rnd(rid: str) -> rounds.Round:
    return rounds.Round.parse(rid, dt.datetime(2099, 1, 1, tzinfo=dt.UTC))


def test_round_ids_period_ends_and_default_cutoffs_from_the_parameters():
    r = rounds.Round.parse("2025Q4")
    assert (r.period_start, r.period_end) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert r.cutoff.isoformat() == "2025-12-12T12:00:00+01:00"
    assert rounds.Round.parse("2024Q1").period_end == dt.date(2024, 3, 31)
    with pytest.raises(ValueError, match="ÅÅÅÅQn"):
        rounds.Round.parse("2025-1")


def test_an_annual_rate_earned_by_month_is_paid_by_quarter_and_never_twice():
    line = monthly(120_000, 2025)
    paid: dict = {}
    deltas = []
    for q in (1, 2, 3, 4):
        lines = rounds.settle(rnd(f"2025Q{q}"), [line], paid)
        deltas.append([s.delta for s in lines])
        paid = rounds.paid_after(paid, rounds.RoundResult(rnd(f"2025Q{q}"), lines))
    assert deltas == [[30_000], [30_000], [30_000], [30_000]]
    assert rounds.settle(rnd("2025Q4"), [line], paid) == []  # paying the round again pays nothing


def test_whole_kroner_do_not_drift_over_the_rounds():
    line = monthly(100_001, 2025)
    paid: dict = {}
    for q in (1, 2, 3, 4):
        res = rounds.RoundResult(rnd(f"2025Q{q}"), rounds.settle(rnd(f"2025Q{q}"), [line], paid))
        assert all(s.delta == s.delta.to_integral_value() for s in res.lines)
        paid = rounds.paid_after(paid, res)
    assert sum(paid.values()) == 100_001


def test_a_line_known_late_is_paid_with_its_arrears_in_the_next_round():
    late = monthly(120_000, 2025)
    assert rounds.settle(rnd("2025Q1"), [], {}) == []
    (s,) = rounds.settle(rnd("2025Q2"), [late], {})
    assert (s.delta, s.period) == (60_000, (dt.date(2025, 1, 1), dt.date(2025, 6, 30)))


def test_a_one_off_line_is_due_from_its_day():
    line = one_off(241_100, 2024, dt.date(2024, 12, 16))
    assert rounds.settle(rnd("2024Q3"), [line], {}) == []
    assert [s.delta for s in rounds.settle(rnd("2024Q4"), [line], {})] == [241_100]


def test_a_correction_after_payment_settles_the_old_recipient_with_notice_and_pays_the_new():
    old = monthly(120_000, 2025, "municipality:3403")
    paid = rounds.paid_after({}, rounds.RoundResult(rnd("2025Q1"), rounds.settle(rnd("2025Q1"), [old], {})))
    new = monthly(120_000, 2025, "municipality:3405")
    lines = {s.recipient: s for s in rounds.settle(rnd("2025Q2"), [new], paid)}
    assert lines["municipality:3403"].delta == -30_000 and lines["municipality:3403"].requires_notice
    assert lines["municipality:3405"].delta == 60_000 and not lines["municipality:3405"].requires_notice
