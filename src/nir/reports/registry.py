"""The NIR reports: one definition per report id, and running a report.

    from nir.access.scope import person_scope
    from nir.reports import registry
    result = registry.run("avvik-sluttmaal", registry.ReportParams(municipality="4648"),
                          scope=person_scope(user))
    result.count, result.rows

Ids, titles and filters are those of ``/work/shared/domain/reports.md``; see
``docs/reports.md``. The pages, the API and ``nir report`` all go through
``run`` so that a report has one meaning everywhere. ``scope`` is mandatory:
pass ``person_scope(user)`` (``None`` only where every person may be seen).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import Lower
from django.utils import timezone

from nir import codes
from nir.register import models as m
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS, LAW_LABELS
from nir.reports import queries

LAWS = tuple(LAW_LABELS)
DEFAULT_LAW = "integreringsloven"
INTRO_CATEGORIES = tuple(CATEGORY_LABELS["intro"])
NORWEGIAN_CATEGORIES = tuple(CATEGORY_LABELS["norwegian"])
SCHEMES = {"intro": "Introduksjonsprogram", "norwegian": "Opplæring i norsk og samfunnskunnskap"}
# Person list: the status of the person in the scheme on as_of.
STATUS_LABELS = {
    "not_started": "Ikke startet",
    "active": "Pågår",
    "deadline_passed": "Gjennomføringsfrist passert, ikke avsluttet",
    "ended": "Avsluttet",
    "no_right": "Ingen rett eller plikt",
}
# Person list: registrations that are missing.
MISSING_LABELS = {
    "final_goal": "Sluttmål mangler (vedtak om deltakelse uten sluttmål)",
    "participation_decision": "Vedtak om deltakelse mangler tre måneder etter bosetting",
    "termination": "Avslutning mangler etter passert gjennomføringsfrist",
}


class ReportError(ValueError):
    """A report asked for with an unknown id, filter value or sort key (Norwegian message)."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    # text, date, decimal, category, deviations, or code:<code list>
    kind: str = "text"
    # database expressions to sort by (default: the key itself)
    order: tuple[str, ...] = ()


COMMON_COLUMNS = (
    Column("duf", "DUF-nummer"),
    Column("first_name", "Fornavn"),
    Column("last_name", "Etternavn"),
    Column("follow_up_municipality", "Oppfølgingskommune", order=(queries.FU_MUNICIPALITY,)),
    Column("follow_up_district", "Oppfølgingsbydel", order=(queries.FU_DISTRICT,)),
    Column("category", "NIR-kategori introduksjonsprogram", "category"),
)


@dataclass(frozen=True)
class ReportParams:
    """The filters of reports.md. ``None`` means not filtered (or the default)."""

    law: str = DEFAULT_LAW
    municipality: str | None = None  # 4 digits: municipality; 6 digits: district (Oslo)
    category: str | None = None
    duf: str | None = None
    name: str | None = None
    as_of: dt.date | None = None  # domain date; default today
    known_at: dt.datetime | None = None  # registration time; default now (current())
    date_from: dt.date | None = None  # avsluttet-intro
    date_to: dt.date | None = None  # avsluttet-intro
    termination_type: str | None = None  # avsluttet-intro
    reason: str | None = None  # avsluttet-intro
    avvik: str | None = None  # avvik-sluttmaal
    scheme: str | None = None  # personliste: intro (default) or norwegian
    status: str | None = None  # personliste: a key of STATUS_LABELS
    deadline_within: int | None = None  # personliste: deadline within N days of as_of
    missing: str | None = None  # personliste: a key of MISSING_LABELS
    sort: str | None = None  # a column key, "-key" for descending
    page: int = 1
    page_size: int | None = None  # None: every row
    # Count the rows only up to this many (with page_size): ``ReportResult.count`` is then exact up to
    # it and a lower bound beyond (``count_exact``), so that a page of a large list does not read
    # every row of the report to count them. None: always the exact number.
    count_limit: int | None = None


# Filter name in the output (and on the command line) → ReportParams field.
COMMON_FILTERS = {"municipality": "municipality", "category": "category", "duf": "duf", "name": "name"}


