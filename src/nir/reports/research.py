"""The pseudonymised research extract (``nir export research``; docs/research-extract.md).

One Parquet file (zstd) per register table — the ``Person`` anchor as
``persons.parquet`` and every model of ``ALL_REGISTRATION_MODELS`` — holding
the rows as the register knew them at ``known_at`` (``as_known``: current rows
when ``None``), plus a data dictionary (``data-dictionary.md``/``.json``) and
a ``manifest.json``.

What each column becomes is decided by ``POLICIES``: an explicit policy for
every concrete field of every model (the bookkeeping fields of
``Registration`` once, in ``BOOKKEEPING``). A field without a policy — say, a
field added to a model later — stops the extract before anything is written
(``PolicyError``), and so does a policy that keeps a date uncoarsened.

* the person: a stable keyed pseudonym, the first 16 hex digits of
  HMAC-SHA256(key, DUF number) (scheme ``PSEUDONYM_SCHEME``), computed once per
  person and looked up by ``person_id``; no id, DUF, identity number, name,
  address, postal code or free text is ever read into an output column;
* dates: domain dates to the first day of their month, the birth date to the
  year, registration times (``recorded_at``) to the month in Norwegian time;
* persons with protected identity (*skjermet*, now or at ``known_at``): no
  municipality, district or other place-revealing text in any of their rows;
  every municipality column has a county column beside it for everyone.

Speed: nothing is read as model instances. Each table is read in id ranges
(``CHUNK_IDS`` ids, one Parquet row group each). On PostgreSQL each range is
one ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` — the ``SELECT`` is the ORM's
``as_known`` query, so the known-at filter is the one of
``RegistrationQuerySet`` — parsed by polars; elsewhere ``values_list``. Both
give the same raw frame, and one vectorised transform (``_transform``) turns it
into the output, so both paths write identical files. Reading (main thread,
the database connection) and transforming/writing (one worker thread; polars,
numpy and pyarrow release the GIL) overlap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import string
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django.db.models.expressions import RawSQL
from django.utils import timezone

from nir.register import models as m
from nir.register.explain import DEVIATION_LABELS

# --- the pseudonym ------------------------------------------------------------------------

PSEUDONYM_SCHEME = "nir-hmac-sha256-duf-16hex"
PSEUDONYM_SCHEME_VERSION = 1
PSEUDONYM_HEX_DIGITS = 16
KEY_ENV = "NIR_RESEARCH_KEY"
KEY_FILE_NAME = "research-pseudonym.key"
KEY_BYTES = 32  # a generated key
MIN_KEY_BYTES = 16

FORMAT_VERSION = 1
CHUNK_IDS = 500_000  # ids per read and per Parquet row group
PARQUET_COMPRESSION = "zstd"
LOCAL_TZ = "Europe/Oslo"  # months of registration times are Norwegian months (settings.TIME_ZONE)


class ResearchExtractError(Exception):
    """The extract cannot be made (bad key, bad output directory, …). Messages are for users (bokmål)."""


class PolicyError(ResearchExtractError):
    """A field without a policy (or a policy that does not fit its field)."""


def pseudonym(key: bytes, duf: str) -> str:
    """The person's pseudonym: the first 16 hex digits of HMAC-SHA256(key, DUF number as UTF-8)."""
    return hmac.digest(key, duf.encode(), "sha256").hex()[:PSEUDONYM_HEX_DIGITS]


def key_id(key: bytes) -> str:
    """A fingerprint that tells whether two extracts used the same key (it reveals nothing of the key)."""
    return hmac.digest(key, b"nir-research-key-id", "sha256").hex()[:8]


@dataclass(frozen=True)
class ResolvedKey:
    key: bytes = field(repr=False)
    source: str  # "file", "env" or "var"
    path: Path | None = None
    created: bool = False

    @property
    def message(self) -> str | None:
        if not self.created:
            return None
        return (
            f"Opprettet ny pseudonymnøkkel {self.path} ({KEY_BYTES} tilfeldige byte, tilgang 0600). "
            "Ta vare på den: samme nøkkel gir samme pseudonymer i senere uttrekk."
        )


def _is_hex(text: bytes) -> bool:
    return bool(text) and all(chr(c) in string.hexdigits for c in text)


def parse_key(data: bytes, where: str) -> bytes:
    """A key file's content: hex digits (at least 32; whitespace around ignored) or raw bytes (at least 16)."""
    text = data.strip()
    if _is_hex(text) and len(text) % 2 == 0 and len(text) >= 2 * MIN_KEY_BYTES:
        return bytes.fromhex(text.decode())
    if len(data) < MIN_KEY_BYTES or (_is_hex(text) and len(text) < 2 * MIN_KEY_BYTES):
        raise ResearchExtractError(
            f"nøkkelen i {where} er for kort (minst {MIN_KEY_BYTES} byte, eller {2 * MIN_KEY_BYTES} heksadesimale tegn)"
        )
    return data


