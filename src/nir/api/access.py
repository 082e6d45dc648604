"""Access control of the API: who may read and register what about a person.

Who sees whom is decided in one place, ``nir.access.scope.person_scope``; this
module only applies that scope to one person — their follow-up municipality or
district (oppfølgingskommune/-bydel) on a date — and decides the HTTP answer:

* a person the user may not see is *not found* (404), for reads and writes alike,
  so that the API never reveals that a DUF number exists;
* a person the user may see but not change is *forbidden* (403): a principal without
  ``person.write`` (``nir.access.policy``), e.g. the county governor (statsforvalter),
  whose scope is supervision (read only). The API's authentication refuses such writes
  before this point (``API_RULES``); this check keeps the rule true for every caller.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from nir.access import policy
from nir.access.scope import Scope, person_scope
from nir.api.errors import ApiProblem
from nir.register import models as m
from nir.register.history import follow_up_on
from nir.register.snapshot_sql import current_rows

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


def person_for(user, duf: str, *, write: bool = False) -> m.Person:
    """The person with DUF number ``duf`` if the user may see it (and, with ``write``, change it)."""
    # A DUF number is 12 digits: anything else is not looked up (PostgreSQL refuses NUL bytes in a query).
    is_duf = isinstance(duf, str) and len(duf) <= 12 and duf.isascii() and duf.isdigit()
    person = m.Person.objects.filter(duf=duf).first() if is_duf else None
    if person is not None:
        person._follow_ups = follow_up_rows(person)  # kept for the answer (nir.api.persons.person_out)
    if person is None or not person_in_scope(user, person, rows=person._follow_ups):
        raise ApiProblem(404, f"Fant ingen person med DUF-nummer {duf[:20]!s} som du har tilgang til.")
    if write and not may_register(user):
        raise ApiProblem(403, "Du kan lese denne personen, men ikke registrere på den (tilsyn).",
                         errors=[{"field": "duf", "rule": "read_only_scope", "message": "lesetilgang"}])
    return person
