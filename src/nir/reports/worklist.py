"""Arbeidsflate (the work list), Bosetting and Kommuner: the queries over the persons a user may see.

    from nir.reports import worklist
    ctx = worklist.Context.for_user(user)
    page = worklist.run("frister-30", ctx, limit=5)
    page.count, page.rows

Each *section* (``SECTIONS``) is one block of the work list and one full list
(``/arbeidsflate/<section>/``): rows computed in the database, with the person
columns of the reports (``queries.person_columns``: DUF number, names, the
follow-up municipality and district today) and the section's own columns. The
definitions are the reports' wherever a report has one:

* ``frister-30``/``frister-90`` — the Gjennomføringsfrist of the introduction
  programme or of Norwegian and social studies falls within 30 (90) days, and
  the scheme has not ended (the person list's «Avsluttet»: a termination on or
  before today, or the Regelmotor's closure of the programme);
* ``avvik`` — the report ``avvik-sluttmaal`` (``queries.avvik_sluttmaal``);
* ``regelbrudd`` — registrations the Regelmotor did not accept
  (``DerivedStatus.errors``: facts that break a rule and are ignored);
* ``mangler-vedtak`` and ``mangler-avslutning`` — the person list's missing
  registrations (``queries.personliste``, ``MISSING_LABELS``), limited to what
  can still be acted on: settled within the two years of the right, and a
  deadline passed within the last 12 months (older ones: the report);
* ``regelmotor`` — terminations the Regelmotor registered automatically in
  the last 30 days (registered_by_system ``Regelmotor``; e.g. «Avbrutt –
  Vedtak om bortfall av rett og plikt pga. arbeid»);
* ``datakvalitet`` — open plausibility warnings (``PlausibilityWarning`` on a
  registration that is still current; docs/rules.md «Plausibility») not yet
  acknowledged («Kontrollert», ``Context.acknowledged``: those acknowledged), one row a
  warning, filtered by rule with ``Context.rule``; ``plausibility_counts`` gives
  them per follow-up municipality and rule (IMDi's view across municipalities).

The user's scope is applied as the reports apply it (``queries.common_filters``):
``nir.access.scope.persons_followed_up``, the follow-up municipality/district today. A section costs two
statements whatever its size (``run``): the page's row ids in order with the
total (``COUNT(*) OVER ()``), from the section's conditions and sort key alone —
which the indexes of migration ``register.0010_worklist_indexes`` serve — and
then the columns of those rows only.

Bosetting (``settlements``, ``settlement_counts``, ``settlement_page``) and the
municipalities' key figures (``person_figures``, ``settled_figures``) are GROUP BY
counts in the database, over the same scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Lower, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nir.access.scope import Scope, person_scope, persons_followed_up
from nir.reference.models import Municipality
from nir.register import kinds
from nir.register import models as m
from nir.register.actors import REGELMOTOR
from nir.reports import queries
from nir.reports.queries import FU_DISTRICT, FU_MUNICIPALITY, INTRO, NORWEGIAN
from nir.reports.registry import ReportParams
from nir.rules import plausibility

# The Regelmotor's automatic registrations shown: those recorded in the last N days.
RECENT_DAYS = 30
# A participation decision is missing for these categories (queries.personliste), within queries.right_window.
MISSING_DECISION_CATEGORIES = ("right_and_duty", "right")
# A missing termination is shown for deadlines passed within this period (older: the report Personliste).
PASSED_WITHIN = relativedelta(years=1)
DEADLINE_WINDOWS = {"frister-30": 30, "frister-90": 90}

# Registrations the Regelmotor did not accept: rule id (nir.rules.vector.ERRORS, docs/rules.md) -> label.
ERROR_LABELS = {
    "absence_date_out_of_range": _("Absence period outside the workday calendar"),
    "absence_end_before_start": _("Absence period ends before it starts"),
    "absence_kind_unknown": _("Unknown absence type"),
    "decision_end_before_start": _("Decision end date before its start date"),
    "decision_type_not_in_scheme": _("Decision type does not belong to the scheme"),
    "decision_type_not_valid_on_date": _("Decision type not valid on the decision date"),
    "decision_type_unknown": _("Unknown decision type"),
    "extension_exceeds_maximum": _("Extension longer than the final goal allows"),
    "extension_not_allowed": _("The final goal cannot be extended"),
    "extension_without_final_goal": _("Extension without a final goal"),
    "final_goal_unknown": _("Unknown final goal"),
    "loss_due_to_work_after_participation": _("Loss of right and duty due to work after a participation decision"),
    "loss_due_to_work_not_in_force": _("Loss of right and duty due to work dated before 01.01.2026"),
    "loss_due_to_work_not_in_target_group": _("Loss of right and duty due to work for a person without right and duty"),
    "participation_after_two_years": _("Participation decision more than two years after settlement"),
    "participation_without_start_date": _("Participation decision without a start date"),
}


# --- context and scope --------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Whose work list, on which day. ``scope``: ``person_scope(user)`` (None: every person)."""

    scope: Scope | None
    today: dt.date
    now: dt.datetime
    # ``datakvalitet``: only the warnings of this plausibility rule (None: every rule)
    rule: str | None = None
    # ``datakvalitet``: the open warnings a caseworker has acknowledged («Kontrollert») instead of the
    # unchecked ones
    acknowledged: bool = False

    @classmethod
    def for_user(
        cls, user, today: dt.date | None = None, *, rule: str | None = None, acknowledged: bool = False
    ) -> Context:
        now = timezone.now()
        return cls(person_scope(user), today or timezone.localdate(now), now, rule, acknowledged)

    @property
    def params(self) -> ReportParams:
        """The reports' parameters for the queries of ``nir.reports.queries`` (the register as known now)."""
        return ReportParams(as_of=self.today)

    @property
    def sees_nobody(self) -> bool:
        return self.scope is not None and self.scope.empty


