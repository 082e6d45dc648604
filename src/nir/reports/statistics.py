"""Yearly statistics: the NIR tables of IMDi's annual report, each figure defined once.

    from nir.reports import statistics
    table = statistics.yearly(statistics.StatsParams(year=2025, by="county"), scope=person_scope(user))
    table.figures, table.areas, table.value("deltakere", "right_and_duty", "50")

A *figure* (``Figure``) is one table of ``/work/shared/domain/figures-2025.md``
§ 1B: an id, the Norwegian title, the definition text shown beside it, the
source it reproduces, and its columns (the groups of the table). Each column
is a condition on one row per person, so every figure is a count of persons.

How it is computed (one SQL statement per year, in the database): one row per
person with the Regelmotor's derived status as the register knew it at
``known_at``, and, per person, the facts the figures need as of the reference
date (the follow-up municipality, the settlement date, the current permit
basis, the first termination, the final goal, participation in Norwegian
training, tests taken) as correlated subqueries over rows known at
``known_at``. The outer statement counts, per follow-up municipality and
district, each figure column as ``SUM(CASE WHEN … THEN 1 ELSE 0 END)``.
Counties are the sum of their municipalities (reference data).

The reference date is 31.12 of the year, or ``as_of`` when given (for the
current year: today, so that a figure is never about the future); the period
is 1.1 to the reference date. The NIR category is the Regelmotor's (rules
engine) derivation as stored in the register at ``known_at``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Max, Min, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from nir import codes
from nir.register import models as m
from nir.register import person_facts
from nir.register.explain import CATEGORY_LABELS, LAW_LABELS
from nir.reports.areas import NO_FOLLOW_UP, WHOLE_COUNTRY, AreaLabels, capital
from nir.reports.queries import known, right_window
from nir.reports.registry import DEFAULT_LAW, LAWS, ReportError

INTRO = "intro"
NORWEGIAN = "norwegian"
COLLECTIVE_PROTECTION = "utl_34"
# Tests of Norwegian (any skill); the social-studies and citizenship tests are not counted in Tab 3.2.18.
NORWEGIAN_EXAMS = person_facts.NORWEGIAN_EXAMS


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # SQL condition on the base row (aliases of BASE_COLUMNS); :name tokens are parameters.
    condition: str


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    definition: str
    source: str
    # counted persons: SQL condition on the base row
    universe: str
    columns: tuple[Column, ...]
    # True: the columns split the universe (a person is in exactly one); a total is shown
    exhaustive: bool = True
    # (numerator column, denominator column, label): shares shown beside the counts
    shares: tuple[tuple[str, str, str], ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


# --- the conditions the figures share ---------------------------------------------------

ENDED_BY = "((ended IS NULL OR ended > :d) AND (closed IS NULL OR closed > :d))"
# Has the programme right on the reference date: not ended, and either in the programme
# (started, deadline not passed) or not started and settled within the two-year window.
HAS_RIGHT_ON_REF = (
    ENDED_BY.replace(":d", ":ref")
    + " AND ((start IS NOT NULL AND start <= :ref AND (deadline IS NULL OR deadline >= :ref))"
    " OR ((start IS NULL OR start > :ref) AND settled IS NOT NULL AND settled > :window AND settled <= :ref))"
)
# Took part in the programme during the period: started by the reference date, not ended before the year.
PARTICIPATED = (
    "start IS NOT NULL AND start <= :ref"
    " AND (ended IS NULL OR ended >= :y1) AND (closed IS NULL OR closed >= :y1)"
    " AND (deadline IS NULL OR deadline >= :y1)"
)

_INTRO_LABELS = CATEGORY_LABELS["intro"]
INTRO_GROUPS = (
    Column("right_and_duty", "Rett og plikt", "cat = 'right_and_duty'"),
    Column(
        "may_be_offered",
        "Kan få tilbud om program",
        f"cat = 'may_be_offered' AND (basis IS NULL OR basis <> '{COLLECTIVE_PROTECTION}')",
    ),
    Column("right", "Rett (kollektiv beskyttelse)", "cat = 'right'"),
    Column(
        "may_be_offered_collective",
        "Kollektiv beskyttelse, kan få tilbud",
        f"cat = 'may_be_offered' AND basis = '{COLLECTIVE_PROTECTION}'",
    ),
    Column("none", "Uten rett eller plikt", "cat = 'none'"),
)
NORWEGIAN_GROUPS = (
    Column("right_and_duty", "Rett og plikt", "ncat = 'right_and_duty'"),
    Column("duty", "Bare plikt", "ncat = 'duty'"),
    Column("right", "Rett (kollektiv beskyttelse)", "ncat = 'right'"),
    Column("none", "Uten rett eller plikt", "ncat = 'none'"),
)


def _final_goal_columns() -> tuple[Column, ...]:
    cols = [Column(c.code, c.label, f"goal = '{c.code}'") for c in codes.code_list("final_goal").codes]
    return (*cols, Column("missing", "Ikke registrert", "goal IS NULL"))


FIGURES: dict[str, Figure] = {}


def _figure(f: Figure) -> Figure:
    FIGURES[f.id] = f
    return f


_figure(
    Figure(
        id="rett-og-plikt-31-12",
        title="Personer som per 31.12. har rett og plikt til introduksjonsprogram",
        definition="Personer med NIR-kategori «Rett og plikt til introduksjonsprogram» som har retten på "
        "referansedatoen (31.12., eller rapportdatoen i inneværende år): enten i program (startet, "
        "ikke avsluttet, gjennomføringsfristen ikke passert) eller ikke startet og bosatt de siste "
        "to årene (il. § 11). Avsluttet = en registrert avslutning eller Regelmotorens bortfall på eller "
        "før datoen.",
        source="IMDi årsrapport 2025, s. «Nøkkeltall», kilde NIR",
        universe=f"cat = 'right_and_duty' AND {HAS_RIGHT_ON_REF}",
        columns=(Column("total", "Personer", "1 = 1"),),
    )
)

_figure(
    Figure(
        id="rett-31-12",
        title="Personer som per 31.12. har rett til introduksjonsprogram (kollektiv beskyttelse)",
        definition="Som for rett og plikt, for NIR-kategori «Rett til introduksjonsprogram» (kollektiv "
        "beskyttelse, il. kap. 6A).",
        source="IMDi årsrapport 2025, s. «Nøkkeltall», kilde NIR",
        universe=f"cat = 'right' AND {HAS_RIGHT_ON_REF}",
        columns=(Column("total", "Personer", "1 = 1"),),
    )
)

_figure(
    Figure(
        id="deltakere",
        title="Personer som deltok i introduksjonsprogram i løpet av året",
        definition="Personer med startdato i programmet (første vedtak om deltakelse) senest referansedatoen, "
        "som ikke var avsluttet og ikke hadde passert gjennomføringsfristen før 1.1., etter NIR-kategori. "
        "«Kan få tilbud» er delt etter om oppholdstillatelsen er kollektiv beskyttelse (utl. § 34).",
        source="IMDi årsrapport 2025, tabell 3.2.5",
        universe=PARTICIPATED,
        columns=INTRO_GROUPS,
    )
)

_figure(
    Figure(
        id="begynt",
        title="Begynt i introduksjonsprogram i løpet av året (nye deltakere)",
        definition="Personer med startdato i programmet (første vedtak om deltakelse) i perioden 1.1.–referansedatoen.",
        source="IMDi årsrapport 2025, tabell 3.2.5 («begynt i løpet av året»)",
        universe="start IS NOT NULL AND start >= :y1 AND start <= :ref",
        columns=INTRO_GROUPS,
    )
)

_figure(
    Figure(
        id="avsluttet",
        title="Avsluttet introduksjonsprogram i løpet av året",
        definition="Personer med en registrert avslutning av introduksjonsprogrammet datert i perioden, med "
        "avslutningsårsak. Avslutninger uten registrert avslutningsårsak telles ikke (som i IMDis tall).",
        source="IMDi årsrapport 2025, tabell 3.2.5 («avsluttet i løpet av året»)",
        universe="ended_with_reason = 1",
        columns=INTRO_GROUPS,
    )
)

_figure(
    Figure(
        id="sluttmaal-rett-og-plikt",
        title="Sluttmål for deltakere med rett og plikt",
        definition="Deltakere i året (som «Personer som deltok») med NIR-kategori «Rett og plikt», etter gjeldende "
        "registrert sluttmål; «Ikke registrert» når sluttmål mangler.",
        source="IMDi årsrapport 2025, tabell 3.2.9",
        universe=f"cat = 'right_and_duty' AND {PARTICIPATED}",
        columns=_final_goal_columns(),
    )
)

_figure(
    Figure(
        id="sluttmaal-rett",
        title="Sluttmål for deltakere med rett (kollektiv beskyttelse)",
        definition="Deltakere i året med NIR-kategori «Rett til introduksjonsprogram», etter gjeldende registrert "
        "sluttmål; «Ikke registrert» når sluttmål mangler.",
        source="IMDi årsrapport 2025, tabell 3.2.9",
        universe=f"cat = 'right' AND {PARTICIPATED}",
        columns=_final_goal_columns(),
    )
)

_figure(
    Figure(
        id="norsk-deltakere",
        title="Deltok i opplæring i norsk i løpet av året",
        definition="Personer med registrert deltakelse (timer over 0) i opplæring i norsk og samfunnskunnskap i en "
        "periode som overlapper året, etter NIR-kategori for norskopplæring.",
        source="IMDi årsrapport 2025, tabell 3.2.14",
        universe="norwegian_participation = 1",
        columns=NORWEGIAN_GROUPS,
    )
)

_figure(
    Figure(
        id="norsk-frist-proever",
        title="Gjennomføringsfrist for norskopplæring i året, avlagt prøve og bestått",
        definition="Personer med rett og plikt eller plikt til opplæring i norsk som nådde gjennomføringsfristen i "
        "perioden; av dem de som har avlagt en avsluttende prøve i norsk (møtt, uansett resultat) senest "
        "referansedatoen, og de som har bestått minst én. Bare prøver registrert i registeret telles.",
        source="IMDi årsrapport 2025, tabell 3.2.18",
        universe="ncat IN ('right_and_duty', 'duty') AND ndeadline >= :y1 AND ndeadline <= :ref",
        columns=(
            Column("deadline", "Frist i året", "1 = 1"),
            Column("exam_taken", "Avlagt prøve", "exam_taken = 1"),
            Column("exam_passed", "Bestått", "exam_passed = 1"),
        ),
        exhaustive=False,
        shares=(("exam_taken", "deadline", "Andel avlagt prøve"), ("exam_passed", "exam_taken", "Andel bestått")),
    )
)


# --- parameters -------------------------------------------------------------------------

_AREA = re.compile(r"^(\d{2}|\d{4}|\d{6})$")
BY = ("municipality", "county", None)


@dataclass(frozen=True)
class StatsParams:
    year: int
    law: str = DEFAULT_LAW
    # an area: 2 digits county, 4 digits municipality, 6 digits Oslo district; None: the whole country
    area: str | None = None
    # rows of the table: one per municipality, one per county, or one row (the area)
    by: str | None = None
    as_of: dt.date | None = None  # reference date; default 31.12 of the year (today in the current year)
    known_at: dt.datetime | None = None  # the register as known then; None: now
    figures: tuple[str, ...] = ()  # empty: all

    @property
    def reference_date(self) -> dt.date:
        return self.as_of  # filled in by validate()


def validate(p: StatsParams) -> StatsParams:
    if p.law not in LAWS:
        raise ReportError(f"ukjent lov {p.law!r}; bruk {' eller '.join(LAWS)}")
    if not 2004 <= p.year <= 2100:
        raise ReportError(f"årstallet {p.year} er utenfor registerets tid")
    if p.area and not _AREA.match(p.area):
        raise ReportError(
            f"område må være et fylkesnummer (2 siffer), kommunenummer (4) eller bydelsnummer (6), ikke {p.area!r}"
        )
    if p.by not in BY:
        raise ReportError(f"ukjent inndeling {p.by!r}; bruk municipality eller county")
    unknown = [f for f in p.figures if f not in FIGURES]
    if unknown:
        raise ReportError(f"ukjent tall {', '.join(unknown)}; tallene er: {', '.join(FIGURES)}")
    if p.known_at is not None and timezone.is_naive(p.known_at):
        raise ReportError("known_at må ha tidssone")
    year_end = dt.date(p.year, 12, 31)
    as_of = p.as_of or min(year_end, timezone.localdate(p.known_at) if p.known_at else timezone.localdate())
    if as_of.year != p.year:
        raise ReportError(f"referansedatoen {as_of:%d.%m.%Y} er ikke i året {p.year}")
    return replace(p, as_of=as_of, figures=p.figures or tuple(FIGURES))


# --- the query --------------------------------------------------------------------------


def _sql(qs) -> tuple[str, list]:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _latest(qs, order: list, fields: tuple[str, ...]) -> tuple[str, list]:
    """Each person's first row of ``qs`` in ``order`` (a window function: one pass over the table)."""
    ranked = qs.annotate(rn=Window(RowNumber(), partition_by=[F("person_id")], order_by=order)).order_by()
    sql, params = _sql(ranked.values("person_id", *fields, "rn"))
    return f"SELECT * FROM ({sql}) ranked WHERE rn = 1", params


