"""A person's facts as the grants read them, as known at a cut-off (grants.md A.1.1).

The input is the register's interchange ``facts`` object with the grants' optional keys: ``permits[]``
(``effectuation_date``, ``limitation``), ``settlements[]`` (``kind``, ``household_id``, ``household_role``),
``residences[]`` (``to``, ``source``, ``kind``, ``reception_centre``), ``decisions[]``
(``follow_up_municipality``), ``mother``, ``citizenship``, ``unaccompanied_minor``,
``family_reunification``, ``emigration_date``, ``death_date``, ``upper_secondary_enrolments[]``,
``reception_stays[]``, ``asylum_procedure``, ``asylum_duty_group_entry``, ``competence_mappings[]``
(``legal_basis``, ``registered_in_tool``) and ``extra_grant_cases[]``.

**As known at.** A list item may carry ``registered_at`` (an ISO timestamp: when the register learnt
it); :func:`parse` with ``known_at`` drops every item registered after the cut-off, so a payment
round reads the register as it was known then and is reproducible later. The register itself
(``nir export facts --known-at``) gives the same view from its bitemporal rows.

Bad input raises :class:`GrantFactsError` naming the path of the first problem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


class GrantFactsError(ValueError):
    """The facts cannot be read; the message names the path (``facts.settlements[0].date``)."""


@dataclass(frozen=True, slots=True)
class Permit:
    path: str
    basis: str
    decision_date: dt.date
    arrival_date: dt.date | None = None
    effectuation_date: dt.date | None = None
    # A limited permit (grants.md A.2.1): "non_renewable" (temporary, cannot be renewed, no basis for permanent
    # residence) or "pending_identity" (limited pending documented identity); None: an ordinary permit.
    limitation: str | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    path: str
    municipality: str
    date: dt.date
    by_agreement: bool
    kind: str  # by_agreement, self_settled, family_arrival ("" unknown)
    household_id: str | None = None
    household_role: str | None = None  # adult, child


@dataclass(frozen=True, slots=True)
class Residence:
    """A registered address: ``start``–``end`` (inclusive; ``end`` None = still living there)."""

    path: str
    municipality: str
    start: dt.date
    end: dt.date | None = None
    source: str = ""  # folkeregisteret, or the municipality's own registration
    kind: str = "ordinary"  # ordinary, reception_centre
    reception_centre: str | None = None

    @property
    def from_folkeregister(self) -> bool:
        return self.source == "folkeregisteret"


@dataclass(frozen=True, slots=True)
class Decision:
    path: str
    scheme: str
    type: str
    result: str
    decision_date: dt.date
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    follow_up_municipality: str | None = None


@dataclass(frozen=True, slots=True)
class FamilyReunification:
    reference_person: str | None
    reference_basis_at_grant: str | None
    reference_first_settlement_date: dt.date | None
    application_date: dt.date | None
    reference_nordic_citizen: bool
    reference_is_family_immigrant: bool


@dataclass(frozen=True, slots=True)
class Enrolment:
    """Upper-secondary education (*videregående opplæring*)."""

    path: str
    start: dt.date
    end: dt.date | None
    full_time: bool
    county: str


@dataclass(frozen=True, slots=True)
class ReceptionStay:
    path: str
    centre: str
    host_municipality: str
    start: dt.date
    end: dt.date | None = None


@dataclass(frozen=True, slots=True)
class CompetenceMapping:
    """A competence mapping (*kompetansekartlegging*)."""

    path: str
    legal_basis: str  # il_6, il_10, il_6a_simplified
    date: dt.date
    registered_in_tool: bool
    host_municipality: str | None = None


@dataclass(frozen=True, slots=True)
class ExtraGrantCase:
    path: str
    type: str  # FHT1, FHT2
    grant_year: int
    applied_at: dt.date | None
    amount_applied: Decimal | None
    amount_granted: Decimal | None
    decided_at: dt.date | None


@dataclass(frozen=True)
class PersonFacts:
    """One person's facts for the grants (lists sorted by date, then by their order in the input)."""

    id: str  # the person's label (DUF number in the register)
    birth_date: dt.date | None
    permits: tuple[Permit, ...] = ()
    settlements: tuple[Settlement, ...] = ()
    residences: tuple[Residence, ...] = ()
    decisions: tuple[Decision, ...] = ()
    mother: str | None = None
    citizenship: str | None = None
    unaccompanied_minor: bool = False
    with_companion: bool = False
    family_reunification: FamilyReunification | None = None
    emigration_date: dt.date | None = None
    death_date: dt.date | None = None
    upper_secondary: tuple[Enrolment, ...] = ()
    reception_stays: tuple[ReceptionStay, ...] = ()
    asylum_procedure: str | None = None
    asylum_duty_group_entry: dt.date | None = None
    mappings: tuple[CompetenceMapping, ...] = ()
    extra_grant_cases: tuple[ExtraGrantCase, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)  # the facts as known (for nir.rules)

    @property
    def first_settlement(self) -> Settlement | None:
        return self.settlements[0] if self.settlements else None

    def age_on(self, day: dt.date) -> int | None:
        """Whole years on ``day`` (a person born on 29 February turns a year older on 1 March)."""
        b = self.birth_date
        if b is None:
            return None
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def residence_on(self, day: dt.date, folkeregister_only: bool = True) -> Residence | None:
        """The registered address on ``day`` (the latest starting one when several overlap)."""
        found = None
        for r in self.residences:
            if folkeregister_only and not r.from_folkeregister:
                continue
            if r.start <= day and (r.end is None or day <= r.end):
                found = r
        return found


