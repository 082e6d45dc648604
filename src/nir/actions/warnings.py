"""The action «Kontrollert»: a caseworker acknowledges a plausibility warning (issue 16 § 3).

    ack = actions.acknowledge_warning(acting, duf, warning_id, comment="Kurset er 45 timer i uka.")

A plausibility warning (docs/rules.md «Plausibility») stays in the data-quality work list while its
registration is current. When the caseworker has checked it and the registration is right (a real
45-hour course), this action records that: a ``WarningAcknowledgement`` row referring to the warning
(append-only; the warning and the registration are unchanged), and the warning leaves the work list.

One transaction: the access check (``person.write`` on a person in scope, as every registration:
``PersonNotFound`` outside it, ``ReadOnly`` for the county governor), the row and the audit event.
Only an open warning (its registration still current) can be acknowledged, and only once
(``WarningNotOpen``, ``AlreadyAcknowledged``). The comment is optional (at most ``COMMENT_MAX``
characters): the row already says who checked and when; a comment says why, where that helps.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from nir.actions.acting import Acting
from nir.actions.registrations import _for_write
from nir.register import kinds
from nir.register import models as m

COMMENT_MAX = 500


class WarningRefused(Exception):
    """The acknowledgement is refused (nothing written); ``str(e)`` says why, in bokmål."""


class WarningNotFound(WarningRefused):
    def __init__(self, warning_id: object):
        super().__init__(f"Fant ingen plausibilitetsadvarsel {warning_id} på denne personen.")


class WarningNotOpen(WarningRefused):
    def __init__(self) -> None:
        super().__init__("Registreringen advarselen gjelder, er rettet eller slettet: advarselen er ikke lenger åpen.")


class AlreadyAcknowledged(WarningRefused):
    def __init__(self, ack: m.WarningAcknowledgement):
        self.acknowledgement = ack
        super().__init__("Advarselen er allerede kontrollert.")


class CommentTooLong(WarningRefused, ValueError):
    def __init__(self) -> None:
        super().__init__(f"Kommentaren kan være høyst {COMMENT_MAX} tegn.")


def warning_is_open(warning: m.PlausibilityWarning) -> bool:
    """Whether the registration the warning is about is still current (not corrected, not annulled)."""
    model = kinds.get(warning.kind).model
    return model.objects.current().filter(pk=warning.registration_id).exists()


def acknowledge_warning(
    acting: Acting, duf: str, warning_id: int, comment: str = "", *, at: dt.datetime | None = None
) -> m.WarningAcknowledgement:
    """Record that the plausibility warning ``warning_id`` of the person ``duf`` is checked, audited.

    Raises ``AccessRefused`` (``PersonNotFound``, ``ReadOnly``) or ``WarningRefused``; nothing is
    written then."""
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise CommentTooLong()
    with transaction.atomic():
        person, _follow_ups, _rows = _for_write(acting, duf)  # locks the person: no second acknowledgement races
        warning = m.PlausibilityWarning.objects.filter(pk=warning_id, person=person).first()
        if warning is None:
            raise WarningNotFound(warning_id)
        existing = m.WarningAcknowledgement.objects.filter(warning=warning).first()
        if existing is not None:
            raise AlreadyAcknowledged(existing)
        if not warning_is_open(warning):
            raise WarningNotOpen()
        ack = m.WarningAcknowledgement.objects.create(
            warning=warning,
            person=person,
            comment=comment,
            recorded_at=at or timezone.now(),
            **acting.actor.row_fields(),
        )
        acting.audit(
            what="warning:acknowledge",
            persons=[person.pk],
            filters={"warning": warning.pk, "rule": warning.rule, "kind": warning.kind},
        )
    return ack