def _base_sql(p: StatsParams, candidates) -> tuple[str, list]:
    """One row per person: the derived status known at known_at and the facts the figures use.

    Each fact is a per-person derived table (the latest row by a window function, or an
    aggregate) joined on the person, so that the database reads each table once instead of
    looking every person up in every table. ``candidates`` (a queryset of person ids, or None)
    limits every table to the persons of an area.
    """
    ref, y1 = p.as_of, dt.date(p.year, 1, 1)

    def rows(model, **filters):
        qs = known(model, p).filter(**filters)
        return qs if candidates is None else qs.filter(person_id__in=candidates)

    def flag(cond: Q):
        return Max(Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField()))

    parts = {
        "ds": _sql(
            rows(m.DerivedStatus, law=p.law)
            .order_by()
            .values(
                "person_id",
                "intro_category",
                "norwegian_category",
                "intro_start_date",
                "intro_deadline",
                "intro_closed_date",
                "norwegian_deadline",
            )
        ),
        "fu": _latest(
            rows(m.FollowUp, valid_from__lte=ref),
            [F("valid_from").desc(), F("id").desc()],
            ("municipality", "district"),
        ),
        "st": _latest(
            rows(m.Settlement, settlement_date__lte=ref),
            [F("settlement_date").desc(), F("id").desc()],
            ("settlement_date",),
        ),
        "pe": _latest(
            rows(m.ResidencePermit, decision_date__lte=ref), [F("decision_date").desc(), F("id").desc()], ("basis",)
        ),
        "fg": _latest(rows(m.FinalGoal, scheme=INTRO), [F("recorded_at").desc(), F("id").desc()], ("goal",)),
        "te": _sql(
            rows(m.Termination, scheme=INTRO)
            .order_by()
            .values("person_id")
            .annotate(
                ended=Min("termination_date"),
                ended_with_reason=flag(
                    Q(termination_date__gte=y1, termination_date__lte=ref) & ~Q(termination_reason="")
                ),
            )
        ),
        "np": _sql(
            rows(m.Participation, scheme=NORWEGIAN, from_date__lte=ref, to_date__gte=y1, hours__gt=0)
            .order_by()
            .values("person_id")
            .annotate(n=Count("id"))
        ),
        "ex": _sql(
            rows(m.Exam, exam_type__in=NORWEGIAN_EXAMS, exam_date__lte=ref)
            .order_by()
            .values("person_id")
            .annotate(exam_taken=flag(Q(result__in=("passed", "failed"))), exam_passed=flag(Q(result="passed")))
        ),
    }
    select = (
        "ds.person_id, ds.intro_category AS cat, ds.norwegian_category AS ncat, ds.intro_start_date AS start, "
        "ds.intro_deadline AS deadline, ds.intro_closed_date AS closed, ds.norwegian_deadline AS ndeadline, "
        "fu.municipality AS muni, fu.district AS district, st.settlement_date AS settled, pe.basis AS basis, "
        "te.ended AS ended, COALESCE(te.ended_with_reason, 0) AS ended_with_reason, fg.goal AS goal, "
        "CASE WHEN np.person_id IS NULL THEN 0 ELSE 1 END AS norwegian_participation, "
        "COALESCE(ex.exam_taken, 0) AS exam_taken, COALESCE(ex.exam_passed, 0) AS exam_passed"
    )
    ds_sql, params = parts.pop("ds")
    sql = f"SELECT {select} FROM ({ds_sql}) ds"
    for alias, (part_sql, part_params) in parts.items():
        sql += f" LEFT JOIN ({part_sql}) {alias} ON {alias}.person_id = ds.person_id"
        params.extend(part_params)
    return sql, params