def in_scope(qs: QuerySet, ctx: Context) -> QuerySet:
    """Rows (annotated with ``queries.person_columns``) of persons the user may see on ``ctx.today``.

    The one access rule of ``nir.access.scope.persons_followed_up``, as ``queries.common_filters``
    applies it.
    """
    if ctx.scope is None:
        return qs
    if ctx.scope.empty:
        return qs.none()
    return qs.filter(persons_followed_up(ctx.scope, today=ctx.today))


def _of_person(model, ctx: Context) -> QuerySet:
    return queries.known(model, ctx.params).filter(person_id=OuterRef("person_id"))


def _terminated(ctx: Context, scheme: str) -> Exists:
    """A termination (avslutning) of the scheme on or before the day (the person list's «Avsluttet»)."""
    return Exists(_of_person(m.Termination, ctx).filter(scheme=scheme, termination_date__lte=ctx.today))


# --- the sections' queries ----------------------------------------------------------------------


def deadlines(ctx: Context, days: int) -> QuerySet:
    """Persons whose Gjennomføringsfrist (programme or Norwegian) is within ``days`` days of today,
    in a scheme that has not ended. ``deadline``: the earliest such deadline; ``intro_due`` and
    ``norwegian_due``: each scheme's deadline when it is within the window (else NULL)."""
    today, end = ctx.today, ctx.today + dt.timedelta(days=days)
    intro_window = Q(intro_deadline__gte=today, intro_deadline__lte=end)
    norwegian_window = Q(norwegian_deadline__gte=today, norwegian_deadline__lte=end)
    # The windows first (indexes derived_intro_deadline_cur, derived_norwegian_deadline_cur), then
    # whether the scheme has ended (one index probe per person in the window).
    qs = (
        queries.derived_status(ctx.params)
        .filter(intro_window | norwegian_window)
        .annotate(intro_ended=_terminated(ctx, INTRO), norwegian_ended=_terminated(ctx, NORWEGIAN))
    )
    intro_due = intro_window & Q(intro_ended=False) & ~Q(intro_closed_date__lte=today)
    norwegian_due = norwegian_window & Q(norwegian_ended=False)
    return qs.filter(intro_due | norwegian_due).annotate(
        intro_due=Case(When(intro_due, then=F("intro_deadline")), default=None, output_field=DateField()),
        norwegian_due=Case(When(norwegian_due, then=F("norwegian_deadline")), default=None, output_field=DateField()),
        # The row is due in at least one scheme: the programme's deadline when it is due and not later
        # than a due Norwegian deadline, else the Norwegian one.
        deadline=Case(
            When(
                intro_due
                & (~norwegian_window | Q(norwegian_ended=True) | Q(intro_deadline__lte=F("norwegian_deadline"))),
                then=F("intro_deadline"),
            ),
            default=F("norwegian_deadline"),
            output_field=DateField(),
        ),
    )


def deviations(ctx: Context) -> QuerySet:
    """The report avvik-sluttmaal (regelmotor.md § 6), every deviation."""
    return queries.avvik_sluttmaal(ctx.params)


def rule_errors(ctx: Context) -> QuerySet:
    """Persons with registrations the Regelmotor did not accept (``DerivedStatus.errors`` not empty)."""
    return queries.derived_status(ctx.params).exclude(errors=[]).annotate(found_at=F("recorded_at"))


def missing_decision(ctx: Context) -> QuerySet:
    """The person list's «Vedtak om deltakelse mangler» (``queries.personliste``, missing
    ``participation_decision``), within the two years in which the right can be used.

    As the person list: NIR category right and duty or right, not ended, settled three months ago or
    more (il. § 12, ``intro.start_within.months``), no participation decision. And settled within the
    window in which the decision can be made (il. § 8, ``intro.decision_window.years``):
    a person settled earlier has lost the right, and there is nothing left to register. The
    Regelmotor derives no start date without a participation decision, so ``intro_start_date IS
    NULL`` holds for every such person; said here too, it lets the database start from index
    ``derived_no_start_cur``.
    """
    today = ctx.today
    window = _of_person(m.Settlement, ctx).filter(
        settlement_date__gt=today - queries.right_window(today),
        settlement_date__lte=today - queries.start_within(today),
    )
    decision = _of_person(m.Decision, ctx).filter(scheme=INTRO, decision_type=queries.PARTICIPATION)
    settled = _of_person(m.Settlement, ctx).filter(settlement_date__lte=today).order_by("-settlement_date", "-id")
    return (
        queries.derived_status(ctx.params)
        .filter(intro_start_date__isnull=True, intro_category__in=MISSING_DECISION_CATEGORIES)
        .exclude(intro_closed_date__lte=today)
        .filter(Exists(window))
        .exclude(Exists(decision))
        .exclude(_terminated(ctx, INTRO))
        .annotate(settled=Subquery(settled.values("settlement_date")[:1]))
    )


