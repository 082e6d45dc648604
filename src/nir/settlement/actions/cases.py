"""Settlement cases (bosettingssak), their household and the mapping of each person (settlement.md §§ 1.5–1.6).

    case = register_case(acting, details={...}, members=[{...}, ...])   # BS-2026-000001
    correct_details(acting, "BS-2026-000001", {"ready_date": ...}, reason="...")
    add_member(acting, nr, {...}); correct_member(acting, nr, member_key, {...}, reason); remove_member(...)
    withdraw_case(acting, nr, reason)
    register_mapping(acting, nr, member_key, {"kind": "competence", "assessed_on": ..., "assessed_by": ..., ...})

Who: ``nir.access.settlement.may_register_cases`` registers (reception centres, UDI, Bufetat through
their API clients, IMDi's settlement caseworkers); ``may_edit_case`` changes a case (IMDi any, the
others their own). Bufetat registers only unaccompanied minors under 15. Bad input is refused with
every problem named by its field (``CaseInvalid``: ``errors`` is a list of ``(field, message)``) and
nothing stored; a case that is settled cannot be changed (``SettlementRefused``).

The values are plain dicts with the model's field names (``CaseDetails``, ``CaseMember``,
``Mapping``), so the API's schemas and the pages' forms hand on what they read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from nir import codes, identity
from nir.access.policy import AccessDenied, Permission
from nir.access.settlement import may_edit_case, may_register_cases, registers_for_bufetat
from nir.actions.acting import Acting
from nir.register.validation import reference
from nir.settlement import store
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import (
    CaseDetails,
    CaseLocation,
    CaseMember,
    CaseSettlement,
    ConnectionKind,
    Mapping,
    MappingKind,
    MemberRole,
    SettlementCase,
    SpecialNeedKind,
    SpecialNeedLevel,
)

__all__ = [
    "DETAIL_FIELDS",
    "MAPPING_FIELDS",
    "MEMBER_FIELDS",
    "CaseInvalid",
    "add_member",
    "correct_details",
    "correct_member",
    "register_case",
    "register_mapping",
    "remove_member",
    "withdraw_case",
]

DETAIL_FIELDS = (
    "location",
    "location_name",
    "location_municipality",
    "permit_date",
    "ready_date",
    "special_need_level",
    "special_need_kinds",
    "special_need_note",
    "connection_municipality",
    "connection_kind",
    "wishes",
)
MEMBER_FIELDS = (
    "duf",
    "national_id",
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "role",
    "unaccompanied_minor",
    "companion",
    "citizenship",
    "permit_basis",
    "collective_protection",
    "resettlement_refugee",
)
MAPPING_FIELDS = ("kind", "assessed_on", "assessed_by", "content", "assessed_special_needs", "health_note")

BUFETAT_MAX_AGE = 15  # Bufetat's care centres: unaccompanied minors under 15
ADULT_AGE = 18
MAX_UM_HOUSEHOLD = 2  # an EM household: one minor, or two siblings settled together


class CaseInvalid(SettlementRefused):
    """The values of a case, a member or a mapping are refused; ``errors``: every ``(field, message)``."""

    def __init__(self, errors: Sequence[tuple[str, str]]):
        super().__init__(errors[0][0], errors[0][1])
        self.errors = list(errors)


# --- validation (touches nothing) ------------------------------------------------------------------


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _date(values: dict[str, Any], name: str, path: str, errors: list[tuple[str, str]], *, required=True):
    value = values.get(name)
    if value in (None, ""):
        if required:
            errors.append((f"{path}{name}", "mangler (påkrevd)"))
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            errors.append((f"{path}{name}", f"ugyldig dato {value[:20]!r} (ÅÅÅÅ-MM-DD)"))
            return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors.append((f"{path}{name}", "ugyldig dato"))
        return None
    if value < dt.date(1900, 1, 1):
        errors.append((f"{path}{name}", "datoen er før 1900"))
    return value


def _text(values: dict[str, Any], name: str, limit: int) -> str:
    value = values.get(name)
    return "" if value is None else str(value).strip()[:limit]


def _municipality(number: str, field: str, today: dt.date, errors: list[tuple[str, str]]) -> None:
    if not number:
        return
    valid = reference().municipality_valid(number, today)
    if valid is None:
        errors.append((field, f"ukjent kommunenummer {number[:10]!r}"))
    elif not valid:
        errors.append((field, f"kommunenummer {number} er ikke gyldig i dag"))


def clean_details(values: dict[str, Any], *, today: dt.date | None = None) -> dict[str, Any]:
    """The case's details, checked (``CaseInvalid`` naming every problem)."""
    today = today or timezone.localdate()
    errors: list[tuple[str, str]] = []
    unknown = set(values) - set(DETAIL_FIELDS)
    errors += [(k, "ukjent felt") for k in sorted(unknown)]
    out: dict[str, Any] = {}
    location = _text(values, "location", 20)
    if not location:
        errors.append(("location", "mangler (påkrevd)"))
    elif location not in CaseLocation.values:
        errors.append(("location", f"ukjent oppholdssted {location!r}"))
    out["location"] = location
    out["location_name"] = _text(values, "location_name", 200)
    out["location_municipality"] = _text(values, "location_municipality", 4)
    _municipality(out["location_municipality"], "location_municipality", today, errors)
    permit = _date(values, "permit_date", "", errors)
    ready = _date(values, "ready_date", "", errors)
    if permit and permit > today:
        errors.append(("permit_date", "vedtaksdatoen er fram i tid"))
    if permit and ready and ready < permit:
        errors.append(("ready_date", "bosettingsklar kan ikke være før vedtaksdatoen for tillatelsen"))
    out["permit_date"], out["ready_date"] = permit, ready
    level = _text(values, "special_need_level", 20) or SpecialNeedLevel.NONE
    if level not in SpecialNeedLevel.values:
        errors.append(("special_need_level", f"ukjent nivå {level!r}"))
    kinds = values.get("special_need_kinds") or []
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = sorted({str(k) for k in kinds})
    for k in kinds:
        if k not in SpecialNeedKind.values:
            errors.append(("special_need_kinds", f"ukjent behov {k[:40]!r}"))
    if level == SpecialNeedLevel.NONE and kinds:
        errors.append(("special_need_kinds", "behov er oppgitt, men nivået er «ingen»"))
    if level != SpecialNeedLevel.NONE and not kinds:
        errors.append(("special_need_kinds", "oppgi hvilke særlige behov husstanden har"))
    out["special_need_level"], out["special_need_kinds"] = level, kinds
    out["special_need_note"] = _text(values, "special_need_note", 4000)
    out["connection_municipality"] = _text(values, "connection_municipality", 4)
    _municipality(out["connection_municipality"], "connection_municipality", today, errors)
    kind = _text(values, "connection_kind", 10)
    if kind and kind not in ConnectionKind.values:
        errors.append(("connection_kind", f"ukjent tilknytning {kind!r}"))
    if out["connection_municipality"] and not kind:
        errors.append(("connection_kind", "oppgi hva tilknytningen er (familie, venner, arbeid, studier)"))
    if kind and not out["connection_municipality"]:
        errors.append(("connection_municipality", "oppgi kommunen husstanden har tilknytning til"))
    out["connection_kind"] = kind
    out["wishes"] = _text(values, "wishes", 4000)
    if errors:
        raise CaseInvalid(errors)
    return out


