"""The reports' database queries: one queryset per report, computed in the database.

Every register table is read as known at ``params.known_at`` (``current()``
when ``None``) — the derived status included — so a report can be reproduced
as the register knew it at any time. Names, the follow-up municipality on
``as_of`` and the Regelmotor's derived values are correlated subqueries on the
person; nothing of the register is loaded into Python except the rows of the
report itself.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from nir.register import models as m

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
    details = _of_person(m.PersonDetails, params).order_by("-recorded_at", "-id")
    # The follow-up period covering as_of; the latest starting one wins (as nir.register.history.follow_up_on).
    follow_up = (
        _of_person(m.FollowUp, params)
        .filter(valid_from__lte=params.as_of)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=params.as_of))
        .order_by("-valid_from", "-id")
    )
    return {
        "duf": F("person__duf"),
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
    """regelmotor.md § 6: persons with a participation decision and a final-goal deviation."""
    participation = _of_person(m.Decision, params).filter(scheme=INTRO, decision_type=PARTICIPATION)
    if params.avvik:
        deviation = Q(**{f"deviation_{params.avvik}": True})
    else:
        deviation = Q()
        for name in m.DEVIATIONS:
            deviation |= Q(**{f"deviation_{name}": True})
    return derived_status(params).filter(deviation).filter(Exists(participation))


def bortfall_arbeid(params) -> QuerySet:
    """Persons whose introduction programme the Regelmotor closed on a valid loss-due-to-work decision.

    "Valid" is the Regelmotor's judgement (``intro_closed_date``): not contradicted by a rule
    and no participation decision after it; the decision date is on or before ``as_of``.
    """
    decision = _of_person(m.Decision, params).filter(
        scheme=INTRO, decision_type=LOSS_DUE_TO_WORK, decision_date=OuterRef("intro_closed_date"),
    ).order_by("-id")
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


def common_filters(qs: QuerySet, params, scope) -> QuerySet:
    """The filters every report has (reports.md), and the user's scope (``nir.access.scope``)."""
    qs = qs.filter(law=params.law)
    if params.category:
        qs = qs.filter(category=params.category)
    if params.duf:
        qs = qs.filter(person__duf=params.duf)
    if params.name:
        qs = qs.filter(Q(first_name__icontains=params.name) | Q(last_name__icontains=params.name))
    if params.municipality:
        if len(params.municipality) == 6:
            qs = qs.filter(**{FU_DISTRICT: params.municipality})
        else:
            qs = qs.filter(**{FU_MUNICIPALITY: params.municipality})
    if scope is not None:
        qs = qs.filter(scope.q(FU_MUNICIPALITY, FU_DISTRICT))
    return qs
