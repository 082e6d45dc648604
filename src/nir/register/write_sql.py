"""The statements of the write path, and the judged write in one round trip on PostgreSQL.

A registration through ``services.register`` (called by the action layer, ``nir.actions``) is
judged by the Regelmotor before anything is stored (``services.rules_guard``); what remains is
to insert the new row and, when the result changed, supersede the person's ``DerivedStatus``
with the new one. ``store_judged`` sends these
statements in one round trip (psycopg's pipeline mode, each statement prepared once per
connection) and stores them all or nothing:

* inside a caller's transaction, between ``SAVEPOINT`` and ``RELEASE`` (sent in the same round
  trip), so that a failure leaves the caller's transaction as it was — as Django's nested
  ``atomic`` would, without its two extra round trips;
* the status is superseded only if it is still current: otherwise the statement fails
  (``nir_expect_superseded``, installed with the append-only triggers by ``nir.register.db``) and
  nothing of the write remains (``ConcurrentChange``).

On SQLite the same rows are stored with Django's own statements.

``atomic_pipelined`` is a transaction in pipeline mode: a statement whose answer is not read
(the audit event of a write, ``nir.access.audit.record``) goes to the server with the next one
that is, at the latest with ``COMMIT``. There a judged write without a savepoint (the API's single
registration, whose transaction is that one write) is queued as well: the row, the status, the
audit event and the COMMIT go in one round trip, and the rows get their ids after the COMMIT.
The transaction is passed to the write explicitly (the ``Pipeline`` that ``atomic_pipelined``
yields), not kept on the connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, router, transaction

from nir.db import params as pg_params
from nir.db.pipeline import Pipeline, in_pipeline
from nir.register import models as m
from nir.register.errors import ConcurrentChange

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from psycopg import Cursor

# SQLSTATE raised by nir_expect_superseded (nir.register.db): the status was superseded meanwhile.
CONCURRENT_SQLSTATE = "NIR01"
SAVEPOINT = "nir_judged_write"


@cache
def _fields(model: type[m.Registration]) -> tuple[models.Field[Any, Any], ...]:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@cache
def insert_statement(model: type[m.Registration]) -> str:
    """``INSERT`` of one row of ``model`` (every column but the id), returning the id."""
    fields = _fields(model)
    cols = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f'INSERT INTO "{model._meta.db_table}" ({cols}) VALUES ({marks}) RETURNING id'


@cache
def supersede_statement(model: type[m.Registration], *, strict: bool) -> str:
    """PostgreSQL: close the current row (parameters: time, id) and insert its successor, in one
    statement. ``strict``: fail (``CONCURRENT_SQLSTATE``) if the row was no longer current; else
    insert nothing and return no row."""
    fields = _fields(model)
    cols = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = model._meta.db_table
    guard = "nir_expect_superseded((SELECT count(*) FROM old))" if strict else "EXISTS (SELECT 1 FROM old)"
    return (
        f'WITH old AS (UPDATE "{table}" SET superseded_at = %s WHERE id = %s AND superseded_at IS NULL '
        f'RETURNING id) INSERT INTO "{table}" ({cols}) SELECT {marks} WHERE {guard} RETURNING id'
    )


def params(row: m.Registration, conn: BaseDatabaseWrapper) -> list[Any]:
    """The values of ``insert_statement``'s placeholders for ``row``."""
    return pg_params.values(_fields(type(row)), row.__getattribute__, conn)


def store_judged(
    rows: list[m.Registration], status: m.DerivedStatus | None, *, savepoint: bool, pipeline: Pipeline | None = None
) -> None:
    """Insert ``rows`` (in order) and then ``status`` (superseding ``status.supersedes`` if set),
    all or nothing; set their ids. ``savepoint``: keep the caller's transaction usable on failure.
    ``pipeline``: the ``atomic_pipelined`` transaction this is written in, if any; without
    ``savepoint`` the statements are then only queued and go with its COMMIT (``_queue_postgresql``).
    """
    conn = connections[router.db_for_write(m.DerivedStatus)]
    if conn.vendor != "postgresql":
        with transaction.atomic(using=conn.alias, savepoint=savepoint):
            for row in rows:
                row.save()
            if status is not None:
                _store_status_django(status, conn)
        return
    if not conn.in_atomic_block:  # a transaction of its own (a savepoint needs one)
        with transaction.atomic(using=conn.alias):
            _store_postgresql(rows, status, conn, False, None)
        return
    _store_postgresql(rows, status, conn, savepoint, pipeline)


def _store_status_django(status: m.DerivedStatus, conn: BaseDatabaseWrapper) -> None:
    old = status.supersedes
    if old is not None:
        updated = (
            type(old)
            .objects.using(conn.alias)
            .filter(pk=old.pk, superseded_at__isnull=True)
            .update(superseded_at=status.recorded_at)
        )
        if updated != 1:
            raise ConcurrentChange.already_superseded()
        old.superseded_at = status.recorded_at
    status.save(using=conn.alias)


