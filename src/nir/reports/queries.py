"""The reports' database queries: one queryset per report, computed in the database.

Every register table is read as known at ``params.known_at`` (``current()``
when ``None``) — the derived status included — so a report can be reproduced
as the register knew it at any time. Names, the follow-up municipality on
``as_of`` and the Regelmotor's derived values are correlated subqueries on the
person; nothing of the register is loaded into Python except the rows of the
report itself.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

from nir.access.scope import persons_followed_up
from nir.register import models as m
from nir.register.history import followed_up
from nir.rules import parameters

INTRO = "intro"
PARTICIPATION = "participation"
LOSS_DUE_TO_WORK = "loss_due_to_work"
# Annotation names of the follow-up municipality and district on as_of.
FU_MUNICIPALITY = "fu_municipality"
FU_DISTRICT = "fu_district"


def known(model, params) -> QuerySet:
    """``model``'s rows as the register knew them at ``params.known_at`` (now when ``None``)."""
    return model.objects.as_known(params.known_at)


def _of_person(model, params) -> QuerySet:
    return known(model, params).filter(person_id=OuterRef("person_id"))


def person_columns(params) -> dict:
    """Annotations every report row carries: DUF, names and the follow-up municipality/district on ``as_of``."""
    # A person has exactly one PersonDetails row at any registration time (a correction supersedes
    # it), so no ordering: each name is one index probe.
    details = _of_person(m.PersonDetails, params)
    # The follow-up period covering as_of; the latest starting one wins (as nir.register.history.follow_up_on).
    follow_up = (
        _of_person(m.FollowUp, params)
        .filter(valid_from__lte=params.as_of)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=params.as_of))
        .order_by("-valid_from", "-id")
    )
    return {
        # a subquery, not a join: the database then reads the person table only for the rows shown
        "duf": Subquery(m.Person.objects.filter(pk=OuterRef("person_id")).values("duf")[:1]),
        "first_name": Subquery(details.values("first_name")[:1]),
        "last_name": Subquery(details.values("last_name")[:1]),
        # aliased: Termination has a field of its own named follow_up_municipality (the one at termination)
        FU_MUNICIPALITY: Subquery(follow_up.values("municipality")[:1]),
        FU_DISTRICT: Subquery(follow_up.values("district")[:1]),
    }


def derived_status(params) -> QuerySet:
    """The Regelmotor's derived status per person (one current row per person), with the person columns."""
    return known(m.DerivedStatus, params).annotate(category=F("intro_category"), **person_columns(params))


def avvik_sluttmaal(params) -> QuerySet:
    """regelmotor.md § 6: persons with a participation decision and a final-goal deviation.

    The Regelmotor derives a deviation only for a person with a participation decision (every
    deviation is about the programme that decision started), and the derived status is written in
    the same transaction as the facts, at every registration time; so the deviation flags alone
    select the report's persons (``derived_deviation_cur`` indexes them) — no second look at the
    decisions, which would make the database read every participation decision in the country.
    """
    if params.avvik:
        deviation = Q(**{f"deviation_{params.avvik}": True})
    else:
        deviation = Q()
        for name in m.DEVIATIONS:
            deviation |= Q(**{f"deviation_{name}": True})
    return derived_status(params).filter(deviation)


def bortfall_arbeid(params) -> QuerySet:
    """Persons whose introduction programme the Regelmotor closed on a valid loss-due-to-work decision.

    "Valid" is the Regelmotor's judgement (``intro_closed_date``): not contradicted by a rule
    and no participation decision after it; the decision date is on or before ``as_of``.
    """
    decision = (
        _of_person(m.Decision, params)
        .filter(
            scheme=INTRO,
            decision_type=LOSS_DUE_TO_WORK,
            decision_date=OuterRef("intro_closed_date"),
        )
        .order_by("-id")
    )
    return (
        derived_status(params)
        .filter(intro_closed_date__isnull=False, intro_closed_date__lte=params.as_of)
        .annotate(decision_date=Subquery(decision.values("decision_date")[:1]))
        .filter(decision_date__isnull=False)
    )


