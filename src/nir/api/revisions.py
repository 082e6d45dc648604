"""Corrections and annulments of registrations: ``POST /persons/{duf}/<resource>/{id}/corrections`` and
``…/annulments``, for every registration kind (``nir.register.kinds``: its ``resource``).

A correction is a new version that supersedes the registration (the changed values and a reason); an
annulment (sletting) is a row that supersedes it with a reason. Nothing is overwritten or deleted: the
register is append-only and the history shows every version with who, when and why. Both go through
the actions ``nir.actions.correct_registration``/``annul_registration`` — the access check, the
register's validation and the Regelmotor's judgement, the storage and the audit event, in one
transaction — and answer with the new version and the person's new derived status.

Errors: 404 for an unknown person or one outside the scope, and for no registration ``{id}`` of that
kind about that person; 403 read-only; 409 when ``{id}`` is no longer the current version (corrected
or annulled since it was read: a resend of the same correction is refused, never stored twice); 422
when refused (the reason missing, a value invalid, nothing changed, or the Regelmotor's rule).

The person's own details (``details``: name, national id, birth date, sex, education, skjermet) are
corrected the same way, and never annulled (no ``…/annulments``); a change of ``protected_identity``
by anyone but IMDi is refused with 403 (``policy.may_change_protected_identity``).
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Router

from nir import actions
from nir.access.persons import AccessRefused
from nir.access.read import person_out
from nir.api.access import refusal
from nir.api.errors import ApiProblem
from nir.api.persons import registration_out
from nir.api.render import answer
from nir.api.schemas import CORRECTION_SCHEMAS, REVISION_PROBLEMS, AnnulmentIn, RevisionResult
from nir.register import kinds
from nir.register import models as m
from nir.register.errors import ConcurrentChange, Problem, RegistrationNotFound, RegistrationRefused
from nir.register.interchange import parse_fields

router = Router(tags=["corrections"])

ID = Annotated[int, Path(ge=1, le=2**63 - 1, description="The registration's id (`registration.id` of its answer)")]


def _field(kind: kinds.RegistrationKind, name: str) -> str:
    """A problem's field as the request named it: ``values.<key>``, ``reason``, or the Regelmotor's fact."""
    to_json = {f: j for j, f, _k, _r in kind.spec}
    for prefix in (f"{kind.name}.", f"{kind.model.FACT_KEY}."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    head, sep, rest = name.partition(".")
    if head in ("reason", "id", "values", "registered_at") or head.startswith(kind.model.FACT_KEY + "["):
        return name
    return "values." + to_json.get(head, head) + sep + rest


def _problem(e: Exception, kind: kinds.RegistrationKind) -> ApiProblem:
    if isinstance(e, AccessRefused):
        return refusal(e)
    if isinstance(e, RegistrationNotFound):
        return ApiProblem(404, f"Ingen registrering av typen {kind.resource} med id-en finnes for personen.")
    assert isinstance(e, RegistrationRefused)
    errors = [Problem(_field(kind, p.field), p.rule, p.message) for p in e.problems]
    text = "; ".join(f"{x.field}: {x.message} [{x.rule}]" for x in errors)
    if isinstance(e, ConcurrentChange):
        return ApiProblem(
            409,
            "Registreringen er ikke lenger gjeldende versjon; hent personen og rett den gjeldende. " + text,
            slug="not-current",
            title="Registreringen er allerede korrigert eller slettet",
            errors=errors,
        )
    return ApiProblem(
        422,
        "Registreringen ble avvist; ingenting er lagret. " + text,
        slug="registration-refused",
        title="Registreringen ble avvist",
        errors=errors,
    )


def _current_json(kind: kinds.RegistrationKind, row: m.Registration) -> dict[str, Any]:
    """The row's values under its kind's keys, as a request would send them."""
    out: dict[str, Any] = {}
    for json_key, fname, _k, _r in kind.spec:
        v = getattr(row, fname)
        out[json_key] = v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v
    return out


def _changes(kind: kinds.RegistrationKind, sent: dict[str, Any]):
    """The model values of the corrected registration: its current values with the keys sent, parsed
    as a new registration of the kind is (``interchange.parse_fields``, the kind's defaults)."""

    def changes(row: m.Registration) -> dict[str, Any]:
        problems: list[Problem] = []
        values = parse_fields(_current_json(kind, row) | sent, kind.spec, kind.name, problems)
        if problems:
            raise RegistrationRefused(problems)
        return kind.with_defaults(values)

    return changes


def _answer(request: HttpRequest, kind: kinds.RegistrationKind, outcome) -> Any:
    row = outcome.row
    return answer(
        201,
        RevisionResult,
        {
            "registration": {
                **registration_out(row, kind.name, request.auth),
                "operation": row.operation,
                "supersedes": row.supersedes_id,
                "reason": row.change_reason,
            },
            "warnings": [
                {"field": _field(kind, w.field), "rule": w.rule, "message": w.message} for w in outcome.warnings
            ],
            "person": person_out(request.auth, row.person),
        },
    )


def _make(kind: kinds.RegistrationKind) -> None:
    schema = CORRECTION_SCHEMAS[kind.resource]
    label = kind.resource.replace("-", " ")

    def correct(request: HttpRequest, duf: str, id: ID, payload: schema):  # type: ignore[valid-type]  # noqa: A002
        sent = payload.values.model_dump(mode="json", by_alias=True, exclude_unset=True)
        try:
            outcome = actions.correct_registration(
                actions.Acting.from_request(request), duf, kind.model, id, _changes(kind, sent), payload.reason
            )
        except (AccessRefused, RegistrationNotFound, RegistrationRefused) as e:
            raise _problem(e, kind) from None
        return _answer(request, kind, outcome)

    def annul(request: HttpRequest, duf: str, id: ID, payload: AnnulmentIn):  # noqa: A002
        try:
            outcome = actions.annul_registration(
                actions.Acting.from_request(request), duf, kind.model, id, payload.reason
            )
        except (AccessRefused, RegistrationNotFound, RegistrationRefused) as e:
            raise _problem(e, kind) from None
        return _answer(request, kind, outcome)

    correct.__name__ = f"correct_{kind.name}"
    correct.__doc__ = (
        f"Correct the `{kind.name}` registration `{{id}}`: a new version with the values sent (the others "
        "kept) and the reason supersedes it, judged by the Regelmotor like any write. 201: the new version and "
        "the person's new derived status; 409: `{id}` is no longer the current version; 422: refused."
    )
    annul.__name__ = f"annul_{kind.name}"
    annul.__doc__ = (
        f"Annul (delete) the `{kind.name}` registration `{{id}}` with a reason: it stops counting, the history "
        "keeps it. 201: the annulment and the person's new derived status; 409: `{id}` is no longer the "
        "current version; 422: refused."
    )
    base = f"/persons/{{duf}}/{kind.resource}/{{id}}"
    router.post(
        f"{base}/corrections",
        response={201: RevisionResult, **REVISION_PROBLEMS},
        by_alias=True,
        summary=f"Correct a registration of {label}",
    )(correct)
    if not kind.annullable:  # the person's details: corrected, never annulled
        return
    router.post(
        f"{base}/annulments",
        response={201: RevisionResult, **REVISION_PROBLEMS},
        by_alias=True,
        summary=f"Annul a registration of {label}",
    )(annul)


for _kind in kinds.REVISABLE:
    _make(_kind)
