"""Bosettingstall: every figure of ``settlement.md`` § 3, computed from the settlement rows, as known at
any moment, per municipality, county, IMDi region and nationally; and the weekly list of settled
persons by age group (``weekly_list``) for county governors and county municipalities.

    from nir.settlement import figures
    f = figures.compute(2025, known_at=None, area="50", allowed=settlement_area(user))
    f.values["settled"], f.values["wait_total"], f.by_county, f.monthly, f.ready
    figures.weekly_list(2025, 48, allowed=settlement_area(user))

*As known at* ``T`` (``known_at``; default now): every versioned row as ``VersionedQuerySet.known_at(T)``
gives it (the version valid at T; an annulled chain is gone), every recorded row (settled, proposals,
answers) only when ``recorded_at <= T``. So a settlement recorded after T never changes a figure as
known at T (``tests/settlement/test_figures_compute.py``). The stocks per month end (ready for
settlement, waiting in reception per 31.12.): each case and agreement as the system held it at the end
of that day (or at T when earlier), and no longer waiting once settled (its settlement date, known at T).

Every figure is SQL aggregation (``COUNT``/``SUM`` with ``FILTER``, grouped by municipality and month):
one statement for everything settled, one for proposals, one for agreements, one for the request,
decisions and capacity each, two for the stock at every month end (ready for settlement). Python only
adds up the at most 357 × 12 aggregated rows into counties, regions and the country.

How persons are classified (the definitions of IMDi's annual report, ``figures-2025.md`` § 1A):

* *resettlement refugee* and *collective protection*: the member's own marks (``CaseMember``);
* *EM* (enslig mindreårig): ``unaccompanied_minor``, with or without *følgeperson* (``companion``);
  EM *Bufetat* when the household came from a Bufetat care centre, otherwise EM *IMDi*;
* *persons in families with children* («registrerte familier med familiemedlemmer under 18 år»):
  every member who is not EM of a household with at least one child (``role = child``) who is not EM;
  *children* those children, *families* those households;
* *other adults*: every other member (not EM, in a household without children);
* *from reception* (mottak, Bufetat care centre, UDI special accommodation), *outside reception*
  (privatboende) and *from abroad* (resettlement refugees and medevac), by ``CaseDetails.location``;
* *special needs*: a household with special needs other than «none» (every member counts);
* *waiting time*: permit (entry permit) decision date → settlement date, in months of 30.4375 days,
  averaged over persons.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, FloatField, Func, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from nir.access.settlement import Area, county_of
from nir.settlement.models import (
    Agreement,
    CapacityLine,
    CaseDetails,
    CaseLocation,
    CaseMember,
    DecisionStatus,
    MemberRole,
    MunicipalDecision,
    MunicipalRequest,
    Operation,
    Proposal,
    RequestRound,
    SettlementNeed,
    SpecialNeedLevel,
)

OSLO = ZoneInfo("Europe/Oslo")
DAYS_PER_MONTH = 30.4375  # 365.25 / 12
LIVE = (Operation.CREATE, Operation.CORRECT)

# IMDi's regional offices and their counties (2024 numbering). [inf] from imdi.no; an IMDi regional office's
# organisation (``Organisation.county_numbers``) is what decides access, this only names the regions.
REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "region-ost": ("IMDi Øst", ("03", "31", "32")),
    "region-indre-ost": ("IMDi Indre Øst", ("33", "34")),
    "region-sor": ("IMDi Sør", ("39", "40", "42")),
    "region-vest": ("IMDi Vest", ("11", "46")),
    "region-midt": ("IMDi Midt-Norge", ("15", "50")),
    "region-nord": ("IMDi Nord", ("18", "55", "56")),
}
COUNTY_REGION = {c: code for code, (_name, counties) in REGIONS.items() for c in counties}

FROM_RECEPTION = (CaseLocation.RECEPTION, CaseLocation.BUFETAT, CaseLocation.UDI_SPECIAL)
FROM_OUTSIDE = (CaseLocation.PRIVATE,)
FROM_ABROAD = (CaseLocation.RESETTLEMENT, CaseLocation.MEDEVAC)
SPECIAL = (SpecialNeedLevel.MINOR, SpecialNeedLevel.RESOURCE_DEMANDING)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str  # bokmål, domain text like statistics.FIGURES
    source: str  # the words of settlement.md § 3 (and figures-2025.md § 1A) it answers
    kind: str = "count"  # count | months | share | places


# The figures of one area (``Figures.values``), in the order pages, exports and the API show them.
FIGURES: tuple[Figure, ...] = (
    Figure("settled", "Bosatte personer", "persons settled per year"),
    Figure("settled_resettlement", "– av disse overføringsflyktninger", "of which resettlement refugees"),
    Figure("settled_collective", "– av disse kollektiv beskyttelse (Ukraina)", "displaced from Ukraine"),
    Figure("settled_um", "Bosatte enslige mindreårige (EM)", "EM"),
    Figure("settled_um_companion", "– EM med følgeperson", "EM with følgeperson"),
    Figure("settled_um_alone", "– EM uten følgeperson", "EM without følgeperson"),
    Figure("settled_um_imdi", "– EM bosatt av IMDi", "EM IMDi/Bufetat"),
    Figure("settled_um_bufetat", "– EM fra Bufetat", "EM IMDi/Bufetat"),
    Figure("family_persons", "Bosatte i barnefamilier (personer)", "persons in families with children"),
    Figure("family_children", "– barn", "persons in families with children (children)"),
    Figure("families", "– barnefamilier", "persons in families with children (families)"),
    Figure("other_adults", "Bosatte andre voksne", "other adults"),
    Figure("from_reception", "Bosatt fra mottak", "settled from reception"),
    Figure("from_outside", "Bosatt fra utenfor mottak", "outside reception"),
    Figure("from_abroad", "Bosatt fra utlandet (overføring, medevac)", "abroad"),
    Figure("special_needs", "Bosatte med særlige behov", "settled with special needs (count"),
    Figure("special_needs_share", "Andel bosatte med særlige behov", "and share)", "share"),
    Figure("wait_total", "Gj.sn. ventetid, alle (mnd)", "average waiting time by group (total", "months"),
    Figure("wait_um", "Gj.sn. ventetid, EM (mnd)", "EM", "months"),
    Figure("wait_family", "Gj.sn. ventetid, barnefamilier (mnd)", "families", "months"),
    Figure("wait_other", "Gj.sn. ventetid, andre voksne (mnd)", "other adults", "months"),
    Figure("wait_collective", "Gj.sn. ventetid, kollektiv beskyttelse (mnd)", "collective protection", "months"),
    Figure("wait_not_collective", "Gj.sn. ventetid, andre flyktninger (mnd)", "vs others", "months"),
    Figure(
        "waiting_in_reception",
        "Med tillatelse, venter i mottak per 31.12.",
        "persons with a permit waiting in reception per 31.12",
    ),
    Figure("proposals", "Forslag (fordelinger)", "assignments"),
    Figure("proposals_special", "– med særlige behov", "share of assignments involving special needs"),
    Figure("proposals_special_share", "Andel fordelinger med særlige behov", "share of assignments", "share"),
    Figure("agreements", "Avtaler om bosetting", "agreements (Fig 3.1.6)"),
    Figure("requested", "Anmodet", "requested"),
    Figure("requested_um", "Anmodet EM", "requested (EM separately)"),
    Figure("decided", "Vedtatt", "decided"),
    Figure("decided_um", "Vedtatt EM", "decided (EM separately)"),
    Figure("capacity", "Meldt kapasitet (plasser)", "capacity", "places"),
    Figure("coverage", "Vedtak i prosent av behovet/anmodningen", "capacity coverage of the need", "share"),
    Figure("coverage_um", "Vedtak EM i prosent av behovet/anmodningen", "capacity coverage (EM)", "share"),
)
FIGURE_KEYS = tuple(f.key for f in FIGURES)
# The headings of the key figures: the first figure of each group and its title.
FIGURE_GROUPS = (
    ("settled", "Bosatte"),
    ("wait_total", "Ventetid fra tillatelse til bosetting"),
    ("waiting_in_reception", "Venter og fordeles"),
    ("requested", "Anmodning, vedtak og kapasitet"),
)
BY_KEY = {f.key: f for f in FIGURES}

# The columns of the table per municipality and per county (requested / decided / settled, EM separately).
AREA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("requested", "Anmodet"),
    ("requested_um", "Anmodet EM"),
    ("decided", "Vedtatt"),
    ("decided_um", "Vedtatt EM"),
    ("settled", "Bosatt"),
    ("settled_um", "Bosatt EM"),
    ("capacity", "Kapasitet"),
    ("coverage", "Vedtak/anmodning"),
)
MONTHLY_COLUMNS = (("settled", "Bosatte"), ("proposals", "Forslag"), ("agreements", "Avtaler"))
READY_COLUMNS = (
    ("persons", "Bosettingsklare personer"),
    ("with_agreement", "med avtale"),
    ("without_agreement", "uten avtale"),
    ("um", "EM"),
    ("special_needs", "med særlige behov"),
    ("cases", "saker (husstander)"),
)
MONTHS = ("jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des")

# Sums that make the averages and shares of any area from its municipalities'.
_SUMS = (
    "settled",
    "settled_resettlement",
    "settled_collective",
    "settled_um",
    "settled_um_companion",
    "settled_um_bufetat",
    "family_persons",
    "family_children",
    "families",
    "other_adults",
    "from_reception",
    "from_outside",
    "from_abroad",
    "special_needs",
    "days_total",
    "days_um",
    "days_family",
    "days_other",
    "days_collective",
    "days_not_collective",
    "n_collective",
    "proposals",
    "proposals_special",
    "agreements",
    "requested",
    "requested_um",
    "decided",
    "decided_um",
    "capacity",
)


class FiguresError(ValueError):
    """A bad parameter (Norwegian message): 400 on pages and the API, exit 2 on the command line.
    ``field``: the parameter at fault (``year``, ``area``, ``known_at``), so a page marks that field."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


