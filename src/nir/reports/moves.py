"""Moves between municipalities (flytting): who moved in, who moved out, and secondary migration.

    moved_in(scope, since=…)        persons followed up today in the scope's area who moved in
    moved_out(scope, since=…)       persons who moved out of the scope's area (the sending side)
    secondary_migration(params, scope)   sekundærflytting counted by year, from and to municipality

A *move* is two current follow-up periods of one person where the later starts the day after the
earlier ends, in another municipality or district (``nir.actions.move`` registers it so).

**Secondary migration (sekundærflytting)** is the report ``sekundaerflytting`` of the registry
(``nir.reports.registry``: one row per move, for the page, the API and ``nir report``), defined in
``nir.reports.queries.sekundaerflytting``: a move to another *municipality* by a person settled by agreement
with IMDi (``Settlement.by_agreement``) whose move date is at most two years after their latest
settlement by agreement before the move; counted in the year of the move (the move date), by the
municipality moved from and the municipality moved to. ``secondary_migration`` sums the report's
rows to those counts. The sources (IMDi's annual report 2025 and the allocation letter name
secondary migration without defining how it is counted) are cited in docs/reports.md.

Every list is scoped like the reports: persons followed up *today* in the user's area
(``nir.access.scope.persons_followed_up``) — except ``moved_out``, which is the sending
municipality's list of persons it followed up before a move and no longer does; it shows only
what the sending municipality knew at the transfer (no receiving municipality, no new address).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet
from django.utils import timezone

from nir.access.persons import former_follow_up
from nir.access.read import place_label
from nir.access.scope import Scope, persons_followed_up
from nir.register import models as m
from nir.reports import registry

# The longest list of moved persons a page or the API shows at once (the newest moves first).
LIST_LIMIT = 500


@dataclass
class MovedPerson:
    """One move as a list shows it."""

    person_id: int
    duf: str
    first_name: str
    last_name: str
    move_date: dt.date
    from_municipality: str
    from_district: str
    # Empty in ``moved_out``: the sending municipality is not told where the person moved.
    to_municipality: str
    to_district: str
    intro_category: str = ""
    intro_deadline: dt.date | None = None
    norwegian_deadline: dt.date | None = None

    @property
    def from_place(self) -> str:
        return place_label(self.from_municipality, self.from_district)

    @property
    def to_place(self) -> str:
        return place_label(self.to_municipality, self.to_district) if self.to_municipality else ""


def _area(scope: Scope) -> Q:
    return scope.q("municipality", "district")


def _pairs(arrivals: QuerySet[m.FollowUp]) -> list[tuple[m.FollowUp, m.FollowUp]]:
    """(previous period, arrival) for each arrival period that follows another period of the person
    without a gap, in another municipality or district; the newest moves first."""
    arrivals_list = list(arrivals.order_by("-valid_from", "-id")[: LIST_LIMIT * 4])
    ids = {r.person_id for r in arrivals_list}
    by_person: dict[int, list[m.FollowUp]] = {}
    for r in m.FollowUp.objects.current().filter(person_id__in=ids).order_by("valid_from", "id"):
        by_person.setdefault(r.person_id, []).append(r)
    out = []
    for new in arrivals_list:
        day_before = new.valid_from - dt.timedelta(days=1)
        prev = [r for r in by_person.get(new.person_id, []) if r.pk != new.pk and r.valid_to == day_before]
        if not prev:
            continue
        old = max(prev, key=lambda r: (r.valid_from, r.id))
        if (old.municipality, old.district) != (new.municipality, new.district):
            out.append((old, new))
    return out[:LIST_LIMIT]


def _names(person_ids, known_at: dict[int, dt.datetime] | None = None) -> dict[int, tuple[str, str, str]]:
    """DUF number and names per person: as now, or as known at ``known_at[person_id]``."""
    duf = dict(m.Person.objects.filter(pk__in=person_ids).values_list("pk", "duf"))
    out = {}
    if known_at is None:
        for pid, first, last in (
            m.PersonDetails.objects.current()
            .filter(person_id__in=person_ids)
            .values_list("person_id", "first_name", "last_name")
        ):
            out[pid] = (duf.get(pid, ""), first, last)
    else:
        for pid in person_ids:
            d = m.PersonDetails.objects.known_at(known_at[pid]).filter(person_id=pid).first()
            out[pid] = (duf.get(pid, ""), d.first_name if d else "", d.last_name if d else "")
    for pid in person_ids:
        out.setdefault(pid, (duf.get(pid, ""), "", ""))
    return out


def moved_in(scope: Scope | None, *, since: dt.date, until: dt.date | None = None) -> list[MovedPerson]:
    """Persons followed up today in ``scope``'s area (``None``: everywhere) whose follow-up moved
    there from another municipality or district on a day from ``since`` to ``until`` (today), with
    where they came from and their deadlines (the Regelmotor's current derived status)."""
    until = until or timezone.localdate()
    arrivals = m.FollowUp.objects.current().filter(valid_from__gte=since, valid_from__lte=until)
    if scope is not None:
        arrivals = arrivals.filter(_area(scope)).filter(persons_followed_up(scope))
    pairs = _pairs(arrivals)
    ids = [new.person_id for _old, new in pairs]
    names = _names(ids)
    status = {
        s.person_id: s
        for s in m.DerivedStatus.objects.current()
        .filter(person_id__in=ids)
        .only("person_id", "intro_category", "intro_deadline", "norwegian_deadline")
    }
    out = []
    for old, new in pairs:
        duf, first, last = names[new.person_id]
        s = status.get(new.person_id)
        out.append(
            MovedPerson(
                new.person_id,
                duf,
                first,
                last,
                new.valid_from,
                old.municipality,
                old.district,
                new.municipality,
                new.district,
                s.intro_category if s else "",
                s.intro_deadline if s else None,
                s.norwegian_deadline if s else None,
            )
        )
    return out


def moved_out(scope: Scope, *, since: dt.date, until: dt.date | None = None) -> list[MovedPerson]:
    """Persons whose follow-up moved out of ``scope``'s area on a day from ``since`` to ``until``
    (today) and who are not followed up there today: the sending municipality's list, with the
    names it knew at the transfer and without where the person moved to."""
    today = timezone.localdate()
    until = until or today
    if scope.empty:
        return []
    ended = m.FollowUp.objects.current().filter(
        _area(scope),
        valid_to__gte=since - dt.timedelta(days=1),
        valid_to__lte=until - dt.timedelta(days=1),
    )
    ids = set(ended.values_list("person_id", flat=True))
    if not ids:
        return []
    here_today = set(
        m.Person.objects.filter(pk__in=ids).filter(persons_followed_up(scope, field="pk")).values_list("pk", flat=True)
    )
    arrivals = (
        m.FollowUp.objects.current()
        .filter(person_id__in=ids - here_today, valid_from__gte=since, valid_from__lte=until)
        .exclude(_area(scope))
    )
    pairs = [(old, new) for old, new in _pairs(arrivals) if _in(scope, old)]
    follow_ups: dict[int, list[m.FollowUp]] = {}
    for r in m.FollowUp.objects.current().filter(person_id__in=[new.person_id for _o, new in pairs]):
        follow_ups.setdefault(r.person_id, []).append(r)
    known = {}
    for _old, new in pairs:
        former = former_follow_up(scope, follow_ups[new.person_id], max(today, new.valid_from + dt.timedelta(days=1)))
        known[new.person_id] = former.known_at if former else timezone.now()
    names = _names(list(known), known)
    out = []
    for old, new in pairs:
        duf, first, last = names[new.person_id]
        out.append(MovedPerson(new.person_id, duf, first, last, new.valid_from, old.municipality, old.district, "", ""))
    return out


def _in(scope: Scope, fu: m.FollowUp) -> bool:
    return fu.municipality in scope.municipalities or bool(fu.district and fu.district in scope.districts)


# --- secondary migration (sekundærflytting) -------------------------------------------------


@dataclass(frozen=True)
class SecondaryCount:
    year: int
    from_municipality: str
    to_municipality: str
    moves: int

    @property
    def from_place(self) -> str:
        return place_label(self.from_municipality)

    @property
    def to_place(self) -> str:
        return place_label(self.to_municipality)


def secondary_migration(params, *, scope: Scope | None) -> list[SecondaryCount]:
    """Secondary migration counted by year of the move, from and to municipality: the rows of the
    report ``sekundaerflytting`` (``registry.run``, scoped as every report) summed — over both laws
    (a report shows one law at a time; a move is a move whichever law the person is under)."""
    counts: Counter = Counter()
    for law in registry.LAWS:
        result = registry.run("sekundaerflytting", replace(params, law=law), scope=scope)
        counts.update((r["year"], r["from_municipality"], r["to_municipality"]) for r in result.iter_rows())
    return [
        SecondaryCount(y, f, t, n) for (y, f, t), n in sorted(counts.items(), key=lambda kv: (-kv[0][0], -kv[1], kv[0]))
    ]