# The same rows as ``_base_sql`` for the register as it is now (``known_at`` None), read from each
# person's current facts (``nir.register.person_facts``: one narrow row per person instead of eight
# tables). A fact is a date or the value of the latest row; where the reference date falls between a
# person's first and last row of a kind, the value on that date is looked up in the table for that
# person only (the ELSE branches: a person with rows on both sides of :ref — rare for the current year).
_CURRENT = "t.person_id = f.person_id AND t.superseded_at IS NULL AND t.operation <> 'annul'"


def _on_ref(first: str, last: str, value: str, lookup: str) -> str:
    """The value of the latest row on or before :ref, from the first and last date of the rows."""
    return (
        f"CASE WHEN f.{last} <= :ref THEN {value} WHEN f.{first} IS NULL OR f.{first} > :ref THEN NULL "
        f"ELSE ({lookup}) END"
    )


def _in_period(first: str, last: str, exists: str) -> str:
    """1 if a row's date is in the period :y1–:ref, from the first and last date of the rows."""
    return (
        f"CASE WHEN f.{first} IS NULL THEN 0 "
        f"WHEN f.{first} >= :y1 THEN CASE WHEN f.{first} <= :ref THEN 1 ELSE 0 END "
        f"WHEN f.{last} <= :ref THEN CASE WHEN f.{last} >= :y1 THEN 1 ELSE 0 END "
        f"WHEN EXISTS ({exists}) THEN 1 ELSE 0 END"
    )