class OutsideArea(FiguresError):
    """The area asked for is outside what the principal may read (404: as unknown)."""


class DaysBetween(Func):
    """``a - b`` in days (two dates), on SQLite and PostgreSQL."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):  # type: ignore[override]
        a, pa = compiler.compile(self.source_expressions[0])
        b, pb = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            return f"(({a})::date - ({b})::date)", (*pa, *pb)
        return f"(julianday({a}) - julianday({b}))", (*pa, *pb)


def known(prefix: str, when: dt.datetime) -> Q:
    """The rows of a versioned model (through ``prefix``) as known at ``when`` (``VersionedQuerySet.known_at``,
    for a relation; positive conditions only, so that one ``filter()`` keeps one join)."""
    return Q(**{f"{prefix}recorded_at__lte": when, f"{prefix}operation__in": LIVE}) & (
        Q(**{f"{prefix}superseded_at__isnull": True}) | Q(**{f"{prefix}superseded_at__gt": when})
    )


def parse_known_at(text: str | None) -> dt.datetime | None:
    """«Kjent per» as typed: empty (now), a date (the end of that day, Norwegian time: dd.mm.yyyy or
    yyyy-mm-dd) or an ISO timestamp with time zone. ``FiguresError`` for anything else."""
    from nir.isodates import TimeOutOfRange, check_known_at, parse_datetime, parse_typed_date

    text = (text or "").strip()
    if not text or text == "now":
        return None
    try:
        if len(text) == 10:
            return end_of_day(parse_typed_date(text))
        return check_known_at(parse_datetime(text))
    except TimeOutOfRange as e:
        raise FiguresError(f"«kjent per»: {e}", "known_at") from None
    except (ValueError, TypeError, OverflowError):
        raise FiguresError(
            "«kjent per» må være en dato (dd.mm.åååå eller åååå-mm-dd) eller et tidspunkt med tidssone", "known_at"
        ) from None


def parse_year(text: str | int | None, default: int) -> int:
    if text in (None, ""):
        return default
    try:
        year = int(text)
    except (TypeError, ValueError):
        raise FiguresError(f"ugyldig år «{str(text)[:10]}»", "year") from None
    if not 2000 <= year <= 2100:
        raise FiguresError(f"ugyldig år «{year}»", "year")
    return year


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=OSLO) - dt.timedelta(microseconds=1)


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=OSLO)


def month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


# --- areas ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaChoice:
    code: str  # "" national, "NN" county, "NNNN" municipality, "region-…" IMDi region
    kind: str  # national | county | region | municipality
    label: str
    municipalities: frozenset[str] | None  # None: every municipality


def municipality_names() -> dict[str, tuple[str, str]]:
    """{municipality: (name, county)} and the county names of the reference data (latest name)."""
    from nir.reports.areas import area_names

    munis, _counties, _districts = area_names()
    return munis


def county_names() -> dict[str, str]:
    from nir.reports.areas import area_names

    return area_names()[1]


def _within(municipalities: Iterable[str], allowed: Area | None) -> frozenset[str]:
    return frozenset(m for m in municipalities if allowed is None or m in allowed)


def resolve_area(code: str | None, allowed: Area | None, names: dict[str, tuple[str, str]] | None = None) -> AreaChoice:
    """The area asked for (``code``) as far as ``allowed`` (``settlement_area``) reaches; no code: all
    the principal may read. ``FiguresError`` for an unknown code, ``OutsideArea`` for one outside."""
    code = (code or "").strip()
    names = municipality_names() if names is None else names
    if code in ("", "national", "hele-landet"):
        if allowed is None:
            return AreaChoice("", "national", "Hele landet", None)
        munis = _within(names, allowed)
        if not munis:
            raise OutsideArea("Du har ikke tilgang til bosettingstall for noe område.")
        counties = sorted({county_of(m) for m in munis})
        cn = county_names()
        whole = munis == frozenset(m for m, (_n, c) in names.items() if c in counties)
        if len(munis) == 1:
            (only,) = munis
            label = f"{names[only][0]} kommune"
        elif whole:
            label = ", ".join(cn.get(c, c) for c in counties)
        else:
            label = f"{len(munis)} kommuner"
        return AreaChoice("", "own", label, munis)
    if code in REGIONS:
        name, counties = REGIONS[code]
        munis = frozenset(m for m, (_n, c) in names.items() if c in counties)
        kind = "region"
    elif len(code) == 2 and code.isdigit():
        cn = county_names()
        if code not in cn:
            raise FiguresError(f"ukjent fylke «{code}»", "area")
        name = cn[code]
        munis = frozenset(m for m, (_n, c) in names.items() if c == code)
        kind = "county"
    elif len(code) == 4 and code.isdigit():
        if code not in names:
            raise FiguresError(f"ukjent kommune «{code}»", "area")
        name = f"{names[code][0]} kommune"
        munis = frozenset({code})
        kind = "municipality"
    else:
        raise FiguresError(
            f"ukjent område «{code[:20]}»: oppgi fylke (2 siffer), kommune (4) eller en IMDi-region", "area"
        )
    if allowed is not None:
        seen = _within(munis, allowed)
        if not seen:
            raise OutsideArea(f"{name} er utenfor området du har tilgang til.")
        if seen != munis:
            name = f"{name} (bare kommunene du har tilgang til)"
        munis = seen
    return AreaChoice(code, kind, name, munis)


def area_options(allowed: Area | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The select of areas a principal may choose: regions, counties and municipalities (grouped)."""
    names = municipality_names()
    munis = sorted(m for m in names if allowed is None or m in allowed)
    counties = sorted({names[m][1] for m in munis})
    cn = county_names()
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    if allowed is None:
        groups.append(("IMDi-regioner", [(code, name) for code, (name, _c) in REGIONS.items()]))
    groups.append(("Fylker", [(c, f"{c} {cn.get(c, c)}") for c in counties]))
    groups.append(("Kommuner", [(m, f"{m} {names[m][0]}") for m in munis]))
    return groups


