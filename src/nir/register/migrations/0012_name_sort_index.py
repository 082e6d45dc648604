"""An index of the current names in the order the person lists sort them (PostgreSQL).

The person list (``nir.reports.queries.personliste``) is sorted by ``lower(last_name)``,
``lower(first_name)``: with this index the database reads a page of the list in index order and
stops after it, instead of computing and sorting every person of a large municipality. SQLite's
registers are small, so nothing is created there.
"""

from django.db import migrations

INDEXES = {
    "pdet_name_sort_cur": "ON register_persondetails (lower(last_name), lower(first_name)) "
                          "WHERE superseded_at IS NULL",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("register", "0011_person_search_indexes")]
    operations = [migrations.RunPython(create, drop)]
