"""``/persons``: read a person with the Regelmotor's derived status, list persons, register facts."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from nir import actions
from nir.access import audit
from nir.access.persons import AccessRefused, PersonElsewhere, find_person
from nir.access.read import READ_MODELS, former_rows, person_document, person_out, read_former
from nir.access.scope import person_scope
from nir.api.access import audit_elsewhere, refusal
from nir.api.errors import ApiProblem
from nir.api.render import answer
from nir.api.schemas import (
    INPUT_SCHEMAS,
    PROBLEMS,
    WRITE_KINDS,
    PersonListOut,
    PersonOut,
    RegistrationResult,
    spec_for,
)
from nir.register import kinds
from nir.register import models as m
from nir.register.errors import Problem, RegistrationRefused
from nir.register.interchange import MODEL_TO_KEY, item_to_json, parse_fields
from nir.reports import registry
from nir.reports.exports import _json_value

router = Router(tags=["persons"])

DUF_PATH = Field(..., max_length=12, description="DUF-nummer (12 digits)")


# --- reading: nir.access.read (the one reader of the API and the web pages) --------------------


@router.get(
    "/persons/{duf}",
    response={200: PersonOut, **PROBLEMS},
    by_alias=True,
    summary="One person with the Regelmotor's derived status",
)
def get_person(request: HttpRequest, duf: str):
    """The person, their follow-up municipality today, permits, settlements and the derived status
    (law, NIR categories, start dates, deadlines with workday counts, deviations) with the rules behind it.
    An unknown DUF number is not found (404); a person followed up outside the user's area is 404 of type
    ``person-followed-up-elsewhere`` (nothing about the person); to a municipality that followed the person up
    before a move, the person as registered until the transfer (``transferred``)."""
    try:
        person = find_person(request.auth, duf)
        out = person_out(request.auth, person)
    except PersonElsewhere as e:
        if e.former is None:
            audit_elsewhere(request, e, "person:elsewhere")
            raise refusal(e) from None
        # The caller's area followed the person up before a move: the person as registered until then.
        person = m.Person.objects.get(pk=e.person_id)
        out = person_document(read_former(request.auth, person, former_rows(person, e.former, READ_MODELS), e.former))
    except AccessRefused as e:
        raise refusal(e) from None
    audit.record(
        request=request, actor_user=request.auth, action="read", channel="api", what="person", persons=[person.pk]
    )
    return answer(200, PersonOut, out)


class PersonListQuery(Schema):
    municipality: str | None = Field(None, max_length=6, description="Municipality (4 digits) or district (6)")
    category: str | None = Field(None, max_length=40, description="NIR category of the introduction programme")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=500)


@router.get("/persons", response={200: PersonListOut, **PROBLEMS}, summary="Persons followed up (the person list)")
def list_persons(request: HttpRequest, q: Query[PersonListQuery]):
    """The report ``personliste`` (docs/reports.md) for the user's scope, one page at a time."""
    try:
        result = registry.run(
            "personliste",
            registry.ReportParams(
                municipality=q.municipality or None, category=q.category or None, page=q.page, page_size=q.page_size
            ),
            scope=person_scope(request.auth),
        )
        rows = [{k: _json_value(v) for k, v in row.items()} for row in result.rows]
        count = result.count
    except registry.ReportError as e:
        raise ApiProblem(400, str(e), slug="bad-filter") from None
    audit.record(
        request=request,
        actor_user=request.auth,
        action="search",
        channel="api",
        what="report:personliste",
        persons=m.Person.objects.filter(duf__in=[r["duf"] for r in rows]).values_list("pk", flat=True),
        filters={"municipality": q.municipality, "category": q.category, "page": q.page},
    )
    return Status(
        200,
        {
            "report": "personliste",
            "as_of": result.params.as_of,
            "count": count,
            "page": q.page,
            "page_size": q.page_size,
            "rows": rows,
        },
    )


# --- registering -----------------------------------------------------------------------------


