"""The settlement data (Bosetting, ``../shared/domain/settlement.md``).

Append-only like the register (``nir.register.models``): a row is never changed or deleted. A
change is a new row that supersedes the one it replaces (``supersedes``; the replaced row only gets
``superseded_at`` set, once), with a reason; withdrawing is an ``annul`` row. Every row records who
wrote it (a user, an API client or a system actor) and from which source system, and when the
system learnt it (``recorded_at``), so every figure can be computed *as known at* any moment
(``VersionedQuerySet.known_at``). Write only through ``nir.settlement.actions``.

The chain of one thing (the need of a year, a municipality's decision of a year, a capacity line, a
case's details, a person of a household, a mapping, an agreement) is tied together by its ``key``:
the first row's key, carried by every later version. ``current()`` gives one row per key.

The process and the names (Norwegian in the verbose names):

* ``SettlementNeed``      bosettingsbehov — the national need of a year, EM separately, revised
* ``IndicatorDataset``    the municipal indicators a request is computed from (synthetic until SSB/NAV)
* ``MunicipalIndicators`` one municipality's indicators in a dataset
* ``RequestRound``        an anmodningsrunde: one computation of the request, draft until sent
* ``MunicipalRequest``    anmodning — one municipality's figure in a round, with its breakdown;
                          a manual adjustment supersedes the computed row, with a reason
* ``MunicipalDecision``   kommunalt vedtak — number (EM separately), date, decided/declined
* ``CapacityLine``        kapasitet — free places in a period by kind, the needs it can meet; closable
* ``SettlementCase``      bosettingssak — the anchor of a household ready for settlement
* ``CaseDetails``         where the household is, permit and ready dates, needs, connection, wishes
* ``CaseMember``          a person of the household
* ``Mapping``             kartlegging — per person, before settlement (il. § 6 and the rest)
* ``Proposal``            forslag — IMDi proposes the case to a municipality, with a deadline
* ``ProposalAnswer``      the municipality accepts or declines (with a reason)
* ``Agreement``           avtale om bosetting — with the planned date (changeable, versioned)
* ``CaseSettlement``      bosatt — the household moved in; the register's ``Settlement`` rows
                          (``SettledMember`` links each member to its register person)
* ``RecommendationModelVersion`` a trained recommendation model registered for use (issue 18)
"""

from __future__ import annotations

import datetime as dt
from typing import Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from nir.register.models import ActorKind, Operation

__all__ = [
    "ActorKind",
    "Agreement",
    "AnswerKind",
    "CapacityKind",
    "CapacityLine",
    "CaseDetails",
    "CaseLocation",
    "CaseMember",
    "CaseSettlement",
    "ConnectionKind",
    "DecisionStatus",
    "IndicatorDataset",
    "Mapping",
    "MappingKind",
    "MemberRole",
    "MunicipalDecision",
    "MunicipalIndicators",
    "ModelSource",
    "MunicipalRequest",
    "Operation",
    "Proposal",
    "ProposalAnswer",
    "RecommendationModelVersion",
    "RequestRound",
    "SettledMember",
    "SettlementCase",
    "SettlementNeed",
    "SpecialNeedKind",
    "SpecialNeedLevel",
]


# --- bookkeeping shared by every row -------------------------------------------------------------


class Recorded(models.Model):
    """Who wrote a row, from which source system, and when the system learnt it."""

    recorded_at = models.DateTimeField("registrert", db_index=True)
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
        abstract = True

    @property
    def registered_by_label(self) -> str:
        if self.registered_by_kind == ActorKind.SYSTEM:
            return self.registered_by_system
        if self.registered_by_kind == ActorKind.CLIENT and self.registered_by_client_id:
            client = self.registered_by_client
            assert client is not None
            return client.name
        if self.registered_by_user_id:
            user = self.registered_by_user
            assert user is not None
            return user.username
        return ""

    # Declared for mypy (django-stubs cannot see the attnames of an abstract model's relations).
    registered_by_user_id: int | None
    registered_by_client_id: int | None


_V_co = TypeVar("_V_co", bound="Versioned", covariant=True)


