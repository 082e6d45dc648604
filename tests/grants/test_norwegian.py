"""Norwegian grants (grants.md A.5.1 person grant, A.5.2 § 37 d, A.5.3 UN43G, A.5.4 base grant; A.8 late
registration). Sources: IMDi's pages for adult immigrants (23 Apr 2024), collective protection (12 Sep 2022),
the status page (24 Nov 2022: the NIR decision is a condition) and the first round of 2024 (11 Apr 2024:
the annual rate over up to four rounds); KS 2023 for the base-grant bands."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from nir.grants import engine
from nir.grants.engine import norwegian as no
from nir.grants.engine import params as grant_params
from nir.grants.engine import rounds
from nir.grants.engine.model import RULES
from nir.rules.parameters import Parameter, ParameterSet, Version

OSLO_NOON = dt.time(12, tzinfo=dt.UTC)


def facts(
    birth: str = "1990-03-03",
    basis: str = "utl_28",
    permit: str = "2025-01-10",
    settle: str = "2025-01-20",
    muni: str = "5001",
    citizenship: str | None = "SYR",
    decision: bool = True,
    registered_at: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    f: dict[str, Any] = {
        "birth_date": birth,
        "permits": [{"basis": basis, "decision_date": permit, "effectuation_date": permit}],
        "settlements": [{"municipality": muni, "date": settle, "by_agreement": True}],
        "residences": [{"municipality": muni, "from": settle, "to": None, "source": "folkeregisteret"}],
    }
    if citizenship:
        f["citizenship"] = citizenship
    if decision:
        d = {"scheme": "norwegian", "type": "norwegian_participation", "decision_date": settle}
        if registered_at:
            d["registered_at"] = registered_at
        f["decisions"] = [d]
    f.update(extra)
    return f


def rates(*items: tuple[str, int, int]) -> ParameterSet:
    return grant_params.with_rates(
        grant_params.default(),
        [{"grant_type": t, "grant_year": y, "value": v, "source": "FIXTURE", "verified": False} for t, y, v in items],
    )


def ctx_for(f: dict[str, Any], ps: ParameterSet, known_at: dt.datetime | None = None) -> engine.Context:
    return engine.Context(engine.facts.population({"P1": f}, known_at), ps, known_at)


def outcome(f: dict[str, Any], year: int, scheme: str, ps: ParameterSet, known_at: dt.datetime | None = None):
    return engine.entitlements(ctx_for(f, ps, known_at), "P1", year, [scheme])


def with_value(ps: ParameterSet, name: str, value: Any, valid_from: dt.date = dt.date(2011, 1, 1)) -> ParameterSet:
    params = {n: ps.parameter(n) for n in ps.names()}
    old = params[name]
    params[name] = dataclasses.replace(old, versions=(Version(name, value, valid_from, None, "test", False),))
    return ParameterSet(params)


# --- A.5.1 ------------------------------------------------------------------------------------------


def test_a51_no_line_until_the_nir_decision_is_known_at_the_cut_off_then_arrears_in_the_next_round():
    """grants.md A.5.1/A.8, IMDi status page 24 Nov 2022; grant-examples.json NO-01."""
    ps = rates(("P-AR1-H", 2025, 100_000))
    f = facts(registered_at="2025-05-20T10:00:00+02:00")
    before = outcome(f, 2025, no.ADULT, ps, dt.datetime(2025, 3, 28, 12, tzinfo=dt.UTC))
    assert before.lines == []
    [finding] = before.findings
    assert (finding.kind, finding.rule) == ("pending", no.NIR_DECISION.id)
    assert "ikke registrert i NIR" in finding.reason
    after = outcome(f, 2025, no.ADULT, ps, dt.datetime(2025, 6, 20, 12, tzinfo=dt.UTC))
    [line] = after.lines
    assert line.due_by(dt.date(2025, 6, 30)) == 50_000
    assert "decisions[0]" in line.facts_used


def test_a51_entry_and_category_come_from_the_regelmotor_never_recomputed(monkeypatch):
    """brief/grants.md A.1.1: the Norwegian category and its start date are the Regelmotor's."""
    ps = rates(("P-AR1-H", 2025, 120_000), ("P-AR1-H", 2024, 1))
    ctx = ctx_for(facts(), ps)
    real = ctx.regelmotor

    def fake(person, day):
        res = real(person, day)
        return dataclasses.replace(res, norwegian=dataclasses.replace(res.norwegian, start_date=dt.date(2025, 7, 1)))

    monkeypatch.setattr(ctx, "regelmotor", fake)
    [line] = engine.entitlements(ctx, "P1", 2025, [no.ADULT]).lines
    assert line.period == (dt.date(2025, 7, 1), dt.date(2025, 12, 31))
    assert line.earned[0] == dt.date(2025, 7, 1)  # Q3: the rounds start with the entry round
    assert line.due_by(dt.date(2025, 6, 30)) == 0 and line.due_by(dt.date(2025, 9, 30)) == 60_000


