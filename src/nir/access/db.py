"""Database-level guarantee of the audit log: append-only.

Triggers refuse every UPDATE and DELETE on ``access_auditevent`` and
``access_auditeventperson``, whatever the path (ORM, bulk, raw SQL). Installed after every
migrate on SQLite and PostgreSQL alike (as ``nir.register.db`` installs the register's), so a
table rebuilt by a migration gets them back. Retention (deleting old events) is a deliberate
database-administrator operation that drops the trigger; see docs/audit.md.
"""

from __future__ import annotations

from django.db import connections

AUDIT_APPEND_ONLY_MESSAGE = "NIR audit events are append-only"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION nir_audit_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{AUDIT_APPEND_ONLY_MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
"""


def audit_tables() -> list[str]:
    from nir.access.models import AuditEvent, AuditEventPerson

    return [AuditEvent._meta.db_table, AuditEventPerson._meta.db_table]


def install_audit_triggers(using: str = "default") -> None:
    conn = connections[using]
    tables = audit_tables()
    existing = set(conn.introspection.table_names())
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(_PG_FUNCTION)
            for table in tables:
                if table not in existing:
                    continue
                cur.execute(f'DROP TRIGGER IF EXISTS {table}_immutable ON "{table}"')
                cur.execute(
                    f'CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON "{table}" '
                    f"FOR EACH ROW EXECUTE FUNCTION nir_audit_immutable()"
                )
        elif conn.vendor == "sqlite":
            for table in tables:
                if table not in existing:
                    continue
                for op in ("UPDATE", "DELETE"):
                    name = f"{table}_no_{op.lower()}"
                    cur.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cur.execute(
                        f'CREATE TRIGGER {name} BEFORE {op} ON "{table}" '
                        f"BEGIN SELECT RAISE(ABORT, '{AUDIT_APPEND_ONLY_MESSAGE}: {op} refused'); END"
                    )
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise RuntimeError(f"unsupported database vendor {conn.vendor}")