# --- the result ----------------------------------------------------------------------------------


@dataclass
class AreaRow:
    code: str
    name: str
    values: dict[str, Any]
    sums: dict[str, int] = field(default_factory=dict)  # what the values are made from (to add areas up)


@dataclass
class Figures:
    year: int
    known_at: dt.datetime
    area: AreaChoice
    values: dict[str, Any]  # FIGURE_KEYS → number (None: no basis, e.g. an average of nobody)
    need: dict[str, Any] | None  # the national need as known at T (only for the whole country)
    by_municipality: list[AreaRow]
    by_county: list[AreaRow]
    monthly: list[dict[str, Any]]  # 12 × {"month": 1.., "settled", "proposals", "agreements"}
    ready: list[dict[str, Any]]  # per month end up to known_at: {"date", "persons", …}
    sums: dict[str, int] = field(default_factory=dict)


def _finish(s: dict[str, int], need: dict[str, Any] | None = None) -> dict[str, Any]:
    """The figures of an area from its sums: averages in months, shares, coverage."""

    def avg(days: str, n: int) -> float | None:
        return round(s.get(days, 0) / n / DAYS_PER_MONTH, 1) if n else None

    def share(a: int, b: int | None) -> float | None:
        return round(a / b, 4) if b else None

    settled = s.get("settled", 0)
    values: dict[str, Any] = {k: s.get(k, 0) for k in FIGURE_KEYS if k in _SUMS}
    values["settled_um_alone"] = s.get("settled_um", 0) - s.get("settled_um_companion", 0)
    values["settled_um_imdi"] = s.get("settled_um", 0) - s.get("settled_um_bufetat", 0)
    values["special_needs_share"] = share(s.get("special_needs", 0), settled)
    values["wait_total"] = avg("days_total", settled)
    values["wait_um"] = avg("days_um", s.get("settled_um", 0))
    values["wait_family"] = avg("days_family", s.get("family_persons", 0))
    values["wait_other"] = avg("days_other", s.get("other_adults", 0))
    values["wait_collective"] = avg("days_collective", s.get("n_collective", 0))
    values["wait_not_collective"] = avg("days_not_collective", settled - s.get("n_collective", 0))
    values["waiting_in_reception"] = s.get("waiting_in_reception", 0)
    values["proposals_special_share"] = share(s.get("proposals_special", 0), s.get("proposals", 0))
    # Coverage: the decisions against the need (the whole country) or the request (an area).
    base, base_um = (need["persons"], need["um_persons"]) if need else (s.get("requested"), s.get("requested_um"))
    values["coverage"] = share(s.get("decided", 0), base)
    values["coverage_um"] = share(s.get("decided_um", 0), base_um)
    return {k: values.get(k) for k in FIGURE_KEYS}


