"""Field validation of registrations against identifiers, reference data and code lists.

Every problem names the field and the rule. Problems refuse the
registration; warnings (a final goal outside its validity window,
regelmotor.md § 5) are accepted and surface later as deviations (§ 6).

Rules about the person's situation as a whole (for example *Bortfall … arbeid*
only without a participation decision) belong to the rules engine, not here.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, models

from nir import codes, identity
from nir.register import models as m
from nir.register.errors import Problem
from nir.register.interchange import FIELD_KINDS, JSON_KEYS

# The date that decides whether a code (or municipality) was valid, per model.
FACT_DATE_FIELD: dict[type, str | None] = {
    m.PersonDetails: None,
    m.ResidencePermit: "decision_date",
    m.Residence: "valid_from",
    m.FollowUp: "valid_from",
    m.Settlement: "settlement_date",
    m.Decision: "decision_date",
    m.FinalGoal: None,  # judged against the programme start, as a warning
    m.Extension: "decision_date",
    m.Participation: "from_date",
    m.Measure: "from_date",
    m.Absence: "from_date",
    m.Termination: "termination_date",
    m.CareerGuidance: "guidance_date",
    m.CompetenceMapping: "mapping_date",
    m.Exam: "exam_date",
    m.FamilyReunification: "application_date",
    m.UpperSecondaryEnrolment: "from_date",
    m.ReceptionStay: "from_date",
    m.ExtraGrantCase: "applied_at",
}

# (start field, end field) pairs where the end may not come before the start.
PERIODS: dict[type, tuple[tuple[str, str], ...]] = {
    m.Residence: (("valid_from", "valid_to"),),
    m.FollowUp: (("valid_from", "valid_to"),),
    m.Decision: (("start_date", "end_date"),),
    m.Participation: (("from_date", "to_date"),),
    m.Measure: (("from_date", "to_date"),),
    m.Absence: (("from_date", "to_date"),),
    m.UpperSecondaryEnrolment: (("from_date", "to_date"),),
    m.ReceptionStay: (("from_date", "to_date"),),
}

EARLIEST_DATE = dt.date(1900, 1, 1)
# The longest extension any final goal allows (regelmotor.md § 4); which goal allows
# how much is the rules engine's concern.
MAX_EXTENSION_MONTHS = 12


@dataclass(frozen=True)
class ReferenceIndex:
    municipalities: dict[str, tuple[tuple[dt.date | None, dt.date | None], ...]]
    districts: dict[str, tuple[str, dt.date | None, dt.date | None]]
    counties: frozenset[str] = frozenset()

    def municipality_valid(self, number: str, *days: dt.date) -> bool | None:
        """None: unknown number; False: known but not valid on any of ``days``."""
        windows = self.municipalities.get(number)
        if windows is None:
            return None
        return any((lo is None or lo <= d) and (hi is None or d <= hi) for d in days if d for lo, hi in windows)


def _load_reference(alias: str) -> ReferenceIndex:
    from nir.reference.models import County, District, Municipality

    munis: dict[str, list[tuple[dt.date | None, dt.date | None]]] = {}
    for number, lo, hi in Municipality.objects.using(alias).values_list("number", "valid_from", "valid_to"):
        munis.setdefault(number, []).append((lo, hi))
    districts = {
        n: (mn, lo, hi)
        for n, mn, lo, hi in District.objects.using(alias).values_list(
            "number", "municipality_number", "valid_from", "valid_to"
        )
    }
    counties = frozenset(County.objects.using(alias).values_list("number", flat=True))
    return ReferenceIndex({k: tuple(v) for k, v in munis.items()}, districts, counties)


_cache: dict[tuple[Any, ...], ReferenceIndex] = {}


def reference(alias: str = "default") -> ReferenceIndex:
    """Municipalities and districts with their windows, cached per database."""
    db = connections[alias].settings_dict
    key = (alias, db["ENGINE"], db["NAME"], db.get("HOST"), db.get("PORT"))
    idx = _cache.get(key)
    if idx is None or not idx.municipalities:
        idx = _load_reference(alias)
        _cache[key] = idx
    return idx


def clear_reference_cache() -> None:
    _cache.clear()


# Characters no register text may hold: NUL (PostgreSQL refuses it in text), the other C0 controls
# except tab, line feed and carriage return (not valid in XML, so no XLSX export could carry them),
# and lone surrogates (not encodable as UTF-8). DEL and the C1 controls are valid XML and stored as given.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _unstorable(value: str) -> Problem | None:
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    ch = "\x00" if "\x00" in value else found.group()
    if ch == "\x00":
        return Problem("", "nul_character", "inneholder et NUL-tegn, som ikke kan lagres")
    if ch <= "\x1f":
        return Problem("", "control_character", f"inneholder kontrolltegnet U+{ord(ch):04X}, som ikke kan lagres")
    return Problem("", "invalid_character", f"inneholder et ugyldig tegn (U+{ord(ch):04X}), som ikke kan lagres")


def text_problems(value: Any, field: str) -> list[Problem]:
    """The register's one check of text that cannot be stored: a problem per string in ``value``
    (a string, or dicts and lists of them, walked) holding NUL, another C0 control character than
    tab/LF/CR, or a lone surrogate; the field named ``field``, ``field.key`` or ``field[i]``.

    Every write path passes through it: ``validate_fact`` (single writes, batches, web forms,
    ``nir import``), the reason of a correction or annulment; the API batch also for its item ids.
    """
    if isinstance(value, str):
        problem = _unstorable(value)
        return [] if problem is None else [Problem(field, problem.rule, problem.message)]
    if isinstance(value, dict):
        found = []
        for k, v in value.items():
            key = str(k)
            bad = _unstorable(key)
            if bad is not None:  # a key is named escaped: the name itself cannot hold the character
                key = key.encode("unicode_escape", "backslashreplace").decode("ascii")
                found.append(Problem(f"{field}.{key}" if field else key, bad.rule, "navnet " + bad.message))
            found += text_problems(v, f"{field}.{key}" if field else key)
        return found
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in text_problems(v, f"{field}[{i}]")]
    return []


def validate_duf(value: str, field: str = "duf") -> list[Problem]:
    try:
        identity.validate_duf(value)
    except identity.IdentifierError as e:
        return [Problem(field, e.rule, e.message)]
    return []


def validate_fact(  # noqa: C901 - one check per field kind, in the order a caseworker reads them
    model: type[m.Registration],
    values: dict[str, Any],
    *,
    path: str,
    registered_on: dt.date,
    programme_start: dt.date | None = None,
    ref: ReferenceIndex | None = None,
) -> tuple[list[Problem], list[Problem]]:
    """Validate one fact's typed values. Returns (problems, warnings)."""
    ref = ref or reference()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    kinds = FIELD_KINDS[model]
    date_field = FACT_DATE_FIELD[model]
    fact_day = values.get(date_field) if date_field else None

    def p(fname: str) -> str:
        if (model is m.FinalGoal and fname == "goal" and path.endswith("final_goal")) or (
            model is m.Extension and fname == "months" and path.endswith("extension_months")
        ):
            return path  # the interchange format has final_goal and extension_months as plain values
        if path.startswith("facts."):  # an interchange line: name the key the line used
            fname = JSON_KEYS.get(model, {}).get(fname, fname)
        return f"{path}.{fname}"

    unstorable = set()
    for fname, v in values.items():
        found = text_problems(v, p(fname))
        if found:
            problems.extend(found)
            unstorable.add(fname)

    for fname, kind in kinds.items():
        v = values.get(fname)
        if fname in unstorable:
            continue  # refused as unstorable text; nothing else is said about it
        if kind == "date" and v is not None:
            if v < EARLIEST_DATE or v > dt.date(2100, 12, 31):
                problems.append(Problem(p(fname), "date_range", "datoen er utenfor gyldig område (1900–2100)"))
        elif kind == "decimal" and v is not None:
            if v < 0:
                problems.append(Problem(p(fname), "non_negative", "kan ikke være negativ"))
            if fname in ("hours_per_week", "hours_work_per_week") and v > 168:
                problems.append(Problem(p(fname), "hours_per_week_max", "kan ikke være over 168 timer per uke"))
            if fname == "hours" and v > decimal.Decimal("99999"):
                problems.append(Problem(p(fname), "hours_max", "er urimelig høyt"))
        elif kind == "int" and v is not None and v < 0:
            problems.append(Problem(p(fname), "non_negative", "kan ikke være negativ"))
        elif (
            kind == "int" and model is m.Extension and fname == "months" and v is not None and v > MAX_EXTENSION_MONTHS
        ):
            problems.append(
                Problem(
                    p(fname), "extension_months_max", f"en utvidelse kan være på høyst {MAX_EXTENSION_MONTHS} måneder"
                )
            )
        elif kind == "str" and v and model is not m.PersonDetails:
            field = model._meta.get_field(fname)
            limit = field.max_length if isinstance(field, models.Field) else None  # a str kind: a Char/TextField
            if limit and len(v) > limit:
                problems.append(Problem(p(fname), "max_length", f"er for langt (over {limit} tegn)"))
        elif kind == "municipality" and v:
            ok = ref.municipality_valid(v, *(d for d in (fact_day, registered_on) if d))
            if ok is None:
                problems.append(Problem(p(fname), "unknown_municipality", f"ukjent kommunenummer {v!r}"))
            elif not ok:
                problems.append(
                    Problem(p(fname), "municipality_not_valid", f"kommunenummer {v} er ikke gyldig på datoen")
                )
        elif kind == "duf" and v:
            problems.extend(validate_duf(v, p(fname)))
        elif kind == "country" and v:
            if not _COUNTRY.match(v):
                problems.append(
                    Problem(
                        p(fname), "country_format", "må være en landkode med tre store bokstaver (ISO 3166), f.eks. SYR"
                    )
                )
        elif kind == "county" and v:
            if v not in ref.counties:
                problems.append(Problem(p(fname), "unknown_county", f"ukjent fylkesnummer {v!r}"))
        elif kind == "district" and v:
            d = ref.districts.get(v)
            muni_field = "municipality" if "municipality" in kinds else "follow_up_municipality"
            if d is None:
                problems.append(Problem(p(fname), "unknown_district", f"ukjent bydelsnummer {v!r}"))
            elif values.get(muni_field) and d[0] != values.get(muni_field):
                problems.append(
                    Problem(
                        p(fname),
                        "district_not_in_municipality",
                        f"bydel {v} ligger ikke i kommune {values.get(muni_field)}",
                    )
                )
        elif kind.startswith("code:") and v:
            list_name = kind[5:]
            code = codes.code_list(list_name).get(v)
            if code is None:
                problems.append(Problem(p(fname), "unknown_code", f"ukjent kode {v!r} i kodeverket {list_name}"))
            elif model is m.FinalGoal:
                if programme_start is not None and not code.valid_on(programme_start):
                    warnings.append(
                        Problem(
                            p(fname),
                            "final_goal_outside_window",
                            f"sluttmålet «{code.label}» gjelder ikke for programstart {programme_start:%d.%m.%Y}; "
                            "registrert med avvik",
                        )
                    )
            elif fact_day is not None and date_field is not None and not code.valid_on(fact_day):
                # The date is what makes the code invalid (the form offers only the codes valid today,
                # and a typo is likelier in a date): shown on the date, one problem for every code.
                text = f"koden {v!r} ({code.label}) er ikke gyldig {fact_day:%d.%m.%Y} (gyldig {_window(code)})"
                _add_on_date(problems, p(date_field), text)

    for start, end in PERIODS.get(model, ()):
        a, b = values.get(start), values.get(end)
        if a is not None and b is not None and b < a:
            problems.append(Problem(p(end), "end_before_start", "sluttdato er før startdato"))

    if model is m.Decision and values.get("decision_type"):
        code = codes.code_list("decision_type").get(values["decision_type"])
        schemes = code.attrs.get("schemes", []) if code else []
        if code and values.get("scheme") and schemes and values["scheme"] not in schemes:
            problems.append(
                Problem(
                    p("decision_type"),
                    "decision_type_not_in_scheme",
                    f"vedtakstypen «{code.label}» gjelder ikke ordningen {values['scheme']}",
                )
            )
    if model is m.Exam:
        problems.extend(_validate_exam_level(values, p, problems))
    problems.extend(x for x in _validate_grant_fields(model, values, p) if x.field.rpartition(".")[2] not in unstorable)
    if model is m.PersonDetails:
        problems.extend(
            x for x in _validate_details(values, path, registered_on) if x.field.rpartition(".")[2] not in unstorable
        )
    return problems, warnings


