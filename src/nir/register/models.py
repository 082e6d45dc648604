"""The register: persons and everything registered about them.

Every fact is a *registration* row (``Registration``) that is never
overwritten or deleted. Two kinds of time are kept (bitemporal):

* domain time — the dates the fact is about (decision date, start and end,
  absence from/to, …), in the fact's own fields;
* registration time — ``recorded_at`` (when the register learnt it) and
  ``superseded_at`` (when a later registration replaced it; NULL while current).

A correction (``correct``) or deletion (``annul``) is a new row that points
at the row it replaces (``supersedes``) and carries a reason; the replaced
row only gets its ``superseded_at`` set, once. Database triggers enforce this
(``nir.register.db``), so no code path — ORM, bulk or raw SQL — can change or
delete a registered fact. Every row records who registered it (a user, an
API client or a system actor such as ``Regelmotor``) and from which source
system.

Read through ``nir.register.history`` (``current()``, ``known_at(T)``), never
by filtering these tables by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class Operation(models.TextChoices):
    CREATE = "create", "Opprettet"
    CORRECT = "correct", "Korrigert"
    ANNUL = "annul", "Annullert"


class ActorKind(models.TextChoices):
    """Who acted: on every registration row (``registered_by_kind``) and every audit event
    (``nir.access.models.AuditEvent.actor_kind``) alike."""

    USER = "user", "Bruker"
    CLIENT = "client", "API-klient"
    SYSTEM = "system", "System"


_R_co = TypeVar("_R_co", bound="Registration", covariant=True)


class RegistrationQuerySet(models.QuerySet[_R_co]):
    """Query helpers for registration time. Written once, used everywhere."""

    def current(self) -> Self:
        """What the register holds now."""
        return self.filter(superseded_at__isnull=True).exclude(operation=Operation.ANNUL)

    def known_at(self, when: dt.datetime) -> Self:
        """What the register held at ``when`` (a timezone-aware datetime)."""
        return (
            self.filter(recorded_at__lte=when)
            .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=when))
            .exclude(operation=Operation.ANNUL)
        )

    def as_known(self, when: dt.datetime | None = None) -> Self:
        return self.current() if when is None else self.known_at(when)


class Person(models.Model):
    """The anchor of a person: the DUF number and when the register learnt of them.

    Immutable once written; everything else about the person is in
    registrations (``PersonDetails`` for names, identity number, …).
    """

    duf = models.CharField("DUF-nummer", max_length=12, unique=True)
    recorded_at = models.DateTimeField("registrert", db_index=True)
    source_system = models.CharField("kildesystem", max_length=100)

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "personer"
        # The DUF number of a report row, from the index alone (PostgreSQL).
        indexes = [models.Index(fields=["id"], include=["duf"], name="person_duf_cover")]

    def __str__(self) -> str:
        return f"DUF {self.duf}"


class Registration(models.Model):
    # Indexed together with superseded_at (see _meta_indexes); a separate person index would
    # only slow bulk loads down.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    operation = models.CharField(max_length=10, choices=Operation.choices, default=Operation.CREATE)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    change_reason = models.TextField("begrunnelse", blank=True)
    recorded_at = models.DateTimeField("registrert")
    superseded_at = models.DateTimeField(null=True, blank=True)
    registered_by_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    # Not indexed: "what did this user register" is answered by the audit log, not by scanning facts.
    registered_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    registered_by_client = models.ForeignKey(
        "access.ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    registered_by_system = models.CharField(max_length=40, blank=True)
    source_system = models.CharField("kildesystem", max_length=100)
    # Declared for mypy only (no value, so no class attribute): django-stubs' plugin cannot resolve
    # the abstract model's self-relation and so does not add its attname.
    supersedes_id: int | None

    objects = RegistrationQuerySet.as_manager()

    # Fields that describe the fact itself (not its bookkeeping); set per model.
    FACT_FIELDS: tuple[str, ...] = ()
    # Interchange key in ``facts`` (regelmotor.md § 8).
    FACT_KEY: str = ""

    class Meta:
        abstract = True
        indexes: ClassVar[list[models.Index]] = []

    def fact_values(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.FACT_FIELDS}

    @property
    def registered_by_label(self) -> str:
        if self.registered_by_kind == ActorKind.SYSTEM:
            return self.registered_by_system
        if self.registered_by_kind == ActorKind.CLIENT and self.registered_by_client_id:
            client = self.registered_by_client
            assert client is not None  # its id is set, and PROTECT keeps the row
            return client.name
        if self.registered_by_user_id:
            user = self.registered_by_user
            assert user is not None  # its id is set, and PROTECT keeps the row
            return user.username
        return ""


def _meta_indexes(name: str) -> list[models.Index]:
    return [
        models.Index(fields=["person", "superseded_at"], name=f"{name}_person_cur"),
        models.Index(fields=["recorded_at"], name=f"{name}_recorded"),
    ]


class PersonDetails(Registration):
    """Name, identity number, birth date, sex, education, protected identity."""

    national_id = models.CharField("fødselsnummer/D-nummer", max_length=11, blank=True)
    first_name = models.CharField("fornavn", max_length=200)
    last_name = models.CharField("etternavn", max_length=200)
    birth_date = models.DateField("fødselsdato")
    sex = models.CharField("kjønn", max_length=10, blank=True)
    education = models.CharField("utdanningsnivå", max_length=40, default="unknown")
    protected_identity = models.BooleanField("skjermet", default=False)
    # The grants' person-level facts (grants.md A.1.1); a change is a correction that supersedes the row.
    mother = models.CharField("mor (DUF-nummer)", max_length=12, blank=True, default="")
    citizenship = models.CharField("statsborgerskap", max_length=3, blank=True, default="")  # ISO 3166-1 alpha-3
    unaccompanied_minor = models.BooleanField("enslig mindreårig", null=True, blank=True)
    with_companion = models.BooleanField("med følgeperson", default=False)
    emigration_date = models.DateField("utvandret", null=True, blank=True)
    death_date = models.DateField("dødsdato", null=True, blank=True)
    asylum_procedure = models.CharField("prosedyre (asyl)", max_length=20, blank=True, default="")
    asylum_duty_group_entry = models.DateField("i målgruppen for opplæring (asylmottak)", null=True, blank=True)

    FACT_FIELDS = (
        "national_id",
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "education",
        "protected_identity",
        "mother",
        "citizenship",
        "unaccompanied_minor",
        "with_companion",
        "emigration_date",
        "death_date",
        "asylum_procedure",
        "asylum_duty_group_entry",
    )
    FACT_KEY = "details"

    class Meta:
        verbose_name = "personopplysninger"
        verbose_name_plural = "personopplysninger"
        indexes = _meta_indexes("pdet") + [
            # Names in report rows, answered from the index alone (PostgreSQL).
            models.Index(
                fields=["person"],
                name="pdet_names_cover",
                include=["first_name", "last_name", "operation", "id"],
                condition=Q(superseded_at__isnull=True),
            ),
        ]


class ResidencePermit(Registration):
    """Oppholdstillatelse: legal basis (hjemmel), decision date, arrival, effectuation."""

    basis = models.CharField("hjemmel", max_length=40)
    decision_date = models.DateField("vedtaksdato")
    arrival_date = models.DateField("ankomst Norge", null=True, blank=True)
    effectuation_date = models.DateField("effektueringsdato", null=True, blank=True)
    # if. § 72: applied from abroad (NULL: not registered; the rules engine then infers it)
    applied_from_abroad = models.BooleanField("søkt fra utlandet", null=True, blank=True)

    FACT_FIELDS = ("basis", "decision_date", "arrival_date", "effectuation_date", "applied_from_abroad")
    FACT_KEY = "permits"

    class Meta:
        verbose_name = "oppholdstillatelse"
        verbose_name_plural = "oppholdstillatelser"
        indexes = _meta_indexes("permit")


class Residence(Registration):
    """Adresse (Bor i): where the person lives, over time."""

    municipality = models.CharField("kommune", max_length=4)
    district = models.CharField("bydel", max_length=6, blank=True)
    address = models.CharField("adresse", max_length=300, blank=True)
    postal_code = models.CharField("postnummer", max_length=4, blank=True)
    valid_from = models.DateField("fra")
    valid_to = models.DateField("til", null=True, blank=True)
    source = models.CharField(
        "kilde", max_length=20, blank=True, default=""
    )  # folkeregisteret, municipality ("" unknown)
    kind = models.CharField(
        "type adresse", max_length=20, blank=True, default=""
    )  # ordinary, reception_centre ("" ordinary)
    reception_centre = models.CharField("mottak", max_length=100, blank=True, default="")

    FACT_FIELDS = (
        "municipality",
        "district",
        "address",
        "postal_code",
        "valid_from",
        "valid_to",
        "source",
        "kind",
        "reception_centre",
    )
    FACT_KEY = "residences"

    class Meta:
        verbose_name = "adresse"
        verbose_name_plural = "adresser"
        indexes = _meta_indexes("resid")


class FollowUp(Registration):
    """Oppfølgingskommune/bydel: the municipality (district) that follows the person up."""

    municipality = models.CharField("kommune", max_length=4)
    district = models.CharField("bydel", max_length=6, blank=True)
    valid_from = models.DateField("fra")
    valid_to = models.DateField("til", null=True, blank=True)

    FACT_FIELDS = ("municipality", "district", "valid_from", "valid_to")
    FACT_KEY = "follow_up"

    class Meta:
        verbose_name = "oppfølging"
        verbose_name_plural = "oppfølging"
        indexes = _meta_indexes("follow") + [
            # The follow-up municipality on a date, per person (report rows): the latest period first.
            models.Index(
                fields=["person", "-valid_from", "-id"],
                name="follow_person_cover",
                include=["municipality", "district", "valid_to", "operation"],
                condition=Q(superseded_at__isnull=True),
            ),
            models.Index(fields=["municipality", "superseded_at"], name="follow_muni_cur"),
            # "Persons followed up by this municipality/district" (nir.register.history.followed_up):
            # covering, so PostgreSQL answers it from the index alone.
            models.Index(
                fields=["municipality", "valid_from"],
                name="follow_muni_cover",
                include=["person", "valid_to", "operation", "id"],
                condition=Q(superseded_at__isnull=True),
            ),
            models.Index(
                fields=["district", "valid_from"],
                name="follow_dist_cover",
                include=["person", "valid_to", "operation", "id"],
                condition=Q(superseded_at__isnull=True) & ~Q(district=""),
            ),
        ]


class Settlement(Registration):
    """Bosetting: municipality, date, by agreement with IMDi or not."""

    municipality = models.CharField("kommune", max_length=4)
    district = models.CharField("bydel", max_length=6, blank=True)
    settlement_date = models.DateField("bosettingsdato")
    by_agreement = models.BooleanField("bosatt etter avtale")
    kind = models.CharField(
        "bosettingsmåte", max_length=20, blank=True, default=""
    )  # by_agreement, self_settled, family_arrival
    household_id = models.CharField("husstand", max_length=40, blank=True, default="")  # from the settlement case
    household_role = models.CharField("rolle i husstanden", max_length=10, blank=True, default="")  # adult, child

    FACT_FIELDS = (
        "municipality",
        "district",
        "settlement_date",
        "by_agreement",
        "kind",
        "household_id",
        "household_role",
    )
    FACT_KEY = "settlements"

    class Meta:
        verbose_name = "bosetting"
        verbose_name_plural = "bosettinger"
        indexes = _meta_indexes("settl") + [
            # Bosetting and the work list: settlements in a period, nationally or in a municipality.
            models.Index(
                fields=["settlement_date"],
                name="settl_date_cur",
                include=["person", "municipality", "operation"],
                condition=Q(superseded_at__isnull=True),
            ),
            models.Index(
                fields=["municipality", "settlement_date"],
                name="settl_muni_date_cur",
                condition=Q(superseded_at__isnull=True),
            ),
        ]


class Decision(Registration):
    """Vedtak on a scheme."""

    scheme = models.CharField("ordning", max_length=20)
    decision_type = models.CharField("vedtakstype", max_length=40)
    result = models.CharField("resultat", max_length=20, default="made")
    decision_date = models.DateField("vedtaksdato")
    start_date = models.DateField("startdato", null=True, blank=True)
    end_date = models.DateField("sluttdato", null=True, blank=True)
    follow_up_municipality = models.CharField("oppf.kommune", max_length=4, blank=True)
    follow_up_district = models.CharField("oppf.bydel", max_length=6, blank=True)

    FACT_FIELDS = (
        "scheme",
        "decision_type",
        "result",
        "decision_date",
        "start_date",
        "end_date",
        "follow_up_municipality",
        "follow_up_district",
    )
    FACT_KEY = "decisions"

    class Meta:
        verbose_name = "vedtak"
        verbose_name_plural = "vedtak"
        indexes = _meta_indexes("decis") + [
            models.Index(fields=["scheme", "decision_type", "superseded_at"], name="decis_type_cur"),
        ]


class FinalGoal(Registration):
    """Sluttmål for the introduction programme."""

    scheme = models.CharField("ordning", max_length=20, default="intro")
    goal = models.CharField("sluttmål", max_length=40)
    follow_up_municipality = models.CharField("oppf.kommune", max_length=4, blank=True)

    FACT_FIELDS = ("scheme", "goal", "follow_up_municipality")
    FACT_KEY = "final_goal"

    class Meta:
        verbose_name = "sluttmål"
        verbose_name_plural = "sluttmål"
        indexes = _meta_indexes("fgoal")


class Extension(Registration):
    """Utvidelse of the programme, in months (only where the final goal allows one)."""

    scheme = models.CharField("ordning", max_length=20, default="intro")
    months = models.PositiveSmallIntegerField("måneder")
    decision_date = models.DateField("vedtaksdato", null=True, blank=True)

    FACT_FIELDS = ("scheme", "months", "decision_date")
    FACT_KEY = "extension_months"

    class Meta:
        verbose_name = "utvidelse"
        verbose_name_plural = "utvidelser"
        indexes = _meta_indexes("exten")


class Participation(Registration):
    """Deltakelse: hours attended in a period (e.g. Norwegian training hours)."""

    scheme = models.CharField("ordning", max_length=20)
    from_date = models.DateField("fra")
    to_date = models.DateField("til")
    hours = models.DecimalField("timer", max_digits=7, decimal_places=1)

    FACT_FIELDS = ("scheme", "from_date", "to_date", "hours")
    FACT_KEY = "participation"

    class Meta:
        verbose_name = "deltakelse"
        verbose_name_plural = "deltakelse"
        indexes = _meta_indexes("partic")


class Measure(Registration):
    """Tiltak in a scheme with hours per week."""

    scheme = models.CharField("ordning", max_length=20, default="intro")
    measure = models.CharField("tiltak", max_length=40)
    from_date = models.DateField("fra")
    to_date = models.DateField("til", null=True, blank=True)
    hours_per_week = models.DecimalField("timer per uke", max_digits=4, decimal_places=1, null=True, blank=True)

    FACT_FIELDS = ("scheme", "measure", "from_date", "to_date", "hours_per_week")
    FACT_KEY = "measures"

    class Meta:
        verbose_name = "tiltak"
        verbose_name_plural = "tiltak"
        indexes = _meta_indexes("measu")


class Absence(Registration):
    """Fravær, fri, permisjon, ferie: a period of one kind in one scheme."""

    scheme = models.CharField("ordning", max_length=20)
    kind = models.CharField("type", max_length=20)
    from_date = models.DateField("fra")
    to_date = models.DateField("til")

    FACT_FIELDS = ("scheme", "kind", "from_date", "to_date")
    FACT_KEY = "absences"

    class Meta:
        verbose_name = "fravær og permisjon"
        verbose_name_plural = "fravær og permisjoner"
        indexes = _meta_indexes("absen")


class Termination(Registration):
    """Avslutning of a scheme: type, reason, hours of work per week, date."""

    scheme = models.CharField("ordning", max_length=20)
    termination_type = models.CharField("avslutning", max_length=20)
    termination_reason = models.CharField("avslutningsårsak", max_length=40, blank=True)
    hours_work_per_week = models.DecimalField(
        "antall timer arbeid per uke", max_digits=4, decimal_places=1, null=True, blank=True
    )
    termination_date = models.DateField("avslutningsdato")
    follow_up_municipality = models.CharField("oppf.kommune", max_length=4, blank=True)

    FACT_FIELDS = (
        "scheme",
        "termination_type",
        "termination_reason",
        "hours_work_per_week",
        "termination_date",
        "follow_up_municipality",
    )
    FACT_KEY = "terminations"

    class Meta:
        verbose_name = "avslutning"
        verbose_name_plural = "avslutninger"
        indexes = _meta_indexes("termi") + [
            # avsluttet-intro: terminations in a period
            models.Index(
                fields=["scheme", "termination_date"], name="termi_date_cur", condition=Q(superseded_at__isnull=True)
            ),
            # Whether a person's scheme has ended (the work list, the person list): one index-only probe.
            models.Index(
                fields=["person"],
                name="termi_intro_person_cover",
                include=["termination_date", "operation"],
                condition=Q(superseded_at__isnull=True, scheme="intro"),
            ),
            models.Index(
                fields=["person"],
                name="termi_nor_person_cover",
                include=["termination_date", "operation"],
                condition=Q(superseded_at__isnull=True, scheme="norwegian"),
            ),
        ]


class CareerGuidance(Registration):
    """Karriereveiledning (il. § 11: the county gives career guidance to the programme's target group; `002`
    L735), registered by a county's career centre."""

    guidance_date = models.DateField("dato")
    kind = models.CharField("type", max_length=20)
    recommended_final_goal = models.CharField("anbefalt sluttmål", max_length=40, blank=True)
    organisation = models.CharField("karrieresenter", max_length=40, blank=True)

    FACT_FIELDS = ("guidance_date", "kind", "recommended_final_goal", "organisation")
    FACT_KEY = "career_guidance"

    class Meta:
        verbose_name = "karriereveiledning"
        verbose_name_plural = "karriereveiledning"
        indexes = _meta_indexes("career")


