"""The register interchange format (regelmotor.md § 8): one person per line.

    {"duf": "…", "first_name": "…", "last_name": "…",
     "follow_up_municipality": "4648", "registered_at": "2026-02-11T09:30:00+01:00",
     "facts": {…as in a conformance case…}}

This module maps between that format and the register's models in both
directions, from one declarative table (``LIST_SPECS``): parsing turns JSON
into typed model values and reports every problem with its path; serialising
turns rows back into JSON. Validation against reference data and code lists
is in ``nir.register.validation``; writing is in ``nir.register.services``.
The optional keys beyond the case format are documented in
``docs/interchange-format.md``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from nir.isodates import parse_date, parse_datetime
from nir.register import kinds
from nir.register import models as m
from nir.register.errors import Problem
from nir.register.kinds import Field

# The lists under ``facts``, from the registry of registration kinds (``nir.register.kinds``):
# interchange key -> (model, (json key, model field, kind, required) …).
LIST_SPECS: dict[str, tuple[type[m.Registration], tuple[Field, ...]]] = {
    k.interchange: (k.model, k.spec) for k in kinds.KINDS if k.listed
}
# The plain values under ``facts``: final_goal, extension_months.
PLAIN_KINDS: dict[str, kinds.RegistrationKind] = {k.interchange: k for k in kinds.KINDS if not k.listed}

DETAIL_FIELDS: tuple[Field, ...] = (
    ("birth_date", "birth_date", "date", True),
    ("education", "education", "code:education", False),
    ("sex", "sex", "code:sex", False),
    ("national_id", "national_id", "str", False),
    ("protected_identity", "protected_identity", "bool", False),
    # the grants' person-level facts (grants.md A.1.1)
    ("mother", "mother", "duf", False),
    ("citizenship", "citizenship", "country", False),
    ("emigration_date", "emigration_date", "date", False),
    ("death_date", "death_date", "date", False),
    ("asylum_procedure", "asylum_procedure", "code:asylum_procedure", False),
    ("asylum_duty_group_entry", "asylum_duty_group_entry", "date", False),
)
# ``facts.unaccompanied_minor``: one object {flag, with_companion} (enslig mindreårig; følgeperson).
UNACCOMPANIED_FIELDS: tuple[Field, ...] = (
    ("flag", "unaccompanied_minor", "nullbool", False),
    ("with_companion", "with_companion", "bool", False),
)


def _missing(kind: str) -> Any:
    """The value an optional field takes when it is absent."""
    if kind in ("date", "decimal", "int", "nullbool"):
        return None
    if kind == "bool":
        return False
    if kind == "code:education":
        return "unknown"
    return ""


MODEL_TO_KEY = {spec[0]: key for key, spec in LIST_SPECS.items()}
FIELD_KINDS: dict[type, dict[str, str]] = {
    spec[0]: {f: kind for _j, f, kind, _r in spec[1]} for spec in LIST_SPECS.values()
}
FIELD_KINDS[m.PersonDetails] = {f: kind for _j, f, kind, _r in DETAIL_FIELDS + UNACCOMPANIED_FIELDS} | {
    "first_name": "str",
    "last_name": "str",
}
FIELD_KINDS.update({k.model: {f: kind for _j, f, kind, _r in k.spec} for k in PLAIN_KINDS.values()})
# Model field -> interchange key, so that problems found on an import name the key
# the line used (``facts.decisions[0].type``, not ``…decision_type``).
JSON_KEYS: dict[type, dict[str, str]] = {spec[0]: {f: j for j, f, _k, _r in spec[1]} for spec in LIST_SPECS.values()}


@dataclass
class Item:
    model: type[m.Registration]
    values: dict[str, Any]
    path: str
    registered_at: dt.datetime | None = None


@dataclass
class ParsedPerson:
    duf: str
    details: dict[str, Any]
    items: list[Item]
    registered_at: dt.datetime | None
    follow_up_municipality: str
    problems: list[Problem] = field(default_factory=list)


def _convert(kind: str, value: Any) -> Any:
    if kind == "date":
        return parse_date(value)
    if kind in ("bool", "nullbool"):
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError
        d = decimal.Decimal(str(value))
        if not d.is_finite():
            raise ValueError
        return d
    # str, code:*, municipality, district
    if not isinstance(value, str):
        raise ValueError
    return value.strip()


_KIND_MESSAGES = {
    "date": "må være en dato på formen ÅÅÅÅ-MM-DD",
    "bool": "må være true eller false",
    "nullbool": "må være true, false eller null",
    "int": "må være et heltall",
    "decimal": "må være et tall",
}


def parse_fields(obj: Any, spec: tuple[Field, ...], path: str, problems: list[Problem]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not isinstance(obj, dict):
        problems.append(Problem(path, "type", "må være et objekt"))
        return values
    known = {j for j, *_ in spec} | {"registered_at"}
    for key in obj:
        if key not in known:
            problems.append(Problem(f"{path}.{key}", "unknown_field", "ukjent felt"))
    for json_key, fname, kind, required in spec:
        raw = obj.get(json_key)
        if raw is None or raw == "":
            if required:
                problems.append(Problem(f"{path}.{json_key}", "required", "mangler (påkrevd)"))
            values[fname] = _missing(kind)
            continue
        try:
            values[fname] = _convert(kind, raw)
        except (ValueError, TypeError, decimal.InvalidOperation):
            if kind == "date" and isinstance(raw, str) and (match := _ISO_SHAPE.match(raw)):
                # written as a date, but no such day: say so (31.02.2026), not that it is no date
                y, mo, d = match.groups()
                problems.append(Problem(f"{path}.{json_key}", "date_not_exist", f"{d}.{mo}.{y} finnes ikke"))
                continue
            msg = _KIND_MESSAGES.get(kind, "må være tekst")
            problems.append(Problem(f"{path}.{json_key}", "type", msg))
    return values


_ISO_SHAPE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _moment(value: Any) -> dt.datetime:
    """A registration time: ``parse_datetime``, and one that exists in UTC (0001-01-01T00:00+14:00
    does not: converting it overflows). Raises ValueError otherwise."""
    parsed = parse_datetime(value)
    try:
        parsed.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("out of range") from None
    return parsed


def parse_line(obj: Any) -> ParsedPerson:  # noqa: C901 - one branch per key of the format
    """Parse one interchange line (already JSON-decoded). Never raises."""
    problems: list[Problem] = []
    if not isinstance(obj, dict):
        return ParsedPerson("", {}, [], None, "", [Problem("$", "type", "linjen må være et JSON-objekt")])
    for key in obj:
        if key not in ("duf", "first_name", "last_name", "follow_up_municipality", "registered_at", "facts"):
            problems.append(Problem(key, "unknown_field", "ukjent felt"))
    duf = obj.get("duf")
    if not isinstance(duf, str) or not duf:
        problems.append(Problem("duf", "required", "DUF-nummer mangler"))
        duf = ""
    registered_at = None
    if obj.get("registered_at") is not None:
        try:
            registered_at = _moment(obj["registered_at"])
        except (ValueError, TypeError):
            problems.append(Problem("registered_at", "type", "må være et tidspunkt med tidssone (ISO 8601)"))
    follow_up = obj.get("follow_up_municipality") or ""
    if not isinstance(follow_up, str):
        problems.append(Problem("follow_up_municipality", "type", "må være tekst"))
        follow_up = ""
    facts = obj.get("facts")
    if not isinstance(facts, dict):
        problems.append(Problem("facts", "required", "facts mangler eller er ikke et objekt"))
        return ParsedPerson(duf, {}, [], registered_at, follow_up, problems)

    allowed = set(LIST_SPECS) | {j for j, *_ in DETAIL_FIELDS} | set(PLAIN_KINDS) | {"unaccompanied_minor"}
    for key in facts:
        if key not in allowed:
            problems.append(Problem(f"facts.{key}", "unknown_field", "ukjent felt"))

    details = parse_fields({k: facts.get(k) for k, *_ in DETAIL_FIELDS}, DETAIL_FIELDS, "facts", problems)
    um = facts.get("unaccompanied_minor")
    details |= parse_fields({} if um is None else um, UNACCOMPANIED_FIELDS, "facts.unaccompanied_minor", problems)
    for name_key in ("first_name", "last_name"):
        v = obj.get(name_key)
        if not isinstance(v, str) or not v.strip():
            problems.append(Problem(name_key, "required", "navn mangler"))
            details[name_key] = ""
        else:
            details[name_key] = v.strip()

    items: list[Item] = []
    for key, (model, spec) in LIST_SPECS.items():
        raw_list = facts.get(key)
        if raw_list is None:
            continue
        if not isinstance(raw_list, list):
            problems.append(Problem(f"facts.{key}", "type", "må være en liste"))
            continue
        for i, raw in enumerate(raw_list):
            path = f"facts.{key}[{i}]"
            values = kinds.BY_MODEL[model].with_defaults(parse_fields(raw, spec, path, problems))
            item_at = None
            if isinstance(raw, dict) and raw.get("registered_at") is not None:
                try:
                    item_at = _moment(raw["registered_at"])
                except (ValueError, TypeError):
                    problems.append(Problem(f"{path}.registered_at", "type", "må være et tidspunkt med tidssone"))
            items.append(Item(model, values, path, item_at))

    goal = facts.get("final_goal")
    if goal is not None:
        if not isinstance(goal, str) or not goal:
            problems.append(Problem("facts.final_goal", "type", "må være en sluttmålkode"))
        else:
            values = PLAIN_KINDS["final_goal"].with_defaults({"scheme": "", "goal": goal, "follow_up_municipality": ""})
            items.append(Item(m.FinalGoal, values, "facts.final_goal"))
    family = facts.get("family_reunification")
    if family is not None:
        kind = PLAIN_KINDS["family_reunification"]
        values = parse_fields(family, kind.spec, "facts.family_reunification", problems)
        if isinstance(family, dict):
            items.append(Item(m.FamilyReunification, kind.with_defaults(values), "facts.family_reunification"))
    ext = facts.get("extension_months")
    if ext is not None:
        if isinstance(ext, bool) or not isinstance(ext, int) or ext < 0:
            problems.append(Problem("facts.extension_months", "type", "må være et ikke-negativt heltall"))
        elif ext > 0:
            values = PLAIN_KINDS["extension_months"].with_defaults({"scheme": "", "months": ext, "decision_date": None})
            items.append(Item(m.Extension, values, "facts.extension_months"))
    return ParsedPerson(duf, details, items, registered_at, follow_up, problems)


# --- serialising -------------------------------------------------------------

OSLO = ZoneInfo("Europe/Oslo")


def _local(moment: dt.datetime) -> dt.datetime:
    """Registration times are written in Norwegian local time with offset."""
    return moment.astimezone(OSLO)


def _json_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return _local(v).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def _engine_value(v: Any) -> Any:
    """``_json_value`` for the Regelmotor, which reads dates as ``datetime.date`` as well as text."""
    if type(v) is dt.date:
        return v
    return _json_value(v)


def item_to_json(row: m.Registration, *, with_registered_at: bool = False, typed: bool = False) -> dict[str, Any]:
    """The row as an interchange item; ``typed``: dates stay ``datetime.date`` (for the Regelmotor)."""
    model, spec = LIST_SPECS[MODEL_TO_KEY[type(row)]]
    value = _engine_value if typed else _json_value
    out: dict[str, Any] = {}
    for json_key, fname, _kind, required in spec:
        v = getattr(row, fname)
        if not required and (v is None or v == "") and json_key not in ("arrival_date", "start_date", "end_date", "to"):
            continue
        out[json_key] = value(v) if v != "" else None
    if with_registered_at:
        out["registered_at"] = _local(row.recorded_at).isoformat()
    return out


def facts_to_line(
    person: m.Person,
    rows: list[m.Registration],
    *,
    follow_up_municipality: str = "",
    with_registered_at: bool = True,
    typed: bool = False,
) -> dict[str, Any]:
    """Build one interchange line from a person's (current or as-known) rows.

    ``typed``: the facts for the Regelmotor (``nir.rules.evaluate``), not for a file: dates stay
    ``datetime.date`` instead of going to text and back, and the line has no ``registered_at``."""
    details = next((r for r in rows if isinstance(r, m.PersonDetails)), None)
    facts: dict[str, Any] = {}
    line: dict[str, Any] = {"duf": person.duf}
    if details is not None:
        line["first_name"] = details.first_name
        line["last_name"] = details.last_name
        facts["birth_date"] = details.birth_date if typed else details.birth_date.isoformat()
        facts["education"] = details.education
        if details.sex:
            facts["sex"] = details.sex
        if details.national_id:
            facts["national_id"] = details.national_id
        if details.protected_identity:
            facts["protected_identity"] = True
        for json_key, fname, _kind, _required in DETAIL_FIELDS[5:]:
            v = getattr(details, fname)
            if v is not None and v != "":
                facts[json_key] = (_engine_value if typed else _json_value)(v)
        if details.unaccompanied_minor is not None or details.with_companion:
            facts["unaccompanied_minor"] = {
                "flag": details.unaccompanied_minor,
                "with_companion": details.with_companion,
            }
    line["follow_up_municipality"] = follow_up_municipality or None
    if not typed:
        line["registered_at"] = _local(max((r.recorded_at for r in rows), default=person.recorded_at)).isoformat()
    for key in LIST_SPECS:
        facts[key] = []
    facts["final_goal"] = None
    facts["extension_months"] = 0
    for r in rows:
        if isinstance(r, m.PersonDetails):
            continue
        if isinstance(r, m.FinalGoal):
            facts["final_goal"] = r.goal
        elif isinstance(r, m.Extension):
            facts["extension_months"] += r.months
        elif isinstance(r, m.FamilyReunification):
            value = _engine_value if typed else _json_value
            facts["family_reunification"] = {
                j: value(getattr(r, f)) if getattr(r, f) != "" else None
                for j, f, _k, _r in PLAIN_KINDS["family_reunification"].spec
            }
        else:
            facts[MODEL_TO_KEY[type(r)]].append(item_to_json(r, with_registered_at=with_registered_at, typed=typed))
    for key in (
        "residences",
        "participation",
        "measures",
        "terminations",
        "career_guidance",
        "competence_mappings",
        "exams",
        "upper_secondary_enrolments",
        "reception_stays",
        "extra_grant_cases",
    ):
        if not facts[key]:
            del facts[key]
    line["facts"] = facts
    return line