def _add(into: dict[str, int], row: dict[str, Any]) -> None:
    for k, v in row.items():
        if v is not None and not isinstance(v, str):
            into[k] = into.get(k, 0) + int(v)


# --- the queries ---------------------------------------------------------------------------------


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _settled_rows(year: int, when: dt.datetime, munis: frozenset[str] | None) -> list[dict[str, Any]]:
    """Everything settled in ``year`` as known at ``when``: one row per municipality and month."""
    first, last = _year_bounds(year)
    child = CaseMember.objects.filter(
        known("", when), case=OuterRef("case"), role=MemberRole.CHILD, unaccompanied_minor=False
    )
    qs = CaseMember.objects.filter(
        known("", when),
        case__settlement__recorded_at__lte=when,
        case__settlement__settlement_date__gte=first,
        case__settlement__settlement_date__lte=last,
    ).filter(known("case__details__", when))
    if munis is not None:
        qs = qs.filter(case__settlement__municipality__in=sorted(munis))
    qs = qs.alias(
        loc=F("case__details__location"),
        need=F("case__details__special_need_level"),
        days=DaysBetween(F("case__settlement__settlement_date"), F("case__details__permit_date")),
    )
    adult_or_child = Q(unaccompanied_minor=False)  # in a family with children, or another adult (by ``fam``)
    um = Q(unaccompanied_minor=True)
    coll = Q(collective_protection=True)
    # Grouped by whether the household has a child who is not EM (``fam``: evaluated once per row).
    rows = (
        qs.values(
            muni=F("case__settlement__municipality"),
            month=TruncMonth("case__settlement__settlement_date"),
            fam=Exists(child),
        )
        .annotate(
            settled=Count("id"),
            settled_resettlement=Count("id", filter=Q(resettlement_refugee=True)),
            settled_collective=Count("id", filter=coll),
            settled_um=Count("id", filter=um),
            settled_um_companion=Count("id", filter=um & Q(companion=True)),
            settled_um_bufetat=Count("id", filter=um & Q(loc=CaseLocation.BUFETAT)),
            not_um=Count("id", filter=adult_or_child),
            not_um_children=Count("id", filter=adult_or_child & Q(role=MemberRole.CHILD)),
            not_um_cases=Count("case", distinct=True, filter=adult_or_child),
            from_reception=Count("id", filter=Q(loc__in=FROM_RECEPTION)),
            from_outside=Count("id", filter=Q(loc__in=FROM_OUTSIDE)),
            from_abroad=Count("id", filter=Q(loc__in=FROM_ABROAD)),
            special_needs=Count("id", filter=Q(need__in=SPECIAL)),
            days_total=Sum("days"),
            days_um=Sum("days", filter=um),
            days_not_um=Sum("days", filter=adult_or_child),
            days_collective=Sum("days", filter=coll),
            days_not_collective=Sum("days", filter=~coll),
            n_collective=Count("id", filter=coll),
        )
        .order_by()
    )
    out = []
    for row in rows:
        fam = row.pop("fam")
        persons, children, cases, days = (
            row.pop("not_um"),
            row.pop("not_um_children"),
            row.pop("not_um_cases"),
            row.pop("days_not_um"),
        )
        if fam:
            row.update(family_persons=persons, family_children=children, families=cases, days_family=days)
        else:
            row.update(other_adults=persons, days_other=days)
        out.append(row)
    return out