@dataclass(frozen=True)
class ReportDefinition:
    id: str
    title: str
    help_text: str
    definition: str
    columns: tuple[Column, ...]
    # report-specific filters: output name → ReportParams field
    filters: dict[str, str]
    query: Callable[[ReportParams], QuerySet]
    # database field (values()) → row key, for the report's own columns
    values: dict[str, str] = field(default_factory=dict)
    # True: a page's total is counted by a statement of its own, not with the page (COUNT(*) OVER ()),
    # for a report whose page is read in index order and stops (the person list): a window over every
    # row would compute every row's columns.
    count_apart: bool = False

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


REPORTS: dict[str, ReportDefinition] = {}


def _register(d: ReportDefinition) -> ReportDefinition:
    REPORTS[d.id] = d
    return d


_register(
    ReportDefinition(
        id="avsluttet-intro",
        title="Deltakere som har avsluttet introduksjonsprogram",
        help_text="Avslutninger av introduksjonsprogrammet i perioden (--from/--to), én rad per avslutning, "
        "med avslutningstype, årsak, dato og antall timer arbeid per uke.",
        definition="Alle registrerte avslutninger (ordning introduksjonsprogram) med avslutningsdato i perioden, "
        "også avslutninger registrert av Regelmotor ved vedtak om bortfall av rett og plikt pga. arbeid. "
        "Avslutninger som er slettet eller korrigert bort er ikke med.",
        columns=COMMON_COLUMNS
        + (
            Column("termination_type", "Avslutning", "code:termination_type"),
            Column("termination_reason", "Avslutningsårsak", "code:termination_reason"),
            Column("termination_date", "Avslutningsdato", "date"),
            Column("hours_work_per_week", "Antall timer arbeid per uke", "decimal"),
        ),
        filters={"from": "date_from", "to": "date_to", "termination_type": "termination_type", "reason": "reason"},
        query=queries.avsluttet_intro,
        values={
            "termination_type": "termination_type",
            "termination_reason": "termination_reason",
            "termination_date": "termination_date",
            "hours_work_per_week": "hours_work_per_week",
        },
    )
)

_register(
    ReportDefinition(
        id="avvik-sluttmaal",
        title="Personer i introduksjonsprogram med avvik i registrering av sluttmål",
        help_text="Personer med vedtak om deltakelse i introduksjonsprogram der sluttmålet mangler eller ikke "
        "passer til programmets startdato (--avvik for én type avvik).",
        definition="Personer med et gjeldende vedtak om deltakelse i introduksjonsprogram og minst ett avvik "
        "Regelmotor har avledet: " + "; ".join(DEVIATION_LABELS.values()) + ".",
        columns=COMMON_COLUMNS
        + (
            Column("deviations", "Avvik", "deviations", order=tuple(f"deviation_{d}" for d in m.DEVIATIONS)),
            Column("intro_start_date", "Startdato introduksjonsprogram", "date"),
        ),
        filters={"avvik": "avvik"},
        query=queries.avvik_sluttmaal,
        values={"intro_start_date": "intro_start_date", **{f"deviation_{d}": f"deviation_{d}" for d in m.DEVIATIONS}},
    )
)

_register(
    ReportDefinition(
        id="bortfall-arbeid",
        title=(
            "Personer som mistet rett og plikt til introduksjonsprogram grunnet arbeid/tilbud om arbeid over 30 timer"
        ),
        help_text="Personer med gyldig vedtak om bortfall av rett og plikt pga. arbeid over 30 timer, med vedtaksdato.",
        definition="Personer der Regelmotor har avsluttet introduksjonsprogrammet på grunn av et gyldig vedtak "
        "«Bortfall av rett og plikt pga. arbeid over 30 timer» (il. § 8 fjerde ledd) datert senest "
        "rapportdatoen. Personer med vedtak om deltakelse etter bortfallet har fått retten tilbake og er ikke med.",
        columns=COMMON_COLUMNS + (Column("decision_date", "Vedtaksdato", "date"),),
        filters={},
        query=queries.bortfall_arbeid,
        values={"decision_date": "decision_date"},
    )
)