class CompetenceMapping(Registration):
    """Kompetansekartlegging (il. § 6)."""

    mapping_date = models.DateField("dato")
    kind = models.CharField("type", max_length=30)
    organisation = models.CharField("utført av", max_length=40, blank=True)
    legal_basis = models.CharField("hjemmel", max_length=20, blank=True, default="")  # il_6, il_10, il_6a_simplified
    registered_in_tool = models.BooleanField("registrert i kartleggingsverktøyet", null=True, blank=True)
    host_municipality = models.CharField("vertskommune", max_length=4, blank=True, default="")

    FACT_FIELDS = ("mapping_date", "kind", "organisation", "legal_basis", "registered_in_tool", "host_municipality")
    FACT_KEY = "competence_mappings"

    class Meta:
        verbose_name = "kompetansekartlegging"
        verbose_name_plural = "kompetansekartlegginger"
        indexes = _meta_indexes("compm")


class Exam(Registration):
    """Prøve: a test taken in Norwegian (per skill) or social studies, with its result.

    The duty to take final tests is integreringsloven § 29 (unverified). ``level``
    is the CEFR level reached on a Norwegian test skill (code list ``exam_type``,
    attribute ``levels``); blank for other tests and for tests not passed.
    """

    scheme = models.CharField("ordning", max_length=20, default="norwegian")
    exam_type = models.CharField("prøve", max_length=30)
    exam_date = models.DateField("prøvedato")
    result = models.CharField("resultat", max_length=20)
    level = models.CharField("nivå", max_length=2, blank=True)
    organisation = models.CharField("prøvested", max_length=40, blank=True)

    FACT_FIELDS = ("scheme", "exam_type", "exam_date", "result", "level", "organisation")
    FACT_KEY = "exams"

    class Meta:
        verbose_name = "prøve"
        verbose_name_plural = "prøver"
        indexes = _meta_indexes("exam")


