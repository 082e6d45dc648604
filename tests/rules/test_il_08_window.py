"""il. § 8 første ledd tredje punktum: «Personen må ha bodd i en kommune med en oppholdstillatelse som nevnt i
§ 9 i mindre enn to år når vedtak etter § 12 treffes» — the two-year window, per person and on columns."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
from rules_support import BASE_FACTS
from test_rule_functions import ctx, part, permit

from nir.rules.columns import ColumnContext
from nir.rules.dates import NAT, day
from nir.rules.integreringsloven import il_08_target_group as il_08
from nir.rules.model import parse_facts

D = dt.date.fromisoformat
SETTLED = [{"municipality": "5001", "date": "2023-04-01", "by_agreement": True}]


def decision(date: str):
    return parse_facts(copy.deepcopy(BASE_FACTS) | {"decisions": [part(date)]}).decisions[0]


def test_window_counts_time_with_collective_protection():
    """il. § 8 første ledd tredje punktum with il. § 9 første ledd bokstav e: utl_34 is a permit «som nevnt i § 9»,
    so the clock runs from living in a municipality with it and does not restart at the later utl_28 permit
    (docs/rules.md, Open questions)."""
    c = ctx(permits=[permit("utl_34", "2023-03-01"), permit("utl_28", "2025-01-10")], settlements=SETTLED)
    new = c.permits[1]
    assert il_08.window_start(c, new) == D("2023-04-01")
    assert il_08.participation_after_two_years(c, new, decision("2025-03-31")) is None
    e = il_08.participation_after_two_years(c, new, decision("2025-04-01"))
    assert e is not None and e.rule == "participation_after_two_years"
    # the reading is not settled by the sources: the error says so, and names the permit the clock runs from
    assert not e.verified and e.facts["first_s9_permit"] == c.permits[0].path
    assert "botid med kollektiv beskyttelse teller med" in e.source


def test_window_from_the_only_permit_is_verified():
    """il. § 8 første ledd tredje punktum: one § 9 permit — the reading is the text's, verified."""
    c = ctx(permits=[permit("utl_28", "2023-12-01")], settlements=[SETTLED[0] | {"date": "2024-01-15"}])
    e = il_08.participation_after_two_years(c, c.permits[0], decision("2026-01-15"))
    assert e is not None and e.verified and e.source == "il. § 8 første ledd tredje punktum; il. § 8 tredje ledd"


def test_window_columns():
    """il. § 8 første ledd tredje punktum on columns: the later of living there and the first § 9 permit; a
    decision on the day two years after is late, the day before is not; no window without either date."""
    first = np.array([day(D("2023-03-01")), day(D("2023-03-01")), NAT])
    lives = np.array([day(D("2023-04-01")), NAT, day(D("2023-04-01"))])
    window = il_08.window_start_days(first, lives)
    assert window.tolist() == [day(D("2023-04-01")), NAT, NAT]
    c = ctx()
    cc = ColumnContext.build(np.zeros(3, np.int64), D("2025-06-01"), c.params, np.zeros(3, bool))
    person = np.array([0, 0, 1])
    dates = np.array([day(D("2025-03-31")), day(D("2025-04-01")), day(D("2030-01-01"))])
    late = il_08.late_participation_columns(cc, person, dates, np.ones(3, bool), window)
    assert late.tolist() == [False, True, False]