def clean_member(values: dict[str, Any], *, path: str = "", ready_date: dt.date | None = None) -> dict[str, Any]:
    """One person of the household, checked (``CaseInvalid``; fields prefixed by ``path``)."""
    today = timezone.localdate()
    errors: list[tuple[str, str]] = []
    errors += [(f"{path}{k}", "ukjent felt") for k in sorted(set(values) - set(MEMBER_FIELDS))]
    out: dict[str, Any] = {}
    for name in ("first_name", "last_name"):
        out[name] = _text(values, name, 200)
        if not out[name]:
            errors.append((f"{path}{name}", "mangler (påkrevd)"))
    birth = _date(values, "birth_date", path, errors)
    if birth and birth > today:
        errors.append((f"{path}birth_date", "fødselsdatoen er fram i tid"))
    out["birth_date"] = birth
    out["sex"] = _text(values, "sex", 10)
    if out["sex"] not in ("", "female", "male"):
        errors.append((f"{path}sex", "kjønn er «female» eller «male»"))
    role = _text(values, "role", 10)
    if role not in MemberRole.values:
        errors.append((f"{path}role", "rolle er «adult» (voksen) eller «child» (barn)"))
    out["role"] = role
    duf = _text(values, "duf", 14)
    if duf:
        try:
            duf = identity.validate_duf(duf)
        except identity.IdentifierError as e:
            errors.append((f"{path}duf", e.message))
    out["duf"] = duf
    nid = _text(values, "national_id", 11)
    if nid:
        try:
            parsed = identity.validate_national_id(nid, allow_synthetic=settings.NIR_ACCEPT_SYNTHETIC_IDS)
            if birth and parsed.birth_date != birth:
                errors.append((f"{path}national_id", "fødselsnummeret passer ikke med fødselsdatoen"))
        except identity.IdentifierError as e:
            errors.append((f"{path}national_id", e.message))
    out["national_id"] = nid
    for flag in ("unaccompanied_minor", "companion", "collective_protection", "resettlement_refugee"):
        out[flag] = bool(values.get(flag, False))
    out["citizenship"] = _text(values, "citizenship", 3).upper()
    out["permit_basis"] = _text(values, "permit_basis", 40)
    if out["permit_basis"] and out["permit_basis"] not in codes.code_list("permit_basis"):
        errors.append((f"{path}permit_basis", f"ukjent hjemmel {out['permit_basis']!r} (kodeverk permit_basis)"))
    on = ready_date or today
    if birth and role == MemberRole.CHILD and _age(birth, on) >= ADULT_AGE:
        errors.append((f"{path}role", "et barn må være under 18 år når husstanden er bosettingsklar"))
    if birth and role == MemberRole.ADULT and _age(birth, on) < ADULT_AGE and not out["unaccompanied_minor"]:
        errors.append((f"{path}role", "en voksen må være 18 år eller eldre (enslig mindreårig: kryss av for det)"))
    if out["unaccompanied_minor"] and birth and _age(birth, on) >= ADULT_AGE:
        errors.append((f"{path}unaccompanied_minor", "en enslig mindreårig må være under 18 år"))
    if out["companion"] and not out["unaccompanied_minor"]:
        errors.append((f"{path}companion", "følgeperson gjelder bare enslige mindreårige"))
    if errors:
        raise CaseInvalid(errors)
    return out


