"""History that cannot be lost (overview.md, "The register remembers"; regelmotor.md § 8).

Corrections supersede, never overwrite; annulments hide a fact from the
current register but not from the register as known before; late
registrations are invisible before they were made; the whole register can be
read as known at any time.
"""

from __future__ import annotations

import datetime as dt

import pytest
from register_support import T0, at

from nir.register import history, services
from nir.register import models as m
from nir.register.actors import REGELMOTOR, Actor
from nir.register.errors import RegistrationRefused


@pytest.mark.django_db
def test_create_person_records_anchor_details_and_actor(make_person, user):
    """Every registration records who registered it, when, and from which source (overview.md)."""
    person = make_person(first_name="Kari")
    assert person.recorded_at == T0
    assert person.source_system == "NIR-test"
    details = m.PersonDetails.objects.current().get(person=person)
    assert details.first_name == "Kari"
    assert details.recorded_at == T0
    assert details.operation == m.Operation.CREATE
    assert details.registered_by_kind == m.ActorKind.USER
    assert details.registered_by_user_id == user.pk
    assert details.registered_by_label == user.username
    assert details.superseded_at is None and details.supersedes_id is None


@pytest.mark.django_db
def test_correction_supersedes_and_old_value_stays_readable(participant, actor, other_actor, user, other_user):
    """A correction is a new row pointing at the one it replaces; the old value is still
    readable as known before the correction (overview.md: corrections supersede, never overwrite)."""
    person, rows = participant
    old = rows["final_goal"]
    t_corr = at(2026, 3, 1)
    new = services.correct(old, {"goal": "work_vgo_2026"}, "  Feil sluttmål registrert  ", other_actor, at=t_corr).row

    old.refresh_from_db()
    # the old row: untouched except its registration time is closed
    assert old.goal == "work_no_vgo_2026"
    assert old.superseded_at == t_corr
    assert old.operation == m.Operation.CREATE
    assert old.registered_by_user_id == user.pk
    assert old.source_system == "NIR-test"
    # the correction row: reason, supersedes, its own registrant and source
    assert new.operation == m.Operation.CORRECT
    assert new.supersedes_id == old.pk
    assert new.change_reason == "Feil sluttmål registrert"
    assert new.registered_by_user_id == other_user.pk
    assert new.source_system == "NIR"
    assert new.recorded_at == t_corr
    assert new.superseded_at is None
    # unchanged fields are carried over
    assert new.scheme == "intro"

    # current() vs known_at(t) on the model manager
    assert list(m.FinalGoal.objects.current().filter(person=person).values_list("goal", flat=True)) == ["work_vgo_2026"]
    before = at(2026, 2, 15)
    assert list(m.FinalGoal.objects.known_at(before).filter(person=person).values_list("goal", flat=True)) == [
        "work_no_vgo_2026"
    ]
    # at the very moment of the correction the new value is known, the old is not
    assert list(m.FinalGoal.objects.known_at(t_corr).filter(person=person).values_list("goal", flat=True)) == [
        "work_vgo_2026"
    ]

    # the same through history.snapshot (interchange format)
    assert history.snapshot(person, known_at=before)["facts"]["final_goal"] == "work_no_vgo_2026"
    assert history.snapshot(person)["facts"]["final_goal"] == "work_vgo_2026"


@pytest.mark.django_db
def test_correction_by_api_client_keeps_client_on_row(participant, client_actor, api_client_row, user):
    """A municipal case system's registrations are recorded as that API client and its source system."""
    person, rows = participant
    new = services.correct(
        rows["decision"], {"end_date": dt.date(2026, 12, 31)}, "Sluttdato satt", client_actor, at=at(2026, 4, 1)
    ).row
    new.refresh_from_db()
    assert new.registered_by_kind == m.ActorKind.CLIENT
    assert new.registered_by_client_id == api_client_row.pk
    assert new.registered_by_user_id is None
    assert new.source_system == "Fagsystem-X"
    assert new.registered_by_label == "Fagsystem Trondheim"
    old = m.Decision.objects.get(pk=rows["decision"].pk)
    assert old.registered_by_user_id == user.pk and old.registered_by_client_id is None


@pytest.mark.django_db
def test_system_actor_regelmotor_is_recorded(make_person):
    """Automatic registrations of the rules engine are recorded as 'Regelmotor' (overview.md; regelmotor.md § 3.1)."""
    person = make_person()
    row = services.register(
        person,
        m.Termination,
        {
            "scheme": "intro",
            "termination_type": "aborted",
            "termination_reason": "loss_due_to_work",
            "termination_date": dt.date(2026, 1, 5),
        },
        Actor.for_system(),
        at=at(2026, 1, 20),
    ).row
    row.refresh_from_db()
    assert row.registered_by_kind == m.ActorKind.SYSTEM
    assert row.registered_by_system == REGELMOTOR
    assert row.registered_by_label == REGELMOTOR
    assert row.source_system == REGELMOTOR


