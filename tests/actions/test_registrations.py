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


# --- correcting and annulling a registration found by its id ----------------------------------------


def test_correct_registration_supersedes_the_version_and_records_one_event(world, users):
    absence = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE).row
    new = actions.correct_registration(
        acting(users["trondheim"]), world["anne"].duf, m.Absence, absence.pk, {"to_date": dt.date(2026, 3, 4)}, "Feil"
    ).row
    absence.refresh_from_db()
    assert absence.superseded_at is not None and new.supersedes_id == absence.pk and new.change_reason == "Feil"
    assert (new.to_date, new.operation, new.registered_by_user_id) == (
        dt.date(2026, 3, 4),
        m.Operation.CORRECT,
        users["trondheim"].pk,
    )
    tomb = actions.annul_registration(acting(users["trondheim"]), world["anne"].duf, m.Absence, new.pk, "Feil person")
    assert tomb.row.operation == m.Operation.ANNUL and tomb.row.change_reason == "Feil person"
    assert not m.Absence.objects.current().filter(person=world["anne"]).exists()
    assert [e.what for e in write_events()] == ["absences", "absences:correct", "absences:annul"]


def test_changes_are_computed_from_the_current_row_after_the_access_check(world, users):
    absence = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE).row

    def changes(row):
        raise AssertionError("the row was read before the access check")

    with pytest.raises(PersonNotFound):
        actions.correct_registration(acting(users["bergen"]), world["anne"].duf, m.Absence, absence.pk, changes, "x")
    seen = []
    actions.correct_registration(
        acting(users["trondheim"]),
        world["anne"].duf,
        m.Absence,
        absence.pk,
        lambda row: seen.append(row.pk) or {"kind": "leave"},
        "Feil type",
    )
    assert seen == [absence.pk] and m.Absence.objects.current().get(person=world["anne"]).kind == "leave"


@pytest.mark.parametrize("operation", ["correct", "annul"])
def test_a_version_no_longer_current_is_a_conflict_and_nothing_is_written(world, users, operation):
    """Correcting or annulling a stale version (corrected, or annulled, since the form was opened)
    is refused: the caseworker must see the current version first."""
    from nir.register.errors import ConcurrentChange

    who = acting(users["trondheim"])
    duf = world["anne"].duf
    absence = actions.register(who, duf, m.Absence, ABSENCE).row
    newer = actions.correct_registration(who, duf, m.Absence, absence.pk, {"kind": "leave"}, "Feil").row
    tomb = actions.annul_registration(who, duf, m.Absence, newer.pk, "Feil person").row
    before = (m.Absence.objects.count(), len(write_events()))
    for stale in (absence.pk, newer.pk, tomb.pk):  # superseded, superseded by an annulment, the annulment
        with pytest.raises(ConcurrentChange) as e:
            if operation == "correct":
                actions.correct_registration(who, duf, m.Absence, stale, {"kind": "time_off"}, "Igjen")
            else:
                actions.annul_registration(who, duf, m.Absence, stale, "Igjen")
        assert [p.rule for p in e.value.problems] == ["already_superseded"]
    assert (m.Absence.objects.count(), len(write_events())) == before


def test_an_annulment_row_cannot_be_corrected_back_to_life(world, users):
    """The register's storage itself refuses to supersede an annulment (it has no superseded_at)."""
    from nir.register import services
    from nir.register.errors import ConcurrentChange

    absence = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE).row
    tomb = actions.annul(acting(users["trondheim"]), absence, "Feil person").row
    with pytest.raises(ConcurrentChange):
        services.correct(tomb, {"kind": "leave"}, "Tilbake", acting(users["trondheim"]).actor)
    with pytest.raises(ConcurrentChange):
        services.annul(tomb, "Igjen", acting(users["trondheim"]).actor)
    assert not m.Absence.objects.current().filter(person=world["anne"]).exists()