def check_household(
    members: Sequence[dict[str, Any]], *, bufetat: bool, ready_date: dt.date | None, path: str = "members"
) -> None:
    """The household as a whole: at least one person; an EM household 1–2 minors and nobody else;
    Bufetat only EM under 15; one DUF number once."""
    errors: list[tuple[str, str]] = []
    if not members:
        errors.append((path, "husstanden må ha minst én person"))
    um = [m for m in members if m.get("unaccompanied_minor")]
    if um and len(um) != len(members):
        errors.append((path, "en husstand med enslige mindreårige kan ikke ha andre personer"))
    if um and len(um) > MAX_UM_HOUSEHOLD:
        errors.append((path, "en husstand med enslige mindreårige har høyst to (søsken)"))
    if bufetat:
        on = ready_date or timezone.localdate()
        for i, m in enumerate(members):
            birth = m.get("birth_date")
            if not m.get("unaccompanied_minor") or (birth and _age(birth, on) >= BUFETAT_MAX_AGE):
                errors.append(
                    (f"{path}.{i}.unaccompanied_minor", "Bufetat registrerer bare enslige mindreårige under 15 år")
                )
    dufs = [m["duf"] for m in members if m.get("duf")]
    if len(dufs) != len(set(dufs)):
        errors.append((path, "samme DUF-nummer står to ganger i husstanden"))
    if errors:
        raise CaseInvalid(errors)


