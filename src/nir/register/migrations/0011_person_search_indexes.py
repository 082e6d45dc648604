"""Indexes for the person search of the web application (``/personer/``) on PostgreSQL.

Search by identity number looks up the current ``national_id``; search by name is a
case-insensitive prefix match (``istartswith``: ``UPPER(col::text) LIKE UPPER('x%')``), which a
``text_pattern_ops`` index on the upper-cased name serves whatever the database's collation.
SQLite has no operator classes and its registers are small, so nothing is created there.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEXES = {
    "pdet_national_id_cur": "ON register_persondetails (national_id) WHERE superseded_at IS NULL AND national_id <> ''",
    "pdet_last_upper_cur": "ON register_persondetails ((upper(last_name::text)) text_pattern_ops) "
    "WHERE superseded_at IS NULL",
    "pdet_first_upper_cur": "ON register_persondetails ((upper(first_name::text)) text_pattern_ops) "
    "WHERE superseded_at IS NULL",
}


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("register", "0010_worklist_indexes")]
    operations = [migrations.RunPython(create, drop)]