def missing_termination(ctx: Context) -> QuerySet:
    """The person list's «Avslutning mangler» (``queries.personliste``, missing ``termination``):
    the programme's Gjennomføringsfrist has passed and the programme has not ended (no termination
    on or before today, no closure by the Regelmotor)."""
    today = ctx.today
    return (
        queries.derived_status(ctx.params)
        .filter(intro_deadline__lt=today, intro_deadline__gte=today - PASSED_WITHIN)
        .exclude(intro_closed_date__lte=today)
        .exclude(_terminated(ctx, INTRO))
    )


def regelmotor_closures(ctx: Context) -> QuerySet:
    """Terminations the Regelmotor registered in the last ``RECENT_DAYS`` days (current rows)."""
    since = ctx.now - dt.timedelta(days=RECENT_DAYS)
    return (
        queries.known(m.Termination, ctx.params)
        .filter(registered_by_kind=m.ActorKind.SYSTEM, registered_by_system=REGELMOTOR, recorded_at__gte=since)
        .annotate(**queries.person_columns(ctx.params))
    )


# The registration kinds a plausibility rule judges (nir.rules.plausibility), with their models.
PLAUSIBILITY_KINDS = tuple(
    k
    for k in kinds.KINDS
    if k.name in {*plausibility.EVENT_DATES, *plausibility.PLANNED_DATES, "participation", "measures", "terminations"}
)


# What a warning's registration is, as the caseworker calls it (kinds.KINDS names).
REGISTRATION_LABELS = {
    "permits": _("Residence permit"),
    "settlements": _("Settlement"),
    "decisions": _("Decision"),
    "extension": _("Extension"),
    "participation": _("Participation"),
    "measures": _("Measure"),
    "absences": _("Absence and leave"),
    "terminations": _("Termination"),
    "career_guidance": _("Career guidance"),
    "competence_mappings": _("Competence mapping"),
    "exams": _("Test"),
}


def open_warnings() -> QuerySet:
    """Plausibility warnings whose registration is still current (not corrected, not annulled)."""
    still_current = Q(pk__in=[])
    for k in PLAUSIBILITY_KINDS:
        still_current |= Q(kind=k.name) & Exists(k.model.objects.current().filter(pk=OuterRef("registration_id")))
    return m.PlausibilityWarning.objects.filter(still_current)


def acknowledged(done: bool) -> Q:
    """Warnings a caseworker has acknowledged («Kontrollert», ``WarningAcknowledgement``) — or, with
    ``done=False``, not."""
    q = Exists(m.WarningAcknowledgement.objects.filter(warning_id=OuterRef("pk")))
    return q if done else ~q


def plausibility_warnings(ctx: Context) -> QuerySet:
    """Open plausibility warnings of the persons in scope (``in_scope``), one row a warning: those not
    yet acknowledged (``ctx.acknowledged``: those acknowledged, with who, when and the comment); only
    rule ``ctx.rule`` when set."""
    qs = open_warnings().filter(acknowledged(ctx.acknowledged))
    if ctx.rule:
        qs = qs.filter(rule=ctx.rule)
    return qs.annotate(
        ack_at=F("acknowledgement__recorded_at"),
        ack_comment=F("acknowledgement__comment"),
        ack_by=Coalesce(
            "acknowledgement__registered_by_user__username",
            "acknowledgement__registered_by_client__name",
            "acknowledgement__registered_by_system",
        ),
        **queries.person_columns(ctx.params),
    )


def person_warnings(person_id: int) -> list[dict]:
    """The open plausibility warnings of one person (the person page, ``GET /persons/{duf}/warnings``),
    oldest first, each with its acknowledgement («Kontrollert») if any: ``ack_at``, ``ack_by``,
    ``ack_comment`` (None: not checked). One statement; the caller has checked access to the person."""
    return list(
        open_warnings()
        .filter(person_id=person_id)
        .annotate(
            ack_at=F("acknowledgement__recorded_at"),
            ack_comment=F("acknowledgement__comment"),
            ack_by=Coalesce(
                "acknowledgement__registered_by_user__username",
                "acknowledgement__registered_by_client__name",
                "acknowledgement__registered_by_system",
            ),
        )
        .order_by("recorded_at", "pk")
        .values(
            "pk",
            "kind",
            "registration_id",
            "rule",
            "field",
            "message",
            "recorded_at",
            "ack_at",
            "ack_by",
            "ack_comment",
        )
    )


def plausibility_counts(ctx: Context) -> list[dict]:
    """Open plausibility warnings of the persons in scope per follow-up municipality today and rule:
    [{"municipality", "rule", "warnings", "persons"}], most warnings first (no personal data)."""
    if ctx.sees_nobody:
        return []
    follow_up = (
        queries.known(m.FollowUp, ctx.params)
        .filter(person_id=OuterRef("person_id"), valid_from__lte=ctx.today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=ctx.today))
        .order_by("-valid_from", "-id")
    )
    qs = open_warnings().filter(acknowledged(ctx.acknowledged))
    if ctx.scope is not None:
        qs = qs.filter(persons_followed_up(ctx.scope, today=ctx.today))
    if ctx.rule:
        qs = qs.filter(rule=ctx.rule)
    rows = (
        qs.annotate(municipality=Subquery(follow_up.values("municipality")[:1]))
        .values("municipality", "rule")
        .annotate(warnings=Count("pk"), persons=Count("person_id", distinct=True))
        .order_by("-warnings", "municipality", "rule")
    )
    return list(rows)


