"""psycopg's pipeline mode and prepared statements on Django's own connection (PostgreSQL).

A statement whose answer is not read goes to the server with the next round trip that reads one,
at the latest with the COMMIT (``nir.register.write_sql.atomic_pipelined`` opens such a transaction
and yields its ``Pipeline``, which the writes made in it are given explicitly).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass
class Pipeline:
    """A transaction in psycopg's pipeline mode: what is to be done once it has committed
    (``after_commit``: e.g. give the queued rows their ids)."""

    after_commit: list[Callable[[], None]] = field(default_factory=list)


def in_pipeline(conn: BaseDatabaseWrapper) -> bool:
    """Whether Django's connection ``conn`` is in pipeline mode (inside ``atomic_pipelined``)."""
    import psycopg

    return (
        conn.vendor == "postgresql"
        and conn.connection is not None
        and conn.connection.pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF
    )


def execute_prepared(
    conn: BaseDatabaseWrapper, statement: str, params: Sequence[Any], *, fetch: bool = True
) -> tuple[Any, ...] | None:
    """Run ``statement`` prepared (server-side binding, planned once per connection) on Django's
    connection ``conn`` (PostgreSQL), in its transaction; the first row of the answer, or None when
    ``fetch`` is false (in pipeline mode the answer is then not waited for)."""
    import psycopg

    conn.ensure_connection()
    with conn.wrap_database_errors, psycopg.Cursor(conn.connection) as cur:
        cur.execute(statement, params, prepare=True)
        return cur.fetchone() if fetch else None