def resolve_key(key_file: str | os.PathLike | None = None, *, environ=None, var_dir=None) -> ResolvedKey:
    """The pseudonym key: ``key_file``, else ``$NIR_RESEARCH_KEY`` (hex), else ``VAR_DIR/research-pseudonym.key``,
    created with 32 random bytes (mode 0600) on first use. The key is never printed or logged."""
    environ = os.environ if environ is None else environ
    if key_file:
        path = Path(key_file)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ResearchExtractError(f"kan ikke lese nøkkelfilen {path}: {e.strerror}") from None
        return ResolvedKey(parse_key(data, f"nøkkelfilen {path}"), "file", path)
    env = environ.get(KEY_ENV, "").strip()
    if env:
        if not (_is_hex(env.encode()) and len(env) % 2 == 0 and len(env) >= 2 * MIN_KEY_BYTES):
            raise ResearchExtractError(f"{KEY_ENV} må være minst {2 * MIN_KEY_BYTES} heksadesimale tegn")
        return ResolvedKey(bytes.fromhex(env), "env")
    path = Path(var_dir if var_dir is not None else settings.VAR_DIR) / KEY_FILE_NAME
    if path.exists():
        return ResolvedKey(parse_key(path.read_bytes(), f"nøkkelfilen {path}"), "var", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # created by a concurrent run in between: use that one
        return ResolvedKey(parse_key(path.read_bytes(), f"nøkkelfilen {path}"), "var", path)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return ResolvedKey(key, "var", path, created=True)


# --- the policy table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """What one model field becomes in the extract.

    kinds: ``drop`` (never read), ``pseudonym`` (the person), ``keep``,
    ``codes`` (a JSON list of codes → list of strings), ``month`` (first day of
    the month), ``year``, ``municipality`` (NULL for protected persons, plus a
    county column for everyone), ``district`` and ``unless_protected`` (NULL for
    protected persons).
    """

    kind: str
    code_list: str | None = None
    note: str = ""


KINDS = ("drop", "pseudonym", "keep", "codes", "month", "year", "municipality", "district", "unless_protected")


def DROP(reason: str) -> Policy:  # noqa: N802
    return Policy("drop", note=reason)


def KEEP(code_list: str | None = None, note: str = "") -> Policy:  # noqa: N802
    return Policy("keep", code_list, note)


PSEUDONYM = Policy("pseudonym")
MONTH = Policy("month")
YEAR = Policy("year")
MUNICIPALITY = Policy("municipality", "SSB klassifikasjon 131 (kommuner)")
DISTRICT = Policy("district", "SSB klassifikasjon 103 (bydeler)")
UNLESS_PROTECTED = Policy("unless_protected")

REGELMOTOR = "Regelmotoren, docs/rules.md"

# The bookkeeping fields every registration model inherits from ``Registration``.
BOOKKEEPING: dict[str, Policy] = {
    "id": DROP("row id: internal, and would link extracts row by row"),
    "person_id": PSEUDONYM,
    "operation": KEEP("register.Operation", "create or correct; annulled rows are never in the extract"),
    "supersedes_id": DROP("row link: only the version known at known_at is in the extract"),
    "change_reason": DROP("free text"),
    "recorded_at": MONTH,
    "superseded_at": DROP(
        "only the version known at known_at is in the extract; a later time would reveal what happened after known_at"
    ),
    "registered_by_kind": KEEP("register.ActorKind"),
    "registered_by_user_id": DROP("identifies a caseworker"),
    "registered_by_client_id": DROP("identifies a case system instance"),
    "registered_by_system": KEEP(note="system actor, e.g. Regelmotor"),
    "source_system": UNLESS_PROTECTED,
}

# Each model's own fields, by model class name (a model not yet in the code base is ignored).
POLICIES: dict[str, dict[str, Policy]] = {
    "Person": {
        "id": PSEUDONYM,
        "duf": DROP("the DUF number; the pseudonym is computed from it"),
        "recorded_at": MONTH,
        "source_system": UNLESS_PROTECTED,
    },
    "PersonDetails": {
        "national_id": DROP("national identity number"),
        "first_name": DROP("name"),
        "last_name": DROP("name"),
        "birth_date": YEAR,
        "sex": KEEP("sex"),
        "education": KEEP("education"),
        "protected_identity": KEEP(note="explains the NULL municipalities of the person"),
        # the grants' facts (grants.md A.1.1)
        "mother": DROP("another person's DUF number"),
        "citizenship": KEEP(note="ISO 3166-1 alpha-3"),
        "unaccompanied_minor": KEEP(),
        "with_companion": KEEP(),
        "emigration_date": MONTH,
        "death_date": MONTH,
        "asylum_procedure": KEEP("asylum_procedure"),
        "asylum_duty_group_entry": MONTH,
    },
    "ResidencePermit": {
        "basis": KEEP("permit_basis"),
        "decision_date": MONTH,
        "arrival_date": MONTH,
        "effectuation_date": MONTH,
        "applied_from_abroad": KEEP(),
    },
    "Residence": {
        "municipality": MUNICIPALITY,
        "district": DISTRICT,
        "address": DROP("address"),
        "postal_code": DROP("postal code (below municipality level)"),
        "valid_from": MONTH,
        "valid_to": MONTH,
        "source": KEEP("residence_source"),
        "kind": KEEP("residence_kind"),
        "reception_centre": Policy("unless_protected", note="reception centre; names the place"),
    },
    "FollowUp": {
        "municipality": MUNICIPALITY,
        "district": DISTRICT,
        "valid_from": MONTH,
        "valid_to": MONTH,
    },
    "Settlement": {
        "municipality": MUNICIPALITY,
        "district": DISTRICT,
        "settlement_date": MONTH,
        "by_agreement": KEEP(),
        "kind": KEEP("settlement_kind"),
        "household_id": DROP("the settlement case's household (links persons)"),
        "household_role": KEEP("household_role"),
    },
    "Decision": {
        "scheme": KEEP("scheme"),
        "decision_type": KEEP("decision_type"),
        "result": KEEP("decision_result"),
        "decision_date": MONTH,
        "start_date": MONTH,
        "end_date": MONTH,
        "follow_up_municipality": MUNICIPALITY,
        "follow_up_district": DISTRICT,
    },
    "FinalGoal": {
        "scheme": KEEP("scheme"),
        "goal": KEEP("final_goal"),
        "follow_up_municipality": MUNICIPALITY,
    },
    "Extension": {
        "scheme": KEEP("scheme"),
        "months": KEEP(),
        "decision_date": MONTH,
    },
    "Participation": {
        "scheme": KEEP("scheme"),
        "from_date": MONTH,
        "to_date": MONTH,
        "hours": KEEP(),
    },
    "Measure": {
        "scheme": KEEP("scheme"),
        "measure": KEEP("measure"),
        "from_date": MONTH,
        "to_date": MONTH,
        "hours_per_week": KEEP(),
    },
    "Absence": {
        "scheme": KEEP("scheme"),
        "kind": KEEP("absence_kind"),
        "from_date": MONTH,
        "to_date": MONTH,
    },
    "Termination": {
        "scheme": KEEP("scheme"),
        "termination_type": KEEP("termination_type"),
        "termination_reason": KEEP("termination_reason"),
        "hours_work_per_week": KEEP(),
        "termination_date": MONTH,
        "follow_up_municipality": MUNICIPALITY,
    },
    "CareerGuidance": {
        "guidance_date": MONTH,
        "kind": KEEP("career_guidance_kind"),
        "recommended_final_goal": KEEP("final_goal"),
        "organisation": Policy("unless_protected", note="career centre; may name the place"),
    },
    "CompetenceMapping": {
        "mapping_date": MONTH,
        "kind": KEEP("competence_mapping_kind"),
        "organisation": Policy("unless_protected", note="who mapped; may name the municipality"),
        "legal_basis": KEEP("mapping_legal_basis"),
        "registered_in_tool": KEEP(),
        "host_municipality": MUNICIPALITY,
    },
    "Exam": {
        "scheme": KEEP("scheme"),
        "exam_type": KEEP("exam_type"),
        "exam_date": MONTH,
        "result": KEEP("exam_result"),
        "level": KEEP(note="CEFR level (A1–C2)"),
        "organisation": Policy("unless_protected", note="test centre; may name the place"),
    },
    "FamilyReunification": {
        "reference_person": DROP("another person's DUF number"),
        "reference_basis_at_grant": KEEP("permit_basis"),
        "reference_first_settlement_date": MONTH,
        "application_date": MONTH,
        "reference_nordic_citizen": KEEP(),
        "reference_is_family_immigrant": KEEP(),
    },
    "UpperSecondaryEnrolment": {
        "from_date": MONTH,
        "to_date": MONTH,
        "full_time": KEEP(),
        "county": KEEP(note="county number"),
    },
    "ReceptionStay": {
        "centre": Policy("unless_protected", note="reception centre; names the place"),
        "host_municipality": MUNICIPALITY,
        "from_date": MONTH,
        "to_date": MONTH,
    },
    "ExtraGrantCase": {
        "grant_type": KEEP("extra_grant_type"),
        "grant_year": KEEP(),
        "applied_at": MONTH,
        "amount_applied": KEEP(),
        "amount_granted": KEEP(),
        "decided_at": MONTH,
    },
    "DerivedStatus": {
        "as_of": MONTH,
        "law": KEEP(f"law — {REGELMOTOR}"),
        "intro_category": KEEP(f"intro_category — {REGELMOTOR}"),
        "intro_start_date": MONTH,
        "intro_deadline": MONTH,
        "intro_base_deadline": MONTH,
        "intro_absence_workdays": KEEP(),
        "intro_closed_date": MONTH,
        "norwegian_category": KEEP(f"norwegian_category — {REGELMOTOR}"),
        "norwegian_start_date": MONTH,
        "norwegian_deadline": MONTH,
        "norwegian_leave_workdays": KEEP(),
        "deviation_final_goal_missing": KEEP(),
        "deviation_final_goal_2026_before_2026_start": KEEP(),
        "deviation_final_goal_expired": KEEP(),
        "errors": Policy("codes", f"rule error ids — {REGELMOTOR}"),
        "rules_version": KEEP(note="fingerprint of the rules"),
    },
}

POLICY_TEXT: dict[str, tuple[str, str]] = {  # (English, Norwegian)
    "pseudonym": (
        f"stable keyed pseudonym: first {PSEUDONYM_HEX_DIGITS} hex digits of HMAC-SHA256(key, DUF number)",
        f"stabilt nøkkelbasert pseudonym: de {PSEUDONYM_HEX_DIGITS} første heks-sifrene av "
        "HMAC-SHA256(nøkkel, DUF-nummer)",
    ),
    "keep": ("unchanged", "uendret"),
    "codes": ("list of codes, unchanged", "liste av koder, uendret"),
    "month": (
        "coarsened to the first day of the month (timestamps: month in Norwegian time)",
        "grovere: første dag i måneden (tidspunkter: måned i norsk tid)",
    ),
    "year": ("coarsened to the year", "grovere: bare året"),
    "municipality": (
        "municipality number; NULL for persons with protected identity",
        "kommunenummer; tomt (NULL) for personer med skjermet identitet",
    ),
    "county": (
        "county number of the municipality (for every person, also protected ones)",
        "fylkesnummeret til kommunen (for alle, også skjermede)",
    ),
    "district": (
        "district number; NULL for persons with protected identity",
        "bydelsnummer; tomt (NULL) for personer med skjermet identitet",
    ),
    "unless_protected": (
        "unchanged; NULL for persons with protected identity (may reveal the place)",
        "uendret; tomt (NULL) for personer med skjermet identitet (kan avsløre stedet)",
    ),
}


def _bookkept(model) -> bool:
    return isinstance(model, type) and issubclass(model, m.Registration)


def _raw_kind(f: models.Field) -> str:
    if isinstance(f, models.DateTimeField):
        return "datetime"
    if isinstance(f, models.DateField):
        return "date"
    if isinstance(f, models.BooleanField):
        return "bool"
    if isinstance(f, models.DecimalField):
        return "float"
    if isinstance(f, models.JSONField):
        return "json"
    if isinstance(f, (models.ForeignKey, models.AutoField, models.BigAutoField, models.BigIntegerField)):
        return "int64"
    if isinstance(f, models.IntegerField):  # small, positive, plain
        return "int32"
    if isinstance(f, (models.CharField, models.TextField)):
        return "str"
    return "other"


_FITS = {  # policy kind -> raw kinds it may be applied to
    "drop": None,
    "pseudonym": {"int64"},
    "keep": {"str", "bool", "int32", "int64", "float"},
    "codes": {"json"},
    "month": {"date", "datetime"},
    "year": {"date", "datetime"},
    "municipality": {"str"},
    "district": {"str"},
    "unless_protected": {"str"},
}


def policy_problems(models_=None) -> list[str]:
    """Every field without a policy, policy without a field, or policy that does not fit its field."""
    problems = []
    for model in models_ if models_ is not None else extract_models():
        own = POLICIES.get(model.__name__, {})
        table = {**(BOOKKEEPING if _bookkept(model) else {}), **own}
        fields = {f.attname: f for f in model._meta.concrete_fields}
        for name in fields:
            if name not in table:
                problems.append(f"{model.__name__}.{name}: no policy (add it to POLICIES in nir.reports.research)")
        for name in own:
            if name not in fields:
                problems.append(f"{model.__name__}.{name}: policy for a field the model does not have")
        for name, pol in table.items():
            f = fields.get(name)
            if f is None:
                continue
            if pol.kind not in KINDS:
                problems.append(f"{model.__name__}.{name}: unknown policy {pol.kind!r}")
            elif _FITS[pol.kind] is not None and _raw_kind(f) not in _FITS[pol.kind]:
                problems.append(
                    f"{model.__name__}.{name}: policy {pol.kind!r} does not fit a {type(f).__name__}"
                    + (" (dates must be coarsened)" if pol.kind == "keep" else "")
                )
            elif pol.kind == "pseudonym" and name != ("id" if model is m.Person else "person_id"):
                problems.append(f"{model.__name__}.{name}: only the person is pseudonymised")
    return problems


def check_policies(models_=None) -> None:
    problems = policy_problems(models_)
    if problems:
        raise PolicyError("felt uten gyldig personvernregel i forskningsuttrekket:\n  " + "\n  ".join(problems))


def extract_models() -> tuple[type[models.Model], ...]:
    return (m.Person, *m.ALL_REGISTRATION_MODELS)


# --- table specs: the raw columns read and the output columns written -----------------------


def file_stem(model) -> str:
    if model is m.Person:
        return "persons"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def _month_name(name: str) -> str:
    base = re.sub(r"(_date|_at)$", "", name)
    return f"{base}_month"


def _year_name(name: str) -> str:
    return re.sub(r"_date$", "", name) + "_year"


def _county_name(name: str) -> str:
    return name.replace("municipality", "county")


_ARROW = {"str": pa.string(), "bool": pa.bool_(), "int32": pa.int32(), "int64": pa.int64(), "float": pa.float64()}
_RAW_POLARS = {
    "str": pl.String,
    "bool": pl.Boolean,
    "int32": pl.Int64,
    "int64": pl.Int64,
    "float": pl.Float64,
    "date": pl.Date,
    "localdate": pl.Date,
    "json": pl.List(pl.String),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    source: str  # field attname
    policy: str  # policy kind, or "county"
    field: models.Field
    pol: Policy


@dataclass(frozen=True)
class Spec:
    model: type[models.Model]
    person_col: str
    raw: tuple[tuple[str, str], ...]  # (attname, raw kind) read from the database; person first
    columns: tuple[Column, ...]
    dropped: tuple[tuple[str, str], ...]  # (attname, reason)

    @property
    def file(self) -> str:
        return f"{file_stem(self.model)}.parquet"

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])


def table_spec(model) -> Spec:
    table = {**(BOOKKEEPING if _bookkept(model) else {}), **POLICIES.get(model.__name__, {})}
    person_col = "id" if model is m.Person else "person_id"
    raw = [(person_col, "int64")]
    cols = [
        Column("pseudonym", pa.string(), person_col, "pseudonym", model._meta.get_field(person_col), table[person_col])
    ]
    dropped = []
    for f in model._meta.concrete_fields:
        pol, name, kind = table[f.attname], f.attname, _raw_kind(f)
        if pol.kind == "drop":
            dropped.append((name, pol.note))
            continue
        if pol.kind == "pseudonym":
            continue
        # Registration times are read as their date in Norwegian time: all a month or a year needs.
        raw.append((name, "localdate" if kind == "datetime" else kind))
        if pol.kind == "month":
            cols.append(Column(_month_name(name), pa.date32(), name, "month", f, pol))
        elif pol.kind == "year":
            cols.append(Column(_year_name(name), pa.int16(), name, "year", f, pol))
        elif pol.kind == "codes":
            cols.append(Column(name, pa.list_(pa.string()), name, "codes", f, pol))
        elif pol.kind == "municipality":
            cols.append(Column(name, pa.string(), name, "municipality", f, pol))
            cols.append(Column(_county_name(name), pa.string(), name, "county", f, pol))
        else:  # keep, district, unless_protected
            cols.append(Column(name, _ARROW[kind], name, pol.kind, f, pol))
    return Spec(model, person_col, tuple(raw), tuple(cols), tuple(dropped))


# --- the persons: pseudonyms and protection ----------------------------------------------------


@dataclass
class Persons:
    ids: np.ndarray  # sorted person ids (int64)
    pseudonyms: pa.Array  # aligned with ids
    protected: np.ndarray  # bool, aligned with ids
    counties: dict[str, str]  # municipality number -> county number

    def lookup(self, person_ids: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.ids, person_ids)
        ok = idx < len(self.ids)
        ok[ok] = self.ids[idx[ok]] == person_ids[ok]
        if not ok.all():
            raise ResearchExtractError("registreringer for en person som ikke finnes i personregisteret")
        return idx


def _counties() -> dict[str, str]:
    """Municipality number -> county number from the reference data (the number's own county in every window)."""
    from nir.reference.models import Municipality

    out: dict[str, set[str]] = {}
    for number, county in Municipality.objects.values_list("number", "county__number"):
        out.setdefault(number, set()).add(county)
    # A number that belonged to two counties (never in SSB's numbering) falls back to its first two digits.
    return {k: (next(iter(v)) if len(v) == 1 else k[:2]) for k, v in out.items()}


def _protected_ids(known_at) -> np.ndarray:
    """Persons with protected identity at ``known_at`` or now (the extract is handed out now)."""
    qs = m.PersonDetails.objects.filter(protected_identity=True)
    ids = set(qs.current().values_list("person_id", flat=True))
    if known_at is not None:
        ids |= set(qs.known_at(known_at).values_list("person_id", flat=True))
    return np.array(sorted(ids), dtype=np.int64)


def _read_id_duf(copy_path: bool) -> tuple[np.ndarray, list[str]]:
    if copy_path:
        data = _copy_bytes(f'SELECT "id", "duf" FROM "{m.Person._meta.db_table}" ORDER BY "id"')
        if not data:
            return np.zeros(0, np.int64), []
        frame = pl.read_csv(data, has_header=False, schema={"id": pl.Int64, "duf": pl.String})
        return frame["id"].to_numpy(), frame["duf"].to_list()
    rows = list(m.Person.objects.order_by("id").values_list("id", "duf"))
    return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def pseudonyms(key: bytes, dufs: list[str]) -> pa.Array:
    """``pseudonym(key, duf)`` for many DUF numbers at once, as an Arrow string array.

    The same HMAC (RFC 2104) with the SHA-256 states of the padded key computed once and copied per
    person (twice as fast as ``hmac.digest``, which sets the key up on every call); hex encoding is
    vectorised.
    """
    k = hashlib.sha256(key).digest() if len(key) > 64 else key
    k = k.ljust(64, b"\0")
    icopy = hashlib.sha256(bytes(b ^ 0x36 for b in k)).copy
    ocopy = hashlib.sha256(bytes(b ^ 0x5C for b in k)).copy
    half = PSEUDONYM_HEX_DIGITS // 2

    def one(duf: str) -> bytes:
        inner = icopy()
        inner.update(duf.encode())
        outer = ocopy()
        outer.update(inner.digest())
        return outer.digest()[:half]

    raw = np.frombuffer(b"".join(map(one, dufs)), dtype=np.uint8).reshape(-1, half)
    text = np.empty((len(dufs), 2 * half), dtype=np.uint8)
    text[:, 0::2] = _HEX[raw >> 4]
    text[:, 1::2] = _HEX[raw & 15]
    offsets = np.arange(0, text.size + 1, 2 * half, dtype=np.int32)
    return pa.StringArray.from_buffers(len(dufs), pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))


def _persons(key: bytes, known_at, copy_path: bool) -> Persons:
    ids, dufs = _read_id_duf(copy_path)
    pseudos = pseudonyms(key, dufs)
    if pl.Series(pseudos).n_unique() != len(pseudos):  # 64 bits: about 3e-8 for a million persons
        raise ResearchExtractError("to personer fikk samme pseudonym med denne nøkkelen; bruk en annen nøkkel")
    protected = np.isin(ids, _protected_ids(known_at))
    return Persons(ids, pseudos, protected, _counties())


# --- reading ------------------------------------------------------------------------------


def _copy_bytes(sql: str) -> bytes:
    """One ``COPY (sql) TO STDOUT (FORMAT csv)`` on Django's connection, as bytes."""
    connection.ensure_connection()
    buf = bytearray()
    with connection.connection.cursor() as cur:
        with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buf += block
    return bytes(buf)


def _pg_expr(table: str, name: str, kind: str) -> str:
    col = f'"{table}"."{name}"'
    if kind == "date":
        return f"({col} - DATE '1970-01-01')"
    if kind == "localdate":
        return f"(({col} AT TIME ZONE '{LOCAL_TZ}')::date - DATE '1970-01-01')"
    if kind == "bool":
        return f"{col}::int"
    if kind == "json":
        return f"{col}::text"
    return col


_CSV_POLARS = {
    "str": pl.String,
    "bool": pl.Int8,
    "int32": pl.Int64,
    "int64": pl.Int64,
    "float": pl.Float64,
    "date": pl.Int32,
    "localdate": pl.Int32,
    "json": pl.String,
}


def _queryset(spec: Spec, known_at, lo: int, hi: int):
    if spec.model is m.Person:
        from nir.register.history import persons_known_at

        qs = persons_known_at(known_at)
    else:
        qs = spec.model.objects.as_known(known_at)
    return qs.filter(id__gt=lo, id__lte=hi).order_by("id")


def _copy_sql(spec: Spec, known_at, lo: int, hi: int) -> str:
    """The ORM's query for the range (so the known-at filter is ``as_known``'s), selecting raw forms cheap to parse."""
    table = spec.model._meta.db_table
    exprs = {
        f"c{i}": RawSQL(_pg_expr(table, name, kind), (), output_field=models.TextField())
        for i, (name, kind) in enumerate(spec.raw)
    }
    qs = _queryset(spec, known_at, lo, hi).annotate(**exprs).values_list(*exprs)
    sql, params = qs.query.sql_with_params()
    return connection.ops.compose_sql(sql, params)


def _parse_csv(spec: Spec, data: bytes) -> pl.DataFrame:
    names = [n for n, _k in spec.raw]
    frame = pl.read_csv(data, has_header=False, schema={n: _CSV_POLARS[k] for n, k in spec.raw}, infer_schema=False)
    exprs = []
    for name, kind in spec.raw:
        c = pl.col(name)
        if kind in ("date", "localdate"):
            c = c.cast(pl.Date)
        elif kind == "bool":
            c = c.cast(pl.Boolean)
        elif kind == "json":
            c = c.str.json_decode(pl.List(pl.String))
        exprs.append(c.alias(name))
    return frame.select(exprs).select(names)


def _fetch_frame(spec: Spec, known_at, lo: int, hi: int) -> pl.DataFrame:
    """The same raw frame as the COPY path, through ``values_list`` (SQLite, or on request)."""
    names = [n for n, _k in spec.raw]
    rows = list(_queryset(spec, known_at, lo, hi).values_list(*names))
    cols = list(zip(*rows)) if rows else [() for _ in names]
    series = []
    for (name, kind), values in zip(spec.raw, cols):
        if kind == "float":
            values = [None if v is None else float(v) for v in values]
        elif kind == "json":
            values = [None if v is None else [str(x) for x in v] for v in values]
        elif kind == "localdate":  # aware datetimes -> their date in Norwegian time
            utc = pl.Series(name, list(values), dtype=pl.Datetime("us", "UTC"))
            series.append(utc.dt.convert_time_zone(LOCAL_TZ).dt.date())
            continue
        series.append(pl.Series(name, list(values), dtype=_RAW_POLARS[kind]))
    return pl.DataFrame(series)


# --- the transform ------------------------------------------------------------------------


def _nullif_empty(c: pl.Expr) -> pl.Expr:
    return pl.when(c == "").then(None).otherwise(c)


def _transform(spec: Spec, raw: pl.DataFrame, persons: Persons) -> pa.Table:
    """Raw rows -> the extract's rows: pseudonym, coarsened dates, protected persons without places."""
    idx = persons.lookup(raw[spec.person_col].to_numpy())
    frame = raw.with_columns(pl.Series("__protected", persons.protected[idx]))
    prot = pl.col("__protected")
    exprs = []
    for col in spec.columns:
        if col.policy == "pseudonym":
            continue
        c = pl.col(col.source)
        kind = dict(spec.raw)[col.source]
        if col.policy == "month":
            c = c.dt.month_start()
        elif col.policy == "year":
            c = c.dt.year().cast(pl.Int16)
        elif col.policy == "county":
            c = _nullif_empty(c)
            c = c.replace_strict(persons.counties, default=c.str.slice(0, 2), return_dtype=pl.String)
        elif col.policy in ("municipality", "district", "unless_protected"):
            c = pl.when(prot).then(None).otherwise(_nullif_empty(c))
        elif kind == "str":
            c = _nullif_empty(c)
        exprs.append(c.alias(col.name))
    table = frame.select(exprs).to_arrow()
    table = table.add_column(0, "pseudonym", persons.pseudonyms.take(pa.array(idx, pa.int64())))
    return table.cast(spec.schema)


# --- writing ------------------------------------------------------------------------------


@dataclass
class FileSummary:
    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass
class ExtractSummary:
    out_dir: Path
    known_at: dt.datetime | None
    files: list[FileSummary]
    seconds: float
    key_id: str
    method: str  # "copy" (PostgreSQL COPY) or "fetch"

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files if f.name.endswith(".parquet"))

    @property
    def parquet_files(self) -> list[FileSummary]:
        return [f for f in self.files if f.name.endswith(".parquet")]

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)


