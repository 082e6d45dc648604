"""The integration grant (grants.md A.2, kap. 671 post 60): each rule with its grants.md section and source.

Sources: https://imdi.no/tilskudd/integreringstilskudd/ (target group, exclusions: [P]); IMDi's circular
(https://www.imdi.no/tilskudd/integreringstilskudd/, «bosettingsåret og de neste fire årene»: [P]); the grant
codes (https://imdi.no/tilskudd/digitalisering-av-tilskuddsordninger: [P]); the fourth-round 2022 page
(pending until Folkeregister and effectuation: [P]); Samarbeidsdesken p02-ukraina (moving rule, ELDR, BHT:
[P2]); our inferences [I] as grants.md marks them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from nir.grants import engine
from nir.grants.engine import integration as it
from nir.grants.engine import params as gp
from nir.grants.engine import um
from nir.grants.engine.model import RULES
from nir.rules.parameters import ParameterSet

KNOWN = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
FIXTURE = "FIXTURE"


def rates(*items: tuple[str, int, int]) -> ParameterSet:
    return gp.with_rates(
        gp.default(), [{"grant_type": t, "grant_year": y, "value": v, "source": FIXTURE} for t, y, v in items]
    )


def with_value(ps: ParameterSet, name: str, value: Any) -> ParameterSet:
    """A copy with one parameter's version replaced (a test switching an open question's default)."""
    p = ps.parameter(name)
    changed = dataclasses.replace(p, versions=(dataclasses.replace(p.versions[-1], value=value),))
    return ParameterSet({**{n: ps.parameter(n) for n in ps.names()}, name: changed})


def refugee(
    basis: str = "utl_28",
    settled: str = "2024-03-15",
    birth: str = "1990-01-01",
    mun: str = "4601",
    household: str = "H1",
    **extra: Any,
) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "birth_date": birth,
        "permits": [{"basis": basis, "decision_date": "2024-01-20", "effectuation_date": "2024-02-01"}],
        "settlements": [
            {
                "municipality": mun,
                "date": settled,
                "by_agreement": True,
                "household_id": household,
                "household_role": "adult",
            }
        ],
        "residences": [{"municipality": mun, "from": settled, "to": None, "source": "folkeregisteret"}],
    }
    facts.update(extra)
    return facts


def family(application: str, reference_basis: str = "utl_28", **fr: Any) -> dict[str, Any]:
    return {
        "birth_date": "1986-02-02",
        "permits": [{"basis": "family_of_protected", "decision_date": "2024-03-05", "effectuation_date": "2024-04-10"}],
        "family_reunification": {
            "reference_person": "R",
            "reference_basis_at_grant": reference_basis,
            "reference_first_settlement_date": "2019-02-01",
            "application_date": application,
            **fr,
        },
        "settlements": [{"municipality": "4601", "date": "2024-04-10", "kind": "family_arrival", "household_id": "H8"}],
        "residences": [{"municipality": "4601", "from": "2024-04-20", "to": None, "source": "folkeregisteret"}],
    }


def ctx(
    persons: dict[str, dict[str, Any]], ps: ParameterSet | None = None, known: dt.datetime = KNOWN
) -> engine.Context:
    return engine.Context(engine.facts.population(persons, known), ps or gp.default(), known)


def run(c: engine.Context, pid: str, year: int) -> engine.Outcome:
    return engine.entitlements(c, pid, year, ["integration_grant"])


# --- A.2.1 target group ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "status", "group"),
    [
        ("utl_28", "eligible", 1),
        ("utl_38_protection", "eligible", 1),
        ("utl_34", "eligible", 1),
        ("utl_35_3", "eligible", 1),
        ("utl_38_5", "eligible", 5),
        ("utl_53", "eligible", 3),
        ("work", "not_eligible", None),
        ("family_of_worker", "not_eligible", None),
        ("family_of_norwegian", "not_eligible", None),
        ("eea", "not_eligible", None),
        ("utl_99", "not_eligible", None),
    ],
)
def test_a2_1_groups_by_permit_basis_imdi_target_group(basis: str, status: str, group: int | None) -> None:
    """grants.md A.2.1 groups 1, 3, 5 and «Not eligible» (https://imdi.no/tilskudd/integreringstilskudd/ [P];
    the list of those outside is [I])."""
    c = ctx({"P": refugee(basis)})
    tg = it.target_group(c, c.population["P"], 2024)
    assert (tg.status, tg.group) == (status, group)
    assert tg.rule in RULES and tg.reason


def test_a2_1_target_group_is_one_function_the_em_grant_shares() -> None:
    """grants.md A.2.1 last paragraph (``000:1675`` [S]): the target group is kept in one place; the EM grant
    (A.3) asks integration.target_group and does not decide it again."""
    assert um.it.target_group is it.target_group
    source = (um.__file__ and open(um.__file__, encoding="utf-8").read()) or ""
    assert "REFUGEE_BASES" not in source and "family_of_protected" not in source


@pytest.mark.parametrize(
    ("fr", "rule_id"),
    [
        ({"reference_nordic_citizen": True}, "integration.family.nordic_reference"),
        ({"reference_is_family_immigrant": True}, "integration.family.reference_family_immigrant"),
        ({"reference_basis_at_grant": "family_of_protected"}, "integration.family.reference_family_immigrant"),
        ({"reference_basis_at_grant": "work"}, "integration.target_group.family"),
    ],
)
def test_a2_1_family_exclusions_imdi(fr: dict[str, Any], rule_id: str) -> None:
    """grants.md A.2.1 group 2 exclusions (https://imdi.no/tilskudd/integreringstilskudd/ [P]): a Nordic
    reference person, a reference person who came by family immigration, a reference outside group 1."""
    c = ctx({"F": family("2023-12-01", **{**{"reference_basis_at_grant": "utl_28"}, **fr})})
    out = run(c, "F", 2024)
    assert out.lines == [] and [(f.kind, f.rule) for f in out.findings] == [("not_eligible", rule_id)]


def test_a2_1_non_renewable_family_permit_is_excluded_imdi() -> None:
    """grants.md A.2.1: a temporary, non-renewable permit with no basis for permanent residence triggers
    nothing (https://imdi.no/tilskudd/integreringstilskudd/ [P])."""
    facts = family("2023-12-01")
    facts["permits"][0]["limitation"] = "non_renewable"
    out = run(ctx({"F": facts}), "F", 2024)
    assert [f.rule for f in out.findings] == ["integration.non_renewable_permit"]


@pytest.mark.parametrize(("application", "eligible"), [("2024-02-01", True), ("2024-02-02", False)])
def test_a2_1_five_year_application_limit_day_boundary_imdi(application: str, eligible: bool) -> None:
    """grants.md A.2.1: excluded when «more than five years» passed between the reference person's first
    settlement (2019-02-01) and the application (https://imdi.no/tilskudd/integreringstilskudd/ [P];
    integration_grant.family_application_max_years_after_reference_settlement)."""
    c = ctx({"F": family(application)})
    assert it.target_group(c, c.population["F"], 2024).eligible is eligible


def test_a2_1_family_of_humanitarian_holder_gets_three_years_imdi() -> None:
    """grants.md A.2.1/A.2.2: family of a humanitarian-permit holder: three years, not five
    (https://imdi.no/tilskudd/integreringstilskudd/ [P]; which bases count as humanitarian is [I])."""
    ps = rates(("AR-3", 2026, 120_000), ("AR-4", 2027, 120_000))
    c = ctx({"F": family("2023-12-01", "utl_38_protection")}, ps)
    assert it.target_group(c, c.population["F"], 2024).max_years == 3
    assert {ln.year_index for ln in run(c, "F", 2026).lines} == {3}
    out = run(c, "F", 2027)
    assert out.lines == [] and "år 4 av 3" in out.findings[0].reason


@pytest.mark.parametrize(("born", "eligible"), [("2024-07-31", True), ("2024-08-01", False)])
def test_a2_1_child_born_up_to_six_months_after_mother_settlement_imdi(born: str, eligible: bool) -> None:
    """grants.md A.2.1 group 4: «barn født inntil 6 måneder etter at mor er bosatt»
    (https://imdi.no/tilskudd/integreringstilskudd/ [P]); mother settled 31 January, + 6 months = 31 July."""
    persons = {
        "M": refugee(settled="2024-01-31"),
        "C": {
            "birth_date": born,
            "mother": "M",
            "residences": [{"municipality": "4601", "from": born, "source": "folkeregisteret"}],
        },
    }
    c = ctx(persons, rates(("AR-1 B", 2024, 194_400), ("BHT", 2024, 27_800)))
    out = run(c, "C", 2024)
    if eligible:
        assert sorted(ln.grant_type for ln in out.lines) == ["AR-1 B", "BHT"]
        assert all(ln.period and ln.period[0] == dt.date.fromisoformat(born) for ln in out.lines)
    else:
        assert out.lines == [] and "6 måneder 1 dager" in out.findings[0].reason


def test_a2_1_group_5_only_by_agreement_and_identity_limited_from_2017_02_02_imdi() -> None:
    """grants.md A.2.1 group 5 (https://imdi.no/tilskudd/integreringstilskudd/ and
    https://www.imdi.no/tilskudd/tilskudd-enslige-mindrearige/ [P]): utl. § 38 fifth paragraph only when
    settled by agreement; an unaccompanied minor's limited permit pending identity from 2.2.2017."""
    self_settled = refugee("utl_38_5")
    self_settled["settlements"][0]["by_agreement"] = False
    c = ctx({"S": self_settled})
    assert it.target_group(c, c.population["S"], 2024).status == "not_eligible"
    minor = refugee(birth="2008-01-01", unaccompanied_minor={"flag": True})
    minor["permits"][0]["limitation"] = "pending_identity"
    c = ctx({"U": minor})
    assert (it.target_group(c, c.population["U"], 2024).group, run(c, "U", 2024).lines[0].grant_type) == (5, "AR-1 B")
    minor["permits"][0]["decision_date"] = "2017-02-01"
    c = ctx({"U": minor})
    assert it.target_group(c, c.population["U"], 2024).status == "not_eligible"


def test_a2_1_later_permit_starts_the_grant_after_a_non_renewable_one_inference() -> None:
    """grants.md A.2.1 [I]: «the grant starts from the later permit's effectuation date. Confirm with IMDi.»"""
    facts = refugee()
    facts["permits"] = [
        {
            "basis": "utl_28",
            "decision_date": "2024-01-20",
            "effectuation_date": "2024-02-01",
            "limitation": "non_renewable",
        },
        {"basis": "utl_28", "decision_date": "2025-02-10", "effectuation_date": "2025-02-20"},
    ]
    c = ctx({"P": facts}, rates(("AR-1 EV", 2025, 250_000)))
    tg = it.target_group(c, c.population["P"], 2025)
    assert tg.after_limited and it.grant_start(c, c.population["P"], tg)[0] == dt.date(2025, 2, 20)
    assert run(c, "P", 2024).lines == []


# --- A.2.2 start date and A.2.3 year 1 --------------------------------------------------------------


def test_a2_2_family_immigrant_starts_on_first_registered_address_after_the_permit_inference() -> None:
    """grants.md A.2.2 [I]: a later family immigrant's grant_start_date is the first registered address in a
    municipality after the family permit (here 2024-04-20, not the settlement fact's 2024-04-10)."""
    c = ctx({"F": family("2023-12-01")})
    tg = it.target_group(c, c.population["F"], 2024)
    assert it.grant_start(c, c.population["F"], tg) == (dt.date(2024, 4, 20), "")


def test_a2_3_household_category_is_taken_at_the_start_date_inference() -> None:
    """grants.md A.2.3 [I]: «The category is taken at grant_start_date»: a spouse settled a year later in the
    same household does not make the first adult «voksen i familie» after the fact."""
    later = refugee(settled="2025-02-01")
    c = ctx({"A": refugee(), "S": later}, rates(("AR-1 EV", 2024, 241_100), ("AR-1", 2025, 200_000)))
    assert [ln.grant_type for ln in run(c, "A", 2024).lines] == ["AR-1 EV"]
    assert [ln.grant_type for ln in run(c, "S", 2025).lines] == ["AR-1"]


def test_a2_3_unaccompanied_minor_year1_category_is_a_parameter_inference() -> None:
    """grants.md A.2.3: integration_grant.year1_category_for_unaccompanied_minor, default child [I,
    unverified]; switching it is one parameter."""
    facts = refugee(birth="2008-01-01", unaccompanied_minor={"flag": True})
    ps = rates(("AR-1 B", 2024, 1), ("AR-1 EV", 2024, 2))
    assert [ln.grant_type for ln in run(ctx({"U": facts}, ps), "U", 2024).lines] == ["AR-1 B"]
    ps = with_value(ps, "integration_grant.year1_category_for_unaccompanied_minor", "single_adult")
    out = run(ctx({"U": facts}, ps), "U", 2024)
    assert [ln.grant_type for ln in out.lines] == ["AR-1 EV"] and out.lines[
        0
    ].rule == "integration.year1.unaccompanied_minor"


@pytest.mark.parametrize(
    ("birth", "types"),
    [
        ("1964-03-15", ["AR-1 EV", "ELDR"]),
        ("1964-03-16", ["AR-1 EV"]),
        ("2018-03-16", ["AR-1 B", "BHT"]),
        ("2018-03-15", ["AR-1 B"]),
    ],
)
def test_a2_4_elderly_from_60_and_kindergarten_0_to_5_at_settlement_p2(birth: str, types: list[str]) -> None:
    """grants.md A.2.4: ELDR «fylt 60 år ved bosetting» (statsbudsjettet 2009 [P], Samarbeidsdesken [P2]); BHT
    «0–5 år» (Samarbeidsdesken [P2], boundary [I]). Settled 15 March 2024."""
    out = run(ctx({"P": refugee(birth=birth)}), "P", 2024)
    assert sorted(ln.grant_type for ln in out.lines) == types


def test_a2_3_year1_lines_carry_rule_rate_period_due_from_and_a_bokmal_explanation_naming_them() -> None:
    """grants.md A.1 EntitlementLine (rate_used, rule_ids, facts_used, explanation) and A.2.3 (the whole
    year 1 to the settlement municipality, due once known)."""
    (line,) = run(ctx({"P": refugee()}), "P", 2024).lines
    assert (line.grant_type, line.amount, line.recipient, line.year_index) == (
        "AR-1 EV",
        241_100,
        "municipality:4601",
        1,
    )
    assert line.due_from == dt.date(2024, 3, 15) and line.period == (dt.date(2024, 3, 15), dt.date(2024, 12, 31))
    assert line.earned == () and line.rate is not None and line.rate.name == "rates.AR-1 EV"
    assert line.rule in RULES and set(line.facts_used) >= {"permits[0]", "settlements[0]"}
    assert "integration.year1" in line.explanation and "241\u00a0100 kr" in line.explanation
    assert "ikke verifisert" in line.explanation


def test_a2_3_year1_split_on_move_is_off_by_default_and_one_parameter_away_inference() -> None:
    """grants.md A.2.3: integration_grant.year1_split_on_move, default false [I]."""
    facts = refugee()
    facts["residences"] = [
        {"municipality": "4601", "from": "2024-03-15", "to": "2024-05-31", "source": "folkeregisteret"},
        {"municipality": "5001", "from": "2024-06-01", "source": "folkeregisteret"},
    ]
    ps = rates(("AR-1 EV", 2024, 100_000))
    assert [(ln.recipient, ln.amount) for ln in run(ctx({"P": facts}, ps), "P", 2024).lines] == [
        ("municipality:4601", 100_000)
    ]
    ps = with_value(ps, "integration_grant.year1_split_on_move", True)
    lines = run(ctx({"P": facts}, ps), "P", 2024).lines
    assert [ln.recipient for ln in lines] == ["municipality:4601", "municipality:5001"]
    assert sum(ln.amount for ln in lines) == 100_000 and lines[0].amount == Decimal(100_000) * 5 / 10  # March–July


# --- A.2.5–A.2.6 years 2–5, moving, exit -------------------------------------------------------------


def moved(day: str) -> dict[str, Any]:
    facts = refugee(settled="2024-02-01")
    end = dt.date.fromisoformat(day) - dt.timedelta(days=1)
    facts["residences"] = [
        {"municipality": "3403", "from": "2024-02-01", "to": end.isoformat(), "source": "folkeregisteret"},
        {"municipality": "3405", "from": day, "source": "folkeregisteret"},
    ]
    return facts


@pytest.mark.parametrize(
    ("kept", "day", "old_months"),
    [(1, "2025-03-15", 4), (1, "2025-03-01", 4), (1, "2025-01-01", 2), (0, "2025-03-15", 3), (1, "2025-11-30", 12)],
)
def test_a2_6_old_municipality_keeps_the_month_of_moving_and_the_next_p2(kept: int, day: str, old_months: int) -> None:
    """grants.md A.2.6: «Fraflyttingskommunen mottar tilskuddet inneværende og påfølgende måned» (Samarbeidsdesken,
    «Kilde: Imdi» [P2]); integration_grant.months_kept_by_old_municipality (1; 0 = the month of moving only)."""
    ps = with_value(rates(("AR-2", 2025, 120_000)), "integration_grant.months_kept_by_old_municipality", kept)
    lines = run(ctx({"P": moved(day)}, ps), "P", 2025).lines
    old = [ln for ln in lines if ln.recipient == "municipality:3403"]
    assert sum(len(ln.earned) for ln in old) == old_months
    assert sum(ln.amount for ln in lines) == 120_000  # the shares sum to the annual rate
    assert all(ln.year_index == 2 and ln.rule == "integration.years_2_5" for ln in lines)
    assert all(ln.earned[0] == ln.period[0] for ln in lines if ln.period)


def test_a2_6_move_in_year_5_and_nothing_in_year_6_circular() -> None:
    """grants.md A.2.2 (settlement year and the next four, circular pkt. 1 [P]) and A.2.6 [P2]."""
    facts = moved("2028-06-03")
    ps = rates(("AR-5", 2028, 120_000), ("AR-5", 2029, 120_000))
    lines = run(ctx({"P": facts}, ps), "P", 2028).lines
    assert [(ln.recipient, ln.amount, ln.year_index) for ln in lines] == [
        ("municipality:3403", 70_000, 5),
        ("municipality:3405", 50_000, 5),
    ]
    out = run(ctx({"P": facts}, ps), "P", 2029)
    assert out.lines == [] and out.findings[0].kind == "not_eligible"


@pytest.mark.parametrize("key", ["emigration_date", "death_date"])
def test_a2_6_emigration_or_death_stops_after_that_month_inference(key: str) -> None:
    """grants.md A.2.6 [I, unverified]: no grant for months after the month of emigration or death
    (integration_grant.months_paid_after_exit_month = 0)."""
    facts = refugee(settled="2024-02-01", **{key: "2025-04-10"})
    c = ctx({"P": facts}, rates(("AR-2", 2025, 120_000), ("AR-3", 2026, 120_000)))
    (line,) = run(c, "P", 2025).lines
    assert line.amount == 40_000 and line.period == (dt.date(2025, 1, 1), dt.date(2025, 4, 30))
    assert "integration.exit" in line.explanation
    out = run(c, "P", 2026)
    assert out.lines == [] and out.findings[0].rule == "integration.exit"


# --- A.2.7 pending -----------------------------------------------------------------------------------


def test_a2_7_pending_without_a_folkeregister_address_says_so_round_page() -> None:
    """grants.md A.2.7: «not calculated until the person is registered as settled in the Folkeregister ... and
    the residence decision has been effectuated» (fourth-round 2022 page [P])."""
    facts = refugee()
    facts["residences"][0]["source"] = "kommunen"
    out = run(ctx({"P": facts}), "P", 2024)
    assert out.lines == []
    (finding,) = out.findings
    assert (
        finding.kind == "pending" and "Folkeregisteret" in finding.reason and finding.rule == "integration.registered"
    )


def test_a2_7_pending_without_an_effectuated_permit_says_so_round_page() -> None:
    """grants.md A.2.7: an effectuated permit (effectuation_date not null) [P]."""
    facts = refugee()
    facts["permits"][0]["effectuation_date"] = None
    (finding,) = run(ctx({"P": facts}), "P", 2024).findings
    assert finding.kind == "pending" and "iverksatt" in finding.reason


def test_a2_7_a_registration_after_the_cutoff_is_not_known_yet() -> None:
    """grants.md A.8: the register as known at the cut-off; the address registered later leaves it pending."""
    facts = refugee()
    facts["residences"][0]["registered_at"] = "2024-07-01T10:00:00+02:00"
    out = run(ctx({"P": facts}, known=dt.datetime(2024, 6, 20, 12, tzinfo=dt.UTC)), "P", 2024)
    assert out.lines == [] and "Folkeregisteret" in out.findings[0].reason


def test_a2_9_a_missing_rate_is_pending_never_invented() -> None:
    """grants.md A.9 (AR-2 … AR-5 not found for any year) and the engine contract: None → pending «ingen
    sats for … i …»."""
    out = run(ctx({"P": refugee(settled="2024-02-01")}), "P", 2026)
    assert out.lines == []
    assert [(f.kind, f.rule) for f in out.findings] == [("pending", "integration.rate_missing")]
    assert "ingen sats for AR-3 i 2026" in out.findings[0].reason


def test_a2_no_line_is_computed_from_the_pending_mother_of_a_child() -> None:
    """grants.md A.2.1 group 4 with A.2.7: a child whose mother is not known at the cut-off is pending."""
    child = {"birth_date": "2024-05-01", "mother": "M", "residences": [{"municipality": "4601", "from": "2024-05-01"}]}
    out = run(ctx({"C": child}), "C", 2024)
    assert out.findings[0].kind == "pending"


# --- A.2.9 parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["integration_grant.", "um_grant."])
def test_a2_9_every_parameter_has_a_source_and_verified_follows_the_grants_md_mark(prefix: str) -> None:
    """grants.md A.2.9 and A.3: every number with its source; verified only where the source is a seed or IMDi's
    own page ([S]/[P]), false for [P2], [I] and [R]."""
    ps = gp.default()
    names = [n for n in ps.names() if n.startswith(prefix)]
    assert names
    for name in names:
        for v in ps.parameter(name).versions:
            assert v.source and v.valid_from is not None
            marks = set(re.findall(r"\[(S|P2|P|I|R)\]", v.source))
            assert marks, f"{name}: the source names no grants.md mark"
            assert v.verified == bool(marks & {"S", "P"}), name


def test_every_integration_and_em_rule_is_declared_once_with_a_source() -> None:
    """grants.md A.1 (rule_ids on every line): the rules are declared in model.RULES with sources."""
    mine = [r for r in RULES.values() if r.scheme in ("integration_grant", "um_grant")]
    assert len(mine) >= 20
    assert all(r.sources and r.title for r in mine)
    assert not any(r.verified for r in mine if any(s.mark in ("I", "P2", "R") for s in r.sources))


def test_a1_1_a_reception_centre_address_is_not_the_settled_address() -> None:
    """grants.md A.1.1 (residences[].kind reception_centre) with A.2.7: only an ordinary Folkeregister address
    in the municipality lets the grant be computed."""
    facts = refugee()
    facts["residences"] = [
        {"municipality": "3401", "from": "2023-10-01", "source": "folkeregisteret", "kind": "reception_centre"}
    ]
    out = run(ctx({"P": facts}), "P", 2024)
    assert out.lines == [] and "Folkeregisteret" in out.findings[0].reason


def test_a2_6_a_move_right_after_a_december_settlement_leaves_january_with_the_settlement_municipality_p2() -> None:
    """grants.md A.2.2 (settled 20 December: year 1 for those days, year 2 from 1 January [P]) with A.2.6 [P2]:
    settled 16 December, moved 20 December: the old municipality keeps December and January."""
    facts = refugee(settled="2024-12-16", mun="1103")
    facts["residences"] = [
        {"municipality": "1103", "from": "2024-12-16", "to": "2024-12-19", "source": "folkeregisteret"},
        {"municipality": "4601", "from": "2024-12-20", "source": "folkeregisteret"},
    ]
    lines = run(ctx({"P": facts}, rates(("AR-2", 2025, 120_000))), "P", 2025).lines
    assert [(ln.recipient, len(ln.earned)) for ln in lines] == [("municipality:1103", 1), ("municipality:4601", 11)]


def test_a1_a_year_before_the_parameters_is_pending_not_a_crash_of_the_round() -> None:
    """grants.md A.1 payment-round algorithm: every open grant year is computed for every person; a year before
    the parameters' valid_from (here 2009) must not stop the round."""
    facts = refugee(settled="2009-03-01")
    facts["permits"][0]["decision_date"] = "2009-01-10"
    c = ctx({"P": facts})
    for scheme in ("integration_grant", "um_grant"):
        out = engine.entitlements(c, "P", 2009, [scheme])
        assert out.lines == []
    out = run(c, "P", 2009)
    assert out.findings[0].kind == "pending" and "2009" in out.findings[0].reason
