"""Reading the register at any registration time — the helpers everyone uses.

``rows_for(person_ids, known_at)`` returns what the register held about a set
of persons at ``known_at`` (``None``: now); ``snapshot`` turns that into the
interchange format; ``iter_register`` streams the whole register in chunks
(for export and re-evaluation) without holding it in memory; ``versions``
gives a fact's full chain of registrations (Vis all historikk).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from nir.register import models as m
from nir.register.interchange import facts_to_line


def persons_known_at(known_at: dt.datetime | None = None) -> QuerySet[m.Person]:
    qs = m.Person.objects.all()
    if known_at is not None:
        qs = qs.filter(recorded_at__lte=known_at)
    return qs


def rows_for(
    person_ids: Iterable[int],
    known_at: dt.datetime | None = None,
    models: Iterable[type[m.Registration]] = m.REGISTRATION_MODELS,
) -> dict[int, list[m.Registration]]:
    """Every row known at ``known_at`` for the given persons, grouped by person, in model order."""
    ids = list(person_ids)
    out: dict[int, list[m.Registration]] = defaultdict(list)
    if not ids:
        return out
    for model in models:
        qs = model.objects.as_known(known_at).filter(person_id__in=ids).order_by("person_id", "id")
        for row in qs:
            out[row.person_id].append(row)
    return out


def follow_up_on(rows: list[m.Registration], day: dt.date) -> m.FollowUp | None:
    """The follow-up period covering ``day`` (the latest starting one)."""
    covering = [
        r
        for r in rows
        if isinstance(r, m.FollowUp) and r.valid_from <= day and (r.valid_to is None or day <= r.valid_to)
    ]
    return max(covering, key=lambda r: (r.valid_from, r.id), default=None)


def followed_up(rows: QuerySet[m.FollowUp], day: dt.date, area: Q, *, field: str = "person_id") -> Q:
    """The set form of ``follow_up_on``: a filter on outer rows whose person (``field``, a person
    foreign key or ``Person.pk``) has, among ``rows`` (``FollowUp`` rows: current or as known at a
    time), a follow-up period covering ``day`` that matches ``area`` and is the latest starting one.

    Two conditions the database can estimate and order as it finds cheapest: the persons with a
    covering period in the area (an ``IN`` over one index range: a superset), and no covering period
    *outside* the area that no later one inside it overrides (a ``NOT EXISTS``: one index probe per
    person, which finds nothing for a person with one period).
    """
    covering = Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    current = rows.filter(covering)
    later_inside = current.filter(area, person_id=OuterRef("person_id")).filter(
        Q(valid_from__gt=OuterRef("valid_from")) | Q(valid_from=OuterRef("valid_from"), id__gt=OuterRef("id"))
    )
    outside = current.filter(person_id=OuterRef(field)).exclude(area).exclude(Exists(later_inside))
    return Q(**{f"{field}__in": current.filter(area).values("person_id")}) & ~Q(Exists(outside))


def snapshot(person: m.Person, known_at: dt.datetime | None = None, *, on: dt.date | None = None) -> dict[str, Any]:
    """One person as the register knew them at ``known_at``, in the interchange format."""
    rows = rows_for([person.pk], known_at)[person.pk]
    return _line(person, rows, on or dt.date.today())


def _line(person: m.Person, rows: list[m.Registration], on: dt.date) -> dict[str, Any]:
    fu = follow_up_on(rows, on)
    return facts_to_line(person, rows, follow_up_municipality=fu.municipality if fu else "")


def iter_register(
    known_at: dt.datetime | None = None,
    *,
    chunk: int = 2000,
    on: dt.date | None = None,
) -> Iterator[tuple[m.Person, dict[str, Any]]]:
    """Stream every person known at ``known_at`` as (person, interchange line), ``chunk`` persons at a time."""
    on = on or dt.date.today()
    last = 0
    base = persons_known_at(known_at).order_by("id")
    while True:
        persons = list(base.filter(id__gt=last)[:chunk])
        if not persons:
            return
        rows = rows_for([p.pk for p in persons], known_at)
        for p in persons:
            yield p, _line(p, rows.get(p.pk, []), on)
        last = persons[-1].pk


def versions(row: m.Registration) -> list[m.Registration]:
    """The whole chain of registrations of one fact, oldest first (corrections and annulment included)."""
    model = type(row)
    chain = [row]
    cur = row
    while cur.supersedes_id:
        cur = model.objects.get(pk=cur.supersedes_id)
        chain.insert(0, cur)
    cur = row
    while True:
        # A Q object, not a keyword lookup: django-stubs' mypy plugin crashes resolving a keyword
        # lookup through the abstract model's self-relation (see pyproject.toml [tool.mypy]).
        nxt = model.objects.filter(Q(supersedes_id=cur.pk)).first()
        if nxt is None:
            break
        chain.append(nxt)
        cur = nxt
    return chain


def person_history(person: m.Person) -> list[m.Registration]:
    """Every registration ever made about a person (all versions), in registration order."""
    rows: list[m.Registration] = []
    for model in m.REGISTRATION_MODELS:
        rows += list(model.objects.filter(person=person))
    return sorted(rows, key=lambda r: (r.recorded_at, type(r).__name__, r.pk))
