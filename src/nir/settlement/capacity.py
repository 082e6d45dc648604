"""Reads of municipal decisions and capacity (``settlement.md`` § 1.3–1.4, § 3 «requested / decided /
settled … and capacity coverage of the need»), as known now or at any moment (``known_at``).

For one municipality (its own pages and API, ``nir.access.settlement.acts_for_municipality``):

* ``decision_history(municipality, year)`` every version of its decision of the year, newest first;
  ``current_decision`` the one that holds (None: not answered);
* ``capacity_lines(municipality, year=)`` its capacity lines with the places used by agreements
  (``Agreement`` rows of the kind whose planned date lies in the line's period) and those left;
  ``capacity_history(key)`` every version of one line;
* ``request_for(municipality, year)`` what the latest *sent* request round asks of it.

For IMDi (and, within ``settlement_area``, county governors and county municipalities):

* ``overview(year, area=, county=)`` per municipality: requested, decided, agreed and settled
  persons (EM separately where the rows say so) and per kind the places reported, used, left and
  closed; ``totals(rows)`` per county and nationally, with the capacity coverage of the request.

For the assignment (``free_places``): the places left on a day per municipality and kind.

The overview runs a fixed number of aggregate queries whatever the number of municipalities
(no query per municipality): the used places of each line are one correlated subquery.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from nir.access.settlement import Area, acts_for_municipality, county_of
from nir.reference.models import County, Municipality
from nir.settlement.models import (
    Agreement,
    CapacityKind,
    CapacityLine,
    DecisionStatus,
    MunicipalDecision,
    MunicipalRequest,
    RequestRound,
    SettledMember,
)

KINDS = tuple(CapacityKind.values)


def _day(known_at: dt.datetime | None) -> dt.date:
    return timezone.localdate(known_at) if known_at is not None else timezone.localdate()


# --- decisions -----------------------------------------------------------------------------------


def decision_history(municipality: str, year: int, *, known_at: dt.datetime | None = None) -> list[MunicipalDecision]:
    """Every version of ``municipality``'s decision of ``year`` the system held (at ``known_at``),
    newest first: the current one first, then those it superseded."""
    qs = MunicipalDecision.objects.filter(municipality=municipality, year=year)
    if known_at is not None:
        qs = qs.filter(recorded_at__lte=known_at)
    return list(qs.select_related("registered_by_user", "registered_by_client").order_by("-recorded_at", "-pk"))


def current_decision(municipality: str, year: int, *, known_at: dt.datetime | None = None) -> MunicipalDecision | None:
    """The decision that holds (None: not answered)."""
    return (
        MunicipalDecision.objects.as_known(known_at)
        .filter(municipality=municipality, year=year)
        .order_by("-recorded_at", "-pk")
        .first()
    )


# --- the request ---------------------------------------------------------------------------------


def latest_sent_round(year: int, *, known_at: dt.datetime | None = None) -> RequestRound | None:
    """The year's request round sent last (as known at ``known_at``); None before any is sent."""
    qs = RequestRound.objects.filter(year=year, sent_at__isnull=False)
    if known_at is not None:
        qs = qs.filter(sent_at__lte=known_at)
    return qs.order_by("-sent_at", "-number").first()


def request_for(municipality: str, year: int, *, known_at: dt.datetime | None = None) -> MunicipalRequest | None:
    """What the latest sent round asks of ``municipality`` (None: no round sent, or not asked)."""
    rnd = latest_sent_round(year, known_at=known_at)
    if rnd is None:
        return None
    return (
        MunicipalRequest.objects.as_known(known_at)
        .filter(round=rnd, municipality=municipality)
        .select_related("round")
        .order_by("-pk")
        .first()
    )


