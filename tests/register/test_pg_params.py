"""``nir.db.params``: the write path's statement parameters on PostgreSQL are exactly what
Django's ``Field.get_db_prep_save`` makes of every value — for every field of every model of the
register, the audit log and the API, and values of the field's own type, of other types Django
converts, None, and values Django refuses."""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.db.backends.postgresql.base import DatabaseWrapper

from nir.db import params as pg_params

PG = DatabaseWrapper(
    {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "nir",
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
    },
    "pg-params-test",
)  # never connects: preparing values needs only the backend's operations

OSLO = dt.timezone(dt.timedelta(hours=1))
CANDIDATES = [
    None,
    "",
    "tekst",
    "2026-03-01",
    "2026-03-01T10:00:00+01:00",
    "7",
    0,
    7,
    -3,
    2**40,
    True,
    False,
    1,
    Decimal("2.5"),
    2.5,
    dt.date(2026, 3, 1),
    dt.datetime(2026, 3, 1, 10, 0, tzinfo=OSLO),
    dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 1, 10, 0),
    [],
    ["a", 1],
    {"k": [1, None]},
]


def _fields():
    for label in ("register", "access", "api"):
        for model in apps.get_app_config(label).get_models():
            for f in model._meta.concrete_fields:
                if not f.primary_key:
                    yield pytest.param(f, id=f"{model.__name__}.{f.name}")


def _outcome(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a naive datetime: Django warns, then converts it
        try:
            value = call()
        except Exception as e:  # noqa: BLE001 - the same refusal either way is what is compared
            return ("raised", type(e))
    if type(value).__name__ == "Jsonb":
        return ("json", value.obj)
    return (type(value), value)


@pytest.mark.parametrize("field", list(_fields()))
def test_same_parameters_as_get_db_prep_save(field):
    for value in CANDIDATES:
        # _outcome calls each lambda at once, in this iteration
        expected = _outcome(lambda: field.get_db_prep_save(value, PG))  # noqa: B023
        got = _outcome(lambda: pg_params.values((field,), {field.attname: value}.__getitem__, PG)[0])  # noqa: B023
        assert got == expected, (field, value)


def test_plain_fields_pass_values_through_and_others_are_prepared():
    """The fast path is taken where it is meant to be (else the test above proves nothing new)."""
    Absence = apps.get_model("register", "Absence")
    kinds = {
        attname: kind
        for attname, kind, _none, _f, _wrap in pg_params.plan(
            tuple(f for f in Absence._meta.concrete_fields if not f.primary_key), type(PG.ops)
        )
    }
    assert kinds["person_id"] is int and kinds["from_date"] is dt.date and kinds["recorded_at"] is dt.datetime
    assert kinds["kind"] is str
    DerivedStatus = apps.get_model("register", "DerivedStatus")
    [errors] = [f for f in DerivedStatus._meta.concrete_fields if f.name == "errors"]
    assert isinstance(errors, models.JSONField) and pg_params.plan((errors,), type(PG.ops))[0][1] is None


@pytest.mark.postgres
def test_values_match_on_a_real_postgresql_connection():
    """The fast path on the suite's own PostgreSQL connection (its backend operations as configured)
    gives what Django gives. (On SQLite every value goes through Django, so there is nothing to compare.)"""
    from django.db import connection

    assert connection.vendor == "postgresql"
    for field in [
        f
        for model in apps.get_app_config("register").get_models()
        for f in model._meta.concrete_fields
        if not f.primary_key
    ]:
        for value in CANDIDATES:
            expected = _outcome(lambda: field.get_db_prep_save(value, connection))  # noqa: B023
            got = _outcome(lambda: pg_params.values((field,), {field.attname: value}.__getitem__, connection)[0])  # noqa: B023
            assert got == expected, (field, value)
