"""il. § 8 fjerde ledd (from 2026-01-01) and 004 ("Nytt vedtak om bortfall av rett og plikt"): tables ``CHECK``
and ``CLOSURE`` row by row, both interpreters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from table_support import both
from test_rule_functions import ctx, loss_dec, part

from nir.rules.dates import NAT, day
from nir.rules.integreringsloven import decision_validity as s05_decisions
from nir.rules.integreringsloven import il_08_loss_due_to_work as loss

D = dt.date.fromisoformat


def check(in_force=True, participation_before=False, right_and_duty=True):
    return {"in_force": in_force, "participation_before": participation_before, "right_and_duty": right_and_duty}


@pytest.mark.parametrize(
    "kw,expected",
    [
        # il. § 8 fjerde ledd is in force from 2026-01-01 (intro.work.min_hours_per_week)
        ({"in_force": False, "participation_before": True}, ("not_in_force", "loss_due_to_work_not_in_force")),
        # 004: «Kan kun registreres dersom det IKKE foreligger et vedtak om deltakelse fra før»
        (
            {"participation_before": True, "right_and_duty": False},
            ("after_participation", "loss_due_to_work_after_participation"),
        ),
        # il. § 8 fjerde ledd: «Første ledd gjelder ikke …» — only rett og plikt (første ledd) can be lost
        ({"right_and_duty": False}, ("not_in_target_group", "loss_due_to_work_not_in_target_group")),
        # il. § 8 fjerde ledd; 004: otherwise the decision is valid
        ({}, ("valid", "loss_due_to_work_valid")),
    ],
)
def test_check_rows(kw, expected):
    """Each row of CHECK, first match wins in the order the errors are tried; source in the parameter's comment."""
    assert both(loss.CHECK, check(**kw)) == expected


@pytest.mark.parametrize(
    "kw,expected",
    [
        # 004: without a valid loss decision nothing is closed
        ({"has_valid_loss": False, "participation_after": True}, ("open", "loss_due_to_work_closes")),
        # il. § 8 fjerde ledd andre punktum: the job ended within the window, a later participation decision
        ({"has_valid_loss": True, "participation_after": True}, ("returned", "loss_due_to_work_right_returned")),
        # il. § 8 fjerde ledd; 004: «ordningen introduksjonsprogram avsluttes»
        ({"has_valid_loss": True, "participation_after": False}, ("closed", "loss_due_to_work_closes")),
    ],
)
def test_closure_rows(kw, expected):
    """Each row of CLOSURE; source in the parameter's comment."""
    assert both(loss.CLOSURE, kw) == expected


def test_check_columns_read_the_parameter_and_the_first_participation():
    """il. § 8 fjerde ledd from 2026-01-01; 004: a participation decision the same day counts as existing."""
    c = ctx()
    dates = np.array([day(D(x)) for x in ("2025-12-31", "2026-01-05", "2026-01-05", "2026-01-05")])
    first_part = np.array([NAT, day(D("2026-01-05")), NAT, NAT])
    rd = np.array([True, True, False, True])
    out = loss.check_columns(c.params, dates, first_part, rd)
    assert [loss.CHECK.outputs[i] for i in out] == [
        "not_in_force",
        "after_participation",
        "not_in_target_group",
        "valid",
    ]


def test_per_person_check_gives_the_row_as_error():
    """004: the error carries the row's id, text and source (il. § 8 fjerde ledd; 004 …)."""
    c = ctx(decisions=[part("2026-01-05"), loss_dec("2026-01-05")])
    decisions = s05_decisions.effective_decisions(c)
    e = loss.check(c, decisions[1], [decisions[0]], "right_and_duty")
    assert e is not None and e.rule == "loss_due_to_work_after_participation"
    assert e.source == loss.SOURCE and "05.01.2026" in e.message and e.facts["participation"] == decisions[0].path
