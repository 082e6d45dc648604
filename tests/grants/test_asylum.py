"""The asylum seekers' Norwegian grant (grants.md A.5.5): IMDi, «Tilskot til opplæring i norsk og
samfunnskunnskap for asylsøkarar i mottak» (19 Apr 2021) — a fixed one-off amount to the host municipality,
once per person, split equally on a move and only once, paid at the earliest in the quarter after entry;
no NIR registration by the municipality (status page 2022)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nir.grants import engine
from nir.grants.engine import asylum as asy
from nir.grants.engine import params as grant_params
from nir.grants.engine.model import RULES


def facts(
    birth: str | None = "1996-06-06", procedure: str | None = "ordinary", entry: str = "2024-02-10", stays: Any = None
) -> dict[str, Any]:
    f: dict[str, Any] = {
        "asylum_duty_group_entry": entry,
        "reception_stays": stays
        if stays is not None
        else [{"centre": "R-A", "host_municipality": "1804", "from": entry, "to": None}],
    }
    if birth:
        f["birth_date"] = birth
    if procedure:
        f["asylum_procedure"] = procedure
    return f


def run(f: dict[str, Any], year: int = 2024, rate: int | None = 20_000) -> engine.Outcome:
    ps = grant_params.default()
    if rate is not None:
        ps = grant_params.with_rates(
            ps, [{"grant_type": "ASYLNORSK", "grant_year": year, "value": rate, "source": "FIXTURE"}]
        )
    ctx = engine.Context(engine.facts.population({"P1": f}), ps)
    return engine.entitlements(ctx, "P1", year, [asy.ASYLUM])


def test_a55_one_off_to_the_host_municipality_due_in_the_quarter_after_entry():
    [line] = run(facts()).lines
    assert (line.grant_type, line.recipient, line.amount, line.rule) == (
        "ASYLNORSK",
        "municipality:1804",
        20_000,
        asy.ONE_OFF.id,
    )
    assert line.due_from == dt.date(2024, 4, 1) and line.earned == ()
    assert line.due_by(dt.date(2024, 3, 31)) == 0 and line.due_by(dt.date(2024, 6, 30)) == 20_000
    [late] = run(facts(entry="2024-12-02")).lines
    assert late.grant_year == 2024 and late.due_from == dt.date(2025, 1, 1)


def test_a55_split_equally_on_a_move_and_only_once():
    """grant-examples.json NO-05: 1804 and 1806 share; 5001, moved to later, gets nothing."""
    stays = [
        {"centre": "R-A", "host_municipality": "1804", "from": "2024-02-10", "to": "2024-05-31"},
        {"centre": "R-B", "host_municipality": "1806", "from": "2024-06-01", "to": "2024-09-30"},
        {"centre": "R-C", "host_municipality": "5001", "from": "2024-10-01", "to": None},
    ]
    lines = run(facts(stays=stays)).lines
    assert [(ln.recipient, ln.amount, ln.rule) for ln in lines] == [
        ("municipality:1804", 10_000, asy.SPLIT.id),
        ("municipality:1806", 10_000, asy.SPLIT.id),
    ]
    assert all(ln.due_from == dt.date(2024, 4, 1) for ln in lines)


def test_a55_a_move_within_the_municipality_or_after_a_break_is_no_split():
    same = [
        {"centre": "R-A", "host_municipality": "1804", "from": "2024-02-10", "to": "2024-03-31"},
        {"centre": "R-A2", "host_municipality": "1804", "from": "2024-04-01", "to": None},
    ]
    assert [ln.amount for ln in run(facts(stays=same)).lines] == [20_000]
    gap = [
        {"centre": "R-A", "host_municipality": "1804", "from": "2024-02-10", "to": "2024-03-31"},
        {"centre": "R-B", "host_municipality": "1806", "from": "2024-05-01", "to": None},
    ]
    assert [(ln.recipient, ln.amount) for ln in run(facts(stays=gap)).lines] == [("municipality:1804", 20_000)]


@pytest.mark.parametrize("procedure", ["fast_track", "not_on_merits", "refused", "dublin", "hours_48"])
def test_a55_excluded_procedures(procedure):
    out = run(facts(procedure=procedure))
    assert out.lines == []
    [f] = out.findings
    assert (f.kind, f.rule) == ("not_eligible", asy.TARGET.id) and procedure in f.reason


def test_a55_age_on_entry_18_now_16_under_the_older_rules():
    assert run(facts(birth="2006-02-10")).lines
    assert run(facts(birth="2006-02-11")).lines == []
    older = facts(birth="2003-05-01", entry="2020-03-01")
    assert run(older, 2020).lines  # 16 on entry: the older rule (over 16)


@pytest.mark.parametrize(
    ("f", "rule_id"),
    [
        (facts(procedure=None), asy.TARGET.id),
        (facts(birth=None), asy.TARGET.id),
        (facts(stays=[]), asy.ONE_OFF.id),
    ],
)
def test_a55_unknown_facts_are_pending(f, rule_id):
    out = run(f)
    assert out.lines == [] and [(x.kind, x.rule) for x in out.findings] == [("pending", rule_id)]


def test_a55_no_rate_is_pending_and_other_years_trigger_nothing():
    out = run(facts(), rate=None)
    assert out.lines == [] and out.findings[0].reason == "Ingen sats for ASYLNORSK i 2024 (rates.yaml)."
    other = run(facts(), 2025)
    assert other.lines == [] and other.findings[0].rule == asy.ONE_OFF.id
    nobody = run({"birth_date": "1990-01-01"})
    assert nobody.lines == [] and nobody.findings[0].kind == "not_eligible"


def test_a55_rules_are_declared_with_sources():
    mine = [r for r in RULES.values() if r.module == asy.__name__]
    assert {r.id for r in mine} == {asy.TARGET.id, asy.ONE_OFF.id, asy.SPLIT.id}
    assert all(r.sources for r in mine)
    assert not RULES[asy.SPLIT.id].verified  # a break between stays is no move: our reading
