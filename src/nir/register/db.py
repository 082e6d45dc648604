"""Database-level guarantees of append-only tables: one installer, given the tables.

    install_append_only(using, tables)       # triggers; after every migrate (each app, its tables)
    register_append_only_tables()            # the register's: the person anchor and every registration table
    (nir.access.db.audit_append_only_tables: the audit log's)
    add_append_only_tables(provider)         # an app above the register (Bosetting) names its tables, so
    other_append_only_tables()               # the application's database role (nir.access.dbrole) knows them

A table is either *immutable* (the person anchor, the audit log: no UPDATE at all) or
*supersedable* (a registration table): the one UPDATE allowed closes a row's registration time
(``superseded_at`` from NULL to a value, nothing else changed) — or, for a table that names other
``once`` columns, sets those once (a settlement request round's ``sent_at`` and who sent it: the
first column goes from NULL to a value, the others may change with it, nothing else). Every DELETE
is refused, and

* PostgreSQL: every ``TRUNCATE`` (a statement-level trigger; TRUNCATE fires no DELETE trigger).
  The application's own database role holds no TRUNCATE, DELETE or UPDATE of facts in the first
  place (``nir.access.dbrole``); the triggers hold against the owner too.
* SQLite: ``INSERT OR REPLACE``/``REPLACE`` deletes the row it replaces without firing DELETE
  triggers unless ``PRAGMA recursive_triggers`` is on — every connection NIR opens turns it on
  (``settings.DATABASES``' ``init_command``), so a REPLACE is refused like a DELETE.

The triggers are (re)installed after every migrate, on SQLite and PostgreSQL alike, so a table
rebuilt by a migration gets them back; the TRUNCATE triggers are also in the migrations
(``register.0012``, ``access.0006``). The function ``nir_expect_superseded`` of the judged write
(``nir.register.write_sql``) is installed with the register's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connections

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

APPEND_ONLY_MESSAGE = "NIR register rows are append-only"


@dataclass(frozen=True)
class AppendOnlyTable:
    table: str
    message: str
    # A supersedable table's columns (its one allowed UPDATE sets superseded_at once); () if immutable.
    columns: tuple[str, ...] = ()
    # The columns the one allowed UPDATE sets: the first from NULL to a value (once), the others with it.
    once: tuple[str, ...] = ("superseded_at",)
    # An anchor rows are locked on (``SELECT … FOR UPDATE``, which PostgreSQL grants only with an UPDATE
    # privilege): the application's role gets UPDATE (id), which its trigger still refuses.
    lockable: bool = False

    @property
    def supersedable(self) -> bool:
        return bool(self.columns)

    @property
    def gate(self) -> str:
        return self.once[0]

    @property
    def fixed(self) -> tuple[str, ...]:
        """The columns no UPDATE may change."""
        return tuple(c for c in self.columns if c not in self.once)


_PROVIDERS: list[Callable[[], list[AppendOnlyTable]]] = []


def add_append_only_tables(provider: Callable[[], list[AppendOnlyTable]]) -> None:
    """Name the append-only tables of an app above the register (``provider()`` lists them; called
    from its ``AppConfig.ready``), so the application's database role is granted as for the register's."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def other_append_only_tables() -> list[AppendOnlyTable]:
    """The append-only tables named by ``add_append_only_tables``."""
    return [t for provider in _PROVIDERS for t in provider()]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_PG_FUNCTIONS = """
-- Only called to refuse: the allowed UPDATE of a supersedable table is excluded by its trigger's WHEN.
-- TG_ARGV[0]: the message; TG_ARGV[1]: for the UPDATE of a supersedable table, the column set once.
CREATE OR REPLACE FUNCTION nir_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND TG_NARGS > 1 THEN
    RAISE EXCEPTION '%: UPDATE on % may only set % once', TG_ARGV[0], TG_TABLE_NAME, TG_ARGV[1]
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RAISE EXCEPTION '%: % on % refused', TG_ARGV[0], TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

-- The judged write (nir.register.write_sql): a status is superseded only while it is current.
CREATE OR REPLACE FUNCTION nir_expect_superseded(n bigint) RETURNS boolean AS $$
BEGIN
  IF n <> 1 THEN
    RAISE EXCEPTION 'NIR register row already superseded' USING ERRCODE = 'NIR01';
  END IF;
  RETURN true;
END $$ LANGUAGE plpgsql;
"""

# The functions of earlier versions, replaced by nir_append_only(message): dropped once unused.
_PG_LEGACY = """
DO $$ BEGIN
  DROP FUNCTION IF EXISTS nir_immutable();
  DROP FUNCTION IF EXISTS nir_audit_immutable();
EXCEPTION WHEN dependent_objects_still_exist THEN NULL;
END $$;
"""


