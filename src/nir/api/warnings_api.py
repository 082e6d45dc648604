"""Plausibility warnings and «Kontrollert» in the API (issue 16 § 3; docs/rules.md «Plausibility»).

    GET  /persons/{duf}/warnings                                   the person's open warnings
    POST /persons/{duf}/warnings/{warning_id}/acknowledgements     «Kontrollert» (``nir.actions.acknowledge_warning``)

A warning is open while the registration it is about is current (a correction or annulment closes
it). Each is listed with its acknowledgement, if a caseworker has checked it (who, when, comment).
Acknowledging needs ``person.write`` on a person in scope: 404 outside it, 403 read-only (the county
governor), 404 an unknown warning of the person, 409 a warning already acknowledged or closed.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from nir import actions
from nir.access import audit
from nir.access.persons import AccessRefused, find_person
from nir.actions import warnings as w
from nir.api.access import audit_elsewhere, refusal
from nir.api.errors import ApiProblem
from nir.api.render import answer
from nir.api.schemas import PROBLEMS, REVISION_PROBLEMS, Out
from nir.reports.worklist import person_warnings

router = Router(tags=["warnings"])


class AcknowledgementIn(Schema):
    comment: str = Field("", max_length=w.COMMENT_MAX, description="Why the registration is right (optional)")


class AcknowledgementOut(Out):
    acknowledged_at: dt.datetime
    acknowledged_by: str = Field(description="The user name, API client or system that checked the warning")
    comment: str


class WarningOut(Out):
    id: int
    kind: str = Field(description="The registration kind (nir.register.kinds: participation, measures, …)")
    registration_id: int
    rule: str = Field(description="The plausibility rule (docs/rules.md «Plausibility»)")
    field: str
    message: str
    recorded_at: dt.datetime
    acknowledgement: AcknowledgementOut | None = Field(None, description="«Kontrollert»; null: not checked")


class WarningsOut(Out):
    duf: str
    count: int
    warnings: list[WarningOut]


class AcknowledgementResult(Out):
    warning: WarningOut


def _warning(r: dict) -> dict:
    ack = None
    if r["ack_at"] is not None:
        ack = {"acknowledged_at": r["ack_at"], "acknowledged_by": r["ack_by"] or "", "comment": r["ack_comment"] or ""}
    return {
        "id": r["pk"],
        "kind": r["kind"],
        "registration_id": r["registration_id"],
        "rule": r["rule"],
        "field": r["field"],
        "message": r["message"],
        "recorded_at": r["recorded_at"],
        "acknowledgement": ack,
    }


@router.get(
    "/persons/{duf}/warnings",
    response={200: WarningsOut, **PROBLEMS},
    by_alias=True,
    summary="The person's open plausibility warnings",
)
def list_warnings(request: HttpRequest, duf: str):
    """Every open plausibility warning of the person (its registration still current), oldest first,
    with its acknowledgement («Kontrollert») if checked. 404: no such person in the caller's area."""
    try:
        person = find_person(request.auth, duf)
    except AccessRefused as e:
        audit_elsewhere(request, e, "warnings:elsewhere")
        raise refusal(e) from None
    rows = [_warning(r) for r in person_warnings(person.pk)]
    audit.record(
        request=request, actor_user=request.auth, action="read", channel="api", what="warnings", persons=[person.pk]
    )
    return answer(200, WarningsOut, {"duf": person.duf, "count": len(rows), "warnings": rows})


@router.post(
    "/persons/{duf}/warnings/{warning_id}/acknowledgements",
    response={201: AcknowledgementResult, **REVISION_PROBLEMS},
    by_alias=True,
    summary="Acknowledge a plausibility warning («Kontrollert»)",
)
def acknowledge(request: HttpRequest, duf: str, warning_id: int, payload: AcknowledgementIn):
    """The registration was checked and is right: the warning leaves the data-quality work list (the
    registration is unchanged). 201: the warning with its acknowledgement; 404: no such person in
    the caller's area or no such warning of the person; 403: read-only; 409: already acknowledged, or
    the registration has been corrected or annulled (the warning is closed)."""
    try:
        ack = actions.acknowledge_warning(actions.Acting.from_request(request), duf, warning_id, payload.comment)
    except AccessRefused as e:
        audit_elsewhere(request, e, "warning:elsewhere")
        raise refusal(e) from None
    except w.WarningNotFound as e:
        raise ApiProblem(
            404, str(e), errors=[{"field": "warning_id", "rule": "not_found", "message": str(e)}]
        ) from None
    except (w.AlreadyAcknowledged, w.WarningNotOpen) as e:
        rule = "already_acknowledged" if isinstance(e, w.AlreadyAcknowledged) else "warning_closed"
        raise ApiProblem(409, str(e), errors=[{"field": "warning_id", "rule": rule, "message": str(e)}]) from None
    except w.WarningRefused as e:
        raise ApiProblem(422, str(e), errors=[{"field": "comment", "rule": "too_long", "message": str(e)}]) from None
    warning = ack.warning
    doc = _warning(
        {
            "pk": warning.pk,
            "kind": warning.kind,
            "registration_id": warning.registration_id,
            "rule": warning.rule,
            "field": warning.field,
            "message": warning.message,
            "recorded_at": warning.recorded_at,
            "ack_at": ack.recorded_at,
            "ack_by": ack.registered_by_label,
            "ack_comment": ack.comment,
        }
    )
    return answer(201, AcknowledgementResult, {"warning": doc})
