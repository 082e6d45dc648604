"""The recommendation tool's production path: the engine's inputs built from the database.

The engine (``nir.settlement.recommend``) reads tables in the settlement world's formats
(``../shared/settlement/formats.md``). In development they come from a world's files; in production
from here:

* ``municipality_table(known_at=None)``: the newest complete loaded ``IndicatorDataset`` (its
  ``MunicipalIndicators`` rows) as ``Municipalities``; a column the dataset lacks is an error naming it;
* ``history_records(until)``: households settled by agreement with their outcomes two years later, from
  the register's settlements, programme results (``Termination``) and residences (moves);
  ``extract_history`` gives the same with a summary of what was missing and how it was filled (the
  model card's data section records it);
* ``case_records(cases)``: ready settlement cases as batch households;
* ``current_capacity(known_at=None)``: the places left per municipality on a day, by kind.

What the register provides and what it lacks (docs/settlement-recommendation-privacy.md and
docs/settlement-recommendation.md «Training on the register»):

* households: ``CaseSettlement`` + ``SettledMember`` (settled through Bosetting); a register
  settlement by agreement without a case (before Bosetting kept households) is a one-person
  household;
* age at settlement (birth date), sex, unaccompanied minor, resettlement, connection municipality and
  special needs (the case's ``CaseDetails``: kinds per household, given to members in order);
* country group from citizenship (``COUNTRY_GROUPS``; anything else, or none recorded, is ``other``);
* education, work experience and languages from the member's newest mapping (``Mapping.content``);
  without a mapping, education from the register's ``PersonDetails.education`` (two levels only) or
  ``none``, work experience 0, languages none — counted in the summary;
* ``work_or_education_2y`` (ages 16–64 at settlement): a programme termination (``Termination``) whose
  reason the code list marks as work, education or both (``termination_reason`` ``attrs.outcome``)
  dated within two years of settlement. A person with no introduction-programme record at all
  (no decision, no termination) is *not observed* (``null``): the register sees work and education only
  through the programme;
* ``stayed_2y``: the household still registered (``Residence``) in the settlement municipality two
  years after; one member registered elsewhere, or with no residence then, makes it ``false``.

No name, identity number, DUF number, case number or register id goes into a history record:
household ids are ``H<year>-<n>`` numbered in the extract's own order (``assert_no_identities``).
Reading the history is one audited bulk read (``audit_history_read``), not one event per person.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from nir.codes import code_list
from nir.register import models as rm
from nir.settlement.capacity import LineUse, with_use
from nir.settlement.models import (
    CapacityKind,
    CapacityLine,
    CaseDetails,
    CaseLocation,
    CaseMember,
    CaseSettlement,
    IndicatorDataset,
    Mapping,
    MunicipalIndicators,
    SettledMember,
    SettlementCase,
)
from nir.settlement.recommend.data import (
    EDUCATION,
    GROUPS,
    INDICATORS,
    NEEDS,
    WORK_AGE,
    Capacity,
    DataError,
    Municipalities,
)

__all__ = [
    "COUNTRY_GROUPS",
    "HistoryExtract",
    "assert_no_identities",
    "audit_history_read",
    "case_records",
    "country_group",
    "current_capacity",
    "extract_history",
    "history_records",
    "municipality_table",
    "train_command",
    "train_from_register",
    "work_or_education_reasons",
]

#: Citizenship (ISO 3166-1 alpha-3, as UDI records it) → the tool's country group. Every other
#: citizenship, stateless (``XXA``/``XXB``/``XXC``), unknown (``XXX``) or none recorded is ``other``.
COUNTRY_GROUPS: dict[str, str] = {
    "UKR": "ukraine",
    "SYR": "syria",
    "AFG": "afghanistan",
    "ERI": "eritrea",
    "SDN": "sudan",
    "SSD": "sudan",  # South Sudan: the same group as Sudan (the world's «sudan»)
    "SOM": "somalia",
    "COD": "drc",
}
assert set(COUNTRY_GROUPS.values()) <= set(GROUPS)

#: The register's education level (``PersonDetails.education``, code list ``education``) → the
#: tool's, used only when no mapping says more; ``unknown`` becomes ``none`` (counted as filled).
REGISTER_EDUCATION = {"below_upper_secondary": "primary", "upper_secondary_or_higher": "upper_secondary"}
#: Termination outcomes (code list ``termination_reason``, ``attrs.outcome``) that count as work or education.
WORK_OR_EDUCATION_OUTCOMES = frozenset({"work", "education", "work_and_education"})
YEARS_AFTER = 2
ENGLISH = "engelsk"
NORWEGIAN = "norsk"


def work_or_education_reasons() -> frozenset[str]:
    """Termination reasons the code list marks as a transition to work, education or both."""
    return frozenset(
        c.code for c in code_list("termination_reason").codes if c.attrs.get("outcome") in WORK_OR_EDUCATION_OUTCOMES
    )


def country_group(citizenship: str) -> str:
    return COUNTRY_GROUPS.get((citizenship or "").strip().upper(), "other")


def _sex(value: str) -> str | None:
    v = (value or "").strip().lower()
    if v in ("f", "female", "k", "kvinne"):
        return "F"
    if v in ("m", "male", "mann"):
        return "M"
    return None


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- municipalities ------------------------------------------------------------------------------

_DIASPORA = "diaspora_per_1000_"


def _dataset_rows(dataset: IndicatorDataset) -> tuple[list[dict[str, Any]], str | None]:
    """The rows of a dataset as municipalities.csv dicts, and the first column it lacks (None: complete)."""
    rows = []
    missing: str | None = None
    for r in MunicipalIndicators.objects.filter(dataset=dataset).order_by("municipality"):
        row: dict[str, Any] = {
            "municipality_number": r.municipality,
            "name": str(r.extra.get("name") or ""),
            "county_number": str(r.extra.get("county_number") or r.municipality[:2]),
            "ba_region": r.ba_region,
        }
        for c in INDICATORS:
            value = getattr(r, c)
            if value is None:
                missing = missing or c
            row[c] = float(value) if value is not None else None
        for g in GROUPS:
            row[f"{_DIASPORA}{g}"] = r.extra.get(f"{_DIASPORA}{g}")
        rows.append(row)
    return rows, missing


def municipality_table(known_at: dt.datetime | None = None) -> Municipalities:
    """The municipality table of the newest loaded indicator dataset that has every indicator the model
    uses (``recommend.data.INDICATORS``), as known at ``known_at``. ``DataError`` when there is none: it
    names the dataset and the column it lacks."""
    qs = IndicatorDataset.objects.all()
    if known_at is not None:
        qs = qs.filter(recorded_at__lte=known_at)
    first_missing: tuple[str, str] | None = None
    for dataset in qs.order_by("-recorded_at", "-pk"):
        rows, missing = _dataset_rows(dataset)
        if not rows:
            continue
        if missing is None:
            return Municipalities.from_rows(rows)
        first_missing = first_missing or (dataset.name, missing)
    if first_missing is None:
        raise DataError("kommuneindikatorer: ingen indikatorer er lastet (nir settlement indicators)")
    name, column = first_missing
    raise DataError(f"kommuneindikatorer: datasettet «{name}» mangler kolonnen {column}")


# --- persons --------------------------------------------------------------------------------------


def _mapping_content(rows: Iterable[Mapping]) -> dict[Any, dict[str, Any]]:
    """The newest mapping content per member key (a later mapping says more than an earlier one)."""
    out: dict[Any, tuple[tuple[dt.date, dt.datetime, int], dict[str, Any]]] = {}
    for m in rows:
        order = (m.assessed_on, m.recorded_at, m.pk)
        if m.member_key not in out or order > out[m.member_key][0]:
            out[m.member_key] = (order, dict(m.content or {}))
    return {k: v for k, (_, v) in out.items()}


def _level(content: dict[str, Any], key: str, language: str, filled: Counter[str]) -> int:
    value = content.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return value
    languages = content.get("languages")
    if isinstance(languages, list):
        # a language listed in the mapping without a level: «basic» (1)
        return 1 if language in {str(x).strip().lower() for x in languages} else 0
    filled[key] += 1
    return 0


def _person_fields(
    *,
    age: int,
    sex: str,
    citizenship: str,
    content: dict[str, Any] | None,
    register_education: str,
    um: bool,
    filled: Counter[str],
) -> dict[str, Any]:
    content = content or {}
    education = content.get("education")
    if education not in EDUCATION:
        education = REGISTER_EDUCATION.get(register_education or "", "none")
        filled["education"] += 1
    exp = content.get("work_experience_years")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp >= 0:
        experience = int(exp)
    else:
        experience = 0
        filled["work_experience_years"] += 1
    if not citizenship:
        filled["country_group"] += 1
    return {
        "role": "child" if age < 18 else "adult",
        "age": age,
        "sex": sex,
        "country_group": country_group(citizenship),
        "education": education,
        "work_experience_years": experience,
        "english_level": _level(content, "english_level", ENGLISH, filled),
        "norwegian_level": _level(content, "norwegian_level", NORWEGIAN, filled),
        "special_need": "none",
        "unaccompanied_minor": bool(um),
    }


def _give_needs(persons: list[dict[str, Any]], kinds: Iterable[str]) -> None:
    """The case's special needs (per household) given to its members in order: the first kind to the
    first member, the second to the second … so the household keeps every kind it has."""
    known = [k for k in kinds if k in NEEDS[1:]]
    for person, kind in zip(persons, known, strict=False):
        person["special_need"] = kind
    if len(known) > len(persons) and persons:
        persons[-1]["special_need"] = known[-1]


# --- history --------------------------------------------------------------------------------------


@dataclass
class HistoryExtract:
    """The history records and what the extraction had to leave out or fill in (for the model card)."""

    records: list[dict[str, Any]]
    until: dt.date
    since: dt.date | None
    households: int = 0
    persons: int = 0
    person_ids: list[int] = field(default_factory=list)  # register persons read (for the audit event)
    skipped: Counter[str] = field(default_factory=Counter)  # households left out, by reason
    filled: Counter[str] = field(default_factory=Counter)  # person fields the register lacked, filled in
    work_observed: int = 0
    work_true: int = 0
    stay_known: int = 0
    stay_true: int = 0

    def summary(self) -> dict[str, Any]:
        """JSON-safe: the model card's data section (``card["data"]["register"]``)."""
        return {
            "source": "register",
            "settled_from": self.since.isoformat()
            if self.since
            else min((r["settlement_date"] for r in self.records), default=None),
            "settled_until": _plus_years(self.until, -YEARS_AFTER).isoformat(),
            "outcomes_read_until": self.until.isoformat(),
            "households": self.households,
            "persons": self.persons,
            "skipped_households": dict(sorted(self.skipped.items())),
            "filled_person_fields": dict(sorted(self.filled.items())),
            "work_or_education_observed": self.work_observed,
            "work_or_education_true": self.work_true,
            "stayed_known": self.stay_known,
            "stayed_true": self.stay_true,
            "work_or_education_reasons": sorted(work_or_education_reasons()),
            "country_groups": COUNTRY_GROUPS,
            "rules": {
                "household": "CaseSettlement with its SettledMember rows; a register settlement by agreement "
                "without a case is a one-person household",
                "work_or_education_2y": "a Termination with a work/education reason within 2 years of settlement "
                "(ages 16-64); null when the person has no introduction-programme record",
                "stayed_2y": "every member with a residence still registered in the settlement municipality "
                "2 years after",
                "special_need": "the case's kinds given to its members in order",
                "filled": "education from the register's two levels or 'none', work experience 0, "
                "language levels 0 where no mapping says otherwise; citizenship missing -> 'other'",
            },
        }


