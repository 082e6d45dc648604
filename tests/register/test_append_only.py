"""Append-only at the database level (nir.register.db; overview.md "The register remembers").

Triggers refuse every DELETE on register tables and every UPDATE except the
one that closes a row's registration time once, so no code path — ORM, bulk
or raw SQL — can change or delete a registered fact; on SQLite a REPLACE is
refused as a DELETE, on PostgreSQL a TRUNCATE. These tests run on SQLite and,
in the suite's second pass, on PostgreSQL. (The application's PostgreSQL role,
which holds no such privilege at all: tests/access/test_dbrole.py.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from register_support import at

from nir.access import audit
from nir.access.db import audit_append_only_tables
from nir.register import models as m
from nir.register import services
from nir.register.db import register_append_only_tables

APPEND_ONLY = [t.table for t in register_append_only_tables() + audit_append_only_tables()]


def refused(fn):
    """Run ``fn`` in a savepoint and return the database error it must raise."""
    with pytest.raises(DatabaseError) as exc:
        with transaction.atomic():
            fn()
    assert "append-only" in str(exc.value), str(exc.value)
    return exc.value


def _raw(sql, params):
    with connection.cursor() as cur:
        cur.execute(sql, params)


@pytest.fixture
def goal(participant):
    return participant[1]["final_goal"]


@pytest.mark.django_db
def test_orm_update_of_fact_field_refused(goal):
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).update(goal="work_vgo_2026"))
    goal.refresh_from_db()
    assert goal.goal == "work_no_vgo_2026"


@pytest.mark.django_db
def test_model_save_of_changed_row_refused(participant):
    decision = participant[1]["decision"]
    decision.end_date = dt.date(2027, 1, 1)
    refused(decision.save)
    assert m.Decision.objects.get(pk=decision.pk).end_date is None


@pytest.mark.django_db
def test_orm_update_of_bookkeeping_refused(goal, other_user):
    """Who registered and when are as protected as the fact itself."""
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).update(registered_by_user=other_user))
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).update(recorded_at=at(2025, 1, 1)))
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).update(change_reason="skjult endring"))


@pytest.mark.django_db
def test_update_setting_superseded_at_together_with_a_fact_refused(goal):
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).update(superseded_at=at(2026, 3, 1), goal="work_vgo_2026"))
    goal.refresh_from_db()
    assert goal.superseded_at is None


@pytest.mark.django_db
def test_orm_delete_refused(goal, participant):
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).delete())
    refused(goal.delete)
    refused(lambda: m.Decision.objects.all().delete())
    assert m.FinalGoal.objects.filter(pk=goal.pk).exists()
    assert m.Decision.objects.filter(person=participant[0]).count() == 1


@pytest.mark.django_db
def test_raw_sql_update_and_delete_refused(goal):
    table = m.FinalGoal._meta.db_table
    refused(lambda: _raw(f'UPDATE "{table}" SET goal = %s WHERE id = %s', ["work_vgo_2026", goal.pk]))
    refused(lambda: _raw(f'DELETE FROM "{table}" WHERE id = %s', [goal.pk]))
    goal.refresh_from_db()
    assert goal.goal == "work_no_vgo_2026"


SAMPLE_FACTS = {
    m.ResidencePermit: {"basis": "utl_28", "decision_date": dt.date(2025, 10, 1)},
    m.Residence: {
        "municipality": "0301",
        "district": "030101",
        "address": "Gata 1",
        "postal_code": "0150",
        "valid_from": dt.date(2025, 11, 1),
    },
    m.FollowUp: {"municipality": "5001", "valid_from": dt.date(2025, 11, 1)},
    m.Settlement: {"municipality": "5001", "settlement_date": dt.date(2025, 11, 1), "by_agreement": True},
    m.Decision: {
        "scheme": "intro",
        "decision_type": "participation",
        "decision_date": dt.date(2026, 1, 5),
        "start_date": dt.date(2026, 1, 5),
    },
    m.FinalGoal: {"scheme": "intro", "goal": "work_no_vgo_2026"},
    m.Extension: {"scheme": "intro", "months": 6},
    m.Participation: {
        "scheme": "norwegian",
        "from_date": dt.date(2026, 1, 1),
        "to_date": dt.date(2026, 1, 31),
        "hours": Decimal("40.5"),
    },
    m.Measure: {
        "scheme": "intro",
        "measure": "work_practice",
        "from_date": dt.date(2026, 2, 1),
        "hours_per_week": Decimal("20"),
    },
    m.Absence: {"scheme": "intro", "kind": "leave", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 6)},
    m.Termination: {"scheme": "intro", "termination_type": "completed", "termination_date": dt.date(2026, 6, 30)},
    m.CareerGuidance: {"guidance_date": dt.date(2026, 1, 20), "kind": "individual"},
    m.CompetenceMapping: {"mapping_date": dt.date(2025, 10, 15), "kind": "before_settlement"},
    m.Exam: {
        "scheme": "norwegian",
        "exam_type": "norwegian_oral",
        "exam_date": dt.date(2026, 1, 20),
        "result": "passed",
        "level": "B1",
    },
    m.FamilyReunification: {"reference_person": "202600000109", "application_date": dt.date(2025, 3, 1)},
    m.UpperSecondaryEnrolment: {"from_date": dt.date(2026, 1, 5), "full_time": True, "county": "50"},
    m.ReceptionStay: {"centre": "Mottak Lade", "host_municipality": "5001", "from_date": dt.date(2025, 5, 1)},
    m.ExtraGrantCase: {"grant_type": "FHT1", "grant_year": 2026, "applied_at": dt.date(2026, 2, 1)},
}


def test_sample_facts_cover_every_registration_model():
    assert set(SAMPLE_FACTS) | {m.PersonDetails} == set(m.REGISTRATION_MODELS)


@pytest.mark.django_db
@pytest.mark.parametrize("model", m.ALL_REGISTRATION_MODELS, ids=lambda mdl: mdl.__name__)
def test_every_register_table_refuses_update_and_delete(model, make_person, actor):
    """The guard holds for every registration model's table (derived rows included), for ORM and raw SQL alike."""
    person = make_person()
    if model is m.PersonDetails:
        row = m.PersonDetails.objects.get(person=person)
    elif model is m.DerivedStatus:
        row = m.DerivedStatus.objects.current().get(person=person)  # written by the Regelmotor on create
    else:
        # evaluate=False: this test is about the triggers, not about the rules (an extension
        # without a final goal would be refused by the Regelmotor).
        row = services.register(person, model, dict(SAMPLE_FACTS[model]), actor, at=at(2026, 2, 1), evaluate=False).row
    table = model._meta.db_table
    first_fact = model.FACT_FIELDS[0]
    column = model._meta.get_field(first_fact).column
    before = row.fact_values()
    refused(lambda: model.objects.filter(pk=row.pk).update(**{first_fact: before[first_fact]}))  # even a no-op
    refused(lambda: _raw(f'UPDATE "{table}" SET "{column}" = "{column}" WHERE id = %s', [row.pk]))
    refused(lambda: model.objects.filter(pk=row.pk).delete())
    refused(lambda: _raw(f'DELETE FROM "{table}" WHERE id = %s', [row.pk]))
    assert model.objects.get(pk=row.pk).fact_values() == before