_register(
    ReportDefinition(
        id="personliste",
        title="Personliste",
        help_text="Personer som følges opp av kommunen på rapportdatoen, med NIR-kategori, status, startdato og "
        "gjennomføringsfrist for begge ordninger. Filtrer på ordning, kategori, status, frist innen N dager "
        "og manglende registreringer.",
        definition="Personer med en oppfølgingskommune (eller bydel) på rapportdatoen, med Regelmotorens avledede "
        "kategori og frist. Status per ordning på rapportdatoen: «Avsluttet» når en avslutning er registrert "
        "(eller Regelmotor har avsluttet programmet); «Gjennomføringsfrist passert» når fristen er passert "
        "uten avslutning; «Pågår» når startdatoen er nådd; ellers «Ikke startet» (eller «Ingen rett eller "
        "plikt»). Manglende registreringer: " + "; ".join(MISSING_LABELS.values()) + ".",
        columns=COMMON_COLUMNS
        + (
            Column("norwegian_category", "NIR-kategori norskopplæring", "category:norwegian"),
            Column("status", "Status", "status"),
            Column("intro_start_date", "Startdato introduksjonsprogram", "date"),
            Column("intro_deadline", "Gjennomføringsfrist introduksjonsprogram", "date"),
            Column("norwegian_deadline", "Gjennomføringsfrist norskopplæring", "date"),
        ),
        filters={"scheme": "scheme", "status": "status", "deadline_within": "deadline_within", "missing": "missing"},
        query=queries.personliste,
        count_apart=True,
        values={
            "norwegian_category": "norwegian_category",
            "status": "status",
            "intro_start_date": "intro_start_date",
            "intro_deadline": "intro_deadline",
            "norwegian_deadline": "norwegian_deadline",
        },
    )
)


_register(
    ReportDefinition(
        id="sekundaerflytting",
        title="Sekundærflytting: personer bosatt etter avtale som flyttet til en annen kommune innen to år",
        help_text="Flyttinger til en annen kommune innen to år etter bosetting etter avtale med IMDi, én rad per "
        "flytting, med fra- og tilkommune, flyttedato og bosettingsdato. Velg periode (--from/--to) for et år.",
        definition="En flytting er at personen får en ny oppfølgingskommune dagen etter at den forrige "
        "oppfølgingsperioden sluttet. Med er flyttinger til en annen kommune (ikke mellom bydeler i samme kommune) "
        "for personer som er bosatt etter avtale (bosetting etter avtale med IMDi), når flyttedatoen er høyst to år "
        "etter siste bosetting etter avtale før flyttingen. Telles i året for flyttedatoen, etter fra- og tilkommune. "
        "Som de andre rapportene viser den personer som følges opp i ditt område i dag.",
        columns=COMMON_COLUMNS
        + (
            Column("from_municipality", "Fra kommune", order=("prev_municipality",)),
            Column("to_municipality", "Til kommune", order=("municipality",)),
            Column("move_date", "Flyttedato", "date", order=("valid_from",)),
            Column("settlement_date", "Bosettingsdato", "date"),
            Column("year", "År", order=("move_year",)),
        ),
        filters={"from": "date_from", "to": "date_to"},
        query=queries.sekundaerflytting,
        values={
            "prev_municipality": "from_municipality",
            "municipality": "to_municipality",
            "valid_from": "move_date",
            "settlement_date": "settlement_date",
            "move_year": "year",
        },
    )
)


def get(report_id: str) -> ReportDefinition:
    try:
        return REPORTS[report_id]
    except KeyError:
        raise ReportError(f"ukjent rapport {report_id!r}; rapportene er: {', '.join(REPORTS)}") from None


# --- validation ---------------------------------------------------------------------

_MUNICIPALITY = re.compile(r"^\d{4}(\d{2})?$")