class VersionedQuerySet(models.QuerySet[_V_co]):
    """Registration time, as in the register: what the system holds now, or held at a moment."""

    def current(self) -> Self:
        return self.filter(superseded_at__isnull=True).exclude(operation=Operation.ANNUL)

    def known_at(self, when: dt.datetime) -> Self:
        return (
            self.filter(recorded_at__lte=when)
            .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=when))
            .exclude(operation=Operation.ANNUL)
        )

    def as_known(self, when: dt.datetime | None = None) -> Self:
        return self.current() if when is None else self.known_at(when)


class Versioned(Recorded):
    """A row of a chain (``key``): created, then corrected (superseded) or annulled (withdrawn)."""

    key = models.UUIDField("nøkkel", db_index=True)
    operation = models.CharField(max_length=10, choices=Operation.choices, default=Operation.CREATE)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    change_reason = models.TextField("begrunnelse", blank=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        abstract = True

    supersedes_id: int | None


# --- code lists ----------------------------------------------------------------------------------


class DecisionStatus(models.TextChoices):
    DECIDED = "decided", "Vedtatt"
    DECLINED = "declined", "Avslått"


class CapacityKind(models.TextChoices):
    SINGLE_ADULTS = "single_adults", "Enslige voksne"
    FAMILIES = "families", "Familier"
    UM = "um", "Enslige mindreårige"


class CaseLocation(models.TextChoices):
    RECEPTION = "reception", "Asylmottak"
    RESETTLEMENT = "resettlement", "Overføringsflyktning (i utlandet)"
    PRIVATE = "private", "Privatboende (utenfor mottak)"
    BUFETAT = "bufetat", "Bufetats omsorgssenter"
    UDI_SPECIAL = "udi_special", "Særskilt botilbud (UDI)"
    MEDEVAC = "medevac", "Medevac"


class SpecialNeedLevel(models.TextChoices):
    NONE = "none", "Ingen"
    MINOR = "minor", "Mindre tilrettelegging"
    RESOURCE_DEMANDING = "resource_demanding", "Ressurskrevende"


class SpecialNeedKind(models.TextChoices):
    """The kind of a special need, and the municipal service that meets it (settlement world)."""

    MOBILITY = "mobility", "Bevegelseshemming (tilrettelagt bolig)"
    MENTAL = "mental", "Psykisk helse (oppfølging)"
    OTHER = "other", "Annen helse (spesialisthelsetjeneste)"


class ConnectionKind(models.TextChoices):
    FAMILY = "family", "Familie"
    FRIENDS = "friends", "Venner"
    WORK = "work", "Arbeidstilbud"
    STUDY = "study", "Studietilbud"


class MemberRole(models.TextChoices):
    ADULT = "adult", "Voksen"
    CHILD = "child", "Barn"


class MappingKind(models.TextChoices):
    SETTLEMENT_INFO = "settlement_info", "Bosettingsrelevant informasjon"
    COMPETENCE = "competence", "Kompetansekartlegging (il. § 6)"
    SIMPLIFIED = "simplified", "Forenklet kartlegging (kollektiv beskyttelse)"
    RESETTLEMENT = "resettlement", "Kartlegging av overføringsflyktninger"
    SELF_REPORT = "self_report", "Egenrapportering (utenfor mottak)"


class AnswerKind(models.TextChoices):
    ACCEPTED = "accepted", "Akseptert"
    DECLINED = "declined", "Avslått"
    WITHDRAWN = "withdrawn", "Trukket av IMDi"


# --- need and request ----------------------------------------------------------------------------


class SettlementNeed(Versioned):
    """Bosettingsbehov: the national need of a year (persons, EM separately); each revision
    supersedes the one before (2025: 18,900 → 12,640 in June → 13,150 in October)."""

    year = models.PositiveIntegerField("år")
    persons = models.PositiveIntegerField("personer")
    um_persons = models.PositiveIntegerField("enslige mindreårige")
    decided_on = models.DateField("fastsatt")
    decided_by = models.CharField("fastsatt av", max_length=200, default="Nasjonalt utvalg")
    note = models.TextField("merknad", blank=True)

    class Meta:
        verbose_name = "bosettingsbehov"
        verbose_name_plural = "bosettingsbehov"
        indexes = [models.Index(fields=["year", "superseded_at"], name="need_year_cur")]


class IndicatorDataset(Recorded):
    """A set of municipal indicators, loaded from a file; ``synthetic`` until real SSB/NAV figures
    are loaded, and then every page and export that shows them says so."""

    name = models.CharField("navn", max_length=200)
    synthetic = models.BooleanField("syntetiske tall")
    source = models.CharField("kilde", max_length=300)
    file_sha256 = models.CharField(max_length=64, blank=True)
    columns = models.JSONField("datadefinisjon", default=list, blank=True)

    class Meta:
        verbose_name = "kommuneindikatorer (datasett)"
        verbose_name_plural = "kommuneindikatorer (datasett)"


class MunicipalIndicators(models.Model):
    """One municipality's indicators in a dataset (``municipalities.csv`` of a settlement world)."""

    dataset = models.ForeignKey(IndicatorDataset, on_delete=models.PROTECT, related_name="rows")
    municipality = models.CharField("kommune", max_length=4)
    population = models.PositiveIntegerField("folketall")
    economic_region = models.CharField("økonomisk region", max_length=5, blank=True)
    ba_region = models.CharField("BA-region", max_length=10, blank=True)
    centrality = models.PositiveSmallIntegerField("sentralitet", null=True)
    unemployment_rate = models.FloatField("arbeidsledighet (%)", null=True)
    immigrant_employment_rate = models.FloatField("sysselsetting innvandrere", null=True)
    immigrant_share = models.FloatField("innvandrerandel", null=True)
    labour_market_diversity = models.FloatField("arbeidsmarkedets bredde", null=True)
    secondary_migration_rate = models.FloatField("sekundærflytting", null=True)
    living_conditions_index = models.FloatField("levekårsutfordringer", null=True)
    upper_secondary_school = models.BooleanField("videregående skole", null=True)
    accessible_housing = models.BooleanField("tilrettelagt bolig", null=True)
    mental_health_services = models.BooleanField("psykisk helse", null=True)
    specialist_health_services = models.BooleanField("spesialisthelse", null=True)
    extra = models.JSONField("andre indikatorer", default=dict, blank=True)  # diaspora_per_1000_<group> …

    class Meta:
        verbose_name = "kommuneindikatorer"
        verbose_name_plural = "kommuneindikatorer"
        constraints = [models.UniqueConstraint(fields=["dataset", "municipality"], name="indicators_uniq")]


class RequestRound(Recorded):
    """One computation of the year's request (anmodning) from a need version, the dated criteria
    (``parameters_version``, ``parameters_sha256``) and an indicator dataset. A draft until sent;
    ``sent_at`` is set once, and a sent round is never changed: a new round supersedes it."""

    year = models.PositiveIntegerField("år")
    number = models.PositiveIntegerField("runde")
    need = models.ForeignKey(SettlementNeed, on_delete=models.PROTECT, related_name="+")
    dataset = models.ForeignKey(IndicatorDataset, on_delete=models.PROTECT, related_name="+")
    parameters_version = models.CharField("kriterier (versjon)", max_length=40)
    parameters_sha256 = models.CharField(max_length=64)
    note = models.TextField("merknad", blank=True)
    sent_at = models.DateTimeField("sendt", null=True, blank=True)
    sent_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "anmodningsrunde"
        verbose_name_plural = "anmodningsrunder"
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="request_round_uniq")]


