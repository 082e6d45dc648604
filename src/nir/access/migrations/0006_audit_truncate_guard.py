"""PostgreSQL: refuse TRUNCATE on the audit log's tables (issue 15 § 3.7).

TRUNCATE fires no DELETE trigger; a statement-level ``BEFORE TRUNCATE`` trigger on
``access_auditevent`` and ``access_auditeventperson`` refuses it (``nir.register.db``, the one
append-only installer; also reinstalled after every migrate). SQLite has no TRUNCATE.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from nir.access.db import audit_append_only_tables
    from nir.register.db import install_truncate_guard

    install_truncate_guard(schema_editor.connection.alias, audit_append_only_tables())


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from nir.access.db import audit_tables

    for table in audit_tables():
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"')


class Migration(migrations.Migration):
    dependencies = [("access", "0005_audit_no_duplicate_fk_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