def avsluttet_intro(params) -> QuerySet:
    """One row per termination (avslutning) of the introduction programme in the period."""
    status = _of_person(m.DerivedStatus, params)
    qs = known(m.Termination, params).filter(scheme=INTRO)
    if params.date_from:
        qs = qs.filter(termination_date__gte=params.date_from)
    if params.date_to:
        qs = qs.filter(termination_date__lte=params.date_to)
    if params.termination_type:
        qs = qs.filter(termination_type=params.termination_type)
    if params.reason:
        qs = qs.filter(termination_reason=params.reason)
    return qs.annotate(
        law=Subquery(status.values("law")[:1]),
        category=Subquery(status.values("intro_category")[:1]),
        **person_columns(params),
    )


# --- person lists (NIR Personlister) ---------------------------------------------------

NORWEGIAN = "norwegian"


def start_within(on: dt.date) -> relativedelta:
    """The programme shall start within this period of settlement (parameter ``intro.start_within.months``,
    il. § 12): a person with the right and no participation decision after that is missing one."""
    return relativedelta(months=int(parameters.default().get("intro.start_within.months", on).value))


def right_window(on: dt.date) -> relativedelta:
    """The period after settlement in which a participation decision can be made (parameter
    ``intro.decision_window.years``, il. § 8 første ledd tredje punktum): a person settled earlier has no
    right left to use."""
    return relativedelta(years=int(parameters.default().get("intro.decision_window.years", on).value))


# The derived values the person list reads from each person's DerivedStatus.
PERSONLISTE_DERIVED = (
    "intro_category",
    "norwegian_category",
    "intro_start_date",
    "intro_deadline",
    "intro_closed_date",
    "norwegian_start_date",
    "norwegian_deadline",
    "deviation_final_goal_missing",
)


def person_list_base(params) -> QuerySet:
    """One row per person with a derived status under ``params.law``: the person's names
    (``PersonDetails``) with the derived values of ``PERSONLISTE_DERIVED`` and the person columns.

    The rows start from the names, not from the derived status as the other reports do, so that
    the list sorted by name (its default) can be read in the order of the name index
    (``pdet_name_sort_cover``, ``lower(last_name), lower(first_name)``) and a page ends after its
    rows; the other values are looked up per person.
    """
    status = _of_person(m.DerivedStatus, params)
    cols = person_columns(params)
    return (
        known(m.PersonDetails, params)
        .filter(Exists(status.filter(law=params.law)))
        .annotate(**{f: Subquery(status.values(f)[:1]) for f in PERSONLISTE_DERIVED})
        .annotate(category=F("intro_category"), duf=cols["duf"], **{k: cols[k] for k in (FU_MUNICIPALITY, FU_DISTRICT)})
    )


def personliste(params) -> QuerySet:
    """Persons followed up by a municipality on ``as_of``, with status and deadline per scheme.

    ``scheme`` decides which scheme's category, status, deadline and missing registrations the
    filters look at; the rows show both schemes.
    """
    on = params.as_of
    norwegian = params.scheme == NORWEGIAN
    scheme = NORWEGIAN if norwegian else INTRO
    start, deadline = (
        ("norwegian_start_date", "norwegian_deadline") if norwegian else ("intro_start_date", "intro_deadline")
    )
    # A termination on or before as_of: its id, a per-person lookup (an EXISTS here would let the database
    # hash every termination in the register to answer a page of 50 rows).
    terminated = Subquery(
        _of_person(m.Termination, params).filter(scheme=scheme, termination_date__lte=on).values("pk")[:1]
    )
    # (intro_closed_date is looked up per person: its NULL is tested, so that NOT ended holds without a closure)
    ended = (
        Q(terminated__isnull=False)
        if norwegian
        else (Q(terminated__isnull=False) | Q(intro_closed_date__isnull=False, intro_closed_date__lte=on))
    )
    not_ended = ~ended
    covering = Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    qs = (
        person_list_base(params)
        .filter(Exists(_of_person(m.FollowUp, params).filter(covering)))
        .annotate(
            terminated=terminated,
            status=Case(
                When(ended, then=Value("ended")),
                When(
                    Q(**{f"{start}__isnull": True, ("norwegian_category" if norwegian else "intro_category"): "none"}),
                    then=Value("no_right"),
                ),
                When(Q(**{f"{deadline}__lt": on}), then=Value("deadline_passed")),
                When(Q(**{f"{start}__lte": on}), then=Value("active")),
                default=Value("not_started"),
            ),
            scheme_category=F("norwegian_category" if norwegian else "intro_category"),
            scheme_deadline=F(deadline),
        )
    )
    if norwegian and params.category:
        qs = qs.filter(norwegian_category=params.category)
    if params.status:
        qs = qs.filter(status=params.status)
        if params.status == "not_started":
            qs = qs.exclude(scheme_category="none")
    if params.deadline_within is not None:
        qs = qs.filter(scheme_deadline__gte=on, scheme_deadline__lte=on + dt.timedelta(days=params.deadline_within))
    if params.missing == "final_goal":
        qs = qs.filter(deviation_final_goal_missing=True)
    elif params.missing == "termination":
        qs = qs.filter(**{f"{deadline}__lt": on}).filter(not_ended)
    elif params.missing == "participation_decision":
        decision = _of_person(m.Decision, params).filter(scheme=INTRO, decision_type=PARTICIPATION)
        settled = _of_person(m.Settlement, params).filter(settlement_date__lte=on - start_within(on))
        qs = (
            qs.filter(intro_category__in=("right_and_duty", "right"))
            .filter(not_ended)
            .filter(Exists(settled))
            .exclude(Exists(decision))
        )
    return qs