class FamilyReunification(Registration):
    """Familieinnvandring: the reference person and the dates the integration grant's exclusions read
    (grants.md A.1.1, A.2.1). One current registration per person (a plain object in the interchange
    format, ``facts.family_reunification``); a change is a correction."""

    reference_person = models.CharField("referanseperson (DUF-nummer)", max_length=12, blank=True, default="")
    reference_basis_at_grant = models.CharField(
        "referansepersonens hjemmel ved innvilgelse", max_length=40, blank=True, default=""
    )
    reference_first_settlement_date = models.DateField("referansepersonens første bosetting", null=True, blank=True)
    application_date = models.DateField("søknadsdato", null=True, blank=True)
    reference_nordic_citizen = models.BooleanField("referansepersonen norsk/nordisk borger", default=False)
    reference_is_family_immigrant = models.BooleanField("referansepersonen selv familieinnvandret", default=False)

    FACT_FIELDS = (
        "reference_person",
        "reference_basis_at_grant",
        "reference_first_settlement_date",
        "application_date",
        "reference_nordic_citizen",
        "reference_is_family_immigrant",
    )
    FACT_KEY = "family_reunification"

    class Meta:
        verbose_name = "familieinnvandring"
        verbose_name_plural = "familieinnvandringer"
        indexes = _meta_indexes("famre")


