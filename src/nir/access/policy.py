"""Who may do what: the one access policy of NIR (tilgangsstyring).

Two questions, each answered here and nowhere else:

* **What may this principal do?** ``permissions(principal)``: a set of ``Permission``.
  A user gets the permissions of the roles assigned to them *in their own organisation*,
  capped by what that kind of organisation may do at all (a county governor only reads,
  a research institution only receives the pseudonymised extract). A machine client
  gets the permissions of the OAuth2 scopes in its access token, capped the same way by
  its organisation. Superusers may do everything.
* **Whom may it see?** ``nir.access.scope.person_scope``: the follow-up municipalities
  and districts whose persons it may see (``None``: everybody).

And the rule of every entry point, so that nothing is reachable without one:

* ``API_RULES``: every operation of ``/api/v1/`` by ``"METHOD /path"`` as in the OpenAPI
  document. The API's authentication applies it (``nir.api.auth``); an operation with no
  rule is refused (deny by default) and fails the access-matrix test.
* ``WEB_RULES``: every named URL of the web application; applied by
  ``nir.access.middleware.AccessPolicyMiddleware``; an unnamed or unknown page is refused.
* Command lines that read personal data as a user (``nir report --user``,
  ``nir export research --user``) call ``require``.

``docs/access.md`` has the matrix in words; ``tests/access/test_access_matrix.py`` checks it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from nir.access.roles import OrganisationKind, Role


class Permission(enum.StrEnum):
    PERSON_READ = "person.read"  # read persons in scope (the person, person lists)
    PERSON_WRITE = "person.write"  # register facts about persons in scope
    REPORT_READ = "report.read"  # reports and statistics over persons in scope
    CODES_READ = "codes.read"  # the published code lists
    AUDIT_READ = "audit.read"  # search the audit log (tilgangsloggen)
    ADMINISTER = "administer"  # organisations, users, roles, API clients
    RULES_DETAIL = "rules.detail"  # the Regelmotor's technical detail «for fagansvarlige» (IMDi)
    RESEARCH_EXTRACT = "research.extract"  # the pseudonymised research extract
    MANAGE_USERS = (
        "users.manage"  # users and their roles: IMDi everywhere, a local administrator in its own organisation
    )
    SUPERVISE = "supervision.read"  # the supervision view (tilsyn): figures per municipality of the county
    # Bosetting (issue 17, settlement.md § 2); which municipalities and cases: nir.access.settlement
    SETTLEMENT_READ = "settlement.read"  # settlement figures and weekly lists (own area)
    SETTLEMENT_PLAN = "settlement.plan"  # the need and the request distribution (IMDi nationally)
    SETTLEMENT_ASSIGN = "settlement.assign"  # cases, mapping, proposals to municipalities (IMDi, by region)
    SETTLEMENT_MUNICIPALITY = "settlement.municipality"  # own decision, capacity, answers, settled
    SETTLEMENT_CASES = "settlement.cases"  # register ready cases and mapping (reception, UDI, Bufetat)
    SETTLEMENT_SENSITIVE = "settlement.sensitive"  # health and special needs of cases one may see
    # Tilskudd (issue 20, grants.md); which recipients' statements: nir.access.grants
    GRANTS_READ = "grants.read"  # payment rounds' statements (own municipality or county; IMDi all)
    GRANTS_MANAGE = "grants.manage"  # calculate and approve payment rounds, answer error reports (IMDi)

    @property
    def label(self) -> str:
        return PERMISSION_LABELS[self]


P = Permission
PERMISSION_LABELS = {
    P.PERSON_READ: "lese personer",
    P.PERSON_WRITE: "registrere på personer",
    P.REPORT_READ: "rapporter og statistikk",
    P.CODES_READ: "kodeverk",
    P.AUDIT_READ: "tilgangsloggen",
    P.ADMINISTER: "administrering",
    P.RULES_DETAIL: "fagansvarlig regelmotor",
    P.RESEARCH_EXTRACT: "forskningsuttrekk",
    P.MANAGE_USERS: "brukere og roller",
    P.SUPERVISE: "tilsyn",
    P.SETTLEMENT_READ: "bosettingstall",
    P.SETTLEMENT_PLAN: "bosettingsbehov og anmodning",
    P.SETTLEMENT_ASSIGN: "fordeling av bosettingssaker",
    P.SETTLEMENT_MUNICIPALITY: "kommunens bosetting",
    P.SETTLEMENT_CASES: "registrere bosettingssaker",
    P.SETTLEMENT_SENSITIVE: "særlige behov og helse i bosettingssaker",
    P.GRANTS_READ: "tilskuddsgrunnlag",
    P.GRANTS_MANAGE: "beregne og godkjenne tilskuddsterminer",
}

ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.CASEWORKER: frozenset({P.PERSON_READ, P.PERSON_WRITE, P.REPORT_READ, P.CODES_READ, P.GRANTS_READ}),
    Role.MUNICIPALITY_ADMIN: frozenset(
        {P.PERSON_READ, P.PERSON_WRITE, P.REPORT_READ, P.CODES_READ, P.MANAGE_USERS, P.GRANTS_READ}
    ),
    Role.CAREER_COUNSELLOR: frozenset({P.PERSON_READ, P.PERSON_WRITE, P.CODES_READ}),
    Role.COUNTY_GOVERNOR: frozenset({P.PERSON_READ, P.REPORT_READ, P.CODES_READ, P.SUPERVISE, P.SETTLEMENT_READ}),
    Role.IMDI_ADMIN: ALL,
    Role.IMDI_ANALYST: frozenset(
        {
            P.PERSON_READ,
            P.REPORT_READ,
            P.CODES_READ,
            P.AUDIT_READ,
            P.RESEARCH_EXTRACT,
            P.SUPERVISE,
            P.RULES_DETAIL,
            P.SETTLEMENT_READ,
            P.GRANTS_READ,
        }
    ),
    Role.SETTLEMENT_CASEWORKER: frozenset(
        {
            P.PERSON_READ,
            P.CODES_READ,
            P.SETTLEMENT_READ,
            P.SETTLEMENT_ASSIGN,
            P.SETTLEMENT_CASES,
            P.SETTLEMENT_SENSITIVE,
        }
    ),
    Role.SETTLEMENT_NATIONAL: frozenset({P.CODES_READ, P.SETTLEMENT_READ, P.SETTLEMENT_PLAN}),
    Role.SETTLEMENT_COORDINATOR: frozenset(
        {P.CODES_READ, P.SETTLEMENT_READ, P.SETTLEMENT_MUNICIPALITY, P.SETTLEMENT_SENSITIVE}
    ),
    Role.RECEPTION_CASEWORKER: frozenset({P.CODES_READ, P.SETTLEMENT_CASES, P.SETTLEMENT_SENSITIVE}),
    Role.COUNTY_OFFICER: frozenset({P.CODES_READ, P.SETTLEMENT_READ, P.GRANTS_READ}),
    Role.RESEARCHER: frozenset({P.RESEARCH_EXTRACT}),
}

# What an organisation of each kind may do at all, whatever roles its people hold.
ORGANISATION_CEILING: dict[str, frozenset[Permission]] = {
    OrganisationKind.IMDI: ALL,
    OrganisationKind.MUNICIPALITY: frozenset(
        {
            P.PERSON_READ,
            P.PERSON_WRITE,
            P.REPORT_READ,
            P.CODES_READ,
            P.MANAGE_USERS,
            P.SETTLEMENT_READ,
            P.SETTLEMENT_MUNICIPALITY,
            P.SETTLEMENT_SENSITIVE,
            P.GRANTS_READ,
        }
    ),
    OrganisationKind.DISTRICT: frozenset({P.PERSON_READ, P.PERSON_WRITE, P.REPORT_READ, P.CODES_READ, P.MANAGE_USERS}),
    OrganisationKind.COUNTY_GOVERNOR: frozenset(
        {P.PERSON_READ, P.REPORT_READ, P.CODES_READ, P.SUPERVISE, P.SETTLEMENT_READ}
    ),
    OrganisationKind.COUNTY: frozenset({P.CODES_READ, P.SETTLEMENT_READ, P.GRANTS_READ}),
    OrganisationKind.RESEARCH: frozenset({P.RESEARCH_EXTRACT}),
    OrganisationKind.RECEPTION: frozenset({P.CODES_READ, P.SETTLEMENT_CASES, P.SETTLEMENT_SENSITIVE}),
    OrganisationKind.BUFETAT: frozenset({P.CODES_READ, P.SETTLEMENT_CASES, P.SETTLEMENT_SENSITIVE}),
}

# The role a new user of each kind of organisation gets when nothing else is said (demo, tests).
DEFAULT_ROLE: dict[str, str] = {
    OrganisationKind.IMDI: Role.IMDI_ADMIN,
    OrganisationKind.MUNICIPALITY: Role.CASEWORKER,
    OrganisationKind.DISTRICT: Role.CASEWORKER,
    OrganisationKind.COUNTY_GOVERNOR: Role.COUNTY_GOVERNOR,
    OrganisationKind.COUNTY: Role.CAREER_COUNSELLOR,
    OrganisationKind.RESEARCH: Role.RESEARCHER,
    OrganisationKind.RECEPTION: Role.RECEPTION_CASEWORKER,
    OrganisationKind.BUFETAT: Role.RECEPTION_CASEWORKER,
}

# The roles a local administrator (``Role.MUNICIPALITY_ADMIN``, ``MANAGE_USERS`` without ``ADMINISTER``)
# may give and take in its own organisation: the municipality's own roles, never IMDi's or a county
# governor's (nir.access.users).
LOCAL_ROLES = frozenset({Role.CASEWORKER, Role.MUNICIPALITY_ADMIN, Role.CAREER_COUNSELLOR, Role.SETTLEMENT_COORDINATOR})

# OAuth2 scopes of machine clients (Maskinporten style: <prefix>:<resource>.<access>).
SCOPE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "nir:persons.read": frozenset({P.PERSON_READ}),
    "nir:registrations.write": frozenset({P.PERSON_WRITE}),
    "nir:reports.read": frozenset({P.REPORT_READ}),
    "nir:codes.read": frozenset({P.CODES_READ}),
    "nir:supervision.read": frozenset({P.SUPERVISE}),
    # Bosetting (issue 17): municipal case systems, reception centres, UDI and Bufetat
    "nir:settlement.read": frozenset({P.SETTLEMENT_READ}),
    "nir:settlement.municipality": frozenset({P.SETTLEMENT_MUNICIPALITY}),
    "nir:settlement.cases": frozenset({P.SETTLEMENT_CASES}),
    "nir:settlement.assign": frozenset({P.SETTLEMENT_ASSIGN}),
    "nir:settlement.sensitive": frozenset({P.SETTLEMENT_SENSITIVE}),
}
SCOPES = tuple(SCOPE_PERMISSIONS)


def scopes_beyond_ceiling(organisation, scopes) -> list[str]:
    """The scopes among ``scopes`` that give more than an organisation of this kind may do at all
    (``ORGANISATION_CEILING``; e.g. a write scope for a county governor), and unknown scopes."""
    ceiling = ORGANISATION_CEILING.get(organisation.kind, frozenset()) if organisation is not None else frozenset()
    return sorted({s for s in scopes if s not in SCOPE_PERMISSIONS or not SCOPE_PERMISSIONS[s] <= ceiling})


def scopes_for(organisation) -> list[str]:
    """Every scope a client of ``organisation`` may hold (``ORGANISATION_CEILING``)."""
    return [s for s in SCOPES if not scopes_beyond_ceiling(organisation, [s])]


def scope_refusal(organisation, scopes) -> str | None:
    """Why a client of ``organisation`` cannot hold ``scopes`` (Norwegian), or None when it can."""
    beyond = scopes_beyond_ceiling(organisation, scopes)
    if not beyond:
        return None
    unknown = [s for s in beyond if s not in SCOPE_PERMISSIONS]
    if unknown:
        return f"ukjent scope: {' '.join(unknown)} (kjente: {' '.join(SCOPES)})"
    kind = organisation.get_kind_display() if organisation is not None else "ingen organisasjon"
    return (
        f"en klient for {kind} ({organisation.code if organisation is not None else '–'}) kan ikke få "
        f"scope {' '.join(beyond)}: organisasjonstypen har ikke den tilgangen"
    )


def permissions(principal) -> frozenset[Permission]:
    """The permissions of a user or a machine client (``ClientPrincipal``); empty for anyone else."""
    if principal is None or not getattr(principal, "is_authenticated", False) or not principal.is_active:
        return frozenset()
    cached = getattr(principal, "_nir_permissions", None)
    if cached is not None:
        return cached
    if principal.is_superuser:
        result = ALL
    else:
        org = principal.organisation
        if org is None or not org.active:
            result = frozenset()
        else:
            granted: set[Permission] = set()
            for perms in principal.granted_permission_sets():
                granted |= perms
            result = frozenset(granted) & ORGANISATION_CEILING.get(org.kind, frozenset())
    try:
        principal._nir_permissions = result
    except AttributeError:  # a frozen principal computes it each time
        pass
    return result


def role_permission_sets(user) -> list[frozenset[Permission]]:
    """The permission sets of the roles ``user`` holds in its own organisation."""
    roles = user.role_assignments.filter(organisation_id=user.organisation_id).values_list("role", flat=True)
    return [ROLE_PERMISSIONS.get(r, frozenset()) for r in roles]


def allows(principal, permission: Permission) -> bool:
    return permission in permissions(principal)


def supervision_is_landing(principal) -> bool:
    """Whether the Arbeidsflate of ``principal`` is the supervision view (tilsyn), not a caseworker's
    to-do list: a county governor's user, who supervises and registers nothing."""
    org = getattr(principal, "organisation", None)
    return (
        allows(principal, P.SUPERVISE)
        and not allows(principal, P.PERSON_WRITE)
        and org is not None
        and org.kind == OrganisationKind.COUNTY_GOVERNOR
    )