@dataclass
class Population:
    """The persons of one computation, by id: household members and mothers are looked up here."""

    persons: dict[str, PersonFacts]
    _households: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for pid, p in self.persons.items():
            for s in p.settlements:
                if s.household_id:
                    members = self._households.setdefault(s.household_id, [])
                    if pid not in members:
                        members.append(pid)

    def __getitem__(self, pid: str) -> PersonFacts:
        return self.persons[pid]

    def get(self, pid: str | None) -> PersonFacts | None:
        return self.persons.get(pid) if pid else None

    def household(self, household_id: str | None) -> list[PersonFacts]:
        """Everyone settled in the household ``household_id`` (from the settlement case)."""
        return [self.persons[m] for m in self._households.get(household_id or "", [])]


# --- reading ---------------------------------------------------------------------------------


def _date(value: Any, path: str, required: bool = False) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise GrantFactsError(f"{path}: mangler (påkrevd)")
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise GrantFactsError(f"{path}: må være en dato på formen ÅÅÅÅ-MM-DD") from None


def _req_date(value: Any, path: str) -> dt.date:
    d = _date(value, path, required=True)
    assert d is not None
    return d


def timestamp(value: Any, path: str) -> dt.datetime | None:
    """An ISO timestamp with its offset (a date alone means its start, Oslo time is not assumed: UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        ts = value
    else:
        try:
            ts = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise GrantFactsError(f"{path}: må være et tidspunkt på formen ÅÅÅÅ-MM-DDTtt:mm:ss+01:00") from None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=dt.UTC)


def _items(facts: Mapping[str, Any], key: str, known_at: dt.datetime | None) -> Iterable[tuple[str, dict[str, Any]]]:
    value = facts.get(key)
    if value is None:
        return
    if not isinstance(value, list):
        raise GrantFactsError(f"facts.{key}: må være en liste")
    for i, item in enumerate(value):
        path = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise GrantFactsError(f"facts.{path}: må være et objekt")
        registered = timestamp(item.get("registered_at"), f"facts.{path}.registered_at")
        if known_at is not None and registered is not None and registered > known_at:
            continue
        yield path, item


def _bool(value: Any, path: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise GrantFactsError(f"{path}: må være true eller false")
    return value


def _money(value: Any, path: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise GrantFactsError(f"{path}: må være et beløp") from None


def known_facts(facts: Mapping[str, Any], known_at: dt.datetime | None) -> dict[str, Any]:
    """The facts object without the list items registered after ``known_at``."""
    if known_at is None:
        return dict(facts)
    out = dict(facts)
    for key, value in facts.items():
        if isinstance(value, list):
            out[key] = [item for _, item in _items(facts, key, known_at)]
    return out


def parse(person_id: str, facts: Mapping[str, Any], known_at: dt.datetime | None = None) -> PersonFacts:
    """Read one person's facts as known at ``known_at`` (None: everything)."""
    if not isinstance(facts, Mapping):
        raise GrantFactsError("facts: må være et objekt")
    f = "facts."
    permits = sorted(
        (
            Permit(
                path,
                str(x.get("basis") or ""),
                _req_date(x.get("decision_date"), f"{f}{path}.decision_date"),
                _date(x.get("arrival_date"), f"{f}{path}.arrival_date"),
                _date(x.get("effectuation_date"), f"{f}{path}.effectuation_date"),
                x.get("limitation") or None,
            )
            for path, x in _items(facts, "permits", known_at)
        ),
        key=lambda p: p.decision_date,
    )
    settlements = sorted(
        (
            Settlement(
                path,
                str(x.get("municipality") or ""),
                _req_date(x.get("date"), f"{f}{path}.date"),
                x.get("by_agreement") is True or x.get("kind") == "by_agreement",
                str(x.get("kind") or ("by_agreement" if x.get("by_agreement") is True else "")),
                x.get("household_id"),
                x.get("household_role"),
            )
            for path, x in _items(facts, "settlements", known_at)
        ),
        key=lambda s: s.date,
    )
    residences = sorted(
        (
            Residence(
                path,
                str(x.get("municipality") or ""),
                _req_date(x.get("from"), f"{f}{path}.from"),
                _date(x.get("to"), f"{f}{path}.to"),
                str(x.get("source") or ""),
                str(x.get("kind") or "ordinary"),
                x.get("reception_centre"),
            )
            for path, x in _items(facts, "residences", known_at)
        ),
        key=lambda r: r.start,
    )
    decisions = sorted(
        (
            Decision(
                path,
                str(x.get("scheme") or ""),
                str(x.get("type") or ""),
                str(x.get("result") or "made"),
                _req_date(x.get("decision_date"), f"{f}{path}.decision_date"),
                _date(x.get("start_date"), f"{f}{path}.start_date"),
                _date(x.get("end_date"), f"{f}{path}.end_date"),
                x.get("follow_up_municipality"),
            )
            for path, x in _items(facts, "decisions", known_at)
        ),
        key=lambda d: d.decision_date,
    )
    um = facts.get("unaccompanied_minor") or {}
    if not isinstance(um, dict):
        raise GrantFactsError("facts.unaccompanied_minor: må være et objekt")
    fr = facts.get("family_reunification")
    family = None
    if fr is not None:
        if not isinstance(fr, dict):
            raise GrantFactsError("facts.family_reunification: må være et objekt")
        p = "facts.family_reunification."
        family = FamilyReunification(
            fr.get("reference_person"),
            fr.get("reference_basis_at_grant"),
            _date(fr.get("reference_first_settlement_date"), p + "reference_first_settlement_date"),
            _date(fr.get("application_date"), p + "application_date"),
            _bool(fr.get("reference_nordic_citizen"), p + "reference_nordic_citizen"),
            _bool(fr.get("reference_is_family_immigrant"), p + "reference_is_family_immigrant"),
        )
    return PersonFacts(
        id=person_id,
        birth_date=_date(facts.get("birth_date"), "facts.birth_date"),
        permits=tuple(permits),
        settlements=tuple(settlements),
        residences=tuple(residences),
        decisions=tuple(decisions),
        mother=facts.get("mother"),
        citizenship=facts.get("citizenship"),
        unaccompanied_minor=_bool(um.get("flag"), "facts.unaccompanied_minor.flag"),
        with_companion=_bool(um.get("with_companion"), "facts.unaccompanied_minor.with_companion"),
        family_reunification=family,
        emigration_date=_date(facts.get("emigration_date"), "facts.emigration_date"),
        death_date=_date(facts.get("death_date"), "facts.death_date"),
        upper_secondary=tuple(
            sorted(
                (
                    Enrolment(
                        path,
                        _req_date(x.get("from"), f"{f}{path}.from"),
                        _date(x.get("to"), f"{f}{path}.to"),
                        _bool(x.get("full_time"), f"{f}{path}.full_time"),
                        str(x.get("county") or ""),
                    )
                    for path, x in _items(facts, "upper_secondary_enrolments", known_at)
                ),
                key=lambda e: e.start,
            )
        ),
        reception_stays=tuple(
            sorted(
                (
                    ReceptionStay(
                        path,
                        str(x.get("centre") or ""),
                        str(x.get("host_municipality") or ""),
                        _req_date(x.get("from"), f"{f}{path}.from"),
                        _date(x.get("to"), f"{f}{path}.to"),
                    )
                    for path, x in _items(facts, "reception_stays", known_at)
                ),
                key=lambda s: s.start,
            )
        ),
        asylum_procedure=facts.get("asylum_procedure"),
        asylum_duty_group_entry=_date(facts.get("asylum_duty_group_entry"), "facts.asylum_duty_group_entry"),
        mappings=tuple(
            CompetenceMapping(
                path,
                str(x.get("legal_basis") or ""),
                _req_date(x.get("date"), f"{f}{path}.date"),
                _bool(x.get("registered_in_tool"), f"{f}{path}.registered_in_tool"),
                x.get("host_municipality"),
            )
            for path, x in _items(facts, "competence_mappings", known_at)
        ),
        extra_grant_cases=tuple(
            ExtraGrantCase(
                path,
                str(x.get("type") or ""),
                int(x.get("grant_year") or 0),
                _date(x.get("applied_at"), f"{f}{path}.applied_at"),
                _money(x.get("amount_applied"), f"{f}{path}.amount_applied"),
                _money(x.get("amount_granted"), f"{f}{path}.amount_granted"),
                _date(x.get("decided_at"), f"{f}{path}.decided_at"),
            )
            for path, x in _items(facts, "extra_grant_cases", known_at)
        ),
        raw=known_facts(facts, known_at),
    )


def population(persons: Mapping[str, Mapping[str, Any]], known_at: dt.datetime | None = None) -> Population:
    """Read every person's facts (``{id: facts}``) as known at ``known_at``."""
    return Population({pid: parse(pid, facts, known_at) for pid, facts in persons.items()})
