"""The one-round-trip reader used on every write returns exactly what the ORM's current() does
(on SQLite and, in the second pass, PostgreSQL: JSON types, decimals, time zones, nulls)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from nir.register import models as m
from nir.register.history import rows_for
from nir.register.snapshot_sql import current_rows


def _key(row):
    return (
        type(row).__name__,
        row.pk,
        row.fact_values(),
        row.recorded_at,
        row.superseded_at,
        row.operation,
        row.supersedes_id,
        row.change_reason,
        row.registered_by_kind,
        row.registered_by_user_id,
        row.registered_by_client_id,
        row.registered_by_system,
        row.source_system,
    )


@pytest.mark.django_db
def test_current_rows_equal_orm_current_for_every_table():
    call_command("synth", persons=150, seed=3, quiet=True, stdout=io.StringIO())
    call_command("rules", "reevaluate", "--quiet", stdout=io.StringIO())
    ids = list(m.Person.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == 150
    orm = rows_for(ids, models=m.ALL_REGISTRATION_MODELS)
    seen_models = set()
    for pid in ids:
        fast = current_rows(pid, m.ALL_REGISTRATION_MODELS)
        assert [_key(r) for r in fast] == [_key(r) for r in orm[pid]], pid
        seen_models |= {type(r) for r in fast}
    # the sample exercises (nearly) every table, decimals and JSON included
    assert {m.Measure, m.Participation, m.DerivedStatus, m.Decision, m.Absence} <= seen_models


@pytest.mark.django_db
def test_person_by_duf_and_locked_read_equal_the_orm():
    """``person_by_duf`` (the access check's one statement) finds the person and their current
    follow-up rows as the ORM does, and nothing for an unknown DUF number; the locked read of the
    rules guard returns what the plain read returns."""
    from nir.register.snapshot_sql import person_by_duf

    call_command("synth", persons=40, seed=5, quiet=True, stdout=io.StringIO())
    for person in m.Person.objects.order_by("id"):
        found, rows = person_by_duf(person.duf, (m.FollowUp,))
        assert (found.pk, found.duf, found.recorded_at, found.source_system) == (
            person.pk,
            person.duf,
            person.recorded_at,
            person.source_system,
        )
        assert [_key(r) for r in rows] == [
            _key(r) for r in m.FollowUp.objects.current().filter(person=person).order_by("id")
        ]
        assert [_key(r) for r in current_rows(person.pk, m.ALL_REGISTRATION_MODELS, lock=True)] == [
            _key(r) for r in current_rows(person.pk, m.ALL_REGISTRATION_MODELS)
        ]
    assert person_by_duf("999999999999", (m.FollowUp,)) == (None, [])


@pytest.mark.django_db
def test_loaded_instances_are_what_the_orm_loads():
    """The rows of the write path's reader are built without ``Model.__init__``
    (``nir.db.rows.loaded_instance``): the same attributes and the state of a loaded row as the
    ORM's instances, and related objects load as usual."""
    call_command("synth", persons=20, seed=4, quiet=True, stdout=io.StringIO())
    for pid in m.Person.objects.order_by("id").values_list("id", flat=True):
        orm = {(type(r), r.pk): r for r in rows_for([pid], models=m.ALL_REGISTRATION_MODELS)[pid]}
        for fast in current_rows(pid, m.ALL_REGISTRATION_MODELS):
            slow = orm[(type(fast), fast.pk)]
            assert {k: v for k, v in vars(fast).items() if k != "_state"} == {
                k: v for k, v in vars(slow).items() if k != "_state"
            }
            assert (fast._state.adding, fast._state.db) == (False, "default")
            assert fast.person.pk == pid and fast == slow


@pytest.mark.postgres
@pytest.mark.django_db
def test_json_rows_are_parsed_by_orjson_and_jsonb_columns_are_left_to_django():
    """The register's reads send rows as ``row_to_json`` (type ``json``): every new connection parses
    them with orjson. Django's ``jsonb`` columns keep its own loader (text, parsed by the field)."""
    import decimal

    from django.db import connection
    from psycopg.pq import Format

    from nir.register.snapshot_sql import _OrjsonBinaryLoader, _OrjsonLoader

    connection.ensure_connection()
    adapters = connection.connection.adapters
    json_oid = adapters.types["json"].oid
    jsonb_oid = adapters.types["jsonb"].oid
    assert adapters.get_loader(json_oid, Format.TEXT) is _OrjsonLoader
    assert adapters.get_loader(json_oid, Format.BINARY) is _OrjsonBinaryLoader
    assert adapters.get_loader(jsonb_oid, Format.TEXT) not in (_OrjsonLoader, _OrjsonBinaryLoader)
    with connection.cursor() as cur:
        cur.execute("""SELECT row_to_json(t), CAST('{"k": 1}' AS jsonb)
                       FROM (SELECT 1.5::numeric AS n, 'æøå'::text AS s, NULL::int AS z,
                                    '{"a": [1, 2]}'::jsonb AS j) t""")
        row, raw = cur.fetchone()
    assert row == {"n": 1.5, "s": "æøå", "z": None, "j": {"a": [1, 2]}}
    assert raw == '{"k": 1}'  # Django's jsonb: text, parsed by JSONField itself
    assert isinstance(row["n"], float) and not isinstance(row["n"], decimal.Decimal)