def _in_year(year: int, when: dt.datetime) -> Q:
    return Q(recorded_at__gte=start_of_day(dt.date(year, 1, 1)), recorded_at__lt=start_of_day(dt.date(year + 1, 1, 1)))


def _proposal_rows(year: int, when: dt.datetime, munis: frozenset[str] | None) -> list[dict[str, Any]]:
    special = CaseDetails.objects.filter(known("", when), case=OuterRef("case"), special_need_level__in=SPECIAL)
    qs = Proposal.objects.filter(_in_year(year, when), recorded_at__lte=when)
    if munis is not None:
        qs = qs.filter(municipality__in=sorted(munis))
    return list(
        qs.alias(spec=Exists(special))
        .values(muni=F("municipality"), month=TruncMonth("recorded_at", tzinfo=OSLO))
        .annotate(proposals=Count("id"), proposals_special=Count("id", filter=Q(spec=True)))
        .order_by()
    )


def _agreement_rows(year: int, when: dt.datetime, munis: frozenset[str] | None) -> list[dict[str, Any]]:
    """Agreements entered (the first version of each agreement) in the year, by municipality and month."""
    qs = Agreement.objects.filter(_in_year(year, when), recorded_at__lte=when, operation=Operation.CREATE)
    if munis is not None:
        qs = qs.filter(municipality__in=sorted(munis))
    return list(
        qs.values(muni=F("municipality"), month=TruncMonth("recorded_at", tzinfo=OSLO))
        .annotate(agreements=Count("id"))
        .order_by()
    )