# How far back the work list's «Innflyttet» looks (the full list: /personer/flyttinger/).
MOVED_IN_DAYS = 365


def moved_in(ctx: Context) -> QuerySet:
    """Persons who moved into the user's area in the last ``MOVED_IN_DAYS`` days (issue 16 § 2): follow-up
    periods starting then in the area (``ctx.scope``) whose previous period was in another municipality
    or district, with the name of the municipality moved from and the programme's deadline (the
    person's, as the Regelmotor derives it: it follows the person)."""
    previous = _of_person(m.FollowUp, ctx).filter(valid_from__lt=OuterRef("valid_from")).order_by("-valid_from", "-id")
    status = _of_person(m.DerivedStatus, ctx)
    qs = queries.known(m.FollowUp, ctx.params).filter(
        valid_from__gt=ctx.today - dt.timedelta(days=MOVED_IN_DAYS), valid_from__lte=ctx.today
    )
    if ctx.scope is not None:
        qs = qs.filter(ctx.scope.q("municipality", "district"))
    return (
        qs.annotate(
            prev_municipality=Subquery(previous.values("municipality")[:1]),
            prev_district=Subquery(previous.values("district")[:1]),
            moved_on=F("valid_from"),
            intro_deadline=Subquery(status.values("intro_deadline")[:1]),
            **queries.person_columns(ctx.params),
        )
        .filter(prev_municipality__isnull=False)
        .exclude(prev_municipality=F("municipality"), prev_district=F("district"))
        .annotate(
            moved_from=Subquery(
                Municipality.objects.filter(number=OuterRef("prev_municipality"))
                .order_by("-valid_from")
                .values("name")[:1]
            )
        )
    )


# --- sections -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: Any
    # text, date, datetime, deviations, errors, category, deadlines, code:<code list>
    kind: str = "text"
    # expressions (names) to sort by; empty: not sortable
    order: tuple[str, ...] = ()


PERSON_COLUMNS = (
    Column("duf", _("DUF number"), order=("duf",)),
    Column("name", _("Name"), order=("last_name", "first_name")),
    Column("municipality", _("Follow-up municipality/district"), order=(FU_MUNICIPALITY, FU_DISTRICT)),
)
PERSON_VALUES = ("person_id", "duf", "first_name", "last_name", FU_MUNICIPALITY, FU_DISTRICT)


@dataclass(frozen=True)
class Section:
    id: str
    group: str
    title: Any
    # one sentence under the title: the definition in words (the help text has the rest)
    lead: Any
    help_key: str
    query: Callable[[Context], QuerySet]
    columns: tuple[Column, ...]
    values: tuple[str, ...]
    default_sort: str
    # (report id, query string) of the report with the same definition, if any
    report: tuple[str, dict] | None = None
    empty_text: Any = _("Nothing here.")
    # what a row is: "persons", "terminations" or "warnings" (the count's noun)
    noun: str = "persons"

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return PERSON_COLUMNS + self.columns

    def column(self, key: str) -> Column | None:
        return next((c for c in self.all_columns if c.key == key), None)


GROUPS = {
    "deadlines": _("Deadlines"),
    "deviations": _("Deviations to fix"),
    "missing": _("Missing registrations"),
    "automatic": _("Automatic registrations by the Regelmotor"),
    "dataquality": _("Data quality"),
    "moves": _("Moves"),
}

SECTIONS: dict[str, Section] = {}


def _section(s: Section) -> Section:
    SECTIONS[s.id] = s
    return s


for _id, _days in DEADLINE_WINDOWS.items():
    _section(
        Section(
            id=_id,
            group="deadlines",
            title=_("Completion deadline within 30 days") if _days == 30 else _("Completion deadline within 90 days"),
            lead=_("Introduction programme or Norwegian and social studies, not ended."),
            help_key="worklist.deadlines",
            query=lambda ctx, days=_days: deadlines(ctx, days),
            columns=(
                Column("schemes", _("Scheme"), "schemes"),
                Column("deadline", _("Completion deadline"), "date", ("deadline",)),
            ),
            values=("intro_due", "norwegian_due", "deadline"),
            default_sort="deadline",
            report=("personliste", {"deadline_within": str(_days)}),
            empty_text=_("No deadlines in this period."),
        )
    )

_section(
    Section(
        id="innflyttet",
        group="moves",
        title=_("Moved in during the last 12 months"),
        lead=_("Persons your municipality or district follows up after a move from another municipality or district."),
        help_key="worklist.moves",
        query=moved_in,
        columns=(
            Column("moved_from", _("Moved from"), order=("moved_from",)),
            Column("moved_on", _("Moving date"), "date", ("moved_on",)),
            Column("intro_deadline", _("Completion deadline"), "date", ("intro_deadline",)),
        ),
        values=("moved_from", "moved_on", "intro_deadline"),
        default_sort="-moved_on",
        empty_text=_("No one has moved in in this period."),
    )
)

_section(
    Section(
        id="avvik",
        group="deviations",
        title=_("Deviations in the registration of final goals"),
        lead=_("Persons with a participation decision and a deviation derived by the Regelmotor."),
        help_key="worklist.deviations",
        query=deviations,
        columns=(
            Column("deviations", _("Deviation"), "deviations"),
            Column("intro_start_date", _("Start date of the programme"), "date", ("intro_start_date",)),
        ),
        values=("intro_start_date", *(f"deviation_{d}" for d in m.DEVIATIONS)),
        default_sort="-intro_start_date",
        report=("avvik-sluttmaal", {}),
        empty_text=_("No deviations."),
    )
)

