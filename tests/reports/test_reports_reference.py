"""The fast report queries against a plain reference computation, on a synthetic population.

The person list is read in the order of the name index and counted only up to a limit on the pages
(``ReportParams.count_limit``); here its rows, order and counts are compared with what a direct
computation over every person gives — the person's current names and derived status, the follow-up
period on ``as_of`` (``nir.register.history.follow_up_on``) and the person-page access rule
(``nir.access.persons.person_in_scope``) — on SQLite and on PostgreSQL (the suite's second pass).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from nir.access.persons import person_in_scope
from nir.access.scope import person_scope
from nir.register import models as m
from nir.register.history import follow_up_on, rows_for
from nir.reports import registry
from nir.reports.registry import ReportParams
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(db):
    call_command("synth", persons=400, seed=31, now="2026-11-20T12:00:00+01:00", quiet=True, stdout=io.StringIO())
    call_command("rules", "reevaluate", "--quiet", stdout=io.StringIO())
    return list(m.Person.objects.order_by("id"))


def _lower(text: str) -> str:
    # SQLite's lower() folds ASCII letters only; PostgreSQL's every letter (docs/reports.md)
    return (
        text.lower()
        if connection.vendor == "postgresql"
        else text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))
    )


def reference(persons, as_of: dt.date, user=None, law="integreringsloven") -> list[tuple]:
    """(duf, follow-up municipality on as_of, category) of the person list, in its order."""
    rows = rows_for([p.pk for p in persons], models=(m.PersonDetails, m.FollowUp, m.DerivedStatus))
    out = []
    for p in persons:
        mine = rows.get(p.pk, [])
        details = [r for r in mine if isinstance(r, m.PersonDetails)]
        status = [r for r in mine if isinstance(r, m.DerivedStatus)]
        fu = follow_up_on(mine, as_of)
        if not details or not status or status[0].law != law or fu is None:
            continue
        if user is not None and not person_in_scope(user, p):
            continue
        d = details[0]
        out.append(
            ((_lower(d.last_name), _lower(d.first_name), p.duf), (p.duf, fu.municipality, status[0].intro_category))
        )
    return [row for _key, row in sorted(out)]


def listed(result) -> list[tuple]:
    return [(r["duf"], r["follow_up_municipality"], r["category"]) for r in result.rows]


def test_person_list_is_the_reference_for_every_municipality_and_date(population, django_user_model):
    today = timezone.localdate()
    busiest = [
        k for k, _n in Counter(m.FollowUp.objects.current().values_list("municipality", flat=True)).most_common(4)
    ]
    users = [None] + [make_user(django_user_model, f"k-{k}-user", f"k-{k}") for k in busiest]
    for as_of in (today, dt.date(2025, 6, 30)):
        for user in users:
            expected = reference(population, as_of, user)
            scope = person_scope(user) if user else None
            result = registry.run("personliste", ReportParams(as_of=as_of), scope=scope)
            assert listed(result) == expected and result.count == len(expected)
            assert expected or user is None or as_of != today  # the busiest municipalities have persons today


@pytest.mark.parametrize("page_size, limit", [(7, 20), (50, 1000), (10, 10), (3, 1)])
def test_pages_with_a_count_limit_are_the_whole_list(population, page_size, limit):
    whole = listed(registry.run("personliste", ReportParams(), scope=None))
    assert len(whole) > 40
    pages, page = [], 1
    while True:
        result = registry.run(
            "personliste", ReportParams(page=page, page_size=page_size, count_limit=limit), scope=None
        )
        pages += listed(result)
        if result.count_exact:
            assert result.count == len(whole)
        else:
            assert limit < len(whole) and result.count > limit and result.count <= len(whole)
        if not result.has_next:
            break
        page += 1
        assert page < 500
    assert pages == whole
    assert (
        len(
            registry.run(
                "personliste", ReportParams(page=page + 3, page_size=page_size, count_limit=limit), scope=None
            ).rows
        )
        == 0
    )


# --- the national figures from each person's current facts (nir.register.person_facts) --------------


def test_person_facts_are_a_full_recomputation_after_the_load(population):
    from nir.register import person_facts

    assert m.PersonFacts.objects.count() > 0 and person_facts.differences() == []


@pytest.mark.parametrize(
    "year, as_of",
    [
        (2026, None),
        (2025, None),
        (2024, None),
        (2023, None),
        # reference dates inside a year: persons with rows on both sides of the date take the look-up branches
        (2026, dt.date(2026, 3, 15)),
        (2025, dt.date(2025, 6, 30)),
        (2024, dt.date(2024, 1, 1)),
    ],
)
def test_yearly_statistics_from_the_facts_equal_those_from_the_tables(population, django_user_model, year, as_of):
    from nir.reports import statistics

    users = [None, person_scope(make_user(django_user_model, "saksbehandler-0301", "k-0301"))]
    for params in (
        statistics.StatsParams(year=year, as_of=as_of, by="municipality"),
        statistics.StatsParams(year=year, as_of=as_of, area="0301"),
        statistics.StatsParams(year=year, as_of=as_of, area="46"),
    ):
        p = statistics.validate(params)
        for scope in users:
            from_facts = statistics._count_by_municipality(p, scope, facts=True)
            from_tables = statistics._count_by_municipality(p, scope, facts=False)
            assert from_facts == from_tables, (params, scope)
    # the population exercises the figures: something is counted in every figure nationally
    counted = statistics._count_by_municipality(
        statistics.validate(statistics.StatsParams(year=year, as_of=as_of)), None
    )
    assert sum(sum(cells.values()) for cells in counted.values()) > 0


def _ordered(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["municipality"], r["district"], r["category"]))


@pytest.mark.parametrize(
    "today", [dt.date(2026, 11, 20), dt.date(2026, 1, 2), dt.date(2025, 6, 30), dt.date(2027, 3, 1)]
)
def test_kommuner_figures_from_the_facts_equal_those_from_the_tables(population, django_user_model, today):
    from nir.reports import worklist

    numbers = sorted(set(m.FollowUp.objects.current().values_list("municipality", flat=True)))
    users = [None, person_scope(make_user(django_user_model, "saksbehandler-0301", "k-0301"))]
    for scope in users:
        ctx = worklist.Context(scope, today, timezone.now())
        for some in (numbers, numbers[:3]):
            for by_district in (False, True):
                from_facts = worklist.person_figures(ctx, some, by_district=by_district, facts=True)
                from_tables = worklist.person_figures(ctx, some, by_district=by_district, facts=False)
                assert _ordered(from_facts) == _ordered(from_tables), (scope, today, len(some), by_district)
                if scope is None and some is numbers:
                    assert sum(r["followed"] for r in from_facts) > 0
