"""Reading one person: the one reader shared by the API (``nir.api.persons``) and the web pages
(``nir.web.persons``), so that both show the same person in the same way.

    read = read_person(user, person)              # current rows + one Regelmotor evaluation
    read.details, read.follow_up, read.address, read.permits, read.settlements, read.result
    person_out(user, person)                      # the API's document (``PersonOut``)

One read of every current row asked for (``snapshot_sql.current_rows``: one statement, prepared
on PostgreSQL) and one evaluation by the Regelmotor from the same rows: what is shown and what is
derived cannot differ. After a write the write's own outcome (``services.Outcome``: the result
the rules guard judged it by) is used instead of evaluating again.

The *skjermet* rule lives here: the address of a person with a protected identity
(``PersonDetails.protected_identity``) is shown only to users who see every person (IMDi;
``person_scope(user) is None``), never to a municipality.

The caller checks first that the user may see the person (``nir.access.persons.find_person`` or
``find_person_with_rows`` below); a person outside the user's scope is *not found*. This reader
applies the scope and the skjermet rule, so it lives in ``access`` (above the register it reads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from nir import codes, rules
from nir.access.persons import FormerFollowUp, PersonElsewhere, check_person, is_duf
from nir.access.scope import person_scope
from nir.reference.models import District, Municipality
from nir.register import models as m
from nir.register.derivation import ENGINE_MODELS, facts_from_rows
from nir.register.explain import CATEGORY_LABELS
from nir.register.history import follow_up_on, rows_for
from nir.register.snapshot_sql import current_rows

# What the API's person document shows besides the Regelmotor's result.
PERSON_MODELS = (m.PersonDetails, m.ResidencePermit, m.Residence, m.FollowUp, m.Settlement)
# The person document and what the Regelmotor reads.
READ_MODELS = PERSON_MODELS + tuple(mdl for mdl in ENGINE_MODELS if mdl not in PERSON_MODELS)
# Everything the person page shows: the document and every registration kind of its sections.
PAGE_MODELS = READ_MODELS + (
    m.Participation,
    m.Measure,
    m.Termination,
    m.CareerGuidance,
    m.CompetenceMapping,
    m.Exam,
    m.FamilyReunification,
    m.UpperSecondaryEnrolment,
    m.ReceptionStay,
    m.ExtraGrantCase,
)


def covering(rows: Iterable[m.Registration], day: dt.date):
    """The period row (``valid_from``/``valid_to``) covering ``day``; the latest starting one wins."""
    found = [r for r in rows if r.valid_from <= day and (r.valid_to is None or day <= r.valid_to)]
    return max(found, key=lambda r: (r.valid_from, r.id), default=None)


def may_see_protected_address(user) -> bool:
    """Only users who see every person (IMDi) see the address of a person with a protected identity."""
    return person_scope(user) is None


@dataclass
class PersonRead:
    """One person as read for ``user`` on ``on``: current rows and the Regelmotor's result."""

    person: m.Person
    on: dt.date
    # The current rows read, in model order then id order (after a write through the API: the
    # person rows the rules guard read and the follow-up periods).
    rows: list[m.Registration]
    result: rules.Result
    user: Any = field(default=None, repr=False)
    # Set for a former follow-up municipality (``read_former``): the ``FormerFollowUp`` read by.
    former: FormerFollowUp | None = None
    _by_model: dict[type, list[m.Registration]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for r in self.rows:
            self._by_model.setdefault(type(r), []).append(r)

    def of(self, model: type[m.Registration]) -> list[m.Registration]:
        """The current rows of ``model`` (in id order)."""
        return self._by_model.get(model, [])

    @property
    def details(self) -> m.PersonDetails | None:
        return next(iter(self.of(m.PersonDetails)), None)

    @property
    def protected(self) -> bool:
        d = self.details
        return bool(d and d.protected_identity)

    @property
    def follow_up(self) -> m.FollowUp | None:
        """The follow-up period (oppfølgingskommune/-bydel) on ``on``."""
        return follow_up_on(self.of(m.FollowUp), self.on)

    @property
    def residence(self) -> m.Residence | None:
        """Where the person lives on ``on`` — whether the user may see it or not (see ``address``)."""
        return covering(self.of(m.Residence), self.on)

    @property
    def address_hidden(self) -> bool:
        """A current address exists but is not shown to this user (skjermet)."""
        # person_scope is asked only for a protected person (for a county governor it is a query)
        return self.residence is not None and self.protected and not may_see_protected_address(self.user)

    @property
    def address(self) -> m.Residence | None:
        """The current address if this user may see it (the skjermet rule), else None."""
        residence = self.residence
        if residence is None or self.address_hidden:
            return None
        return residence

    @property
    def permits(self) -> list[m.ResidencePermit]:
        return self.of(m.ResidencePermit)

    @property
    def settlements(self) -> list[m.Settlement]:
        return self.of(m.Settlement)


def read_person(
    user,
    person: m.Person,
    on: dt.date | None = None,
    *,
    judged=None,
    models: tuple[type[m.Registration], ...] = READ_MODELS,
    rows: list[m.Registration] | None = None,
) -> PersonRead:
    """``person`` as ``user`` may see them (check that first): current rows of ``models`` and the
    Regelmotor's result on ``on`` (today).

    ``rows``: the person's current rows of ``models`` when already read (not read again).
    ``judged``: the outcome of a write just made (``services.Outcome``, evaluated today): its
    result is used, nothing is evaluated twice; and when neither ``rows`` nor other ``models``
    are asked for, the rows the rules guard read and the follow-up rows the write's access check
    read (``judged.follow_ups``) are used, so nothing is read twice either.
    """
    on = on or timezone.localdate()
    result = None
    if judged is not None and judged.result is not None and judged.result.as_of == on:
        result = judged.result
        follow_ups = judged.follow_ups
        if rows is None and models == READ_MODELS and follow_ups is not None and judged.rows is not None:
            rows = [r for r in judged.rows if isinstance(r, PERSON_MODELS)] + list(follow_ups)
    if rows is None:
        rows = current_rows(person.pk, models)
    if result is None:
        result = rules.evaluate(facts_from_rows(person, [r for r in rows if isinstance(r, ENGINE_MODELS)]), on)
    return PersonRead(person, on, rows, result, user)


def find_person_with_rows(
    user, duf: str, models: tuple[type[m.Registration], ...] = PAGE_MODELS, *, write: bool = False
) -> tuple[m.Person, list[m.Registration]]:
    """``nir.access.persons.find_person`` and the person's current rows of ``models`` in two
    statements: the follow-up periods the scope is judged by come from the same read (``models``
    must include ``FollowUp``). Raises ``PersonNotFound`` (also outside the scope) or ``ReadOnly``."""
    if m.FollowUp not in models:
        raise ValueError("the scope is judged by the follow-up periods: read FollowUp")
    person = m.Person.objects.filter(duf=duf).first() if is_duf(duf) else None
    rows = current_rows(person.pk, models) if person is not None else []
    follow_ups = [r for r in rows if isinstance(r, m.FollowUp)]
    return check_person(user, person, follow_ups, duf=duf, write=write), rows


# --- a former follow-up municipality: what was registered until the transfer (issue 16 § 2) ------


def former_rows(
    person: m.Person, former: FormerFollowUp, models: tuple[type[m.Registration], ...] = PAGE_MODELS
) -> list[m.Registration]:
    """``person``'s rows of ``models`` as the register knew them when the transfer took effect
    (``former.known_at``), without the follow-up periods and residences that start on or after the
    move date: the receiving municipality's follow-up and the new address are not the old one's."""
    rows = rows_for([person.pk], former.known_at, models).get(person.pk, [])
    return [r for r in rows if not (isinstance(r, (m.FollowUp, m.Residence)) and r.valid_from >= former.moved_on)]


def find_person_for_reading(
    user, duf: str, models: tuple[type[m.Registration], ...] = PAGE_MODELS
) -> tuple[m.Person, list[m.Registration], FormerFollowUp | None]:
    """``find_person_with_rows`` for the read paths that show a former follow-up municipality what
    was registered until the transfer: (person, rows, None) for a person in the user's scope;
    (person, ``former_rows``, the ``FormerFollowUp``) for a person who moved out of the user's area.
    Raises ``PersonNotFound``/``PersonElsewhere`` otherwise."""
    try:
        person, rows = find_person_with_rows(user, duf, models)
        return person, rows, None
    except PersonElsewhere as e:
        if e.former is None:
            raise
        person = m.Person.objects.get(pk=e.person_id)
        return person, former_rows(person, e.former, models), e.former


def read_former(user, person: m.Person, rows: list[m.Registration], former: FormerFollowUp) -> PersonRead:
    """``read_person`` for a former follow-up municipality: ``rows`` (``former_rows``) evaluated by the
    Regelmotor on the last day it followed the person up."""
    read = read_person(user, person, min(former.last_day, timezone.localdate()), rows=rows)
    read.former = former
    return read


# --- the API's document ---------------------------------------------------------------------


def person_out(user, person: m.Person, on: dt.date | None = None, *, judged=None) -> dict[str, Any]:
    """The person as the API shows it to ``user`` (``nir.api.schemas.PersonOut``).

    After a write (``judged``: its outcome, evaluated today) the answer is built from what the rules
    guard read and derived in the write's transaction, and the follow-up rows its access check read:
    nothing is read or evaluated twice. Otherwise one read of every current row the answer and the
    Regelmotor need (one prepared statement on PostgreSQL), evaluated from the same rows.
    """
    return person_document(read_person(user, person, on, judged=judged))


def person_document(read: PersonRead) -> dict[str, Any]:
    """``read`` as the API's person document."""
    details, fu, result = read.details, read.follow_up, read.result
    address = read.address
    doc = result.to_json(explanations=False)
    intro, nor = doc["intro"], doc["norwegian"]
    return {
        "duf": read.person.duf,
        "first_name": details.first_name if details else "",
        "last_name": details.last_name if details else "",
        "birth_date": details.birth_date if details else None,
        "sex": details.sex if details else "",
        # Only persons in the user's scope are ever shown (find_person), so the number may be included.
        "national_id": (details.national_id or None) if details else None,
        "protected_identity": read.protected,
        "follow_up": {
            "municipality": fu.municipality,
            "district": fu.district,
            "from": fu.valid_from,
            "to": fu.valid_to,
        }
        if fu
        else None,
        "address": {
            "municipality": address.municipality,
            "district": address.district,
            "address": address.address,
            "postal_code": address.postal_code,
            "from": address.valid_from,
            "to": address.valid_to,
        }
        if address is not None
        else None,
        "permits": [
            {
                "basis": r.basis,
                "basis_label": codes.label("permit_basis", r.basis),
                "decision_date": r.decision_date,
                "arrival_date": r.arrival_date,
                "effectuation_date": r.effectuation_date,
                "applied_from_abroad": r.applied_from_abroad,
            }
            for r in read.permits
        ],
        "settlements": [
            {
                "municipality": r.municipality,
                "district": r.district,
                "date": r.settlement_date,
                "by_agreement": r.by_agreement,
            }
            for r in read.settlements
        ],
        "status": {
            "as_of": result.as_of,
            "law": doc["law"],
            "intro": {
                **{
                    k: intro.get(k)
                    for k in (
                        "category",
                        "start_date",
                        "deadline",
                        "base_deadline",
                        "absence_workdays",
                        "months",
                        "extension_months",
                        "final_goal",
                        "closed",
                    )
                },
                "category_label": CATEGORY_LABELS["intro"].get(intro["category"], intro["category"]),
            },
            "norwegian": {
                **{k: nor.get(k) for k in ("category", "start_date", "deadline", "leave_workdays", "months")},
                "category_label": CATEGORY_LABELS["norwegian"].get(nor["category"], nor["category"]),
            },
            "deviations": doc["deviations"],
            "errors": doc["errors"],
        },
        "explanations": result.explanation_steps(),
        # A former follow-up municipality's read (issue 16 § 2): the person as registered until the transfer.
        "transferred": {"moved_on": read.former.moved_on, "known_at": read.former.known_at}
        if read.former is not None
        else None,
    }


# --- who registered, and the names of places ------------------------------------------------


def registering_users(rows: Iterable[m.Registration]) -> dict[int, Any]:
    """The users who registered ``rows`` (with their organisation), by id: one statement, or none."""
    ids = {r.registered_by_user_id for r in rows if r.registered_by_user_id}
    if not ids:
        return {}
    users = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .select_related("organisation")
        .only("id", "username", "first_name", "last_name", "organisation__name")
    )
    return {u.pk: u for u in users}