class MunicipalRequest(Versioned):
    """Anmodning: what a round asks of one municipality. The computed row carries the breakdown by
    criterion; IMDi's manual adjustment (before sending) supersedes it with a reason
    (``change_reason``) and keeps ``computed_*`` and the breakdown."""

    round = models.ForeignKey(RequestRound, on_delete=models.PROTECT, related_name="lines")
    municipality = models.CharField("kommune", max_length=4)
    computed_persons = models.PositiveIntegerField("beregnet")
    computed_um = models.PositiveIntegerField("beregnet EM")
    persons = models.PositiveIntegerField("anmodet")
    um_persons = models.PositiveIntegerField("anmodet EM")
    breakdown = models.JSONField("beregning", default=dict)

    class Meta:
        verbose_name = "anmodning"
        verbose_name_plural = "anmodninger"
        indexes = [
            models.Index(fields=["round", "superseded_at"], name="req_round_cur"),
            models.Index(fields=["municipality", "superseded_at"], name="req_muni_cur"),
        ]


# --- municipal decisions and capacity -------------------------------------------------------------


class MunicipalDecision(Versioned):
    """Kommunalt vedtak: how many the municipal council decided to settle in the year (EM
    separately), or that it declined. A change during the year supersedes it (history kept).
    No current row: not answered."""

    municipality = models.CharField("kommune", max_length=4)
    year = models.PositiveIntegerField("år")
    status = models.CharField("status", max_length=10, choices=DecisionStatus.choices)
    persons = models.PositiveIntegerField("personer", default=0)
    um_persons = models.PositiveIntegerField("enslige mindreårige", default=0)
    decision_date = models.DateField("vedtaksdato")
    note = models.TextField("merknad", blank=True)

    class Meta:
        verbose_name = "kommunalt vedtak"
        verbose_name_plural = "kommunale vedtak"
        indexes = [models.Index(fields=["year", "municipality", "superseded_at"], name="mdec_year_muni_cur")]


