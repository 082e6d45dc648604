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


def _instance(model: type[m.Registration], data: dict) -> m.Registration:
    values = {}
    for f in model._meta.concrete_fields:
        v = data.get(f.attname)
        if v is None:
            values[f.attname] = None
        elif isinstance(f, models.JSONField):
            values[f.attname] = json.loads(v) if isinstance(v, str) else v
        elif isinstance(f, models.DateTimeField):
            moment = f.to_python(v)
            values[f.attname] = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)  # SQLite: UTC
        else:
            values[f.attname] = f.to_python(v)
    obj = model(**values)
    obj._state.adding = False
    obj._state.db = "default"
    return obj


def current_rows(person_id: int, models_: Iterable[type[m.Registration]]) -> list[m.Registration]:
    """Every current row of ``models_`` for one person, in model order then id order."""
    models_ = list(models_)
    sql = " UNION ALL ".join(_select(mdl, connection.vendor) for mdl in models_)
    with connection.cursor() as cur:
        cur.execute(sql, [person_id] * len(models_))
        fetched = cur.fetchall()
    order = {mdl.__name__: i for i, mdl in enumerate(models_)}
    rows = []
    for name, payload in fetched:
        data = json.loads(payload) if isinstance(payload, str) else payload
        rows.append((order[name], data.get("id"), _instance(_BY_NAME[name], data)))
    rows.sort(key=lambda t: (t[0], t[1]))
    return [r for _o, _i, r in rows]