def register_append_only_tables() -> list[AppendOnlyTable]:
    """The person anchor, the plausibility warnings and their acknowledgements (immutable), and every
    registration table, derived ones included (supersedable)."""
    from nir.register.models import ALL_REGISTRATION_MODELS, Person, PlausibilityWarning, WarningAcknowledgement

    return [
        AppendOnlyTable(Person._meta.db_table, APPEND_ONLY_MESSAGE, lockable=True),
        AppendOnlyTable(PlausibilityWarning._meta.db_table, APPEND_ONLY_MESSAGE),
        AppendOnlyTable(WarningAcknowledgement._meta.db_table, APPEND_ONLY_MESSAGE),
    ] + [
        AppendOnlyTable(m._meta.db_table, APPEND_ONLY_MESSAGE, tuple(f.column for f in m._meta.concrete_fields))
        for m in ALL_REGISTRATION_MODELS
    ]


def install_append_only(using: str, tables: Iterable[AppendOnlyTable]) -> None:
    """(Re)install the append-only triggers of ``tables`` that exist in the database ``using``."""
    conn = connections[using]
    existing = set(conn.introspection.table_names())
    tables = [t for t in tables if t.table in existing]
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(_PG_FUNCTIONS)
            for t in tables:
                _install_pg(cur, t)
            cur.execute(_PG_LEGACY)
        elif conn.vendor == "sqlite":
            for t in tables:
                _install_sqlite(cur, t)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise RuntimeError(f"unsupported database vendor {conn.vendor}")


def install_truncate_guard(using: str, tables: Iterable[AppendOnlyTable]) -> None:
    """PostgreSQL: only the statement-level TRUNCATE triggers (what the migrations install)."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    existing = set(conn.introspection.table_names())
    with conn.cursor() as cur:
        cur.execute(_PG_FUNCTIONS)
        for t in tables:
            if t.table in existing:
                _truncate_trigger(cur, t)


def _truncate_trigger(cur: CursorWrapper, t: AppendOnlyTable) -> None:
    cur.execute(f'DROP TRIGGER IF EXISTS {t.table}_no_truncate ON "{t.table}"')
    cur.execute(
        f'CREATE TRIGGER {t.table}_no_truncate BEFORE TRUNCATE ON "{t.table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION nir_append_only({_literal(t.message)})"
    )


def _install_pg(cur: CursorWrapper, t: AppendOnlyTable) -> None:
    table, msg = t.table, _literal(t.message)
    for name in ("append_only", "no_delete", "immutable"):
        cur.execute(f'DROP TRIGGER IF EXISTS {table}_{name} ON "{table}"')
    if t.supersedable:
        # The allowed UPDATE (superseding) is the one every write makes: its check is the trigger's
        # WHEN condition, evaluated without calling the function; the function runs only to refuse.
        old = ", ".join(f'OLD."{c}"' for c in t.fixed)
        new = ", ".join(f'NEW."{c}"' for c in t.fixed)
        gate = t.gate
        cur.execute(
            f'CREATE TRIGGER {table}_append_only BEFORE UPDATE ON "{table}" FOR EACH ROW '
            f'WHEN (OLD."{gate}" IS NOT NULL OR NEW."{gate}" IS NULL '
            f"OR ROW({old}) IS DISTINCT FROM ROW({new})) EXECUTE FUNCTION nir_append_only({msg}, {_literal(gate)})"
        )
        cur.execute(
            f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION nir_append_only({msg})"
        )
    else:
        cur.execute(
            f'CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION nir_append_only({msg})"
        )
    _truncate_trigger(cur, t)


def _install_sqlite(cur: CursorWrapper, t: AppendOnlyTable) -> None:
    table = t.table
    cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    cur.execute(
        f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, {_literal(t.message + ': DELETE refused')}); END"
    )
    cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
    if t.supersedable:
        changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in t.fixed)
        gate = t.gate
        cur.execute(
            f'CREATE TRIGGER {table}_no_update BEFORE UPDATE ON "{table}" '
            f'WHEN OLD."{gate}" IS NOT NULL OR NEW."{gate}" IS NULL OR {changed} '
            f"BEGIN SELECT RAISE(ABORT, {_literal(t.message + f': UPDATE may only set {gate} once')}); END"
        )
    else:
        cur.execute(
            f'CREATE TRIGGER {table}_no_update BEFORE UPDATE ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, {_literal(t.message + ': UPDATE refused')}); END"
        )
