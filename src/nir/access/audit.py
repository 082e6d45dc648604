"""The audit log (tilgangslogg): the one place that records reads and writes of personal data.

    record(actor_user=…, api_client=…, action=…, channel=…, what=…, persons=…, purpose=…,
           filters=…, outcome=…, request=…) -> AuditEvent

One call per request or command, never per row. ``persons`` is an iterable of ``Person``
objects or person ids, or a queryset (of persons, or ``values_list("person_id", flat=True)``):
at most ``MAX_INLINE_PERSONS`` ids are stored (``AuditEventPerson`` rows) and the number of
persons always (``person_count``; ``persons_complete`` false when ids were left out). A larger
read is reproducible from its stored filters and ``known_at`` — the register is bitemporal.

Nothing recorded may contain a national identity number: every string in ``what``, ``purpose``,
``endpoint`` and ``filters`` (keys and values, nested) is scrubbed with ``nir.logging.redact``,
and an 11-digit integer becomes ``***********``. DUF numbers (UDI's case numbers, 12 digits)
may appear in the filters a user typed; the persons themselves are referenced by person id.

An audit failure fails the request: ``record`` raises (no try/except in the callers), so a read
of personal data is never served unaudited. Callers record after the data is read and before
the response is returned.

``events_for_person`` (a person's own access log, GDPR art. 15) and ``search`` (IMDi) read it;
``nir audit`` is the command line (docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Q, QuerySet
from django.db.models.query import FlatValuesListIterable, ModelIterable
from django.utils import timezone

from nir.access.models import (
    AuditAction,
    AuditChannel,
    AuditEvent,
    AuditEventPerson,
    AuditOutcome,
    AuditPurpose,
    OrganisationKind,
)
from nir.db import params as pg_params
from nir.db.pipeline import execute_prepared, in_pipeline
from nir.db.rows import loaded_instance
from nir.logging import redact
from nir.register.models import ActorKind

# Person ids stored per event; the count is always stored. 10,000 ids are ~10,000 small rows,
# well under a second to write on PostgreSQL; beyond that (whole-register exports, national
# reports) the event keeps its filters and known_at, from which the set can be reproduced.
MAX_INLINE_PERSONS = 10_000
# The system actor of administrative command lines run without --user.
COMMAND_LINE = "kommandolinje"
REDACTED = "***********"

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ELEVEN_DIGIT_INT = range(10**10, 10**11)


@dataclass(frozen=True)
class PersonSet:
    """The persons of an event: the ids stored, the full count, whether every id is stored."""

    ids: tuple[int, ...]
    count: int

    @property
    def complete(self) -> bool:
        return len(self.ids) == self.count


def person_set(persons, limit: int = MAX_INLINE_PERSONS) -> PersonSet:
    """Context-free: the persons of ``persons`` (a queryset of ids or persons, or an iterable of
    ``Person``/ids), at most ``limit`` ids, and the count of distinct persons always.

    A queryset is read with at most ``limit + 1`` ids; only when there are more is it counted
    (``COUNT(DISTINCT …)``), so a page or a small report costs one small statement.
    """
    if isinstance(persons, PersonSet):
        return persons
    if isinstance(persons, QuerySet):
        qs = persons.order_by()
        if qs._iterable_class is ModelIterable:
            qs = qs.values_list("pk", flat=True)
        elif qs._iterable_class is not FlatValuesListIterable:
            raise TypeError("a queryset of persons or of person ids (values_list(..., flat=True))")
        qs = qs.distinct()
        ids = list(qs[: limit + 1])
        if len(ids) <= limit:
            return PersonSet(tuple(sorted(ids)), len(ids))
        return PersonSet(tuple(sorted(ids[:limit])), qs.count())
    seen = {getattr(p, "pk", p) for p in persons}
    seen.discard(None)
    ids = sorted(int(i) for i in seen)
    return PersonSet(tuple(ids[:limit]), len(ids))


# --- scrubbing ----------------------------------------------------------------------------------


def scrub(value: Any) -> Any:
    """``value`` made JSON-safe with every national identity number replaced (nested)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return REDACTED if abs(value) in _ELEVEN_DIGIT_INT else value
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {scrub(str(k)): scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub(v) for v in value]
    return redact(str(value))


def _clean(text: str, max_length: int) -> str:
    return redact(str(text or ""))[:max_length]


# --- recording ----------------------------------------------------------------------------------


def default_purpose(organisation, action: str, actor_kind: str) -> str:
    """The purpose when the caller gives none: by what is done, else by the organisation's task."""
    if action == AuditAction.STATISTICS:
        return AuditPurpose.STATISTICS
    if actor_kind == ActorKind.SYSTEM:
        return AuditPurpose.OPERATIONS
    kind = getattr(organisation, "kind", None)
    return {
        OrganisationKind.MUNICIPALITY: AuditPurpose.CASEWORK,
        OrganisationKind.DISTRICT: AuditPurpose.CASEWORK,
        OrganisationKind.COUNTY_GOVERNOR: AuditPurpose.SUPERVISION,
        OrganisationKind.IMDI: AuditPurpose.ADMINISTRATION,
        OrganisationKind.RESEARCH: AuditPurpose.RESEARCH,
    }.get(kind, "")