def test_a51_the_rate_is_spread_evenly_over_the_rounds_from_the_entry_round_and_sums_to_the_rate():
    """IMDi 11 Apr 2024 (up to four rounds); grants.md A.5.1 [I] even split from the entry round."""
    ps = rates(("P-AR1-H", 2025, 100_000))
    f = facts(permit="2025-05-15", settle="2025-05-20")
    f["residences"] = [
        {"municipality": "5001", "from": "2025-05-20", "to": "2025-08-10", "source": "folkeregisteret"},
        {"municipality": "3403", "from": "2025-08-11", "to": None, "source": "folkeregisteret"},
    ]
    lines = outcome(f, 2025, no.ADULT, ps).lines
    assert sum(ln.amount for ln in lines) == pytest.approx(Decimal(100_000))
    for end, share in ((dt.date(2025, 6, 30), 1), (dt.date(2025, 9, 30), 2), (dt.date(2025, 12, 31), 3)):
        assert rounds.kroner(sum(ln.due_by(end) for ln in lines)) == rounds.kroner(Decimal(100_000) * share / 3)
    by = {ln.recipient: ln for ln in lines}
    # Q2 (May, June) to 5001; Q3: July 5001, August (10 days vs 21) and September 3403
    assert rounds.kroner(by["municipality:5001"].amount) == 33_333 + 11_111
    assert all(ln.year_index == 1 and ln.grant_type == "P-AR1-H" for ln in lines)


def test_a51_before_2024_years_2_and_3_were_paid_whole_in_the_first_round():
    """IMDi status page 2016: years 2 and 3 in March; from 2024 over four rounds (11 Apr 2024)."""
    ps = rates(("P-AR2-H", 2023, 80_000), ("P-AR2-H", 2025, 80_000))
    [old] = outcome(facts(permit="2022-03-01", settle="2022-03-05"), 2023, no.ADULT, ps).lines
    assert old.due_by(dt.date(2023, 3, 31)) == 80_000
    [new] = outcome(facts(permit="2024-03-01", settle="2024-03-05"), 2025, no.ADULT, ps).lines
    assert new.due_by(dt.date(2025, 3, 31)) == 20_000


@pytest.mark.parametrize(
    ("citizenship", "band"), [("SYR", "H"), ("AFG", "H"), ("TUR", "H"), ("XXA", "H"), ("NOR", "L"), ("CAN", "L")]
)
def test_a51_high_or_low_rate_by_citizenship_from_the_unverified_parameter_list(citizenship, band):
    """grants.md A.5.1 [R]: country background; norwegian_grant.low_rate_countries is verified: false."""
    ps = rates(("P-AR1-H", 2025, 90_000), ("P-AR1-L", 2025, 30_000))
    [line] = outcome(facts(citizenship=citizenship), 2025, no.ADULT, ps).lines
    assert line.grant_type == f"P-AR1-{band}"
    assert not line.verified
    assert not grant_params.default().get("norwegian_grant.low_rate_countries", dt.date(2025, 1, 1)).verified
    assert not RULES[no.ADULT_BAND.id].verified


