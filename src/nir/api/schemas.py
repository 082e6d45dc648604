"""Request and response schemas of the API.

Registration requests are generated from the registry of registration kinds
(``nir.register.kinds``: the kinds with an API path segment, their input specs and defaults):
the interchange format's JSON keys and kinds (date, decimal, code from a code list,
municipality, …). Pydantic checks the
shape and types; the register's own validation (``nir.register.validation``,
through ``nir.register.services.register``) checks codes, municipalities,
periods and the Regelmotor's rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Optional

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, create_model

from nir import codes
from nir.register import kinds
from nir.register import models as m

# --- problems --------------------------------------------------------------------------------


class Out(BaseModel):
    """A response document. The API builds its answers as dicts, so they are validated by pydantic
    alone: Ninja's ``Schema`` would wrap every nested object for attribute access to Django models
    (``DjangoGetter``), which cost more than the rest of a registration's answer."""

    model_config = ConfigDict(from_attributes=True)


class ProblemError(Out):
    field: str
    rule: str
    message: str


class Problem(Out):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemError] = []


# Every operation documents these error responses (application/problem+json).
PROBLEM_STATUSES = (400, 401, 403, 404, 422, 429)
PROBLEMS = {PROBLEM_STATUSES: Problem}
# … and those of a correction or an annulment: 409, the version is no longer current.
REVISION_PROBLEMS = {(*PROBLEM_STATUSES, 409): Problem}

# --- persons ---------------------------------------------------------------------------------


class FollowUpOut(Out):
    municipality: str
    district: str
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None

    model_config = ConfigDict(populate_by_name=True)


class AddressOut(Out):
    municipality: str
    district: str
    address: str
    postal_code: str
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None

    model_config = ConfigDict(populate_by_name=True)


class PermitOut(Out):
    basis: str
    basis_label: str
    decision_date: dt.date
    arrival_date: dt.date | None = None
    effectuation_date: dt.date | None = None
    applied_from_abroad: bool | None = None


class SettlementOut(Out):
    municipality: str
    district: str
    date: dt.date
    by_agreement: bool


class ClosureOut(Out):
    status: str
    reason: str
    date: dt.date
    registered_by: str


class IntroStatus(Out):
    category: str
    category_label: str
    start_date: dt.date | None = None
    deadline: dt.date | None = None
    base_deadline: dt.date | None = None
    absence_workdays: int
    months: int | None = None
    extension_months: int | None = None
    final_goal: str | None = None
    closed: ClosureOut | None = None


class NorwegianStatus(Out):
    category: str
    category_label: str
    start_date: dt.date | None = None
    deadline: dt.date | None = None
    leave_workdays: int
    months: int | None = None


class DerivedStatusOut(Out):
    """What the Regelmotor derives for the person on ``as_of`` (today)."""

    as_of: dt.date
    law: str
    intro: IntroStatus
    norwegian: NorwegianStatus
    deviations: list[str]
    errors: list[str]


class ExplanationOut(Out):
    key: str
    rule: str
    source: str
    text: str
    verified: bool


class TransferredOut(Out):
    moved_on: dt.date
    known_at: dt.datetime


class PersonOut(Out):
    duf: str
    first_name: str
    last_name: str
    birth_date: dt.date | None = None
    sex: str = ""
    national_id: str | None = Field(
        None, description="Fødselsnummer/D-nummer; only for users whose scope covers the person"
    )
    protected_identity: bool
    follow_up: FollowUpOut | None = Field(None, description="Follow-up municipality/district today")
    address: AddressOut | None = Field(
        None, description="Current address; omitted for skjermet persons except for IMDi"
    )
    permits: list[PermitOut]
    settlements: list[SettlementOut]
    status: DerivedStatusOut
    explanations: list[ExplanationOut]
    transferred: TransferredOut | None = Field(
        None,
        description="Set when the caller's area followed the person up before a move: the person as registered "
        "until the transfer (moved_on: the first day followed up elsewhere; known_at: the register as known then)",
    )


class PersonListOut(Out):
    report: str
    as_of: dt.date
    count: int
    page: int
    page_size: int
    rows: list[dict[str, Any]]


# --- registrations ---------------------------------------------------------------------------


class RegisteredBy(Out):
    kind: str
    username: str = ""
    client_id: str = ""
    source_system: str


class RegistrationOut(Out):
    id: int
    kind: str
    recorded_at: dt.datetime
    registered_by: RegisteredBy
    values: dict[str, Any]


class RegistrationResult(Out):
    registration: RegistrationOut
    warnings: list[ProblemError]
    person: PersonOut


def _examples(list_name: str) -> list[str]:
    return [c.code for c in codes.code_list(list_name).codes[:3]]