@pytest.mark.django_db
def test_annul_hides_fact_now_but_not_as_known_before(participant, actor):
    """An annulment ("slett") is a new row; nothing is physically deleted, and the register as
    known before the annulment still shows the fact."""
    person, rows = participant
    absence = services.register(
        person,
        m.Absence,
        {
            "scheme": "intro",
            "kind": "absence",
            "from_date": dt.date(2026, 3, 2),
            "to_date": dt.date(2026, 3, 6),
        },
        actor,
        at=at(2026, 3, 10),
    ).row
    t_annul = at(2026, 3, 20)
    tomb = services.annul(absence, "Registrert på feil person", actor, at=t_annul).row

    assert tomb.operation == m.Operation.ANNUL
    assert tomb.supersedes_id == absence.pk
    assert tomb.change_reason == "Registrert på feil person"
    assert m.Absence.objects.filter(person=person).count() == 2  # both rows still stored
    assert not m.Absence.objects.current().filter(person=person).exists()
    assert list(m.Absence.objects.known_at(at(2026, 3, 15)).filter(person=person)) == [absence]
    assert not m.Absence.objects.known_at(t_annul).filter(person=person).exists()
    assert not m.Absence.objects.known_at(at(2026, 3, 9)).filter(person=person).exists()

    assert history.snapshot(person)["facts"]["absences"] == []
    shown = history.snapshot(person, known_at=at(2026, 3, 15))["facts"]["absences"]
    assert [(a["kind"], a["from"], a["to"]) for a in shown] == [("absence", "2026-03-02", "2026-03-06")]


@pytest.mark.django_db
def test_person_details_cannot_be_annulled(make_person, actor):
    """Person details can be corrected, not deleted."""
    person = make_person()
    details = m.PersonDetails.objects.current().get(person=person)
    with pytest.raises(RegistrationRefused) as exc:
        services.annul(details, "vil slette", actor, at=at(2026, 2, 1))
    assert exc.value.problems[0].rule == "details_not_annullable"
    assert m.PersonDetails.objects.current().get(person=person) == details


@pytest.mark.django_db
def test_versions_gives_the_whole_chain(participant, actor):
    """'Vis all historikk': every version of one fact, oldest first, from any link of the chain."""
    person, rows = participant
    v1 = rows["decision"]
    v2 = services.correct(v1, {"end_date": dt.date(2026, 6, 30)}, "Sluttdato", actor, at=at(2026, 2, 1)).row
    v3 = services.correct(v2, {"end_date": dt.date(2026, 7, 31)}, "Ny sluttdato", actor, at=at(2026, 3, 1)).row
    v4 = services.annul(v3, "Feilregistrert vedtak", actor, at=at(2026, 4, 1)).row
    expected = [v1.pk, v2.pk, v3.pk, v4.pk]
    for link in (v1, v2, v3, v4):
        assert [r.pk for r in history.versions(link)] == expected
    chain = history.versions(v2)
    assert [r.operation for r in chain] == ["create", "correct", "correct", "annul"]
    assert [r.end_date for r in chain] == [None, dt.date(2026, 6, 30), dt.date(2026, 7, 31), dt.date(2026, 7, 31)]
    # each version is known exactly in its own registration-time interval
    assert m.Decision.objects.known_at(at(2026, 2, 15)).get(person=person).pk == v2.pk
    assert m.Decision.objects.known_at(at(2026, 3, 15)).get(person=person).pk == v3.pk
    assert not m.Decision.objects.current().filter(person=person).exists()


@pytest.mark.django_db
def test_person_history_lists_everything(participant, actor):
    """Every registration ever made about a person, all versions, in registration order."""
    person, rows = participant
    corrected = services.correct(rows["final_goal"], {"goal": "work_vgo_2026"}, "Rettet", actor, at=at(2026, 2, 1)).row
    annulled = services.annul(rows["settlement"], "Feil", actor, at=at(2026, 2, 2)).row
    hist = history.person_history(person)
    stored = sum(model.objects.filter(person=person).count() for model in m.REGISTRATION_MODELS)
    assert len(hist) == stored == 1 + 4 + 2  # details, 4 facts, correction, annulment
    assert {(type(r), r.pk) for r in hist} >= {
        (m.FinalGoal, rows["final_goal"].pk),
        (m.FinalGoal, corrected.pk),
        (m.Settlement, rows["settlement"].pk),
        (m.Settlement, annulled.pk),
    }
    times = [r.recorded_at for r in hist]
    assert times == sorted(times)
    assert hist[-1].pk == annulled.pk and isinstance(hist[-1], m.Settlement)