def _latest_fu(column: str) -> str:
    return (
        f"SELECT t.{column} FROM register_followup t WHERE {_CURRENT} AND t.valid_from <= :ref "
        "ORDER BY t.valid_from DESC, t.id DESC LIMIT 1"
    )


_FACTS_BASE = (
    "SELECT f.person_id, f.intro_category AS cat, f.norwegian_category AS ncat, f.intro_start_date AS start, "
    "f.intro_deadline AS deadline, f.intro_closed_date AS closed, f.norwegian_deadline AS ndeadline, "
    + _on_ref("fu_first", "fu_from", "f.fu_municipality", _latest_fu("municipality"))
    + " AS muni, "
    + _on_ref("fu_first", "fu_from", "f.fu_district", _latest_fu("district"))
    + " AS district, "
    + _on_ref(
        "st_first",
        "st_last",
        "f.st_last",
        f"SELECT MAX(t.settlement_date) FROM register_settlement t WHERE {_CURRENT} AND t.settlement_date <= :ref",
    )
    + " AS settled, "
    + _on_ref("pe_first", "pe_last", "f.pe_basis", "{latest_basis}")
    + " AS basis, "
    "f.te_first AS ended, "
    + _in_period(
        "te_reason_first",
        "te_reason_last",
        f"SELECT 1 FROM register_termination t WHERE {_CURRENT} "
        "AND t.scheme = 'intro' AND t.termination_reason <> '' AND t.termination_date >= :y1 "
        "AND t.termination_date <= :ref",
    )
    + " AS ended_with_reason, "
    "f.goal AS goal, "
    # a participation overlapping the period: none started by :ref; or all started by :ref (the last
    # end decides); or look
    "CASE WHEN f.np_first_from IS NULL OR f.np_first_from > :ref THEN 0 "
    "WHEN f.np_last_from <= :ref THEN CASE WHEN f.np_last_to >= :y1 THEN 1 ELSE 0 END "
    f"WHEN EXISTS (SELECT 1 FROM register_participation t WHERE {_CURRENT} AND t.scheme = 'norwegian' "
    "AND t.hours > 0 AND t.from_date <= :ref AND t.to_date >= :y1) THEN 1 ELSE 0 END AS norwegian_participation, "
    "CASE WHEN f.ex_taken_first <= :ref THEN 1 ELSE 0 END AS exam_taken, "
    "CASE WHEN f.ex_passed_first <= :ref THEN 1 ELSE 0 END AS exam_passed "
    f"FROM {person_facts.TABLE} f WHERE f.law = :law"
)
_TOKEN = re.compile(r":(ref|y1|window|law)\b")


