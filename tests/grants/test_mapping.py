"""The mapping grant (*tilskudd til kompetansekartlegging*), grants.md A.6 and A.8; source: IMDi,
https://www.imdi.no/tilskudd/2024/tilskudd-til--kompetansekartlegging/ (15 Jan 2024). The worked example is
KK-01 (grant-examples.json); the cases one per rule and boundary are in tests/grants/cases/mapping_grant/."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from nir.grants import engine
from nir.grants.engine import mapping, rounds
from nir.grants.engine import params as grant_params
from nir.grants.engine.facts import population
from nir.grants.engine.model import RULES

KNOWN_AT = dt.datetime(2024, 12, 12, 12, tzinfo=dt.UTC)


def facts(basis: str = "utl_28", decided: str = "2024-03-01", mapped: str = "2024-04-10", **mapping_kw) -> dict:
    m = {"legal_basis": "il_6", "date": mapped, "registered_in_tool": True, "host_municipality": "1103", **mapping_kw}
    return {"permits": [{"basis": basis, "decision_date": decided}], "competence_mappings": [m]}


def outcome(f: dict, year: int = 2024, ps=None, known_at=KNOWN_AT) -> engine.Outcome:
    ctx = engine.Context(population({"A": f}, known_at), ps or grant_params.default(), known_at)
    return engine.entitlements(ctx, "A", year, ["mapping_grant"])


def test_a_qualifying_person_gives_the_years_rate_to_the_host_municipality_due_in_december():
    """A.6 «Paid automatically in December to the host municipality»; 2024 rate 1 344 kr (A.9)."""
    (line,) = outcome(facts()).lines
    assert (line.grant_type, line.recipient, line.amount) == ("MAPPING", "municipality:1103", Decimal(1344))
    assert line.due_from == dt.date(2024, 12, 1)
    assert line.rate is not None and line.rate.verified and "kompetansekartlegging" in line.rate.source
    assert line.rule == "mapping_grant" and line.verified
    assert "vertskommunen 1103" in line.explanation and "desember" in line.explanation
    assert line.facts_used == ("competence_mappings[0]", "permits[0]")


@pytest.mark.parametrize(
    ("decided", "counts"),
    [("2024-11-30", True), ("2024-12-01", False)],
)
def test_the_permit_must_be_granted_before_1_december(decided, counts):
    """A.6 «Conditions»: permit granted before 1 December (mapping_grant.cutoff)."""
    out = outcome(facts(decided=decided, mapped="2024-11-01"))
    assert bool(out.lines) is counts
    if not counts:
        (f,) = out.findings
        assert (f.kind, f.rule) == ("not_eligible", "mapping_grant_cutoff")
        assert "01.12.2024" in f.reason


def test_a_person_done_on_or_after_1_december_counts_the_next_year_once_unverified():
    """KK-01 notes: whether E counts in 2025 is not stated [inference: yes] — a parameter, verified false."""
    f = facts(decided="2024-12-05", mapped="2024-11-28")
    ps = grant_params.with_rates(grant_params.default(), [{"grant_type": "MAPPING", "grant_year": 2025, "value": 1}])
    assert outcome(f, 2025, ps, None).lines[0].rule == "mapping_grant_cutoff"
    assert not RULES["mapping_grant_cutoff"].verified
    assert not grant_params.default().get("mapping_grant.counts_next_year_after_cutoff", dt.date(2025, 1, 1)).verified
    assert [ln.grant_year for y in (2024, 2025, 2026) for ln in outcome(f, y, ps, None).lines] == [2025]


def with_value(ps: grant_params.ParameterSet, name: str, value: object) -> grant_params.ParameterSet:
    p = ps.parameter(name)
    versions = (dataclasses.replace(p.versions[0], value=value),)
    return grant_params.ParameterSet(
        {**{n: ps.parameter(n) for n in ps.names()}, name: dataclasses.replace(p, versions=versions)}
    )


def test_without_counting_the_next_year_a_late_person_never_counts():
    off = with_value(grant_params.default(), "mapping_grant.counts_next_year_after_cutoff", False)
    f = facts(decided="2024-12-05", mapped="2024-11-28")
    assert not outcome(f, 2024, off).lines and not outcome(f, 2025, off, None).lines
    assert outcome(f, 2025, off, None).findings[0].rule == "mapping_grant_cutoff"


def test_a_person_counts_once_across_years():
    """A.6 «Conditions»: a person counts once."""
    f = facts()
    f["competence_mappings"].append({"legal_basis": "il_6", "date": "2025-02-01", "registered_in_tool": True})
    later = outcome(f, 2025, known_at=None)
    assert later.lines == [] and later.findings[0].rule == "mapping_grant_once"
    assert "2024" in later.findings[0].reason


@pytest.mark.parametrize(
    ("f", "rule"),
    [
        (facts(basis="utl_34"), "mapping_grant_collective_protection"),
        (facts(legal_basis="il_6a_simplified"), "mapping_grant_collective_protection"),
        (facts(legal_basis="il_10"), "mapping_grant_legal_basis"),
        (facts(registered_in_tool=False), "mapping_grant_registered_in_tool"),
        (facts(basis="work"), "mapping_grant_target_group"),
        (facts(basis="eea"), "mapping_grant_target_group"),
        (facts(basis="family_of_norwegian"), "mapping_grant_target_group"),
    ],
)
def test_who_does_not_count_and_why(f, rule):
    """A.6 «Who» and «Conditions»: il. § 6 in a reception centre, intro target group (il. § 9 letter from the
    code list), collective protection excluded (il. § 6 A), registered in IMDi's tool."""
    out = outcome(f)
    assert out.lines == []
    (finding,) = out.findings
    assert (finding.kind, finding.rule, finding.scheme) == ("not_eligible", rule, "mapping_grant")
    assert finding.reason.endswith(".")


