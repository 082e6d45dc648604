"""Access to one person: whether a principal may see or register on them.

Who sees whom is decided in one place, ``nir.access.scope.person_scope``; this module applies
that scope to one person — their follow-up municipality or district (oppfølgingskommune/-bydel)
on a date — for every read path that shows one person (the API, the web pages, the Regelmotor's
explanation). Each entry point turns the outcome into its own answer:

* an unknown DUF number is *not found* (``PersonNotFound``; HTTP 404);
* a person who exists but is followed up outside the area of a principal with an area (a
  municipality, a district, a county governor) is ``PersonElsewhere`` (a ``PersonNotFound``; HTTP 404
  with its own message and problem type): the answer says that the DUF number is registered and
  followed up elsewhere, nothing more — not by whom, nothing about the person (issue 16 § 2,
  docs/access.md). When the principal's area followed the person up before a move
  (``FormerFollowUp``), the read paths that support it show what was registered until the transfer
  (``nir.access.read.find_person_for_reading``); every write is refused;
* a person the principal may see but not change raises ``ReadOnly`` (HTTP 403): a principal without
  ``person.write`` (``nir.access.policy``), e.g. the county governor (statsforvalter), whose scope
  is supervision (read only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from nir.access import policy
from nir.access.scope import Scope, person_scope
from nir.register import models as m
from nir.register.history import follow_up_on
from nir.register.snapshot_sql import current_rows, person_by_duf


class AccessRefused(Exception):
    """The principal may not do this to the person (``PersonNotFound`` or ``ReadOnly``)."""


class PersonNotFound(AccessRefused):
    """No person with this DUF number that the principal may see."""

    def __init__(self, duf: str):
        self.duf = str(duf)[:20]
        super().__init__(f"Fant ingen person med DUF-nummer {self.duf} som du har tilgang til.")


@dataclass(frozen=True)
class FormerFollowUp:
    """The principal's area followed the person up until the day before ``moved_on`` (a move, or an
    ended follow-up period): it may read what the register knew at ``known_at`` — when the transfer
    took effect: the start of ``moved_on``, or later when the move was registered afterwards."""

    moved_on: dt.date
    known_at: dt.datetime

    @property
    def last_day(self) -> dt.date:
        return self.moved_on - dt.timedelta(days=1)


class PersonElsewhere(PersonNotFound):
    """A person with this DUF number exists but is not followed up in the principal's area today.

    Its message names no municipality and no personal data. ``former``: the principal's area followed
    the person up before (``FormerFollowUp``), else None. ``person_id`` is for the audit event only."""

    def __init__(self, duf: str, person_id: int, former: FormerFollowUp | None = None):
        super().__init__(duf)
        self.person_id = person_id
        self.former = former
        if former is not None:
            self.args = (
                f"Personen med DUF-nummer {self.duf} følges ikke lenger opp av kommunen eller bydelen din "
                f"(flyttet {former.moved_on:%d.%m.%Y}). Du kan lese det som var registrert til overføringen, "
                "men ikke registrere nytt.",
            )
        else:
            self.args = (
                f"Personen med DUF-nummer {self.duf} er registrert i NIR, men følges opp av en annen kommune "
                "eller bydel enn din. Du har ikke tilgang til personen.",
            )


class ReadOnly(AccessRefused):
    """The principal may see the person but not register on them."""

    def __init__(self) -> None:
        super().__init__("Du kan lese denne personen, men ikke registrere på den (tilsyn).")


class ProtectedIdentityRefused(AccessRefused):
    """The principal may register on the person but not change their protected identity (skjermet):
    IMDi only (``policy.may_change_protected_identity``). Nothing is stored."""

    field = "protected_identity"
    rule = "protected_identity_imdi_only"

    def __init__(self) -> None:
        super().__init__("Bare IMDi kan endre om en person er skjermet.")


def follow_up_rows(person: m.Person) -> list[m.FollowUp]:
    """The person's current follow-up periods (one prepared statement on PostgreSQL)."""
    return current_rows(person.pk, (m.FollowUp,))