class CapacityLine(Versioned):
    """Kapasitet: free places of one kind in a period (from–to), reported by the municipality.
    For families, the number of persons and the largest household it can take. The special needs it
    can meet. ``closed``: the municipality is full for this kind in the period. Agreements use the
    places up (``nir.settlement.selectors.capacity``)."""

    municipality = models.CharField("kommune", max_length=4)
    kind = models.CharField("type", max_length=20, choices=CapacityKind.choices)
    period_from = models.DateField("fra")
    period_to = models.DateField("til")
    places = models.PositiveIntegerField("plasser (personer)")
    largest_household = models.PositiveSmallIntegerField("største husstand", null=True, blank=True)
    accessible_housing = models.BooleanField("tilrettelagt bolig", default=False)
    mental_health_services = models.BooleanField("psykisk helse", default=False)
    specialist_health_services = models.BooleanField("spesialisthelse", default=False)
    closed = models.BooleanField("stengt (fullt)", default=False)
    note = models.TextField("merknad", blank=True)

    class Meta:
        verbose_name = "kapasitet"
        verbose_name_plural = "kapasitet"
        indexes = [
            models.Index(fields=["municipality", "superseded_at"], name="cap_muni_cur"),
            models.Index(fields=["period_from", "superseded_at"], name="cap_period_cur"),
        ]


# --- cases and mapping ---------------------------------------------------------------------------


