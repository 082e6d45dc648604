"""The EM grant (grants.md A.3, kap. 671 post 61): each rule with its grants.md section and source.

Sources: https://www.imdi.no/tilskudd/tilskudd-enslige-mindrearige/ (circular: settled by agreement, to and
including the year the person turns 20, from 2.6.2018 for limited permits pending identity [P]);
https://www.imdi.no/arkiv/arkiverte-nyheter/nyheter-2016/endringer-i-refusjonsordningen/ (EMINB to the year
they turn 16, EMINU from 17 [P]); the first year and the moving rule are [I].
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from nir.grants import engine
from nir.grants.engine import params as gp
from nir.rules.parameters import ParameterSet

KNOWN = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def rates(*items: tuple[str, int, int]) -> ParameterSet:
    return gp.with_rates(
        gp.default(), [{"grant_type": t, "grant_year": y, "value": v, "source": "FIXTURE"} for t, y, v in items]
    )


def with_value(ps: ParameterSet, name: str, value: Any) -> ParameterSet:
    p = ps.parameter(name)
    changed = dataclasses.replace(p, versions=(dataclasses.replace(p.versions[-1], value=value),))
    return ParameterSet({**{n: ps.parameter(n) for n in ps.names()}, name: changed})


def minor(birth: str = "2008-01-01", settled: str = "2022-06-01", **extra: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "birth_date": birth,
        "unaccompanied_minor": {"flag": True, "with_companion": False},
        "permits": [{"basis": "utl_28", "decision_date": "2022-03-01", "effectuation_date": "2022-03-05"}],
        "settlements": [{"municipality": "4601", "date": settled, "by_agreement": True}],
        "residences": [{"municipality": "4601", "from": settled, "source": "folkeregisteret"}],
    }
    facts.update(extra)
    return facts


def run(facts: dict[str, Any], year: int, ps: Any = None) -> engine.Outcome:
    c = engine.Context(engine.facts.population({"A": facts}, KNOWN), ps or gp.default(), KNOWN)
    return engine.entitlements(c, "A", year, ["um_grant"])


@pytest.mark.parametrize(
    ("birth", "grant_type"),
    [("2007-12-31", "EMINB"), ("2006-01-01", "EMINU"), ("2003-06-01", "EMINU"), ("2002-12-31", None)],
)
def test_a3_bands_by_birth_year_refusjonsordningen_2016(birth: str, grant_type: str | None) -> None:
    """grants.md A.3: ``birth_year + 16 >= grant_year`` → EMINB; else ``birth_year + 20 >= grant_year`` → EMINU;
    else nothing (endringer-i-refusjonsordningen [P]; um_grant.child_band_last_age, um_grant.last_age)."""
    out = run(minor(birth), 2023)
    assert [ln.grant_type for ln in out.lines] == ([grant_type] if grant_type else [])
    if grant_type is None:
        assert out.findings[0].kind == "not_eligible" and "20" in out.findings[0].reason
    else:
        (line,) = out.lines
        assert line.amount == {"EMINB": 1_118_000, "EMINU": 705_000}[grant_type]
        assert line.period == (dt.date(2023, 1, 1), dt.date(2023, 12, 31)) and len(line.earned) == 12
        assert line.rule == "um.bands" and "um.bands" in line.explanation and line.rate is not None


def test_a3_only_settled_by_agreement_imdi_circular() -> None:
    """grants.md A.3: «Unaccompanied minors settled by agreement between IMDi and the municipality» [P]."""
    facts = minor()
    facts["settlements"][0]["by_agreement"] = False
    out = run(facts, 2023)
    assert out.lines == [] and out.findings[0].kind == "not_eligible"


def test_a3_not_an_unaccompanied_minor_and_group_5_family_are_outside() -> None:
    """grants.md A.3 «Who» [P]: the flag is required; utl. § 38 fifth paragraph (families with children) is an
    integration-grant group, not an EM group."""
    assert run(minor(unaccompanied_minor={"flag": False}), 2023).findings[0].kind == "not_eligible"
    facts = minor()
    facts["permits"][0]["basis"] = "utl_38_5"
    assert run(facts, 2023).findings[0].rule == "um.target_group"


@pytest.mark.parametrize(("decided", "eligible"), [("2018-06-01", False), ("2018-06-02", True)])
def test_a3_identity_limited_permit_from_2_june_2018_em_circular(decided: str, eligible: bool) -> None:
    """grants.md A.2.1 group 5 / A.3: limited permits pending documented identity give the EM grant from
    2.6.2018 (https://www.imdi.no/tilskudd/tilskudd-enslige-mindrearige/ [P])."""
    facts = minor(settled="2018-08-01")
    facts["permits"][0].update({"decision_date": decided, "limitation": "pending_identity"})
    out = run(facts, 2019, rates(("EMINB", 2019, 1_000_000)))
    assert bool(out.lines) is eligible


@pytest.mark.parametrize(
    ("proration", "months"),
    [("from_settlement_month", 4), ("from_month_after_settlement", 3), ("full_year", 12)],
)
def test_a3_first_year_proration_is_a_parameter_inference(proration: str, months: int) -> None:
    """grants.md A.3 «The first year is open»: um_grant.first_year_proration, default from_settlement_month
    [I, unverified]. Settled 15 September 2023."""
    ps = with_value(gp.default(), "um_grant.first_year_proration", proration)
    (line,) = run(minor(settled="2023-09-15"), 2023, ps).lines
    assert len(line.earned) == months and line.amount == Decimal(1_118_000) * months / 12
    assert "um_grant.first_year_proration" in line.explanation
    assert line.recipient == "municipality:4601"


def test_a3_moving_rule_as_a2_6_inference() -> None:
    """grants.md A.3: «The same moving rule as A.2.6 applies [I]»: moved 10 May, the old municipality keeps May
    and June."""
    facts = minor()
    facts["residences"] = [
        {"municipality": "4601", "from": "2022-06-01", "to": "2023-05-09", "source": "folkeregisteret"},
        {"municipality": "5001", "from": "2023-05-10", "source": "folkeregisteret"},
    ]
    lines = run(facts, 2023).lines
    assert [(ln.recipient, ln.amount) for ln in lines] == [
        ("municipality:4601", 559_000),
        ("municipality:5001", 559_000),
    ]
    assert "um.moving" in lines[0].explanation


def test_a3_emigration_stops_after_the_month_inference() -> None:
    """grants.md A.2.6 applied to A.3 [I]: nothing after the month of emigration; nothing the year after."""
    facts = minor(emigration_date="2023-03-20")
    (line,) = run(facts, 2023).lines
    assert line.amount == 279_500
    assert run(facts, 2024, rates(("EMINB", 2024, 1))).lines == []


def test_a3_pending_without_address_or_rate_says_why() -> None:
    """grants.md A.2.7 (registered address [P]) and A.9 (EM rates 2024–2026 not found): pending, no line."""
    facts = minor()
    facts["residences"][0]["source"] = "kommunen"
    (finding,) = run(facts, 2023).findings
    assert finding.kind == "pending" and "Folkeregisteret" in finding.reason
    (finding,) = run(minor(), 2024).findings
    assert finding.kind == "pending" and "ingen sats for EMINB i 2024" in finding.reason


def test_a3_nothing_before_settlement_imdi_circular() -> None:
    """grants.md A.3: «The grant is triggered only after settlement in a municipality» [P]."""
    out = run(minor(settled="2023-02-01"), 2022, rates(("EMINB", 2022, 1)))
    assert out.lines == [] and out.findings[0].kind == "not_eligible"