def sent_round(year: int, when: dt.datetime) -> RequestRound | None:
    """The request round of the year sent last before ``when`` (the request in force)."""
    return (
        RequestRound.objects.filter(year=year, sent_at__isnull=False, sent_at__lte=when, recorded_at__lte=when)
        .order_by("-sent_at", "-number")
        .first()
    )


def _plan_rows(year: int, when: dt.datetime, munis: frozenset[str] | None) -> dict[str, dict[str, int]]:
    """Requested (the latest sent round), decided and capacity per municipality, as known at ``when``."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    rnd = sent_round(year, when)
    if rnd is not None:
        lines = MunicipalRequest.objects.filter(known("", when), round=rnd)
        if munis is not None:
            lines = lines.filter(municipality__in=sorted(munis))
        for muni, persons, um in lines.values_list("municipality", "persons", "um_persons"):
            out[muni]["requested"] = out[muni].get("requested", 0) + persons
            out[muni]["requested_um"] = out[muni].get("requested_um", 0) + um
    decisions = MunicipalDecision.objects.filter(known("", when), year=year, status=DecisionStatus.DECIDED)
    if munis is not None:
        decisions = decisions.filter(municipality__in=sorted(munis))
    for row in decisions.values("municipality").annotate(d=Sum("persons"), du=Sum("um_persons")).order_by():
        out[row["municipality"]]["decided"] = row["d"] or 0
        out[row["municipality"]]["decided_um"] = row["du"] or 0
    first, last = _year_bounds(year)
    capacity = CapacityLine.objects.filter(known("", when), period_from__lte=last, period_to__gte=first)
    if munis is not None:
        capacity = capacity.filter(municipality__in=sorted(munis))
    for row in capacity.values("municipality").annotate(p=Sum("places")).order_by():
        out[row["municipality"]]["capacity"] = row["p"] or 0
    return out


def need_as_known(year: int, when: dt.datetime) -> dict[str, Any] | None:
    need = SettlementNeed.objects.known_at(when).filter(year=year).order_by("-recorded_at").first()
    if need is None:
        return None
    return {"persons": need.persons, "um_persons": need.um_persons, "decided_on": need.decided_on}


def _live_at(moment: dt.datetime, rec: str = "recorded_at", sup: str = "superseded_at") -> Q:
    return Q(**{f"{rec}__lte": moment}) & (Q(**{f"{sup}__isnull": True}) | Q(**{f"{sup}__gt": moment}))


def ready_months(days: list[dt.date], when: dt.datetime, munis: frozenset[str] | None) -> list[dict[str, int]]:
    """The households ready for settlement at the end of each of ``days`` (ready and permit by then, not
    settled by then): the case, its members and its agreement as the system held them at the end of that
    day (or at ``when`` if earlier), settled by the settlement date as known at ``when`` (a settlement
    recorded late still ends the waiting on the day it happened). Persons and cases, with/without an
    agreement, EM, special needs, and the persons in reception (mottak). In an area: the households
    located in its municipalities.

    Two statements for all the days, each reading every version of the rows once: one over the members
    (persons), one over the cases' details (households), with a ``FILTER`` per day."""
    if not days:
        return []
    moments = [min(when, end_of_day(day)) for day in days]

    def waiting(day: dt.date, moment: dt.datetime, p: str) -> Q:
        """A details row (through ``p``) current at ``moment``, ready by ``day``, not settled by then."""
        return (
            _live_at(moment, f"{p}rec", f"{p}sup")
            & Q(**{f"{p}ready__lte": day, f"{p}permit__lte": day})
            & (Q(s_rec__isnull=True) | Q(s_rec__gt=when) | Q(s_date__gt=day))
        )

    def agreed(moment: dt.datetime) -> Exists:
        return Exists(Agreement.objects.filter(known("", moment), case=OuterRef("case")))

    details = Q(case__details__operation__in=LIVE)
    if munis is not None:
        details &= Q(case__details__location_municipality__in=sorted(munis))
    members = (
        CaseMember.objects.filter(operation__in=LIVE)
        .filter(details)  # one filter(): one join of the (versioned) details
        .alias(
            d_rec=F("case__details__recorded_at"),
            d_sup=F("case__details__superseded_at"),
            d_ready=F("case__details__ready_date"),
            d_permit=F("case__details__permit_date"),
            loc=F("case__details__location"),
            need=F("case__details__special_need_level"),
            s_rec=F("case__settlement__recorded_at"),
            s_date=F("case__settlement__settlement_date"),
            **{f"agr{k}": agreed(m) for k, m in enumerate(moments)},
        )
    )
    cases = CaseDetails.objects.filter(operation__in=LIVE)
    if munis is not None:
        cases = cases.filter(location_municipality__in=sorted(munis))
    cases = cases.alias(
        rec=F("recorded_at"),
        sup=F("superseded_at"),
        ready=F("ready_date"),
        permit=F("permit_date"),
        s_rec=F("case__settlement__recorded_at"),
        s_date=F("case__settlement__settlement_date"),
        **{f"agr{k}": agreed(m) for k, m in enumerate(moments)},
    )
    person_counts: dict[str, Count] = {}
    case_counts: dict[str, Count] = {}
    for k, (day, moment) in enumerate(zip(days, moments)):
        here = waiting(day, moment, "d_") & _live_at(moment)
        agr = Q(**{f"agr{k}": True})
        person_counts |= {
            f"persons{k}": Count("id", filter=here),
            f"with_agreement{k}": Count("id", filter=here & agr),
            f"um{k}": Count("id", filter=here & Q(unaccompanied_minor=True)),
            f"special_needs{k}": Count("id", filter=here & Q(need__in=SPECIAL)),
            f"in_reception{k}": Count("id", filter=here & Q(loc=CaseLocation.RECEPTION)),
        }
        here = waiting(day, moment, "")
        case_counts |= {
            f"cases{k}": Count("id", filter=here),
            f"cases_with_agreement{k}": Count("id", filter=here & agr),
            f"special_cases{k}": Count("id", filter=here & Q(special_need_level__in=SPECIAL)),
        }
    p = members.aggregate(**person_counts)
    c = cases.aggregate(**case_counts)
    out = []
    for k in range(len(days)):
        row = {key: p[f"{key}{k}"] for key in ("persons", "with_agreement", "um", "special_needs", "in_reception")}
        row |= {key: c[f"{key}{k}"] for key in ("cases", "cases_with_agreement", "special_cases")}
        row["without_agreement"] = row["persons"] - row["with_agreement"]
        out.append(row)
    return out