class SettlementCase(Recorded):
    """The anchor of a settlement case (bosettingssak): its number and who opened it. Everything
    else is in versioned rows (``CaseDetails``, ``CaseMember``, ``Mapping``, proposals …)."""

    number = models.CharField("saksnummer", max_length=20, unique=True)
    # The organisation that registered the case (IMDi, a reception centre/UDI, Bufetat), for scope.
    organisation = models.ForeignKey(
        "access.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "bosettingssak"
        verbose_name_plural = "bosettingssaker"

    def __str__(self) -> str:
        return self.number


class CaseDetails(Versioned):
    """Where the household is, the permit (entry permit) date, when it became ready for settlement,
    its special needs (special-category data: shown only to the roles that need it), its connection
    to a municipality and its wishes. Annulled: the case is withdrawn (no longer to be settled)."""

    case = models.ForeignKey(SettlementCase, on_delete=models.PROTECT, related_name="details")
    location = models.CharField("oppholdssted", max_length=20, choices=CaseLocation.choices)
    location_name = models.CharField("mottak/sted", max_length=200, blank=True)
    location_municipality = models.CharField("kommune for oppholdssted", max_length=4, blank=True)
    permit_date = models.DateField("vedtaksdato tillatelse (innreisetillatelse)")
    ready_date = models.DateField("bosettingsklar")
    special_need_level = models.CharField(
        "særlige behov", max_length=20, choices=SpecialNeedLevel.choices, default=SpecialNeedLevel.NONE
    )
    special_need_kinds = models.JSONField("behov (typer)", default=list, blank=True)
    special_need_note = models.TextField("behov (beskrivelse)", blank=True)
    connection_municipality = models.CharField("tilknytningskommune", max_length=4, blank=True)
    connection_kind = models.CharField("tilknytning", max_length=10, choices=ConnectionKind.choices, blank=True)
    wishes = models.TextField("ønsker", blank=True)

    class Meta:
        verbose_name = "sakens opplysninger"
        verbose_name_plural = "sakens opplysninger"
        indexes = [
            models.Index(fields=["case", "superseded_at"], name="cdet_case_cur"),
            models.Index(fields=["ready_date", "superseded_at"], name="cdet_ready_cur"),
        ]


class CaseMember(Versioned):
    """A person of the household. ``duf`` when the register or UDI knows them; on settlement a
    person unknown to the register is created from these fields. ``unaccompanied_minor`` with
    ``companion``: an EM settled with a følgeperson."""

    case = models.ForeignKey(SettlementCase, on_delete=models.PROTECT, related_name="members")
    duf = models.CharField("DUF-nummer", max_length=12, blank=True)
    national_id = models.CharField("fødselsnummer/D-nummer", max_length=11, blank=True)
    first_name = models.CharField("fornavn", max_length=200)
    last_name = models.CharField("etternavn", max_length=200)
    birth_date = models.DateField("fødselsdato")
    sex = models.CharField("kjønn", max_length=10, blank=True)
    role = models.CharField("rolle", max_length=10, choices=MemberRole.choices)
    unaccompanied_minor = models.BooleanField("enslig mindreårig", default=False)
    companion = models.BooleanField("med følgeperson", default=False)
    citizenship = models.CharField("statsborgerskap", max_length=3, blank=True)
    permit_basis = models.CharField("hjemmel", max_length=40, blank=True)
    collective_protection = models.BooleanField("kollektiv beskyttelse", default=False)
    resettlement_refugee = models.BooleanField("overføringsflyktning", default=False)

    class Meta:
        verbose_name = "person i husstanden"
        verbose_name_plural = "personer i husstanden"
        indexes = [
            models.Index(fields=["case", "superseded_at"], name="cmem_case_cur"),
            models.Index(fields=["duf"], name="cmem_duf"),
        ]


class Mapping(Versioned):
    """Kartlegging of one person before settlement: what was assessed (``content``: education,
    work experience, languages, skills, and for ``assessed_special_needs`` the health assessment),
    by whom (``assessed_by``: name and organisation) and when."""

    member_key = models.UUIDField("person (nøkkel)", db_index=True)
    case = models.ForeignKey(SettlementCase, on_delete=models.PROTECT, related_name="mappings")
    kind = models.CharField("type", max_length=20, choices=MappingKind.choices)
    assessed_on = models.DateField("kartlagt")
    assessed_by = models.CharField("kartlagt av", max_length=200)
    content = models.JSONField("innhold", default=dict)
    assessed_special_needs = models.BooleanField("særlige behov vurdert", default=False)
    health_note = models.TextField("helse (særlige behov)", blank=True)

    class Meta:
        verbose_name = "kartlegging"
        verbose_name_plural = "kartlegginger"
        indexes = [models.Index(fields=["case", "superseded_at"], name="map_case_cur")]


# --- assignment, agreement, settled ---------------------------------------------------------------


class Proposal(Recorded):
    """Forslag om bosetting: an IMDi caseworker proposes a case to a municipality, answer by
    ``deadline``. The recommendation it followed (issue 18) and, where the caseworker chose
    otherwise, the reason are kept with it."""

    case = models.ForeignKey(SettlementCase, on_delete=models.PROTECT, related_name="proposals")
    municipality = models.CharField("kommune", max_length=4)
    deadline = models.DateField("svarfrist")
    note = models.TextField("merknad", blank=True)
    recommendation = models.JSONField("anbefaling", null=True, blank=True)
    model_version = models.CharField("modellversjon", max_length=80, blank=True)
    override_reason = models.TextField("begrunnelse for avvik fra anbefaling", blank=True)

    class Meta:
        verbose_name = "forslag om bosetting"
        verbose_name_plural = "forslag om bosetting"
        indexes = [
            models.Index(fields=["municipality", "recorded_at"], name="prop_muni"),
            models.Index(fields=["case", "recorded_at"], name="prop_case"),
        ]


class ProposalAnswer(Recorded):
    """The answer to a proposal: accepted (an agreement follows), declined with a reason, or
    withdrawn by IMDi. One answer per proposal."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="answer")
    answer = models.CharField("svar", max_length=10, choices=AnswerKind.choices)
    reason = models.TextField("begrunnelse", blank=True)

    class Meta:
        verbose_name = "svar på forslag"
        verbose_name_plural = "svar på forslag"


class Agreement(Versioned):
    """Avtale om bosetting: the accepted proposal, with the planned settlement date (a new date
    supersedes; an annulment cancels the agreement and the case is ready again)."""

    case = models.ForeignKey(SettlementCase, on_delete=models.PROTECT, related_name="agreements")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="agreements")
    municipality = models.CharField("kommune", max_length=4)
    planned_date = models.DateField("planlagt bosettingsdato")
    capacity_kind = models.CharField("kapasitetstype", max_length=20, choices=CapacityKind.choices)
    persons = models.PositiveIntegerField("personer")

    class Meta:
        verbose_name = "avtale om bosetting"
        verbose_name_plural = "avtaler om bosetting"
        indexes = [
            models.Index(fields=["municipality", "superseded_at"], name="agr_muni_cur"),
            models.Index(fields=["case", "superseded_at"], name="agr_case_cur"),
            # A capacity line's use (nir.settlement.capacity.with_use, the work list's capacity): the
            # current agreements of a municipality and kind planned in the line's period, read from the
            # index alone (persons included) instead of every agreement of the municipality from the table.
            models.Index(
                fields=["municipality", "capacity_kind", "planned_date"],
                include=["persons"],
                name="agr_muni_kind_date_cur",
                condition=Q(superseded_at__isnull=True) & ~Q(operation="annul"),
            ),
        ]


class CaseSettlement(Recorded):
    """Bosatt: the household moved in on ``settlement_date``. Written with the register's
    ``Settlement`` rows (``by_agreement = true``) for every member, in one transaction."""

    case = models.OneToOneField(SettlementCase, on_delete=models.PROTECT, related_name="settlement")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="+")
    municipality = models.CharField("kommune", max_length=4)
    district = models.CharField("bydel", max_length=6, blank=True)
    settlement_date = models.DateField("bosettingsdato")

    class Meta:
        verbose_name = "bosatt"
        verbose_name_plural = "bosatt"
        indexes = [
            models.Index(fields=["settlement_date"], name="cset_date"),
            models.Index(fields=["municipality", "settlement_date"], name="cset_muni_date"),
        ]


class SettledMember(models.Model):
    """A member of a settled household and the register person it became (``nir.register``)."""

    settlement = models.ForeignKey(CaseSettlement, on_delete=models.PROTECT, related_name="members")
    member_key = models.UUIDField("person (nøkkel)")
    person = models.ForeignKey("register.Person", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "bosatt person"
        verbose_name_plural = "bosatte personer"
        constraints = [models.UniqueConstraint(fields=["settlement", "member_key"], name="settled_member_uniq")]


# --- the recommendation tool (issue 18) -----------------------------------------------------------


class ModelSource(models.TextChoices):
    REGISTER = "register", "Registerets historikk"
    WORLD = "world", "Syntetisk verden (filer)"


class RecommendationModelVersion(Recorded):
    """A trained recommendation model registered for use (``nir.settlement.actions.recommendation.
    register_model``): its version, when and from what it was trained, its model card, where its
    artefacts are (relative to ``settings.NIR_MODEL_DIR``) and their SHA-256, checked before the model is
    loaded (``nir.settlement.recommend_registry``). Never changed: a newer model is a new row; the newest
    registered is the one in use."""

    version = models.CharField("modellversjon", max_length=80, unique=True)
    trained_at = models.DateTimeField("trent")
    period_from = models.DateField("treningsdata fra", null=True, blank=True)
    period_to = models.DateField("treningsdata til", null=True, blank=True)
    source = models.CharField("kilde", max_length=10, choices=ModelSource.choices)
    card = models.JSONField("modellkort", default=dict)
    path = models.CharField("mappe", max_length=300)
    sha256 = models.CharField("SHA-256 av filene", max_length=64)

    class Meta:
        verbose_name = "anbefalingsmodell"
        verbose_name_plural = "anbefalingsmodeller"

    def __str__(self) -> str:
        return self.version