@pytest.mark.parametrize("citizenship", [None, "XXX"])
def test_a51_unknown_citizenship_is_pending(citizenship):
    out = outcome(facts(citizenship=citizenship), 2025, no.ADULT, rates(("P-AR1-H", 2025, 1), ("P-AR1-L", 2025, 1)))
    assert out.lines == [] and [(f.kind, f.rule) for f in out.findings] == [("pending", no.ADULT_BAND.id)]


def test_a51_no_rate_is_pending_never_invented():
    """brief: ctx.rate None → «ingen sats for … i …»; grants.md A.9: no P-AR rate found."""
    out = outcome(facts(), 2025, no.ADULT, grant_params.default())
    assert out.lines == []
    [f] = out.findings
    assert f.kind == "pending" and f.reason == "Ingen sats for P-AR1-H i 2025 (rates.yaml)."


def test_a51_a_permit_under_section_38_5_without_a_start_date_is_pending():
    """grants.md A.5.1: utl_38_5 only once renewed; the Regelmotor then gives no start date."""
    out = outcome(facts(basis="utl_38_5"), 2025, no.ADULT, rates(("P-AR1-H", 2025, 1)))
    assert out.lines == [] and out.findings[0].kind == "pending" and "startdato" in out.findings[0].reason


def test_a51_a_family_member_without_the_reference_persons_dates_is_pending():
    out = outcome(facts(basis="family_of_protected"), 2025, no.ADULT, rates(("P-AR1-H", 2025, 1)))
    assert [(f.kind, f.rule) for f in out.findings] == [("pending", no.FAMILY.id)]


@pytest.mark.parametrize(
    ("basis", "category"), [("work", "duty"), ("family_of_worker", "duty"), ("eea", "none"), ("utl_34", "right")]
)
def test_a51_duty_only_and_right_only_trigger_nothing(basis, category):
    out = outcome(facts(basis=basis), 2025, no.ADULT, rates(("P-AR1-H", 2025, 1)))
    assert out.lines == []
    [f] = out.findings
    assert f.kind == "not_eligible" and f"kategori: {category}" in f.reason


def test_a51_a_year_without_a_registered_address_is_pending_and_a_gap_goes_to_the_next_address():
    """grants.md A.1: the recipient comes from the Folkeregister; [I] a month with no address takes the next."""
    ps = rates(("P-AR1-H", 2025, 120_000))
    f = facts()
    f["residences"] = [{"municipality": "5001", "from": "2025-01-20", "source": "kommunen"}]
    out = outcome(f, 2025, no.ADULT, ps)
    assert out.lines == [] and out.findings[0].rule == no.RECIPIENT.id
    [line] = outcome(facts(settle="2025-04-02"), 2025, no.ADULT, ps).lines
    assert line.recipient == "municipality:5001" and line.amount == 120_000


def test_a51_every_norwegian_rule_is_declared_once_with_sources_and_unverified_where_inferred():
    mine = [r for r in RULES.values() if r.module == no.__name__]
    assert len(mine) >= 10
    assert all(r.sources for r in mine)
    for r in (no.ADULT_YEARS, no.ADULT_SPREAD, no.RECIPIENT, no.P37D_RATE_YEAR, no.UN43G, no.BASE):
        assert not RULES[r.id].verified, r.id
    assert RULES[no.NIR_DECISION.id].verified


# --- A.5.2 / A.5.3 ----------------------------------------------------------------------------------


def coll(**kw: Any) -> dict[str, Any]:
    return facts(basis="utl_34", citizenship="UKR", **kw)


def test_a52_one_year_from_entry_at_the_entry_years_rate_earned_by_month():
    """IMDi 12 Sep 2022 (one year, split by time lived); grant-examples.json NO-02."""
    f = coll(permit="2023-08-25", settle="2023-09-01")
    f["residences"] = [
        {"municipality": "3403", "from": "2023-09-01", "to": "2023-12-31", "source": "folkeregisteret"},
        {"municipality": "3405", "from": "2024-01-01", "source": "folkeregisteret"},
    ]
    ps = rates(("P37D-AR1", 2024, 999_999))
    lines = outcome(f, 2023, no.COLLECTIVE, ps).lines
    assert [(ln.recipient, ln.amount, ln.grant_year) for ln in lines] == [
        ("municipality:3403", 15_000, 2023),
        ("municipality:3405", 30_000, 2023),
    ]
    assert lines[1].earned == tuple(dt.date(2024, m, 1) for m in range(1, 9))
    assert lines[0].rate is not None and lines[0].rate.value == 45_000
    later = outcome(f, 2024, no.COLLECTIVE, ps)
    assert later.lines == []
    assert {(x.kind, x.rule) for x in later.findings} == {("not_eligible", no.P37D.id), ("pending", no.UN43G.id)}