# The basis of the person's latest permit on or before :ref. PostgreSQL: an ordered aggregate rather
# than ORDER BY … LIMIT 1, so that the statement has no Sort node (there is no index on the decision
# date), which ``enable_sort = off`` (below) would price out of every plan.
_LATEST_BASIS = {
    "postgresql": (
        f"SELECT (array_agg(t.basis ORDER BY t.decision_date DESC, t.id DESC))[1] "
        f"FROM register_residencepermit t WHERE {_CURRENT} AND t.decision_date <= :ref"
    ),
    "sqlite": (
        f"SELECT t.basis FROM register_residencepermit t WHERE {_CURRENT} AND t.decision_date <= :ref "
        "ORDER BY t.decision_date DESC, t.id DESC LIMIT 1"
    ),
}


def _facts_base_sql(p: StatsParams, values: dict[str, object]) -> tuple[str, list]:
    sql = _FACTS_BASE.replace("{latest_basis}", _LATEST_BASIS[connection.vendor])
    return _bind(sql, {**values, "law": p.law})


def _candidates(p: StatsParams, scope):
    """Person ids that may be in the area and scope (a superset: the exact test is on the latest follow-up)."""
    q = Q()
    if p.area and len(p.area) == 4:
        q &= Q(municipality=p.area)
    elif p.area and len(p.area) == 6:
        q &= Q(district=p.area)
    elif p.area and len(p.area) == 2:
        q &= Q(municipality__in=_municipalities_of_county(p.area))
    if scope is not None:
        q &= scope.q("municipality", "district")
    if not q:
        return None
    return known(m.FollowUp, p).filter(q, valid_from__lte=p.as_of).values("person_id")


