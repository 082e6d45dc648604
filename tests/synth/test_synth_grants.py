"""The synthetic population carries the grants' facts (issue 20 § 6, grants.md A.1.1) in plausible shares,
and the grant engine computes real lines of several schemes from it."""

from __future__ import annotations

import collections

import polars as pl
import pytest
from tests.synth.synth_support import NOW, current, lines_in_memory, population

from nir.grants.engine.model import GRANT_TYPES
from nir.synth import world as w

PERSONS = 4000


@pytest.fixture(scope="module")
def pop() -> dict[str, pl.DataFrame]:
    return {name: current(f) if name != "Person" else f for name, f in population(PERSONS).items()}


def _share(part: int, whole: int) -> float:
    assert whole > 0
    return part / whole


def test_households_are_consistent_and_have_children(pop):
    s = pop["Settlement"]
    settled = s.height
    # Members of a household settle together, at one municipality on one day.
    per_hh = s.group_by("household_id").agg(
        pl.col("settlement_date").n_unique().alias("dates"),
        pl.col("municipality").n_unique().alias("munis"),
        pl.len().alias("size"),
        (pl.col("household_role") == "child").sum().alias("children"),
    )
    assert per_hh["dates"].max() == 1
    assert per_hh["munis"].max() == 1
    assert per_hh["size"].max() <= 6
    children = _share(int((s["household_role"] == "child").sum()), settled)
    assert 0.2 <= children <= 0.5, children  # families with children are about half the settled persons
    singles = per_hh.filter(pl.col("size") == 1).height
    assert _share(singles, per_hh.height) >= 0.5
    assert set(s["kind"].unique()) == {"by_agreement", "self_settled"}
    # The role follows the age at settlement.
    d = pop["PersonDetails"].select("person", "birth_date")
    j = s.join(d, on="person")
    age = (pl.col("settlement_date").dt.year() - pl.col("birth_date").dt.year()).alias("age")
    assert j.filter(pl.col("household_role") == "child").select(age)["age"].max() <= 18


def test_unaccompanied_minors_a_few_percent(pop):
    d = pop["PersonDetails"]
    settled = pop["Settlement"]["person"].n_unique()
    um = d.filter(pl.col("unaccompanied_minor").fill_null(False))
    share = _share(um.height, settled)
    assert 0.03 <= share <= 0.09, share  # 783 of 12,596 settled in 2025 (6 %)
    companion = _share(int(um["with_companion"].sum()), um.height)
    assert 0.05 <= companion <= 0.3, companion  # 118 of 783


def test_children_born_after_the_mothers_settlement(pop):
    d = pop["PersonDetails"]
    persons = pop["Person"].select("person", "duf")
    kids = d.filter(pl.col("mother") != "")
    assert kids.height >= 10
    mothers = kids.join(persons.rename({"duf": "mother", "person": "mother_person"}), on="mother")
    assert mothers.height == kids.height  # every mother is a register person
    settle = pop["Settlement"].select(pl.col("person").alias("mother_person"), "settlement_date")
    j = mothers.join(settle, on="mother_person")
    assert (j["birth_date"] >= j["settlement_date"]).all()
    days = (j["birth_date"] - j["settlement_date"]).dt.total_days()
    assert days.max() <= w.BORN_AFTER_SETTLEMENT_DAYS[1]
    # No permit of their own, an address from birth.
    assert kids.join(pop["ResidencePermit"], on="person").height == 0
    assert kids.join(pop["Residence"], on="person").height >= kids.height
    mother_ids = mothers.select(pl.col("mother_person").alias("person"))
    female = d.filter(pl.col("sex") == "female").join(mother_ids, on="person")
    assert female.height == mothers.select("mother_person").unique().height


def test_folkeregister_addresses_and_effectuated_permits(pop):
    r = pop["Residence"]
    share = _share(int((r["source"] == "folkeregisteret").sum()), r.height)
    assert 1 - 2.5 * w.FOLKEREGISTER_MISSING_SHARE <= share < 1, share  # a few only from the municipality
    assert set(r["kind"].unique()) == {"ordinary"}
    permits = pop["ResidencePermit"].join(pop["Settlement"].select("person", "settlement_date"), on="person")
    eff = permits.filter(pl.col("effectuation_date").is_not_null())
    assert _share(eff.height, permits.height) >= 0.9
    assert (eff["effectuation_date"] >= eff["decision_date"]).all()
    assert (eff["effectuation_date"] <= eff["settlement_date"]).all()


