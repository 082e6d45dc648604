"""Moves between municipalities (flytting, issue 16 § 2) in the API.

    POST /persons/{duf}/moves           register a move (the action ``nir.actions.move``)
    GET  /moves?direction=in|out        persons who moved in to / out of the caller's area
    GET  /moves/secondary-migration     secondary migration counted by year, from and to municipality

Who may register a move: the municipality (district) that follows the person up, and IMDi — not the
receiving municipality (docs/access.md). A person outside the caller's area is 404 (of type
``person-followed-up-elsewhere`` when the DUF number exists).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from nir import actions
from nir.access import audit
from nir.access.persons import AccessRefused
from nir.access.read import READ_MODELS, find_person_for_reading, person_document, read_former, read_person
from nir.access.scope import person_scope
from nir.api.access import audit_elsewhere, refusal
from nir.api.errors import ApiProblem
from nir.api.render import answer
from nir.api.schemas import PROBLEMS, Out, PersonOut
from nir.register.errors import Problem, RegistrationRefused
from nir.reports import moves, registry

router = Router(tags=["moves"])


class MoveIn(Schema):
    move_date: dt.date = Field(..., description="The first day the new municipality follows the person up (ISO 8601)")
    municipality: str = Field(..., min_length=4, max_length=4, description="The new follow-up municipality (4 digits)")
    district: str = Field("", max_length=6, description="The new follow-up district (6 digits; Oslo)")
    address: str = Field("", max_length=300, description="The new address")
    postal_code: str = Field("", max_length=4, description="The new postal code")


class PlaceOut(Out):
    municipality: str
    district: str


class MoveOut(Out):
    duf: str
    move_date: dt.date
    from_: PlaceOut = Field(alias="from")
    to: PlaceOut
    recorded_at: dt.datetime


class MoveResult(Out):
    move: MoveOut
    person: PersonOut


class MovedPersonOut(Out):
    duf: str
    first_name: str
    last_name: str
    move_date: dt.date
    from_municipality: str
    from_district: str
    to_municipality: str | None = Field(None, description="Not given to the municipality moved from (direction=out)")
    to_district: str | None = None
    intro_category: str | None = None
    intro_deadline: dt.date | None = None
    norwegian_deadline: dt.date | None = None


class MovesOut(Out):
    direction: str
    since: dt.date
    until: dt.date
    count: int
    rows: list[MovedPersonOut]


class SecondaryMigrationRow(Out):
    year: int
    from_municipality: str
    to_municipality: str
    moves: int


class SecondaryMigrationOut(Out):
    report: str
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    count: int
    rows: list[SecondaryMigrationRow]


def _problem_field(p: Problem) -> str:
    return p.field.removeprefix("move.")


@router.post(
    "/persons/{duf}/moves",
    response={201: MoveResult, **PROBLEMS},
    by_alias=True,
    summary="Register a move to another municipality",
)
def register_move(request: HttpRequest, duf: str, payload: MoveIn):
    """From `move_date` the person lives in and is followed up by `municipality` (and `district`): the
    current follow-up period and residence end the day before (corrections, append-only), the
    Regelmotor derives the person's status anew. 201: the move and the person as the caller sees them
    after it (a caller whose area the person leaves gets the person as registered until the transfer);
    422: refused (nothing stored), naming the field and the rule."""
    try:
        done = actions.move(actions.Acting.from_request(request), duf, payload.model_dump())
    except AccessRefused as e:
        audit_elsewhere(request, e, "move:elsewhere")
        raise refusal(e) from None
    except RegistrationRefused as e:
        errors = [Problem(_problem_field(p), p.rule, p.message) for p in e.problems]
        raise ApiProblem(
            422,
            "Flyttingen ble avvist; ingenting er lagret. "
            + "; ".join(f"{p.field}: {p.message} [{p.rule}]" for p in errors),
            slug="registration-refused",
            title="Registreringen ble avvist",
            errors=errors,
        ) from None
    person = done.follow_up.person
    # The person as the caller sees them now (a caller whose area the person left: as registered until then).
    person, rows, former = find_person_for_reading(request.auth, person.duf, READ_MODELS)
    read = read_former(request.auth, person, rows, former) if former else read_person(request.auth, person, rows=rows)
    shown = person_document(read)
    old, new = done.ended_follow_up, done.follow_up
    return answer(
        201,
        MoveResult,
        {
            "move": {
                "duf": person.duf,
                "move_date": new.valid_from,
                "from": {"municipality": old.municipality, "district": old.district},
                "to": {"municipality": new.municipality, "district": new.district},
                "recorded_at": new.recorded_at,
            },
            "person": shown,
        },
    )


class MovesQuery(Schema):
    direction: Literal["in", "out"] = Field("in", description="in: moved into the caller's area; out: moved out of it")
    since: dt.date | None = Field(None, description="First moving date (default: a year ago)")
    until: dt.date | None = Field(None, description="Last moving date (default: today)")


@router.get("/moves", response={200: MovesOut, **PROBLEMS}, by_alias=True, summary="Persons who moved in or out")
def list_moves(request: HttpRequest, q: Query[MovesQuery]):
    """`in`: persons followed up today in the caller's area who moved there from another municipality or
    district, with where they came from and their deadlines. `out`: persons the caller's area followed up
    until they moved, with the names known at the transfer and without where they moved. For callers who
    see every person (IMDi) both list every move."""
    today = timezone.localdate()
    until = q.until or today
    since = q.since or today - dt.timedelta(days=365)
    if since > until:
        raise ApiProblem(
            400,
            "since er etter until.",
            slug="bad-filter",
            errors=[{"field": "since", "rule": "period", "message": "since er etter until"}],
        )
    scope = person_scope(request.auth)
    if q.direction == "out" and scope is not None:
        rows = moves.moved_out(scope, since=since, until=until)
    else:
        rows = moves.moved_in(scope, since=since, until=until)
    out = [
        {
            "duf": r.duf,
            "first_name": r.first_name,
            "last_name": r.last_name,
            "move_date": r.move_date,
            "from_municipality": r.from_municipality,
            "from_district": r.from_district,
            "to_municipality": r.to_municipality or None,
            "to_district": r.to_district if r.to_municipality else None,
            "intro_category": r.intro_category or None,
            "intro_deadline": r.intro_deadline,
            "norwegian_deadline": r.norwegian_deadline,
        }
        for r in rows
    ]
    audit.record(
        request=request,
        actor_user=request.auth,
        action="search",
        channel="api",
        what=f"moves:{q.direction}",
        persons=[r.person_id for r in rows],
        filters={"direction": q.direction, "since": since.isoformat(), "until": until.isoformat()},
    )
    return answer(
        200, MovesOut, {"direction": q.direction, "since": since, "until": until, "count": len(out), "rows": out}
    )


class SecondaryQuery(Schema):
    from_: dt.date | None = Field(None, alias="from", description="First moving date")
    to: dt.date | None = Field(None, description="Last moving date")


@router.get(
    "/moves/secondary-migration",
    response={200: SecondaryMigrationOut, **PROBLEMS},
    by_alias=True,
    summary="Secondary migration by year, from and to municipality",
)
def secondary_migration(request: HttpRequest, q: Query[SecondaryQuery]):
    """Moves to another municipality within two years of settlement by agreement (sekundærflytting; the
    report `sekundaerflytting`, docs/reports.md), counted by the year of the move, the municipality moved
    from and the one moved to; persons followed up in the caller's area today, as every report."""
    try:
        counts = moves.secondary_migration(
            registry.ReportParams(date_from=q.from_, date_to=q.to), scope=person_scope(request.auth)
        )
    except registry.ReportError as e:
        raise ApiProblem(400, str(e), slug="bad-filter") from None
    audit.record(
        request=request,
        actor_user=request.auth,
        action="statistics",
        channel="api",
        what="report:sekundaerflytting",
        filters={"from": q.from_.isoformat() if q.from_ else None, "to": q.to.isoformat() if q.to else None},
    )
    rows = [
        {
            "year": c.year,
            "from_municipality": c.from_municipality,
            "to_municipality": c.to_municipality,
            "moves": c.moves,
        }
        for c in counts
    ]
    return answer(
        200,
        SecondaryMigrationOut,
        {
            "report": "sekundaerflytting",
            "from": q.from_,
            "to": q.to,
            "count": sum(c.moves for c in counts),
            "rows": rows,
        },
    )
