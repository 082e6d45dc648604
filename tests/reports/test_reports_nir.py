"""The three NIR reports (reports.md; issue 4): rows, filters, as-of/known-at, sorting and paging,
on the hand-made register of the ``world`` fixture (conftest.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import at
from nir.reports import registry
from nir.reports.registry import ReportError, ReportParams

pytestmark = pytest.mark.django_db


def run(report_id, **params):
    return registry.run(report_id, ReportParams(**params), scope=None)


def last_names(result):
    return [r["last_name"] for r in result.rows]


def test_registry_has_the_three_reports_with_the_titles_of_reports_md():
    assert list(registry.REPORTS) == [
        "avsluttet-intro",
        "avvik-sluttmaal",
        "bortfall-arbeid",
        "personliste",
        "sekundaerflytting",  # issue 16 § 2
    ]
    assert registry.get("avsluttet-intro").title == "Deltakere som har avsluttet introduksjonsprogram"
    assert registry.get("avvik-sluttmaal").title == (
        "Personer i introduksjonsprogram med avvik i registrering av sluttmål"
    )
    assert registry.get("bortfall-arbeid").title == (
        "Personer som mistet rett og plikt til introduksjonsprogram grunnet arbeid/tilbud om arbeid over 30 timer"
    )
    for d in registry.REPORTS.values():
        assert d.help_text and d.definition
        assert [c.key for c in d.columns][:6] == [
            "duf",
            "first_name",
            "last_name",
            "follow_up_municipality",
            "follow_up_district",
            "category",
        ]
    with pytest.raises(ReportError):
        registry.get("personlister")


# --- avvik-sluttmaal -------------------------------------------------------------------


def test_avvik_sluttmaal_rows_now(world):
    result = run("avvik-sluttmaal")
    assert result.count == 4
    assert last_names(result) == ["Aas", "Bergh", "Gran", "Ild"]  # Dahl corrected, Eng without deviation
    anne = result.rows[0]
    assert anne == {
        "duf": world["anne"].duf,
        "first_name": "Anne",
        "last_name": "Aas",
        "follow_up_municipality": "4601",
        "follow_up_district": "",
        "category": "right_and_duty",
        "deviations": ["final_goal_missing"],
        "intro_start_date": dt.date(2026, 1, 5),
    }
    assert result.rows[1]["deviations"] == ["final_goal_2026_before_2026_start"]
    assert result.rows[1]["intro_start_date"] == dt.date(2025, 12, 1)


def test_avvik_sluttmaal_as_known_before_a_late_registration_and_a_correction(world):
    # 01.02.2026: Frida's participation decision (01.03) not yet registered, Cecilie's goal not yet corrected
    before = run("avvik-sluttmaal", known_at=at(2026, 2, 1))
    assert last_names(before) == ["Aas", "Berg", "Dahl", "Ild"]  # Berg: renamed only on 01.04
    assert before.rows[2]["deviations"] == ["final_goal_expired"]
    after = run("avvik-sluttmaal", known_at=at(2026, 3, 1, 13))
    assert last_names(after) == ["Aas", "Berg", "Gran", "Ild"]
    # one minute before the correction and the late registration (both at 12:00)
    assert last_names(run("avvik-sluttmaal", known_at=at(2026, 3, 1, 11, 59))) == ["Aas", "Berg", "Dahl", "Ild"]


@pytest.mark.parametrize(
    "avvik, known_at, expected",
    [
        ("final_goal_missing", None, ["Aas", "Gran", "Ild"]),
        ("final_goal_2026_before_2026_start", None, ["Bergh"]),
        ("final_goal_expired", None, []),
        ("final_goal_expired", at(2026, 2, 1), ["Dahl"]),
    ],
)
def test_avvik_filter(world, avvik, known_at, expected):
    result = run("avvik-sluttmaal", avvik=avvik, known_at=known_at)
    assert last_names(result) == expected and result.count == len(expected)


def test_avvik_sluttmaal_under_introduksjonsloven_is_a_separate_report(world):
    # Gunnar Holm (introduksjonsloven) has a participation decision but no deviation is derived for him
    assert run("avvik-sluttmaal", law="introduksjonsloven").count == 0
    assert "Holm" not in last_names(run("avvik-sluttmaal"))


# --- bortfall-arbeid -------------------------------------------------------------------


def test_bortfall_arbeid_rows_and_as_of(world):
    result = run("bortfall-arbeid")
    assert [(r["last_name"], r["decision_date"], r["category"]) for r in result.rows] == [
        ("Fjell", dt.date(2026, 1, 5), "none"),
        ("Jensen", dt.date(2026, 3, 2), "none"),
    ]
    assert result.rows[0]["follow_up_municipality"] == "0301" and result.rows[0]["follow_up_district"] == "030101"
    assert last_names(run("bortfall-arbeid", as_of=dt.date(2026, 2, 1))) == ["Fjell"]  # Ivar's decision is later
    assert last_names(run("bortfall-arbeid", known_at=at(2026, 3, 2))) == ["Fjell"]  # registered 03.03
    assert last_names(run("bortfall-arbeid", known_at=at(2026, 3, 3, 13))) == ["Fjell", "Jensen"]
    assert run("bortfall-arbeid", law="introduksjonsloven").count == 0
    assert run("bortfall-arbeid", category="right_and_duty").count == 0  # the loss leaves category «none»
    assert run("bortfall-arbeid", category="none").count == 2


def test_bortfall_arbeid_annulled_decision_leaves_the_report(world, register):
    from nir.register import models as m
    from nir.register import services

    decision = m.Decision.objects.current().get(person=world["ivar"], decision_type="loss_due_to_work")
    services.annul(decision, "Registrert på feil person", register.actor, at=at(2026, 4, 1))
    assert last_names(run("bortfall-arbeid")) == ["Fjell"]
    assert last_names(run("bortfall-arbeid", known_at=at(2026, 3, 31))) == ["Fjell", "Jensen"]
    # the Regelmotor's closure is annulled with it
    assert last_names(run("avsluttet-intro")) == ["Eng", "Fjell"]


# --- avsluttet-intro -------------------------------------------------------------------


def test_avsluttet_intro_one_row_per_termination(world):
    result = run("avsluttet-intro")
    assert [
        (
            r["last_name"],
            r["termination_type"],
            r["termination_reason"],
            r["termination_date"],
            r["hours_work_per_week"],
        )
        for r in result.rows
    ] == [
        ("Eng", "completed", "work", dt.date(2026, 6, 30), Decimal("37.5")),
        ("Fjell", "aborted", "loss_due_to_work", dt.date(2026, 1, 5), None),
        ("Jensen", "aborted", "loss_due_to_work", dt.date(2026, 3, 2), None),
    ]
    holm = run("avsluttet-intro", law="introduksjonsloven")
    assert holm.count == 2 and [r["termination_date"] for r in holm.rows] == [dt.date(2020, 3, 1), dt.date(2021, 6, 30)]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"date_from": dt.date(2026, 2, 1), "date_to": dt.date(2026, 12, 31)}, ["Eng", "Jensen"]),
        ({"date_from": dt.date(2026, 1, 5), "date_to": dt.date(2026, 1, 5)}, ["Fjell"]),
        ({"date_to": dt.date(2026, 3, 1)}, ["Fjell"]),
        ({"termination_type": "completed"}, ["Eng"]),
        ({"reason": "loss_due_to_work"}, ["Fjell", "Jensen"]),
        ({"known_at": at(2026, 6, 30)}, ["Fjell", "Jensen"]),  # David's termination registered 01.07
        ({"municipality": "5001"}, ["Eng", "Jensen"]),
        ({"municipality": "030101"}, ["Fjell"]),
        ({"municipality": "030102"}, []),
    ],
)
def test_avsluttet_intro_filters(world, params, expected):
    result = run("avsluttet-intro", **params)
    assert last_names(result) == expected and result.count == len(expected)


# --- common filters --------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"municipality": "5001"}, ["Bergh", "Gran"]),  # Anne moved to Bergen from 01.06
        ({"municipality": "4601"}, ["Aas", "Ild"]),
        ({"municipality": "5001", "as_of": dt.date(2026, 5, 1)}, ["Aas", "Bergh", "Gran"]),
        ({"municipality": "4601", "as_of": dt.date(2026, 5, 1)}, ["Ild"]),
        ({"municipality": "0301", "known_at": at(2026, 2, 1)}, ["Dahl"]),
        ({"municipality": "030102", "known_at": at(2026, 2, 1)}, ["Dahl"]),
        ({"municipality": "030101", "known_at": at(2026, 2, 1)}, []),
        ({"category": "right_and_duty"}, ["Aas", "Bergh", "Gran", "Ild"]),
        ({"category": "may_be_offered"}, []),
        ({"name": "AN"}, ["Aas", "Gran", "Ild"]),  # Anne, Gran, Hanne: first or last name, any case
        ({"name": "bergh"}, ["Bergh"]),
        ({"name": "bergh", "known_at": at(2026, 3, 31)}, []),  # renamed 01.04
        ({"name": "berg", "known_at": at(2026, 3, 31)}, ["Berg"]),
    ],
)
def test_common_filters(world, params, expected):
    result = run("avvik-sluttmaal", **params)
    assert last_names(result) == expected and result.count == len(expected)


def test_duf_search(world):
    result = run("avvik-sluttmaal", duf=world["hanne"].duf)
    assert result.count == 1 and result.rows[0]["first_name"] == "Hanne"
    assert run("avvik-sluttmaal", duf=world["david"].duf).count == 0
    assert run("avsluttet-intro", duf=world["gunnar"].duf, law="introduksjonsloven").count == 2


def test_sorting_and_paging(world):
    assert last_names(run("avvik-sluttmaal", sort="-last_name")) == ["Ild", "Gran", "Bergh", "Aas"]
    # start 01.12.2025, 05.01 (Aas, Ild: then by name), 02.02.2026
    assert last_names(run("avvik-sluttmaal", sort="intro_start_date")) == ["Bergh", "Aas", "Ild", "Gran"]
    assert last_names(run("avvik-sluttmaal", sort="-intro_start_date")) == ["Gran", "Aas", "Ild", "Bergh"]
    assert last_names(run("avsluttet-intro", sort="-termination_date")) == ["Eng", "Jensen", "Fjell"]
    assert last_names(run("avsluttet-intro", sort="hours_work_per_week")) == ["Eng", "Fjell", "Jensen"]
    assert last_names(run("avvik-sluttmaal", sort="first_name")) == ["Aas", "Bergh", "Gran", "Ild"]
    page = run("avvik-sluttmaal", page=2, page_size=3)
    assert page.count == 4 and last_names(page) == ["Ild"]
    page = run("avvik-sluttmaal", page=1, page_size=3, sort="-last_name")
    assert page.count == 4 and last_names(page) == ["Ild", "Gran", "Bergh"]
    assert last_names(run("avvik-sluttmaal", page=3, page_size=3)) == []


@pytest.mark.parametrize(
    "report_id, params",
    [
        ("avvik-sluttmaal", {"law": "utlendingsloven"}),
        ("avvik-sluttmaal", {"municipality": "50011"}),
        ("avvik-sluttmaal", {"category": "duty"}),
        ("avvik-sluttmaal", {"avvik": "final_goal_late"}),
        ("avvik-sluttmaal", {"date_from": dt.date(2026, 1, 1)}),  # a filter of avsluttet-intro
        ("bortfall-arbeid", {"avvik": "final_goal_missing"}),
        ("avsluttet-intro", {"date_from": dt.date(2026, 2, 1), "date_to": dt.date(2026, 1, 1)}),
        ("avsluttet-intro", {"termination_type": "finished"}),
        ("avsluttet-intro", {"reason": "bored"}),
        ("avsluttet-intro", {"sort": "deviations"}),
        ("avvik-sluttmaal", {"page_size": 0}),
        ("avvik-sluttmaal", {"known_at": dt.datetime(2026, 2, 1, 12)}),  # no time zone
    ],
)
def test_invalid_parameters_are_refused_not_ignored(report_id, params):
    with pytest.raises(ReportError):
        run(report_id, **params)


def test_report_is_computed_in_one_query_per_page(world, django_assert_max_num_queries):
    result = run("avvik-sluttmaal", municipality="5001", name="R", sort="-intro_start_date")
    with django_assert_max_num_queries(1):
        rows = result.rows
    assert [r["last_name"] for r in rows] == ["Gran", "Bergh"]  # Frida, Bjorn