def request_id(request) -> str:
    """The request's id: ``X-Request-ID`` when well-formed, else a new one (kept on the request)."""
    existing = getattr(request, "nir_request_id", None)
    if existing:
        return existing
    # From META: request.headers would build the map of every header for this one.
    meta = getattr(request, "META", None)
    header = meta.get("HTTP_X_REQUEST_ID", "") if meta is not None else ""
    rid = header if _REQUEST_ID.fullmatch(header or "") else uuid.uuid4().hex
    try:
        request.nir_request_id = rid
    except AttributeError:  # pragma: no cover - a request object without attributes
        pass
    return rid


def record(
    *,
    actor_user=None,
    api_client=None,
    system: str = "",
    action: str,
    channel: str,
    what: str,
    persons: Iterable | QuerySet | PersonSet = (),
    purpose: str = "",
    filters: dict | None = None,
    outcome: str = AuditOutcome.ALLOWED,
    request=None,
    endpoint: str = "",
) -> AuditEvent:
    """Record one event; raises on failure (the caller's request then fails — see the module doc).

    The actor is ``actor_user``, else ``api_client``, else the authenticated ``request.user``,
    else the system actor ``system`` (default ``"system"``). The organisation is the user's or
    the client's. From ``request`` only its id (``X-Request-ID`` or a new one), method and path
    are kept — no IP address, no user agent, no query string (the filters are given separately).
    """
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if channel not in _CHANNELS:
        raise ValueError(f"unknown audit channel {channel!r}")
    if outcome not in _OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    if getattr(actor_user, "is_client", False):  # a machine client's principal (nir.access.oauth)
        actor_user, api_client = None, actor_user.client
    if actor_user is None and api_client is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            actor_user = user
    if actor_user is not None:
        kind, organisation = ActorKind.USER, actor_user.organisation
    elif api_client is not None:
        kind, organisation = ActorKind.CLIENT, api_client.organisation
    else:
        kind, organisation, system = ActorKind.SYSTEM, None, system or "system"
    if request is not None and not endpoint:
        endpoint = f"{request.method} {request.path}"
    ps = person_set(persons)
    values = dict(
        when=timezone.now(),
        actor_kind=kind,
        user_id=getattr(actor_user, "pk", None),
        api_client_id=getattr(api_client, "pk", None),
        system=_clean(system, 100) if kind == ActorKind.SYSTEM else "",
        organisation_id=getattr(organisation, "pk", None),
        action=action,
        channel=channel,
        endpoint=_clean(endpoint, 300),
        purpose=_clean(purpose or default_purpose(organisation, action, kind), 200),
        what=_clean(what, 200),
        person_count=ps.count,
        persons_complete=ps.complete,
        filters=scrub(filters or {}),
        request_id=request_id(request) if request is not None else "",
        outcome=outcome,
    )
    conn = connections[router.db_for_write(AuditEvent)]
    if conn.vendor == "postgresql":  # one prepared statement; the event as a loaded row
        # In a pipelined write transaction (write_sql.atomic_pipelined) the event goes to the server
        # with the COMMIT, and its id is not read back.
        values["id"] = _insert_postgresql(values, ps.ids, conn, wait=not in_pipeline(conn))
        event = loaded_instance(AuditEvent, values, conn.alias)
        for name, obj in (("user", actor_user), ("api_client", api_client), ("organisation", organisation)):
            if obj is not None:
                AuditEvent._meta.get_field(name).set_cached_value(event, obj)
        return event
    event = AuditEvent(**values)
    with transaction.atomic(using=conn.alias, savepoint=False):  # in a caller's transaction: fails with it
        event.save(using=conn.alias)
        if ps.ids:
            AuditEventPerson.objects.using(conn.alias).bulk_create(
                [AuditEventPerson(event=event, person_id=pid) for pid in ps.ids], batch_size=2000
            )
    return event


@cache
def _pg_insert_statement() -> str:
    """The event and its persons in one statement (every request records one: one round trip)."""
    cols = ", ".join(f'"{f.column}"' for f in _EVENT_FIELDS)
    marks = ", ".join(["%s"] * len(_EVENT_FIELDS))
    link = AuditEventPerson._meta
    return (
        f'WITH e AS (INSERT INTO "{AuditEvent._meta.db_table}" ({cols}) VALUES ({marks}) RETURNING id), '
        f'p AS (INSERT INTO "{link.db_table}" ("{link.get_field("event").column}", '
        f'"{link.get_field("person").column}") SELECT e.id, unnest(%s::bigint[]) FROM e) SELECT id FROM e'
    )


