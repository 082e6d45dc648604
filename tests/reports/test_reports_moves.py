"""Moves in the reports (issue 16 § 2): the lists of persons who moved in and out
(``nir.reports.moves``) and secondary migration (the report ``sekundaerflytting``, summed by
``secondary_migration``), scoped by the user's access like every report."""

from __future__ import annotations

import datetime as dt

import pytest

from nir.access.scope import Scope
from nir.register import models as m
from nir.reports import moves, registry
from nir.testing.builders import at

pytestmark = pytest.mark.django_db

TRONDHEIM = Scope(municipalities=frozenset({"5001"}))
BERGEN = Scope(municipalities=frozenset({"4601"}))
SINCE = dt.date(2026, 1, 1)


@pytest.fixture
def movers(register):
    r = register
    p = {}
    # settled by agreement 01.11.2025 in Trondheim, moved to Bergen 01.06.2026: secondary migration
    p["anne"] = r.person("Anne", "Aas", follow_up_to=dt.date(2026, 5, 31))
    r.add(p["anne"], m.FollowUp, {"municipality": "4601", "valid_from": dt.date(2026, 6, 1)}, at(2026, 6, 1))
    # settled 01.11.2023, moved 01.12.2025: more than two years after settlement — a move, not secondary migration
    p["ole"] = r.person(
        "Ole",
        "Lie",
        settled=dt.date(2023, 11, 1),
        follow_up_from=dt.date(2023, 11, 1),
        follow_up_to=dt.date(2025, 11, 30),
    )
    r.add(p["ole"], m.FollowUp, {"municipality": "4601", "valid_from": dt.date(2025, 12, 1)}, at(2026, 1, 12))
    # between Oslo's districts: a move between districts, not to another municipality
    p["oda"] = r.person("Oda", "Nes", municipality="0301", district="030101", follow_up_to=dt.date(2026, 2, 28))
    r.add(
        p["oda"],
        m.FollowUp,
        {"municipality": "0301", "district": "030102", "valid_from": dt.date(2026, 3, 1)},
        at(2026, 3, 1),
    )
    # never moved
    p["per"] = r.person("Per", "Dal")
    return p


def test_moved_in_lists_the_receiving_areas_persons_with_origin_and_deadlines(movers):
    rows = moves.moved_in(BERGEN, since=SINCE)
    assert [(r.duf, r.from_municipality, r.move_date) for r in rows] == [
        (movers["anne"].duf, "5001", dt.date(2026, 6, 1))
    ]
    assert rows[0].from_place.startswith("Trondheim") and rows[0].intro_category
    assert moves.moved_in(TRONDHEIM, since=SINCE) == []
    everyone = {r.duf for r in moves.moved_in(None, since=dt.date(2025, 1, 1))}
    assert everyone == {movers["anne"].duf, movers["ole"].duf, movers["oda"].duf}


def test_moved_out_is_the_sending_areas_list_without_the_destination(movers):
    rows = moves.moved_out(TRONDHEIM, since=SINCE)
    assert [(r.duf, r.first_name, r.move_date, r.to_municipality) for r in rows] == [
        (movers["anne"].duf, "Anne", dt.date(2026, 6, 1), "")
    ]
    assert moves.moved_out(BERGEN, since=SINCE) == []
    gamle_oslo = Scope(districts=frozenset({"030101"}))
    assert [r.duf for r in moves.moved_out(gamle_oslo, since=SINCE)] == [movers["oda"].duf]


def test_secondary_migration_counts_moves_within_two_years_of_settlement_by_agreement(movers):
    result = registry.run("sekundaerflytting", registry.ReportParams(), scope=None)
    assert [(r["duf"], r["from_municipality"], r["to_municipality"], r["year"]) for r in result.rows] == [
        (movers["anne"].duf, "5001", "4601", 2026)
    ]
    assert result.rows[0]["settlement_date"] == dt.date(2025, 11, 1)
    counts = moves.secondary_migration(registry.ReportParams(), scope=None)
    assert [(c.year, c.from_municipality, c.to_municipality, c.moves) for c in counts] == [(2026, "5001", "4601", 1)]
    assert counts[0].from_place.startswith("Trondheim") and counts[0].to_place == "Bergen"


def test_secondary_migration_is_scoped_and_filtered_by_period(movers):
    assert registry.run("sekundaerflytting", registry.ReportParams(), scope=TRONDHEIM).count == 0
    assert registry.run("sekundaerflytting", registry.ReportParams(), scope=BERGEN).count == 1
    p2025 = registry.ReportParams(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31))
    assert registry.run("sekundaerflytting", p2025, scope=None).count == 0


def test_settlement_not_by_agreement_is_not_secondary_migration(register, movers):
    s = m.Settlement.objects.current().get(person=movers["anne"])
    from nir.register import services

    services.correct(s, {"by_agreement": False}, "Selvbosatt", register.actor, at=at(2026, 6, 2))
    assert registry.run("sekundaerflytting", registry.ReportParams(), scope=None).count == 0


def test_two_years_is_counted_as_the_calendar_does(register):
    r = register
    # settled 29.02.2024; 28.02.2026 is within two years, 01.03.2026 is not
    inside = r.person(
        "Ina",
        "Inn",
        settled=dt.date(2024, 2, 29),
        follow_up_from=dt.date(2024, 2, 29),
        follow_up_to=dt.date(2026, 2, 27),
    )
    r.add(inside, m.FollowUp, {"municipality": "4601", "valid_from": dt.date(2026, 2, 28)}, at(2026, 3, 2))
    outside = r.person(
        "Ulf",
        "Ut",
        settled=dt.date(2024, 2, 29),
        follow_up_from=dt.date(2024, 2, 29),
        follow_up_to=dt.date(2026, 2, 28),
    )
    r.add(outside, m.FollowUp, {"municipality": "4601", "valid_from": dt.date(2026, 3, 1)}, at(2026, 3, 2))
    rows = registry.run("sekundaerflytting", registry.ReportParams(), scope=None).rows
    assert [r["duf"] for r in rows] == [inside.duf]


def test_secondary_migration_counts_both_laws(register):
    r = register
    # a § 28 permit decided in 2020: introduksjonsloven
    old_law = r.person(
        "Olga",
        "Eldre",
        permit=dt.date(2020, 6, 1),
        settled=dt.date(2025, 11, 1),
        follow_up_to=dt.date(2026, 5, 31),
    )
    r.add(old_law, m.FollowUp, {"municipality": "4601", "valid_from": dt.date(2026, 6, 1)}, at(2026, 6, 1))
    status = m.DerivedStatus.objects.current().get(person=old_law)
    assert status.law == "introduksjonsloven"
    assert registry.run("sekundaerflytting", registry.ReportParams(), scope=None).count == 0
    intro_law = registry.ReportParams(law="introduksjonsloven")
    assert registry.run("sekundaerflytting", intro_law, scope=None).count == 1
    counts = moves.secondary_migration(registry.ReportParams(), scope=None)
    assert [(c.from_municipality, c.to_municipality, c.moves) for c in counts] == [("5001", "4601", 1)]