def _bind(sql: str, values: dict[str, object]) -> tuple[str, list]:
    params: list = []

    def sub(match):
        params.append(values[match.group(1)])
        return "%s"

    return _TOKEN.sub(sub, sql), params


def _cells(p: StatsParams) -> list[tuple[str, Figure, Column]]:
    return [
        (f"c{i}", fig, col)
        for i, (fig, col) in enumerate((FIGURES[fid], col) for fid in p.figures for col in FIGURES[fid].columns)
    ]


def _area_filter(p: StatsParams, scope) -> tuple[str, list]:
    """WHERE conditions of the outer statement: the area asked for and the user's scope."""
    conds, params = [], []
    if p.area and len(p.area) == 4:
        conds.append("muni = %s")
        params.append(p.area)
    elif p.area and len(p.area) == 6:
        conds.append("district = %s")
        params.append(p.area)
    elif p.area and len(p.area) == 2:
        munis = _municipalities_of_county(p.area)
        conds.append(f"muni IN ({', '.join(['%s'] * len(munis))})" if munis else "1 = 0")
        params.extend(munis)
    if scope is not None:
        allowed = []
        if scope.municipalities:
            allowed.append(f"muni IN ({', '.join(['%s'] * len(scope.municipalities))})")
            params.extend(sorted(scope.municipalities))
        if scope.districts:
            allowed.append(f"district IN ({', '.join(['%s'] * len(scope.districts))})")
            params.extend(sorted(scope.districts))
        conds.append("(" + " OR ".join(allowed) + ")" if allowed else "1 = 0")
    return (" WHERE " + " AND ".join(conds)) if conds else "", params