def validate(d: ReportDefinition, p: ReportParams) -> ReportParams:
    """Check the parameters against the report; fill in the defaults (as_of today). Raises ReportError."""
    if p.law not in LAWS:
        raise ReportError(f"ukjent lov {p.law!r}; bruk {' eller '.join(LAWS)}")
    if p.municipality and not _MUNICIPALITY.match(p.municipality):
        raise ReportError(
            f"kommune må være et kommunenummer (4 siffer) eller et bydelsnummer (6 siffer), ikke {p.municipality!r}"
        )
    if p.scheme is not None and p.scheme not in SCHEMES:
        raise ReportError(f"ukjent ordning {p.scheme!r}; bruk en av {', '.join(SCHEMES)}")
    categories = NORWEGIAN_CATEGORIES if p.scheme == "norwegian" else INTRO_CATEGORIES
    if p.category and p.category not in categories:
        raise ReportError(f"ukjent kategori {p.category!r}; bruk en av {', '.join(categories)}")
    specific = set(d.filters.values())
    for name, attr in _all_specific().items():
        if getattr(p, attr) is not None and attr not in specific:
            raise ReportError(f"filteret {name} gjelder ikke rapporten {d.id}")
    if p.status and p.status not in STATUS_LABELS:
        raise ReportError(f"ukjent status {p.status!r}; bruk en av {', '.join(STATUS_LABELS)}")
    if p.missing and p.missing not in MISSING_LABELS:
        raise ReportError(f"ukjent manglende registrering {p.missing!r}; bruk en av {', '.join(MISSING_LABELS)}")
    if p.deadline_within is not None and not 0 <= p.deadline_within <= 3650:
        raise ReportError("frist innen må være et antall dager mellom 0 og 3650")
    if p.avvik and p.avvik not in m.DEVIATIONS:
        raise ReportError(f"ukjent avvik {p.avvik!r}; bruk en av {', '.join(m.DEVIATIONS)}")
    if p.termination_type and p.termination_type not in codes.code_list("termination_type"):
        raise ReportError(f"ukjent avslutningstype {p.termination_type!r}")
    if p.reason and p.reason not in codes.code_list("termination_reason"):
        raise ReportError(f"ukjent avslutningsårsak {p.reason!r}")
    if p.date_from and p.date_to and p.date_from > p.date_to:
        raise ReportError("fra-datoen er etter til-datoen")
    if p.known_at is not None and timezone.is_naive(p.known_at):
        raise ReportError("known_at må ha tidssone")
    if p.sort and not d.column(p.sort.removeprefix("-")):
        raise ReportError(f"kan ikke sortere på {p.sort!r}; bruk en av {', '.join(c.key for c in d.columns)}")
    if p.page < 1 or (p.page_size is not None and p.page_size < 1):
        raise ReportError("side og sidestørrelse må være positive tall")
    if p.count_limit is not None and p.count_limit < 1:
        raise ReportError("telling opp til må være et positivt tall")
    return replace(p, as_of=p.as_of or timezone.localdate(), name=p.name or None, duf=p.duf or None)


def _all_specific() -> dict[str, str]:
    out = {}
    for d in REPORTS.values():
        out.update(d.filters)
    return out


# --- running ------------------------------------------------------------------------

_TEXT_SORT = {"first_name", "last_name"}  # case-insensitive; DUF numbers are digits


def _ordering(d: ReportDefinition, sort: str | None) -> list:
    out = []

    def add(key: str, descending: bool) -> None:
        col = d.column(key)
        for expr_name in col.order if col and col.order else (key,):
            expr = Lower(expr_name) if expr_name in _TEXT_SORT else F(expr_name)
            out.append(expr.desc(nulls_first=True) if descending else expr.asc(nulls_last=True))

    if sort:
        add(sort.removeprefix("-"), sort.startswith("-"))
    for key in ("last_name", "first_name", "duf"):
        add(key, False)
    out.append(F("pk").asc())
    return out