def test_every_basis_with_an_il9_letter_except_collective_protection_is_in_the_target_group():
    """The permit bases come from the code list (nir.codes permit_basis), not from a list in the grant code."""
    from nir.rules.context import basis_attrs, codes, il9_letter

    for code in codes("permit_basis"):
        counts = bool(outcome(facts(basis=code)).lines)
        assert counts is (bool(il9_letter(code)) and basis_attrs(code).get("group") != "collective_protection"), code


def test_a_person_without_a_mapping_gets_nothing_and_no_finding():
    assert outcome({"permits": [{"basis": "utl_28", "decision_date": "2024-03-01"}]}) == engine.Outcome()


def test_the_host_municipality_comes_from_the_reception_stay_when_the_mapping_has_none():
    f = facts(host_municipality=None)
    f["reception_stays"] = [{"centre": "M", "host_municipality": "5001", "from": "2024-01-01"}]
    assert outcome(f).lines[0].recipient == "municipality:5001"


def test_an_unknown_host_municipality_or_rate_is_pending_never_invented():
    (f,) = outcome(facts(host_municipality=None)).findings
    assert (f.kind, f.rule) == ("pending", "mapping_grant_host_municipality")
    (f,) = outcome(facts(decided="2026-02-01", mapped="2026-03-01"), 2026, known_at=None).findings
    assert (f.kind, f.rule) == ("pending", "mapping_grant_rate") and "Ingen sats for MAPPING" in f.reason


def test_a_mapping_registered_in_the_tool_after_the_round_cutoff_waits_for_the_next_round():
    """A.8: each round reads the register as known at its cut-off."""
    f = facts()
    f["competence_mappings"][0]["registered_at"] = "2024-12-15T09:00:00+01:00"
    assert outcome(f).lines == []
    assert outcome(f, known_at=dt.datetime(2024, 12, 16, tzinfo=dt.UTC)).lines


def test_the_december_round_pays_it_and_earlier_rounds_do_not():
    """A.8: «Mapping grant: cut-off 1 December, paid in December»."""
    q3 = rounds.run(rounds.Round.parse("2024Q3", KNOWN_AT), {"A": facts()}, {}, schemes=["mapping_grant"])
    q4 = rounds.run(rounds.Round.parse("2024Q4", KNOWN_AT), {"A": facts()}, {}, schemes=["mapping_grant"])
    assert q3.lines == [] and [s.delta for s in q4.lines] == [1344]


def test_the_rules_and_parameters_are_declared_with_sources():
    assert {r.id for r in RULES.values() if r.scheme == "mapping_grant"} >= {
        mapping.R_GRANT.id,
        mapping.R_COLLECTIVE.id,
        mapping.R_TOOL.id,
        mapping.R_CUTOFF.id,
        mapping.R_ONCE.id,
    }
    ps = grant_params.default()
    for name in ("legal_bases", "cutoff", "paid_from", "counts_next_year_after_cutoff"):
        v = ps.get(f"mapping_grant.{name}", dt.date(2024, 1, 1))
        assert v.source


def test_years_before_the_first_mapping_say_nothing_and_a_year_without_parameters_is_pending():
    """A round evaluates every year from the person's first fact (rounds.run); the mapping grant's parameters
    start with the Integration Act (2021): an older year is pending, never a crash."""
    f = facts(decided="2019-05-01", mapped="2024-04-10")
    assert outcome(f, 2019, known_at=None) == engine.Outcome()
    (finding,) = outcome(facts(decided="2019-05-01", mapped="2019-06-01"), 2019, known_at=None).findings
    assert finding.kind == "pending" and "Ingen parameter" in finding.reason


def test_a_mapping_on_or_after_the_settlement_day_is_not_a_mapping_in_the_reception_centre():
    """A.6 «Who»: residents of reception centres mapped under il. § 6 (before settlement)."""
    f = facts(mapped="2024-05-01")
    f["settlements"] = [{"municipality": "4601", "date": "2024-05-01", "kind": "by_agreement"}]
    (finding,) = outcome(f).findings
    assert finding.rule == "mapping_grant_legal_basis" and "før bosetting" in finding.reason
    f["settlements"][0]["date"] = "2024-05-02"
    assert outcome(f).lines