def _municipalities_of_county(county: str) -> list[str]:
    from nir.reference.models import Municipality

    return sorted(set(Municipality.objects.filter(county__number=county).values_list("number", flat=True)))


def _count_by_municipality(
    p: StatsParams, scope, *, facts: bool | None = None
) -> dict[tuple[str, str], dict[str, int]]:
    """{(municipality, district): {cell name: persons}} — one statement.

    ``facts`` (default: when ``known_at`` is None) reads each person's current facts
    (``_FACTS_BASE``) instead of the eight tables (``_base_sql``); both give the same counts.
    """
    if scope is not None and scope.empty:
        return {}  # the user may see nobody
    if facts is None:
        facts = p.known_at is None
    elif facts and p.known_at is not None:
        raise ValueError("the current facts are the register as known now, not at known_at")
    adapt = connection.ops.adapt_datefield_value
    values = {
        "ref": adapt(p.as_of),
        "y1": adapt(dt.date(p.year, 1, 1)),
        "window": adapt(p.as_of - right_window(p.as_of)),
    }
    candidates = None
    if facts:
        inner_sql, inner_params = _facts_base_sql(p, values)
    else:
        candidates = _candidates(p, scope)
        try:
            inner_sql, inner_params = _base_sql(p, candidates)
        except EmptyResultSet:  # an area with no municipalities
            return {}
    # Three steps, so that each condition is evaluated once per person, not once per column:
    # 1. per person, the figures' universes as 0/1 flags and the keys the columns test;
    # 2. persons counted per distinct combination (a few thousand groups);
    # 3. per area, each figure column summed over the groups.
    figures = [FIGURES[f] for f in p.figures]
    flags, flag_params = [], []
    for i, fig in enumerate(figures):
        sql, params = _bind(fig.universe, values)
        flags.append(f"CASE WHEN {sql} THEN 1 ELSE 0 END AS u{i}")
        flag_params.extend(params)
    u = ", ".join(f"u{i}" for i in range(len(figures)))
    keys = "muni, district, cat, ncat, goal, basis, exam_taken, exam_passed"
    where, where_params = _area_filter(p, scope)
    step1 = f"SELECT {keys}, {', '.join(flags)} FROM ({inner_sql}) base{where}"
    step2 = f"SELECT {keys}, {u}, COUNT(*) AS n FROM ({step1}) step1 GROUP BY {keys}, {u}"
    cells = _cells(p)
    index = {fig.id: i for i, fig in enumerate(figures)}
    sums = []
    for name, fig, col in cells:
        if _TOKEN.search(col.condition):
            raise ValueError(f"{fig.id}.{col.key}: a column condition may not use parameters")
        sums.append(f"SUM(CASE WHEN u{index[fig.id]} = 1 AND ({col.condition}) THEN n ELSE 0 END) AS {name}")
    sql = f"SELECT muni, district, {', '.join(sums)} FROM ({step2}) step2 GROUP BY muni, district"
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql" and facts:
            # One table read whole: worth parallel workers (off by default for the pages, nir.settings).
            cur.execute("SET LOCAL max_parallel_workers_per_gather = 2")
            # The planner takes each CASE of the facts for a new group per person and sorts the 0.7-1 M
            # rows to group them (2-3 s); hashing the ~100,000 actual groups costs ~0.1 s
            # (docs/benchmarks.md). The statement has no other sort (the look-ups follow their indexes).
            cur.execute("SET LOCAL enable_sort = off")
            cur.execute("SET LOCAL work_mem = '256MB'")
        elif connection.vendor == "postgresql":
            # Every part is a whole-table (or whole-area) derived table; the planner's row estimates
            # after the window filters are 1, and a nested loop over two such parts costs minutes.
            cur.execute("SET LOCAL enable_nestloop = off")
            if candidates is None:
                # The whole country: every part streams in person order (their indexes on the person),
                # so they are merged in that order rather than hashed (docs/benchmarks.md); for an
                # area's persons hashing is cheaper.
                cur.execute("SET LOCAL enable_hashjoin = off")
            # The per-person parts sort whole tables: in memory rather than in temporary files.
            cur.execute("SET LOCAL work_mem = '256MB'")
            # Whole tables: worth parallel workers (off by default for the pages, nir.settings).
            cur.execute("SET LOCAL max_parallel_workers_per_gather = 2")
        cur.execute(sql, [*flag_params, *inner_params, *where_params])
        out = {}
        for row in cur.fetchall():
            out[(row[0] or "", row[1] or "")] = {name: int(v or 0) for (name, _f, _c), v in zip(cells, row[2:])}
    return out