def registered_by(row: m.Registration, users: dict[int, Any]) -> str:
    """*Registrert av* as NIR shows it: the user's name and organisation, the API client's source
    system (the case system it registered from), or the system actor (``Regelmotor``)."""
    if row.registered_by_kind == m.ActorKind.SYSTEM:
        return row.registered_by_system or row.source_system
    if row.registered_by_kind == m.ActorKind.CLIENT:
        return row.source_system
    user = users.get(row.registered_by_user_id)
    if user is None:
        return row.source_system
    name = user.get_full_name() or user.username
    org = getattr(user, "organisation", None)
    return f"{name}, {org.name}" if org is not None else name


_places: dict[tuple, dict[str, str]] = {}


def place_names(alias: str = "default") -> dict[str, str]:
    """Municipality and district number → name (reference data, read once per process and database;
    the latest name of a number wins)."""
    db = connections[alias].settings_dict
    key = (alias, db["ENGINE"], db["NAME"], db.get("HOST"), db.get("PORT"))
    names = _places.get(key)
    if not names:
        names = {}
        for model in (Municipality, District):
            for number, name in (
                model.objects.using(alias).order_by("number", "valid_from").values_list("number", "name")
            ):
                names[number] = name
        _places[key] = names
    return names


def place_label(municipality: str, district: str = "") -> str:
    """«Trondheim», «Oslo, Gamle Oslo»: the names of a municipality and district (numbers if unknown)."""
    if not municipality and not district:
        return ""
    names = place_names()
    out = names.get(municipality, municipality) if municipality else ""
    if district:
        out = f"{out}, {names.get(district, district)}" if out else names.get(district, district)
    return out
