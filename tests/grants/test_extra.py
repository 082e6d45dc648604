"""The extra grant (*ekstratilskudd*), grants.md A.4 and A.8; sources: IMDi,
https://www.imdi.no/tilskudd/tilskudd-bosetting-personer-nedsatt-funksjonsevne-atferdsvansker/ (4 Mar 2024) and
https://www.imdi.no/tilskudd/tilskudd-funksjonshemminger-atferdsvansker/. The worked example is EX-01
(grant-examples.json); the cases one per rule and boundary are in tests/grants/cases/extra_grant/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from nir.grants import engine
from nir.grants.engine import extra, rounds
from nir.grants.engine import params as grant_params
from nir.grants.engine.facts import population
from nir.grants.engine.model import RULES


def facts(settled: str = "2024-03-15", kind: str = "by_agreement", basis: str = "utl_28", **kw) -> dict:
    return {
        "birth_date": kw.pop("birth_date", "1980-10-10"),
        "permits": [{"basis": basis, "decision_date": "2024-01-05", "effectuation_date": "2024-01-10"}],
        "settlements": [
            {"municipality": "4601", "date": settled, "kind": kind, "by_agreement": kind == "by_agreement"}
        ],
        **kw,
    }


def case(t: str, year: int, granted: int | None, decided: str | None, **kw) -> dict:
    return {"type": t, "grant_year": year, "amount_granted": granted, "decided_at": decided, **kw}


def ctx_for(persons: dict, known_at: dt.datetime | None = None) -> engine.Context:
    return engine.Context(population(persons, known_at), grant_params.default(), known_at)


def attrs(f: dict, **others: dict) -> dict:
    ctx = ctx_for({"P": f, **others})
    return engine.ATTRIBUTES["extra_grant"](ctx, ctx.population["P"])


def outcome(f: dict, year: int) -> engine.Outcome:
    return engine.entitlements(ctx_for({"P": f}), "P", year, ["extra_grant"])


def test_ex01_deadlines_and_horizon_of_an_adult_settled_by_agreement():
    """A.4 «Application deadlines»: 14 months after settlement; then 2 months after the grant year (EX-01)."""
    a = attrs(facts())
    assert a["eligible"] is True
    assert a["first_application_deadline_year_1_or_2"] == dt.date(2025, 5, 15)
    assert a["last_grant_2_year"] == 2028
    assert {k: v for k, v in a.items() if k.startswith("application_deadline_grant_year_")} == {
        "application_deadline_grant_year_3_2026": dt.date(2027, 2, 28),
        "application_deadline_grant_year_4_2027": dt.date(2028, 2, 29),
        "application_deadline_grant_year_5_2028": dt.date(2029, 2, 28),
    }


def test_year_2_has_its_own_later_deadline_only_once_year_1_was_applied_for():
    """A.4: «The first application for grant year 1 or 2 is due 14 months after the settlement date. After that,
    an application is due 2 months after the grant year has passed.»"""
    a = attrs(facts(extra_grant_cases=[case("FHT2", 2024, None, None, applied_at="2025-02-01")]))
    assert a["application_deadline_grant_year_2_2025"] == dt.date(2026, 2, 28)


@pytest.mark.parametrize(
    ("birth", "em", "last"),
    [("2010-06-01", True, 2030), ("2005-02-01", True, 2028), ("2010-06-01", False, 2028)],
)
def test_grant_2_horizon_unaccompanied_minor_to_the_year_they_turn_20_never_fewer_than_5_years(birth, em, last):
    """A.4 «Grant 2»: last_year = max(start_year + 4, birth_year + 20) for EM, else start_year + 4."""
    f = facts(birth_date=birth)
    if em:
        f["unaccompanied_minor"] = {"flag": True}
    a = attrs(f)
    assert a["last_grant_2_year"] == last
    assert f"application_deadline_grant_year_{last - 2024 + 1}_{last}" in a
    assert f"application_deadline_grant_year_{last - 2024 + 2}_{last + 1}" not in a
    if em and last == 2030:
        assert "fyller 20 (2030)" in a["reason"] and "(2028)" in a["reason"]


@pytest.mark.parametrize(
    ("f", "rule"),
    [
        (facts(kind="self_settled"), "extra_grant_by_agreement"),
        (facts(kind="family_arrival"), "extra_grant_by_agreement"),
        (facts(basis="work"), "integration.target_group.outside"),  # the integration grant's A.2.1, one definition
        (facts(basis="family_of_norwegian"), "integration.target_group.outside"),
        ({"birth_date": "1980-01-01", "permits": [{"basis": "utl_28", "decision_date": "2024-01-05"}]}, None),
    ],
)
def test_not_eligible_and_why(f, rule):
    """A.4 «Who»: the integration grant's target group, settled by agreement."""
    a = attrs(f)
    assert a["eligible"] is False and a["reason"]
    assert "first_application_deadline_year_1_or_2" not in a
    if rule:
        assert a["rule"] == rule
    f = {**f, "extra_grant_cases": [case("FHT1", 2024, 196400, "2024-10-01")]}
    out = outcome(f, 2024)
    assert out.lines == [] and out.findings[0].kind == "not_eligible"