@pytest.mark.django_db
def test_triggers_installed_on_every_register_table():
    """The guard is installed for every register table and the person anchor (after every migrate)."""
    tables = [mdl._meta.db_table for mdl in m.ALL_REGISTRATION_MODELS] + [m.Person._meta.db_table]
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cur.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal"
            )
        found: dict[str, set[str]] = {}
        for table, name in cur.fetchall():
            found.setdefault(table, set()).add(name)
    for table in tables:
        assert found.get(table), f"no append-only trigger on {table}"


@pytest.mark.django_db
def test_superseded_at_may_be_set_once_and_never_again(goal):
    """The only permitted UPDATE: closing a row's registration time, once."""
    first = at(2026, 3, 1)
    assert m.FinalGoal.objects.filter(pk=goal.pk).update(superseded_at=first) == 1
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).update(superseded_at=at(2026, 4, 1)))
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).update(superseded_at=None))
    goal.refresh_from_db()
    assert goal.superseded_at == first


@pytest.mark.django_db
def test_superseded_row_of_a_correction_cannot_be_reopened(participant, actor):
    person, rows = participant
    new = services.correct(rows["final_goal"], {"goal": "work_vgo_2026"}, "Rettet", actor, at=at(2026, 2, 1)).row
    old_pk = rows["final_goal"].pk
    refused(lambda: m.FinalGoal.objects.filter(pk=old_pk).update(superseded_at=at(2026, 2, 2)))
    refused(lambda: m.FinalGoal.objects.filter(pk=old_pk).update(superseded_at=None))
    # and the correction row cannot be deleted to "undo" it
    refused(lambda: m.FinalGoal.objects.filter(pk=new.pk).delete())
    assert m.FinalGoal.objects.current().get(person=person).pk == new.pk