def ready_at(day: dt.date, when: dt.datetime, munis: frozenset[str] | None) -> dict[str, int]:
    """``ready_months`` of one day."""
    return ready_months([day], when, munis)[0]


def waiting_in_reception(year: int, when: dt.datetime, munis: frozenset[str] | None) -> int:
    """Persons with a permit waiting in reception (mottak) per 31.12. of ``year``."""
    return ready_at(dt.date(year, 12, 31), when, munis)["in_reception"]


# --- the figures ---------------------------------------------------------------------------------


def _month(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value, OSLO) if timezone.is_aware(value) else value).month
    return value.month


def compute(
    year: int,
    *,
    known_at: dt.datetime | None = None,
    area: str | None = None,
    allowed: Area | None = None,
    names: dict[str, tuple[str, str]] | None = None,
) -> Figures:
    """Every figure of ``year`` as known at ``known_at`` (default now) for ``area`` (see ``resolve_area``),
    within ``allowed`` (``nir.access.settlement.settlement_area``; None: everything)."""
    if not 2000 <= year <= 2100:
        raise FiguresError(f"ugyldig år «{year}»", "year")
    when = known_at or timezone.now()
    if timezone.is_naive(when):
        raise FiguresError("tidspunktet «kjent per» må ha tidssone", "known_at")
    names = municipality_names() if names is None else names
    choice = resolve_area(area, allowed, names)
    munis = choice.municipalities

    per_muni: dict[str, dict[str, int]] = defaultdict(dict)
    monthly = [{"month": m, "settled": 0, "proposals": 0, "agreements": 0} for m in range(1, 13)]
    for rows in (
        _settled_rows(year, when, munis),
        _proposal_rows(year, when, munis),
        _agreement_rows(year, when, munis),
    ):
        for row in rows:
            muni, month = row.pop("muni"), _month(row.pop("month"))
            _add(per_muni[muni], row)
            for key in ("settled", "proposals", "agreements"):
                if key in row:
                    monthly[month - 1][key] += row[key] or 0
    for muni, row in _plan_rows(year, when, munis).items():
        _add(per_muni[muni], row)

    total: dict[str, int] = {}
    counties: dict[str, dict[str, int]] = defaultdict(dict)
    # Every county of the area has a row, also one where nothing happened (0 in the tables and the chart).
    for _name, county in names.values() if munis is None else (names[m] for m in munis if m in names):
        counties[county]
    for muni, s in per_muni.items():
        _add(total, s)
        _add(counties[county_of(muni)], s)
    need = need_as_known(year, when) if choice.kind == "national" else None

    # The stock at each month end of the year up to the moment the figures are known at.
    last_day = min(dt.date(year, 12, 31), timezone.localtime(when, OSLO).date())
    days: list[tuple[int, dt.date]] = []
    for m in range(1, 13):
        day = min(month_end(year, m), last_day)
        if day < dt.date(year, m, 1):
            break
        days.append((m, day))
    counts = ready_months([d for _m, d in days], when, munis)
    ready = [{"month": m, "date": day, **row} for (m, day), row in zip(days, counts)]
    year_end = dt.date(year, 12, 31)
    if ready and ready[-1]["date"] == year_end:
        total["waiting_in_reception"] = ready[-1]["in_reception"]
    else:
        total["waiting_in_reception"] = waiting_in_reception(year, when, munis)

    cn = county_names()
    by_municipality = [
        AreaRow(m, names.get(m, (m, ""))[0], _finish(per_muni[m]), per_muni[m]) for m in sorted(per_muni) if per_muni[m]
    ]
    by_county = [AreaRow(c, cn.get(c, c), _finish(counties[c]), counties[c]) for c in sorted(counties)]
    return Figures(
        year=year,
        known_at=when,
        area=choice,
        values=_finish(total, need),
        need=need,
        by_municipality=by_municipality,
        by_county=by_county,
        monthly=monthly,
        ready=ready,
        sums=total,
    )


