"""The action that registers a move between municipalities (flytting, issue 16 § 2).

    move = actions.move(acting, duf, {"move_date": date(2026, 3, 1), "municipality": "4601",
                                      "district": "", "address": "", "postal_code": ""})
    move.follow_up, move.ended_follow_up, move.residence, move.outcome

One transaction: the access check, the storage (``nir.register.services.register_move``: the current
follow-up period and residence are ended by corrections, the new ones start on the move date, all
judged by the Regelmotor, which derives the person's status anew — the deadlines follow the person)
and the audit event.

Who may register a move: whoever may register on the person today — the municipality (or district)
that follows the person up (the sending municipality) and IMDi. The receiving municipality may not:
it cannot see the person before the move (a person outside a user's area is not found), and letting
any municipality move a person into its own area would let it take over anyone's follow-up, and so
their personal data, by DUF number alone. It asks the sending municipality or IMDi (docs/access.md).
The county governor only reads (``ReadOnly``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from nir.actions.acting import Acting
from nir.actions.registrations import _for_write
from nir.register import services

MOVE_FIELDS = ("move_date", "municipality", "district", "address", "postal_code")


def move(acting: Acting, duf: str, values: dict[str, Any], *, at: dt.datetime | None = None) -> services.Move:
    """Register a move of the person with DUF number ``duf`` (``services.register_move``), audited.

    Raises ``AccessRefused`` (nothing written, nothing audited) or ``RegistrationRefused``."""
    unknown = set(values) - set(MOVE_FIELDS)
    if unknown:
        raise ValueError(f"unknown move fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        person, follow_ups, _rows = _for_write(acting, duf)
        done = services.register_move(person, values, acting.actor, at=at, follow_ups=follow_ups)
        acting.audit(
            what="move",
            persons=[person.pk],
            filters={"move_date": done.follow_up.valid_from.isoformat()},
        )
    done.outcome.follow_ups = [done.ended_follow_up, done.follow_up]
    return done
