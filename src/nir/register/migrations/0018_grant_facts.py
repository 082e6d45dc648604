"""The register facts the grants need (grants.md A.1.1, issue 20), on existing kinds.

Additive only: every new column is nullable or has a default ("" for codes and text, false for the
companion flag), so every existing row stays valid and means what it meant (an empty settlement kind:
not registered; the grant engine then reads ``by_agreement``). Settlement: kind, household, role;
residence: source, kind, reception centre; competence mapping: legal basis, registered in the tool,
host municipality; the person's details: mother, citizenship, unaccompanied minor (and companion),
emigration and death dates, asylum procedure and entry into the asylum training's target group.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def drop_facts_view(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """SQLite rebuilds a table to add a column with a default, and refuses while a view names it: the
    view of each person's current facts and its triggers are dropped here and installed again below."""
    from nir.register import person_facts

    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL adds the columns in place
    for table in person_facts.SOURCE_TABLES:
        for event in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_facts_{event}")
    schema_editor.execute(f"DROP VIEW IF EXISTS {person_facts.VIEW}")


def install_facts_view(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from nir.register import person_facts

    person_facts.install(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0017_permit_basis_family_of_worker"),
    ]

    operations = [
        migrations.RunPython(drop_facts_view, install_facts_view),
        migrations.AddField(
            model_name="competencemapping",
            name="host_municipality",
            field=models.CharField(blank=True, default="", max_length=4, verbose_name="vertskommune"),
        ),
        migrations.AddField(
            model_name="competencemapping",
            name="legal_basis",
            field=models.CharField(blank=True, default="", max_length=20, verbose_name="hjemmel"),
        ),
        migrations.AddField(
            model_name="competencemapping",
            name="registered_in_tool",
            field=models.BooleanField(blank=True, null=True, verbose_name="registrert i kartleggingsverktøyet"),
        ),
        migrations.AddField(
            model_name="persondetails",
            name="asylum_duty_group_entry",
            field=models.DateField(blank=True, null=True, verbose_name="i målgruppen for opplæring (asylmottak)"),
        ),
        migrations.AddField(
            model_name="persondetails",
            name="asylum_procedure",
            field=models.CharField(blank=True, default="", max_length=20, verbose_name="prosedyre (asyl)"),
        ),
        migrations.AddField(
            model_name="persondetails",
            name="citizenship",
            field=models.CharField(blank=True, default="", max_length=3, verbose_name="statsborgerskap"),
        ),
        migrations.AddField(
            model_name="persondetails",
            name="death_date",
            field=models.DateField(blank=True, null=True, verbose_name="dødsdato"),
        ),
        migrations.AddField(
            model_name="persondetails",
            name="emigration_date",
            field=models.DateField(blank=True, null=True, verbose_name="utvandret"),
        ),
        migrations.AddField(
            model_name="persondetails",
            name="mother",
            field=models.CharField(blank=True, default="", max_length=12, verbose_name="mor (DUF-nummer)"),
        ),
        migrations.AddField(
            model_name="persondetails",
            name="unaccompanied_minor",
            field=models.BooleanField(blank=True, null=True, verbose_name="enslig mindreårig"),
        ),
        migrations.AddField(
            model_name="persondetails",
            name="with_companion",
            field=models.BooleanField(default=False, verbose_name="med følgeperson"),
        ),
        migrations.AddField(
            model_name="residence",
            name="kind",
            field=models.CharField(blank=True, default="", max_length=20, verbose_name="type adresse"),
        ),
        migrations.AddField(
            model_name="residence",
            name="reception_centre",
            field=models.CharField(blank=True, default="", max_length=100, verbose_name="mottak"),
        ),
        migrations.AddField(
            model_name="residence",
            name="source",
            field=models.CharField(blank=True, default="", max_length=20, verbose_name="kilde"),
        ),
        migrations.AddField(
            model_name="settlement",
            name="household_id",
            field=models.CharField(blank=True, default="", max_length=40, verbose_name="husstand"),
        ),
        migrations.AddField(
            model_name="settlement",
            name="household_role",
            field=models.CharField(blank=True, default="", max_length=10, verbose_name="rolle i husstanden"),
        ),
        migrations.AddField(
            model_name="settlement",
            name="kind",
            field=models.CharField(blank=True, default="", max_length=20, verbose_name="bosettingsmåte"),
        ),
        migrations.RunPython(install_facts_view, drop_facts_view),
    ]