def may_change_protected_identity(principal) -> bool:
    """Whether ``principal`` may set or lift a person's protected identity (skjermet,
    ``PersonDetails.protected_identity``): IMDi only (a user or client of an IMDi organisation, or a
    superuser), and only with the permission to register. A municipality registers on its own
    persons but may not change the skjermet mark: it hides the person's address from every
    municipality (``nir.access.read``), so lifting it would expose the address of a person
    protected for their safety, and setting it is IMDi's decision after the police's (docs/access.md)."""
    if not allows(principal, P.PERSON_WRITE):
        return False
    if getattr(principal, "is_superuser", False):
        return True
    org = getattr(principal, "organisation", None)
    return org is not None and org.kind == OrganisationKind.IMDI


class AccessDenied(Exception):
    """The principal lacks ``permission`` (403)."""

    def __init__(self, permission: Permission, message: str | None = None):
        self.permission = permission
        super().__init__(message or f"Du har ikke tilgang til {permission.label} ({permission.value}).")


def require(principal, permission: Permission) -> None:
    if not allows(principal, permission):
        raise AccessDenied(permission)


# --- the rule of every entry point ------------------------------------------------------------


class Person(enum.StrEnum):
    """How an entry point touches persons: not at all, one person, many (a list, report or batch)."""

    NONE = "none"
    ONE = "one"
    MANY = "many"
    # Settlement cases (households ready for settlement, not yet register persons): reads audited
    # with the case numbers (nir.settlement.selectors.audit_cases).
    CASES = "cases"