@dataclass
class _Outcomes:
    """Per register person: programme record, work/education termination dates, residence periods."""

    in_programme: set[int] = field(default_factory=set)
    work_dates: dict[int, list[dt.date]] = field(default_factory=lambda: defaultdict(list))
    residences: dict[int, list[tuple[dt.date, dt.date | None, str]]] = field(default_factory=lambda: defaultdict(list))

    def work(self, person: int, age: int, settled: dt.date) -> bool | None:
        if not WORK_AGE[0] <= age <= WORK_AGE[1] or person not in self.in_programme:
            return None
        end = _plus_years(settled, YEARS_AFTER)
        return any(settled <= d <= end for d in self.work_dates.get(person, ()))

    def stayed(self, person: int, municipality: str, settled: dt.date) -> bool | None:
        periods = self.residences.get(person)
        if not periods:
            return None
        day = _plus_years(settled, YEARS_AFTER)
        for start, end, muni in periods:
            if start <= day and (end is None or day <= end):
                return muni == municipality
        return False  # no residence two years after: moved abroad or unregistered


def _outcomes(persons_q: Any) -> _Outcomes:
    out = _Outcomes()
    reasons = work_or_education_reasons()
    for pid, reason, day, scheme in (
        rm.Termination.objects.current()
        .filter(person_id__in=persons_q)
        .values_list("person_id", "termination_reason", "termination_date", "scheme")
    ):
        if scheme == "intro":
            out.in_programme.add(pid)
        if reason in reasons:
            out.work_dates[pid].append(day)
    out.in_programme.update(
        rm.Decision.objects.current()
        .filter(person_id__in=persons_q, scheme="intro")
        .values_list("person_id", flat=True)
    )
    for pid, start, end, muni in (
        rm.Residence.objects.current()
        .filter(person_id__in=persons_q)
        .values_list("person_id", "valid_from", "valid_to", "municipality")
    ):
        out.residences[pid].append((start, end, muni))
    return out