_section(
    Section(
        id="regelbrudd",
        group="deviations",
        title=_("Registrations not accepted by the Regelmotor"),
        lead=_(
            "Registrations that break a rule and are not used when the Regelmotor derives categories and deadlines."
        ),
        help_key="worklist.rule_errors",
        query=rule_errors,
        columns=(Column("errors", _("Rule"), "errors"), Column("found_at", _("Found"), "datetime", ("found_at",))),
        values=("errors", "found_at"),
        default_sort="-found_at",
        empty_text=_("No registrations have been set aside."),
    )
)

_section(
    Section(
        id="mangler-vedtak",
        group="missing",
        title=_("Participation decision missing three months after settlement"),
        lead=_(
            "Right (and duty) to the introduction programme, settled between three months and two years ago, "
            "no participation decision, not ended."
        ),
        help_key="worklist.missing",
        query=missing_decision,
        columns=(
            Column("intro_category", _("NIR category"), "category"),
            Column("settled", _("Settlement date"), "date", ("settled",)),
        ),
        values=("intro_category", "settled"),
        default_sort="settled",
        report=("personliste", {"missing": "participation_decision"}),
        empty_text=_("No missing participation decisions."),
    )
)

_section(
    Section(
        id="mangler-avslutning",
        group="missing",
        title=_("Termination missing after the deadline has passed"),
        lead=_(
            "The completion deadline of the introduction programme passed within the last 12 months and no "
            "termination is registered."
        ),
        help_key="worklist.missing",
        query=missing_termination,
        columns=(Column("intro_deadline", _("Completion deadline"), "date", ("intro_deadline",)),),
        values=("intro_deadline",),
        default_sort="-intro_deadline",
        report=("personliste", {"missing": "termination"}),
        empty_text=_("No missing terminations."),
    )
)

_section(
    Section(
        id="regelmotor",
        group="automatic",
        title=_("Terminations registered by the Regelmotor in the last 30 days"),
        lead=_("Automatic terminations, e.g. on a decision on loss of right and duty due to work over 30 hours."),
        help_key="worklist.automatic",
        query=regelmotor_closures,
        columns=(
            Column("termination_type", _("Termination"), "code:termination_type", ("termination_type",)),
            Column("termination_reason", _("Termination reason"), "code:termination_reason", ("termination_reason",)),
            Column("termination_date", _("Termination date"), "date", ("termination_date",)),
            Column("recorded_at", _("Registered"), "datetime", ("recorded_at",)),
        ),
        values=("termination_type", "termination_reason", "termination_date", "recorded_at"),
        default_sort="-recorded_at",
        empty_text=_("No automatic terminations in the last 30 days."),
        noun="terminations",
    )
)


_section(
    Section(
        id="datakvalitet",
        group="dataquality",
        title=_("Implausible registrations to check"),
        lead=_(
            "Registrations the plausibility check accepted with a warning (hours above full time, a date in "
            "the future, …): check them, and correct the registration if it is wrong."
        ),
        help_key="worklist.data_quality",
        query=plausibility_warnings,
        columns=(
            Column("message", _("Plausibility warning"), "text"),
            Column("kind", _("Registration"), "registration", ("kind",)),
            Column("recorded_at", _("Registered"), "datetime", ("recorded_at",)),
            # «Kontrollert»: the button (nir.actions.acknowledge_warning), or who checked it and when
            Column("ack_at", _("Checked"), "acknowledge"),
        ),
        values=("message", "kind", "rule", "registration_id", "recorded_at", "ack_at", "ack_by", "ack_comment"),
        default_sort="-recorded_at",
        empty_text=_("No open plausibility warnings."),
        noun="warnings",
    )
)


# --- running a section --------------------------------------------------------------------------


class SortError(ValueError):
    pass


def ordering(section: Section, sort: str | None) -> list:
    """ORDER BY for ``sort`` (a column key, ``-key`` descending; default the section's), then the row id.

    No name or DUF tie-breakers: those are subqueries, and the database would compute them for every
    matching row only to order them."""
    sort = sort or section.default_sort
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    col = section.column(key)
    if col is None or not col.order:
        raise SortError(sort)
    out = []
    for name in col.order:
        expr = Lower(name) if name in ("first_name", "last_name") else F(name)
        out.append(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True))
    out.append(F("pk").desc() if descending else F("pk").asc())
    return out


@dataclass
class Page:
    section: Section
    count: int
    rows: list[dict]
    offset: int
    limit: int
    sort: str
    person_ids: list[int] = field(default_factory=list)


def queryset(section: Section, ctx: Context) -> QuerySet:
    return in_scope(section.query(ctx), ctx)