def _dufs_in_open_cases(dufs: Iterable[str], *, except_case: int | None = None) -> set[str]:
    """The DUF numbers already in another case that is neither withdrawn nor settled."""
    dufs = [d for d in dufs if d]
    if not dufs:
        return set()
    rows = CaseMember.objects.current().filter(duf__in=dufs).exclude(case_id=except_case)
    rows = rows.filter(case__details__superseded_at__isnull=True, case__details__operation__in=["create", "correct"])
    rows = rows.exclude(case__settlement__isnull=False)
    return set(rows.values_list("duf", flat=True))


# --- access ----------------------------------------------------------------------------------------


def _require_register(acting: Acting) -> None:
    if not acting.unrestricted and not may_register_cases(acting.principal):
        raise AccessDenied(Permission.SETTLEMENT_CASES)


def _case_for_edit(acting: Acting, number: str) -> SettlementCase:
    """The case ``number``, locked, if ``acting`` may change it (``SettlementCase.DoesNotExist`` for a
    case it may not see, ``AccessDenied`` when it may see but not change it, ``SettlementRefused``
    for a settled or withdrawn case)."""
    case = SettlementCase.objects.select_for_update().filter(number=number).first()
    if case is None:
        raise SettlementCase.DoesNotExist(number)
    if not acting.unrestricted and not may_edit_case(acting.principal, case.organisation_id):
        if not may_register_cases(acting.principal):
            raise AccessDenied(Permission.SETTLEMENT_CASES)
        raise SettlementCase.DoesNotExist(number)  # another organisation's case: not found
    if CaseSettlement.objects.filter(case=case).exists():
        raise SettlementRefused("case", f"saken {number} er bosatt og kan ikke endres")
    return case


def _current_details(case: SettlementCase) -> CaseDetails:
    details = CaseDetails.objects.current().filter(case=case).first()
    if details is None:
        raise SettlementRefused("case", f"saken {case.number} er trukket")
    return details


def _current_members(case: SettlementCase) -> list[CaseMember]:
    return list(CaseMember.objects.current().filter(case=case).order_by("recorded_at", "pk"))


def _audit(acting: Acting, what: str, case: SettlementCase, **filters: Any) -> None:
    acting.audit(what=f"settlement.{what}", persons=[], filters={"case": case.number, **filters})


# --- case numbers ----------------------------------------------------------------------------------


def _next_number(year: int) -> str:
    prefix = f"BS-{year}-"
    last = (
        SettlementCase.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True)
    ).first()
    serial = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{serial:06d}"


def _new_case(acting: Acting, today: dt.date) -> SettlementCase:
    organisation = None if acting.unrestricted else acting.organisation
    for _ in range(20):  # two registrations at the same moment: the second takes the next number
        try:
            with transaction.atomic():
                return store.create(SettlementCase, acting, number=_next_number(today.year), organisation=organisation)
        except IntegrityError:
            continue
    raise SettlementRefused("case", "fant ikke et ledig saksnummer; prøv igjen")


# --- the actions -----------------------------------------------------------------------------------


def register_case(
    acting: Acting, *, details: dict[str, Any], members: Sequence[dict[str, Any]], at: dt.datetime | None = None
) -> SettlementCase:
    """Register a household ready for settlement: the case (``BS-<year>-NNNNNN``), its details and one
    ``CaseMember`` per person. ``AccessDenied`` / ``CaseInvalid`` (every problem named) store nothing."""
    today = timezone.localdate()
    with transaction.atomic():
        _require_register(acting)
        errors: list[tuple[str, str]] = []
        clean: dict[str, Any] = {}
        try:
            clean = clean_details(details, today=today)
        except CaseInvalid as e:
            errors += e.errors
        ready = clean.get("ready_date") or _loose_date(details.get("ready_date"))
        people: list[dict[str, Any]] = []
        for i, m in enumerate(members):
            try:
                people.append(clean_member(m, path=f"members.{i}.", ready_date=ready))
            except CaseInvalid as e:
                errors += e.errors
        if not errors:
            bufetat = not acting.unrestricted and registers_for_bufetat(acting.principal)
            try:
                check_household(people, bufetat=bufetat, ready_date=ready)
            except CaseInvalid as e:
                errors += e.errors
            taken = _dufs_in_open_cases(p["duf"] for p in people)
            errors += [
                (f"members.{i}.duf", f"DUF-nummer {p['duf']} er allerede i en åpen bosettingssak")
                for i, p in enumerate(people)
                if p["duf"] in taken
            ]
        if not members and not any(f == "members" for f, _ in errors):
            errors.append(("members", "husstanden må ha minst én person"))
        if errors:
            raise CaseInvalid(errors)
        case = _new_case(acting, today)
        store.create(CaseDetails, acting, at=at, case=case, **clean)
        for p in people:
            store.create(CaseMember, acting, at=at, case=case, **p)
        _audit(acting, "case.register", case, members=len(people))
    return case


