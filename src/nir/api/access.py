"""The API's answer to ``nir.access.persons``: 404 for a person outside the principal's scope,
403 for a write by a principal that may only read (e.g. the county governor). The API's
authentication refuses such writes before this point (``API_RULES``); this check keeps the rule
true for every caller."""

from __future__ import annotations

from nir.access import audit
from nir.access.models import AuditOutcome
from nir.access.persons import (
    AccessRefused,
    PersonElsewhere,
    PersonNotFound,
    ProtectedIdentityRefused,
    ReadOnly,
    find_person,
    follow_up_rows,
    may_register,
    person_in_scope,
)
from nir.api.errors import ApiProblem
from nir.register import models as m

__all__ = ["audit_elsewhere", "follow_up_rows", "may_register", "person_for", "person_in_scope", "refusal"]


def refusal(e: AccessRefused) -> ApiProblem:
    """The API's answer to an access refusal: 404 for a person not found (or outside the scope),
    403 for a read-only principal."""
    if isinstance(e, ProtectedIdentityRefused):
        return ApiProblem(403, str(e), errors=[{"field": f"values.{e.field}", "rule": e.rule, "message": str(e)}])
    if isinstance(e, ReadOnly):
        return ApiProblem(403, str(e), errors=[{"field": "duf", "rule": "read_only_scope", "message": "lesetilgang"}])
    if isinstance(e, PersonElsewhere):
        # The DUF number exists, followed up outside the principal's area: said so, nothing more (issue 16 § 2).
        return ApiProblem(
            404,
            str(e),
            slug="person-followed-up-elsewhere",
            title="Følges opp av en annen kommune",
            errors=[
                {
                    "field": "duf",
                    "rule": "moved_away" if e.former is not None else "followed_up_elsewhere",
                    "message": "personen følges opp av en annen kommune eller bydel",
                }
            ],
        )
    return ApiProblem(404, str(e))


def audit_elsewhere(request, e: AccessRefused, what: str) -> None:
    """Audit a lookup answered with ``PersonElsewhere`` (it tells that the DUF number exists):
    a refused read naming the person. Other refusals name no person and are not recorded."""
    if isinstance(e, PersonElsewhere):
        audit.record(
            request=request,
            actor_user=request.auth,
            action="read",
            channel="api",
            what=what,
            persons=[e.person_id],
            outcome=AuditOutcome.DENIED,
        )


def person_for(user, duf: str, *, write: bool = False) -> m.Person:
    """The person with DUF number ``duf`` if the user may see it (and, with ``write``, change it)."""
    try:
        return find_person(user, duf, write=write)
    except (PersonNotFound, ReadOnly) as e:
        raise refusal(e) from None