def run(section_id: str, ctx: Context, *, limit: int, offset: int = 0, sort: str | None = None) -> Page:
    """The rows ``offset``..``offset + limit`` of a section and the number of rows in all.

    Two statements: the ids of the page's rows in order with the total (``COUNT(*) OVER ()``), from
    the section's conditions and sort key alone; then the page's columns (DUF number, names,
    follow-up municipality, the section's own) for those ids only. A page past the end costs a
    third (``COUNT``)."""
    section = SECTIONS[section_id]
    sort = sort or section.default_sort
    order = ordering(section, sort)
    if ctx.sees_nobody:
        return Page(section, 0, [], offset, limit, sort)
    qs = queryset(section, ctx)
    keys = list(
        qs.order_by(*order).annotate(_total=Window(Count("*"))).values_list("pk", "_total")[offset : offset + limit]
    )
    if keys:
        count = keys[0][1]
    else:
        count = qs.count() if offset else 0
    if not keys:
        return Page(section, count, [], offset, limit, sort)
    by_pk = {
        r["pk"]: r
        for r in section.query(ctx).filter(pk__in=[k for k, _n in keys]).values("pk", *PERSON_VALUES, *section.values)
    }
    recs = [by_pk[k] for k, _n in keys if k in by_pk]
    return Page(section, count, recs, offset, limit, sort, [r["person_id"] for r in recs])


# --- Bosetting: settlements of persons in scope ------------------------------------------------


@dataclass(frozen=True)
class SettlementFilter:
    year: int
    municipality: str | None = None  # settlement municipality (4 digits)
    by_agreement: bool | None = None


def settlements(ctx: Context, f: SettlementFilter) -> QuerySet:
    """Settlement rows (bosetting, current registrations) dated in the year, of persons in scope,
    with the person columns."""
    qs = queries.known(m.Settlement, ctx.params).filter(
        settlement_date__gte=dt.date(f.year, 1, 1), settlement_date__lte=dt.date(f.year, 12, 31)
    )
    if f.municipality:
        qs = qs.filter(municipality=f.municipality)
    if f.by_agreement is not None:
        qs = qs.filter(by_agreement=f.by_agreement)
    return in_scope(qs.annotate(**queries.person_columns(ctx.params)), ctx)


def settlement_counts(ctx: Context, f: SettlementFilter) -> dict[str, dict]:
    """{municipality: {"months": [12 counts], "total": n, "by_agreement": n}} — one GROUP BY statement."""
    from django.db.models.functions import ExtractMonth

    out: dict[str, dict] = {}
    if ctx.sees_nobody:
        return out
    rows = (
        settlements(ctx, f)
        .order_by()
        .annotate(month=ExtractMonth("settlement_date"))
        .values("municipality", "month", "by_agreement")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        d = out.setdefault(r["municipality"], {"months": [0] * 12, "total": 0, "by_agreement": 0})
        d["months"][r["month"] - 1] += r["n"]
        d["total"] += r["n"]
        if r["by_agreement"]:
            d["by_agreement"] += r["n"]
    return out


SETTLEMENT_SORTS = {
    "settlement_date": ("settlement_date",),
    "duf": ("duf",),
    "name": ("last_name", "first_name"),
    "municipality": ("municipality", "district"),
}


def settlement_page(
    ctx: Context, f: SettlementFilter, *, limit: int, offset: int = 0, sort: str | None = None
) -> list[dict]:
    """One page of the list of settlements (one statement; the count is ``settlement_counts``'s total)."""
    if ctx.sees_nobody:
        return []
    sort = sort or "-settlement_date"
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if key not in SETTLEMENT_SORTS:
        raise SortError(sort)
    order = []
    for name in SETTLEMENT_SORTS[key]:
        expr = Lower(name) if name in ("first_name", "last_name") else F(name)
        order.append(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True))
    order += [Lower("last_name").asc(nulls_last=True), F("duf").asc(nulls_last=True), F("pk").asc()]
    return list(
        settlements(ctx, f)
        .order_by(*order)
        .values(*PERSON_VALUES, "municipality", "district", "settlement_date", "by_agreement")[offset : offset + limit]
    )


# --- Kommuner: key figures per municipality, in scope ---------------------------------------------

# Key figures (counts of persons followed up by the municipality today, the Regelmotor's categories).
FIGURE_LABELS = {
    "followed": _("Persons followed up"),
    "in_programme": _("In the introduction programme"),
    "right_and_duty": _("Right and duty to the introduction programme"),
    "deviations": _("Deviations in final goals"),
    "settled": _("Settled this year"),
    "deadlines_90": _("Completion deadline within 90 days"),
    "completed": _("Completed the programme this year"),
}
LIST_FIGURES = ("followed", "in_programme", "right_and_duty", "deviations", "settled")
# Figures that split by NIR category (all but the settlements, which are counted from Bosetting).
PERSON_FIGURES = ("followed", "in_programme", "right_and_duty", "deviations", "deadlines_90", "completed")


def visible_municipalities(scope: Scope | None, numbers) -> list[str]:
    """The municipalities among ``numbers`` whose figures the user may see: all of them for a user who
    sees everyone; those of the scope (a district user: the district's municipality) otherwise."""
    numbers = list(numbers)
    if scope is None:
        return numbers
    allowed = set(scope.municipalities) | {d[:4] for d in scope.districts}
    return [n for n in numbers if n in allowed]


