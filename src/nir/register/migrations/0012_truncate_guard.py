"""PostgreSQL: refuse TRUNCATE on the register's append-only tables (issue 15 § 3.7).

TRUNCATE fires no DELETE trigger, so the row triggers of ``nir.register.db`` did not stop it. A
statement-level ``BEFORE TRUNCATE`` trigger on the person anchor and every registration table
refuses it. (The row triggers and these are also reinstalled after every migrate; the
application's database role holds no TRUNCATE privilege in the first place.) SQLite has no
TRUNCATE: nothing to do there.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from nir.register.db import install_truncate_guard, register_append_only_tables

    install_truncate_guard(schema_editor.connection.alias, register_append_only_tables())


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from nir.register.db import register_append_only_tables

    for t in register_append_only_tables():
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {t.table}_no_truncate ON "{t.table}"')


class Migration(migrations.Migration):
    dependencies = [("register", "0011_person_search_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