def extract_history(
    until: dt.date,
    *,
    since: dt.date | None = None,
    munis: Municipalities | None = None,
) -> HistoryExtract:
    """Households settled by agreement from ``since`` to two years before ``until``, with their outcomes
    two years after settlement as the register holds them now (see the module text). ``munis``: the
    municipality table the records must fit (default ``municipality_table()``): a household settled in a
    municipality it lacks is left out (counted), an unknown connection municipality becomes none."""
    today = timezone.localdate()
    if until > today:
        raise DataError(f"historikk: til-datoen {until.isoformat()} er fram i tid")
    munis = munis if munis is not None else municipality_table()
    last_settled = _plus_years(until, -YEARS_AFTER)
    ext = HistoryExtract(records=[], until=until, since=since)

    date_range = Q(settlement_date__lte=last_settled)
    if since is not None:
        date_range &= Q(settlement_date__gte=since)
    settlements = rm.Settlement.objects.current().filter(date_range, by_agreement=True)
    persons_q = settlements.values("person_id")
    outcomes = _outcomes(persons_q)

    # --- households settled through Bosetting ---
    case_range = Q(case__settlement__settlement_date__lte=last_settled)
    if since is not None:
        case_range &= Q(case__settlement__settlement_date__gte=since)
    settled_cases = list(
        CaseSettlement.objects.filter(date_range)
        .order_by("settlement_date", "pk")
        .values("pk", "case_id", "municipality", "settlement_date")
    )
    links: dict[int, dict[Any, int]] = defaultdict(dict)
    for sid, key, pid in SettledMember.objects.filter(
        settlement__in=CaseSettlement.objects.filter(date_range).values("pk")
    ).values_list("settlement_id", "member_key", "person_id"):
        links[sid][key] = pid
    members: dict[Any, CaseMember] = {}
    for m in CaseMember.objects.filter(case_range).order_by("recorded_at", "pk"):
        members[m.key] = m  # the newest version of each member (an annulled member keeps its last values)
    details: dict[int, CaseDetails] = {}
    for d in CaseDetails.objects.filter(case_range).order_by("recorded_at", "pk"):
        if d.operation != "annul":
            details[d.case_id] = d
    mapping = _mapping_content(Mapping.objects.current().filter(case_range))
    register_education = dict(
        rm.PersonDetails.objects.current().filter(person_id__in=persons_q).values_list("person_id", "education")
    )
    linked_persons: set[int] = set()

    def add(
        settled_on: dt.date,
        municipality: str,
        persons: list[tuple[int, dict[str, Any]]],
        *,
        connection: str,
        resettlement: bool,
    ) -> None:
        if municipality not in munis.index:
            ext.skipped["settlement_municipality_not_in_table"] += 1
            return
        if connection and connection not in munis.index:
            ext.skipped["connection_not_in_table_set_to_none"] += 1
            connection = ""
        stays = [outcomes.stayed(pid, municipality, settled_on) for pid, _ in persons]
        stayed = False if False in stays else (True if True in stays else None)
        n = len(ext.records) + 1
        hid = f"H{settled_on.year}-{n:06d}"
        out_persons = []
        for i, (pid, fields) in enumerate(persons, 1):
            work = outcomes.work(pid, fields["age"], settled_on)
            ext.work_observed += work is not None
            ext.work_true += bool(work)
            out_persons.append(
                {"person_id": f"{hid}-{i}", **fields, "outcomes": {"work_or_education_2y": work, "stayed_2y": stayed}}
            )
            ext.person_ids.append(pid)
        ext.stay_known += stayed is not None
        ext.stay_true += bool(stayed)
        ext.records.append(
            {
                "household_id": hid,
                "settlement_date": settled_on.isoformat(),
                "settled_municipality": municipality,
                "resettlement": resettlement,
                "connection_municipality": connection or None,
                "persons": out_persons,
            }
        )
        ext.households += 1
        ext.persons += len(out_persons)

    for s in settled_cases:
        d = details.get(s["case_id"])
        linked = links.get(s["pk"], {})
        linked_persons.update(linked.values())
        if d is None or not linked:
            ext.skipped["case_without_details_or_members"] += 1
            continue
        persons: list[tuple[int, dict[str, Any]]] = []
        bad = False
        for key, pid in linked.items():
            m = members.get(key)
            sex = _sex(m.sex) if m is not None else None
            if m is None or sex is None:
                bad = True
                break
            persons.append(
                (
                    pid,
                    _person_fields(
                        age=_age(m.birth_date, s["settlement_date"]),
                        sex=sex,
                        citizenship=m.citizenship,
                        content=mapping.get(key),
                        register_education=register_education.get(pid, ""),
                        um=m.unaccompanied_minor,
                        filled=ext.filled,
                    ),
                )
            )
        if bad:
            ext.skipped["member_sex_not_recorded"] += 1
            continue
        persons.sort(key=lambda p: (p[1]["role"] != "adult", -p[1]["age"]))
        _give_needs([p for _, p in persons], d.special_need_kinds or [])
        resettlement = d.location == CaseLocation.RESETTLEMENT or any(
            members[k].resettlement_refugee for k in linked if k in members
        )
        add(
            s["settlement_date"],
            s["municipality"],
            persons,
            connection=d.connection_municipality,
            resettlement=resettlement,
        )

    # --- register settlements by agreement without a case: one-person households ---
    alone = settlements.exclude(person_id__in=SettledMember.objects.values("person_id")).order_by(
        "settlement_date", "pk"
    )
    pdetails = {
        pid: (birth, sex, edu)
        for pid, birth, sex, edu in rm.PersonDetails.objects.current()
        .filter(person_id__in=alone.values("person_id"))
        .values_list("person_id", "birth_date", "sex", "education")
    }
    permits = {
        pid: basis
        for pid, basis in rm.ResidencePermit.objects.current()
        .filter(person_id__in=alone.values("person_id"))
        .order_by("decision_date")
        .values_list("person_id", "basis")
    }
    for pid, municipality, day in alone.values_list("person_id", "municipality", "settlement_date"):
        if pid in linked_persons:
            continue
        info = pdetails.get(pid)
        sex = _sex(info[1]) if info else None
        if info is None or sex is None:
            ext.skipped["register_person_without_details_or_sex"] += 1
            continue
        ext.filled["citizenship_not_in_register"] += 1
        fields = _person_fields(
            age=_age(info[0], day),
            sex=sex,
            citizenship="",
            content=None,
            register_education=info[2],
            um=False,
            filled=ext.filled,
        )
        add(day, municipality, [(pid, fields)], connection="", resettlement=permits.get(pid) == "utl_35_3")
    return ext


