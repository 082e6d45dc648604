"""The registration actions (``nir.actions``): each checks access, writes and records exactly one
audit event naming the persons written, in one transaction — an audit failure rolls the write back,
and a refused write (by access or by the Regelmotor) leaves no audit event."""

from __future__ import annotations

import datetime as dt

import pytest
from actions_support import ABSENCE, fail_audit, persons_of, write_events

from nir import actions
from nir.access.persons import PersonNotFound, ReadOnly
from nir.register import models as m
from nir.register.errors import RegistrationRefused

pytestmark = pytest.mark.django_db


def acting(user, channel="web"):
    return actions.Acting.for_user(user, channel=channel)


def counts():
    return (m.Absence.objects.count(), m.DerivedStatus.objects.count(), m.Termination.objects.count())


def test_register_records_one_event_naming_the_person(world, users):
    outcome = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE)
    assert outcome.row.pk and outcome.row.registered_by_user_id == users["trondheim"].pk
    [event] = write_events()
    assert persons_of(event) == {world["anne"].pk} and event.person_count == 1
    assert (event.user_id, event.channel, event.what, event.organisation.code) == (
        users["trondheim"].pk,
        "web",
        "absences",
        "k-5001",
    )


def test_values_are_read_only_after_the_access_check(world, users):
    """A function of values is called after the access check: an outside person is not found
    whatever the values (as the API answers)."""

    def values():
        raise AssertionError("values read before the access check")

    with pytest.raises(PersonNotFound):
        actions.register(acting(users["trondheim"]), world["berit"].duf, m.Absence, values)


@pytest.mark.parametrize(
    "who, person, refusal",
    [
        ("trondheim", "berit", PersonNotFound),  # outside the scope: not found
        ("bergen", "anne", PersonNotFound),
        ("governor", "anne", ReadOnly),  # supervision: may read Trondheim's persons, not register
    ],
)
def test_refused_actor_writes_nothing_and_is_not_audited(world, users, who, person, refusal):
    before = counts()
    with pytest.raises(refusal):
        actions.register(acting(users[who]), world[person].duf, m.Absence, ABSENCE)
    assert counts() == before and write_events() == []


def test_unknown_duf_is_not_found(world, users):
    with pytest.raises(PersonNotFound):
        actions.register(actions.Acting.system("Testsystem"), "999999999999", m.Absence, ABSENCE)


def test_registration_refused_by_the_regelmotor_leaves_no_event(world, users):
    before = counts()
    with pytest.raises(RegistrationRefused):
        actions.register(
            acting(users["trondheim"]), world["anne"].duf, m.Absence, {**ABSENCE, "to_date": dt.date(2026, 3, 1)}
        )  # ends before it starts
    assert counts() == before and write_events() == []


def test_audit_failure_rolls_the_write_back(world, users, monkeypatch):
    status = m.DerivedStatus.objects.current().get(person=world["anne"])
    before = counts()
    fail_audit(monkeypatch)
    with pytest.raises(RuntimeError):
        actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE)
    assert counts() == before
    assert m.DerivedStatus.objects.current().get(person=world["anne"]).pk == status.pk


def test_audit_failure_rolls_back_inside_a_callers_transaction(world, users, monkeypatch):
    """Nested in a caller's transaction (an import batch), the action's savepoint goes: the caller's
    transaction is left as it was."""
    from django.db import transaction

    before = counts()
    fail_audit(monkeypatch)
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE)
        assert counts() == before
    assert counts() == before


def test_create_person_records_one_event(world, users):
    from nir import identity
    from nir.testing.builders import synthetic_id

    duf = identity.make_duf("2026555001")
    outcome = actions.create_person(
        acting(users["trondheim"]),
        duf,
        {
            "national_id": synthetic_id(dt.date(1991, 2, 3)),
            "first_name": "Ny",
            "last_name": "Person",
            "birth_date": dt.date(1991, 2, 3),
            "sex": "male",
            "education": "",
            "protected_identity": False,
        },
    )
    [event] = write_events()
    assert persons_of(event) == {outcome.row.pk} and event.what == "person:create"


def test_create_person_needs_the_permission_to_register(world, users):
    from nir import identity

    with pytest.raises(ReadOnly):
        actions.create_person(acting(users["governor"]), identity.make_duf("2026555002"), {})
    assert not m.Person.objects.filter(duf=identity.make_duf("2026555002")).exists() and write_events() == []