def _sql(qs: QuerySet) -> tuple[str, list]:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def person_figures(
    ctx: Context, numbers: list[str], *, by_district: bool = False, by_law: bool = False, facts: bool = True
) -> list[dict]:
    """Counts per (municipality, [district,] NIR category) of the persons followed up by one of
    ``numbers`` today and in the user's scope — one statement. Rows: {"municipality", "district",
    "category", <figure>: n}; with ``by_law`` also per law (``"law"``: the act the Regelmotor
    judged the person under — the person list shows one law at a time).

    Read from each person's current facts (``nir.register.person_facts``: one narrow row per person,
    kept by the database) — or, with ``facts=False``, set-based from the tables as the yearly
    statistics (``nir.reports.statistics``) do: each person's follow-up municipality today (the
    latest starting period covering today, as ``queries.person_columns``), the derived status and the
    terminations as derived tables joined on the person. Both give the same counts.
    The figures are the person list's (``queries.personliste``): «in the programme» is its status
    «Pågår» (started, Gjennomføringsfrist not passed, not ended); ended is a termination on or
    before today or the Regelmotor's closure.
    """
    if not numbers or ctx.sees_nobody:
        return []
    today = ctx.today
    year_start, soon = dt.date(today.year, 1, 1), today + dt.timedelta(days=90)
    adapt = connection.ops.adapt_datefield_value
    d_today, d_soon, d_year = adapt(today), adapt(soon), adapt(year_start)
    if facts:  # one derived table, x, with the columns of all three
        from_sql, from_params = _figures_from_facts(d_today, d_year)
        fu = ds = te = "x"
        deviation = "x.deviation = 1"
    else:
        from_sql, from_params = _figures_from_tables(ctx, numbers, today, year_start)
        fu, ds, te = "fu", "ds", "te"
        deviation = " OR ".join(f"ds.deviation_{d}" for d in m.DEVIATIONS)
    ended = f"(COALESCE({te}.ended, 0) = 1 OR ({ds}.intro_closed_date IS NOT NULL AND {ds}.intro_closed_date <= %s))"
    select = [
        ("followed", "1 = 1", []),
        (
            "in_programme",
            (
                f"NOT {ended} AND {ds}.intro_start_date <= %s AND "
                f"({ds}.intro_deadline IS NULL OR {ds}.intro_deadline >= %s)"
            ),
            [d_today, d_today, d_today],
        ),
        ("right_and_duty", f"{ds}.intro_category = 'right_and_duty'", []),
        ("deviations", deviation, []),
        (
            "deadlines_90",
            (
                f"({ds}.intro_deadline >= %s AND {ds}.intro_deadline <= %s AND NOT {ended}) OR "
                f"({ds}.norwegian_deadline >= %s AND {ds}.norwegian_deadline <= %s "
                f"AND COALESCE({te}.norwegian_ended, 0) = 0)"
            ),
            [d_today, d_soon, d_today, d_today, d_soon],
        ),
        ("completed", f"COALESCE({te}.completed, 0) = 1", []),
    ]
    sums, sum_params = [], []
    for name, cond, params in select:
        sums.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}")
        sum_params += params
    where = [f"{fu}.municipality IN ({', '.join(['%s'] * len(numbers))})"]
    where_params: list = list(numbers)
    if ctx.scope is not None:
        allowed = []
        if ctx.scope.municipalities:
            allowed.append(f"{fu}.municipality IN ({', '.join(['%s'] * len(ctx.scope.municipalities))})")
            where_params += sorted(ctx.scope.municipalities)
        if ctx.scope.districts:
            allowed.append(f"{fu}.district IN ({', '.join(['%s'] * len(ctx.scope.districts))})")
            where_params += sorted(ctx.scope.districts)
        where.append("(" + " OR ".join(allowed) + ")")
    keys = (
        f"{fu}.municipality, "
        + (f"{fu}.district, " if by_district else "")
        + (f"{ds}.law, " if by_law else "")
        + f"{ds}.intro_category"
    )
    sql = f"SELECT {keys}, {', '.join(sums)} FROM {from_sql} WHERE {' AND '.join(where)} GROUP BY {keys}"
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql" and (facts or len(numbers) >= 300):
            # The whole register: worth parallel workers (off by default for the pages, nir.settings).
            cur.execute("SET LOCAL max_parallel_workers_per_gather = 2")
        if connection.vendor == "postgresql" and facts:
            # The planner takes the follow-up CASE for a new group per person and sorts every person to
            # group them (~1 s at 1,000,000); hashing the ~1,500 groups costs nothing (docs/benchmarks.md).
            # The statement has no other sort (the look-ups follow the follow-up index).
            cur.execute("SET LOCAL enable_sort = off")
            cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(sql, [*sum_params, *from_params, *where_params])
        rows = cur.fetchall()
    out = []
    for row in rows:
        rest = list(row)
        muni = rest.pop(0)
        district = rest.pop(0) if by_district else ""
        law = rest.pop(0) if by_law else ""
        category = rest.pop(0)
        out.append(
            {
                "municipality": muni,
                "district": district or "",
                **({"law": law} if by_law else {}),
                "category": category,
                **{name: int(v or 0) for (name, _c, _p), v in zip(select, rest)},
            }
        )
    return out


# A person's current row of a table (as Registration.objects.current()).
_CURRENT = "t.person_id = f.person_id AND t.superseded_at IS NULL AND t.operation <> 'annul'"


def _follow_up_today(column: str) -> str:
    """The follow-up municipality (district) today from the person's facts: the latest starting period
    if it covers today; none if it does not and is the only one; else looked up for that person."""
    return (
        "CASE WHEN f.fu_from <= %s AND (f.fu_to IS NULL OR f.fu_to >= %s) THEN f.fu_" + column + " "
        "WHEN f.fu_count IS NULL OR f.fu_count = 1 THEN NULL "
        f"ELSE (SELECT t.{column} FROM register_followup t WHERE {_CURRENT} AND t.valid_from <= %s "
        "AND (t.valid_to IS NULL OR t.valid_to >= %s) ORDER BY t.valid_from DESC, t.id DESC LIMIT 1) END"
    )


