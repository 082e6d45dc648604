"""An index of the current names in the order the person lists sort them (PostgreSQL), and the
follow-up periods' row id in the covering indexes of a municipality's (district's) periods.

The person list (``nir.reports.queries.personliste``) is sorted by ``lower(last_name)``,
``lower(first_name)``: with this index the database reads a page of the list in index order and
stops after it, instead of computing and sorting every person of a large municipality; it covers
the columns the list reads from the table, so that the database reads the index alone. SQLite's
registers are small, so nothing is created there.

The follow-up municipality on a date is the latest starting period covering it
(``nir.register.history.followed_up``: a period that no later one overrides, compared by start
and id), so ``follow_muni_cover`` and ``follow_dist_cover`` carry the id to be read alone too; and
``pdet_names_cover`` the row id, so that a person list started from a municipality's persons reads
their names from the index alone.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEXES = {
    "pdet_name_sort_cover": "ON register_persondetails (lower(last_name), lower(first_name)) "
    "INCLUDE (person_id, id, first_name, last_name, operation) WHERE superseded_at IS NULL",
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
    dependencies = [("register", "0012_truncate_guard")]
    operations = [
        migrations.RunPython(create, drop),
        migrations.RemoveIndex(model_name="followup", name="follow_muni_cover"),
        migrations.RemoveIndex(model_name="followup", name="follow_dist_cover"),
        migrations.RemoveIndex(model_name="persondetails", name="pdet_names_cover"),
        migrations.AddIndex(
            model_name="persondetails",
            index=models.Index(
                condition=models.Q(("superseded_at__isnull", True)),
                fields=["person"],
                include=("first_name", "last_name", "operation", "id"),
                name="pdet_names_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("superseded_at__isnull", True)),
                fields=["municipality", "valid_from"],
                include=("person", "valid_to", "operation", "id"),
                name="follow_muni_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("superseded_at__isnull", True), models.Q(("district", ""), _negated=True)),
                fields=["district", "valid_from"],
                include=("person", "valid_to", "operation", "id"),
                name="follow_dist_cover",
            ),
        ),
    ]
