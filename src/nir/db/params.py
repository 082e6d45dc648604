"""Statement parameters of the write path's own INSERTs on PostgreSQL, as Django would prepare them.

``Field.get_db_prep_save`` goes through the field's ``get_prep_value``, ``to_python`` and the
backend's adaptation for every value: for the ~60 values a registration writes (its row, the new
derived status, the audit event) that was ~5 % of a registration's CPU. For the plain field kinds
the register uses, a value of exactly the field's Python type comes out of that unchanged on
PostgreSQL; ``plan`` finds those fields once per model and ``values`` passes such values through,
sending every other value (JSON, a string for a date, a naive datetime, None in a NOT NULL column,
a subclass that overrides any of the methods) through ``get_db_prep_save`` as before.
``tests/register/test_pg_params.py`` checks both give the same parameters for every model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

# Field class → the exact Python type whose values its preparation leaves unchanged on PostgreSQL
# (CharField.to_python returns a str as it is; IntegerField int(); BooleanField bool(); DateField
# and DateTimeField return a date/datetime as it is, and PostgreSQL's adapt_date(time)field_value
# is the identity). DateTimeField before DateField: it is its subclass.
_PASS_THROUGH: tuple[tuple[type[models.Field[Any, Any]], type], ...] = (
    (models.CharField, str),
    (models.TextField, str),
    (models.BooleanField, bool),
    (models.IntegerField, int),
    (models.DateTimeField, dt.datetime),
    (models.DateField, dt.date),
)
_METHODS = ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")


def _same_methods(field: models.Field[Any, Any], base: type[models.Field[Any, Any]]) -> bool:
    """Whether ``field`` prepares values with ``base``'s own methods (no override on the way)."""
    return all(getattr(type(field), name) is getattr(base, name) for name in _METHODS)


def _kind(field: models.Field[Any, Any]) -> type | None:
    """The Python type whose values ``field`` sends unchanged, or None (always prepare)."""
    if isinstance(field, models.ForeignKey):
        # None stays None; an int goes to the target's AutoField: IntegerField.get_prep_value (int())
        # and validate_autopk_value (the identity on PostgreSQL).
        plain = type(field).get_db_prep_save is models.ForeignKey.get_db_prep_save
        return int if plain and type(field.target_field) in (models.AutoField, models.BigAutoField) else None
    for base, kind in _PASS_THROUGH:
        if isinstance(field, base):
            return kind if _same_methods(field, base) else None
    return None


@cache
def plan(
    fields: tuple[models.Field[Any, Any], ...],
    ops_class: type | None = None,
) -> tuple[tuple[str, type | None, bool, models.Field[Any, Any], Callable[[int], Any] | None], ...]:
    """(attname, pass-through type or None, None passes through, field, wrapper) of each field.

    The wrapper is what PostgreSQL's operations (``ops_class``) put around an integer of the field's
    kind (psycopg's ``Int2``/``Int4``/``Int8``, so that a prepared statement's parameter types stay
    what Django would send)."""
    type_map = getattr(ops_class, "integerfield_type_map", None) or {}
    out: list[tuple[str, type | None, bool, models.Field[Any, Any], Callable[[int], Any] | None]] = []
    for f in fields:
        kind = _kind(f)
        wrap = type_map.get(f.get_internal_type()) if kind is int and not isinstance(f, models.ForeignKey) else None
        out.append((f.attname, kind, kind is not None and f.null, f, wrap))
    return tuple(out)


def values(fields: Sequence[models.Field[Any, Any]], get: Callable[[str], Any], conn: BaseDatabaseWrapper) -> list[Any]:
    """``[f.get_db_prep_save(get(f.attname), conn) for f in fields]``, computed faster on PostgreSQL."""
    if conn.vendor != "postgresql":
        return [f.get_db_prep_save(get(f.attname), conn) for f in fields]
    out: list[Any] = []
    # Typed as plain ``type``: mypy does not see a class object as Hashable (lru_cache's argument).
    ops_class: type = type(conn.ops)
    for name, kind, none_ok, field, wrap in plan(tuple(fields), ops_class):
        v = get(name)
        t = type(v)
        if v is None and none_ok:
            out.append(None)
        elif t is kind and (t is not dt.datetime or v.tzinfo is not None):
            out.append(v if wrap is None else wrap(v))
        else:
            out.append(field.get_db_prep_save(v, conn))
    return out
