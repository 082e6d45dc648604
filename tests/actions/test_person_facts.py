"""Each person's current facts (``register_personfacts``, ``nir.register.person_facts``) equal a full
recomputation from the register (the view ``register_personfacts_v``) after every kind of write:
register, correct, annul, a batch, an import, the Regelmotor's re-evaluation, a move of the
follow-up — on SQLite and PostgreSQL. A write path that left the table behind fails here."""

from __future__ import annotations

import datetime as dt

import pytest
from actions_support import ABSENCE
from test_imports import new_line, run_import, without_absences_and_goal

from nir import actions
from nir.register import models as m
from nir.register import person_facts

pytestmark = pytest.mark.django_db


def acting(user, channel="web"):
    return actions.Acting.for_user(user, channel=channel)


def assert_up_to_date():
    assert person_facts.differences() == []


def facts(person) -> m.PersonFacts:
    return m.PersonFacts.objects.get(person=person)


def test_the_check_fails_when_a_write_is_not_maintained(world):
    """The comparison itself can fail: a fact stored behind the triggers' back shows up."""
    assert_up_to_date()
    m.PersonFacts.objects.filter(person=world["anne"]).update(fu_municipality="0301")
    assert person_facts.differences() != []


def test_built_register_is_up_to_date(world):
    assert_up_to_date()
    f = facts(world["anne"])
    assert (f.fu_municipality, f.fu_count, f.law, f.goal) == ("5001", 1, "integreringsloven", "work_no_vgo_2026")
    assert facts(world["berit"]).fu_municipality == "4601"


@pytest.mark.parametrize(
    "model, values",
    [
        (m.FollowUp, {"municipality": "5001", "district": "", "valid_from": dt.date(2026, 2, 1), "valid_to": None}),
        (
            m.Settlement,
            {"municipality": "5001", "district": "", "settlement_date": dt.date(2026, 2, 1), "by_agreement": False},
        ),
        (m.ResidencePermit, {"basis": "utl_34", "decision_date": dt.date(2026, 1, 20)}),
        (m.FinalGoal, {"scheme": "intro", "goal": "work_vgo_2026"}),
        (
            m.Termination,
            {
                "scheme": "intro",
                "termination_type": "completed",
                "termination_reason": "work",
                "hours_work_per_week": None,
                "termination_date": dt.date(2026, 3, 1),
            },
        ),
        (
            m.Participation,
            {"scheme": "norwegian", "from_date": dt.date(2026, 1, 1), "to_date": dt.date(2026, 1, 31), "hours": 20},
        ),
        (
            m.Exam,
            {
                "scheme": "norwegian",
                "exam_type": "norwegian_oral",
                "exam_date": dt.date(2026, 2, 10),
                "result": "passed",
                "level": "B1",
            },
        ),
        (m.Absence, ABSENCE),  # not a source table: the derived status may change
    ],
)
def test_register(world, users, model, values):
    actions.register(acting(users["trondheim"]), world["anne"].duf, model, values)
    assert_up_to_date()


def test_move_of_follow_up_to_another_municipality(world, users):
    """The person moves: the Trondheim period ends, a Bergen one starts (a correction and a registration)."""
    anne = world["anne"]
    period = m.FollowUp.objects.current().get(person=anne)
    actions.register(
        acting(users["trondheim"]),
        anne.duf,
        m.FollowUp,
        {"municipality": "4601", "district": "", "valid_from": dt.date(2026, 2, 1), "valid_to": None},
    )
    assert_up_to_date()
    actions.correct(acting(users["bergen"]), period, {"valid_to": dt.date(2026, 1, 31)}, "Flyttet")
    assert_up_to_date()
    f = facts(anne)
    assert (f.fu_count, f.fu_municipality, f.fu_first, f.fu_from) == (2, "4601", period.valid_from, dt.date(2026, 2, 1))
    # On a day before the move the figures look the Trondheim period up (the facts hold the Bergen one).
    from django.utils import timezone

    from nir.reports import statistics, worklist

    for day, followed in (
        (dt.date(2026, 1, 15), {"5001": 2, "4601": 1}),
        (dt.date(2026, 3, 1), {"5001": 1, "4601": 2}),
    ):
        p = statistics.validate(statistics.StatsParams(year=2026, as_of=day, by="municipality"))
        from_facts = statistics._count_by_municipality(p, None, facts=True)
        assert from_facts == statistics._count_by_municipality(p, None, facts=False)
        ctx = worklist.Context(None, day, timezone.now())
        rows = worklist.person_figures(ctx, ["5001", "4601"], facts=True)
        assert sorted(rows, key=str) == sorted(worklist.person_figures(ctx, ["5001", "4601"], facts=False), key=str)
        assert {k: sum(r["followed"] for r in rows if r["municipality"] == k) for k in followed} == followed


def test_correct_and_annul(world, users):
    anne = world["anne"]
    settlement = m.Settlement.objects.current().get(person=anne)
    corrected = actions.correct(
        acting(users["trondheim"]), settlement, {"settlement_date": dt.date(2025, 12, 1)}, "Feil dato"
    ).row
    assert_up_to_date()
    assert facts(anne).st_last == dt.date(2025, 12, 1)
    actions.annul(acting(users["trondheim"]), corrected, "Feil")
    assert_up_to_date()
    assert facts(anne).st_last is None
    goal = m.FinalGoal.objects.current().get(person=anne)
    actions.annul(acting(users["trondheim"]), goal, "Feil")
    assert_up_to_date()
    assert facts(anne).goal is None


def test_batch(world, users):
    items = [
        actions.BatchItem(world["anne"].duf, m.Absence, ABSENCE),
        actions.BatchItem(
            world["tor"].duf,
            m.Termination,
            {
                "scheme": "norwegian",
                "termination_type": "completed",
                "termination_reason": "",
                "hours_work_per_week": None,
                "termination_date": dt.date(2026, 3, 1),
            },
        ),
        actions.BatchItem(
            world["anne"].duf,
            m.Exam,
            {
                "scheme": "norwegian",
                "exam_type": "norwegian_reading",
                "exam_date": dt.date(2026, 2, 10),
                "result": "failed",
                "level": "A2",
            },
        ),
    ]
    results = actions.register_batch(acting(users["trondheim"], "api"), items)
    assert all(r.accepted for r in results)
    assert_up_to_date()
    assert facts(world["tor"]).nte_first == dt.date(2026, 3, 1)


def test_import_new_persons_and_update(tmp_path, world):
    assert run_import(tmp_path, [new_line(world, "2026777001", "5001")])[1] is None
    assert_up_to_date()
    assert run_import(tmp_path, [without_absences_and_goal(world["anne"])], "--update")[1] is None
    assert_up_to_date()


def test_reevaluate(world):
    """Facts stored without evaluation (as a bulk load) and then the re-evaluation's new statuses and closures."""
    from nir.register import services
    from nir.register.actors import Actor
    from nir.testing.builders import at

    services.register(
        world["anne"],
        m.Decision,
        {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 20)},
        Actor.for_system("Testlast"),
        at=at(2026, 1, 21),
        evaluate=False,
    )
    assert actions.reevaluate(chunk=2).changed >= 1
    assert_up_to_date()


def test_every_column_is_read_from_one_source_table():
    """PostgreSQL's trigger of a table recomputes that table's columns only: each column has one table."""
    per_table = [c for t in person_facts.SOURCE_TABLES for c in person_facts.columns_of(t)]
    assert sorted(per_table) == sorted(person_facts.NAMES)
