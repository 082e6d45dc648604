"""Database-level guarantees of the append-only register.

Triggers refuse every DELETE on register tables and every UPDATE except the
one that closes a row's registration time (``superseded_at`` from NULL to a
value, nothing else changed). The function ``nir_expect_superseded`` of the
judged write (``nir.register.write_sql``) is installed with them. They are (re)installed after every migrate, on
SQLite and PostgreSQL alike, so a table rebuilt by a migration gets them back.
"""

from __future__ import annotations

from django.db import connections

APPEND_ONLY_MESSAGE = "NIR register rows are append-only"

_PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION nir_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: DELETE on % refused', TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NULL
     OR (to_jsonb(NEW) - 'superseded_at') IS DISTINCT FROM (to_jsonb(OLD) - 'superseded_at') THEN
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: UPDATE on % may only set superseded_at once', TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

-- The judged write (nir.register.write_sql): a status is superseded only while it is current.
CREATE OR REPLACE FUNCTION nir_expect_superseded(n bigint) RETURNS boolean AS $$
BEGIN
  IF n <> 1 THEN
    RAISE EXCEPTION 'NIR register row already superseded' USING ERRCODE = 'NIR01';
  END IF;
  RETURN true;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION nir_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
"""


def _tables():
    from nir.register.models import ALL_REGISTRATION_MODELS, Person

    regs = [(m._meta.db_table, [f.column for f in m._meta.concrete_fields]) for m in ALL_REGISTRATION_MODELS]
    return Person._meta.db_table, regs


def install_append_only_triggers(using: str = "default") -> None:
    conn = connections[using]
    person_table, regs = _tables()
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(_PG_FUNCTIONS)
            for table, cols in regs:
                # The allowed UPDATE (superseding) is the one every write makes: its check is the
                # trigger's WHEN condition, evaluated without calling the function; the function
                # runs only to refuse.
                old = ", ".join(f'OLD."{c}"' for c in cols if c != "superseded_at")
                new = ", ".join(f'NEW."{c}"' for c in cols if c != "superseded_at")
                cur.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"')
                cur.execute(f'DROP TRIGGER IF EXISTS {table}_no_delete ON "{table}"')
                cur.execute(
                    f'CREATE TRIGGER {table}_append_only BEFORE UPDATE ON "{table}" FOR EACH ROW '
                    f"WHEN (OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NULL "
                    f"OR ROW({old}) IS DISTINCT FROM ROW({new})) EXECUTE FUNCTION nir_append_only()"
                )
                cur.execute(
                    f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
                    f"FOR EACH ROW EXECUTE FUNCTION nir_append_only()"
                )
            cur.execute(f'DROP TRIGGER IF EXISTS {person_table}_immutable ON "{person_table}"')
            cur.execute(
                f'CREATE TRIGGER {person_table}_immutable BEFORE UPDATE OR DELETE ON "{person_table}" '
                f"FOR EACH ROW EXECUTE FUNCTION nir_immutable()"
            )
        elif conn.vendor == "sqlite":
            for table, cols in regs:
                changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in cols if c != "superseded_at")
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
                cur.execute(
                    f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: DELETE refused'); END"
                )
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cur.execute(
                    f'CREATE TRIGGER {table}_no_update BEFORE UPDATE ON "{table}" '
                    f"WHEN OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NULL OR {changed} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: UPDATE may only set superseded_at once'); END"
                )
            for op in ("UPDATE", "DELETE"):
                name = f"{person_table}_no_{op.lower()}"
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
                cur.execute(
                    f'CREATE TRIGGER {name} BEFORE {op} ON "{person_table}" '
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: {op} refused'); END"
                )
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise RuntimeError(f"unsupported database vendor {conn.vendor}")