def history_records(until: dt.date, *, since: dt.date | None = None, munis: Municipalities | None = None) -> list[dict]:
    """The history in formats.md's household shape (``extract_history(...).records``)."""
    return extract_history(until, since=since, munis=munis).records


def audit_history_read(acting: Any, ext: HistoryExtract, *, purpose: str, endpoint: str = "") -> None:
    """One audit event for the whole read of the training history (the persons by id, as many as
    ``nir.access.audit`` keeps inline, and their number always), naming the purpose."""
    from nir.access import audit

    audit.record(
        actor_user=acting.principal,
        system=acting.system_name,
        action="export",
        channel=acting.channel,
        what="settlement.recommendation.history",
        persons=sorted(set(ext.person_ids)),
        purpose=purpose,
        endpoint=endpoint,
        filters={
            "settled_from": ext.since,
            "outcomes_until": ext.until,
            "households": ext.households,
            "persons": ext.persons,
        },
    )


# Patterns of what must never be in a record: an 11-digit identity number, a 12-digit DUF number, a
# settlement case number.
_IDENTITY = re.compile(r"(?<!\d)(\d{11}|\d{12})(?!\d)|BS-?\d{4}-\d{6}")
_NAME_KEYS = frozenset({"first_name", "last_name", "name", "national_id", "duf", "fnr", "case", "number"})