@dataclass(frozen=True)
class Rule:
    """``permission`` is needed; ``None`` with ``public``: anyone, even anonymous; ``None``
    without: any logged-in user. Person-level scope is applied by the entry point itself with
    ``person_scope`` (a person outside it is *not found*)."""

    permission: Permission | None
    persons: Person = Person.NONE
    public: bool = False
    write: bool = False


def _read(perm, persons=Person.NONE):
    return Rule(perm, persons)


def _write(persons=Person.ONE):
    return Rule(P.PERSON_WRITE, persons, write=True)


# Every operation of /api/v1/, keyed as in the OpenAPI document.
API_RULES: dict[str, Rule] = {
    "GET /persons": _read(P.PERSON_READ, Person.MANY),
    "GET /persons/{duf}": _read(P.PERSON_READ, Person.ONE),
    "POST /persons/{duf}/decisions": _write(),
    "POST /persons/{duf}/final-goals": _write(),
    "POST /persons/{duf}/participation": _write(),
    "POST /persons/{duf}/measures": _write(),
    "POST /persons/{duf}/absences": _write(),
    "POST /persons/{duf}/terminations": _write(),
    "POST /persons/{duf}/career-guidance": _write(),
    # The grants' facts (grants.md A.1.1, issue 20): written as every registration of the person
    "POST /persons/{duf}/family-reunifications": _write(),
    "POST /persons/{duf}/upper-secondary-enrolments": _write(),
    "POST /persons/{duf}/reception-stays": _write(),
    "POST /persons/{duf}/extra-grant-cases": _write(),
    "POST /persons/{duf}/moves": _write(),
    # Plausibility warnings (open ones) and «Kontrollert» (nir.actions.acknowledge_warning)
    "GET /persons/{duf}/warnings": _read(P.PERSON_READ, Person.ONE),
    "POST /persons/{duf}/warnings/{warning_id}/acknowledgements": _write(),
    "GET /moves": _read(P.PERSON_READ, Person.MANY),
    "GET /moves/secondary-migration": _read(P.REPORT_READ, Person.MANY),
    "POST /batches": _write(Person.MANY),
    "GET /codes": _read(P.CODES_READ),
    "GET /codes/{name}": _read(P.CODES_READ),
    # Tilskudd (issue 20): the rates (public like the code lists); one person's grants (a read of the person)
    "GET /grants/rates": _read(P.CODES_READ),
    "GET /persons/{duf}/grants": _read(P.PERSON_READ, Person.ONE),
    "GET /reports/{report_id}": _read(P.REPORT_READ, Person.MANY),
    "GET /statistics": _read(P.REPORT_READ, Person.MANY),
    "GET /supervision": _read(P.SUPERVISE, Person.MANY),
    "GET /supervision/{municipality}": _read(P.SUPERVISE, Person.MANY),
    # Bosetting (issue 17 § 1): the request of a year; which lines: nir.access.settlement.settlement_area
    # (a municipality its own, a county governor its counties', IMDi all). No person.
    "GET /settlement/requests/{year}": _read(P.SETTLEMENT_READ),
    # Bosetting's figures and weekly list (counts of persons, audited; the caller's area:
    # nir.access.settlement.settlement_area)
    "GET /settlement/figures": _read(P.SETTLEMENT_READ, Person.MANY),
    "GET /settlement/weekly-list": _read(P.SETTLEMENT_READ, Person.MANY),
    # Bosetting (issue 17 § 2): a municipality's decision and capacity (its own; IMDi's administrators on
    # its behalf: nir.access.settlement.acts_for_municipality). Counts of places, no persons.
    "GET /settlement/municipalities/{municipality}/decisions": _read(P.SETTLEMENT_MUNICIPALITY),
    "POST /settlement/municipalities/{municipality}/decisions": Rule(P.SETTLEMENT_MUNICIPALITY, write=True),
    "GET /settlement/municipalities/{municipality}/capacity": _read(P.SETTLEMENT_MUNICIPALITY),
    "POST /settlement/municipalities/{municipality}/capacity": Rule(P.SETTLEMENT_MUNICIPALITY, write=True),
    "POST /settlement/capacity/{id}/corrections": Rule(P.SETTLEMENT_MUNICIPALITY, write=True),
    "POST /settlement/capacity/{id}/closures": Rule(P.SETTLEMENT_MUNICIPALITY, write=True),
    "POST /settlement/capacity/{id}/reopenings": Rule(P.SETTLEMENT_MUNICIPALITY, write=True),
}