def _store_postgresql(
    rows: list[m.Registration],
    status: m.DerivedStatus | None,
    conn: BaseDatabaseWrapper,
    savepoint: bool,
    pipeline: Pipeline | None,
) -> None:
    import psycopg

    conn.ensure_connection()
    pg = conn.connection
    if pipeline is not None and not savepoint and in_pipeline(conn):
        _queue_postgresql(rows, status, conn, pipeline.after_commit)
        return
    control = psycopg.Cursor(pg)  # savepoints
    cursors: list[Cursor[Any]] = []
    try:
        with conn.wrap_database_errors, pg.pipeline():
            if savepoint:
                control.execute(f"SAVEPOINT {SAVEPOINT}", prepare=False)
            _send(rows, status, conn, cursors)
            if savepoint:
                control.execute(f"RELEASE SAVEPOINT {SAVEPOINT}", prepare=False)
    except Exception as e:
        for cur in cursors:
            cur.close()
        if savepoint:
            with conn.wrap_database_errors:
                control.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
                control.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        else:
            transaction.set_rollback(True, using=conn.alias)
        control.close()
        if _is_concurrent_change(e):
            raise ConcurrentChange.already_superseded() from None
        raise
    control.close()
    _stored(rows, status, cursors)


def _stored(rows: list[m.Registration], status: m.DerivedStatus | None, cursors: list[Cursor[Any]]) -> None:
    """Give the stored rows their ids (each cursor answered one INSERT … RETURNING id)."""
    stored = [*rows, *([status] if status is not None else [])]
    for row, cur in zip(stored, cursors):
        returned = cur.fetchone()
        assert returned is not None  # INSERT … RETURNING id answers one row (or raised)
        row.pk = returned[0]
        row._state.adding = False
        cur.close()
    if status is not None and status.supersedes is not None:
        status.supersedes.superseded_at = status.recorded_at


def _queue_postgresql(
    rows: list[m.Registration],
    status: m.DerivedStatus | None,
    conn: BaseDatabaseWrapper,
    after_commit: list[Callable[[], None]],
) -> None:
    """In ``atomic_pipelined`` when the transaction is this one write (no savepoint): the statements
    only join the pipeline, and go to the server with the COMMIT — one round trip for the row, the
    status, the audit event and the COMMIT. A failure surfaces with the next statement whose answers
    are read, at the latest the COMMIT, and rolls the whole transaction back (``ConcurrentChange``
    for a status superseded meanwhile); the rows get their ids once it has committed
    (``after_commit``)."""
    cursors: list[Cursor[Any]] = []
    with conn.wrap_database_errors:
        _send(rows, status, conn, cursors)
    after_commit.append(lambda: _stored(rows, status, cursors))


def _send(
    rows: list[m.Registration], status: m.DerivedStatus | None, conn: BaseDatabaseWrapper, cursors: list[Cursor[Any]]
) -> None:
    """Execute (in pipeline mode: queue) the INSERTs of ``rows`` and of ``status`` (superseding
    ``status.supersedes`` only if it is still current), one cursor each, appended to ``cursors``."""
    import psycopg

    pg = conn.connection
    for row in rows:
        cur = psycopg.Cursor(pg)
        cursors.append(cur)
        cur.execute(insert_statement(type(row)), params(row, conn), prepare=True)
    if status is not None:
        cur = psycopg.Cursor(pg)
        cursors.append(cur)
        if status.supersedes is None:
            cur.execute(insert_statement(m.DerivedStatus), params(status, conn), prepare=True)
        else:
            cur.execute(
                supersede_statement(m.DerivedStatus, strict=True),
                [status.recorded_at, status.supersedes.pk, *params(status, conn)],
                prepare=True,
            )


@contextlib.contextmanager
def atomic_pipelined(using: str = DEFAULT_DB_ALIAS) -> Iterator[Pipeline | None]:
    """``transaction.atomic()`` in psycopg's pipeline mode on PostgreSQL (plain ``atomic`` elsewhere).

    Statements that read their answer behave as usual; those that do not (``in_pipeline``) are sent
    with the next round trip, at the latest with ``COMMIT``. An error in one of them surfaces there
    and rolls the whole transaction back, as an error in the block would.

    Yields the ``Pipeline`` to pass to the writes made in it, or None where there is no pipeline
    (SQLite, or inside a caller's transaction: plain ``atomic``).
    """
    conn = connections[using]
    if conn.vendor != "postgresql" or conn.in_atomic_block:
        with transaction.atomic(using=using):
            yield None
        return
    conn.ensure_connection()
    # Django's atomic switches autocommit off and on again; in pipeline mode psycopg would make a
    # round trip for each switch. So the pipeline is entered inside the transaction, and the COMMIT
    # is sent in it, with what is still queued; Django's own commit then finds the transaction
    # ended and sends nothing (psycopg's commit of an idle connection is a no-op).
    # A judged write without a savepoint (store_judged) only queues its statements too; what it
    # must do once they are stored (set the rows' ids) waits in the Pipeline's ``after_commit``.
    import psycopg

    # A queued statement's failure surfaces with whichever later statement reads the answers
    # first — in the block or at the COMMIT: a status superseded meanwhile is ConcurrentChange
    # wherever it surfaces.
    pipeline = Pipeline()
    with transaction.atomic(using=using):
        with conn.wrap_database_errors, conn.connection.pipeline():
            try:
                yield pipeline
                conn.connection.commit()
            except (psycopg.Error, DatabaseError) as e:
                if _is_concurrent_change(e):
                    raise ConcurrentChange.already_superseded() from None
                raise
            for then in pipeline.after_commit:
                then()


def _is_concurrent_change(error: BaseException) -> bool:
    cause = error.__cause__ if error.__cause__ is not None else error
    return getattr(cause, "sqlstate", None) == CONCURRENT_SQLSTATE
