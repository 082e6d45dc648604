"""A synthetic settlement year (Bosetting) in the shape of IMDi's 2025 figures.

``generate(year, seed, now)`` writes one year of the settlement process into
``nir.settlement.models``, deterministically for the same register, ``year``,
``seed`` and ``now``:

* the national need (``SettlementNeed``) with its revisions (2025: 18,900 asked → 12,640 in June →
  13,150 in October; EM separately), scaled;
* the request round (``nir.settlement.request`` when it is installed; otherwise the clearly named
  fallback ``_fallback_request_round``: the need split over municipalities by population);
* municipal decisions (about 96 % of the requested municipalities decide about 83 % of the
  request; some change their decision during the year), capacity lines per municipality, kind
  and quarter (some closed when full);
* settlement cases: households (size, adults and children, EM with or without *følgeperson*,
  about 5 % of persons with special needs of a kind, connection, location), per-person mapping,
  proposals with answers (mostly accepted; some declined with a reason, a few withdrawn),
  agreements with planned dates and settled households; at year end about 4,000 persons per
  13,000 settled are ready and waiting, a third of them with an agreement; a few cases withdrawn.

**The register and Bosetting agree.** By default every person the register holds as settled *by
agreement* in the year (``Settlement.by_agreement``, written by ``nir synth``) is the first adult
of one settled household, at that person's municipality, district and date, with the permit date
of the person's residence permit (so the waiting time is the register's). Partners, children and
unaccompanied minors of settled households are new register persons (``Person``,
``PersonDetails``, ``Settlement(by_agreement=True)``), as the settle action creates persons the
register does not know. So every settled member (``SettledMember``) is a register person with a
by-agreement settlement at the case's municipality and date, and every such register settlement
of the year belongs to a case. The size of the year follows from the register (``scale`` =
settled persons / 13,000); with ``cases=`` (benchmarks) the first adults are new register persons
too and the year is sized to that many cases.

Rows are written in bulk (this package is exempt from the actions-only rule because it generates
synthetic data) by the system actor ``Syntetisk`` from the source system ``nir synth``. Identity
numbers are synthetic only (``nir.synth.ids``: DUF numbers, fødselsnummer with month + 80).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, models, transaction
from django.db.models import OuterRef, Subquery

from nir.access.models import Organisation
from nir.access.roles import OrganisationKind
from nir.actions import Acting
from nir.register import models as rm
from nir.rules.dates import day as day_number
from nir.settlement import models as sm
from nir.synth import world as w
from nir.synth.ids import DUF_SERIAL_SPACE, NationalIdAllocator, duf_numbers

OSLO = ZoneInfo("Europe/Oslo")
SYSTEM_ACTOR = "Syntetisk"
SOURCE_SYSTEM = "nir synth"
BATCH = 2_000

# The 2025 figures the year is shaped after (figures-2025.md §§ 1A, 2; settlement.md § 3).
TARGET_SETTLED = 13_000  # persons settled in the year (12,596 in 2025)
TARGET_READY_END = 4_000  # persons ready for settlement at year end (3,990)
TARGET_SPECIAL_SHARE = 0.05  # settled persons with special needs (630 = 5 %)
TARGET_UM = 800  # unaccompanied minors settled (783)
TARGET_WAIT_MONTHS = 3.1  # mean months from permit (entry permit) to settlement
NEED_REVISIONS = (  # (year offset, month, day, persons, EM, note); the first is set the autumn before
    (-1, 11, 15, 18_900, 752, "Behov meldt av Nasjonalt utvalg"),
    (0, 6, 15, 12_640, 752, "Redusert behov (prognose juni)"),
    (0, 10, 15, 13_150, 769, "Økt behov (prognose oktober), ingen ny anmodning"),
)
REQUEST_AFTER_NEED = dt.timedelta(days=33)  # the request goes out in December (2026 criteria: from 16.12.2025)
REQUESTED_MUNICIPALITIES = 344
UM_REQUESTED_MUNICIPALITIES = 74
DECIDED_SHARE = 0.83  # of the request
# Of the adult households (the first adult of each is a register person in the default mode).
FAMILY_SHARE = 0.29  # 2,070 families with children of ~7,200 adult households
COUPLE_SHARE = 0.12  # other adults: a couple without children
PARTNER_SHARE = 0.49  # families: a second adult (1.49 adults per family)
UM_PER_ADULT_HOUSEHOLD = 0.099  # ~710 EM households per ~7,200 adult households
UM_PAIR_SHARE = 0.10
UM_COMPANION_SHARE = 0.15  # 118 of 783 with følgeperson
UM_BUFETAT_SHARE = 0.135  # under 15, Bufetat's care centres (106 of 783)
SPECIAL_HOUSEHOLD_SHARE = 0.047  # gives ~5 % of persons
CONNECTION_SHARE = 0.25
RESETTLEMENT_SHARE = 0.054
COLLECTIVE_SHARE = 0.867
WITHDRAWN_SHARE = 0.02
RESCHEDULED_SHARE = 0.10
# Household members the year creates: unaccompanied minors moving within 2½ years, and the introduction
# programme's results of adults (within two years: in work or education; else later and otherwise).
UM_MOVE_SHARE = 0.12
MEMBER_WORK_SHARE = 0.38
MEMBER_WORK_REASONS = ("work", "work_wage_subsidy", "education", "work_and_education")
MEMBER_WORK_WEIGHTS = (0.45, 0.1, 0.35, 0.1)
MEMBER_OTHER_REASONS = ("deadline_reached", "health", "care", "other", "work")
MEMBER_OTHER_WEIGHTS = (0.5, 0.12, 0.13, 0.1, 0.15)  # settled households whose agreement got a new planned date
RESCHEDULE_REASONS = ("Boligen ble klar tidligere", "Ny dato etter ønske fra kommunen", "Flyreise endret")

DECLINE_REASONS = (
    "Ingen ledig bolig av riktig størrelse",
    "Kan ikke gi tilbud om tilrettelagt bolig",
    "Kapasiteten er brukt opp for perioden",
    "Manglende tjenestetilbud for helsebehovet",
    "Kommunen har allerede mange bosatte i samme periode",
)
WITHDRAW_REASONS = ("Saken ble trukket av IMDi: ny vurdering av særlige behov", "Husstanden fikk ny sammensetning")
CASE_WITHDRAW_REASONS = ("Flyttet ut av mottak på egen hånd", "Reist ut av Norge", "Bosatt på egen hånd")
RECEPTIONS = (  # (name, municipality): where reception cases are
    ("Trondheim mottak", "5001"),
    ("Hvalstad mottak", "3203"),
    ("Kongsvinger mottak", "3401"),
    ("Haugesund mottak", "1106"),
    ("Bodø mottak", "1804"),
    ("Vadsø mottak", "5607"),
    ("Stavanger mottak", "1103"),
    ("Oslo mottak", "0301"),
)
BUFETAT_CENTRES = (
    ("Bufetat omsorgssenter Trondheim", "5001"),
    ("Bufetat omsorgssenter Oslo", "0301"),
    ("Bufetat omsorgssenter Bergen", "4601"),
    ("Bufetat omsorgssenter Kristiansand", "4204"),
)
WISHES = ("Ønsker nærhet til familie", "Ønsker bosetting i by", "Ønsker videregående skole i nærheten", "")
LANGUAGES = ("arabisk", "dari", "tigrinja", "somali", "ukrainsk", "russisk", "engelsk", "fransk", "kurmanji")


@dataclass
class Member:
    key: uuid.UUID
    first_name: str
    last_name: str
    birth: dt.date
    sex: str  # "M" / "F"
    role: str
    duf: str = ""
    national_id: str = ""
    person_id: int | None = None  # register person (settled households)
    um: bool = False
    companion: bool = False
    collective: bool = False
    resettled: bool = False


@dataclass
class Household:
    members: list[Member]
    location: str
    permit: dt.date
    ready: dt.date
    um: bool = False
    settled_on: dt.date | None = None
    municipality: str = ""
    district: str = ""
    special_level: str = sm.SpecialNeedLevel.NONE
    special_kinds: list[str] = field(default_factory=list)
    connection: str = ""
    connection_kind: str = ""
    state: str = "settled"  # settled / agreed / proposed / declined / waiting / withdrawn
    origin: int = 0

    @property
    def adults(self) -> int:
        return sum(m.role == sm.MemberRole.ADULT for m in self.members)

    @property
    def capacity_kind(self) -> str:
        if self.um:
            return sm.CapacityKind.UM
        if len(self.members) == 1:
            return sm.CapacityKind.SINGLE_ADULTS
        return sm.CapacityKind.FAMILIES


@dataclass
class YearSummary:
    """The headline figures of a generated (or stored) settlement year, with the 2025 targets."""

    year: int
    scale: float
    cases: int
    settled_persons: int
    settled_households: int
    ready_end_persons: int
    ready_end_with_agreement: int
    special_share: float
    um_settled: int
    um_with_companion: int
    wait_months: float
    need: int
    decided: int
    decided_municipalities: int
    register_settled_by_agreement: int
    rows: dict[str, int] = field(default_factory=dict)

    def targets(self) -> dict[str, float]:
        return {
            "settled_persons": TARGET_SETTLED * self.scale,
            "ready_end_persons": TARGET_READY_END * self.scale,
            "special_share": TARGET_SPECIAL_SHARE,
            "um_settled": TARGET_UM * self.scale,
            "wait_months": TARGET_WAIT_MONTHS,
        }


class SettlementYearExists(RuntimeError):
    """The year already has settlement cases: generating it again would double it."""


ProgressFn = Callable[[str, int, int], None]


def _noop(stage: str, done: int, total: int) -> None:
    return None


def _copy_rows(model, objs: list) -> None:
    """COPY model instances into their table (PostgreSQL), ids from the table's own sequence.

    Values are read from the instances' attributes (foreign keys by their ``attname``), so related
    rows must have been written first, as with ``bulk_create``. Triggers run as for any INSERT."""
    from psycopg.types.json import Jsonb

    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(objs)])
        ids = [r[0] for r in cur.fetchall()]
        columns = ", ".join(['"id"'] + [f'"{f.column}"' for f in fields])
        with cur.cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for obj, pk in zip(objs, ids):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias
                row = [pk]
                for f in fields:
                    value = getattr(obj, f.attname)
                    row.append(Jsonb(value) if f.attname in json_fields else value)
                copy.write_row(row)


def _mark_superseded(model, rows: list) -> None:
    """Set ``superseded_at`` (once) on the rows the new ``rows`` supersede, at the new rows' time:
    one UPDATE per thousand rows on PostgreSQL."""
    pairs = [(r.supersedes_id, r.recorded_at) for r in rows]
    if connection.vendor != "postgresql":
        for pk, at in pairs:
            model.objects.filter(pk=pk).update(superseded_at=at)
        return
    table = model._meta.db_table
    with connection.cursor() as cur:
        for i in range(0, len(pairs), 1000):
            chunk = pairs[i : i + 1000]
            values = ", ".join(["(%s, %s::timestamptz)"] * len(chunk))
            cur.execute(
                f'UPDATE "{table}" AS t SET superseded_at = v.at FROM (VALUES {values}) AS v(id, at) '
                "WHERE t.id = v.id AND t.superseded_at IS NULL",
                [x for pair in chunk for x in pair],
            )


# --- time helpers ---------------------------------------------------------------------------------


def _at(d: dt.date, rng: np.random.Generator, cap: dt.datetime) -> dt.datetime:
    """A working-hours moment on a date (Oslo), never after ``cap``."""
    secs = int(rng.integers(8 * 3600, 16 * 3600))
    moment = dt.datetime(d.year, d.month, d.day, tzinfo=OSLO) + dt.timedelta(seconds=secs)
    return min(moment, cap)


def _days(n: float) -> dt.timedelta:
    return dt.timedelta(days=int(n))


def _uuid(rng: np.random.Generator) -> uuid.UUID:
    return uuid.UUID(bytes=rng.bytes(16), version=4)


# --- the generator --------------------------------------------------------------------------------


class _Year:
    def __init__(self, year: int, seed: int, now: dt.datetime, cases: int | None, progress: ProgressFn):
        self.year, self.seed, self.now, self.progress = year, seed, now, progress
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, year, 17]))
        self.today = now.astimezone(OSLO).date()
        self.start = dt.date(year, 1, 1)
        self.end = min(dt.date(year, 12, 31), self.today - dt.timedelta(days=1))
        if self.end < self.start:
            raise ValueError(f"året {year} har ikke begynt (nå = {self.today})")
        self.M = w.municipalities()
        self.pop_p = self.M.weight / self.M.weight.sum()
        self.names = w.names()
        self.ids = NationalIdAllocator()
        self.cases_target = cases
        self.households: list[Household] = []
        self.first_need: sm.SettlementNeed | None = None
        self.requests: dict[str, tuple[int, int]] = {}
        self.agreements: list[tuple[Household, sm.Agreement]] = []
        self._duf_index = DUF_SERIAL_SPACE - 1 - (year % 10) * 60_000
        self.rows: Counter[str] = Counter()
        self.rec = dict(
            registered_by_kind=sm.ActorKind.SYSTEM, registered_by_system=SYSTEM_ACTOR, source_system=SOURCE_SYSTEM
        )

    # --- persons ---------------------------------------------------------------------------------

    def _name(self, origin: int, female: bool, last: str | None = None) -> tuple[str, str]:
        P, rng, s = self.names, self.rng, int(female)
        first = P.first[P.first_off[origin, s] + int(rng.random() * P.first_len[origin, s])]
        if last is None:
            last = P.last[P.last_off[origin, s] + int(rng.random() * P.last_len[origin, s])]
        return str(first), str(last)

    def _person(self, origin: int, birth: dt.date, female: bool, role: str, last: str | None, **kw) -> Member:
        first, last_name = self._name(origin, female, last)
        return Member(_uuid(self.rng), first, last_name, birth, "F" if female else "M", role, **kw)

    def _birth(self, on: dt.date, lo: int, hi: int) -> dt.date:
        age = int(self.rng.integers(lo, hi + 1))
        return on - dt.timedelta(days=int(age * 365.25 + self.rng.integers(0, 365)))

    def _adults_children(self, origin: int, on: dt.date, head: Member | None, family: bool, couple: bool):
        """The members of an adult household around a first adult (a register person or new)."""
        rng = self.rng
        if head is None:
            female = bool(rng.random() < 0.45)
            head = self._person(origin, self._birth(on, 19, 58), female, sm.MemberRole.ADULT, None)
        members = [head]
        head_age = (on - head.birth).days // 365
        if (family and rng.random() < PARTNER_SHARE) or (not family and couple):
            age = max(18, head_age + int(rng.integers(-4, 5)))
            members.append(
                self._person(origin, self._birth(on, age, age), head.sex == "M", sm.MemberRole.ADULT, head.last_name)
            )
        if family:
            n_children = 1 + int(rng.poisson(0.45))
            top = max(0, min(17, head_age - 18))
            for _ in range(n_children):
                members.append(
                    self._person(
                        origin,
                        self._birth(on, 0, top),
                        bool(rng.random() < 0.5),
                        sm.MemberRole.CHILD,
                        head.last_name,
                    )
                )
        return members

    def _um_members(self, origin: int, on: dt.date, bufetat: bool) -> list[Member]:
        rng = self.rng
        n = 2 if rng.random() < UM_PAIR_SHARE else 1
        companion = bool(rng.random() < UM_COMPANION_SHARE)
        lo, hi = (10, 14) if bufetat else (15, 17)
        members, last = [], None
        for _ in range(n):
            m = self._person(
                origin, self._birth(on, lo, hi), bool(rng.random() < 0.3), sm.MemberRole.CHILD, last, um=True
            )
            m.companion = companion
            last = m.last_name
            members.append(m)
        return members

    # --- households ------------------------------------------------------------------------------

    def _anchors(self) -> list[dict]:
        """Register persons settled by agreement in the year, with their names and permit dates."""
        cur = dict(superseded_at__isnull=True)
        details = rm.PersonDetails.objects.filter(person=OuterRef("person"), **cur).exclude(
            operation=rm.Operation.ANNUL
        )
        permit = (
            rm.ResidencePermit.objects.filter(person=OuterRef("person"), **cur)
            .exclude(operation=rm.Operation.ANNUL)
            .order_by("-decision_date")
        )
        qs = (
            rm.Settlement.objects.current()
            .filter(by_agreement=True, settlement_date__gte=self.start, settlement_date__lte=self.end)
            .annotate(
                first_name=Subquery(details.values("first_name")[:1]),
                last_name=Subquery(details.values("last_name")[:1]),
                birth_date=Subquery(details.values("birth_date")[:1]),
                sex=Subquery(details.values("sex")[:1]),
                national_id=Subquery(details.values("national_id")[:1]),
                permit_date=Subquery(permit.values("decision_date")[:1]),
                basis=Subquery(permit.values("basis")[:1]),
            )
            .order_by("person_id")
            .values(
                "person_id",
                "person__duf",
                "municipality",
                "district",
                "settlement_date",
                "first_name",
                "last_name",
                "birth_date",
                "sex",
                "national_id",
                "permit_date",
                "basis",
            )
        )
        return list(qs)

    def _location(self, basis: str | None) -> tuple[str, bool, bool]:
        """(location, collective protection, resettlement refugee) of an adult household."""
        u = self.rng.random()
        # Without a register person's permit: resettlement refugees 682 and displaced from Ukraine
        # 10,921 of the 12,596 settled in 2025 (figures-2025.md § 1A).
        if basis == "utl_35_3" or (basis is None and u < RESETTLEMENT_SHARE):
            return sm.CaseLocation.RESETTLEMENT, False, True
        collective = basis == "utl_34" or (basis is None and u < RESETTLEMENT_SHARE + COLLECTIVE_SHARE)
        u = self.rng.random()
        if u < 0.08:
            return sm.CaseLocation.PRIVATE, collective, False
        if u < 0.086:
            return sm.CaseLocation.UDI_SPECIAL, collective, False
        if u < 0.093:
            return sm.CaseLocation.MEDEVAC, collective, False
        return sm.CaseLocation.RECEPTION, collective, False

    def _wait(self, mean_days: float) -> int:
        return max(10, int(self.rng.gamma(2.0, mean_days / 2.0)))

    def _settle_date(self) -> dt.date:
        span = (self.end - self.start).days
        return self.start + _days(self.rng.integers(0, span + 1))

    def _municipality(self, p: np.ndarray | None = None) -> tuple[str, str]:
        i = int(self.rng.choice(len(self.M.number), p=self.pop_p if p is None else p))
        district = ""
        if i == self.M.oslo_index and self.rng.random() < 0.75:
            district = str(self.M.districts[self.rng.integers(0, len(self.M.districts))])
        return str(self.M.number[i]), district

    def build_households(self) -> None:
        rng = self.rng
        anchors = [] if self.cases_target else self._anchors()
        if self.cases_target:
            # Cases per adult settled household: the EM households, the ready and the withdrawn.
            per_adult = (1 + UM_PER_ADULT_HOUSEHOLD) * (1 + TARGET_READY_END / TARGET_SETTLED) / (1 - WITHDRAWN_SHARE)
            n_adult = max(1, round(self.cases_target / per_adult))
        else:
            n_adult = len(anchors)
        self.progress("husstander", 0, n_adult)
        settled: list[Household] = []
        for i in range(n_adult):
            a = anchors[i] if anchors else None
            origin = int(rng.integers(0, len(w.ORIGINS)))
            if a is not None:
                on = a["settlement_date"]
                birth = a["birth_date"] or on - _days(30 * 365)
                head = Member(
                    _uuid(rng),
                    a["first_name"] or "",
                    a["last_name"] or "",
                    birth,
                    a["sex"] or "",
                    sm.MemberRole.ADULT if (on - birth).days >= 18 * 365.25 else sm.MemberRole.CHILD,
                    duf=a["person__duf"],
                    national_id=a["national_id"] or "",
                    person_id=a["person_id"],
                )
                muni, district, basis = a["municipality"], a["district"], a["basis"]
                permit = a["permit_date"] if a["permit_date"] and a["permit_date"] < on else None
            else:
                on = self._settle_date()
                head, basis, permit = None, None, None
                muni, district = self._municipality()
            family = bool(rng.random() < FAMILY_SHARE)
            couple = bool(rng.random() < COUPLE_SHARE)
            if head is not None and head.role == sm.MemberRole.CHILD:
                members = [head]  # a 17-year-old in the register: settled alone (as EM)
                head.um = True
            else:
                members = self._adults_children(origin, on, head, family, couple)
            location, collective, resettled = self._location(basis)
            for m in members:
                m.collective, m.resettled = collective, resettled
            if permit is None:
                permit = on - _days(self._wait(94 if not collective else 85))
            ready = permit + _days(rng.integers(0, max(1, min(30, (on - permit).days // 2))))
            settled.append(
                Household(
                    members,
                    location,
                    permit,
                    ready,
                    um=members[0].um,
                    settled_on=on,
                    municipality=muni,
                    district=district,
                    origin=origin,
                )
            )
        # Unaccompanied minors settled in the year (new persons).
        n_um = round(n_adult * UM_PER_ADULT_HOUSEHOLD)
        for _ in range(n_um):
            origin = int(rng.integers(0, len(w.ORIGINS)))
            on = self._settle_date()
            bufetat = bool(rng.random() < UM_BUFETAT_SHARE)
            location = (
                sm.CaseLocation.BUFETAT
                if bufetat
                else (sm.CaseLocation.PRIVATE if rng.random() < 0.08 else sm.CaseLocation.RECEPTION)
            )
            members = self._um_members(origin, on, bufetat)
            permit = on - _days(self._wait(150))
            ready = permit + _days(rng.integers(0, max(1, min(30, (on - permit).days // 2))))
            muni, district = self._municipality()
            for m in members:
                m.collective = bool(rng.random() < 0.7)
            settled.append(
                Household(
                    members,
                    location,
                    permit,
                    ready,
                    um=True,
                    settled_on=on,
                    municipality=muni,
                    district=district,
                    origin=origin,
                )
            )
        settled_persons = sum(len(h.members) for h in settled)
        # Ready at year end (new persons, not settled): about 4,000 per 13,000 settled.
        ready_target = round(settled_persons * TARGET_READY_END / TARGET_SETTLED)
        waiting: list[Household] = []
        persons = 0
        while persons < ready_target:
            origin = int(rng.integers(0, len(w.ORIGINS)))
            ready = self.end - _days(min(330, rng.exponential(70)))
            if rng.random() < UM_PER_ADULT_HOUSEHOLD / (1 + UM_PER_ADULT_HOUSEHOLD) * 0.6:
                bufetat = bool(rng.random() < UM_BUFETAT_SHARE)
                members = self._um_members(origin, ready, bufetat)
                location = sm.CaseLocation.BUFETAT if bufetat else sm.CaseLocation.RECEPTION
                hh = Household(members, location, ready - _days(rng.integers(0, 30)), ready, um=True, origin=origin)
            else:
                members = self._adults_children(
                    origin, ready, None, bool(rng.random() < FAMILY_SHARE), bool(rng.random() < COUPLE_SHARE)
                )
                location, collective, resettled = self._location(None)
                for m in members:
                    m.collective, m.resettled = collective, resettled
                hh = Household(members, location, ready - _days(rng.integers(0, 30)), ready, origin=origin)
            u = rng.random()
            hh.state = "agreed" if u < 0.34 else "proposed" if u < 0.48 else "declined" if u < 0.56 else "waiting"
            waiting.append(hh)
            persons += len(members)
        # Withdrawn during the year.
        withdrawn: list[Household] = []
        for _ in range(round((len(settled) + len(waiting)) * WITHDRAWN_SHARE)):
            origin = int(rng.integers(0, len(w.ORIGINS)))
            ready = self._settle_date()
            members = self._adults_children(origin, ready, None, bool(rng.random() < FAMILY_SHARE), False)
            hh = Household(
                members,
                sm.CaseLocation.RECEPTION,
                ready - _days(rng.integers(0, 30)),
                ready,
                state="withdrawn",
                origin=origin,
            )
            withdrawn.append(hh)
        self.households = settled + waiting + withdrawn
        for hh in self.households:
            self._needs_and_connection(hh)
        self.progress("husstander", n_adult, n_adult)

    def _needs_and_connection(self, hh: Household) -> None:
        rng = self.rng
        if rng.random() < SPECIAL_HOUSEHOLD_SHARE:
            hh.special_level = (
                sm.SpecialNeedLevel.MINOR if rng.random() < 0.6 else sm.SpecialNeedLevel.RESOURCE_DEMANDING
            )
            kinds = [k.value for k in sm.SpecialNeedKind]
            pick = rng.choice(len(kinds), size=1 + int(rng.random() < 0.2), replace=False)
            hh.special_kinds = sorted(kinds[int(i)] for i in pick)
        if rng.random() < CONNECTION_SHARE:
            if hh.settled_on is not None and rng.random() < 0.9:
                hh.connection = hh.municipality
            else:
                hh.connection = self._municipality()[0]
            hh.connection_kind = str(rng.choice([c.value for c in sm.ConnectionKind], p=[0.6, 0.25, 0.1, 0.05]))

    # --- identities of new persons ----------------------------------------------------------------

    def assign_identities(self) -> None:
        """DUF numbers for every member without one; fødselsnummer for new settled persons."""
        new = [m for h in self.households for m in h.members if not m.duf]
        if not new:
            return
        years = np.array([h.permit.year for h in self.households for m in h.members if not m.duf])
        # From the top of the serial space (the register's population counts up from the bottom),
        # skipping numbers the register already holds (an earlier year, a large population).
        dufs = np.empty(len(new), dtype="U12")
        todo = np.arange(len(new))
        while len(todo):
            index = np.arange(self._duf_index, self._duf_index - len(todo), -1)
            if index.min() < 0:
                raise SettlementYearExists("ingen ledige syntetiske DUF-nummer igjen for bosettingsåret")
            self._duf_index -= len(todo)
            cand = duf_numbers(index, years[todo], self.seed)
            taken = set(rm.Person.objects.filter(duf__in=list(cand)).values_list("duf", flat=True))
            ok = np.array([c not in taken for c in cand], dtype=bool)
            dufs[todo[ok]] = cand[ok]
            todo = todo[~ok]
        for m, d in zip(new, dufs):
            m.duf = str(d)
        settled_new = [m for h in self.households if h.settled_on for m in h.members if m.person_id is None]
        if settled_new:
            births = np.array([day_number(m.birth) for m in settled_new])
            nids = self.ids.allocate(births, np.array([m.sex == "M" for m in settled_new]), np.zeros(len(births), bool))
            clash = set(
                rm.PersonDetails.objects.filter(national_id__in=list(nids)).values_list("national_id", flat=True)
            )
            for m, nid in zip(settled_new, nids):
                m.national_id = "" if nid in clash else str(nid)

    # --- writing ---------------------------------------------------------------------------------

    def _bulk(self, model, objs: list) -> list:
        """Insert the rows (their ids set on the objects): PostgreSQL by COPY with ids drawn from the
        table's sequence, about five times faster than ``bulk_create``; elsewhere ``bulk_create``."""
        self.rows[model.__name__] += len(objs)
        if not objs:
            return objs
        if connection.vendor == "postgresql":
            _copy_rows(model, objs)
            return objs
        out = []
        for i in range(0, len(objs), BATCH):
            out.extend(model.objects.bulk_create(objs[i : i + BATCH], batch_size=BATCH))
        return out

    def write(self) -> None:
        self._need()  # with the request round computed (and sent) from the first version
        self._cases()
        self._decisions_and_capacity()

    def _need(self) -> None:
        """The national need of the year and its revisions (each supersedes the one before)."""
        scale = self.scale
        key = _uuid(self.rng)
        prev = None
        for offset, month, mday, persons, um, note in NEED_REVISIONS:
            decided = dt.date(self.year + offset, month, mday)
            if decided > self.end and prev is not None:
                break
            when = _at(decided, self.rng, self.now)
            row = sm.SettlementNeed(
                key=key,
                year=self.year,
                persons=max(1, round(persons * scale)),
                um_persons=round(um * scale),
                decided_on=decided,
                note=note,
                recorded_at=when,
                operation=sm.Operation.CREATE if prev is None else sm.Operation.CORRECT,
                supersedes=prev,
                change_reason="" if prev is None else note,
                **self.rec,
            )
            row.save()
            if prev is not None:
                sm.SettlementNeed.objects.filter(pk=prev.pk).update(superseded_at=when)
            if prev is None:
                # The request is computed and sent from the need as first set, before any revision.
                self.first_need = row
                self.requests = _request_lines(self)
            prev = row
            self.rows["SettlementNeed"] += 1

    def _orgs(self) -> dict[str, Organisation | None]:
        by_kind: dict[str, Organisation | None] = {}
        for kind in (OrganisationKind.IMDI, OrganisationKind.RECEPTION, OrganisationKind.BUFETAT):
            by_kind[kind] = Organisation.objects.filter(kind=kind, active=True).order_by("pk").first()
        imdi = Organisation.objects.filter(code="imdi").first() or by_kind[OrganisationKind.IMDI]
        out: dict[str, Organisation | None] = {sm.CaseLocation.BUFETAT: by_kind[OrganisationKind.BUFETAT] or imdi}
        out["imdi"] = imdi
        # UDI (a reception organisation without a municipality) registers its special accommodation's cases.
        udi = (
            Organisation.objects.filter(kind=OrganisationKind.RECEPTION, active=True, municipality_number="")
            .order_by("pk")
            .first()
        )
        out[sm.CaseLocation.UDI_SPECIAL] = udi or imdi
        # A reception centre registers the cases of its own municipality's reception; IMDi the rest.
        for org in Organisation.objects.filter(kind=OrganisationKind.RECEPTION, active=True).exclude(
            municipality_number=""
        ):
            out.setdefault(f"reception-{org.municipality_number}", org)
        return out

    def _cases(self) -> None:
        rng, cap, rec = self.rng, self.now, self.rec
        orgs = self._orgs()
        total = len(self.households)
        self.progress("saker", 0, total)
        prefix = f"BS{self.year}-"
        existing = sm.SettlementCase.objects.filter(number__startswith=prefix).count()
        cases = []
        places = [self._place(hh) for hh in self.households]
        for i, (hh, place) in enumerate(zip(self.households, places)):
            if hh.location == sm.CaseLocation.RECEPTION and place is not None:
                org = orgs.get(f"reception-{place[1]}", orgs["imdi"])
            else:
                org = orgs.get(hh.location, orgs["imdi"])
            cases.append(
                sm.SettlementCase(
                    number=f"{prefix}{existing + i + 1:06d}",
                    organisation=org,
                    recorded_at=_at(hh.ready, rng, cap),
                    **rec,
                )
            )
        cases = self._bulk(sm.SettlementCase, cases)
        details, members, mappings = [], [], []
        proposals: list[tuple[Household, sm.SettlementCase, sm.Proposal, tuple | None]] = []
        withdrawn_details = []
        for hh, case, place in zip(self.households, cases, places):
            key = _uuid(rng)
            note = ""
            if hh.special_kinds:
                labels = dict(sm.SpecialNeedKind.choices)
                note = "; ".join(labels[k] for k in hh.special_kinds)
            d = sm.CaseDetails(
                key=key,
                case=case,
                location=hh.location,
                location_name=place[0] if place else "",
                location_municipality=place[1] if place else "",
                permit_date=hh.permit,
                ready_date=hh.ready,
                special_need_level=hh.special_level,
                special_need_kinds=hh.special_kinds,
                special_need_note=note,
                connection_municipality=hh.connection,
                connection_kind=hh.connection_kind,
                wishes=str(rng.choice(WISHES)),
                recorded_at=case.recorded_at,
                **rec,
            )
            details.append(d)
            if hh.state == "withdrawn":
                withdrawn_details.append((d, hh))
            for m in hh.members:
                members.append(
                    sm.CaseMember(
                        key=m.key,
                        case=case,
                        duf=m.duf,
                        national_id=m.national_id,
                        first_name=m.first_name,
                        last_name=m.last_name,
                        birth_date=m.birth,
                        sex=m.sex,
                        role=m.role,
                        unaccompanied_minor=m.um,
                        companion=m.companion,
                        citizenship=w.CITIZENSHIP.get(w.ORIGINS[hh.origin], ""),
                        permit_basis="utl_34" if m.collective else ("utl_35_3" if m.resettled else "utl_28"),
                        collective_protection=m.collective,
                        resettlement_refugee=m.resettled,
                        recorded_at=case.recorded_at,
                        **rec,
                    )
                )
                mappings.extend(self._mappings(hh, case, m))
            proposals.extend(self._proposals(hh, case))
        details = self._bulk(sm.CaseDetails, details)
        self._bulk(sm.CaseMember, members)
        self._bulk(sm.Mapping, mappings)
        # Withdrawn cases: the details annulled (no longer to be settled).
        annuls = []
        for d, hh in withdrawn_details:
            when = _at(min(self.end, hh.ready + _days(rng.integers(10, 90))), rng, cap)
            annuls.append(
                sm.CaseDetails(
                    key=d.key,
                    case_id=d.case_id,
                    location=d.location,
                    location_name=d.location_name,
                    permit_date=d.permit_date,
                    ready_date=d.ready_date,
                    operation=sm.Operation.ANNUL,
                    supersedes_id=d.pk,
                    change_reason=str(rng.choice(CASE_WITHDRAW_REASONS)),
                    recorded_at=max(when, d.recorded_at),
                    **rec,
                )
            )
        _mark_superseded(sm.CaseDetails, self._bulk(sm.CaseDetails, annuls))
        self.progress("saker", total // 2, total)
        self._assignment(proposals)
        self.progress("saker", total, total)

    def _place(self, hh: Household) -> tuple[str, str] | None:
        """(name, municipality) of where the household lives; None abroad (resettlement refugees)."""
        rng = self.rng
        if hh.location in (sm.CaseLocation.RECEPTION, sm.CaseLocation.UDI_SPECIAL, sm.CaseLocation.MEDEVAC):
            name, muni = RECEPTIONS[int(rng.integers(0, len(RECEPTIONS)))]
            if hh.location == sm.CaseLocation.UDI_SPECIAL:
                name = name.replace("mottak", "særskilt botilbud")
            return name, muni
        if hh.location == sm.CaseLocation.BUFETAT:
            return BUFETAT_CENTRES[int(rng.integers(0, len(BUFETAT_CENTRES)))]
        if hh.location == sm.CaseLocation.PRIVATE:
            return "", self._municipality()[0]
        return None

    def _mappings(self, hh: Household, case: sm.SettlementCase, m: Member) -> list[sm.Mapping]:
        rng = self.rng
        if hh.location == sm.CaseLocation.RESETTLEMENT:
            kinds = [sm.MappingKind.RESETTLEMENT]
        elif hh.location == sm.CaseLocation.PRIVATE:
            kinds = [sm.MappingKind.SELF_REPORT]
        elif m.collective:
            kinds = [sm.MappingKind.SIMPLIFIED]
        else:
            kinds = [sm.MappingKind.SETTLEMENT_INFO]
            if m.role == sm.MemberRole.ADULT and rng.random() < 0.8:
                kinds.append(sm.MappingKind.COMPETENCE)
        if m.role == sm.MemberRole.CHILD and not m.um and rng.random() < 0.5:
            return []
        span = max(1, (hh.ready - hh.permit).days)
        out = []
        who = {
            sm.CaseLocation.BUFETAT: "Bufetat omsorgssenter",
            sm.CaseLocation.RECEPTION: "Mottaksansatt",
            sm.CaseLocation.PRIVATE: "Egenrapportert",
        }.get(hh.location, "IMDi")
        for kind in kinds:
            on = hh.permit + _days(rng.integers(0, span + 1))
            content = {
                "education": str(
                    rng.choice(["none", "primary", "upper_secondary", "higher"], p=[0.15, 0.4, 0.3, 0.15])
                ),
                "work_experience_years": int(rng.integers(0, 15)) if m.role == sm.MemberRole.ADULT else 0,
                "languages": sorted({str(x) for x in rng.choice(LANGUAGES, size=int(rng.integers(1, 3)))}),
            }
            special = bool(hh.special_kinds)
            out.append(
                sm.Mapping(
                    key=_uuid(rng),
                    member_key=m.key,
                    case=case,
                    kind=kind,
                    assessed_on=on,
                    assessed_by=f"{who} ({'IMDi' if who == 'IMDi' else hh.location})",
                    content=content,
                    assessed_special_needs=special or bool(rng.random() < 0.5),
                    health_note="Behov vurdert av helsepersonell" if special else "",
                    recorded_at=_at(on, rng, self.now),
                    **self.rec,
                )
            )
        return out

    def _proposals(self, hh: Household, case: sm.SettlementCase) -> list:
        """(household, case, proposal, answer) for the proposals of a case, in order."""
        rng = self.rng
        out: list = []
        if hh.state in ("waiting", "withdrawn"):
            return out
        if hh.settled_on is not None:
            final_day = max(hh.ready, hh.settled_on - _days(rng.integers(14, 60)))
            target = hh.municipality
        else:
            final_day = min(self.end, hh.ready + _days(rng.integers(3, 40)))
            target = self._municipality()[0]
        prior = rng.random()
        first_day = max(hh.ready, final_day - _days(rng.integers(15, 35)))
        if hh.state == "declined" or (hh.settled_on is not None and prior < 0.12 and first_day < final_day):
            day = first_day if hh.state != "declined" else final_day
            out.append((hh, case, day, self._municipality()[0], ("declined", str(rng.choice(DECLINE_REASONS)))))
        elif hh.settled_on is not None and prior < 0.15 and first_day < final_day:
            out.append((hh, case, first_day, self._municipality()[0], ("withdrawn", str(rng.choice(WITHDRAW_REASONS)))))
        if hh.state == "declined":
            return out
        answer = None if hh.state == "proposed" else ("accepted", "")
        out.append((hh, case, final_day, target, answer))
        return out

    def _assignment(self, items: list) -> None:
        rng, cap, rec = self.rng, self.now, self.rec
        proposals = []
        for _hh, case, day, muni, _answer in items:
            proposals.append(
                sm.Proposal(
                    case=case,
                    municipality=muni,
                    deadline=day + _days(14),
                    note="",
                    recorded_at=_at(day, rng, cap),
                    **rec,
                )
            )
        proposals = self._bulk(sm.Proposal, proposals)
        answers, agreements = [], []
        for (hh, case, day, muni, answer), p in zip(items, proposals):
            if answer is None:
                continue
            kind, reason = answer
            ans_day = min(day + _days(rng.integers(1, 11)), hh.settled_on or self.end)
            when = max(p.recorded_at, _at(ans_day, rng, cap))
            answers.append(sm.ProposalAnswer(proposal=p, answer=kind, reason=reason, recorded_at=when, **rec))
            if kind == "accepted":
                planned = hh.settled_on or (self.end + _days(rng.integers(5, 60)))
                agreements.append(
                    (
                        hh,
                        sm.Agreement(
                            key=_uuid(rng),
                            case=case,
                            proposal=p,
                            municipality=muni,
                            planned_date=planned,
                            capacity_kind=hh.capacity_kind,
                            persons=len(hh.members),
                            recorded_at=when,
                            **rec,
                        ),
                    )
                )
        # Some settled households first had another planned date: a new date supersedes the agreement.
        moved = set()
        for i, (hh, a) in enumerate(agreements):
            room = (hh.settled_on - a.recorded_at.astimezone(OSLO).date()).days if hh.settled_on else 0
            if room > 10 and rng.random() < RESCHEDULED_SHARE:
                a.planned_date = hh.settled_on + _days(rng.integers(7, 22))
                moved.add(i)
        self._bulk(sm.ProposalAnswer, answers)
        stored = self._bulk(sm.Agreement, [a for _, a in agreements])
        changes = []
        for i in sorted(moved):
            hh, first = agreements[i][0], stored[i]
            assert hh.settled_on is not None
            day = first.recorded_at.astimezone(OSLO).date() + _days(rng.integers(1, 8))
            changes.append(
                sm.Agreement(
                    key=first.key,
                    case_id=first.case_id,
                    proposal_id=first.proposal_id,
                    municipality=first.municipality,
                    planned_date=hh.settled_on,
                    capacity_kind=first.capacity_kind,
                    persons=first.persons,
                    operation=sm.Operation.CORRECT,
                    supersedes_id=first.pk,
                    change_reason=str(rng.choice(RESCHEDULE_REASONS)),
                    recorded_at=max(first.recorded_at, _at(min(day, hh.settled_on), rng, cap)),
                    **rec,
                )
            )
        changes = self._bulk(sm.Agreement, changes)
        _mark_superseded(sm.Agreement, changes)
        for i, row in zip(sorted(moved), changes):
            stored[i] = row
        self.agreements = [(hh, a) for (hh, _), a in zip(agreements, stored)]
        self._settle()

    def _settle(self) -> None:
        """The settled households: new register persons where needed, CaseSettlement, SettledMember."""
        rng, cap, rec = self.rng, self.now, self.rec
        done = [(hh, a) for hh, a in self.agreements if hh.settled_on is not None]
        moments = {
            id(hh): max(a.recorded_at, _at(hh.settled_on + _days(rng.integers(0, 4)), rng, cap)) for hh, a in done
        }
        new = [(hh, m) for hh, _ in done for m in hh.members if m.person_id is None]
        persons = self._bulk(
            rm.Person,
            [rm.Person(duf=m.duf, recorded_at=moments[id(hh)], source_system=SOURCE_SYSTEM) for hh, m in new],
        )
        for (_hh, m), p in zip(new, persons):
            m.person_id = p.pk
        reg = dict(
            registered_by_kind=rm.ActorKind.SYSTEM, registered_by_system=SYSTEM_ACTOR, source_system=SOURCE_SYSTEM
        )
        self._bulk(
            rm.PersonDetails,
            [
                rm.PersonDetails(
                    person_id=m.person_id,
                    national_id=m.national_id,
                    first_name=m.first_name,
                    last_name=m.last_name,
                    birth_date=m.birth,
                    sex=m.sex,
                    unaccompanied_minor=True if m.um else None,
                    with_companion=m.companion,
                    recorded_at=moments[id(hh)],
                    **reg,
                )
                for hh, m in new
            ],
        )
        # The grants' facts (grants.md A.1.1): the household of the case (the first adult's, when the
        # register has one), the member's own permit, effectuated days after the decision.
        heads = {hh.members[0].person_id for hh, _m in new if hh.members[0].person_id is not None}
        known_hh = dict(
            rm.Settlement.objects.current()
            .filter(person_id__in=heads)
            .exclude(household_id="")
            .values_list("person_id", "household_id")
        )

        def household(hh) -> str:
            head = hh.members[0]
            return known_hh.get(head.person_id) or f"H{head.duf}"

        self._bulk(
            rm.Settlement,
            [
                rm.Settlement(
                    person_id=m.person_id,
                    municipality=hh.municipality,
                    district=hh.district,
                    settlement_date=hh.settled_on,
                    by_agreement=True,
                    kind="by_agreement",
                    household_id=household(hh),
                    household_role="child" if (hh.settled_on - m.birth).days < 18 * 365 else "adult",
                    recorded_at=moments[id(hh)],
                    **reg,
                )
                for hh, m in new
            ],
        )
        self._bulk(
            rm.ResidencePermit,
            [
                rm.ResidencePermit(
                    person_id=m.person_id,
                    basis="utl_34" if m.collective else ("utl_35_3" if m.resettled else "utl_28"),
                    decision_date=hh.permit,
                    effectuation_date=min(hh.permit + _days(self.rng.integers(*w.EFFECTUATION_DAYS)), hh.settled_on),
                    recorded_at=moments[id(hh)],
                    **reg,
                )
                for hh, m in new
            ],
        )
        self._member_facts(done, new, moments, reg)
        settlements = self._bulk(
            sm.CaseSettlement,
            [
                sm.CaseSettlement(
                    case_id=a.case_id,
                    agreement=a,
                    municipality=hh.municipality,
                    district=hh.district,
                    settlement_date=hh.settled_on,
                    recorded_at=moments[id(hh)],
                    **rec,
                )
                for hh, a in done
            ],
        )
        self._bulk(
            sm.SettledMember,
            [
                sm.SettledMember(settlement=s, member_key=m.key, person_id=m.person_id)
                for (hh, _), s in zip(done, settlements)
                for m in hh.members
            ],
        )

    def _member_facts(self, done: list, new: list, moments: dict, reg: dict) -> None:
        """The register facts of the household members the year created (partners, children, unaccompanied
        minors), as the settle action and the municipality would register them: residence and follow-up
        with the household (the periods of its first adult, who may have moved; else the settlement
        municipality, with about ``UM_MOVE_SHARE`` of the others moving within 6–30 months) and, for adults
        of 18–55, an introduction programme — a participation decision 1–2 months after settlement and,
        where the year's end allows, its termination: in work or education within two years for about
        ``MEMBER_WORK_SHARE``, else at the deadline or for health, care or other reasons later."""
        rng, cap = self.rng, self.now
        anchors = {hh.members[0].person_id for hh, _ in done if hh.members[0].person_id is not None}
        periods: dict[int, list[tuple[str, str, dt.date, dt.date | None]]] = defaultdict(list)
        for pid, muni, district, frm, to in (
            rm.Residence.objects.current()
            .filter(person_id__in=[a for a in anchors if a is not None])
            .order_by("valid_from")
            .values_list("person_id", "municipality", "district", "valid_from", "valid_to")
        ):
            periods[pid].append((muni, district, frm, to))
        last = min(self.today - dt.timedelta(days=1), self.end + dt.timedelta(days=3 * 365))
        residences, follow_ups, decisions, terminations = [], [], [], []
        for hh, m in new:
            on = hh.settled_on
            head = hh.members[0].person_id
            own = [
                (k, d, max(frm, on), to)
                for k, d, frm, to in periods.get(head, [])
                if head is not None and head != m.person_id and (to is None or to >= on)
            ]
            if not own:
                own = [(hh.municipality, hh.district, on, None)]
                move = on + _days(rng.integers(180, 900))
                if hh.um and rng.random() < UM_MOVE_SHARE and move <= last:
                    other = self._municipality()
                    if other[0] != hh.municipality:
                        own = [(hh.municipality, hh.district, on, move - dt.timedelta(days=1)), (*other, move, None)]
            for k, d, frm, to in own:
                when = max(moments[id(hh)], _at(frm, rng, cap))
                fields = dict(person_id=m.person_id, municipality=k, district=d, valid_from=frm, valid_to=to)
                residences.append(
                    rm.Residence(**fields, source="folkeregisteret", kind="ordinary", recorded_at=when, **reg)
                )
                follow_ups.append(rm.FollowUp(**fields, recorded_at=when, **reg))
            age = (on - m.birth).days // 365
            if m.um or not 18 <= age <= 55:
                continue
            start = on + _days(rng.integers(30, 61))
            if start > last:
                continue
            decisions.append(
                rm.Decision(
                    person_id=m.person_id,
                    scheme="intro",
                    decision_type="participation",
                    decision_date=start,
                    start_date=start,
                    follow_up_municipality=hh.municipality,
                    recorded_at=_at(start, rng, cap),
                    **reg,
                )
            )
            if rng.random() < MEMBER_WORK_SHARE:
                reason = str(rng.choice(MEMBER_WORK_REASONS, p=MEMBER_WORK_WEIGHTS))
                end = start + _days(rng.integers(150, 660))
            else:
                reason = str(rng.choice(MEMBER_OTHER_REASONS, p=MEMBER_OTHER_WEIGHTS))
                end = start + _days(rng.integers(700, 1100))
            if end > last:
                continue  # still in the programme
            terminations.append(
                rm.Termination(
                    person_id=m.person_id,
                    scheme="intro",
                    termination_type=w.TERMINATION_TYPE_OF_REASON.get(reason, "completed"),
                    termination_reason=reason,
                    hours_work_per_week=Decimal("37.5") if reason in w.WORK_REASONS else None,
                    termination_date=end,
                    follow_up_municipality=hh.municipality,
                    recorded_at=_at(end, rng, cap),
                    **reg,
                )
            )
        self._bulk(rm.Residence, residences)
        self._bulk(rm.FollowUp, follow_ups)
        self._bulk(rm.Decision, decisions)
        self._bulk(rm.Termination, terminations)

    # --- municipal side --------------------------------------------------------------------------

    def _decisions_and_capacity(self) -> None:
        rng, cap, rec = self.rng, self.now, self.rec
        requests = self.requests
        settled_by_muni: dict[str, int] = defaultdict(int)
        um_by_muni: dict[str, int] = defaultdict(int)
        for hh in self.households:
            if hh.settled_on is not None:
                settled_by_muni[hh.municipality] += len(hh.members) if not hh.um else 0
                um_by_muni[hh.municipality] += len(hh.members) if hh.um else 0
        munis = sorted(set(requests) | set(settled_by_muni) | set(um_by_muni))
        decisions, changes = [], []
        self.progress("vedtak og kapasitet", 0, len(munis))
        for k in munis:
            req, req_um = requests.get(k, (0, 0))
            has_settled = settled_by_muni[k] + um_by_muni[k] > 0
            if not has_settled and rng.random() > 0.956:
                continue  # not answered
            if not has_settled and req == 0:
                continue
            declined = not has_settled and rng.random() < 0.02
            # Most of the request (2025: 83 %); a municipality asked for nothing decided what it settled.
            # A municipality may settle more than it decided (2025: 158 settled more than the request).
            persons = (
                (round(req * rng.uniform(DECIDED_SHARE - 0.23, DECIDED_SHARE + 0.12)) if req else settled_by_muni[k])
                if not declined
                else 0
            )
            um = (round(req_um * rng.uniform(0.6, 1.0)) if req_um else um_by_muni[k]) if not declined else 0
            day = dt.date(self.year - 1, 12, 1) + _days(rng.integers(0, 100))
            day = min(day, self.end)
            row = sm.MunicipalDecision(
                key=_uuid(rng),
                municipality=k,
                year=self.year,
                status=sm.DecisionStatus.DECLINED if declined else sm.DecisionStatus.DECIDED,
                persons=persons,
                um_persons=um,
                decision_date=day,
                recorded_at=_at(day + _days(rng.integers(1, 10)), rng, cap),
                **rec,
            )
            decisions.append(row)
            if not declined and persons > 1 and rng.random() < 0.1:
                change_day = min(self.end, dt.date(self.year, 6, 1) + _days(rng.integers(0, 120)))
                moved = max(1, persons // 10)
                changes.append((row, moved, change_day))
        decisions = self._bulk(sm.MunicipalDecision, decisions)
        new_rows = []
        for row, moved, change_day in changes:
            when = max(row.recorded_at, _at(change_day, rng, cap))
            new_rows.append(
                sm.MunicipalDecision(
                    key=row.key,
                    municipality=row.municipality,
                    year=self.year,
                    status=row.status,
                    persons=row.persons - moved,
                    um_persons=row.um_persons + moved,
                    decision_date=change_day,
                    operation=sm.Operation.CORRECT,
                    supersedes_id=row.pk,
                    change_reason="Ordinære plasser gjort om til plasser for enslige mindreårige",
                    recorded_at=when,
                    **rec,
                )
            )
        _mark_superseded(sm.MunicipalDecision, self._bulk(sm.MunicipalDecision, new_rows))
        self._capacity([d.municipality for d in decisions if d.status == sm.DecisionStatus.DECIDED])
        self.progress("vedtak og kapasitet", len(munis), len(munis))

    def _capacity(self, munis: list[str]) -> None:
        """Per municipality, kind and quarter: places a little above what its agreements use."""
        rng, cap, rec = self.rng, self.now, self.rec
        used: dict[tuple[str, str, int], int] = defaultdict(int)
        largest: dict[str, int] = defaultdict(int)
        needs: dict[str, set[str]] = defaultdict(set)
        for hh, a in self.agreements:
            q = min(3, (a.planned_date.month - 1) // 3) if a.planned_date.year == self.year else 3
            used[(a.municipality, a.capacity_kind, q)] += a.persons
            if a.capacity_kind == sm.CapacityKind.FAMILIES:
                largest[a.municipality] = max(largest[a.municipality], a.persons)
            needs[a.municipality].update(hh.special_kinds)
        lines, closures = [], []
        for k in munis:
            for kind in sm.CapacityKind:
                for q in range(4):
                    frm = dt.date(self.year, 3 * q + 1, 1)
                    if frm > self.end:
                        continue
                    to = (dt.date(self.year + (q == 3), (3 * q + 3) % 12 + 1, 1)) - dt.timedelta(days=1)
                    u = used[(k, kind, q)]
                    if u == 0 and rng.random() < (0.6 if kind == sm.CapacityKind.UM else 0.3):
                        continue
                    places = u + int(rng.integers(0, 3)) + round(u * rng.uniform(0.0, 0.3))
                    if places == 0:
                        continue
                    row = sm.CapacityLine(
                        key=_uuid(rng),
                        municipality=k,
                        kind=kind,
                        period_from=frm,
                        period_to=to,
                        places=places,
                        largest_household=(max(largest[k], 3) + int(rng.integers(0, 3)))
                        if kind == sm.CapacityKind.FAMILIES
                        else None,
                        accessible_housing="mobility" in needs[k] or bool(rng.random() < 0.3),
                        mental_health_services="mental" in needs[k] or bool(rng.random() < 0.4),
                        specialist_health_services="other" in needs[k] or bool(rng.random() < 0.3),
                        recorded_at=_at(max(self.start, frm - _days(20)), rng, cap),
                        **rec,
                    )
                    lines.append(row)
                    if to < self.end and places <= u + 1 and rng.random() < 0.3:
                        closures.append(row)
        self._bulk(sm.CapacityLine, lines)
        closed = []
        for row in closures:
            when = max(row.recorded_at, _at(row.period_to - _days(rng.integers(5, 25)), rng, cap))
            closed.append(
                sm.CapacityLine(
                    key=row.key,
                    municipality=row.municipality,
                    kind=row.kind,
                    period_from=row.period_from,
                    period_to=row.period_to,
                    places=row.places,
                    largest_household=row.largest_household,
                    accessible_housing=row.accessible_housing,
                    mental_health_services=row.mental_health_services,
                    specialist_health_services=row.specialist_health_services,
                    closed=True,
                    operation=sm.Operation.CORRECT,
                    supersedes_id=row.pk,
                    change_reason="Fullt for perioden",
                    recorded_at=when,
                    **rec,
                )
            )
        _mark_superseded(sm.CapacityLine, self._bulk(sm.CapacityLine, closed))

    @property
    def scale(self) -> float:
        settled = sum(len(h.members) for h in self.households if h.settled_on is not None)
        return settled / TARGET_SETTLED


# --- the request ------------------------------------------------------------------------------------


def _request_lines(y: _Year) -> dict[str, tuple[int, int]]:
    """Each municipality's request (persons, EM) of the year's first need: computed and sent by the
    planning actions (``nir.settlement.actions.planning``: the public world's indicators, the
    criteria valid on the day) when they are installed and have criteria for the day; else the
    fallback (``_fallback_request_round``)."""
    try:
        from nir.settlement.actions import planning  # type: ignore[attr-defined,unused-ignore]
        from nir.settlement.errors import SettlementRefused  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return _fallback_request_round(y)
    need = y.first_need
    assert need is not None
    acting = Acting.system(SYSTEM_ACTOR, source_system=SOURCE_SYSTEM)
    when = need.recorded_at + REQUEST_AFTER_NEED
    try:
        with transaction.atomic():
            dataset, _created = planning.load_indicators(acting, at=need.recorded_at)
            on = when.astimezone(OSLO).date()
            rnd = planning.compute_round(acting, y.year, dataset=dataset, on=on, at=when)
            planning.send_round(acting, rnd, at=when)
    except SettlementRefused:
        return _fallback_request_round(y)  # e.g. no criteria valid on the need's date
    lines = sm.MunicipalRequest.objects.current().filter(round=rnd)
    y.rows["RequestRound"] += 1
    y.rows["MunicipalRequest"] += lines.count()
    return {r.municipality: (r.persons, r.um_persons) for r in lines if r.persons or r.um_persons}


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype="int64")
    raw = weights / weights.sum() * total
    base = np.floor(raw).astype("int64")
    rest = total - int(base.sum())
    base[np.argsort(-(raw - base), kind="stable")[:rest]] += 1
    return base


def _fallback_request_round(y: _Year) -> dict[str, tuple[int, int]]:
    """FALLBACK, not the request computation: the first need split over the most populous
    municipalities by population (344 asked; EM over 74), sent as round 1 on the need's date, so
    the demo has a request to show until ``nir.settlement.request`` computes it."""
    need = y.first_need
    assert need is not None
    order = np.argsort(-y.M.weight, kind="stable")
    asked = order[:REQUESTED_MUNICIPALITIES]
    w_all = np.zeros(len(y.M.number))
    w_all[asked] = y.M.weight[asked]
    persons = _largest_remainder(need.persons, w_all)
    w_um = np.zeros(len(y.M.number))
    w_um[order[:UM_REQUESTED_MUNICIPALITIES]] = y.M.weight[order[:UM_REQUESTED_MUNICIPALITIES]]
    um = _largest_remainder(need.um_persons, w_um)
    when = need.recorded_at + REQUEST_AFTER_NEED
    dataset = sm.IndicatorDataset.objects.create(
        name=f"Folketall (syntetisk bosettingsår {y.year})",
        synthetic=True,
        source="nir synth: folketall fra referansedata (kommuner-2024.csv)",
        recorded_at=when,
        **y.rec,
    )
    pop = np.round(y.M.weight / y.M.weight.sum() * 5_550_000).astype("int64")
    y._bulk(
        sm.MunicipalIndicators,
        [
            sm.MunicipalIndicators(dataset=dataset, municipality=str(k), population=int(p))
            for k, p in zip(y.M.number, pop)
        ],
    )
    number = (
        sm.RequestRound.objects.filter(year=y.year).order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    rnd = sm.RequestRound.objects.create(
        year=y.year,
        number=number,
        need=need,
        dataset=dataset,
        parameters_version="synth-fallback-population",
        parameters_sha256="0" * 64,
        note="Syntetisk reserve: behovet fordelt etter folketall (ikke anmodningsberegningen)",
        sent_at=when,
        recorded_at=when,
        **y.rec,
    )
    y.rows["RequestRound"] += 1
    lines, out = [], {}
    for i, k in enumerate(y.M.number):
        if persons[i] == 0 and um[i] == 0:
            continue
        out[str(k)] = (int(persons[i]), int(um[i]))
        lines.append(
            sm.MunicipalRequest(
                key=_uuid(y.rng),
                round=rnd,
                municipality=str(k),
                computed_persons=int(persons[i]),
                computed_um=int(um[i]),
                persons=int(persons[i]),
                um_persons=int(um[i]),
                breakdown={"population_share": float(w_all[i] / w_all.sum()) if w_all.sum() else 0.0},
                recorded_at=when,
                **y.rec,
            )
        )
    y._bulk(sm.MunicipalRequest, lines)
    return out


# --- entry points -----------------------------------------------------------------------------------


def generate(
    year: int,
    seed: int,
    now: dt.datetime,
    *,
    cases: int | None = None,
    progress: ProgressFn | None = None,
) -> YearSummary:
    """Generate the settlement year ``year`` (see the module docstring); refuse a year that has cases."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if sm.SettlementCase.objects.filter(number__startswith=f"BS{year}-").exists():
        raise SettlementYearExists(f"bosettingsåret {year} har allerede saker; ingen nye generert")
    y = _Year(year, seed, now, cases, progress or _noop)
    with transaction.atomic():
        y.build_households()
        y.assign_identities()
        y.write()
    s = summary(year, now)
    s.rows = dict(y.rows)
    return s


def summary(year: int, now: dt.datetime | None = None) -> YearSummary:
    """The headline figures of the year as stored (current rows), for ``nir synth settlement-summary``."""
    now = now or dt.datetime.now(dt.UTC)
    end = min(dt.date(year, 12, 31), now.astimezone(OSLO).date())
    prefix = f"BS{year}-"
    cases = sm.SettlementCase.objects.filter(number__startswith=prefix)
    settlements = list(
        sm.CaseSettlement.objects.filter(case__in=cases, settlement_date__year=year).values(
            "case_id", "settlement_date"
        )
    )
    settled_ids = {s["case_id"] for s in settlements}
    details = {
        d["case_id"]: d
        for d in sm.CaseDetails.objects.current()
        .filter(case__in=cases)
        .values("case_id", "permit_date", "ready_date", "special_need_level")
    }
    members = defaultdict(list)
    for m in (
        sm.CaseMember.objects.current().filter(case__in=cases).values("case_id", "unaccompanied_minor", "companion")
    ):
        members[m["case_id"]].append(m)
    agreed = set(sm.Agreement.objects.current().filter(case__in=cases).values_list("case_id", flat=True))
    settled_persons = sum(len(members[c]) for c in settled_ids)
    special = sum(
        len(members[c]) for c in settled_ids if details.get(c, {}).get("special_need_level", "none") != "none"
    )
    um = sum(1 for c in settled_ids for m in members[c] if m["unaccompanied_minor"])
    um_comp = sum(1 for c in settled_ids for m in members[c] if m["unaccompanied_minor"] and m["companion"])
    waits = [
        (s["settlement_date"] - details[s["case_id"]]["permit_date"]).days
        for s in settlements
        if s["case_id"] in details
    ]
    weights = [len(members[s["case_id"]]) for s in settlements if s["case_id"] in details]
    wait_months = float(np.average(waits, weights=weights)) / 30.44 if waits else 0.0
    ready = [c for c, d in details.items() if c not in settled_ids and d["ready_date"] <= end]
    need = sm.SettlementNeed.objects.current().filter(year=year).first()
    decisions = sm.MunicipalDecision.objects.current().filter(year=year, status=sm.DecisionStatus.DECIDED)
    register = (
        rm.Settlement.objects.current()
        .filter(by_agreement=True, settlement_date__year=year, settlement_date__lte=end)
        .count()
    )
    return YearSummary(
        year=year,
        scale=settled_persons / TARGET_SETTLED,
        cases=cases.count(),
        settled_persons=settled_persons,
        settled_households=len(settled_ids),
        ready_end_persons=sum(len(members[c]) for c in ready),
        ready_end_with_agreement=sum(len(members[c]) for c in ready if c in agreed),
        special_share=special / settled_persons if settled_persons else 0.0,
        um_settled=um,
        um_with_companion=um_comp,
        wait_months=wait_months,
        need=need.persons if need else 0,
        decided=sum(d.persons + d.um_persons for d in decisions),
        decided_municipalities=decisions.count(),
        register_settled_by_agreement=register,
    )