def test_correct_and_annul_record_one_event_each(world, users):
    absence = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE).row
    corrected = actions.correct(acting(users["trondheim"]), absence, {"to_date": dt.date(2026, 3, 4)}, "Feil dato").row
    actions.annul(acting(users["trondheim"]), corrected, "Registrert på feil person")
    events = write_events()
    assert [e.what for e in events] == ["absences", "absences:correct", "absences:annul"]
    assert all(persons_of(e) == {world["anne"].pk} for e in events)


def test_correct_outside_the_scope_is_refused(world, users):
    details = m.PersonDetails.objects.current().get(person=world["berit"])
    with pytest.raises(PersonNotFound):
        actions.correct(acting(users["trondheim"]), details, {"last_name": "Annen"}, "Feil")
    with pytest.raises(PersonNotFound):
        actions.annul(acting(users["trondheim"]), m.Settlement.objects.current().get(person=world["berit"]), "Feil")
    assert m.PersonDetails.objects.current().get(person=world["berit"]).last_name == "Berg"
    assert write_events() == []


def test_batch_records_one_event_naming_the_persons_written(world, users):
    items = [
        actions.BatchItem(world["anne"].duf, m.Absence, ABSENCE),
        actions.BatchItem(world["tor"].duf, m.Absence, ABSENCE),
        actions.BatchItem(world["berit"].duf, m.Absence, ABSENCE),  # outside the scope
        actions.BatchItem(world["anne"].duf, m.Absence, {**ABSENCE, "to_date": dt.date(2026, 3, 1)}),
    ]
    results = actions.register_batch(acting(users["trondheim"], "api"), items, filters={"mode": "partial"})
    assert [r.accepted for r in results] == [True, True, False, False]
    assert isinstance(results[2].error, PersonNotFound) and isinstance(results[3].error, RegistrationRefused)
    [event] = write_events()
    assert persons_of(event) == {world["anne"].pk, world["tor"].pk} and event.what == "batch"
    assert event.filters == {"mode": "partial", "items": 4, "registrations": 2}


def test_batch_refused_entirely_leaves_no_event(world, users):
    results = actions.register_batch(
        acting(users["governor"], "api"), [actions.BatchItem(world["anne"].duf, m.Absence, ABSENCE)]
    )
    assert isinstance(results[0].error, ReadOnly) and write_events() == []


def test_batch_audit_failure_rolls_every_item_back(world, users, monkeypatch):
    before = counts()
    fail_audit(monkeypatch)
    with pytest.raises(RuntimeError):
        actions.register_batch(
            acting(users["trondheim"], "api"),
            [
                actions.BatchItem(world["anne"].duf, m.Absence, ABSENCE),
                actions.BatchItem(world["tor"].duf, m.Absence, ABSENCE),
            ],
        )
    assert counts() == before


def test_reevaluate_records_one_event_per_chunk_naming_the_persons_written(world):
    """Facts stored without evaluation (as the bulk loads store them) change anne's and berit's status
    (and anne's an automatic closure): each chunk's writes and its event commit together; a dry run
    stores neither."""
    from nir.register import services
    from nir.register.actors import Actor
    from nir.testing.builders import at

    for key in ("anne", "berit"):
        services.register(
            world[key],
            m.Decision,
            {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 20)},
            Actor.for_system("Testlast"),
            at=at(2026, 1, 21),
            evaluate=False,
        )
    before = counts()
    actions.reevaluate(chunk=2, dry_run=True)
    assert counts() == before and write_events() == []
    report = actions.reevaluate(chunk=2)
    events = write_events()
    assert len(events) == 2  # anne and tor in the first chunk of two persons, berit in the second
    assert [persons_of(e) for e in events] == [{world["anne"].pk}, {world["berit"].pk}]
    assert report.changed == 2 and report.closures_created >= 1  # anne took part: her programme closes
    assert {(e.system, e.what, e.channel) for e in events} == {("Regelmotor", "rules:reevaluate", "system")}


def test_reevaluate_by_a_user_who_does_not_see_the_whole_register_is_refused(world, users):
    from nir.access.persons import AccessRefused

    with pytest.raises(AccessRefused):
        actions.reevaluate(acting(users["trondheim"], "command"), as_of=dt.date(2026, 12, 1))
    assert write_events() == []
