"""The move action (``nir.actions.move``, issue 16 § 2): who may register a move, what it stores
(append-only: the old periods ended by corrections, new ones from the move date), what it refuses,
and what each municipality may read afterwards (``nir.access.persons``, ``nir.access.read``)."""

from __future__ import annotations

import datetime as dt

import pytest
from actions_support import ABSENCE, persons_of, write_events
from django.utils import timezone

from nir import actions
from nir.access.persons import PersonElsewhere, PersonNotFound, ReadOnly, find_person
from nir.access.read import find_person_for_reading, read_former
from nir.register import models as m
from nir.register.errors import RegistrationRefused

pytestmark = pytest.mark.django_db


def acting(user):
    return actions.Acting.for_user(user, channel="web")


def past(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def to_bergen(day: dt.date, **extra):
    return {"move_date": day, "municipality": "4601", "district": "", **extra}


def test_sending_municipality_moves_a_person_append_only(world, users):
    anne = world["anne"]
    [old] = m.FollowUp.objects.current().filter(person=anne)
    day = past(30)
    done = actions.move(acting(users["trondheim"]), anne.duf, to_bergen(day, address="Storgata 1", postal_code="5003"))
    # the old period is kept, superseded by a correction ending it the day before the move
    old.refresh_from_db()
    assert old.superseded_at is not None and old.valid_to is None
    ended = done.ended_follow_up
    assert (ended.operation, ended.supersedes_id, ended.valid_to) == ("correct", old.pk, day - dt.timedelta(days=1))
    assert "Flytting" in ended.change_reason
    periods = sorted(m.FollowUp.objects.current().filter(person=anne), key=lambda r: r.valid_from)
    assert [(r.municipality, r.valid_from, r.valid_to) for r in periods] == [
        ("5001", old.valid_from, day - dt.timedelta(days=1)),
        ("4601", day, None),
    ]
    [res] = m.Residence.objects.current().filter(person=anne)
    assert (res.municipality, res.address, res.valid_from) == ("4601", "Storgata 1", day)
    [event] = write_events()
    assert event.what == "move" and persons_of(event) == {anne.pk}
    # the Regelmotor judged the person after the move: a status is current
    assert m.DerivedStatus.objects.current().filter(person=anne).exists()


def test_a_previous_residence_is_ended_too(world, users):
    tor = world["tor"]
    actions.register(
        acting(users["trondheim"]),
        tor.duf,
        m.Residence,
        {"municipality": "5001", "district": "", "address": "Gata 2", "postal_code": "7010", "valid_from": past(400)},
    )
    day = past(10)
    done = actions.move(acting(users["imdi"]), tor.duf, to_bergen(day))
    assert done.ended_residence is not None and done.ended_residence.valid_to == day - dt.timedelta(days=1)
    current = sorted(m.Residence.objects.current().filter(person=tor), key=lambda r: r.valid_from)
    assert [(r.municipality, r.valid_to) for r in current] == [("5001", day - dt.timedelta(days=1)), ("4601", None)]


@pytest.mark.parametrize(
    "who, refusal",
    [("bergen", PersonElsewhere), ("governor", ReadOnly)],  # the receiving municipality; supervision only
)
def test_only_the_sending_municipality_and_imdi_register_a_move(world, users, who, refusal):
    with pytest.raises(refusal):
        actions.move(acting(users[who]), world["anne"].duf, to_bergen(past(5)))
    assert m.FollowUp.objects.current().filter(person=world["anne"]).count() == 1
    assert write_events() == []


def test_imdi_registers_a_move(world, users):
    done = actions.move(acting(users["imdi"]), world["berit"].duf, {"move_date": past(3), "municipality": "5001"})
    assert done.follow_up.municipality == "5001"


@pytest.mark.parametrize(
    "values, field, rule",
    [
        (to_bergen(dt.date(2025, 11, 1)), "move.move_date", "move_before_period_start"),
        (to_bergen(dt.date(2025, 10, 1)), "move.move_date", "no_follow_up"),
        ({"move_date": dt.date(2026, 3, 1), "municipality": "5001"}, "move.municipality", "same_municipality"),
        ({"move_date": dt.date(2026, 3, 1), "municipality": "9999"}, "move.municipality", "unknown_municipality"),
        ({"move_date": dt.date(2026, 3, 1), "municipality": ""}, "move.municipality", "required"),
        (
            {"move_date": dt.date(2026, 3, 1), "municipality": "4601", "district": "030101"},
            "move.district",
            "district_not_in_municipality",
        ),
    ],
)
def test_bad_moves_are_refused_and_store_nothing(world, users, values, field, rule):
    before = (m.FollowUp.objects.count(), m.Residence.objects.count())
    with pytest.raises(RegistrationRefused) as e:
        actions.move(acting(users["trondheim"]), world["anne"].duf, values)
    assert (field, rule) in {(p.field, p.rule) for p in e.value.problems}
    assert (m.FollowUp.objects.count(), m.Residence.objects.count()) == before
    assert write_events() == []


def test_a_move_ahead_is_registered_and_takes_effect_on_its_date(world, users):
    ahead = timezone.localdate() + dt.timedelta(days=30)
    actions.move(acting(users["trondheim"]), world["anne"].duf, to_bergen(ahead))
    assert find_person(users["trondheim"], world["anne"].duf) == world["anne"]  # still Trondheim's until then
    with pytest.raises(PersonElsewhere):
        find_person(users["bergen"], world["anne"].duf)
    with pytest.raises(RegistrationRefused) as e:
        actions.move(acting(users["imdi"]), world["tor"].duf, to_bergen(timezone.localdate() + dt.timedelta(days=400)))
    assert "move_too_far_ahead" in {p.rule for p in e.value.problems}


def test_a_second_move_before_the_first_is_refused(world, users):
    actions.move(acting(users["trondheim"]), world["anne"].duf, to_bergen(past(10)))
    with pytest.raises(RegistrationRefused) as e:
        actions.move(acting(users["imdi"]), world["anne"].duf, {"move_date": past(20), "municipality": "0301"})
    assert "later_follow_up" in {p.rule for p in e.value.problems}


def test_after_the_move_the_new_municipality_follows_up_and_the_old_reads_only_its_history(world, users):
    anne = world["anne"]
    trondheim, bergen = users["trondheim"], users["bergen"]
    actions.register(acting(trondheim), anne.duf, m.Absence, ABSENCE)  # before the move
    actions.move(acting(trondheim), anne.duf, to_bergen(past(1), address="Nye gate 5"))
    # the receiving municipality sees and registers on the person now
    assert find_person(bergen, anne.duf) == anne
    later = dict(ABSENCE, from_date=dt.date(2026, 4, 6), to_date=dt.date(2026, 4, 7))
    new = actions.register(acting(bergen), anne.duf, m.Absence, later).row
    # the sending municipality may not register any more: it is told the person moved (no municipality named)
    with pytest.raises(PersonElsewhere) as e:
        actions.register(acting(trondheim), anne.duf, m.Absence, later)
    assert e.value.former is not None and "4601" not in str(e.value) and "Bergen" not in str(e.value)
    # … and reads what was registered until the transfer, nothing after it
    person, rows, former = find_person_for_reading(trondheim, anne.duf)
    assert person == anne and former is not None and former.moved_on == past(1)
    absences = [r for r in rows if isinstance(r, m.Absence)]
    assert [r.from_date for r in absences] == [ABSENCE["from_date"]] and new.pk not in {r.pk for r in absences}
    assert {r.municipality for r in rows if isinstance(r, (m.FollowUp, m.Residence))} == {"5001"}
    read = read_former(trondheim, person, rows, former)
    assert read.follow_up is not None and read.follow_up.municipality == "5001"
    # the receiving municipality's own read is the whole person
    person_b, rows_b, former_b = find_person_for_reading(bergen, anne.duf)
    assert former_b is None and new.pk in {r.pk for r in rows_b if isinstance(r, m.Absence)}


def test_unknown_duf_and_another_municipality_differ(world, users):
    with pytest.raises(PersonNotFound) as unknown:
        find_person(users["trondheim"], "999999999999")
    assert not isinstance(unknown.value, PersonElsewhere)
    with pytest.raises(PersonElsewhere) as elsewhere:
        find_person(users["trondheim"], world["berit"].duf)
    assert elsewhere.value.former is None
    assert "annen kommune" in str(elsewhere.value) and "Bergen" not in str(elsewhere.value)
    assert "4601" not in str(elsewhere.value) and "Berit" not in str(elsewhere.value)