# Corrections and annulments, for every registration kind (``nir.register.kinds``: each kind's
# ``resource``; tests/api/test_api_revisions.py checks the two lists agree).
REVISION_RESOURCES = (
    "permits",
    "residences",
    "follow-up",
    "settlements",
    "decisions",
    "final-goals",
    "extension",
    "participation",
    "measures",
    "absences",
    "terminations",
    "career-guidance",
    "competence-mappings",
    "exams",
    "family-reunifications",
    "upper-secondary-enrolments",
    "reception-stays",
    "extra-grant-cases",
)
for _resource in REVISION_RESOURCES:
    API_RULES[f"POST /persons/{{duf}}/{_resource}/{{id}}/corrections"] = _write()
    API_RULES[f"POST /persons/{{duf}}/{_resource}/{{id}}/annulments"] = _write()
# The person's own details are corrected, never annulled (``nir.register.kinds.DETAILS``).
API_RULES["POST /persons/{duf}/details/{id}/corrections"] = _write()

# Bosetting: settlement cases, mapping, proposals, answers, settled (issue 17 §§ 3–4). Which cases and
# municipalities is decided by nir.access.settlement and applied by the actions and the reads: the
# reads of cases need no single permission (IMDi, the registering organisation and the municipality a
# case is proposed to each see it by another one), a caller who may see no case at all gets 403.
API_RULES.update(
    {
        "POST /settlement/cases": Rule(P.SETTLEMENT_CASES, Person.NONE, write=True),
        "GET /settlement/cases": Rule(None, Person.CASES),
        "GET /settlement/cases/{number}": Rule(None, Person.CASES),
        "POST /settlement/cases/{number}/members": Rule(P.SETTLEMENT_CASES, Person.NONE, write=True),
        "POST /settlement/cases/{number}/mappings": Rule(P.SETTLEMENT_CASES, Person.NONE, write=True),
        "GET /settlement/cases/{number}/mappings": Rule(None, Person.CASES),
        "GET /settlement/cases/{number}/recommendation": Rule(P.SETTLEMENT_ASSIGN, Person.CASES),
        "POST /settlement/cases/{number}/proposals": Rule(P.SETTLEMENT_ASSIGN, Person.NONE, write=True),
        "GET /settlement/proposals": Rule(P.SETTLEMENT_MUNICIPALITY, Person.CASES),
        "POST /settlement/proposals/{proposal_id}/answer": Rule(P.SETTLEMENT_MUNICIPALITY, Person.NONE, write=True),
        "POST /settlement/cases/{number}/settlement": Rule(P.SETTLEMENT_MUNICIPALITY, Person.NONE, write=True),
        # changes after registration: the case's editors (may_edit_case) and IMDi's caseworker (a proposal);
        # the agreement: its municipality or IMDi's caseworker of the region, decided by the action
        "POST /settlement/cases/{number}/corrections": Rule(P.SETTLEMENT_CASES, Person.NONE, write=True),
        "POST /settlement/cases/{number}/members/{member_key}/corrections": Rule(
            P.SETTLEMENT_CASES, Person.NONE, write=True
        ),
        "POST /settlement/cases/{number}/members/{member_key}/removals": Rule(
            P.SETTLEMENT_CASES, Person.NONE, write=True
        ),
        "POST /settlement/cases/{number}/withdrawals": Rule(P.SETTLEMENT_CASES, Person.NONE, write=True),
        "POST /settlement/proposals/{proposal_id}/withdrawals": Rule(P.SETTLEMENT_ASSIGN, Person.NONE, write=True),
        "POST /settlement/cases/{number}/agreement/corrections": Rule(None, Person.NONE, write=True),
        "POST /settlement/cases/{number}/agreement/cancellations": Rule(None, Person.NONE, write=True),
    }
)