# --- capacity ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineUse:
    """A capacity line and its use: ``used`` persons of agreements of its kind planned in its period;
    ``remaining`` places left (0 when closed, never below 0); ``over`` persons agreed beyond it."""

    line: CapacityLine
    used: int

    @property
    def remaining(self) -> int:
        return 0 if self.line.closed else max(self.line.places - self.used, 0)

    @property
    def over(self) -> int:
        return max(self.used - self.line.places, 0)


def _agreements(known_at: dt.datetime | None):
    return Agreement.objects.as_known(known_at)


def with_use(lines, *, known_at: dt.datetime | None = None):
    """``lines`` (a CapacityLine queryset) annotated with ``used``: one correlated subquery."""
    used = (
        _agreements(known_at)
        .filter(
            municipality=OuterRef("municipality"),
            capacity_kind=OuterRef("kind"),
            planned_date__gte=OuterRef("period_from"),
            planned_date__lte=OuterRef("period_to"),
        )
        .order_by()
        .values("municipality")
        .annotate(total=Sum("persons"))
        .values("total")
    )
    return lines.annotate(used=Coalesce(Subquery(used, output_field=IntegerField()), 0))


def capacity_lines(municipality: str, *, year: int | None = None, known_at: dt.datetime | None = None) -> list[LineUse]:
    """``municipality``'s current capacity lines (of ``year``), by period and kind, with their use."""
    qs = CapacityLine.objects.as_known(known_at).filter(municipality=municipality)
    if year is not None:
        qs = qs.filter(period_from__year=year)
    qs = with_use(qs, known_at=known_at).order_by("period_from", "kind", "period_to", "pk")
    return [LineUse(row, row.used) for row in qs]


def capacity_history(key: Any, *, known_at: dt.datetime | None = None) -> list[CapacityLine]:
    """Every version of one capacity line (its chain ``key``), newest first."""
    qs = CapacityLine.objects.filter(key=key)
    if known_at is not None:
        qs = qs.filter(recorded_at__lte=known_at)
    return list(qs.select_related("registered_by_user", "registered_by_client").order_by("-recorded_at", "-pk"))


def line_for(principal: Any, line_id: int) -> CapacityLine | None:
    """The capacity line ``line_id`` (any version) if ``principal`` may act for its municipality;
    None otherwise (shown as *not found*)."""
    row = CapacityLine.objects.filter(pk=line_id).first()
    if row is None or not acts_for_municipality(principal, row.municipality):
        return None
    return row


NEED_FIELDS = {
    "mobility": "accessible_housing",
    "mental": "mental_health_services",
    "other": "specialist_health_services",
}  # SpecialNeedKind → the capacity line's flag for the service that meets it


def free_places(
    kind: str,
    on: dt.date,
    *,
    persons: int = 1,
    household: int | None = None,
    needs: Collection[str] = (),
    municipalities: Collection[str] | None = None,
    known_at: dt.datetime | None = None,
) -> dict[str, list[LineUse]]:
    """The open lines of ``kind`` whose period contains ``on`` with at least ``persons`` places left,
    per municipality — for the assignment: a proposal goes to a municipality with free capacity of
    the right kind. ``household``: families only, the line's largest household must take it;
    ``needs``: special-need kinds (``SpecialNeedKind``: mobility, mental, other) the line must be able
    to meet. One query."""
    qs = CapacityLine.objects.as_known(known_at).filter(kind=kind, closed=False, period_from__lte=on, period_to__gte=on)
    if municipalities is not None:
        qs = qs.filter(municipality__in=list(municipalities))
    if household is not None and kind == CapacityKind.FAMILIES:
        qs = qs.filter(largest_household__gte=household)
    for need in needs:
        if need not in NEED_FIELDS:
            raise ValueError(f"unknown special need {need!r}")
        qs = qs.filter(**{NEED_FIELDS[need]: True})
    out: dict[str, list[LineUse]] = defaultdict(list)
    for row in with_use(qs, known_at=known_at).order_by("municipality", "period_from"):
        use = LineUse(row, row.used)
        if use.remaining >= max(persons, 1):
            out[row.municipality].append(use)
    return dict(out)


