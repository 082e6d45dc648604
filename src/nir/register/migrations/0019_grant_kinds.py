"""The grants' new registration kinds (grants.md A.1.1, issue 20): familieinnvandring (reference person
and dates), videregående opplæring (full-time months go to the county), mottaksopphold (reception centre
and host municipality) and ekstratilskudd cases (FHT1/FHT2). New tables only; their append-only
triggers are installed after migrate (``nir.register.apps``), as for every registration table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0007_alter_organisation_kind_alter_roleassignment_role"),
        ("register", "0018_grant_facts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ExtraGrantCase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "operation",
                    models.CharField(
                        choices=[("create", "Opprettet"), ("correct", "Korrigert"), ("annul", "Annullert")],
                        default="create",
                        max_length=10,
                    ),
                ),
                ("change_reason", models.TextField(blank=True, verbose_name="begrunnelse")),
                ("recorded_at", models.DateTimeField(verbose_name="registrert")),
                ("superseded_at", models.DateTimeField(blank=True, null=True)),
                (
                    "registered_by_kind",
                    models.CharField(
                        choices=[("user", "Bruker"), ("client", "API-klient"), ("system", "System")], max_length=10
                    ),
                ),
                ("registered_by_system", models.CharField(blank=True, max_length=40)),
                ("source_system", models.CharField(max_length=100, verbose_name="kildesystem")),
                ("grant_type", models.CharField(max_length=10, verbose_name="ekstratilskudd")),
                ("grant_year", models.PositiveSmallIntegerField(verbose_name="tilskuddsår")),
                ("applied_at", models.DateField(blank=True, null=True, verbose_name="søknadsdato")),
                (
                    "amount_applied",
                    models.DecimalField(
                        blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="søkt beløp"
                    ),
                ),
                (
                    "amount_granted",
                    models.DecimalField(
                        blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="innvilget beløp"
                    ),
                ),
                ("decided_at", models.DateField(blank=True, null=True, verbose_name="vedtaksdato")),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="register.person",
                    ),
                ),
                (
                    "registered_by_client",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="access.apiclient",
                    ),
                ),
                (
                    "registered_by_user",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "supersedes",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="superseded_by",
                        to="register.extragrantcase",
                    ),
                ),
            ],
            options={
                "verbose_name": "ekstratilskuddssak",
                "verbose_name_plural": "ekstratilskuddssaker",
                "indexes": [
                    models.Index(fields=["person", "superseded_at"], name="xgrant_person_cur"),
                    models.Index(fields=["recorded_at"], name="xgrant_recorded"),
                ],
            },
        ),
        migrations.CreateModel(
            name="FamilyReunification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "operation",
                    models.CharField(
                        choices=[("create", "Opprettet"), ("correct", "Korrigert"), ("annul", "Annullert")],
                        default="create",
                        max_length=10,
                    ),
                ),
                ("change_reason", models.TextField(blank=True, verbose_name="begrunnelse")),
                ("recorded_at", models.DateTimeField(verbose_name="registrert")),
                ("superseded_at", models.DateTimeField(blank=True, null=True)),
                (
                    "registered_by_kind",
                    models.CharField(
                        choices=[("user", "Bruker"), ("client", "API-klient"), ("system", "System")], max_length=10
                    ),
                ),
                ("registered_by_system", models.CharField(blank=True, max_length=40)),
                ("source_system", models.CharField(max_length=100, verbose_name="kildesystem")),
                (
                    "reference_person",
                    models.CharField(
                        blank=True, default="", max_length=12, verbose_name="referanseperson (DUF-nummer)"
                    ),
                ),
                (
                    "reference_basis_at_grant",
                    models.CharField(
                        blank=True, default="", max_length=40, verbose_name="referansepersonens hjemmel ved innvilgelse"
                    ),
                ),
                (
                    "reference_first_settlement_date",
                    models.DateField(blank=True, null=True, verbose_name="referansepersonens første bosetting"),
                ),
                ("application_date", models.DateField(blank=True, null=True, verbose_name="søknadsdato")),
                (
                    "reference_nordic_citizen",
                    models.BooleanField(default=False, verbose_name="referansepersonen norsk/nordisk borger"),
                ),
                (
                    "reference_is_family_immigrant",
                    models.BooleanField(default=False, verbose_name="referansepersonen selv familieinnvandret"),
                ),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="register.person",
                    ),
                ),
                (
                    "registered_by_client",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="access.apiclient",
                    ),
                ),
                (
                    "registered_by_user",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "supersedes",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="superseded_by",
                        to="register.familyreunification",
                    ),
                ),
            ],
            options={
                "verbose_name": "familieinnvandring",
                "verbose_name_plural": "familieinnvandringer",
                "indexes": [
                    models.Index(fields=["person", "superseded_at"], name="famre_person_cur"),
                    models.Index(fields=["recorded_at"], name="famre_recorded"),
                ],
            },
        ),
        migrations.CreateModel(
            name="ReceptionStay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "operation",
                    models.CharField(
                        choices=[("create", "Opprettet"), ("correct", "Korrigert"), ("annul", "Annullert")],
                        default="create",
                        max_length=10,
                    ),
                ),
                ("change_reason", models.TextField(blank=True, verbose_name="begrunnelse")),
                ("recorded_at", models.DateTimeField(verbose_name="registrert")),
                ("superseded_at", models.DateTimeField(blank=True, null=True)),
                (
                    "registered_by_kind",
                    models.CharField(
                        choices=[("user", "Bruker"), ("client", "API-klient"), ("system", "System")], max_length=10
                    ),
                ),
                ("registered_by_system", models.CharField(blank=True, max_length=40)),
                ("source_system", models.CharField(max_length=100, verbose_name="kildesystem")),
                ("centre", models.CharField(max_length=100, verbose_name="mottak")),
                ("host_municipality", models.CharField(max_length=4, verbose_name="vertskommune")),
                ("from_date", models.DateField(verbose_name="fra")),
                ("to_date", models.DateField(blank=True, null=True, verbose_name="til")),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="register.person",
                    ),
                ),
                (
                    "registered_by_client",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="access.apiclient",
                    ),
                ),
                (
                    "registered_by_user",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "supersedes",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="superseded_by",
                        to="register.receptionstay",
                    ),
                ),
            ],
            options={
                "verbose_name": "mottaksopphold",
                "verbose_name_plural": "mottaksopphold",
                "indexes": [
                    models.Index(fields=["person", "superseded_at"], name="recst_person_cur"),
                    models.Index(fields=["recorded_at"], name="recst_recorded"),
                ],
            },
        ),
        migrations.CreateModel(
            name="UpperSecondaryEnrolment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "operation",
                    models.CharField(
                        choices=[("create", "Opprettet"), ("correct", "Korrigert"), ("annul", "Annullert")],
                        default="create",
                        max_length=10,
                    ),
                ),
                ("change_reason", models.TextField(blank=True, verbose_name="begrunnelse")),
                ("recorded_at", models.DateTimeField(verbose_name="registrert")),
                ("superseded_at", models.DateTimeField(blank=True, null=True)),
                (
                    "registered_by_kind",
                    models.CharField(
                        choices=[("user", "Bruker"), ("client", "API-klient"), ("system", "System")], max_length=10
                    ),
                ),
                ("registered_by_system", models.CharField(blank=True, max_length=40)),
                ("source_system", models.CharField(max_length=100, verbose_name="kildesystem")),
                ("from_date", models.DateField(verbose_name="fra")),
                ("to_date", models.DateField(blank=True, null=True, verbose_name="til")),
                ("full_time", models.BooleanField(default=False, verbose_name="fulltid")),
                ("county", models.CharField(max_length=2, verbose_name="fylke")),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="register.person",
                    ),
                ),
                (
                    "registered_by_client",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="access.apiclient",
                    ),
                ),
                (
                    "registered_by_user",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "supersedes",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="superseded_by",
                        to="register.uppersecondaryenrolment",
                    ),
                ),
            ],
            options={
                "verbose_name": "videregående opplæring",
                "verbose_name_plural": "videregående opplæring",
                "indexes": [
                    models.Index(fields=["person", "superseded_at"], name="upsec_person_cur"),
                    models.Index(fields=["recorded_at"], name="upsec_recorded"),
                ],
            },
        ),
    ]
