"""Organisations, users, roles and API clients.

Who may see or do what is decided in this package (enforcement arrives with
the access-control issue); the register only records who acted.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class OrganisationKind(models.TextChoices):
    IMDI = "imdi", "IMDi"
    MUNICIPALITY = "municipality", "Kommune"
    DISTRICT = "district", "Bydel"
    COUNTY = "county", "Fylkeskommune"
    COUNTY_GOVERNOR = "county_governor", "Statsforvalter"
    RESEARCH = "research", "Forskningsinstitusjon"


class Organisation(models.Model):
    code = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    name = models.CharField("navn", max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    municipality_number = models.CharField(max_length=4, blank=True)
    district_number = models.CharField(max_length=6, blank=True)
    # For a county: its own number; for a county governor: the counties it supervises.
    county_numbers = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "organisasjon"
        verbose_name_plural = "organisasjoner"
        ordering = ["kind", "code"]
        indexes = [models.Index(fields=["kind", "municipality_number"])]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Saksbehandler"
    MUNICIPALITY_ADMIN = "municipality_admin", "Lokal administrator"
    CAREER_COUNSELLOR = "career_counsellor", "Karriereveileder"
    COUNTY_GOVERNOR = "county_governor", "Statsforvalter (tilsyn)"
    IMDI_ADMIN = "imdi_admin", "IMDi administrator"
    IMDI_ANALYST = "imdi_analyst", "IMDi analytiker"
    SETTLEMENT_CASEWORKER = "settlement_caseworker", "IMDi bosettingssaksbehandler"
    RESEARCHER = "researcher", "Forsker"


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    class Meta:
        verbose_name = "bruker"
        verbose_name_plural = "brukere"

    def role_codes(self) -> set[str]:
        return set(self.role_assignments.values_list("role", flat=True))


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=40, choices=Role.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="role_assignments")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "rolle"
        verbose_name_plural = "roller"
        constraints = [models.UniqueConstraint(fields=["user", "role", "organisation"], name="role_assignment_uniq")]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} ({self.organisation})"


class ApiClient(models.Model):
    """A machine client (a municipal case system) acting for one organisation."""

    client_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="api_clients")
    source_system = models.CharField("fagsystem", max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API-klient"
        verbose_name_plural = "API-klienter"

    def __str__(self):
        return f"{self.name} ({self.organisation})"
