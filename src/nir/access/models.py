"""Organisations, users, roles and API clients.

Who may see or do what is decided in this package (enforcement arrives with
the access-control issue); the register only records who acted.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from nir.access.policy import role_permission_sets
from nir.access.roles import OrganisationKind, Role  # the enums live in nir.access.roles; importable here too
from nir.register.models import ActorKind  # one actor kind for the register's rows and the audit log


class Organisation(models.Model):
    code = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    name = models.CharField("navn", max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    municipality_number = models.CharField(max_length=4, blank=True)
    district_number = models.CharField(max_length=6, blank=True)
    # For a county: its own number; for a county governor: the counties it supervises; for an IMDi
    # regional office (Bosetting): the counties of its region (none: national, nir.access.settlement).
    county_numbers = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "organisasjon"
        verbose_name_plural = "organisasjoner"
        ordering = ["kind", "code"]
        indexes = [models.Index(fields=["kind", "municipality_number"])]

    def __str__(self):
        return self.name


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # The OpenID Connect ``sub`` claim this user logs in with (ID-porten); set by an administrator,
    # never by the login itself (no self-provisioning). See docs/security.md.
    oidc_subject = models.CharField("OIDC-subjekt", max_length=255, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = "bruker"
        verbose_name_plural = "brukere"

    def role_codes(self) -> set[str]:
        return set(self.role_assignments.values_list("role", flat=True))

    def granted_permission_sets(self) -> list:
        """The permission sets of this user's roles in its own organisation (``nir.access.policy``)."""
        return role_permission_sets(self)


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
    # The OAuth2 scopes (``nir.access.policy.SCOPES``) the client may ask for.
    scopes = models.JSONField("tillatte scopes", default=list, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API-klient"
        verbose_name_plural = "API-klienter"

    def __str__(self):
        return f"{self.name} ({self.organisation})"

    def clean(self):
        """A client holds only scopes its organisation's kind may use (no write scope for a county
        governor); the admin's form calls this (``nir clients`` checks the same rule)."""
        from django.core.exceptions import ValidationError

        from nir.access.policy import scope_refusal

        super().clean()
        if not isinstance(self.scopes, list) or not all(isinstance(s, str) for s in self.scopes):
            raise ValidationError({"scopes": "scopes må være en liste av tekster"})
        if self.organisation_id is not None:
            refusal = scope_refusal(self.organisation, self.scopes)
            if refusal:
                raise ValidationError({"scopes": refusal})


class ApiClientKey(models.Model):
    """A public key with which a client signs its JWT grants (``kid`` in the JWT header).

    A client holds several keys during a rotation: add the new key, switch the client over,
    then revoke the old one. Only the public key is stored; NIR never sees the private key.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="keys")
    kid = models.CharField("nøkkel-id (kid)", max_length=100, unique=True)
    algorithm = models.CharField("algoritme", max_length=10, default="ES256")
    public_key = models.TextField("offentlig nøkkel (PEM)")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("utløper", null=True, blank=True)
    revoked_at = models.DateTimeField("trukket tilbake", null=True, blank=True)

    class Meta:
        verbose_name = "klientnøkkel"
        verbose_name_plural = "klientnøkler"

    def __str__(self):
        return f"{self.kid} ({self.client.client_id})"


class OAuthGrantUse(models.Model):
    """A JWT grant already exchanged for a token: its ``jti`` may not be used again (replay)."""

    jti = models.CharField(max_length=200)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="oauth_grant_jti_uniq")]


# --- the audit log (tilgangslogg) -------------------------------------------------------------
# Written only by ``nir.access.audit.record``; append-only (UPDATE and DELETE refused by database
# triggers, ``nir.access.db``). See docs/audit.md.


class AuditAction(models.TextChoices):
    READ = "read", "Lesing"
    SEARCH = "search", "Søk"
    WRITE = "write", "Registrering"
    REPORT = "report", "Rapport"
    STATISTICS = "statistics", "Statistikk"
    EXPORT = "export", "Uttrekk/nedlasting"
    LOGIN = "login", "Innlogging"


class AuditChannel(models.TextChoices):
    WEB = "web", "Nettløsningen"
    API = "api", "API (fagsystem)"
    COMMAND = "command", "Kommandolinje"
    SYSTEM = "system", "System"


class AuditPurpose(models.TextChoices):
    """Suggested purpose codes; ``AuditEvent.purpose`` also accepts free text."""

    CASEWORK = "saksbehandling", "Saksbehandling og oppfølging"
    SUPERVISION = "tilsyn", "Tilsyn (statsforvalter)"
    ADMINISTRATION = "forvaltning", "Forvaltning av registeret (IMDi)"
    STATISTICS = "statistikk", "Statistikk"
    RESEARCH = "forskning", "Forskning"
    OPERATIONS = "drift", "Drift"
    ACCESS_REQUEST = "innsyn", "Innsyn (personvernforordningen art. 15)"


class AuditOutcome(models.TextChoices):
    ALLOWED = "allowed", "Tillatt"
    DENIED = "denied", "Avvist"


class AuditEvent(models.Model):
    """One read or write of personal data: who, which organisation, what, when, why, through which path.

    The persons concerned are ``AuditEventPerson`` rows (person ids, never identity numbers), at most
    ``nir.access.audit.MAX_INLINE_PERSONS`` per event; ``person_count`` is always the full number and
    ``persons_complete`` says whether every one of them is listed.
    """

    when = models.DateTimeField("tidspunkt", db_index=True)
    actor_kind = models.CharField("aktørtype", max_length=10, choices=ActorKind.choices)
    # No index of their own on user and organisation: the indexes (user, when) and (organisation,
    # when) below serve every look-up by either (leading column), and every request writes an event.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events", db_index=False
    )
    api_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    system = models.CharField("systemaktør", max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events", db_index=False
    )
    action = models.CharField("handling", max_length=20, choices=AuditAction.choices)
    channel = models.CharField("kanal", max_length=10, choices=AuditChannel.choices)
    endpoint = models.CharField("adresse/kommando", max_length=300, blank=True)
    purpose = models.CharField("formål", max_length=200, blank=True)
    what = models.CharField("hva", max_length=200)
    person_count = models.PositiveIntegerField("antall personer", default=0)
    persons_complete = models.BooleanField("alle personer listet", default=True)
    filters = models.JSONField("søk/filtre", default=dict, blank=True)
    request_id = models.CharField("forespørsels-id", max_length=64, blank=True)
    outcome = models.CharField("utfall", max_length=10, choices=AuditOutcome.choices, default=AuditOutcome.ALLOWED)

    class Meta:
        verbose_name = "tilgangslogg-hendelse"
        verbose_name_plural = "tilgangslogg"
        ordering = ["-when", "-id"]
        indexes = [
            models.Index(fields=["organisation", "when"], name="audit_org_when"),
            models.Index(fields=["user", "when"], name="audit_user_when"),
            models.Index(fields=["action", "when"], name="audit_action_when"),
        ]

    def __str__(self):
        return f"{self.when:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.what}"

    @property
    def actor_label(self) -> str:
        if self.user_id:
            return self.user.username
        if self.api_client_id:
            return self.api_client.client_id
        return self.system or "system"


class AuditEventPerson(models.Model):
    """A person concerned by an ``AuditEvent`` (by id: the register's key, not an identity number)."""

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="person_links")
    # no index of its own: the unique constraint (person, event) serves a person's access log
    person = models.ForeignKey("register.Person", on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        verbose_name = "person i tilgangslogg"
        verbose_name_plural = "personer i tilgangslogg"
        constraints = [models.UniqueConstraint(fields=["person", "event"], name="audit_person_event_uniq")]