@pytest.mark.django_db
def test_person_anchor_cannot_be_updated_or_deleted(make_person):
    person = make_person()
    table = m.Person._meta.db_table
    refused(lambda: m.Person.objects.filter(pk=person.pk).update(duf="999999999999"))
    refused(lambda: m.Person.objects.filter(pk=person.pk).update(recorded_at=at(2020, 1, 1)))
    refused(lambda: _raw(f'UPDATE "{table}" SET source_system = %s WHERE id = %s', ["x", person.pk]))
    refused(lambda: _raw(f'DELETE FROM "{table}" WHERE id = %s', [person.pk]))
    person.refresh_from_db()
    assert person.duf != "999999999999"


@pytest.mark.django_db
def test_bare_person_anchor_cannot_be_deleted_through_orm():
    """Even an anchor without registrations (so no PROTECT foreign key stops Django) is kept."""
    person = m.Person.objects.create(duf="000000000000", recorded_at=at(2026, 1, 1), source_system="test")
    refused(person.delete)
    refused(lambda: m.Person.objects.all().delete())
    assert m.Person.objects.filter(pk=person.pk).exists()


@pytest.mark.django_db
def test_inserts_still_work_after_refusals(goal, participant, actor):
    """A refused statement leaves the connection usable and the register writable."""
    refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).delete())
    row = services.register(
        participant[0],
        m.Absence,
        {"scheme": "intro", "kind": "leave", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 6)},
        actor,
        at=at(2026, 2, 1),
    ).row
    assert m.Absence.objects.current().get(person=participant[0]).pk == row.pk


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_refusal_is_an_integrity_violation(goal):
    """On PostgreSQL the trigger raises SQLSTATE 23000 (integrity_constraint_violation)."""
    from django.db import IntegrityError

    err = refused(lambda: m.FinalGoal.objects.filter(pk=goal.pk).update(goal="x"))
    assert isinstance(err, IntegrityError)
    assert getattr(err.__cause__, "sqlstate", None) == "23000"


@pytest.fixture
def every_table_filled(make_person, actor, user):
    """A row in every append-only table: the register's (each registration model) and the audit log's."""
    person = make_person()
    for model, values in SAMPLE_FACTS.items():
        services.register(person, model, dict(values), actor, at=at(2026, 2, 1), evaluate=False)
    # a plausibility warning (a measure above full time), stored with the judged write
    services.register(
        person, m.Measure, dict(SAMPLE_FACTS[m.Measure], hours_per_week=Decimal("45")), actor, at=at(2026, 2, 1)
    )
    # … and its acknowledgement («Kontrollert»)
    m.WarningAcknowledgement.objects.create(
        warning=m.PlausibilityWarning.objects.get(person=person),
        person=person,
        recorded_at=at(2026, 2, 2),
        **actor.row_fields(),
    )
    audit.record(actor_user=user, action="read", channel="web", what="person", persons=[person])
    with connection.cursor() as cur:
        for table in APPEND_ONLY:
            cur.execute(f'SELECT count(*) FROM "{table}"')
            assert cur.fetchone()[0] > 0, table
    return person


@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_replace_is_refused_on_every_append_only_table(table, every_table_filled):
    """SQLite: INSERT OR REPLACE deletes the row it replaces; without recursive triggers no DELETE
    trigger fired and the row was silently replaced (issue 15 § 3.7). PostgreSQL has no REPLACE."""
    if connection.vendor != "sqlite":
        pytest.skip("REPLACE is SQLite's; PostgreSQL's TRUNCATE: test_truncate_is_refused_on_every_append_only_table")
    with connection.cursor() as cur:
        cur.execute(f'SELECT * FROM "{table}" ORDER BY id LIMIT 1')
        before = cur.fetchone()
    pk = before[0]
    refused(lambda: _raw(f'INSERT OR REPLACE INTO "{table}" SELECT * FROM "{table}" WHERE id = %s', [pk]))
    refused(lambda: _raw(f'REPLACE INTO "{table}" SELECT * FROM "{table}" WHERE id = %s', [pk]))
    with connection.cursor() as cur:
        cur.execute("PRAGMA recursive_triggers")
        assert cur.fetchone()[0] == 1  # on for every connection (settings: init_command)
        cur.execute(f'SELECT * FROM "{table}" WHERE id = %s', [pk])
        assert cur.fetchone() == before


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_truncate_is_refused_on_every_append_only_table(table, every_table_filled):
    """PostgreSQL: TRUNCATE fires no DELETE trigger; a statement-level TRUNCATE trigger refuses it
    (also for the owner, who runs the migrations; the application's role has no TRUNCATE at all)."""
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{table}"')
        count = cur.fetchone()[0]
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's inserts' deferred key checks, now
    refused(lambda: _raw(f'TRUNCATE "{table}" CASCADE', []))
    with pytest.raises(DatabaseError), transaction.atomic():  # (or a foreign key refuses it first)
        _raw(f'TRUNCATE "{table}"', [])
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{table}"')
        assert cur.fetchone()[0] == count