PUBLIC = Rule(None, public=True)
LOGGED_IN = Rule(None)

# Every named page of the web application (``nir.web.urls`` and the OAuth/OIDC endpoints).
WEB_RULES: dict[str, Rule] = {
    "login": PUBLIC,
    "logout": PUBLIC,
    "set_language": PUBLIC,  # the language switch (a cookie; no data)
    "health": PUBLIC,
    "home": PUBLIC,  # the start page; register figures only after login (nir.web.views.home)
    # The work list (Arbeidsflate), persons and settlements: persons in the user's scope.
    "worklist": _read(P.PERSON_READ, Person.MANY),
    "worklist_section": _read(P.PERSON_READ, Person.MANY),
    # Bosetting's landing page: the register's settled (persons in scope, PERSON_READ) and what needs
    # doing in Bosetting; who may open it: nir.access.settlement.sees_settlement_landing
    "settlements": Rule(None, Person.MANY),
    "persons": _read(P.PERSON_READ, Person.MANY),
    "person": _read(P.PERSON_READ, Person.ONE),
    "person_section": _read(P.PERSON_READ, Person.ONE),
    "person_history": _read(P.PERSON_READ, Person.ONE),
    "person_add": _write(),
    "person_correct": _write(),
    "person_annul": _write(),
    # «Kontrollert»: acknowledge a plausibility warning (nir.actions.acknowledge_warning)
    "warning_acknowledge": _write(),
    # Moves (issue 16 § 2): persons who moved in and out of the user's area; registering a move.
    "person_moves": _read(P.PERSON_READ, Person.MANY),
    "person_move": _write(),
    # Municipality pages: key figures (counts) for the municipalities in the user's scope.
    "municipalities": _read(P.REPORT_READ, Person.MANY),
    "municipality": _read(P.REPORT_READ, Person.MANY),
    "municipality_export": _read(P.REPORT_READ, Person.MANY),
    # The Regelmotor: rule versions and parameters (public law, like the code lists); one person explained.
    "rules": _read(P.CODES_READ),
    "rules_explain": _read(P.PERSON_READ, Person.ONE),
    # Tilskudd (issue 20): the schemes, rates and grant rules (public, like the Regelmotor's parameters);
    # one person's grants (a read of the person, audited)
    "grants": _read(P.CODES_READ),
    "grants_rates": _read(P.CODES_READ),
    "grants_rate": _read(P.CODES_READ),
    "person_grants": _read(P.PERSON_READ, Person.ONE),
    # IMDi: organisations, users and roles, API clients, help texts; the audit log (tilgangsloggen).
    "organisations": _read(P.ADMINISTER),
    "organisation": _read(P.ADMINISTER),
    "administration": _read(P.ADMINISTER),
    # Users and roles: IMDi's administrators every user, a local administrator its own organisation's
    # (which users and roles: nir.access.users).
    "admin_users": _read(P.MANAGE_USERS),
    "admin_user": _read(P.MANAGE_USERS),
    "admin_user_new": _read(P.MANAGE_USERS),
    # The first password (or a new one): a one-time link an administrator gave the user.
    "password_set": PUBLIC,
    # Supervision (tilsyn): figures per municipality of the county governor's counties (IMDi: any county).
    "supervision": _read(P.SUPERVISE, Person.MANY),
    "supervision_municipality": _read(P.SUPERVISE, Person.MANY),
    # Bosetting (issue 17 § 2): a municipality's request, decision and capacity (its own; IMDi's
    # administrators on its behalf: nir.access.settlement.acts_for_municipality); the overview of every
    # municipality's decision and capacity (within settlement_area). Counts of places, no persons.
    "settlement_municipal": _read(P.SETTLEMENT_MUNICIPALITY),
    "settlement_capacity": _read(P.SETTLEMENT_MUNICIPALITY),
    "settlement_capacity_line": _read(P.SETTLEMENT_MUNICIPALITY),
    "settlement_decisions": _read(P.SETTLEMENT_READ),
    "settlement_decisions_export": _read(P.SETTLEMENT_READ),
    "admin_clients": _read(P.ADMINISTER),
    # Bosetting (issue 17 § 1): the need and the request distribution, IMDi nationally (no persons shown;
    # the forms' writes go through nir.settlement.actions.planning)
    "settlement_need": _read(P.SETTLEMENT_PLAN),
    "settlement_requests": _read(P.SETTLEMENT_PLAN),
    "settlement_request_round": _read(P.SETTLEMENT_PLAN),
    "settlement_request_export": _read(P.SETTLEMENT_PLAN),
    "settlement_request_line": _read(P.SETTLEMENT_PLAN),
    "help_texts": _read(P.ADMINISTER),
    "help_text_edit": _read(P.ADMINISTER),
    "audit_search": _read(P.AUDIT_READ),
    "audit_person_export": _read(P.AUDIT_READ, Person.ONE),
    "reports": _read(P.REPORT_READ),
    "report": _read(P.REPORT_READ, Person.MANY),
    "report_export": _read(P.REPORT_READ, Person.MANY),
    "statistics": _read(P.REPORT_READ, Person.MANY),
    "statistics_export": _read(P.REPORT_READ, Person.MANY),
    "yearly_report": _read(P.REPORT_READ, Person.MANY),
    # Bosetting's figures and weekly list (counts of persons, audited; the user's area:
    # nir.access.settlement.settlement_area)
    "settlement_figures": _read(P.SETTLEMENT_READ, Person.MANY),
    "settlement_figures_export": _read(P.SETTLEMENT_READ, Person.MANY),
    "settlement_weekly_list": _read(P.SETTLEMENT_READ, Person.MANY),
    "settlement_weekly_list_export": _read(P.SETTLEMENT_READ, Person.MANY),
    # Bosetting (issue 17): cases (which ones: nir.access.settlement.case_scope; none at all: 403),
    # registering a case, the assignment work list (IMDi's caseworkers), the municipality's proposals
    # and agreements (its settlement coordinator; IMDi's administrators for any municipality).
    "settlement_cases": Rule(None, Person.CASES),
    "settlement_case": Rule(None, Person.CASES),
    "settlement_case_new": Rule(P.SETTLEMENT_CASES, Person.NONE, write=True),
    "settlement_assignment": Rule(P.SETTLEMENT_ASSIGN, Person.CASES),
    "settlement_proposals": Rule(P.SETTLEMENT_MUNICIPALITY, Person.CASES),
    "settlement_agreements": Rule(P.SETTLEMENT_MUNICIPALITY, Person.CASES),
    # the recommendation tool's model card and versions (issue 18): IMDi's settlement staff, no persons
    "settlement_recommendation_model": Rule(P.SETTLEMENT_ASSIGN, Person.NONE),
    # OAuth2 for machine clients: the client authenticates with its signed grant, not a session.
    "oauth_token": PUBLIC,
    "oauth_jwks": PUBLIC,
    "oauth_metadata": PUBLIC,
    # OpenID Connect login (mozilla-django-oidc), when switched on by settings.
    "oidc_authentication_init": PUBLIC,
    "oidc_authentication_callback": PUBLIC,
    "oidc_logout": PUBLIC,
    # --- Tilskudd's payment rounds (issue 20 § 4; added by the grants-web branch) -------------------
    # Which rounds and recipients: nir.access.grants through nir.grants.selectors (a draft IMDi's only,
    # a recipient the user may not read: not found); the forms' writes (calculate, approve, paid, «Meld
    # feil i grunnlag», answer) go through nir.grants.actions, which check GRANTS_MANAGE / the recipient.
    # A round: the sums per recipient (no person); a statement, its export and the error reports list
    # persons (audited).
    "grants_round": _read(P.GRANTS_READ),
    "grants_statement": _read(P.GRANTS_READ, Person.MANY),
    "grants_statement_export": _read(P.GRANTS_READ, Person.MANY),
    "grants_error_reports": _read(P.GRANTS_READ, Person.MANY),
}

# URL namespaces with their own access control: the API (``API_RULES``, applied by its
# authentication) and Django's admin (staff only, and ``ADMINISTER`` through the admin's own
# permission check, ``nir.access.admin``).
SELF_GUARDED_NAMESPACES = frozenset({"api-v1", "admin"})


def page_allowed(principal, url_name: str) -> bool:
    """Whether ``principal`` may open the page named ``url_name`` (before person-level scope).

    The same decision as ``nir.access.middleware`` makes for a request; the menu shows a page only
    when it is allowed. A page without a rule is never allowed.
    """
    rule = WEB_RULES.get(url_name)
    if rule is None:
        return False
    if rule.public:
        return True
    if principal is None or not getattr(principal, "is_authenticated", False):
        return False
    return rule.permission is None or allows(principal, rule.permission)


def api_rule(method: str, path: str) -> Rule | None:
    return API_RULES.get(f"{method.upper()} {path}")
