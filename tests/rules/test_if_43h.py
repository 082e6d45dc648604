"""if. § 43h (004 "Overgang fra kollektiv beskyttelse til ny tillatelse"): table ``INTRO`` row by row, both
interpreters, and which decisions count as made under ch. 6A."""

from __future__ import annotations

import datetime as dt

import numpy as np
from table_support import both
from test_rule_functions import ctx, part, permit

from nir.rules.dates import NAT, day
from nir.rules.integreringsforskriften import if_43h_transition as if_43h
from nir.rules.integreringsloven import decision_validity as s05_decisions

D = dt.date.fromisoformat
NORWEGIAN = {"scheme": "norwegian", "type": "norwegian_participation", "start_date": None, "end_date": None}


def test_row_s43h_intro_right():
    """if. § 43h andre ledd: «rett til å fullføre påbegynt introduksjonsprogram» — a programme decision under
    ch. 6A → right."""
    assert both(if_43h.INTRO, {"has_intro": True}) == ("right", "s43h_intro")


def test_row_s43h_intro_none():
    """if. § 43h første ledd: «får ikke nye rettigheter eller plikter» — only a Norwegian decision under ch. 6A →
    no programme."""
    assert both(if_43h.INTRO, {"has_intro": False}) == ("none", "s43h_intro")


def test_decision_after_the_change_is_not_under_ch6a():
    """if. § 43h første ledd: «vedtak … etter de midlertidige reglene i kapittel 6A» — made while the person held
    the collective protection, i.e. dated before the new permit's decision date (here 01.06.2025), even though
    before 2026-01-01."""
    c = ctx(
        permits=[permit("utl_34", "2024-05-02"), permit("utl_28", "2025-06-01")],
        decisions=[part("2025-05-31"), part("2025-06-01"), NORWEGIAN | {"decision_date": "2025-08-01"}],
    )
    decisions = s05_decisions.effective_decisions(c)
    assert if_43h.change(c, c.permits[0]) is c.permits[1]
    assert [d.decision_date for d in if_43h.ch6a_decisions(c, c.permits[0], decisions)] == [D("2025-05-31")]


def test_decision_columns_stop_at_the_change():
    """if. § 43h: the column mask (vector.py) counts the same decisions: on/after the utl_34 permit, before the
    change and before intro.s43h.decisions_before."""
    c = ctx()
    rows = np.array([day(D(x)) for x in ("2024-05-01", "2025-05-31", "2025-06-01", "2025-12-31")])
    person = np.zeros(4, np.int64)
    kinds = np.ones(4, bool)

    def run(change: str | None, intro: np.ndarray) -> tuple[bool, bool]:
        has, has_intro = if_43h.ch6a_decision_columns(
            c.params,
            D("2026-04-01"),
            1,
            person,
            rows,
            kinds & intro,
            intro,
            np.array([True]),
            np.array([day(D("2024-05-02"))]),
            np.array([day(D(change)) if change else NAT]),
        )
        return bool(has[0]), bool(has_intro[0])

    only = np.array([False, False, True, True])  # decisions on or after the change only
    assert run("2025-06-01", only) == (False, False)
    assert run(None, only) == (True, True)  # no change: every decision before 2026-01-01 counts
    assert run("2025-06-01", np.array([False, True, False, False])) == (True, True)