def _field(
    model: type[m.Registration], fname: str, kind: str, required: bool, default: Any = None, alias: str | None = None
):
    """A pydantic (type, FieldInfo) for one interchange field."""
    extra: dict[str, Any] = {"alias": alias} if alias else {}
    if kind == "date":
        typ: Any = dt.date
        extra["description"] = "ISO 8601 date (YYYY-MM-DD)"
    elif kind == "decimal":
        f = model._meta.get_field(fname)
        typ = Decimal
        extra.update(max_digits=f.max_digits, decimal_places=f.decimal_places, allow_inf_nan=False)
    elif kind in ("bool", "nullbool"):
        typ = bool
    elif kind == "int":
        typ = int
    else:
        typ = str
        limit = model._meta.get_field(fname).max_length
        if limit:
            extra["max_length"] = limit
        if kind.startswith("code:"):
            name = kind[5:]
            extra["description"] = (
                f"Code from the code list `{name}` (GET /api/v1/codes/{name}), valid on the fact's date"
            )
            extra["examples"] = _examples(name)
        elif kind == "municipality":
            extra["description"] = "Municipality number (4 digits), valid on the fact's date"
            extra["pattern"] = r"^\d{4}$"
        elif kind == "district":
            extra["description"] = "District number (6 digits, Oslo, Bergen, Stavanger)"
            extra["pattern"] = r"^\d{6}$"
        elif kind == "county":
            extra["description"] = "County number (2 digits), valid on the fact's date"
            extra["pattern"] = r"^\d{2}$"
        elif kind == "duf":
            extra["description"] = "Another person's DUF number (12 digits)"
            extra["pattern"] = r"^\d{12}$"
        elif kind == "country":
            extra["description"] = "Country code, ISO 3166-1 alpha-3 (e.g. SYR)"
            extra["pattern"] = r"^[A-Z]{3}$"
    if required:
        return (typ, Field(..., **extra))
    return (Optional[typ], Field(default, **extra))  # noqa: UP045 - typ is a runtime type; keeps the schema as it was


# API path segment -> (the kind's name, model), from the registry (``nir.register.kinds``).
WRITE_KINDS: dict[str, tuple[str, type[m.Registration]]] = {
    k.segment: (k.name, k.model) for k in kinds.KINDS if k.segment
}


def spec_for(key: str):
    """The model and input spec of the registration kind ``key`` (``decisions``, ``final_goal``, …)."""
    kind = kinds.get(key)
    return kind.model, kind.spec


def _schema_name(key: str) -> str:
    return "".join(p.capitalize() for p in key.split("_")) + "In"


def _make_input(key: str) -> type[Schema]:
    registration = kinds.get(key)
    model = registration.model
    fields = {}
    for json_key, fname, kind, required in registration.spec:
        default = registration.defaults.get(json_key)
        aliased = json_key in ("from", "to")  # Python keywords
        fields[f"{json_key}_" if aliased else json_key] = _field(
            model, fname, kind, required and default is None, default, alias=json_key if aliased else None
        )
    schema = create_model(_schema_name(key), __base__=_InputBase, **fields)
    schema.__doc__ = f"A registration of `{key}`: the keys of the interchange format (docs/interchange-format.md)."
    return schema


class _InputBase(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


INPUT_SCHEMAS: dict[str, type[Schema]] = {seg: _make_input(key) for seg, (key, _model) in WRITE_KINDS.items()}

# --- corrections and annulments ------------------------------------------------------------------

REASON = Field(
    ...,
    min_length=1,
    max_length=2000,
    description="Begrunnelse: why the registration is corrected or annulled (shown in the history)",
)


class RevisionOut(RegistrationOut):
    """A new version of a registration: a correction (``operation`` ``correct``: the corrected values) or
    an annulment (``annul``: the values annulled)."""

    operation: str
    supersedes: int
    reason: str


class RevisionResult(Out):
    registration: RevisionOut
    warnings: list[ProblemError]
    person: PersonOut


class AnnulmentIn(Schema):
    """An annulment (sletting): the registration stops counting; nothing is deleted, the history keeps it."""

    model_config = ConfigDict(extra="forbid")

    reason: str = REASON


def _make_correction(kind: kinds.RegistrationKind) -> type[Schema]:
    fields = {}
    for json_key, fname, field_kind, _required in kind.spec:
        aliased = json_key in ("from", "to")
        fields[f"{json_key}_" if aliased else json_key] = _field(
            kind.model, fname, field_kind, False, None, alias=json_key if aliased else None
        )
    name = _schema_name(kind.name)[:-2]
    changes = create_model(f"{name}Changes", __base__=_InputBase, **fields)
    changes.__doc__ = (
        f"The `{kind.name}` keys to change (those of its registration). A key left out keeps its current "
        "value; `null` empties an optional one."
    )
    correction = create_model(
        f"{name}Correction", __base__=_InputBase, reason=(str, REASON), values=(changes, Field(...))
    )
    correction.__doc__ = f"A correction of a `{kind.name}` registration: the changed values and why."
    return correction


# Every kind's correction, by its API resource (``kinds.RegistrationKind.resource``).
CORRECTION_SCHEMAS: dict[str, type[Schema]] = {k.resource: _make_correction(k) for k in kinds.REVISABLE}

# --- code lists ------------------------------------------------------------------------------


class CodeOut(Out):
    code: str
    label: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    description: str = ""
    group: str = ""
    source: str = ""
    verified: bool


class CodeListOut(Out):
    name: str
    title: str
    source: str
    codes: list[CodeOut]


class CodeListSummary(Out):
    name: str
    title: str
    source: str
    count: int
    url: str