def by_region(f: Figures) -> list[AreaRow]:
    """The figures per IMDi region, from the counties'."""
    sums: dict[str, dict[str, int]] = defaultdict(dict)
    for row in f.by_county:
        region = COUNTY_REGION.get(row.code)
        if region:
            _add(sums[region], row.sums)
    return [AreaRow(code, REGIONS[code][0], _finish(sums[code])) for code in REGIONS if code in sums]


# --- the weekly list -----------------------------------------------------------------------------

# IMDi's age groups of settled persons: the boundaries of kindergarten (0–5), compulsory school (6–15),
# upper secondary age (16–17), young adults (18–24), ten-year groups to 54, the introduction programme's
# upper age (55–66) and pension age (67+).
AGE_GROUPS: tuple[tuple[str, int, int | None], ...] = (
    ("0–5", 0, 5),
    ("6–15", 6, 15),
    ("16–17", 16, 17),
    ("18–24", 18, 24),
    ("25–34", 25, 34),
    ("35–44", 35, 44),
    ("45–54", 45, 54),
    ("55–66", 55, 66),
    ("67+", 67, None),
)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_group(age: int) -> str:
    for label, lo, hi in AGE_GROUPS:
        if age >= lo and (hi is None or age <= hi):
            return label
    return AGE_GROUPS[0][0]


@dataclass
class WeeklyList:
    year: int
    week: int
    first: dt.date
    last: dt.date
    known_at: dt.datetime
    area_label: str
    rows: list[AreaRow]  # per municipality: values = {age group: persons, "total": persons}
    total: dict[str, int]


def iso_week(year: int, week: int) -> tuple[dt.date, dt.date]:
    try:
        first = dt.date.fromisocalendar(year, week, 1)
    except ValueError as e:
        raise FiguresError(f"ugyldig uke {week} i {year}", "week") from e
    return first, first + dt.timedelta(days=6)


def weekly_list(
    year: int, week: int, *, known_at: dt.datetime | None = None, allowed: Area | None = None, area: str | None = None
) -> WeeklyList:
    """Persons settled in ISO week ``week`` of ``year`` (settlement date), per municipality and age group
    at the settlement date: counts only, no names."""
    first, last = iso_week(year, week)
    when = known_at or timezone.now()
    names = municipality_names()
    choice = resolve_area(area, allowed, names)
    qs = CaseMember.objects.filter(
        known("", when),
        case__settlement__recorded_at__lte=when,
        case__settlement__settlement_date__gte=first,
        case__settlement__settlement_date__lte=last,
    )
    if choice.municipalities is not None:
        qs = qs.filter(case__settlement__municipality__in=sorted(choice.municipalities))
    per: dict[str, dict[str, int]] = defaultdict(lambda: {label: 0 for label, _lo, _hi in AGE_GROUPS})
    rows = (
        qs.values_list("case__settlement__municipality", "case__settlement__settlement_date", "birth_date")
        .annotate(n=Count("id"))
        .order_by()
    )
    for muni, day, birth, n in rows:
        per[muni][age_group(age_on(birth, day))] += n
    total = {label: 0 for label, _lo, _hi in AGE_GROUPS}
    out = []
    for muni in sorted(per):
        values = dict(per[muni])
        for k, v in values.items():
            total[k] += v
        values["total"] = sum(per[muni].values())
        out.append(AreaRow(muni, names.get(muni, (muni, ""))[0], values))
    total["total"] = sum(v for k, v in total.items())
    return WeeklyList(year, week, first, last, when, choice.label, out, total)
