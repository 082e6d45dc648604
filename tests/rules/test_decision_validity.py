"""regelmotor.md § 5 and 004 «Legg til vedtak» — the general decision rules
(``integreringsloven/decision_validity.py``). Each check is tested on both interpreters."""

from __future__ import annotations

import pytest
from two_paths import check_both

from nir.rules.dates import NAT
from nir.rules.integreringsloven import decision_validity as dv
from nir.rules.legal_basis import NIR_004, REGELMOTOR
from nir.rules.table import REGISTRY


def scope(**kw):
    base = {
        "type_known": True,
        "in_scheme": True,
        "valid_on_date": True,
        "is_loss": False,
        "is_participation": True,
        "start": 20_000,
        "end": NAT,
        "type": "participation",
        "scheme": "intro",
        "label": "Deltakelse",
        "decision_date": None,
        "valid_from": None,
        "valid_to": None,
        "start_date": None,
        "end_date": None,
    }
    return base | kw


@pytest.mark.parametrize(
    "changes,expected,source",
    [
        ({}, [], "regelmotor.md § 5: a decision that breaks no rule is in effect"),
        ({"type_known": False}, ["decision_type_unknown"], "regelmotor.md § 5; 004 code list Vedtakstype"),
        ({"in_scheme": False}, ["decision_type_not_in_scheme"], "004 Vedtakstype: types belong to schemes"),
        ({"valid_on_date": False}, ["decision_type_not_valid_on_date"], "code list window (valid_from/to)"),
        (
            {"valid_on_date": False, "is_loss": True, "is_participation": False},
            [],
            "il. § 8 fourth paragraph's decision has its own in-force rule (s08_loss_due_to_work)",
        ),
        ({"end": 19_999}, ["decision_end_before_start"], "regelmotor.md § 5: end before start"),
        ({"start": NAT}, ["participation_without_start_date"], "regelmotor.md § 4; 004: deadline from start"),
        ({"start": NAT, "is_participation": False}, [], "only participation decisions need a start date"),
        (
            {"type_known": False, "in_scheme": False, "start": NAT},
            ["decision_type_unknown", "participation_without_start_date"],
            "every rule a decision breaks is reported (not a chain)",
        ),
    ],
)
def test_checks(changes, expected, source):
    """regelmotor.md § 5 / 004 «Legg til vedtak» (each case's source in its parameters)."""
    assert sorted(check_both(dv.CHECKS, scope(**changes), first=False)) == sorted(expected), source


def test_messages_are_bokmål_with_the_facts():
    """regelmotor.md § 5: a refused decision names the rule and says why, in bokmål."""
    e = dv.CHECKS[0].error(scope(type_known=False, type="x"), "decisions[0]")
    assert e is not None and e.message == "Vedtakstypen 'x' finnes ikke i kodeverket Vedtakstype."
    assert e.subject == "decisions[0]" and e.source == "regelmotor.md § 5; 004 (Legg til vedtak)"


def test_declared_once_as_errors():
    """Legal basis as data: each error id is declared once, kind error, with regelmotor.md / 004."""
    for c in dv.CHECKS:
        decl = REGISTRY[c.id]
        assert decl.kind == "error" and decl.module == dv.__name__ and decl.title
        assert {b.instrument for b in decl.bases} <= {REGELMOTOR, NIR_004}