# --- the result -------------------------------------------------------------------------


@dataclass
class Area:
    code: str  # "" for the whole country
    name: str
    kind: str  # country, county, municipality, district


@dataclass
class StatsTable:
    params: StatsParams
    known_at: dt.datetime
    areas: list[Area]
    # {area code: {(figure id, column key): persons}}
    values: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    # what the table counts, as the user may see it (``AreaLabels.table``): «Hele landet» only for
    # a user who sees everyone
    label: str = WHOLE_COUNTRY

    @cached_property
    def figures(self) -> list[Figure]:
        return [FIGURES[f] for f in self.params.figures]

    def value(self, figure: str, column: str, area: str = "") -> int:
        return self.values.get(area, {}).get((figure, column), 0)

    def total(self, figure: str, area: str = "") -> int | None:
        fig = FIGURES[figure]
        if not fig.exhaustive:
            return None
        return sum(self.value(figure, c.key, area) for c in fig.columns)

    def share(self, figure: str, numerator: str, denominator: str, area: str = "") -> float | None:
        d = self.value(figure, denominator, area)
        return None if d == 0 else self.value(figure, numerator, area) / d


def yearly(params: StatsParams, *, scope) -> StatsTable:
    """The yearly statistics table. ``scope``: ``nir.access.scope.person_scope(user)`` (None: everyone)."""
    p = validate(params)
    counts = _count_by_municipality(p, scope)
    labels = AreaLabels(scope)
    munis = labels.munis

    def county_of(muni: str) -> str:
        return munis.get(muni, ("", muni[:2]))[1] if muni else ""

    # Roll the (municipality, district) counts up to the rows asked for.
    rows: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for (muni, _district), cells in counts.items():
        if p.by == "municipality":
            key = muni
        elif p.by == "county":
            key = county_of(muni)
        else:
            key = p.area or ""
        for name, fig, col in _cells(p):
            rows[key][(fig.id, col.key)] += cells[name]

    kinds = {2: "county", 4: "municipality", 6: "district"}

    def area(code: str) -> Area:
        if code == "":
            return Area("", NO_FOLLOW_UP if p.by else capital(labels.everything()), "country")
        # One area asked for: its full name («… kommune»); a row of a table by area: the plain name.
        return Area(code, capital(labels.area(code, full=p.by is None)), kinds.get(len(code), "municipality"))

    if p.by is None:
        codes_ = [p.area or ""]
    else:
        codes_ = sorted(rows)
    table = StatsTable(
        p,
        p.known_at or timezone.now(),
        [area(c) for c in codes_],
        {c: dict(rows.get(c, {})) for c in codes_},
        label=labels.table(p.area),
    )
    return table


def series(params: StatsParams, years: range, *, scope) -> dict[int, StatsTable]:
    """The same table for several years (for yearly series and charts)."""
    return {y: yearly(replace(params, year=y, as_of=None), scope=scope) for y in years}


def law_label(law: str) -> str:
    return LAW_LABELS.get(law, law)
