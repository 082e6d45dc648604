"""The API's answer to ``nir.access.persons``: 404 for a person outside the principal's scope,
403 for a write by a principal that may only read (e.g. the county governor). The API's
authentication refuses such writes before this point (``API_RULES``); this check keeps the rule
true for every caller."""

from __future__ import annotations

from nir.access.persons import PersonNotFound, ReadOnly, find_person, follow_up_rows, may_register, person_in_scope
from nir.api.errors import ApiProblem
from nir.register import models as m

__all__ = ["follow_up_rows", "may_register", "person_for", "person_in_scope"]


def person_for(user, duf: str, *, write: bool = False, lock: bool = False) -> m.Person:
    """The person with DUF number ``duf`` if the user may see it (and, with ``write``, change it);
    ``lock``: locked for the one write that follows (``find_person``)."""
    try:
        return find_person(user, duf, write=write, lock=lock)
    except PersonNotFound as e:
        raise ApiProblem(404, str(e)) from None
    except ReadOnly as e:
        raise ApiProblem(403, str(e), errors=[{"field": "duf", "rule": "read_only_scope",
                                                "message": "lesetilgang"}]) from None