def test_citizenship_emigration_and_asylum(pop):
    d = pop["PersonDetails"]
    cit = d["citizenship"]
    assert cit.str.len_chars().eq(3).all()
    counts = collections.Counter(cit.to_list())
    assert counts["UKR"] > counts["SYR"] > 0 and counts["ERI"] > 0 and len(counts) >= 10
    settled = pop["Settlement"]["person"].n_unique()
    emigrated = d.filter(pl.col("emigration_date").is_not_null()).height
    assert 0 < _share(emigrated, settled) <= 3 * w.EMIGRATED_SHARE
    asylum = d.filter(pl.col("asylum_duty_group_entry").is_not_null())
    assert asylum.height > 0 and set(asylum["asylum_procedure"].unique()) <= {"ordinary", "fast_track", "dublin"}


def test_reception_stays_mappings_upper_secondary_and_family(pop):
    stays = pop["ReceptionStay"].join(pop["Settlement"].select("person", "settlement_date"), on="person")
    assert stays.height > 0
    assert (stays["to_date"] < stays["settlement_date"]).all()
    assert (stays["from_date"] <= stays["to_date"]).all()
    cm = pop["CompetenceMapping"]
    assert set(cm["legal_basis"].unique()) <= set(w.MAPPING_LEGAL_BASIS.values())
    in_tool = _share(int(cm["registered_in_tool"].sum()), cm.height)
    assert abs(in_tool - w.MAPPING_IN_TOOL_SHARE) < 0.08, in_tool
    before = cm.filter(pl.col("kind") == "before_settlement")
    # Mapped in a reception centre (asylum seekers; resettled refugees, about half of the others since 2021,
    # come straight from abroad): the host municipality is known.
    assert _share(int((before["host_municipality"] != "").sum()), before.height) > 0.25
    up = pop["UpperSecondaryEnrolment"]
    assert up.height > 0 and up["county"].str.len_chars().eq(2).all()
    fr = pop["FamilyReunification"]
    persons = pop["Person"].select(pl.col("duf").alias("reference_person"))
    assert fr.join(persons, on="reference_person").height == fr.height
    assert (fr["reference_first_settlement_date"] < fr["application_date"]).all()
    family = pop["ResidencePermit"].filter(pl.col("basis") == "family_of_protected")["person"].n_unique()
    assert _share(fr.height, family) > 0.5


def test_the_engine_computes_lines_of_several_schemes():
    from nir.grants.engine import rounds

    lines = lines_in_memory(1200)
    persons = {line["duf"]: line["facts"] for line in lines}
    cutoff = NOW
    result = rounds.run(rounds.Round.parse(f"{cutoff.year}Q3", cutoff), persons, {})
    types = collections.Counter(s.grant_type for s in result.lines)
    # Integration grant year 1 for single adults, adults in families and children (2024 has rates).
    assert types["AR-1 EV"] > 0 and types["AR-1"] > 0 and types["AR-1 B"] > 0, types
    assert types["EMINB"] + types["EMINU"] > 0, types  # unaccompanied minors
    assert types["P37D-AR1"] > 0, types  # Norwegian training, collective protection (§ 37 d)
    assert types["MAPPING"] > 0, types  # mapping in reception, to the host municipality
    schemes = {GRANT_TYPES[s.grant_type].scheme for s in result.lines}
    assert {"integration_grant", "um_grant", "norwegian_grant_collective", "mapping_grant"} <= schemes
    # A child born after the mother's settlement is in the target group (group 4) and triggers year 1.
    born_here = {pid for pid, facts in persons.items() if facts.get("mother")}
    assert any(s.person in born_here and s.grant_type == "AR-1 B" for s in result.lines)
    # The Folkeregister gap and unregistered effectuation show as pending, never as a line.
    assert any(f.kind == "pending" and "Folkeregisteret" in f.reason for f in result.findings)
    assert all(s.recipient.startswith(("municipality:", "county:")) for s in result.lines)


@pytest.mark.django_db
def test_demo_computes_a_payment_round_with_statement_lines(settings):
    """``nir demo`` computes the latest payment round whose cut-off has passed, so the Tilskudd pages show
    real statements (issue 20 § 6)."""
    import io

    from django.core.management import call_command

    from nir.grants.models import PaymentRound, StatementLine

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("demo", "--persons", "600", "--seed", "1", "--no-settlement", stdout=out, stderr=io.StringIO())
    assert "Beregner tilskuddsterminen" in out.getvalue()
    row = PaymentRound.objects.get()
    lines = StatementLine.objects.filter(round=row)
    assert lines.count() > 0
    assert lines.filter(recipient__startswith="municipality:").values("recipient").distinct().count() > 5