def _figures_from_facts(d_today, d_year) -> tuple[str, list]:
    """``person_figures``' FROM clause over ``register_personfacts``: one derived table, x, of the persons
    with a derived status."""
    completed = (  # a completed termination of the programme in 1.1.–today, from the first and last
        "CASE WHEN f.te_completed_first IS NULL THEN 0 "
        "WHEN f.te_completed_first >= %s THEN CASE WHEN f.te_completed_first <= %s THEN 1 ELSE 0 END "
        "WHEN f.te_completed_last <= %s THEN CASE WHEN f.te_completed_last >= %s THEN 1 ELSE 0 END "
        f"WHEN EXISTS (SELECT 1 FROM register_termination t WHERE {_CURRENT} AND t.scheme = 'intro' "
        "AND t.termination_type = 'completed' AND t.termination_date >= %s AND t.termination_date <= %s) "
        "THEN 1 ELSE 0 END"
    )
    sql = (
        "(SELECT "
        + _follow_up_today("municipality")
        + " AS municipality, "
        + _follow_up_today("district")
        + " AS district, "
        "f.law, f.intro_category, f.intro_start_date, f.intro_deadline, f.intro_closed_date, f.norwegian_deadline, "
        "f.deviation, CASE WHEN f.te_first <= %s THEN 1 ELSE 0 END AS ended, "
        "CASE WHEN f.nte_first <= %s THEN 1 ELSE 0 END AS norwegian_ended, "
        f"{completed} AS completed "
        "FROM register_personfacts f WHERE f.law IS NOT NULL) x"
    )
    params = [*[d_today] * 8, d_today, d_today, d_year, d_today, d_today, d_year, d_year, d_today]
    return sql, params


def _figures_from_tables(ctx: Context, numbers: list[str], today: dt.date, year_start: dt.date) -> tuple[str, list]:
    """``person_figures``' FROM clause over the tables: the follow-up today (fu), the derived status (ds)
    and the terminations (te), each a derived table joined on the person."""
    p = ctx.params
    covering = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    # Some municipalities: every table only for the persons with a period in one of them.
    candidates = None
    if len(numbers) < 300:
        candidates = queries.known(m.FollowUp, p).filter(covering, municipality__in=numbers).values("person_id")

    def rows(model, **filters):
        qs = queries.known(model, p).filter(**filters)
        return qs if candidates is None else qs.filter(person_id__in=candidates)

    fu = rows(m.FollowUp).filter(covering)
    fu_sql, fu_params = _sql(
        fu.annotate(
            rn=Window(RowNumber(), partition_by=[F("person_id")], order_by=[F("valid_from").desc(), F("id").desc()])
        )
        .order_by()
        .values("person_id", "municipality", "district", "rn")
    )
    ds_sql, ds_params = _sql(
        rows(m.DerivedStatus)
        .order_by()
        .values(
            "person_id",
            "law",
            "intro_category",
            "intro_start_date",
            "intro_deadline",
            "intro_closed_date",
            "norwegian_deadline",
            *(f"deviation_{d}" for d in m.DEVIATIONS),
        )
    )

    def flag(cond: Q):
        return Max(Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField()))

    te_sql, te_params = _sql(
        rows(m.Termination, scheme__in=(INTRO, NORWEGIAN))
        .order_by()
        .values("person_id")
        .annotate(
            ended=flag(Q(scheme=INTRO, termination_date__lte=today)),
            norwegian_ended=flag(Q(scheme=NORWEGIAN, termination_date__lte=today)),
            completed=flag(
                Q(
                    scheme=INTRO,
                    termination_type="completed",
                    termination_date__gte=year_start,
                    termination_date__lte=today,
                )
            ),
        )
    )
    sql = (
        f"(SELECT * FROM ({fu_sql}) ranked WHERE rn = 1) fu "
        f"JOIN ({ds_sql}) ds ON ds.person_id = fu.person_id "
        f"LEFT JOIN ({te_sql}) te ON te.person_id = fu.person_id"
    )
    return sql, [*fu_params, *ds_params, *te_params]


def settled_figures(ctx: Context, numbers: list[str], *, by_district: bool = False) -> dict[tuple[str, str], int]:
    """Settlements this year (1.1.–today) per settlement municipality [and district], of persons in
    scope — one GROUP BY statement."""

    if not numbers or ctx.sees_nobody:
        return {}
    qs = queries.known(m.Settlement, ctx.params).filter(
        municipality__in=numbers, settlement_date__gte=dt.date(ctx.today.year, 1, 1), settlement_date__lte=ctx.today
    )
    if ctx.scope is not None:
        qs = in_scope(
            qs.annotate(
                **{k: v for k, v in queries.person_columns(ctx.params).items() if k in (FU_MUNICIPALITY, FU_DISTRICT)}
            ),
            ctx,
        )
    keys = ["municipality", *(["district"] if by_district else [])]
    return {
        (r["municipality"], r.get("district") or ""): r["n"]
        for r in qs.order_by().values(*keys).annotate(n=Count("pk"))
    }