def _loose_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def correct_details(acting: Acting, number: str, changes: dict[str, Any], reason: str) -> CaseDetails:
    """Correct the case's details (a new version supersedes the current one, with ``reason``)."""
    with transaction.atomic():
        case = _case_for_edit(acting, number)
        current = _current_details(case)
        if not reason.strip():
            raise SettlementRefused("reason", "oppgi hvorfor opplysningene rettes")
        merged = {f: getattr(current, f) for f in DETAIL_FIELDS} | dict(changes)
        clean = clean_details(merged)
        members = [{f: getattr(m, f) for f in MEMBER_FIELDS} for m in _current_members(case)]
        if clean["ready_date"] != current.ready_date:
            for i, m in enumerate(members):  # ages are judged at the ready date
                clean_member(m, path=f"members.{i}.", ready_date=clean["ready_date"])
        changed = {f: v for f, v in clean.items() if getattr(current, f) != v}
        if not changed:
            raise SettlementRefused("values", "rettingen endrer ingenting")
        new = store.supersede(current, acting, reason.strip(), **changed)
        _audit(acting, "case.correct", case, fields=sorted(changed))
    return new


def add_member(acting: Acting, number: str, values: dict[str, Any]) -> CaseMember:
    """Add a person to the household (the household is checked as a whole again)."""
    with transaction.atomic():
        case = _case_for_edit(acting, number)
        details = _current_details(case)
        person = clean_member(values, ready_date=details.ready_date)
        others = [{f: getattr(m, f) for f in MEMBER_FIELDS} for m in _current_members(case)]
        _check_changed_household(acting, case, [*others, person])
        row = store.create(CaseMember, acting, case=case, **person)
        _audit(acting, "case.member.add", case, member=str(row.key))
    return row


def _member(case: SettlementCase, member_key: uuid.UUID | str) -> CaseMember:
    try:
        key = uuid.UUID(str(member_key))
    except ValueError:
        raise SettlementRefused("member", "ukjent person i husstanden") from None
    row = CaseMember.objects.current().filter(case=case, key=key).first()
    if row is None:
        raise SettlementRefused("member", "ukjent person i husstanden")
    return row


def _check_changed_household(acting: Acting, case: SettlementCase, members: list[dict[str, Any]]) -> None:
    details = _current_details(case)
    bufetat = not acting.unrestricted and registers_for_bufetat(acting.principal)
    check_household(members, bufetat=bufetat, ready_date=details.ready_date)
    taken = _dufs_in_open_cases((m["duf"] for m in members), except_case=case.pk)
    if taken:
        raise CaseInvalid([("duf", f"DUF-nummer {d} er allerede i en åpen bosettingssak") for d in sorted(taken)])


def correct_member(
    acting: Acting, number: str, member_key: uuid.UUID | str, changes: dict[str, Any], reason: str
) -> CaseMember:
    """Correct one person of the household (a new version, with ``reason``)."""
    with transaction.atomic():
        case = _case_for_edit(acting, number)
        row = _member(case, member_key)
        if not reason.strip():
            raise SettlementRefused("reason", "oppgi hvorfor opplysningene rettes")
        details = _current_details(case)
        person = clean_member(
            {f: getattr(row, f) for f in MEMBER_FIELDS} | dict(changes), ready_date=details.ready_date
        )
        others = [{f: getattr(m, f) for f in MEMBER_FIELDS} for m in _current_members(case) if m.pk != row.pk]
        _check_changed_household(acting, case, [*others, person])
        changed = {f: v for f, v in person.items() if getattr(row, f) != v}
        if not changed:
            raise SettlementRefused("values", "rettingen endrer ingenting")
        new = store.supersede(row, acting, reason.strip(), **changed)
        _audit(acting, "case.member.correct", case, member=str(row.key), fields=sorted(changed))
    return new