def _in_area(scope: Scope, fu: m.FollowUp) -> bool:
    return fu.municipality in scope.municipalities or bool(fu.district and fu.district in scope.districts)


def person_in_scope(user, person: m.Person, on: dt.date | None = None, *, rows: list | None = None) -> bool:
    """True when ``person_scope(user)`` covers ``person``'s follow-up municipality/district on ``on`` (today)."""
    scope: Scope | None = person_scope(user)
    if scope is None:
        return True
    if scope.empty:
        return False
    fu = follow_up_on(rows if rows is not None else follow_up_rows(person), on or timezone.localdate())
    if fu is None:
        return False
    return _in_area(scope, fu)


def former_follow_up(scope: Scope, follow_ups: list[m.FollowUp], today: dt.date) -> FormerFollowUp | None:
    """The last follow-up period in ``scope``'s area that ended before ``today`` (the person is not in
    the area today: check that first), as a ``FormerFollowUp``; None when the area never followed the
    person up. ``known_at``: the later of the start of the day after the period and the time its end
    was registered (a move registered afterwards), so nothing registered after the transfer is read."""
    ended = [r for r in follow_ups if r.valid_to is not None and r.valid_to < today and _in_area(scope, r)]
    last = max(ended, key=lambda r: (r.valid_to, r.id), default=None)
    if last is None or last.valid_to is None:
        return None
    moved_on = last.valid_to + dt.timedelta(days=1)
    start = timezone.make_aware(dt.datetime.combine(moved_on, dt.time.min))
    return FormerFollowUp(moved_on, max(start, last.recorded_at))


def may_register(user) -> bool:
    """Whether the user (or client) may register at all (within its scope)."""
    return policy.allows(user, policy.Permission.PERSON_WRITE)


def is_duf(value) -> bool:
    """A DUF number is at most 12 digits: anything else is never looked up (PostgreSQL refuses NUL bytes)."""
    return isinstance(value, str) and 0 < len(value) <= 12 and value.isascii() and value.isdigit()


def check_person(
    user, person: m.Person | None, follow_ups: list[m.FollowUp], *, duf: str = "", write: bool = False
) -> m.Person:
    """The rule of ``find_person`` for a person already read (None: no such person) with their current
    follow-up periods: ``PersonNotFound`` when ``user`` may not see them, ``ReadOnly`` when ``write``
    and the user may not register on them; else the person."""
    if person is None:
        raise PersonNotFound(duf)
    if not person_in_scope(user, person, rows=follow_ups):
        scope = person_scope(user)
        if scope is None or scope.empty:
            raise PersonNotFound(duf or person.duf)
        raise PersonElsewhere(duf or person.duf, person.pk, former_follow_up(scope, follow_ups, timezone.localdate()))
    if write and not may_register(user):
        raise ReadOnly()
    return person


def find_person(user, duf: str, *, write: bool = False) -> m.Person:
    """The person with DUF number ``duf`` if ``user`` may see them (and, with ``write``, register on them).

    A write locks the person itself (the action layer, ``nir.actions``, with
    ``person_by_duf(lock=True)`` and ``check_person``)."""
    return find_person_and_follow_ups(user, duf, write=write)[0]


def find_person_and_follow_ups(user, duf: str, *, write: bool = False) -> tuple[m.Person, list[m.FollowUp]]:
    """``find_person`` and the person's current follow-up periods the scope was judged by (read in the
    same statement), for a caller that shows or checks them too."""
    person, rows = person_by_duf(duf, (m.FollowUp,)) if is_duf(duf) else (None, [])
    follow_ups = [r for r in rows if isinstance(r, m.FollowUp)]
    return check_person(user, person, follow_ups, duf=duf, write=write), follow_ups