def _api_field(key: str, model: type[m.Registration], field: str) -> str:
    """A problem's field as the request named it (``decisions.decision_type`` → ``type``)."""
    _model, spec = spec_for(key)
    to_json = {f: j for j, f, _k, _r in spec}
    for prefix in (f"{key}.", f"{model.FACT_KEY}."):
        if field.startswith(prefix):
            field = field[len(prefix) :]
            break
    else:
        if field in (key, model.FACT_KEY) and key == "final_goal":
            return "final_goal"
    head, sep, rest = field.partition(".")
    return to_json.get(head, head) + sep + rest


def _refused(key: str, model, problems: list[Problem], detail: str) -> ApiProblem:
    errors = [Problem(_api_field(key, model, p.field), p.rule, p.message) for p in problems]
    return ApiProblem(
        422,
        detail + " " + "; ".join(f"{e.field}: {e.message} [{e.rule}]" for e in errors),
        slug="registration-refused",
        title="Registreringen ble avvist",
        errors=errors,
    )


def registration_out(row: m.Registration, key: str, by=None) -> dict[str, Any]:
    if isinstance(row, m.FinalGoal):
        values = {
            "final_goal": row.goal,
            "scheme": row.scheme,
            "follow_up_municipality": row.follow_up_municipality or None,
        }
    elif type(row) in MODEL_TO_KEY:
        values = item_to_json(row)
    else:  # a plain value in the interchange format (the extension), or the person's details: its keys
        values = {j: _json_value(getattr(row, f)) for j, f, _k, _r in kinds.REVISABLE_BY_MODEL[type(row)].spec}
    # The registrant is usually the caller (``by``): no look-up then.
    user = (
        (by if by is not None and by.pk == row.registered_by_user_id else row.registered_by_user)
        if row.registered_by_user_id
        else None
    )
    client = (
        (
            by.client
            if getattr(by, "is_client", False) and by.client.pk == row.registered_by_client_id
            else row.registered_by_client
        )
        if row.registered_by_client_id
        else None
    )
    return {
        "id": row.pk,
        "kind": key,
        "recorded_at": row.recorded_at,
        "values": values,
        "registered_by": {
            "kind": row.registered_by_kind,
            "username": user.username if user else "",
            "client_id": client.client_id if client else "",
            "source_system": row.source_system,
        },
    }


def _values(key: str, payload: Schema) -> dict[str, Any]:
    model, spec = spec_for(key)
    problems: list[Problem] = []
    values = parse_fields(payload.model_dump(mode="json", by_alias=True), spec, key, problems)
    if problems:
        raise _refused(key, model, problems, "Registreringen har ugyldige felt.")
    return kinds.get(key).with_defaults(values)


def _make_write(segment: str, key: str, model: type[m.Registration]):
    schema = INPUT_SCHEMAS[segment]

    def write(request: HttpRequest, duf: str, payload: schema):  # type: ignore[valid-type]
        try:
            # The action: the access check (which locks the person and reads what the rules guard needs,
            # in one round trip), the registration and its audit event, in one transaction; the values
            # are read after the access check.
            outcome = actions.register(
                actions.Acting.from_request(request), duf, model, lambda: _values(key, payload), what=key
            )
        except AccessRefused as e:
            audit_elsewhere(request, e, f"{key}:elsewhere")
            raise refusal(e) from None
        except RegistrationRefused as e:
            raise _refused(key, model, e.problems, "Registreringen ble avvist; ingenting er lagret.") from None
        return answer(
            201,
            RegistrationResult,
            {
                "registration": registration_out(outcome.row, key, request.auth),
                "warnings": [
                    {"field": _api_field(key, model, w.field), "rule": w.rule, "message": w.message}
                    for w in outcome.warnings
                ],
                "person": person_out(request.auth, outcome.row.person, judged=outcome),
            },
        )

    write.__name__ = f"register_{key}"
    write.__doc__ = (
        f"Register one `{key}` fact for the person (interchange-format keys) through the register's "
        "write path with the Regelmotor's guard. 201: the registration and the person's new derived "
        "status; 422: refused (nothing stored), naming the field and the rule."
    )
    router.post(
        f"/persons/{{duf}}/{segment}",
        response={201: RegistrationResult, **PROBLEMS},
        by_alias=True,
        summary=f"Register {segment.replace('-', ' ')}",
    )(write)
    return write


for _segment, (_key, _model) in WRITE_KINDS.items():
    _make_write(_segment, _key, _model)
