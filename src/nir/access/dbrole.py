"""The application's own PostgreSQL role: it owns nothing and may do only what NIR does.

    nir dbrole [ROLE] [--create] [--password-env VAR]    # as the schema's owner (nir.cli)
    grant_app_role(using, role)                           # also after every ``nir migrate``

Migrations run as the owner of the schema (``NIR_MIGRATE_DATABASE_URL``); the running application
connects as another role (``DATABASE_URL``'s user, ``settings.NIR_APP_DB_ROLE``) with exactly:

* the append-only tables (``nir.register.db``: the person anchor, every registration table, the
  audit log, and those other apps name there — Bosetting's, ``nir.settlement.db``): SELECT and
  INSERT; on a registration table UPDATE of ``superseded_at`` only (the one UPDATE its trigger lets
  through: closing a row's registration time; a settlement request round: ``sent_at`` and who sent
  it, once); on the person anchor (and the settlement's immutable tables) UPDATE of ``id`` only, which no statement
  makes (its trigger refuses every UPDATE) but which PostgreSQL requires for
  ``SELECT … FOR UPDATE``, the lock every write takes on the person;
* ``django_migrations`` and ``register_personfacts`` (each person's current facts, kept by
  triggers whose function runs as the owner, ``nir.register.person_facts``): SELECT;
* every other table (users, sessions, API clients, batches, reference data, help texts …):
  SELECT, INSERT, UPDATE, DELETE;
* sequences: USAGE and SELECT (``nextval``; no ``setval``).

So the application can neither DELETE, TRUNCATE nor UPDATE a registered fact or an audit event,
nor DROP, ALTER or disable a trigger (only a table's owner can) — even with an SQL injection or a
stolen connection string. Everything is revoked first, so the grants are exactly these; they are
given again after every migrate (new tables). The bulk loads (``nir synth``, ``nir demo``) and
the schema commands run as the owner. See docs/security.md.
"""

from __future__ import annotations

from django.db import connections

from nir.access.db import audit_append_only_tables
from nir.register import person_facts
from nir.register.db import other_append_only_tables, register_append_only_tables

# register_personfacts: written only by its triggers' function, as the owner (nir.register.person_facts)
READ_ONLY_TABLES = ("django_migrations", person_facts.TABLE)


class RoleError(Exception):
    pass


def table_grants(tables: list[str]) -> dict[str, str]:
    """Each table's privileges for the application's role, as the GRANT's privilege list."""
    append_only = {
        t.table: t for t in register_append_only_tables() + audit_append_only_tables() + other_append_only_tables()
    }

    grants = {}
    for table in tables:
        t = append_only.get(table)
        if table in READ_ONLY_TABLES:
            grants[table] = "SELECT"
        elif t is None:
            grants[table] = "SELECT, INSERT, UPDATE, DELETE"
        elif t.supersedable:
            grants[table] = f"SELECT, INSERT, UPDATE ({', '.join(t.once)})"
        elif t.lockable:
            grants[table] = "SELECT, INSERT, UPDATE (id)"  # SELECT … FOR UPDATE; the trigger refuses UPDATE
        else:
            grants[table] = "SELECT, INSERT"
    return grants


def _ident(conn, name: str) -> str:
    from psycopg import sql

    return sql.Identifier(name).as_string(conn.connection)


def role_exists(using: str, role: str) -> bool:
    with connections[using].cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return cur.fetchone() is not None


def grant_app_role(using: str, role: str, *, create: bool = False, password: str | None = None) -> dict[str, str]:
    """(Create and) give ``role`` exactly the application's privileges on the schema of ``using``
    (PostgreSQL, as the schema's owner). Returns the grants by table."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        raise RoleError("databaseroller finnes bare i PostgreSQL (SQLite har én bruker: filens eier)")
    conn.ensure_connection()
    role_sql = _ident(conn, role)
    with conn.cursor() as cur:
        cur.execute("SELECT current_user, current_schema()")
        me, schema = cur.fetchone()
        if role == me:
            raise RoleError(f"applikasjonens rolle {role} er den samme som eierens ({me}): bruk en egen rolle")
        cur.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
        found = cur.fetchone()
        if found is None:
            if not create:
                raise RoleError(f"rollen {role} finnes ikke (opprett den med --create, eller be en DBA om det)")
            from psycopg import sql

            pw = sql.Literal(password).as_string(conn.connection) if password else "NULL"
            cur.execute(
                f"CREATE ROLE {role_sql} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                f"NOBYPASSRLS PASSWORD {pw}"
            )
        elif found[0] or found[1]:
            raise RoleError(f"rollen {role} er superbruker eller går forbi radsikkerhet: den kan ikke begrenses")
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s LIMIT 1",
            [role],
        )
        owned = cur.fetchone()
        if owned is not None:
            raise RoleError(f"rollen {role} eier {owned[0]}: applikasjonens rolle skal ikke eie noe")
        schema_sql = _ident(conn, schema)
        cur.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema_sql} FROM {role_sql}")
        cur.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema_sql} FROM {role_sql}")
        cur.execute(f"REVOKE CREATE ON SCHEMA {schema_sql} FROM {role_sql}")
        cur.execute(f"GRANT USAGE ON SCHEMA {schema_sql} TO {role_sql}")
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema])
        grants = table_grants([name for (name,) in cur.fetchall()])
        for table, privileges in grants.items():
            cur.execute(f"GRANT {privileges} ON TABLE {_ident(conn, table)} TO {role_sql}")
        cur.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_sql} TO {role_sql}")
    return grants


def grant_after_migrate(using: str) -> None:
    """post_migrate: the application's role gets the grants of the new tables too (when it exists)."""
    from django.conf import settings

    role = getattr(settings, "NIR_APP_DB_ROLE", "")
    conn = connections[using]
    if not role or conn.vendor != "postgresql" or not role_exists(using, role):
        return
    with conn.cursor() as cur:
        cur.execute("SELECT current_user")
        if cur.fetchone()[0] == role:
            return  # one role for everything (development): nothing to grant
    grant_app_role(using, role)