class UpperSecondaryEnrolment(Registration):
    """Videregående opplæring: the months in full-time upper-secondary education go to the county
    (the Norwegian grant, grants.md A.5)."""

    from_date = models.DateField("fra")
    to_date = models.DateField("til", null=True, blank=True)
    full_time = models.BooleanField("fulltid", default=False)
    county = models.CharField("fylke", max_length=2)

    FACT_FIELDS = ("from_date", "to_date", "full_time", "county")
    FACT_KEY = "upper_secondary_enrolments"

    class Meta:
        verbose_name = "videregående opplæring"
        verbose_name_plural = "videregående opplæring"
        indexes = _meta_indexes("upsec")


class ReceptionStay(Registration):
    """Mottaksopphold: a stay in an asylum reception centre and its host municipality (grants.md A.5.5,
    A.6; from UDI via NIR [I])."""

    centre = models.CharField("mottak", max_length=100)
    host_municipality = models.CharField("vertskommune", max_length=4)
    from_date = models.DateField("fra")
    to_date = models.DateField("til", null=True, blank=True)

    FACT_FIELDS = ("centre", "host_municipality", "from_date", "to_date")
    FACT_KEY = "reception_stays"

    class Meta:
        verbose_name = "mottaksopphold"
        verbose_name_plural = "mottaksopphold"
        indexes = _meta_indexes("recst")