# --- the overview (IMDi, county governors) -------------------------------------------------------


@dataclass
class KindFigures:
    """One kind of capacity of a municipality in the year."""

    places: int = 0  # reported in open lines
    used: int = 0  # persons of agreements of the kind planned in the year
    remaining: int = 0  # left in open lines whose period has not ended
    closed_lines: int = 0

    def add(self, other: KindFigures) -> None:
        self.places += other.places
        self.used += other.used
        self.remaining += other.remaining
        self.closed_lines += other.closed_lines


@dataclass
class MunicipalityFigures:
    municipality: str
    name: str
    county: str
    county_name: str
    requested: int | None = None  # None: not asked (or no round sent)
    requested_um: int | None = None
    status: str = ""  # "" not answered, decided, declined
    decided: int = 0
    decided_um: int = 0
    decision_date: dt.date | None = None
    agreed: int = 0  # persons of the year's agreements (every kind)
    settled: int = 0  # persons settled in the municipality in the year (by agreement)
    capacity: dict[str, KindFigures] = field(default_factory=lambda: {k: KindFigures() for k in KINDS})

    @property
    def status_label(self) -> str:
        return DecisionStatus(self.status).label if self.status else "Ikke svart"

    @property
    def places(self) -> int:
        return sum(k.places for k in self.capacity.values())

    @property
    def remaining(self) -> int:
        return sum(k.remaining for k in self.capacity.values())

    @property
    def coverage(self) -> float | None:
        """Capacity reported as a share of the request (None when nothing was asked)."""
        return self.places / self.requested if self.requested else None


@dataclass
class Totals:
    label: str
    municipalities: int = 0
    asked: int = 0
    requested: int = 0
    requested_um: int = 0
    answered: int = 0
    decided_count: int = 0
    declined_count: int = 0
    decided: int = 0
    decided_um: int = 0
    agreed: int = 0
    settled: int = 0
    capacity: dict[str, KindFigures] = field(default_factory=lambda: {k: KindFigures() for k in KINDS})

    def add(self, row: MunicipalityFigures) -> None:
        self.municipalities += 1
        if row.requested is not None:
            self.asked += 1
            self.requested += row.requested
            self.requested_um += row.requested_um or 0
        if row.status:
            self.answered += 1
            self.decided_count += row.status == DecisionStatus.DECIDED
            self.declined_count += row.status == DecisionStatus.DECLINED
        self.decided += row.decided
        self.decided_um += row.decided_um
        self.agreed += row.agreed
        self.settled += row.settled
        for k, figures in row.capacity.items():
            self.capacity[k].add(figures)

    @property
    def places(self) -> int:
        return sum(k.places for k in self.capacity.values())

    @property
    def remaining(self) -> int:
        return sum(k.remaining for k in self.capacity.values())

    @property
    def coverage(self) -> float | None:
        return self.places / self.requested if self.requested else None

    @property
    def decided_share(self) -> float | None:
        return self.decided / self.requested if self.requested else None


def municipalities(
    year: int, *, area: Area | None = None, county: str | None = None
) -> dict[str, tuple[str, str, str]]:
    """{number: (name, county, county name)} of the municipalities of ``year`` (the numbering valid
    on 1 January, or the latest), in ``area`` and ``county``."""
    day = dt.date(year, 1, 1)
    counties = dict(County.objects.valid_on(day).values_list("number", "name"))
    qs = Municipality.objects.valid_on(day)
    if county:
        qs = qs.filter(county__number=county)
    out = {}
    for nr, name, c in qs.order_by("number").values_list("number", "name", "county__number"):
        if area is None or nr in area:
            out[nr] = (name, c, counties.get(c, ""))
    return out