def _insert_postgresql(values: dict, person_ids: list[int], conn, *, wait: bool = True) -> int | None:
    """``record`` on PostgreSQL: one prepared statement on Django's connection (its transaction);
    returns the event's id (None without ``wait``: in pipeline mode, not read back)."""
    params = pg_params.values(_EVENT_FIELDS, values.__getitem__, conn)
    got = execute_prepared(conn, _pg_insert_statement(), [*params, [int(pid) for pid in person_ids]], fetch=wait)
    return got[0] if wait else None


_EVENT_FIELDS = tuple(f for f in AuditEvent._meta.concrete_fields if not f.primary_key)
_ACTIONS = frozenset(AuditAction.values)
_CHANNELS = frozenset(AuditChannel.values)
_OUTCOMES = frozenset(AuditOutcome.values)


# --- helpers for the report paths ---------------------------------------------------------------


def report_filters(result, **extra) -> dict[str, Any]:
    """The filters of a report result (``nir.reports.registry.ReportResult``) as recorded: the
    report's filters, as_of, known_at (resolved: the set is reproducible), sort and page."""
    p = result.params
    out = {
        "report": result.definition.id,
        "law": p.law,
        **{k: v for k, v in result.filters.items() if v not in (None, "")},
        "as_of": p.as_of,
        "known_at": result.known_at,
    }
    if p.sort:
        out["sort"] = p.sort
    if p.page_size is not None:
        out["page"] = p.page
    out.update({k: v for k, v in extra.items() if v not in (None, "")})
    return out


def persons_by_duf(dufs: Iterable[str]) -> QuerySet:
    """The ids of the persons with these DUF numbers (a queryset for ``persons=``)."""
    from nir.register.models import Person

    return Person.objects.filter(duf__in=set(dufs)).values_list("pk", flat=True)


def report_page_persons(result) -> QuerySet:
    """The persons of the rows shown (the page), by the rows' DUF numbers: one indexed lookup."""
    if result.definition.column("duf") is not None:
        return persons_by_duf(row["duf"] for row in result.rows)
    return result.page_queryset.values_list("person_id", flat=True)


def report_all_persons(result) -> QuerySet:
    """Every person of a report (every row, no paging): ``person_id`` of the report's queryset."""
    return result.queryset.values_list("person_id", flat=True)


def statistics_filters(params, **extra) -> dict[str, Any]:
    """The parameters of a statistics table (``nir.reports.statistics.StatsParams``)."""
    out = {
        "year": params.year,
        "law": params.law,
        "area": params.area,
        "by": params.by,
        "as_of": params.as_of,
        "known_at": params.known_at,
        "figures": list(params.figures),
    }
    out.update(extra)
    return {k: v for k, v in out.items() if v not in (None, "", [])}


# --- reading ------------------------------------------------------------------------------------


def _person_id(person) -> int:
    return int(getattr(person, "pk", person))


def events_for_person(person) -> QuerySet:
    """A person's own access log (GDPR art. 15), newest first: every event that lists the person,
    and every event whose persons were not all listed (``persons_complete`` false: a whole-register
    export, a research extract, a report of more than ``MAX_INLINE_PERSONS`` persons) — those *may*
    concern the person and are shown as such."""
    listed = AuditEventPerson.objects.filter(person_id=_person_id(person)).values("event_id")
    return (
        AuditEvent.objects.filter(Q(pk__in=listed) | Q(persons_complete=False))
        .select_related("organisation", "user", "api_client")
        .order_by("-when", "-id")
    )


def lists_person(event: AuditEvent, person) -> bool:
    return event.person_links.filter(person_id=_person_id(person)).exists()


def _start(day: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day if timezone.is_aware(day) else timezone.make_aware(day)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search(
    *,
    user=None,
    organisation=None,
    person=None,
    action: str | None = None,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    channel: str | None = None,
) -> QuerySet:
    """Events (IMDi's search), newest first. ``user``: a user or username; ``organisation``: an
    organisation or its code; ``person``: a person or id (events that list the person); ``since``
    and ``until``: dates (``until`` inclusive: to the end of that day) or times."""
    qs = AuditEvent.objects.select_related("organisation", "user", "api_client")
    if user is not None:
        qs = qs.filter(user__username=user) if isinstance(user, str) else qs.filter(user=user)
    if organisation is not None:
        qs = (
            qs.filter(organisation__code=organisation)
            if isinstance(organisation, str)
            else qs.filter(organisation=organisation)
        )
    if person is not None:
        qs = qs.filter(pk__in=AuditEventPerson.objects.filter(person_id=_person_id(person)).values("event_id"))
    if action:
        qs = qs.filter(action=action)
    if channel:
        qs = qs.filter(channel=channel)
    if since is not None:
        qs = qs.filter(when__gte=_start(since))
    if until is not None:
        if isinstance(until, dt.datetime):
            qs = qs.filter(when__lte=_start(until))
        else:
            qs = qs.filter(when__lt=_start(until + dt.timedelta(days=1)))
    return qs.order_by("-when", "-id")