def test_a_registration_of_another_person_or_kind_is_not_found(world, users):
    from nir.register.errors import RegistrationNotFound

    absence = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE).row
    with pytest.raises(RegistrationNotFound):  # tor's DUF number, anne's row
        actions.annul_registration(acting(users["trondheim"]), world["tor"].duf, m.Absence, absence.pk, "Feil")
    with pytest.raises(RegistrationNotFound):  # anne's DUF number, no decision with that id
        actions.annul_registration(acting(users["trondheim"]), world["anne"].duf, m.Measure, absence.pk, "Feil")
    assert m.Absence.objects.current().filter(pk=absence.pk).exists() and len(write_events()) == 1


@pytest.mark.parametrize(
    "who, refusal",
    [("bergen", PersonNotFound), ("governor", ReadOnly)],
)
def test_correct_and_annul_registration_refused_by_access_write_nothing(world, users, who, refusal):
    absence = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE).row
    before = (m.Absence.objects.count(), len(write_events()))
    with pytest.raises(refusal):
        actions.correct_registration(
            acting(users[who]), world["anne"].duf, m.Absence, absence.pk, {"kind": "leave"}, "Feil"
        )
    with pytest.raises(refusal):
        actions.annul_registration(acting(users[who]), world["anne"].duf, m.Absence, absence.pk, "Feil")
    with pytest.raises(refusal):  # an id that does not exist: the same refusal, nothing revealed
        actions.annul_registration(acting(users[who]), world["anne"].duf, m.Absence, 999_999, "Feil")
    assert (m.Absence.objects.count(), len(write_events())) == before


def test_a_reason_is_required(world, users):
    absence = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE).row
    for reason in ("", "   "):
        with pytest.raises(RegistrationRefused) as e:
            actions.correct_registration(
                acting(users["trondheim"]), world["anne"].duf, m.Absence, absence.pk, {"kind": "leave"}, reason
            )
        assert [(p.field, p.rule) for p in e.value.problems] == [("reason", "reason_required")]
        with pytest.raises(RegistrationRefused) as e:
            actions.annul_registration(acting(users["trondheim"]), world["anne"].duf, m.Absence, absence.pk, reason)
        assert [(p.field, p.rule) for p in e.value.problems] == [("reason", "reason_required")]
    assert len(write_events()) == 1


def test_a_correction_the_regelmotor_refuses_is_not_stored(world, users):
    """A correction that makes the person's facts invalid is refused with the rule's message, as a
    new registration would be: here a participation decision moved to before the person's decision
    on loss of the right due to work."""
    who = acting(users["trondheim"])
    tor = world["tor"].duf
    loss = {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 3, 2)}
    actions.register(who, tor, m.Decision, loss)
    start = dt.date(2026, 4, 1)
    participation = {"scheme": "intro", "decision_type": "participation", "decision_date": start, "start_date": start}
    row = actions.register(who, tor, m.Decision, participation).row
    before = (m.Decision.objects.count(), len(write_events()))
    earlier = {"decision_date": dt.date(2026, 2, 2), "start_date": dt.date(2026, 2, 2)}
    with pytest.raises(RegistrationRefused) as e:
        actions.correct_registration(who, tor, m.Decision, row.pk, earlier, "Dato")
    assert [p.rule for p in e.value.problems] == ["loss_due_to_work_after_participation"]
    assert (m.Decision.objects.count(), len(write_events())) == before
    assert m.Decision.objects.current().get(pk=row.pk).decision_date == start


def test_a_correction_that_changes_nothing_is_refused(world, users):
    absence = actions.register(acting(users["trondheim"]), world["anne"].duf, m.Absence, ABSENCE).row
    with pytest.raises(RegistrationRefused) as e:
        actions.correct_registration(
            acting(users["trondheim"]), world["anne"].duf, m.Absence, absence.pk, {"kind": "time_off"}, "Ingenting"
        )
    assert [p.rule for p in e.value.problems] == ["no_change"]
    assert m.Absence.objects.get(pk=absence.pk).superseded_at is None and len(write_events()) == 1