_COUNTRY = re.compile(r"^[A-Z]{3}$")


def _validate_grant_fields(  # noqa: C901 - one check per rule, kind by kind
    model: type[m.Registration], values: dict[str, Any], p: Callable[[str], str]
) -> list[Problem]:
    """The grants' facts (grants.md A.1.1): combinations a single field cannot judge."""
    found = []
    if model is m.Settlement:
        kind, agreed = values.get("kind"), values.get("by_agreement")
        if kind == "by_agreement" and agreed is False:
            found.append(
                Problem(
                    p("kind"),
                    "settlement_kind_agreement",
                    "bosettingsmåten er «bosatt etter avtale», men bosatt etter avtale er nei",
                )
            )
        elif kind and kind != "by_agreement" and agreed is True:
            found.append(
                Problem(
                    p("kind"), "settlement_kind_agreement", "bosettingsmåten stemmer ikke med bosatt etter avtale (ja)"
                )
            )
        if values.get("household_role") and not values.get("household_id"):
            found.append(Problem(p("household_id"), "household_missing", "rolle i husstanden krever husstand"))
    elif model is m.Residence:
        if values.get("reception_centre") and values.get("kind") != "reception_centre":
            found.append(
                Problem(
                    p("reception_centre"), "reception_centre_kind", "mottak oppgis bare for adressetypen asylmottak"
                )
            )
        if values.get("kind") == "reception_centre" and not values.get("reception_centre"):
            found.append(Problem(p("reception_centre"), "required", "mangler (påkrevd for adressetypen asylmottak)"))
    elif model is m.ExtraGrantCase:
        year = values.get("grant_year")
        if year is not None and not 1990 <= year <= 2100:
            found.append(Problem(p("grant_year"), "grant_year_range", "tilskuddsåret må være mellom 1990 og 2100"))
        applied, decided = values.get("applied_at"), values.get("decided_at")
        if applied is not None and decided is not None and decided < applied:
            found.append(Problem(p("decided_at"), "decided_before_applied", "vedtaksdato er før søknadsdato"))
        if values.get("amount_granted") is not None and values.get("decided_at") is None:
            found.append(Problem(p("decided_at"), "required", "mangler (påkrevd når innvilget beløp er oppgitt)"))
        for fname in ("amount_applied", "amount_granted"):
            amount = values.get(fname)
            if amount is not None and (amount.as_tuple().exponent < -2 or amount >= 10**10):  # type: ignore[operator]
                found.append(Problem(p(fname), "amount_format", "må være et beløp i kroner med høyst to desimaler"))
    elif model is m.PersonDetails:
        if values.get("with_companion") and not values.get("unaccompanied_minor"):
            found.append(
                Problem(
                    p("with_companion"), "companion_without_minor", "følgeperson kan bare oppgis for enslig mindreårig"
                )
            )
        birth = values.get("birth_date")
        for fname, text in (("emigration_date", "utvandringsdato"), ("death_date", "dødsdato")):
            day = values.get(fname)
            if day is not None and birth is not None and day < birth:
                found.append(Problem(p(fname), "before_birth", f"{text} kan ikke være før fødselsdato"))
    return found


