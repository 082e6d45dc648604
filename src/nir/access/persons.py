"""Access to one person: whether a principal may see or register on them.

Who sees whom is decided in one place, ``nir.access.scope.person_scope``; this module applies
that scope to one person — their follow-up municipality or district (oppfølgingskommune/-bydel)
on a date — for every read path that shows one person (the API, the web pages, the Regelmotor's
explanation). Each entry point turns the outcome into its own answer:

* a person the principal may not see is *not found* (``PersonNotFound``; HTTP 404), for reads and
  writes alike, so that no entry point reveals that a DUF number exists;
* a person the principal may see but not change raises ``ReadOnly`` (HTTP 403): a principal without
  ``person.write`` (``nir.access.policy``), e.g. the county governor (statsforvalter), whose scope
  is supervision (read only).
"""

from __future__ import annotations

import datetime as dt

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


class ReadOnly(AccessRefused):
    """The principal may see the person but not register on them."""

    def __init__(self) -> None:
        super().__init__("Du kan lese denne personen, men ikke registrere på den (tilsyn).")


def follow_up_rows(person: m.Person) -> list[m.FollowUp]:
    """The person's current follow-up periods (one prepared statement on PostgreSQL)."""
    return current_rows(person.pk, (m.FollowUp,))


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
    return fu.municipality in scope.municipalities or bool(fu.district and fu.district in scope.districts)


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
    if person is None or not person_in_scope(user, person, rows=follow_ups):
        raise PersonNotFound(duf or getattr(person, "duf", ""))
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