def overview(
    year: int,
    *,
    area: Area | None = None,
    county: str | None = None,
    known_at: dt.datetime | None = None,
) -> list[MunicipalityFigures]:
    """Every municipality of ``area`` (None: all) and ``county``: requested (the latest sent round),
    decided, agreed, settled and the capacity per kind, in ``year`` as known at ``known_at``.
    Six queries, whatever the number of municipalities."""
    munis = municipalities(year, area=area, county=county)
    rows = {nr: MunicipalityFigures(nr, *names) for nr, names in munis.items()}
    if not rows:
        return []
    numbers = list(rows)
    as_of = _day(known_at)

    def only(qs, field_name: str = "municipality"):
        # everything (IMDi nationally) needs no list of 357 numbers in the query
        return qs if area is None and not county else qs.filter(**{f"{field_name}__in": numbers})

    rnd = latest_sent_round(year, known_at=known_at)
    if rnd is not None:
        for nr, persons, um in only(MunicipalRequest.objects.as_known(known_at).filter(round=rnd)).values_list(
            "municipality", "persons", "um_persons"
        ):
            if nr in rows:
                rows[nr].requested, rows[nr].requested_um = persons, um

    for nr, status, persons, um, date in (
        only(MunicipalDecision.objects.as_known(known_at).filter(year=year))
        .order_by("recorded_at", "pk")
        .values_list("municipality", "status", "persons", "um_persons", "decision_date")
    ):
        if nr in rows:
            r = rows[nr]
            r.status, r.decided, r.decided_um, r.decision_date = status, persons, um, date

    for nr, kind, persons in (
        only(_agreements(known_at).filter(planned_date__year=year))
        .order_by()
        .values("municipality", "capacity_kind")
        .annotate(total=Sum("persons"))
        .values_list("municipality", "capacity_kind", "total")
    ):
        if nr in rows:
            rows[nr].agreed += persons
            if kind in rows[nr].capacity:
                rows[nr].capacity[kind].used += persons

    lines = only(CapacityLine.objects.as_known(known_at).filter(period_from__year=year))
    for row in (
        with_use(lines, known_at=known_at).order_by().only("municipality", "kind", "places", "closed", "period_to")
    ):
        if row.municipality not in rows or row.kind not in KINDS:
            continue
        figures = rows[row.municipality].capacity[row.kind]
        if row.closed:
            figures.closed_lines += 1
            continue
        figures.places += row.places
        if row.period_to >= as_of:
            figures.remaining += LineUse(row, row.used).remaining

    settled = SettledMember.objects.filter(settlement__settlement_date__year=year)
    if known_at is not None:
        settled = settled.filter(settlement__recorded_at__lte=known_at)
    for nr, count in (
        only(settled, "settlement__municipality")
        .order_by()
        .values("settlement__municipality")
        .annotate(n=Count("id"))
        .values_list("settlement__municipality", "n")
    ):
        if nr in rows:
            rows[nr].settled = count
    return list(rows.values())


def totals(rows: list[MunicipalityFigures]) -> tuple[list[Totals], Totals]:
    """Per county (in number order) and in all: the sums of ``rows`` (``overview``)."""
    by_county: dict[str, Totals] = {}
    everything = Totals("I alt")
    for row in rows:
        if row.county not in by_county:
            by_county[row.county] = Totals(f"{row.county} {row.county_name}".strip())
        by_county[row.county].add(row)
        everything.add(row)
    return [by_county[c] for c in sorted(by_county)], everything


def in_area(area: Area | None, municipality: str) -> bool:
    return area is None or municipality in area


__all__ = [
    "KINDS",
    "KindFigures",
    "LineUse",
    "MunicipalityFigures",
    "Totals",
    "capacity_history",
    "capacity_lines",
    "county_of",
    "current_decision",
    "decision_history",
    "NEED_FIELDS",
    "free_places",
    "in_area",
    "latest_sent_round",
    "line_for",
    "municipalities",
    "overview",
    "request_for",
    "totals",
    "with_use",
]