def test_a52_calendar_year_rate_when_the_open_parameter_says_so():
    """grants.md A.5.2/A.11 no. 8: norwegian_grant.p37d_rate_year is open; calendar_year is the alternative."""
    ps = with_value(rates(("P37D-AR1", 2024, 48_000)), "norwegian_grant.p37d_rate_year", "calendar_year")
    f = coll(permit="2023-08-25", settle="2023-09-01")
    [y23] = outcome(f, 2023, no.COLLECTIVE, ps).lines
    [y24] = outcome(f, 2024, no.COLLECTIVE, ps).lines
    assert (y23.grant_year, y23.amount) == (2023, 15_000)
    assert (y24.grant_year, y24.amount) == (2024, 32_000)


def test_a53_un43g_is_pending_until_2025_and_gone_after():
    """002:1027 (extended training until the end of 2025); grants.md A.5.3: valid_to 2025-12-31, no rate."""
    f = coll(permit="2024-03-01", settle="2024-03-15")
    ps = rates(("P37D-AR1", 2024, 48_000))
    for year, expected in ((2024, False), (2025, True), (2026, False)):
        found = [x for x in outcome(f, year, no.COLLECTIVE, ps).findings if x.rule == no.UN43G.id]
        assert bool(found) is expected, year
        if found:
            assert found[0].kind == "pending" and "ingen sats for UN43G i 2025" in found[0].reason


def test_a52_no_decision_is_pending_as_for_the_adult_grant():
    out = outcome(coll(decision=False), 2025, no.COLLECTIVE, rates(("P37D-AR1", 2025, 1)))
    assert [(x.kind, x.rule) for x in out.findings] == [("pending", no.NIR_DECISION.id)]


# --- A.5.4 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persons", "grant_type"),
    [(0, None), (1, "Grunntilskudd-L"), (3, "Grunntilskudd-L"), (4, "Grunntilskudd-H"), (150, "Grunntilskudd-H"),
     (151, None)],
)  # fmt: skip
def test_a54_base_grant_bands(persons, grant_type):
    """KS 2023 (1–3: 217 000; 4–150: 643 900); IMDi «1–150 personar»; grant-examples.json NO-04."""
    ctx = engine.Context(engine.Population({}), grant_params.default())
    line = engine.RECIPIENT_GRANTS[no.ADULT](ctx, "municipality:5001", persons, 2023)
    assert (line.grant_type if line else None) == grant_type
    if line:
        assert line.due_from == dt.date(2023, 1, 1) and line.rule == no.BASE.id and not line.verified


def test_a54_base_grant_in_q2_in_2024_no_rate_nothing_and_bands_are_parameters():
    ps = rates(("Grunntilskudd-H", 2024, 650_000))
    ctx = engine.Context(engine.Population({}), ps)
    line = no.base_grant(ctx, "municipality:5001", 10, 2024)
    assert line is not None and line.due_from == dt.date(2024, 4, 1)
    assert no.base_grant(ctx, "municipality:5001", 2, 2024) is None  # no Grunntilskudd-L rate for 2024
    wider = engine.Context(
        engine.Population({}), with_value(grant_params.default(), "norwegian_grant.base_grant.low_max_persons", 5)
    )
    line = no.base_grant(wider, "municipality:5001", 5, 2023)
    assert line is not None and line.grant_type == "Grunntilskudd-L"


def test_the_parameters_carry_source_and_verified():
    ps = grant_params.default()
    names = [n for n in ps.names() if n.startswith("norwegian_grant.")]
    assert len(names) >= 20
    for n in names:
        p: Parameter = ps.parameter(n)
        assert p.versions and all(v.source for v in p.versions), n
