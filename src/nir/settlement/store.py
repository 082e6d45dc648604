"""Storage of settlement rows, append-only (``nir.settlement.models``): create, supersede, annul.

Only the settlement's action functions call these (inside their transaction, after the access
check and before the audit event); nothing else writes settlement rows
(``tests/actions/test_only_actions_write.py``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from django.db import models
from django.utils import timezone

from nir.actions.acting import Acting
from nir.settlement.models import Operation, Recorded, Versioned

R = TypeVar("R", bound=Recorded)
V = TypeVar("V", bound=Versioned)


class ChangedMeanwhile(Exception):
    """The row is no longer current: someone else changed it first (409)."""


def _bookkeeping(acting: Acting, at: dt.datetime | None) -> dict[str, Any]:
    return {"recorded_at": at or timezone.now(), **acting.actor.row_fields()}


def create(model: type[R], acting: Acting, *, at: dt.datetime | None = None, **fields: Any) -> R:
    """A new row (a new chain, for a ``Versioned`` model)."""
    values = {**_bookkeeping(acting, at), **fields}
    if issubclass(model, Versioned) and "key" not in values:
        values["key"] = uuid.uuid4()
    return model.objects.create(**values)


# The bookkeeping of every row (``Recorded``, ``Versioned``): never copied into a new version.
_BOOKKEEPING = frozenset(
    {
        "id",
        "recorded_at",
        "registered_by_kind",
        "registered_by_user",
        "registered_by_client",
        "registered_by_system",
        "source_system",
        "key",
        "operation",
        "supersedes",
        "superseded_at",
        "change_reason",
    }
)


def _fact_fields(row: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.name not in _BOOKKEEPING}


def _close(row: Versioned, when: dt.datetime) -> None:
    closed = type(row).objects.filter(pk=row.pk, superseded_at__isnull=True).update(superseded_at=when)
    if closed != 1:
        raise ChangedMeanwhile(f"{type(row).__name__} {row.pk} er ikke lenger gjeldende")
    row.superseded_at = when


def supersede(row: V, acting: Acting, reason: str, *, at: dt.datetime | None = None, **changes: Any) -> V:
    """A new version of ``row`` with ``changes``; ``row`` gets ``superseded_at``. Refused
    (``ChangedMeanwhile``) when ``row`` is no longer current or is an annulment."""
    if row.operation == Operation.ANNUL:
        raise ChangedMeanwhile("en annullering kan ikke endres")
    book = _bookkeeping(acting, at)
    _close(row, book["recorded_at"])
    values = {**_fact_fields(row), **changes}
    new = type(row).objects.create(
        **book,
        **values,
        key=row.key,
        operation=Operation.CORRECT,
        supersedes=row,
        change_reason=reason,
    )
    return new


def annul(row: V, acting: Acting, reason: str, *, at: dt.datetime | None = None) -> V:
    """Withdraw ``row``: an annulment row supersedes it (the chain then has no current row)."""
    if row.operation == Operation.ANNUL:
        raise ChangedMeanwhile("allerede annullert")
    book = _bookkeeping(acting, at)
    _close(row, book["recorded_at"])
    return type(row).objects.create(
        **book,
        **_fact_fields(row),
        key=row.key,
        operation=Operation.ANNUL,
        supersedes=row,
        change_reason=reason,
    )