def test_the_target_group_check_is_the_code_lists_il9_letter_and_says_it_is_narrow():
    """A.2.1 via A.4: the integration module's target-group function was not on main; the local check is marked
    unverified so the lead can merge the two."""
    assert not RULES["extra_grant_target_group"].verified
    assert attrs(facts(basis="utl_38_5"))["eligible"] is True  # il. § 9 d, by agreement
    assert attrs(facts(basis="utl_34"))["eligible"] is True  # collective protection is in the integration group


def test_a_child_born_within_6_months_of_the_mothers_settlement_counts_from_its_birth():
    mother = facts(settled="2024-03-15")
    ctx = ctx_for(
        {
            "M": mother,
            "C": {"birth_date": "2024-09-15", "mother": "M"},
            "L": {"birth_date": "2024-09-16", "mother": "M"},
        }
    )
    c = engine.ATTRIBUTES["extra_grant"](ctx, ctx.population["C"])
    assert c["eligible"] and c["first_application_deadline_year_1_or_2"] == dt.date(2025, 11, 15)
    assert not engine.ATTRIBUTES["extra_grant"](ctx, ctx.population["L"])["eligible"]


def test_a_granted_fht2_above_the_maximum_is_capped_and_says_so():
    """A.4 «Amounts»: grant 2 is «up to» the year's maximum (rates.FHT2)."""
    (line,) = outcome(facts(extra_grant_cases=[case("FHT2", 2024, 2_000_000, "2025-03-01")]), 2024).lines
    assert line.amount == Decimal(1_608_000) and line.year_index == 1
    assert "over høyeste beløp" in line.explanation and line.rate is not None and line.rate.value == 1_608_000
    (line,) = outcome(facts(extra_grant_cases=[case("FHT2", 2024, 500_000, "2025-03-01")]), 2024).lines
    assert line.amount == Decimal(500_000) and "høyeste" not in line.explanation


def test_fht1_only_once_and_only_in_year_1_or_2_and_not_with_fht2_the_same_year():
    cases = [
        case("FHT1", 2024, 196_400, "2024-11-01"),
        case("FHT2", 2024, 800_000, "2024-11-01"),
        case("FHT1", 2025, 196_400, "2025-11-01"),
        case("FHT1", 2026, 196_400, "2026-11-01"),
    ]
    f = facts(extra_grant_cases=cases)
    assert [ln.grant_type for ln in outcome(f, 2024).lines] == ["FHT1"]
    assert outcome(f, 2024).findings[0].rule == "extra_grant_grant_1"
    assert outcome(f, 2025).lines == [] and "allerede" in outcome(f, 2025).findings[0].reason
    assert outcome(f, 2026).lines == [] and "år 3" in outcome(f, 2026).findings[0].reason


