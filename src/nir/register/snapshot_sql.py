"""One round trip for one person's current registrations.

The write path evaluates the person on every write, so reading the person must
be cheap: instead of one query per table, a single ``UNION ALL`` returns every
current row of the tables asked for, each as a JSON object of its columns
(``json_build_object`` on PostgreSQL, ``json_object`` on SQLite), turned back
into model instances here. The filter is the same as
``RegistrationQuerySet.current()``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterable
from functools import lru_cache

from django.db import connection, models

from nir.register import models as m


@lru_cache(maxsize=None)
def _select(model: type[m.Registration], vendor: str) -> str:
    fn = "json_build_object" if vendor == "postgresql" else "json_object"
    pairs = ", ".join(f"'{f.attname}', \"{f.column}\"" for f in model._meta.concrete_fields)
    return (f"SELECT '{model.__name__}', {fn}({pairs}) FROM \"{model._meta.db_table}\" "
            f"WHERE person_id = %s AND superseded_at IS NULL AND operation <> 'annul'")


_BY_NAME = {mdl.__name__: mdl for mdl in m.ALL_REGISTRATION_MODELS}


def _datetime(v):
    moment = v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(v)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)  # SQLite stores UTC, naive


def _converter(f):
    if isinstance(f, models.DateTimeField):
        return _datetime
    if isinstance(f, models.DateField):
        return lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(v)
    if isinstance(f, models.DecimalField):
        return lambda v: decimal.Decimal(str(v))
    if isinstance(f, models.BooleanField):
        return bool
    if isinstance(f, models.JSONField):
        return lambda v: json.loads(v) if isinstance(v, str) else v
    return None


@lru_cache(maxsize=None)
def _plan(model: type[m.Registration]) -> tuple[tuple[str, ...], tuple]:
    fields = model._meta.concrete_fields
    return tuple(f.attname for f in fields), tuple(_converter(f) for f in fields)


def _instance(model: type[m.Registration], data: dict) -> m.Registration:
    names, converters = _plan(model)
    values = []
    for name, conv in zip(names, converters):
        v = data.get(name)
        values.append(v if v is None or conv is None else conv(v))
    return model.from_db("default", names, values)


@lru_cache(maxsize=None)
def _pg_statement(models_: tuple[type[m.Registration], ...]) -> str:
    """PostgreSQL: ``row_to_json`` of each whole row (keys are column names), one named parameter."""
    return " UNION ALL ".join(
        f"SELECT '{mdl.__name__}', row_to_json(t) FROM \"{mdl._meta.db_table}\" t "
        f"WHERE person_id = %(person)s AND superseded_at IS NULL AND operation <> 'annul'"
        for mdl in models_
    )


@lru_cache(maxsize=None)
def _by_column(model: type[m.Registration]) -> tuple[tuple[str, str], ...]:
    return tuple((f.column, f.attname) for f in model._meta.concrete_fields)


def _fetch_postgresql(person_id: int, models_: tuple) -> list[tuple[str, dict]]:
    """One prepared statement with server-side binding on Django's own connection (same transaction).

    Django's cursors bind parameters on the client, so PostgreSQL would parse and plan this
    nine-table statement on every write; prepared, it is planned once per connection. Measured
    at 1 M persons: 1.3 ms → 0.8 ms per read. (Django's execute wrappers do not see this one query.)
    """
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cur:
        cur.execute(_pg_statement(models_), {"person": person_id}, prepare=True)
        fetched = cur.fetchall()
    out = []
    for name, payload in fetched:
        model = _BY_NAME[name]
        out.append((name, {attname: payload.get(column) for column, attname in _by_column(model)}))
    return out


def current_rows(person_id: int, models_: Iterable[type[m.Registration]]) -> list[m.Registration]:
    """Every current row of ``models_`` for one person, in model order then id order."""
    models_ = tuple(models_)
    if connection.vendor == "postgresql":
        fetched = _fetch_postgresql(person_id, models_)
    else:
        sql = " UNION ALL ".join(_select(mdl, connection.vendor) for mdl in models_)
        with connection.cursor() as cur:
            cur.execute(sql, [person_id] * len(models_))
            fetched = [(name, json.loads(payload) if isinstance(payload, str) else payload)
                       for name, payload in cur.fetchall()]
    order = {mdl.__name__: i for i, mdl in enumerate(models_)}
    rows = []
    for name, data in fetched:
        rows.append((order[name], data.get("id"), _instance(_BY_NAME[name], data)))
    rows.sort(key=lambda t: (t[0], t[1]))
    return [r for _o, _i, r in rows]
