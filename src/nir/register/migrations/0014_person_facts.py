"""Each person's current facts in one row, kept by triggers (``nir.register.person_facts``).

Creates the table, the view that defines a row and the triggers, then fills the table from the
register (a full recomputation: at 1,000,000 persons a few minutes).
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from nir.register import person_facts

    person_facts.install(schema_editor.connection.alias)
    person_facts.refresh_all(schema_editor.connection.alias)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from nir.register import person_facts

    vendor = schema_editor.connection.vendor
    for table in person_facts.SOURCE_TABLES:
        for event in ("insert", "update"):
            name = f"{table}_facts_{event}"
            schema_editor.execute(
                f'DROP TRIGGER IF EXISTS {name} ON "{table}"'
                if vendor == "postgresql"
                else f"DROP TRIGGER IF EXISTS {name}"
            )
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {person_facts.pg_function(table)}()")
    schema_editor.execute(f"DROP VIEW IF EXISTS {person_facts.VIEW}")


class Migration(migrations.Migration):
    dependencies = [("register", "0013_name_sort_index")]

    operations = [
        migrations.CreateModel(
            name="PersonFacts",
            fields=[
                (
                    "person",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=models.DO_NOTHING,
                        primary_key=True,
                        related_name="facts",
                        serialize=False,
                        to="register.person",
                    ),
                ),
                ("law", models.CharField(max_length=20, null=True)),
                ("intro_category", models.CharField(max_length=20, null=True)),
                ("norwegian_category", models.CharField(max_length=20, null=True)),
                ("intro_start_date", models.DateField(null=True)),
                ("intro_deadline", models.DateField(null=True)),
                ("intro_closed_date", models.DateField(null=True)),
                ("norwegian_deadline", models.DateField(null=True)),
                ("deviation", models.IntegerField(null=True)),
                ("fu_count", models.IntegerField(null=True)),
                ("fu_first", models.DateField(null=True)),
                ("fu_from", models.DateField(null=True)),
                ("fu_to", models.DateField(null=True)),
                ("fu_municipality", models.CharField(max_length=4, null=True)),
                ("fu_district", models.CharField(max_length=6, null=True)),
                ("st_first", models.DateField(null=True)),
                ("st_last", models.DateField(null=True)),
                ("pe_first", models.DateField(null=True)),
                ("pe_last", models.DateField(null=True)),
                ("pe_basis", models.CharField(max_length=40, null=True)),
                ("goal", models.CharField(max_length=40, null=True)),
                ("te_first", models.DateField(null=True)),
                ("te_reason_first", models.DateField(null=True)),
                ("te_reason_last", models.DateField(null=True)),
                ("te_completed_first", models.DateField(null=True)),
                ("te_completed_last", models.DateField(null=True)),
                ("nte_first", models.DateField(null=True)),
                ("np_first_from", models.DateField(null=True)),
                ("np_last_from", models.DateField(null=True)),
                ("np_last_to", models.DateField(null=True)),
                ("ex_taken_first", models.DateField(null=True)),
                ("ex_passed_first", models.DateField(null=True)),
            ],
            options={"verbose_name": "personens gjeldende fakta", "verbose_name_plural": "personenes gjeldende fakta"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
