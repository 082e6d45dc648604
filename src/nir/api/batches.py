"""``POST /batches``: up to 10,000 registrations in one request, idempotent and atomic.

* Each item names the client's own ``id``, the person (``duf``), the kind (the path segment of the
  single-registration endpoint: ``decisions``, ``absences``, …) and the ``values`` that endpoint takes.
  Every item gets the same validation and access check as a single registration, and the valid
  ones are written by the action ``nir.actions.register_batch`` (``services.register_many``, the bulk
  form of the one write path, and one audit event naming every person written): the same
  outcome as registering them one after the other (later items see earlier accepted ones), with the
  batch's persons locked and read once and each person's derived status stored once.
* The idempotency key belongs to the caller: a machine client (``client:<client_id>``) or a user.
* ``mode``: ``atomic`` (default) — one refused item refuses the whole batch (422, every refused item
  listed with its index; nothing stored); ``partial`` — the valid items are registered and the refused
  ones reported (201 with a result per item).
* ``Idempotency-Key`` (header, required): the batch and its answer are stored in the same transaction
  as its registrations. Sending the same body with the same key again replays the stored answer
  (header ``Idempotent-Replayed: true``) and registers nothing; the same key with another body is
  refused (422). Two requests with the same key at the same time: the second waits for the first
  and then replays its answer (the key is unique in the database), so nothing is created twice.
* A crash in the middle leaves nothing: the registrations and the remembered batch commit together.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, Router, Schema, Status
from pydantic import Field, ValidationError

from nir import actions
from nir.access import audit
from nir.access.models import AuditOutcome
from nir.access.persons import AccessRefused, PersonElsewhere
from nir.api.access import refusal
from nir.api.auth import principal_key
from nir.api.errors import PROBLEM_CONTENT_TYPE, ApiProblem, render
from nir.api.models import Batch
from nir.api.persons import _api_field, _refused, _values
from nir.api.schemas import INPUT_SCHEMAS, PROBLEMS, WRITE_KINDS, Out, ProblemError
from nir.register import models as m
from nir.register.errors import RegistrationRefused
from nir.register.validation import text_problems

router = Router(tags=["batches"])

MAX_ITEMS = 10_000
Kind = Literal.__getitem__(tuple(WRITE_KINDS))  # the single-registration endpoints' path segments


class BatchItem(Schema):
    id: str = Field(..., min_length=1, max_length=100, description="The client's own id of the item")
    duf: str = Field(..., min_length=1, max_length=12, description="DUF-nummer")
    kind: Kind = Field(..., description="What is registered: the segment of POST /persons/{duf}/<kind>")
    values: dict[str, Any] = Field(..., description="The body POST /persons/{duf}/<kind> takes")


class BatchIn(Schema):
    mode: Literal["atomic", "partial"] = "atomic"
    items: list[BatchItem] = Field(..., min_length=1, max_length=MAX_ITEMS)


class BatchItemResult(Out):
    index: int
    id: str
    status: Literal["created", "refused"]
    registration_id: int | None = None
    errors: list[ProblemError] = []
    # Plausibility warnings of a created item (docs/rules.md «Plausibility»): stored, to be checked.
    warnings: list[ProblemError] = []


class BatchOut(Out):
    batch_id: int
    mode: str
    items: int
    accepted: int
    refused: int
    results: list[BatchItemResult]


def _item_errors(index: int, exc: Exception) -> list[dict]:
    prefix = f"items[{index}]"
    if isinstance(exc, ValidationError):
        return [
            {"field": f"{prefix}.values." + ".".join(str(p) for p in e["loc"]), "rule": e["type"], "message": e["msg"]}
            for e in exc.errors()
        ]
    if isinstance(exc, ApiProblem):
        field_prefix = f"{prefix}.duf" if exc.status in (403, 404) else f"{prefix}.values"
        errs = exc.errors or [{"field": "", "rule": exc.slug, "message": exc.detail}]
        out = []
        for e in errs:
            field = e.get("field") or ""
            if exc.status in (403, 404):
                field = ""
            out.append(
                {
                    "field": f"{field_prefix}.{field}" if field else field_prefix,
                    "rule": e.get("rule") or exc.slug,
                    "message": e.get("message") or exc.detail,
                }
            )
        if exc.status == 404:
            out = [{"field": f"{prefix}.duf", "rule": "not_found", "message": exc.detail}]
        return out
    raise exc


def _preparer(item: BatchItem):
    """The input validation of one item, writing nothing: a function giving its values (called by the
    action after the item's access check; raises ``ApiProblem``/``ValidationError``)."""
    key, _model = WRITE_KINDS[item.kind]

    def prepare() -> dict[str, Any]:
        return _values(key, INPUT_SCHEMAS[item.kind].model_validate(item.values))

    return prepare


def _register_items(
    request: HttpRequest, items: list[BatchItem], mode: str, warnings: list[list[dict]] | None = None
) -> list[m.Registration | Exception]:
    """Each item's stored row, or why it was refused (``ApiProblem``/``ValidationError``), exactly as
    registering the items one after the other, each in a savepoint, would give: access check and
    input validation per item, then one bulk write of the valid ones — the action
    ``nir.actions.register_batch``, which also records the audit event. ``warnings``: filled with
    each item's warnings (``errors[]``-shaped, the field under ``items[i].values``)."""
    results = actions.register_batch(
        actions.Acting.from_request(request),
        [actions.BatchItem(item.duf, WRITE_KINDS[item.kind][1], _preparer(item)) for item in items],
        invalid=(ApiProblem, ValidationError),
        filters={"mode": mode},
    )
    out: list[m.Registration | Exception] = []
    for i, (item, result) in enumerate(zip(items, results)):
        error = result.error
        if warnings is not None:
            key, model = WRITE_KINDS[item.kind]
            warnings.append(
                [
                    {
                        "field": f"items[{i}].values.{_api_field(key, model, w.field)}",
                        "rule": w.rule,
                        "message": w.message,
                    }
                    for w in result.warnings
                ]
            )
        if error is None:
            out.append(result.row)
        elif isinstance(error, AccessRefused):
            problem = refusal(error)
            if isinstance(error, PersonElsewhere):
                problem.elsewhere_person = error.person_id  # for the audit event of an atomic refusal
            out.append(problem)
        elif isinstance(error, RegistrationRefused):
            key, model = WRITE_KINDS[item.kind]
            out.append(_refused(key, model, error.problems, "Registreringen ble avvist."))
        else:
            out.append(error)
    return out


def _digest(payload: BatchIn) -> str:
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(owner: str, key: str, digest: str) -> HttpResponse | None:
    stored = Batch.objects.filter(owner=owner, idempotency_key=key).first()
    if stored is None:
        return None
    if stored.request_sha256 != digest:
        raise ApiProblem(
            422,
            "Idempotency-Key er brukt før med en annen batch; bruk en ny nøkkel.",
            slug="idempotency-key-reused",
            title="Nøkkelen er brukt",
            errors=[
                {"field": "Idempotency-Key", "rule": "idempotency_key_reused", "message": "samme nøkkel, annen batch"}
            ],
        )
    content_type = PROBLEM_CONTENT_TYPE if stored.status_code >= 400 else "application/json"
    response = HttpResponse(
        json.dumps(stored.response, ensure_ascii=False),
        status=stored.status_code,
        content_type=f"{content_type}; charset=utf-8",
    )
    response["Idempotent-Replayed"] = "true"
    return response


class _AtomicRefused(Exception):
    def __init__(self, errors: list[dict], refused: int):
        self.errors = errors
        self.refused = refused


@router.post("/batches", response={201: BatchOut, **PROBLEMS}, summary="Register up to 10,000 facts at once")
def post_batch(
    request: HttpRequest,
    payload: BatchIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=200),
):
    """Idempotent, atomic bulk registration (see the module text): ``atomic`` or ``partial`` mode."""
    user = request.auth  # a User or a machine client's ClientPrincipal
    owner = principal_key(user)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in idempotency_key):
        raise ApiProblem(
            400,
            "Idempotency-Key kan ikke inneholde kontrolltegn.",
            errors=[{"field": "Idempotency-Key", "rule": "control_character", "message": "kontrolltegn"}],
        )
    # The register's one check of unstorable text (NUL, control characters), over the whole batch
    # first: item ids and refusals are kept in the stored answer, which cannot hold them either.
    unstorable = [
        p.as_dict()
        for i, item in enumerate(payload.items)
        for p in text_problems(item.model_dump(mode="json"), f"items[{i}]")
    ]
    if unstorable:
        raise ApiProblem(
            422,
            "Batchen inneholder tegn som ikke kan lagres (NUL eller andre kontrolltegn); ingenting er lagret.",
            errors=unstorable,
        )
    digest = _digest(payload)
    replayed = _replay(owner, idempotency_key, digest)
    if replayed is not None:
        return replayed
    seen: set[str] = set()
    for i, item in enumerate(payload.items):
        if item.id in seen:
            raise ApiProblem(
                422,
                f"id {item.id!r} er brukt på flere elementer i batchen.",
                errors=[{"field": f"items[{i}].id", "rule": "duplicate_item_id", "message": "ikke unik"}],
            )
        seen.add(item.id)

    now = timezone.now()
    storing = False
    try:
        with transaction.atomic():
            results: list[dict] = []
            errors: list[dict] = []
            warned: list[list[dict]] = []
            registered = _register_items(request, payload.items, payload.mode, warned)
            for i, (item, got) in enumerate(zip(payload.items, registered)):
                if isinstance(got, Exception):
                    item_errors = _item_errors(i, got)
                    errors.extend(item_errors)
                    results.append(
                        {"index": i, "id": item.id, "status": "refused", "registration_id": None, "errors": item_errors}
                    )
                else:
                    results.append(
                        {
                            "index": i,
                            "id": item.id,
                            "status": "created",
                            "registration_id": got.pk,
                            "errors": [],
                            "warnings": warned[i],
                        }
                    )
            refused = sum(1 for r in results if r["status"] == "refused")
            if payload.mode == "atomic" and refused:
                raise _AtomicRefused(errors, refused)
            storing = True
            batch = Batch.objects.create(
                owner=owner,
                idempotency_key=idempotency_key,
                request_sha256=digest,
                mode=payload.mode,
                created_at=now,
                items=len(results),
                accepted=len(results) - refused,
                refused=refused,
                status_code=201,
                response={},
            )
            body = {
                "batch_id": batch.pk,
                "mode": payload.mode,
                "items": len(results),
                "accepted": len(results) - refused,
                "refused": refused,
                "results": results,
            }
            Batch.objects.filter(pk=batch.pk).update(response=body)
    except _AtomicRefused as e:
        # Nothing is stored, the action's events neither: an item refused because its person is followed
        # up elsewhere still told that the DUF number exists, so that lookup is recorded (docs/access.md).
        elsewhere = {x.elsewhere_person for x in registered if getattr(x, "elsewhere_person", None)}
        if elsewhere:
            audit.record(
                request=request,
                actor_user=request.auth,
                action="read",
                channel="api",
                what="batch:elsewhere",
                persons=elsewhere,
                outcome=AuditOutcome.DENIED,
            )
        problem = ApiProblem(
            422,
            f"{e.refused} av {len(payload.items)} elementer ble avvist; ingenting er lagret (mode atomic).",
            slug="batch-refused",
            title="Batchen ble avvist",
            errors=e.errors,
        )
        response = render(request, problem)
        try:
            with transaction.atomic():
                Batch.objects.create(
                    owner=owner,
                    idempotency_key=idempotency_key,
                    request_sha256=digest,
                    mode=payload.mode,
                    created_at=now,
                    items=len(payload.items),
                    accepted=0,
                    refused=e.refused,
                    status_code=422,
                    response=json.loads(response.content),
                )
        except IntegrityError:
            pass  # the same batch was answered meanwhile; its answer stands
        return response
    except IntegrityError:
        if not storing:
            raise
        # The same key was committed by a concurrent request while this one ran: everything of this one
        # was rolled back; answer as that one did.
        replayed = _replay(owner, idempotency_key, digest)
        if replayed is not None:
            return replayed
        raise
    return Status(201, body)
