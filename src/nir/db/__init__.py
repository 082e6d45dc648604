"""The database plumbing of the PostgreSQL fast paths, in one place, each with its Django fallback.

The write path and the audit log send their own statements on PostgreSQL (prepared once per
connection, in psycopg's pipeline mode) where Django's ORM would cost more round trips or more CPU
per write (``docs/benchmarks.md``); on SQLite, and wherever a value or a model is not of the plain
kind they know, they do what Django does. This package holds what those paths share and is
neutral: it imports no application (``nir.register``, ``nir.access`` and the action layer import
it, never the other way round).

* ``params.values`` — statement parameters as ``Field.get_db_prep_save`` makes them (fast on
  PostgreSQL; Django's own elsewhere);
* ``rows.loaded_instance`` — a model instance as ``Model.from_db`` makes it, without ``__init__``;
* ``pipeline`` — ``Pipeline`` (a transaction in pipeline mode, passed explicitly to the writes made
  in it), ``in_pipeline``, ``execute_prepared``.

The register's own statements are in ``nir.register.snapshot_sql`` (reads) and
``nir.register.write_sql`` (the judged write); the audit event's in ``nir.access.audit``. Each has a
test that it equals the ORM (``tests/register/test_snapshot_sql.py``, ``test_write_sql.py``,
``test_pg_params.py``, ``tests/access/test_access_audit.py``).
"""
