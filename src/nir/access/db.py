"""Database-level guarantee of the audit log: append-only.

``access_auditevent`` and ``access_auditeventperson`` are immutable tables of the one append-only
installer (``nir.register.db.install_append_only``): triggers refuse every UPDATE, DELETE and (on
PostgreSQL) TRUNCATE, whatever the path (ORM, bulk, raw SQL); on SQLite a REPLACE is refused as a
DELETE (recursive triggers). Installed after every migrate on SQLite and PostgreSQL alike, so a
table rebuilt by a migration gets them back. The application's database role may only SELECT and
INSERT them (``nir.access.dbrole``). Retention (deleting old events) is a deliberate
database-administrator operation, as the owner, that drops the trigger; see docs/audit.md.
"""

from __future__ import annotations

from nir.register.db import AppendOnlyTable

AUDIT_APPEND_ONLY_MESSAGE = "NIR audit events are append-only"


def audit_tables() -> list[str]:
    from nir.access.models import AuditEvent, AuditEventPerson

    return [AuditEvent._meta.db_table, AuditEventPerson._meta.db_table]


def audit_append_only_tables() -> list[AppendOnlyTable]:
    return [AppendOnlyTable(table, AUDIT_APPEND_ONLY_MESSAGE) for table in audit_tables()]