@pytest.mark.django_db
def test_late_registration_is_invisible_before_it_was_made(make_person, actor):
    """Late registration: a fact registered at ``at`` after its domain date is unknown at any
    time before ``at`` — IMDi's figures change with late registrations (overview.md, 002)."""
    person = make_person()
    late = at(2026, 5, 4, 14)
    row = services.register(
        person,
        m.Absence,
        {
            "scheme": "intro",
            "kind": "leave",
            "from_date": dt.date(2026, 2, 2),
            "to_date": dt.date(2026, 2, 20),
        },
        actor,
        at=late,
    ).row
    assert row.recorded_at == late
    # the domain date lies before the registration, but the register did not know
    assert not m.Absence.objects.known_at(at(2026, 3, 1)).filter(person=person).exists()
    assert not m.Absence.objects.known_at(late - dt.timedelta(microseconds=1)).filter(person=person).exists()
    assert m.Absence.objects.known_at(late).filter(person=person).exists()
    assert history.snapshot(person, known_at=at(2026, 3, 1))["facts"]["absences"] == []
    assert len(history.snapshot(person, known_at=late)["facts"]["absences"]) == 1


@pytest.mark.django_db
def test_registration_before_person_known_is_refused(make_person, actor):
    """A fact cannot be registered before the register knew of the person."""
    person = make_person(when=at(2026, 2, 1))
    with pytest.raises(RegistrationRefused) as exc:
        services.register(
            person,
            m.Absence,
            {
                "scheme": "intro",
                "kind": "leave",
                "from_date": dt.date(2026, 1, 5),
                "to_date": dt.date(2026, 1, 6),
            },
            actor,
            at=at(2026, 1, 20),
        )
    assert exc.value.problems[0].rule == "before_person"


@pytest.mark.django_db
def test_future_and_naive_registration_times_are_refused(make_person, actor):
    """Registration time must be timezone-aware and not in the future."""
    person = make_person()
    values = {"scheme": "intro", "kind": "leave", "from_date": dt.date(2026, 1, 5), "to_date": dt.date(2026, 1, 6)}
    with pytest.raises(RegistrationRefused) as exc:
        services.register(person, m.Absence, values, actor, at=dt.datetime(2026, 2, 1, 12))
    assert exc.value.problems[0].rule == "timezone_required"
    with pytest.raises(RegistrationRefused) as exc:
        services.register(person, m.Absence, values, actor, at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert exc.value.problems[0].rule == "registered_in_future"
    assert not m.Absence.objects.filter(person=person).exists()


@pytest.mark.django_db
def test_correction_dated_before_original_is_refused(participant, actor):
    """A correction cannot be registered before what it corrects."""
    person, rows = participant
    with pytest.raises(RegistrationRefused) as exc:
        services.correct(rows["final_goal"], {"goal": "work_vgo_2026"}, "Rettet", actor, at=at(2026, 1, 11))
    assert exc.value.problems[0].rule == "before_original"
    assert m.FinalGoal.objects.get(pk=rows["final_goal"].pk).superseded_at is None
    assert m.FinalGoal.objects.filter(person=person).count() == 1


@pytest.mark.django_db
def test_iter_register_as_known_then_and_now(make_person, actor):
    """Whole-register as-of: any report can be reproduced "as registered on date X" (overview.md)."""
    early = make_person(when=at(2026, 1, 10))
    late = make_person(when=at(2026, 4, 1))
    goal = services.register(
        early, m.FinalGoal, {"scheme": "intro", "goal": "work_no_vgo_2026"}, actor, at=at(2026, 1, 15)
    ).row
    services.correct(goal, {"goal": "complete_vgo_2025"}, "Endret sluttmål", actor, at=at(2026, 5, 1))

    then = dict((p.duf, line) for p, line in history.iter_register(known_at=at(2026, 2, 1), on=dt.date(2026, 2, 1)))
    now = dict((p.duf, line) for p, line in history.iter_register(chunk=1))
    assert set(then) == {early.duf}
    assert set(now) == {early.duf, late.duf}
    assert then[early.duf]["facts"]["final_goal"] == "work_no_vgo_2026"
    assert now[early.duf]["facts"]["final_goal"] == "complete_vgo_2025"
    assert now[late.duf]["facts"]["final_goal"] is None
    # the snapshot of one person equals its line in the whole-register stream
    assert history.snapshot(early, known_at=at(2026, 2, 1), on=dt.date(2026, 2, 1)) == then[early.duf]


@pytest.mark.django_db
def test_iter_register_with_no_persons_yields_nothing():
    assert list(history.iter_register()) == []