def test_fht2_beyond_the_horizon_is_not_paid():
    f = facts(extra_grant_cases=[case("FHT2", 2029, 100_000, "2030-03-01")])
    out = outcome(f, 2029)
    assert out.lines == [] and out.findings[0].rule == "extra_grant_grant_2_horizon"


def test_undecided_rejected_and_redecided_cases():
    """A.4: application-based — only granted amounts are paid; a later decision replaces an earlier one."""
    (f,) = outcome(facts(extra_grant_cases=[case("FHT2", 2024, None, None)]), 2024).findings
    assert f.kind == "pending" and "ikke avgjort" in f.reason
    (f,) = outcome(facts(extra_grant_cases=[case("FHT2", 2024, 0, "2025-01-10")]), 2024).findings
    assert f.kind == "not_eligible" and "avslått" in f.reason
    twice = [case("FHT2", 2024, 900_000, "2025-03-01"), case("FHT2", 2024, 700_000, "2025-05-01")]
    (line,) = outcome(facts(extra_grant_cases=twice), 2024).lines
    assert (line.amount, line.due_from) == (Decimal(700_000), dt.date(2025, 5, 1))


def test_no_rate_for_the_year_is_pending_never_invented():
    (f,) = outcome(facts(extra_grant_cases=[case("FHT2", 2026, 500_000, "2027-01-10")]), 2026).findings
    assert (f.kind, f.rule) == ("pending", "extra_grant_rate") and "Ingen sats for FHT2" in f.reason


def test_the_recipient_is_the_folkeregister_municipality_at_the_grant_years_end():
    f = facts(
        settled="2023-03-15",
        residences=[
            {"municipality": "4601", "from": "2023-03-15", "to": "2024-06-30", "source": "folkeregisteret"},
            {"municipality": "3403", "from": "2024-07-01", "source": "folkeregisteret"},
        ],
        extra_grant_cases=[case("FHT2", 2023, 1, "2024-03-01"), case("FHT2", 2024, 1, "2025-03-01")],
    )
    assert [ln.recipient for y in (2023, 2024) for ln in outcome(f, y).lines] == [
        "municipality:4601",
        "municipality:3403",
    ]
    assert not RULES["extra_grant_recipient"].verified


def test_a_granted_amount_falls_in_the_round_whose_period_holds_the_decision():
    """A.8: IMDi's round pages — extra grants decided in the round's period are included."""
    persons = {"P": facts(extra_grant_cases=[case("FHT1", 2024, 196_400, "2025-04-10")])}
    cutoff = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
    paid: dict = {}
    deltas = []
    for q in (1, 2, 3):
        res = rounds.run(rounds.Round.parse(f"2025Q{q}", cutoff), persons, paid, schemes=["extra_grant"])
        deltas.append(sum(s.delta for s in res.lines))
        paid = rounds.paid_after(paid, res)
    assert deltas == [0, 196_400, 0]


def test_the_parameters_have_sources_and_the_deadline_rules_name_the_day_arithmetic_as_inferred():
    ps = grant_params.default()
    for name in (
        "first_application_months",
        "later_application_months",
        "grant_1_years",
        "grant_2_years",
        "unaccompanied_minor_last_age",
    ):
        assert ps.get(f"extra_grant.{name}", dt.date(2024, 1, 1)).source
    assert not RULES[extra.R_FIRST_DEADLINE.id].verified and not RULES[extra.R_LATER_DEADLINE.id].verified
    assert RULES[extra.R_BY_AGREEMENT.id].verified


def test_a_settlement_before_the_parameters_start_is_unknown_not_a_crash():
    a = attrs(facts(settled="2005-03-15"))
    assert a["eligible"] is None and "Ingen parameter" in a["reason"]
    (f,) = outcome(facts(settled="2005-03-15", extra_grant_cases=[case("FHT2", 2005, 1, "2006-01-01")]), 2005).findings
    assert f.kind == "pending"