@dataclass
class ReportResult:
    definition: ReportDefinition
    params: ReportParams
    known_at: dt.datetime  # the registration time the report shows (now when not given)
    queryset: QuerySet

    @cached_property
    def count(self) -> int:
        """Rows in the whole report (every page); with ``count_limit``, a lower bound when more
        than that many (``count_exact`` is then False)."""
        p = self.params
        if p.page_size is not None and (p.count_limit is not None or self.definition.count_apart):
            rows = self.rows
            seen = (p.page - 1) * p.page_size + len(rows)
            if not self.has_next and (rows or p.page == 1):
                return seen  # the last page: every row is before it or on it
            if p.count_limit is None:
                return self.queryset.order_by().count()
            n = self.queryset.order_by()[: p.count_limit + 1].count()
            if n <= p.count_limit:
                return n
            self._count_exact = False
            return max(n, seen + self.has_next)
        if p.page_size is not None:
            self.rows  # noqa: B018 — one statement gives the page and the total
            if self._total is not None:
                return self._total
        return self.queryset.count()

    # the user's scope (``person_scope``), for ``area_label``; None: every person
    scope: Any = None

    @cached_property
    def area_label(self) -> str:
        """What the report covers: the municipality filter or everything the user may see («Hele landet»
        only for a user who sees every person), ``nir.reports.areas``."""
        from nir.reports.areas import AreaLabels

        return AreaLabels(self.scope).table(self.params.municipality)

    _total: int | None = None
    _count_exact: bool = True
    has_next: bool = False  # with count_limit: a row follows the page (read with the rows)

    @property
    def count_exact(self) -> bool:
        """Whether ``count`` is the exact number of rows (always, without ``count_limit``)."""
        self.count  # noqa: B018
        return self._count_exact

    @property
    def page_queryset(self) -> QuerySet:
        p = self.params
        if p.page_size is None:
            return self.queryset
        start = (p.page - 1) * p.page_size
        return self.queryset[start : start + p.page_size]

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """The rows of the requested page (every row when there is no page size)."""
        p = self.params
        if p.page_size is None:
            return list(self.iter_rows())
        if p.count_limit is not None or self.definition.count_apart:
            # The page and one row more (is there a next page?), without counting the rest.
            start = (p.page - 1) * p.page_size
            recs = list(self.queryset[start : start + p.page_size + 1])
            self.has_next = len(recs) > p.page_size
            return [_row(self.definition, rec) for rec in recs[: p.page_size]]
        # The page and the number of rows in the whole report in one statement (COUNT(*) OVER ()).
        recs = list(self.page_queryset.annotate(_report_total=Window(Count("*"))))
        if recs:
            self._total = recs[0]["_report_total"]
        return [_row(self.definition, rec) for rec in recs]

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        """The page's rows, streamed from the database (for large exports)."""
        d = self.definition
        for rec in self.page_queryset.iterator(chunk_size=2000):
            yield _row(d, rec)

    @property
    def filters(self) -> dict[str, Any]:
        p = self.params
        names = {**COMMON_FILTERS, **self.definition.filters}
        return {name: _plain(getattr(p, attr)) for name, attr in names.items()}


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


# Row key → the database name it is read from, where the two differ.
_COMMON_SOURCES = {"follow_up_municipality": queries.FU_MUNICIPALITY, "follow_up_district": queries.FU_DISTRICT}


def _row(d: ReportDefinition, rec: dict) -> dict[str, Any]:
    row = {c.key: rec[_COMMON_SOURCES.get(c.key, c.key)] for c in COMMON_COLUMNS}
    for key in _COMMON_SOURCES:
        row[key] = row[key] or ""
    for db_field, key in d.values.items():
        if not db_field.startswith("deviation_"):
            row[key] = rec[db_field]
    if d.column("deviations"):
        row["deviations"] = [name for name in m.DEVIATIONS if rec[f"deviation_{name}"]]
    return {c.key: row[c.key] for c in d.columns}


def run(report_id: str, params: ReportParams | None = None, *, scope) -> ReportResult:
    """Run a report. ``scope``: ``nir.access.scope.person_scope(user)`` (``None``: every person)."""
    d = get(report_id)
    p = validate(d, params or ReportParams())
    known_at = p.known_at or timezone.now()
    qs = queries.common_filters(d.query(p), p, scope)
    fields_ = [_COMMON_SOURCES.get(c.key, c.key) for c in COMMON_COLUMNS] + list(d.values)
    qs = qs.order_by(*_ordering(d, p.sort)).values(*fields_)
    return ReportResult(d, p, known_at, qs, scope=scope)