class _Sink:
    """One Parquet file, written row group by row group into a temporary name, renamed when complete."""

    def __init__(self, path: Path, spec: Spec, known_at):
        self.path, self.spec, self.rows = path, spec, 0
        self.tmp = path.with_name(path.name + ".part")
        meta = {
            b"nir.extract": b"research",
            b"nir.pseudonym_scheme": PSEUDONYM_SCHEME.encode(),
            b"nir.known_at": (known_at.isoformat() if known_at else "current").encode(),
        }
        # No dictionary for the pseudonym: nearly one value per row, so the dictionary would only overflow.
        dictionary = [c.name for c in spec.columns if c.policy != "pseudonym"]
        self.writer = pq.ParquetWriter(
            self.tmp, spec.schema.with_metadata(meta), compression=PARQUET_COMPRESSION, use_dictionary=dictionary
        )

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.writer.write_table(table, row_group_size=table.num_rows)
            self.rows += table.num_rows

    def close(self) -> None:
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def _id_ranges(model, chunk: int) -> list[tuple[int, int]]:
    agg = model.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if agg["lo"] is None:
        return []
    return [(lo, min(lo + chunk, agg["hi"])) for lo in range(agg["lo"] - 1, agg["hi"], chunk)]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_research_extract(
    out_dir,
    *,
    key: bytes,
    known_at: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    method: str | None = None,
    chunk: int = CHUNK_IDS,
    models_: list | None = None,
) -> ExtractSummary:
    """Write the research extract of the register as known at ``known_at`` (None: now) into ``out_dir``.

    ``progress(label, done, total)`` is called after each chunk (from a worker thread).
    ``method``: ``"copy"`` (PostgreSQL only) or ``"fetch"``; default: COPY on PostgreSQL.
    ``chunk``: ids per read and per Parquet row group. ``models_``: the tables to extract (default: all,
    ``extract_models()``; the benchmark leaves out tables an older database does not have yet).
    """
    started = time.perf_counter()
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES:
        raise ResearchExtractError(f"pseudonymnøkkelen må være minst {MIN_KEY_BYTES} byte")
    key = bytes(key)
    chosen = tuple(models_) if models_ is not None else extract_models()
    check_policies(chosen)
    existing = set(connection.introspection.table_names())
    missing = [mdl._meta.db_table for mdl in (m.Person, *chosen) if mdl._meta.db_table not in existing]
    if missing:
        raise ResearchExtractError(f"tabellene {', '.join(missing)} finnes ikke i databasen; kjør «nir migrate» først")
    pg = connection.vendor == "postgresql"
    method = method or ("copy" if pg else "fetch")
    if method == "copy" and not pg:
        raise ResearchExtractError("COPY-lesing krever PostgreSQL")
    out = Path(out_dir)
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise ResearchExtractError(f"kan ikke opprette mappen {out}: {e.strerror}") from None
    specs = [table_spec(mdl) for mdl in chosen]

    with _snapshot(pg):
        persons = _persons(key, known_at, method == "copy")
        plan = [(spec, _id_ranges(spec.model, chunk)) for spec in specs]
        total = sum(len(r) for _s, r in plan) or 1
        done = 0
        sinks: list[_Sink] = []

        def work(spec, sink, payload):
            nonlocal done
            if not isinstance(payload, bytes):
                sink.write(_transform(spec, payload, persons))
            elif payload:  # an empty COPY result: no rows in this id range
                sink.write(_transform(spec, _parse_csv(spec, payload), persons))
            done += 1
            if progress:
                progress(spec.file, done, total)

        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="research-extract") as pool:
                pending: deque = deque()
                for spec, ranges in plan:
                    sink = _Sink(out / spec.file, spec, known_at)
                    sinks.append(sink)
                    for lo, hi in ranges:
                        if method == "copy":
                            payload = _copy_bytes(_copy_sql(spec, known_at, lo, hi))
                        else:
                            payload = _fetch_frame(spec, known_at, lo, hi)
                        pending.append(pool.submit(work, spec, sink, payload))
                        while len(pending) > 2:
                            pending.popleft().result()
                while pending:
                    pending.popleft().result()
            for sink in sinks:
                sink.close()
        except BaseException:
            for sink in sinks:
                if sink.tmp.exists():
                    sink.abort()
            raise

    files = [FileSummary(s.spec.file, s.rows, s.path.stat().st_size, _sha256(s.path)) for s in sinks]
    created = timezone.now()
    kid = key_id(key)
    dictionary = data_dictionary(specs, {f.name: f.rows for f in files})
    (out / "data-dictionary.json").write_text(
        json.dumps(dictionary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (out / "data-dictionary.md").write_text(dictionary_markdown(dictionary), encoding="utf-8")
    for name in ("data-dictionary.json", "data-dictionary.md"):
        p = out / name
        files.append(FileSummary(name, 0, p.stat().st_size, _sha256(p)))
    manifest = {
        "extract": "nir-research-extract",
        "format_version": FORMAT_VERSION,
        "known_at": known_at.isoformat() if known_at else None,
        "known_at_meaning": "the register as known at this time" if known_at else "current rows at created_at",
        "created_at": created.isoformat(),
        "database": connection.vendor,
        "read_method": method,
        "pseudonym": {
            "scheme": PSEUDONYM_SCHEME,
            "version": PSEUDONYM_SCHEME_VERSION,
            "hex_digits": PSEUDONYM_HEX_DIGITS,
            "key_id": kid,
        },
        "files": {
            f.name: ({"rows": f.rows} if f.name.endswith(".parquet") else {}) | {"bytes": f.bytes, "sha256": f.sha256}
            for f in files
        },
        "rows_total": sum(f.rows for f in files),
        "small_cells_suppressed": False,
        "audience": "approved researchers only (microdata; small cells are not suppressed)",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return ExtractSummary(out, known_at, files, time.perf_counter() - started, kid, method)


class _snapshot:  # noqa: N801 - a context manager
    """PostgreSQL: every table read in one REPEATABLE READ, READ ONLY snapshot (when not already in a transaction)."""

    def __init__(self, pg: bool):
        self.pg = pg
        self.atomic = None

    def __enter__(self):
        if self.pg and not connection.in_atomic_block:
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return self

    def __exit__(self, *exc):
        if self.atomic is not None:
            return self.atomic.__exit__(*exc)
        return False


# --- the data dictionary ------------------------------------------------------------------

# Meanings of fields that have no Norwegian verbose name on the model.
MEANINGS: dict[str, str] = {
    "operation": "operasjon: Opprettet (create) eller Korrigert (correct)",
    "registered_by_kind": "registrert av: type aktør (user: bruker, client: fagsystem, system)",
    "registered_by_system": "registrert av system (f.eks. Regelmotor)",
}
MEANINGS.update({f"deviation_{k}": f"avvik: {v}" for k, v in DEVIATION_LABELS.items()})


def _meaning(f: models.Field) -> str:
    return MEANINGS.get(f.attname, str(f.verbose_name))


def data_dictionary(specs: list[Spec] | None = None, rows: dict[str, int] | None = None) -> dict:
    """The machine-readable data dictionary (no data: names, types and rules only)."""
    specs = specs if specs is not None else [table_spec(mdl) for mdl in extract_models()]
    tables = []
    for spec in specs:
        model = spec.model
        doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        cols = []
        for c in spec.columns:
            en, nb = POLICY_TEXT[c.policy]
            if c.policy == "pseudonym":
                meaning = "person (pseudonym)"
            elif c.policy == "county":
                meaning = f"fylke ({_meaning(c.field)}) / county"
            else:
                meaning = _meaning(c.field)
            code_list = c.pol.code_list
            if c.policy == "county":
                code_list = "SSB klassifikasjon 104 (fylker)"
            cols.append(
                {
                    "name": c.name,
                    "type": str(c.type),
                    "source": f"{model.__name__}.{c.source}",
                    "meaning": meaning,
                    "coarsening": en,
                    "coarsening_nb": nb,
                    "code_list": code_list,
                    "note": c.pol.note or None,
                }
            )
        tables.append(
            {
                "table": file_stem(model),
                "file": spec.file,
                "source_model": f"register.{model.__name__}",
                "description": doc,
                "description_nb": str(model._meta.verbose_name_plural),
                "rows": (rows or {}).get(spec.file),
                "columns": cols,
                "omitted": [{"source": f"{model.__name__}.{n}", "reason": r} for n, r in spec.dropped],
            }
        )
    return {
        "extract": "nir-research-extract",
        "format_version": FORMAT_VERSION,
        "pseudonym": {
            "scheme": PSEUDONYM_SCHEME,
            "version": PSEUDONYM_SCHEME_VERSION,
            "definition": f"lowercase hex of HMAC-SHA256(key, UTF-8 DUF number), first {PSEUDONYM_HEX_DIGITS} digits",
            "stable": "the same person has the same pseudonym in every file and every extract made with the same key",
        },
        "conventions": {
            "rows": "the rows the register held at known_at (current versions only; no history, no annulled rows)",
            "empty_text": "empty text in the register is NULL in the extract",
            "months": "a *_month column is a date on the first day of the month",
            "protected_identity": "persons with protected identity (skjermet), at known_at or now: municipality, "
            "district and place-revealing text are NULL in all their rows; county columns "
            "are kept",
            "small_cells": "not suppressed: the extract is microdata for approved researchers only",
        },
        "tables": tables,
    }


def dictionary_markdown(d: dict) -> str:
    lines = [
        "# NIR forskningsuttrekk — datakatalog / research extract — data dictionary",
        "",
        f"Pseudonym: `{d['pseudonym']['scheme']}` v{d['pseudonym']['version']} — {d['pseudonym']['definition']}. "
        f"{d['pseudonym']['stable'].capitalize()}.",
        "",
    ]
    lines += [f"- **{k.replace('_', ' ')}**: {v}" for k, v in d["conventions"].items()]
    for t in d["tables"]:
        lines += ["", f"## `{t['file']}` — {t['description_nb']}", "", t["description"], ""]
        if t.get("rows") is not None:
            lines += [f"Rader / rows: {t['rows']}", ""]
        lines += [
            "| kolonne / column | type | kilde / source | betydning / meaning | grovere / coarsening "
            "| kodeverk / code list |",
            "|---|---|---|---|---|---|",
        ]
        for c in t["columns"]:
            note = f" ({c['note']})" if c.get("note") else ""
            lines.append(
                f"| `{c['name']}` | {c['type']} | `{c['source']}` | {c['meaning']}{note} | "
                f"{c['coarsening']} / {c['coarsening_nb']} | {c['code_list'] or ''} |"
            )
        if t["omitted"]:
            lines += ["", "Utelatt / omitted: " + "; ".join(f"`{o['source']}` ({o['reason']})" for o in t["omitted"])]
    return "\n".join(lines) + "\n"