# --- secondary migration (sekundærflytting, issue 16 § 2) -------------------------------------

# Two years after settlement, as a difference of year*10000 + month*100 + day (the same on SQLite and
# PostgreSQL): 2024-02-29 + two years is 2026-02-28, as dateutil counts it.
SECONDARY_WINDOW = 20000


def _date_key(expr: str):
    return ExtractYear(expr) * 10000 + ExtractMonth(expr) * 100 + ExtractDay(expr)


def sekundaerflytting(params) -> QuerySet:
    """The report ``sekundaerflytting``: one row per move to another municipality within two years
    of the person's latest settlement by agreement before it (``nir.reports.moves``, docs/reports.md), the move date
    (``valid_from`` of the receiving period) from ``params.date_from`` to ``params.date_to``."""
    previous = (
        _of_person(m.FollowUp, params).filter(valid_from__lt=OuterRef("valid_from")).order_by("-valid_from", "-id")
    )
    settled = (
        _of_person(m.Settlement, params)
        .filter(by_agreement=True, settlement_date__lt=OuterRef("valid_from"))
        .order_by("-settlement_date", "-id")
    )
    status = _of_person(m.DerivedStatus, params)
    qs = known(m.FollowUp, params)
    if params.date_from:
        qs = qs.filter(valid_from__gte=params.date_from)
    if params.date_to:
        qs = qs.filter(valid_from__lte=params.date_to)
    return (
        qs.annotate(
            prev_municipality=Subquery(previous.values("municipality")[:1]),
            prev_to=Subquery(previous.values("valid_to")[:1]),
            settlement_date=Subquery(settled.values("settlement_date")[:1]),
            settled_key=Subquery(
                settled.annotate(k=_date_key("settlement_date")).values("k")[:1], output_field=IntegerField()
            ),
            move_key=_date_key("valid_from"),
            move_year=ExtractYear("valid_from"),
            law=Subquery(status.values("law")[:1]),
            category=Subquery(status.values("intro_category")[:1]),
            **person_columns(params),
        )
        .filter(prev_municipality__isnull=False, settlement_date__isnull=False, prev_to__isnull=False)
        .exclude(prev_municipality=F("municipality"))
        .filter(move_key__lte=F("settled_key") + SECONDARY_WINDOW)
    )


def common_filters(qs: QuerySet, params, scope) -> QuerySet:
    """The filters every report has (reports.md), and the user's scope (``nir.access.scope``):
    the persons followed up today by the scope, whatever ``as_of`` the rows describe."""
    if qs.model is not m.PersonDetails:  # the person list selects the law itself (person_list_base)
        qs = qs.filter(law=params.law)
    if params.category and getattr(params, "scheme", None) != NORWEGIAN:  # the person list filters it itself
        qs = qs.filter(category=params.category)
    if params.duf:
        qs = qs.filter(person_id__in=m.Person.objects.filter(duf=params.duf).values("pk"))
    if params.name:
        qs = qs.filter(Q(first_name__icontains=params.name) | Q(last_name__icontains=params.name))
    if params.municipality:
        field = "district" if len(params.municipality) == 6 else "municipality"
        qs = qs.filter(followed_up(known(m.FollowUp, params), params.as_of, Q(**{field: params.municipality})))
    if scope is not None:
        # Whom the user may see: the follow-up today, not on as_of (nir.access.scope).
        qs = qs.filter(persons_followed_up(scope))
    return qs
