"""The registry of registration kinds: every kind of fact the register stores about a person, declared once.

For each kind: the model, its name (what the write path, the API's answers and the audit log call
it), its key in the interchange format (a list under ``facts``, or a plain value for the final goal
and the extension), its input spec (the JSON keys, the model fields they fill, their kinds and
whether they are required), the defaults filled in when a key is absent or empty, and where it can
be registered one at a time: the person page's «+ Legg til» form (its Norwegian URL slug,
``/personer/<duf>/ny/<slug>/``) and the API (its path segment, ``POST /api/v1/persons/{duf}/<segment>``).

Read by the interchange format (``nir.register.interchange``: ``LIST_SPECS``, the defaults of
``parse_line``), the API (``nir.api.schemas``: the request schemas and ``WRITE_KINDS``;
``nir.api.persons``) and the web forms (``nir.web.persons.forms``, which add the labels). A new
kind is declared here; ``tests/register/test_kinds.py`` checks that each is reachable wherever it
says it is.

The order is the interchange format's (an export writes the lists in this order) and the API's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nir.register import models as m

# (json key, model field, kind, required); kind: date | decimal | int | bool | nullbool | str |
# municipality | district | county | duf (another person's DUF number) | country (ISO 3166-1 alpha-3) |
# code:<code list>
Field = tuple[str, str, str, bool]


@dataclass(frozen=True)
class RegistrationKind:
    name: str  # the write path's and the API's name: decisions, final_goal, …
    model: type[m.Registration]
    spec: tuple[Field, ...]  # the input spec
    interchange: str = ""  # the key under ``facts`` (default: ``name``)
    listed: bool = True  # facts[interchange] is a list of objects; else one plain value
    defaults: Mapping[str, Any] = field(default_factory=dict)  # json key -> value when absent or empty
    slug: str = ""  # the person page's form: /personer/<duf>/ny/<slug>/ ("" none)
    segment: str = ""  # the API: POST /api/v1/persons/{duf}/<segment> ("" none)
    annullable: bool = True  # may be annulled (slettes); the person's details are corrected only

    def __post_init__(self) -> None:
        if not self.interchange:
            object.__setattr__(self, "interchange", self.name)

    @property
    def resource(self) -> str:
        """The API's path segment of this kind's registrations, every kind has one: ``segment``, else the
        name (``/api/v1/persons/{duf}/<resource>/{id}/corrections`` and ``…/annulments``)."""
        return self.segment or self.name.replace("_", "-")

    def model_field(self, json_key: str) -> str:
        return next(f for j, f, _k, _r in self.spec if j == json_key)

    def with_defaults(self, values: dict[str, Any]) -> dict[str, Any]:
        """Parsed model ``values`` with the defaults filled in where a value is absent or empty."""
        for json_key, default in self.defaults.items():
            fname = self.model_field(json_key)
            if not values.get(fname):
                values[fname] = default
        return values


KINDS: tuple[RegistrationKind, ...] = (
    RegistrationKind(
        "permits",
        m.ResidencePermit,
        (
            ("basis", "basis", "code:permit_basis", True),
            ("decision_date", "decision_date", "date", True),
            ("arrival_date", "arrival_date", "date", False),
            ("effectuation_date", "effectuation_date", "date", False),
            ("applied_from_abroad", "applied_from_abroad", "nullbool", False),
        ),
    ),
    RegistrationKind(
        "residences",
        m.Residence,
        (
            ("municipality", "municipality", "municipality", True),
            ("district", "district", "district", False),
            ("address", "address", "str", False),
            ("postal_code", "postal_code", "str", False),
            ("from", "valid_from", "date", True),
            ("to", "valid_to", "date", False),
            ("source", "source", "code:residence_source", False),
            ("kind", "kind", "code:residence_kind", False),
            ("reception_centre", "reception_centre", "str", False),
        ),
    ),
    RegistrationKind(
        "follow_up",
        m.FollowUp,
        (
            ("municipality", "municipality", "municipality", True),
            ("district", "district", "district", False),
            ("from", "valid_from", "date", True),
            ("to", "valid_to", "date", False),
        ),
    ),
    RegistrationKind(
        "settlements",
        m.Settlement,
        (
            ("municipality", "municipality", "municipality", True),
            ("district", "district", "district", False),
            ("date", "settlement_date", "date", True),
            ("by_agreement", "by_agreement", "bool", True),
            ("kind", "kind", "code:settlement_kind", False),
            ("household_id", "household_id", "str", False),
            ("household_role", "household_role", "code:household_role", False),
        ),
    ),
    RegistrationKind(
        "decisions",
        m.Decision,
        (
            ("scheme", "scheme", "code:scheme", True),
            ("type", "decision_type", "code:decision_type", True),
            ("result", "result", "code:decision_result", False),
            ("decision_date", "decision_date", "date", True),
            ("start_date", "start_date", "date", False),
            ("end_date", "end_date", "date", False),
            ("follow_up_municipality", "follow_up_municipality", "municipality", False),
            ("follow_up_district", "follow_up_district", "district", False),
        ),
        defaults={"result": "made"},
        slug="vedtak",
        segment="decisions",
    ),
    # A plain value in the interchange format (``"final_goal": "work_vgo_2026"``: the introduction
    # programme's); one object with its scheme on the page and in the API.
    RegistrationKind(
        "final_goal",
        m.FinalGoal,
        (
            ("final_goal", "goal", "code:final_goal", True),
            ("scheme", "scheme", "code:scheme", False),
            ("follow_up_municipality", "follow_up_municipality", "municipality", False),
        ),
        listed=False,
        defaults={"scheme": "intro"},
        slug="sluttmaal",
        segment="final-goals",
    ),
    # Utvidelse: a line of the interchange format carries only the total months (``extension_months``).
    RegistrationKind(
        "extension",
        m.Extension,
        (
            ("months", "months", "int", True),
            ("decision_date", "decision_date", "date", False),
            ("scheme", "scheme", "code:scheme", False),
        ),
        interchange="extension_months",
        listed=False,
        defaults={"scheme": "intro"},
        slug="utvidelse",
    ),
    RegistrationKind(
        "participation",
        m.Participation,
        (
            ("scheme", "scheme", "code:scheme", True),
            ("from", "from_date", "date", True),
            ("to", "to_date", "date", True),
            ("hours", "hours", "decimal", True),
        ),
        slug="deltakelse",
        segment="participation",
    ),
    RegistrationKind(
        "measures",
        m.Measure,
        (
            ("scheme", "scheme", "code:scheme", False),
            ("measure", "measure", "code:measure", True),
            ("from", "from_date", "date", True),
            ("to", "to_date", "date", False),
            ("hours_per_week", "hours_per_week", "decimal", False),
        ),
        defaults={"scheme": "intro"},
        slug="tiltak",
        segment="measures",
    ),
    RegistrationKind(
        "absences",
        m.Absence,
        (
            ("scheme", "scheme", "code:scheme", True),
            ("kind", "kind", "code:absence_kind", True),
            ("from", "from_date", "date", True),
            ("to", "to_date", "date", True),
        ),
        slug="fravaer",
        segment="absences",
    ),
    RegistrationKind(
        "terminations",
        m.Termination,
        (
            ("scheme", "scheme", "code:scheme", True),
            ("type", "termination_type", "code:termination_type", True),
            ("reason", "termination_reason", "code:termination_reason", False),
            ("hours_work_per_week", "hours_work_per_week", "decimal", False),
            ("date", "termination_date", "date", True),
            ("follow_up_municipality", "follow_up_municipality", "municipality", False),
        ),
        slug="avslutning",
        segment="terminations",
    ),
    RegistrationKind(
        "career_guidance",
        m.CareerGuidance,
        (
            ("date", "guidance_date", "date", True),
            ("kind", "kind", "code:career_guidance_kind", True),
            ("recommended_final_goal", "recommended_final_goal", "code:final_goal", False),
            ("organisation", "organisation", "str", False),
        ),
        slug="karriereveiledning",
        segment="career-guidance",
    ),
    RegistrationKind(
        "competence_mappings",
        m.CompetenceMapping,
        (
            ("date", "mapping_date", "date", True),
            ("kind", "kind", "code:competence_mapping_kind", True),
            ("organisation", "organisation", "str", False),
            ("legal_basis", "legal_basis", "code:mapping_legal_basis", False),
            ("registered_in_tool", "registered_in_tool", "nullbool", False),
            ("host_municipality", "host_municipality", "municipality", False),
        ),
        slug="kartlegging",
    ),
    RegistrationKind(
        "exams",
        m.Exam,
        (
            ("scheme", "scheme", "code:scheme", False),
            ("type", "exam_type", "code:exam_type", True),
            ("date", "exam_date", "date", True),
            ("result", "result", "code:exam_result", True),
            ("level", "level", "str", False),
            ("organisation", "organisation", "str", False),
        ),
        defaults={"scheme": "norwegian"},
        slug="prove",
    ),
    # The grants' facts (grants.md A.1.1). Familieinnvandring: one object in the interchange format.
    RegistrationKind(
        "family_reunification",
        m.FamilyReunification,
        (
            ("reference_person", "reference_person", "duf", False),
            ("reference_basis_at_grant", "reference_basis_at_grant", "code:permit_basis", False),
            ("reference_first_settlement_date", "reference_first_settlement_date", "date", False),
            ("application_date", "application_date", "date", False),
            ("reference_nordic_citizen", "reference_nordic_citizen", "bool", False),
            ("reference_is_family_immigrant", "reference_is_family_immigrant", "bool", False),
        ),
        listed=False,
        slug="familieinnvandring",
        segment="family-reunifications",
    ),
    RegistrationKind(
        "upper_secondary_enrolments",
        m.UpperSecondaryEnrolment,
        (
            ("from", "from_date", "date", True),
            ("to", "to_date", "date", False),
            ("full_time", "full_time", "bool", True),
            ("county", "county", "county", True),
        ),
        slug="videregaende",
        segment="upper-secondary-enrolments",
    ),
    RegistrationKind(
        "reception_stays",
        m.ReceptionStay,
        (
            ("centre", "centre", "str", True),
            ("host_municipality", "host_municipality", "municipality", True),
            ("from", "from_date", "date", True),
            ("to", "to_date", "date", False),
        ),
        slug="mottaksopphold",
        segment="reception-stays",
    ),
    RegistrationKind(
        "extra_grant_cases",
        m.ExtraGrantCase,
        (
            ("type", "grant_type", "code:extra_grant_type", True),
            ("grant_year", "grant_year", "int", True),
            ("applied_at", "applied_at", "date", False),
            ("amount_applied", "amount_applied", "decimal", False),
            ("amount_granted", "amount_granted", "decimal", False),
            ("decided_at", "decided_at", "date", False),
        ),
        slug="ekstratilskudd",
        segment="extra-grant-cases",
    ),
)

# The person's own details (personopplysninger: name, national id, birth date, sex, education,
# skjermet). Not one of ``KINDS``: every person has exactly one current version, given when the person
# is created (``nir.actions.create_person``; the interchange format's ``facts``), so it has no add form
# and no list; it can be corrected (``/personer/<duf>/rett/personopplysninger/<id>/``, ``POST
# /api/v1/persons/{duf}/details/{id}/corrections``), never annulled. ``REVISABLE`` is every kind that
# can be corrected.
DETAILS = RegistrationKind(
    "details",
    m.PersonDetails,
    (
        ("first_name", "first_name", "str", True),
        ("last_name", "last_name", "str", True),
        ("birth_date", "birth_date", "date", True),
        ("sex", "sex", "code:sex", False),
        ("education", "education", "code:education", False),
        ("national_id", "national_id", "str", False),
        ("protected_identity", "protected_identity", "bool", False),
        # the grants' person-level facts (grants.md A.1.1); in the interchange format
        # ``unaccompanied_minor`` is one object {flag, with_companion}
        ("mother", "mother", "duf", False),
        ("citizenship", "citizenship", "country", False),
        ("unaccompanied_minor", "unaccompanied_minor", "nullbool", False),
        ("with_companion", "with_companion", "bool", False),
        ("emigration_date", "emigration_date", "date", False),
        ("death_date", "death_date", "date", False),
        ("asylum_procedure", "asylum_procedure", "code:asylum_procedure", False),
        ("asylum_duty_group_entry", "asylum_duty_group_entry", "date", False),
    ),
    listed=False,
    defaults={"education": "unknown"},
    annullable=False,
)
REVISABLE: tuple[RegistrationKind, ...] = (*KINDS, DETAILS)

BY_NAME: dict[str, RegistrationKind] = {k.name: k for k in KINDS}
BY_MODEL: dict[type[m.Registration], RegistrationKind] = {k.model: k for k in KINDS}
BY_SLUG: dict[str, RegistrationKind] = {k.slug: k for k in KINDS if k.slug}
BY_SEGMENT: dict[str, RegistrationKind] = {k.segment: k for k in KINDS if k.segment}
BY_RESOURCE: dict[str, RegistrationKind] = {k.resource: k for k in REVISABLE}
REVISABLE_BY_MODEL: dict[type[m.Registration], RegistrationKind] = {k.model: k for k in REVISABLE}


def get(name: str) -> RegistrationKind:
    return BY_NAME[name]