class ExtraGrantCase(Registration):
    """Søknad om ekstratilskudd (FHT1/FHT2, grants.md A.4): applied for, and decided by IMDi."""

    grant_type = models.CharField("ekstratilskudd", max_length=10)
    grant_year = models.PositiveSmallIntegerField("tilskuddsår")
    applied_at = models.DateField("søknadsdato", null=True, blank=True)
    amount_applied = models.DecimalField("søkt beløp", max_digits=12, decimal_places=2, null=True, blank=True)
    amount_granted = models.DecimalField("innvilget beløp", max_digits=12, decimal_places=2, null=True, blank=True)
    decided_at = models.DateField("vedtaksdato", null=True, blank=True)

    FACT_FIELDS = ("grant_type", "grant_year", "applied_at", "amount_applied", "amount_granted", "decided_at")
    FACT_KEY = "extra_grant_cases"

    class Meta:
        verbose_name = "ekstratilskuddssak"
        verbose_name_plural = "ekstratilskuddssaker"
        indexes = _meta_indexes("xgrant")


class DerivedStatus(Registration):
    """What the Regelmotor derived for a person (NIR-kategori, gjennomføringsfrist, avvik).

    Registered by the system actor ``Regelmotor`` on every write to the person
    and by ``nir rules reevaluate``; a new row supersedes the previous one only
    when a value changed. ``as_of`` is the domain date the rules were applied
    on; ``rules_version`` the fingerprint of the rules (``nir.rules.version``).
    Explanations are not stored: the engine is deterministic and recomputes
    them on demand (``nir rules explain``).
    """

    as_of = models.DateField("vurdert per")
    law = models.CharField("lov", max_length=20)
    intro_category = models.CharField("kategori introduksjonsprogram", max_length=20)
    intro_start_date = models.DateField("startdato program", null=True, blank=True)
    intro_deadline = models.DateField("gjennomføringsfrist program", null=True, blank=True)
    intro_base_deadline = models.DateField("frist før fravær", null=True, blank=True)
    intro_absence_workdays = models.PositiveIntegerField("virkedager fravær/permisjon", default=0)
    intro_closed_date = models.DateField("avsluttet av Regelmotor", null=True, blank=True)
    norwegian_category = models.CharField("kategori norskopplæring", max_length=20)
    norwegian_start_date = models.DateField("start rett/plikt norsk", null=True, blank=True)
    norwegian_deadline = models.DateField("gjennomføringsfrist norsk", null=True, blank=True)
    norwegian_leave_workdays = models.PositiveIntegerField("virkedager permisjon norsk", default=0)
    deviation_final_goal_missing = models.BooleanField(default=False)
    deviation_final_goal_2026_before_2026_start = models.BooleanField(default=False)
    deviation_final_goal_expired = models.BooleanField(default=False)
    errors = models.JSONField("regelbrudd", default=list, blank=True)
    rules_version = models.CharField("regelversjon", max_length=20)

    FACT_FIELDS = (
        "as_of",
        "law",
        "intro_category",
        "intro_start_date",
        "intro_deadline",
        "intro_base_deadline",
        "intro_absence_workdays",
        "intro_closed_date",
        "norwegian_category",
        "norwegian_start_date",
        "norwegian_deadline",
        "norwegian_leave_workdays",
        "deviation_final_goal_missing",
        "deviation_final_goal_2026_before_2026_start",
        "deviation_final_goal_expired",
        "errors",
        "rules_version",
    )
    # Fields whose change is a change of the derived result (as_of and version alone are not).
    RESULT_FIELDS = tuple(f for f in FACT_FIELDS if f not in ("as_of", "rules_version"))
    FACT_KEY = "derived"

    class Meta:
        verbose_name = "avledet status"
        verbose_name_plural = "avledede statuser"
        indexes = _meta_indexes("derived") + [
            models.Index(
                fields=["person"],
                name="derived_person_cover",
                include=["law", "intro_category", "operation"],
                condition=Q(superseded_at__isnull=True),
            ),
            # The reports' entry points (nir.reports.queries): the few persons with a deviation or a closure.
            models.Index(
                fields=["person"],
                name="derived_deviation_cur",
                condition=Q(superseded_at__isnull=True)
                & (
                    Q(deviation_final_goal_missing=True)
                    | Q(deviation_final_goal_2026_before_2026_start=True)
                    | Q(deviation_final_goal_expired=True)
                ),
            ),
            models.Index(
                fields=["intro_closed_date"],
                name="derived_closed_cur",
                condition=Q(superseded_at__isnull=True, intro_closed_date__isnull=False),
            ),
            # The work list (nir.reports.worklist): deadlines within 30/90 days, persons with the right and
            # no participation decision, registrations the Regelmotor set aside.
            models.Index(
                fields=["intro_deadline"],
                name="derived_intro_deadline_cur",
                condition=Q(superseded_at__isnull=True, intro_deadline__isnull=False),
            ),
            models.Index(
                fields=["norwegian_deadline"],
                name="derived_nor_deadline_cur",
                condition=Q(superseded_at__isnull=True, norwegian_deadline__isnull=False),
            ),
            models.Index(
                fields=["person"],
                name="derived_no_start_cur",
                include=["id", "intro_closed_date", "operation"],
                condition=Q(
                    superseded_at__isnull=True,
                    intro_start_date__isnull=True,
                    intro_category__in=["right_and_duty", "right"],
                ),
            ),
            models.Index(
                fields=["person"], name="derived_errors_cur", condition=Q(superseded_at__isnull=True) & ~Q(errors=[])
            ),
        ]

    @property
    def deviations(self) -> list[str]:
        return [name for name in DEVIATIONS if getattr(self, f"deviation_{name}")]


