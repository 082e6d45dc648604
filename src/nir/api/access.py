"""The API's answer to ``nir.access.persons``: 404 for a person outside the principal's scope,
403 for a write by a principal that may only read (e.g. the county governor). The API's
authentication refuses such writes before this point (``API_RULES``); this check keeps the rule
true for every caller."""

from __future__ import annotations

from nir.access.persons import (
    AccessRefused,
    PersonNotFound,
    ReadOnly,
    find_person,
    follow_up_rows,
    may_register,
    person_in_scope,
)
from nir.api.errors import ApiProblem
from nir.register import models as m

__all__ = ["follow_up_rows", "may_register", "person_for", "person_in_scope", "refusal"]


def refusal(e: AccessRefused) -> ApiProblem:
    """The API's answer to an access refusal: 404 for a person not found (or outside the scope),
    403 for a read-only principal."""
    if isinstance(e, ReadOnly):
        return ApiProblem(403, str(e), errors=[{"field": "duf", "rule": "read_only_scope", "message": "lesetilgang"}])
    return ApiProblem(404, str(e))


def person_for(user, duf: str, *, write: bool = False) -> m.Person:
    """The person with DUF number ``duf`` if the user may see it (and, with ``write``, change it)."""
    try:
        return find_person(user, duf, write=write)
    except (PersonNotFound, ReadOnly) as e:
        raise refusal(e) from None