def remove_member(acting: Acting, number: str, member_key: uuid.UUID | str, reason: str) -> CaseMember:
    """Take a person out of the household (an annulment, with ``reason``); a household keeps one person."""
    with transaction.atomic():
        case = _case_for_edit(acting, number)
        row = _member(case, member_key)
        if not reason.strip():
            raise SettlementRefused("reason", "oppgi hvorfor personen tas ut av husstanden")
        others = [{f: getattr(m, f) for f in MEMBER_FIELDS} for m in _current_members(case) if m.pk != row.pk]
        _check_changed_household(acting, case, others)
        new = store.annul(row, acting, reason.strip())
        _audit(acting, "case.member.remove", case, member=str(row.key))
    return new


def withdraw_case(acting: Acting, number: str, reason: str) -> CaseDetails:
    """Withdraw the case (no longer to be settled): its details are annulled, with ``reason``. An open
    proposal or an agreement must be withdrawn or cancelled first (``nir.settlement.actions.assignment``)."""
    from nir.settlement.models import Agreement, Proposal

    with transaction.atomic():
        case = _case_for_edit(acting, number)
        current = _current_details(case)
        if not reason.strip():
            raise SettlementRefused("reason", "oppgi hvorfor saken trekkes")
        if Agreement.objects.current().filter(case=case).exists():
            raise SettlementRefused("case", "saken har en avtale om bosetting; avtalen må avbrytes først")
        today = timezone.localdate()
        if Proposal.objects.filter(case=case, answer__isnull=True, deadline__gte=today).exists():
            raise SettlementRefused("case", "saken har et åpent forslag; forslaget må trekkes først")
        new = store.annul(current, acting, reason.strip())
        _audit(acting, "case.withdraw", case)
    return new


def register_mapping(acting: Acting, number: str, member_key: uuid.UUID | str, values: dict[str, Any]) -> Mapping:
    """A mapping (kartlegging) of one person of the household: its kind, what was assessed
    (``content``), whether special needs were assessed and the health note, by whom and when."""
    with transaction.atomic():
        case = _case_for_edit(acting, number)
        _current_details(case)
        row = _member(case, member_key)
        errors: list[tuple[str, str]] = [(k, "ukjent felt") for k in sorted(set(values) - set(MAPPING_FIELDS))]
        kind = _text(values, "kind", 20)
        if kind not in MappingKind.values:
            errors.append(("kind", f"ukjent kartleggingstype {kind[:40]!r}"))
        assessed_on = _date(values, "assessed_on", "", errors)
        if assessed_on and assessed_on > timezone.localdate():
            errors.append(("assessed_on", "kartleggingsdatoen er fram i tid"))
        assessed_by = _text(values, "assessed_by", 200)
        if not assessed_by:
            errors.append(("assessed_by", "oppgi hvem som kartla (navn og organisasjon)"))
        content = values.get("content") or {}
        if not isinstance(content, dict):
            errors.append(("content", "innholdet må være et objekt (utdanning, arbeidserfaring, språk, ferdigheter)"))
        health = _text(values, "health_note", 4000)
        special = bool(values.get("assessed_special_needs", False))
        if health and not special:
            errors.append(("health_note", "helseopplysninger hører til en vurdering av særlige behov"))
        if errors:
            raise CaseInvalid(errors)
        mapping = store.create(
            Mapping,
            acting,
            case=case,
            member_key=row.key,
            kind=kind,
            assessed_on=assessed_on,
            assessed_by=assessed_by,
            content=content,
            assessed_special_needs=special,
            health_note=health,
        )
        _audit(acting, "mapping.register", case, member=str(row.key), kind=kind)
    return mapping
