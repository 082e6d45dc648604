"""The import of one person from the interchange format (``nir import``), as an action.

``nir import --user U`` acts as U, with U's permissions and scope: a person U may not register on
is refused (a county governor, who may only read, changes no one; a municipality changes only the
persons it follows up, and cannot create a person followed up by another). Without ``--user`` the
import acts as a named system actor (the ``--source`` system). Every imported person — created,
updated (``--update``) or with facts annulled by a snapshot — is recorded in the audit log, one event
per person, in the same transaction as the write; a line refused because its person is followed up
elsewhere records a refused read naming the person (``import:elsewhere``, ``audit_refused_elsewhere``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from nir.access import audit
from nir.access.models import AuditAction, AuditOutcome
from nir.access.persons import AccessRefused, PersonElsewhere, check_person
from nir.actions.acting import Acting
from nir.actions.registrations import _require_write, refused_by_access
from nir.register import models as m
from nir.register import services
from nir.register.errors import Problem, RegistrationRefused
from nir.register.interchange import ParsedPerson
from nir.register.services import ImportResult
from nir.register.snapshot_sql import current_rows, lock_person

__all__ = ["ImportResult", "RefusedElsewhere", "audit_refused_elsewhere", "import_person"]


def import_person(
    acting: Acting, parsed: ParsedPerson, *, at: dt.datetime | None = None, update: bool = False
) -> ImportResult:
    """Store one parsed interchange line (``services.import_person``), all or nothing, audited.

    Refusals — of access as well — are ``RegistrationRefused`` naming the field, as every other
    problem of a line is."""
    try:
        with transaction.atomic():
            existing = m.Person.objects.filter(duf=parsed.duf).first() if parsed.duf else None
            if existing is not None:
                lock_person(existing.pk)
                if not acting.unrestricted:
                    check_person(
                        acting.principal, existing, current_rows(existing.pk, (m.FollowUp,)), duf=parsed.duf, write=True
                    )
            else:
                _require_write(acting)
            result = services.import_person(parsed, acting.actor, at=at, update=update)
            if existing is None and not acting.unrestricted:
                _in_scope_after(acting, result.person)
            acting.audit(
                what="import:update" if existing is not None else "import",
                persons=[result.person.pk],
                filters={"created": result.created, "corrected": result.corrected, "annulled": result.annulled},
            )
    except PersonElsewhere as e:
        raise RefusedElsewhere(refused_by_access(e).problems, e.person_id) from None
    except AccessRefused as e:
        raise refused_by_access(e) from None
    return result


class RefusedElsewhere(RegistrationRefused):
    """A line refused because its person is followed up elsewhere: the refusal tells that the DUF number
    exists, so the caller records the lookup (``audit_refused_elsewhere``) once the line's — and, with
    ``--atomic``, the file's — transaction is over (a refused read survives the rollback)."""

    def __init__(self, problems: list[Problem], person_id: int):
        super().__init__(problems)
        self.person_id = person_id


def audit_refused_elsewhere(acting: Acting, person_ids: Iterable[int]) -> None:
    """One refused-read event (``import:elsewhere``, outcome denied) naming the persons of the lines
    refused because they are followed up elsewhere — as the API's batches record ``batch:elsewhere``."""
    audit.record(
        actor_user=acting.principal,
        action=str(AuditAction.READ),
        channel=acting.channel,
        what="import:elsewhere",
        persons=sorted(set(person_ids)),
        outcome=str(AuditOutcome.DENIED),
        request=acting.request,
        endpoint=acting.endpoint,
    )


def _in_scope_after(acting: Acting, person: m.Person) -> None:
    """A user creates only persons they may register on afterwards: followed up in their scope."""
    try:
        check_person(acting.principal, person, current_rows(person.pk, (m.FollowUp,)), write=True)
    except AccessRefused:
        raise RegistrationRefused(
            [
                Problem(
                    "follow_up_municipality",
                    "outside_scope",
                    "personen ville blitt fulgt opp utenfor ditt ansvarsområde; ingenting er lagret",
                )
            ]
        ) from None