def assert_no_identities(records: Iterable[dict[str, Any]]) -> None:
    """Raise ``DataError`` if a record holds a name field, an identity or DUF number or a case number."""

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if str(k) in _NAME_KEYS:
                    raise DataError(f"{where}: feltet {k} hører ikke hjemme i treningsdata")
                walk(v, f"{where}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")
        elif isinstance(value, str) and _IDENTITY.search(value):
            raise DataError(f"{where}: inneholder et identitets-, DUF- eller saksnummer")

    for r in records:
        walk(r, str(r.get("household_id", "?")))


# --- ready cases (the batch) ----------------------------------------------------------------------


def case_records(cases: Iterable[SettlementCase], *, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Ready settlement cases as batch households (formats.md): ``household_id`` is the case number (the
    page maps the recommendation back to the case; it is never stored in a model), ``ready_date``,
    ``resettlement``, ``connection_municipality``, and the current members with their age on ``on``
    (default today: the household is settled about now), sex, country group, mapping, special needs
    (the case's kinds given to its members in order) and unaccompanied minor. A member whose sex is
    not recorded is refused (``DataError`` naming the case)."""
    on = on or timezone.localdate()
    cases = list(cases)
    ids = [c.pk for c in cases]
    details = {d.case_id: d for d in CaseDetails.objects.current().filter(case_id__in=ids)}
    members: dict[int, list[CaseMember]] = defaultdict(list)
    for m in CaseMember.objects.current().filter(case_id__in=ids).order_by("recorded_at", "pk"):
        members[m.case_id].append(m)
    mapping = _mapping_content(Mapping.objects.current().filter(case_id__in=ids))
    filled: Counter[str] = Counter()
    out = []
    for case in cases:
        d = details.get(case.pk)
        if d is None:
            raise DataError(f"sak {case.number}: er trukket (ingen gjeldende opplysninger)")
        persons = []
        for m in members.get(case.pk, []):
            sex = _sex(m.sex)
            if sex is None:
                raise DataError(f"sak {case.number}: kjønn mangler for en person i husstanden")
            persons.append(
                _person_fields(
                    age=_age(m.birth_date, on),
                    sex=sex,
                    citizenship=m.citizenship,
                    content=mapping.get(m.key),
                    register_education="",
                    um=m.unaccompanied_minor,
                    filled=filled,
                )
            )
        if not persons:
            raise DataError(f"sak {case.number}: husstanden har ingen personer")
        persons.sort(key=lambda p: (p["role"] != "adult", -p["age"]))
        _give_needs(persons, d.special_need_kinds or [])
        for i, p in enumerate(persons, 1):
            p["person_id"] = f"{case.number}-{i}"
        out.append(
            {
                "household_id": case.number,
                "ready_date": d.ready_date.isoformat(),
                "resettlement": d.location == CaseLocation.RESETTLEMENT,
                "connection_municipality": d.connection_municipality or None,
                "persons": persons,
            }
        )
    return out


# --- capacity -------------------------------------------------------------------------------------


def current_capacity(
    known_at: dt.datetime | None = None, *, munis: Municipalities | None = None, on: dt.date | None = None
) -> Capacity:
    """Places left per municipality on ``on`` (default: the day of ``known_at``, or today): the open
    capacity lines whose period contains the day, minus the agreements planned in it
    (``nir.settlement.capacity.with_use``). Ordinary places are single adults + families; ``um_places``
    the lines for unaccompanied minors. A municipality accepts special needs when one of its open lines
    says it can meet one (accessible housing, mental health, specialist health). A line in a
    municipality the table lacks is a ``DataError``."""
    munis = munis if munis is not None else municipality_table(known_at)
    day = on or (timezone.localdate(known_at) if known_at is not None else timezone.localdate())
    lines = CapacityLine.objects.as_known(known_at).filter(closed=False, period_from__lte=day, period_to__gte=day)
    places: dict[str, float] = defaultdict(float)
    um: dict[str, float] = defaultdict(float)
    accepts: dict[str, bool] = defaultdict(bool)
    for row in with_use(lines, known_at=known_at).order_by("municipality", "pk"):
        left = LineUse(row, row.used).remaining
        if row.kind == CapacityKind.UM:
            um[row.municipality] += left
        else:
            places[row.municipality] += left
        accepts[row.municipality] |= bool(
            row.accessible_housing or row.mental_health_services or row.specialist_health_services
        )
    rows = [
        {
            "municipality_number": k,
            "places": places.get(k, 0),
            "um_places": um.get(k, 0),
            "accepts_special_needs": 1 if accepts.get(k) else 0,
        }
        for k in sorted(set(places) | set(um))
    ]
    return Capacity.from_rows(rows, munis)


# --- training on the register ---------------------------------------------------------------------

TRAINING_PURPOSE = "trening av anbefalingsmodell for bosetting (integreringsloven § 47)"


@dataclass
class TrainedFromRegister:
    model: Any
    directory: Any  # pathlib.Path
    extract: HistoryExtract
    row: Any = None  # the RecommendationModelVersion when registered
    seconds: float = 0.0


def train_from_register(
    acting: Any,
    until: dt.date,
    *,
    since: dt.date | None = None,
    directory: Any = None,
    register: bool = False,
    endpoint: str = "nir settlement train --from-register",
    progress: Any = None,
    quick: bool = False,
) -> TrainedFromRegister:
    """Extract the history from the register (one audited read, ``TRAINING_PURPOSE``), train the model
    (``recommend.model.train``), record the extract's summary in the card's data section
    (``card["training_data"]["register"]``), save it to ``directory`` (default: ``NIR_MODEL_DIR/<version>``)
    and, with ``register``, register it (``actions.recommendation.register_model``, ``source="register"``).
    ``quick`` (the demo): validate on the latest held-out year only and a small ensemble, where the
    learner offers it. ``DataError`` when the register holds too little (no household with outcomes)."""
    import inspect
    import pathlib
    import time

    from nir.settlement.recommend.data import households
    from nir.settlement.recommend.model import train

    say = progress or (lambda s: None)
    t0 = time.monotonic()
    munis = municipality_table()
    say("leser historikken fra registeret")
    ext = extract_history(until, since=since, munis=munis)
    if not ext.records:
        raise DataError(
            f"historikk: ingen husstander bosatt etter avtale med utfall to år etter (bosatt til og med "
            f"{_plus_years(until, -YEARS_AFTER).isoformat()})"
        )
    assert_no_identities(ext.records)
    audit_history_read(acting, ext, purpose=TRAINING_PURPOSE, endpoint=endpoint)
    say(f"{ext.households} husstander, {ext.persons} personer; trener")
    options: dict[str, Any] = {}
    if quick:
        accepted = inspect.signature(train).parameters
        options = {k: v for k, v in (("validate_years", "latest"), ("n_boot", 2)) if k in accepted}
    model = train(households(ext.records, munis), munis, progress=say, **options)
    data = model.card.setdefault("training_data", {})
    if isinstance(data, dict):
        data["register"] = ext.summary()
    folder = pathlib.Path(directory) if directory is not None else None
    if folder is None:
        from nir.settlement.recommend_registry import model_dir

        folder = model_dir() / model.version.replace(":", "")
    model.save(folder)
    result = TrainedFromRegister(model=model, directory=folder, extract=ext)
    if register:
        from nir.settlement.actions.recommendation import register_model

        result.row = register_model(acting, folder, source="register")
    result.seconds = time.monotonic() - t0
    return result


def train_command(
    *,
    until: str,
    since: str | None = None,
    model: str | None = None,
    register: bool = False,
    user: str | None = None,
    write: Any = print,
    progress: Any = None,
    quick: bool = False,
) -> TrainedFromRegister:
    """``nir settlement train --from-register --until DATE [--since DATE] [--model DIR] [--register]
    [--user U]``: who acts is ``--user`` (who must hold ``may_manage_models`` to register) or the operator's
    command line (a system actor). Bad input is a ``DataError`` (the command's exit status 2)."""
    from django.contrib.auth import get_user_model

    from nir.access import audit
    from nir.access.policy import AccessDenied
    from nir.access.settlement import may_manage_models
    from nir.actions.acting import Acting
    from nir.settlement.errors import SettlementRefused

    def day(value: str | None, name: str) -> dt.date | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise DataError(f"{name}: {value!r} er ikke en dato (ÅÅÅÅ-MM-DD)") from None

    endpoint = "nir settlement train --from-register"
    if user:
        principal = get_user_model().objects.select_related("organisation").filter(username=user).first()
        if principal is None:
            raise DataError(f"ukjent bruker {user!r}")
        if not may_manage_models(principal):
            raise DataError(
                f"{user} kan ikke trene eller registrere anbefalingsmodeller (IMDis nasjonale bosettingsstab)"
            )
        acting = Acting.for_user(principal, channel="command", source_system="nir settlement", endpoint=endpoint)
    else:
        acting = Acting.system(audit.COMMAND_LINE, source_system="nir settlement", channel="command", endpoint=endpoint)
    end = day(until, "--until")
    assert end is not None
    try:
        done = train_from_register(
            acting,
            end,
            since=day(since, "--since"),
            directory=model,
            register=register,
            endpoint=endpoint,
            progress=progress,
            quick=quick,
        )
    except (SettlementRefused, AccessDenied) as e:
        raise DataError(str(e)) from None
    s = done.extract.summary()
    write(
        f"Modell {done.model.version} trent på registeret og lagret i {done.directory}: {s['households']} husstander, "
        f"{s['persons']} personer bosatt {s['settled_from']}–{s['settled_until']}, {done.seconds:.1f} s"
    )
    write(
        f"Utfall: arbeid/utdanning observert for {s['work_or_education_observed']} ({s['work_or_education_true']} ja), "
        f"bosted kjent for {s['stayed_known']} husstander ({s['stayed_true']} ble boende)"
    )
    if s["skipped_households"]:
        write("Utelatt: " + ", ".join(f"{k} {v}" for k, v in s["skipped_households"].items()))
    if s["filled_person_fields"]:
        write("Fylt inn (mangler i registeret): " + ", ".join(f"{k} {v}" for k, v in s["filled_person_fields"].items()))
    if done.row is not None:
        write(f"Registrert som gjeldende modell (versjon {done.row.version}, SHA-256 {done.row.sha256[:12]}…)")
    return done