DEVIATIONS = ("final_goal_missing", "final_goal_2026_before_2026_start", "final_goal_expired")


class PlausibilityWarning(models.Model):
    """A plausibility warning (docs/rules.md «Plausibility»): a registration the Regelmotor accepted but
    found implausible (hours above full time, a date in the future, …), kept for the data-quality
    work list (``nir.reports.worklist``).

    Stored by the register's storage in the write's transaction (``nir.register.services``), never
    changed or deleted (append-only, ``nir.register.db``). A warning is *open* while the registration
    it concerns is current: a correction or annulment supersedes the registration and so closes its
    warnings; the corrected row is judged afresh and warned about again if still implausible.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField("registreringstype", max_length=40)  # nir.register.kinds: decisions, participation …
    registration_id = models.BigIntegerField("registrering")
    rule = models.CharField("regel", max_length=60)
    field = models.CharField("felt", max_length=60)  # the interchange key (kinds' spec)
    message = models.TextField("melding")
    recorded_at = models.DateTimeField("registrert")

    class Meta:
        verbose_name = "plausibilitetsadvarsel"
        verbose_name_plural = "plausibilitetsadvarsler"
        indexes = [
            models.Index(fields=["person"], name="plaus_person"),
            models.Index(fields=["kind", "registration_id"], name="plaus_registration"),
        ]


class WarningAcknowledgement(models.Model):
    """«Kontrollert»: a caseworker checked a plausibility warning and found the registration correct
    (a real 45-hour course, …). The warning leaves the data-quality work list; the registration is
    unchanged. One per warning (a second is refused: ``warning`` is unique).

    Written by the action ``nir.actions.acknowledge_warning`` (access, audit, one transaction), never
    changed or deleted (append-only, ``nir.register.db``). Who and when are kept as on a registration.
    """

    warning = models.OneToOneField(PlausibilityWarning, on_delete=models.PROTECT, related_name="acknowledgement")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    comment = models.TextField("kommentar", blank=True)
    recorded_at = models.DateTimeField("kontrollert")
    registered_by_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    registered_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    registered_by_client = models.ForeignKey(
        "access.ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    registered_by_system = models.CharField(max_length=40, blank=True)
    source_system = models.CharField("kildesystem", max_length=100)

    class Meta:
        verbose_name = "kontroll av plausibilitetsadvarsel"
        verbose_name_plural = "kontroller av plausibilitetsadvarsler"
        indexes = [models.Index(fields=["person"], name="plaus_ack_person")]

    registered_by_label = Registration.registered_by_label


# Every registration model, in the order facts are written and exported.
REGISTRATION_MODELS: tuple[type[Registration], ...] = (
    PersonDetails,
    ResidencePermit,
    Residence,
    FollowUp,
    Settlement,
    Decision,
    FinalGoal,
    Extension,
    Participation,
    Measure,
    Absence,
    Termination,
    CareerGuidance,
    CompetenceMapping,
    Exam,
    FamilyReunification,
    UpperSecondaryEnrolment,
    ReceptionStay,
    ExtraGrantCase,
)

# Rows the Regelmotor derives; kept apart from the registered facts (not exported, not imported).
DERIVED_MODELS: tuple[type[Registration], ...] = (DerivedStatus,)
ALL_REGISTRATION_MODELS = REGISTRATION_MODELS + DERIVED_MODELS


class PersonFacts(models.Model):
    """Each person's current facts for the national figures, in one row, kept by the database.

    Not a registration: derived from the current rows of eight tables (``nir.register.person_facts``:
    the view that defines a row and the triggers that replace it after every write). Dates are the
    first and last of a kind of row; a figure compares them with its own reference date.
    """

    person = models.OneToOneField(
        Person, on_delete=models.DO_NOTHING, primary_key=True, db_constraint=False, related_name="facts"
    )
    # the current derived status
    law = models.CharField(max_length=20, null=True)
    intro_category = models.CharField(max_length=20, null=True)
    norwegian_category = models.CharField(max_length=20, null=True)
    intro_start_date = models.DateField(null=True)
    intro_deadline = models.DateField(null=True)
    intro_closed_date = models.DateField(null=True)
    norwegian_deadline = models.DateField(null=True)
    deviation = models.IntegerField(null=True)  # 1: one of DEVIATIONS
    # follow-up: number of current periods, first start; the latest starting period
    fu_count = models.IntegerField(null=True)
    fu_first = models.DateField(null=True)
    fu_from = models.DateField(null=True)
    fu_to = models.DateField(null=True)
    fu_municipality = models.CharField(max_length=4, null=True)
    fu_district = models.CharField(max_length=6, null=True)
    st_first = models.DateField(null=True)
    st_last = models.DateField(null=True)
    pe_first = models.DateField(null=True)
    pe_last = models.DateField(null=True)
    pe_basis = models.CharField(max_length=40, null=True)
    goal = models.CharField(max_length=40, null=True)
    te_first = models.DateField(null=True)
    te_reason_first = models.DateField(null=True)
    te_reason_last = models.DateField(null=True)
    te_completed_first = models.DateField(null=True)
    te_completed_last = models.DateField(null=True)
    nte_first = models.DateField(null=True)
    np_first_from = models.DateField(null=True)
    np_last_from = models.DateField(null=True)
    np_last_to = models.DateField(null=True)
    ex_taken_first = models.DateField(null=True)
    ex_passed_first = models.DateField(null=True)

    class Meta:
        verbose_name = "personens gjeldende fakta"
        verbose_name_plural = "personenes gjeldende fakta"