def _add_on_date(problems: list[Problem], field: str, text: str) -> None:
    """A code not valid on the fact's date, as one problem on the date field (messages joined)."""
    for i, x in enumerate(problems):
        if x.field == field and x.rule == "code_not_valid_on_date":
            problems[i] = Problem(field, x.rule, f"{x.message}; {text}")
            return
    problems.append(Problem(field, "code_not_valid_on_date", text))


def _validate_exam_level(values: dict[str, Any], p: Callable[[str], str], found: list[Problem]) -> list[Problem]:
    """A CEFR level only on a Norwegian test, and only one of the levels its code allows (``attrs.levels``)."""
    level = values.get("level")
    code = codes.code_list("exam_type").get(values.get("exam_type") or "")
    path = p("level")
    if not level or code is None or any(x.field == path for x in found):
        return []  # no level, or the type (or the level's length) is already reported
    levels = code.attrs.get("levels") or []
    if not levels:
        return [
            Problem(
                path, "exam_level_not_allowed", f"nivå kan bare registreres for prøve i norsk, ikke for «{code.label}»"
            )
        ]
    if level not in levels:
        return [Problem(path, "exam_level_unknown", f"ukjent nivå {level!r} (gyldige nivåer: {', '.join(levels)})")]
    return []


def _window(code: codes.Code) -> str:
    lo = code.valid_from.strftime("%d.%m.%Y") if code.valid_from else "…"
    hi = code.valid_to.strftime("%d.%m.%Y") if code.valid_to else "…"
    return f"{lo}–{hi}"


def _validate_details(values: dict[str, Any], path: str, registered_on: dt.date) -> list[Problem]:
    problems = []
    birth = values.get("birth_date")
    if birth is not None and birth > registered_on:
        problems.append(Problem(f"{path}.birth_date", "birth_date_future", "fødselsdato kan ikke være fram i tid"))
    nid = values.get("national_id")
    if nid:
        try:
            parsed = identity.validate_national_id(nid, allow_synthetic=settings.NIR_ACCEPT_SYNTHETIC_IDS)
        except identity.IdentifierError as e:
            problems.append(Problem(f"{path}.national_id", e.rule, e.message))
        else:
            values["national_id"] = parsed.number
            if birth is not None and parsed.birth_date != birth:
                problems.append(
                    Problem(
                        f"{path}.national_id",
                        "national_id_birth_date_mismatch",
                        "fødselsnummeret stemmer ikke med fødselsdatoen",
                    )
                )
    for name_field in ("first_name", "last_name"):
        if name_field in values and len(values.get(name_field) or "") > 200:
            problems.append(Problem(f"{path}.{name_field}", "max_length", "er for langt (over 200 tegn)"))
    return problems
