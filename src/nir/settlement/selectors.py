"""Reads of settlement cases, proposals, agreements and capacity — scoped by ``nir.access.settlement``.

Every read of a case goes through ``visible_cases`` (which cases a principal may see at all: IMDi's
caseworkers and staff every case, a reception centre/UDI/Bufetat those it registered, a
municipality those proposed to it) and ``case_view`` (what of one case: the one place that removes
special needs and mapping unless ``case_access`` allows them). Pages and the API audit what they
show (``audit_cases``).

    free_capacity(municipality, kind, on_date) -> int
    free_capacity_by_municipality(kind, on_date, municipalities=None) -> dict[str, int]
    case_list(principal, filters, limit=...) -> CasePage
    case_detail(principal, number) -> CaseView dict (or None: not found for this principal)
    work_list(principal, limit=...) -> WorkList
    municipality_proposals(principal, municipality) / municipality_agreements(principal, municipality)

Status of a case, derived from its rows (``case_status``): ``withdrawn`` (no current details),
``settled`` (a ``CaseSettlement``), ``agreed`` (a current ``Agreement``), ``proposed`` (a proposal
without an answer whose deadline has not passed), else ``ready``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from nir.access import audit
from nir.access.policy import Permission, allows
from nir.access.settlement import (
    Area,
    CaseView,
    acts_for_municipality,
    assign_area,
    case_access,
    case_scope,
    own_municipality,
)
from nir.access.settlement import is_imdi as _is_imdi
from nir.settlement import capacity
from nir.settlement.models import (
    Agreement,
    AnswerKind,
    CapacityKind,
    CapacityLine,
    CaseDetails,
    CaseMember,
    CaseSettlement,
    Mapping,
    Proposal,
    ProposalAnswer,
    SettlementCase,
    SpecialNeedKind,
    SpecialNeedLevel,
)


class Status(enum.StrEnum):
    READY = "ready"
    PROPOSED = "proposed"
    AGREED = "agreed"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {
    Status.READY: "Bosettingsklar",
    Status.PROPOSED: "Foreslått",
    Status.AGREED: "Avtale om bosetting",
    Status.SETTLED: "Bosatt",
    Status.WITHDRAWN: "Trukket",
}

# The municipal service that meets a kind of special need (capacity lines say which they can meet).
NEED_SERVICE = {
    SpecialNeedKind.MOBILITY: "accessible_housing",
    SpecialNeedKind.MENTAL: "mental_health_services",
    SpecialNeedKind.OTHER: "specialist_health_services",
}


# --- capacity --------------------------------------------------------------------------------------


def household_kind(members: Iterable[Any]) -> str:
    """The kind of capacity a household uses: EM if any unaccompanied minor, families if more than
    one person, else single adults (``members``: rows or dicts with ``unaccompanied_minor``)."""
    members = list(members)

    def um(m: Any) -> bool:
        return bool(m["unaccompanied_minor"] if isinstance(m, dict) else m.unaccompanied_minor)

    if any(um(m) for m in members):
        return CapacityKind.UM
    return CapacityKind.FAMILIES if len(members) > 1 else CapacityKind.SINGLE_ADULTS


@dataclass(frozen=True)
class Capacity:
    """A municipality's capacity of one kind on a date: places of the lines covering it, the persons of
    the current agreements in the lines' period, what is free, and what the lines can meet."""

    municipality: str
    kind: str
    places: int
    used: int
    free: int  # places left in the open lines
    closed: bool  # every line closed
    largest_household: int | None
    services: frozenset[str]

    def meets(self, need_kinds: Iterable[str]) -> bool:
        return all(NEED_SERVICE.get(k) in self.services for k in need_kinds if k in NEED_SERVICE)


def capacities(
    on_date: dt.date, municipalities: Iterable[str] | None = None, kinds: Iterable[str] | None = None
) -> dict[tuple[str, str], Capacity]:
    """``(municipality, kind)`` → capacity on ``on_date``, for every municipality with a current capacity
    line of the kind covering the day: its lines' places, their use by agreements and what is left, as
    the municipality's own capacity pages count them (``nir.settlement.capacity.with_use``: the persons
    of the current agreements of the kind planned in each line's period; a closed line leaves nothing).
    One query whatever the number of municipalities and kinds."""
    qs = CapacityLine.objects.current().filter(period_from__lte=on_date, period_to__gte=on_date)
    if municipalities is not None:
        qs = qs.filter(municipality__in=list(municipalities))
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    by: dict[tuple[str, str], list[capacity.LineUse]] = {}
    for row in capacity.with_use(qs):
        by.setdefault((row.municipality, row.kind), []).append(capacity.LineUse(row, row.used))
    out = {}
    for (muni, kind), uses in by.items():
        largest = [u.line.largest_household for u in uses if u.line.largest_household]
        out[(muni, kind)] = Capacity(
            municipality=muni,
            kind=kind,
            places=sum(u.line.places for u in uses),
            used=sum(u.used for u in uses),
            free=sum(u.remaining for u in uses),
            closed=all(u.line.closed for u in uses),
            largest_household=max(largest) if largest else None,
            services=frozenset(s for s in NEED_SERVICE.values() if any(getattr(u.line, s) for u in uses)),
        )
    return out


def capacity_by_municipality(
    kind: str, on_date: dt.date, municipalities: Iterable[str] | None = None
) -> dict[str, Capacity]:
    """Every municipality with a current capacity line of ``kind`` covering ``on_date`` (``capacities``)."""
    return {m: c for (m, _k), c in capacities(on_date, municipalities, [kind]).items()}


def free_capacity_by_municipality(
    kind: str, on_date: dt.date, municipalities: Iterable[str] | None = None
) -> dict[str, int]:
    """Free places of ``kind`` on ``on_date`` per municipality with capacity reported (0: full/closed)."""
    return {k: c.free for k, c in capacity_by_municipality(kind, on_date, municipalities).items()}


def free_capacity(municipality: str, kind: str, on_date: dt.date) -> int:
    """Free places of ``kind`` in ``municipality`` on ``on_date``: what its current capacity lines
    covering the date have left (``capacities``; a closed line has nothing left)."""
    return free_capacity_by_municipality(kind, on_date, [municipality]).get(municipality, 0)


# --- status ----------------------------------------------------------------------------------------


def _open_proposals(today: dt.date) -> QuerySet[Proposal]:
    return Proposal.objects.filter(answer__isnull=True, deadline__gte=today)


def annotate_status(qs: QuerySet[CaseDetails], today: dt.date) -> QuerySet[CaseDetails]:
    """Current ``CaseDetails`` rows annotated with their case's state: one query, each part an
    index lookup by case (``agr_case_cur``, ``prop_case``, the settlement's unique case)."""
    agreement = Agreement.objects.current().filter(case_id=OuterRef("case_id"))
    proposal = _open_proposals(today).filter(case_id=OuterRef("case_id")).order_by("-recorded_at")
    members = (
        CaseMember.objects.current()
        .filter(case_id=OuterRef("case_id"))
        .order_by()
        .values("case_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        settled_in=Subquery(CaseSettlement.objects.filter(case_id=OuterRef("case_id")).values("municipality")[:1]),
        settled_on=Subquery(CaseSettlement.objects.filter(case_id=OuterRef("case_id")).values("settlement_date")[:1]),
        agreed_with=Subquery(agreement.values("municipality")[:1]),
        planned_date=Subquery(agreement.values("planned_date")[:1]),
        proposed_to=Subquery(proposal.values("municipality")[:1]),
        proposal_deadline=Subquery(proposal.values("deadline")[:1]),
        persons=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)),
        um=Exists(CaseMember.objects.current().filter(case_id=OuterRef("case_id"), unaccompanied_minor=True)),
        companion=Exists(
            CaseMember.objects.current().filter(case_id=OuterRef("case_id"), unaccompanied_minor=True, companion=True)
        ),
    )


def status_of(row: Any) -> Status:
    """The status of an annotated ``CaseDetails`` row (``annotate_status``)."""
    if row.settled_in:
        return Status.SETTLED
    if row.agreed_with:
        return Status.AGREED
    if row.proposed_to:
        return Status.PROPOSED
    return Status.READY


def case_status(case: SettlementCase, today: dt.date | None = None) -> Status:
    """The status of one case, derived from its rows."""
    today = today or timezone.localdate()
    details = annotate_status(CaseDetails.objects.current().filter(case=case), today).first()
    if details is None:
        return Status.SETTLED if CaseSettlement.objects.filter(case=case).exists() else Status.WITHDRAWN
    return status_of(details)


# --- which cases a principal may see ---------------------------------------------------------------


def visible_cases(principal, qs: QuerySet[CaseDetails]) -> QuerySet[CaseDetails]:
    """``qs`` (case details) narrowed to the cases ``principal`` may see at all (``case_scope``): IMDi
    every case, a reception centre/UDI/Bufetat its own, a municipality those proposed to it (which
    includes the ones agreed with or settled in it)."""
    kind, value = case_scope(principal)
    if kind == "all":
        return qs
    if kind == "organisation":
        return qs.filter(case__organisation_id=value)
    if kind == "municipality":
        return qs.filter(Exists(Proposal.objects.filter(case_id=OuterRef("case_id"), municipality=value)))
    return qs.none()


# --- one case as a principal may see it (the ONE place that removes what it may not) --------------


SUMMARY_DETAIL_FIELDS = (
    "location",
    "location_name",
    "location_municipality",
    "permit_date",
    "ready_date",
    "connection_municipality",
    "connection_kind",
    "wishes",
)
SENSITIVE_DETAIL_FIELDS = ("special_need_level", "special_need_kinds", "special_need_note")
MEMBER_SUMMARY_FIELDS = (
    "duf",
    "national_id",
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "role",
    "unaccompanied_minor",
    "companion",
    "citizenship",
    "permit_basis",
    "collective_protection",
    "resettlement_refugee",
)


def _member_dict(m: CaseMember) -> dict[str, Any]:
    return {"key": str(m.key), **{f: getattr(m, f) for f in MEMBER_SUMMARY_FIELDS}}


def _mapping_dict(m: Mapping, view: CaseView) -> dict[str, Any]:
    out = {
        "id": m.pk,
        "member_key": str(m.member_key),
        "kind": m.kind,
        "assessed_on": m.assessed_on,
        "assessed_by": m.assessed_by,
        "content": m.content,
        "assessed_special_needs": m.assessed_special_needs,
        "recorded_at": m.recorded_at,
        "registered_by": m.registered_by_label,
    }
    if view >= CaseView.SENSITIVE:
        out["health_note"] = m.health_note
    return out


def case_dict(
    view: CaseView,
    *,
    case: SettlementCase,
    details: Any,
    members: list[CaseMember],
    status: Status,
    mappings: list[Mapping] | None = None,
    proposals: list[Proposal] | None = None,
    agreement: Agreement | None = None,
    settlement: CaseSettlement | None = None,
    history: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One case as ``view`` allows: the summary always; special needs only from ``SENSITIVE``; the
    mapping only from ``MAPPING`` (``None`` below it: not shown, not an empty list)."""
    if view == CaseView.NONE:
        raise ValueError("case_dict of a case the principal may not see")
    persons = len(members)
    out: dict[str, Any] = {
        "number": case.number,
        "status": str(status),
        "status_label": STATUS_LABELS[status],
        "registered_at": case.recorded_at,
        "registered_by": case.registered_by_label,
        "organisation": case.organisation.name if case.organisation_id and case.organisation else "",
        "persons": persons,
        "adults": sum(1 for m in members if m.role == "adult"),
        "children": sum(1 for m in members if m.role == "child"),
        "unaccompanied_minor": any(m.unaccompanied_minor for m in members),
        "companion": any(m.companion for m in members),
        "capacity_kind": household_kind(members),
        "members": [_member_dict(m) for m in members],
        "view": view.name.lower(),
    }
    if details is not None:
        out.update({f: getattr(details, f) for f in SUMMARY_DETAIL_FIELDS})
        out["waiting_days"] = (
            (settlement.settlement_date if settlement else timezone.localdate()) - details.permit_date
        ).days
        if view >= CaseView.SENSITIVE:
            out.update({f: getattr(details, f) for f in SENSITIVE_DETAIL_FIELDS})
    if view >= CaseView.MAPPING and mappings is not None:
        out["mappings"] = [_mapping_dict(m, view) for m in mappings]
    if proposals is not None:
        out["proposals"] = [proposal_dict(p) for p in proposals]
    if agreement is not None:
        out["agreement"] = agreement_dict(agreement)
    if settlement is not None:
        out["settlement"] = {
            "municipality": settlement.municipality,
            "district": settlement.district,
            "settlement_date": settlement.settlement_date,
            "recorded_at": settlement.recorded_at,
            "persons": [{"member_key": str(s.member_key), "duf": s.person.duf} for s in settlement.members.all()],
        }
    if history is not None:
        out["history"] = history
    return out


def proposal_dict(p: Proposal) -> dict[str, Any]:
    answer = getattr(p, "answer", None) if _has_answer(p) else None
    return {
        "id": p.pk,
        "case": p.case.number,
        "municipality": p.municipality,
        "deadline": p.deadline,
        "note": p.note,
        "proposed_at": p.recorded_at,
        "proposed_by": p.registered_by_label,
        "recommendation": p.recommendation,
        "model_version": p.model_version,
        "override_reason": p.override_reason,
        "answer": answer.answer if answer else None,
        "answer_reason": answer.reason if answer else "",
        "answered_at": answer.recorded_at if answer else None,
        "expired": answer is None and p.deadline < timezone.localdate(),
    }


def _has_answer(p: Proposal) -> bool:
    try:
        p.answer  # noqa: B018
    except Proposal.answer.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return False
    return True


def agreement_dict(a: Agreement) -> dict[str, Any]:
    return {
        "id": a.pk,
        "case": a.case.number,
        "municipality": a.municipality,
        "planned_date": a.planned_date,
        "capacity_kind": a.capacity_kind,
        "persons": a.persons,
        "proposal": a.proposal_id,
        "recorded_at": a.recorded_at,
    }


def _access_for(principal, case: SettlementCase, proposed_to: set[str], agreed: str | None, settled: str | None):
    return case_access(
        principal,
        registered_by_organisation=case.organisation_id,
        proposed_to=proposed_to,
        agreed_with=agreed,
        settled_in=settled,
    )


def case_detail(principal, number: str, *, today: dt.date | None = None) -> dict[str, Any] | None:
    """Everything ``principal`` may see of case ``number`` (``None``: none of it — not found)."""
    today = today or timezone.localdate()
    case = SettlementCase.objects.select_related("organisation").filter(number=number).first()
    if case is None:
        return None
    proposals = list(Proposal.objects.filter(case=case).select_related("answer", "case").order_by("recorded_at"))
    agreement = Agreement.objects.current().filter(case=case).select_related("case").first()
    settlement = CaseSettlement.objects.filter(case=case).prefetch_related("members__person").first()
    view = _access_for(
        principal,
        case,
        {p.municipality for p in proposals},
        agreement.municipality if agreement else None,
        settlement.municipality if settlement else None,
    )
    if view == CaseView.NONE:
        return None
    municipality = own_municipality(principal)
    if municipality is not None and not _is_imdi(principal):
        # a municipality sees its own proposals, never those made to others
        proposals = [p for p in proposals if p.municipality == municipality]
        if agreement is not None and agreement.municipality != municipality:
            agreement = None
    details = CaseDetails.objects.current().filter(case=case).first()
    members = list(CaseMember.objects.current().filter(case=case).order_by("recorded_at", "pk"))
    if details is None:
        status = Status.SETTLED if settlement else Status.WITHDRAWN
    else:
        status = status_of(annotate_status(CaseDetails.objects.filter(pk=details.pk), today).get())
    mappings = (
        list(Mapping.objects.current().filter(case=case).order_by("assessed_on", "pk"))
        if view >= CaseView.MAPPING
        else None
    )
    return case_dict(
        view,
        case=case,
        details=details,
        members=members,
        status=status,
        mappings=mappings,
        proposals=proposals,
        agreement=agreement,
        settlement=settlement,
        history=_history(case, view, proposals, None if _is_imdi(principal) else municipality)
        if _is_imdi(principal) or view >= CaseView.MAPPING
        else None,
    )


def _history(
    case: SettlementCase, view: CaseView, proposals: Sequence[Proposal] = (), municipality: str | None = None
) -> list[dict[str, Any]]:
    """Every version of the case's details and members, the proposals shown and their answers, and every
    version of the agreement (only those with ``municipality`` when given: a municipality's view), with
    who/when/why (newest first)."""
    out = []
    for p in proposals:
        out.append(
            {
                "what": f"Forslag til kommune {p.municipality}, svarfrist {p.deadline:%d.%m.%Y}",
                "operation": "create",
                "recorded_at": p.recorded_at,
                "by": p.registered_by_label,
                "reason": p.note,
            }
        )
        answer = p.answer if _has_answer(p) else None
        if answer is not None:
            out.append(
                {
                    "what": f"Svar på forslag til kommune {p.municipality}: {AnswerKind(answer.answer).label}",
                    "operation": "create",
                    "recorded_at": answer.recorded_at,
                    "by": answer.registered_by_label,
                    "reason": answer.reason,
                }
            )
    agreements = Agreement.objects.filter(case=case)
    if municipality is not None:
        agreements = agreements.filter(municipality=municipality)
    for row in agreements:
        out.append(
            {
                "what": f"Avtale om bosetting med kommune {row.municipality}, planlagt {row.planned_date:%d.%m.%Y}",
                "operation": row.operation,
                "recorded_at": row.recorded_at,
                "by": row.registered_by_label,
                "reason": row.change_reason,
            }
        )
    for row in CaseDetails.objects.filter(case=case):
        out.append(
            {
                "what": "Sakens opplysninger",
                "operation": row.operation,
                "recorded_at": row.recorded_at,
                "by": row.registered_by_label,
                "reason": row.change_reason,
            }
        )
    for row in CaseMember.objects.filter(case=case):
        out.append(
            {
                "what": f"Person: {row.first_name} {row.last_name}",
                "operation": row.operation,
                "recorded_at": row.recorded_at,
                "by": row.registered_by_label,
                "reason": row.change_reason,
            }
        )
    return sorted(out, key=lambda r: r["recorded_at"], reverse=True)


@dataclass
class EditState:
    """What a page needs to offer the changes of case ``number`` (``case_edit_state``): who registered
    it, whether it is open (neither settled nor withdrawn), and the current version of its details, of
    each member (by key) and of its agreement, so a form can tell when someone changed them meanwhile."""

    organisation_id: int | None
    open: bool
    details: int | None
    members: dict[str, int]
    agreement: int | None
    agreement_municipality: str | None


def case_edit_state(number: str) -> EditState | None:
    """The state of case ``number`` for its change forms (no personal data; ``None``: no such case)."""
    case = SettlementCase.objects.filter(number=number).first()
    if case is None:
        return None
    settled = CaseSettlement.objects.filter(case=case).exists()
    details = CaseDetails.objects.current().filter(case=case).values_list("pk", flat=True).first()
    agreement = Agreement.objects.current().filter(case=case).values_list("pk", "municipality").first()
    return EditState(
        organisation_id=case.organisation_id,
        open=details is not None and not settled,
        details=details,
        members={str(k): pk for k, pk in CaseMember.objects.current().filter(case=case).values_list("key", "pk")},
        agreement=agreement[0] if agreement and not settled else None,
        agreement_municipality=agreement[1] if agreement and not settled else None,
    )


# The case and what a row shows of it (who registered it), read with the page's query: no query per case.
_CASE_RELATED = ("case", "case__organisation", "case__registered_by_user", "case__registered_by_client")


# --- the case list ---------------------------------------------------------------------------------


@dataclass
class CaseFilters:
    status: str = ""  # ready / proposed / agreed / settled / withdrawn ("" = all but withdrawn)
    ready_from: dt.date | None = None
    ready_to: dt.date | None = None
    location: str = ""
    special_needs: bool | None = None  # only with SENSITIVE access
    um: bool | None = None
    county: str = ""  # where the household is (its location's county) or its connection
    connection_municipality: str = ""
    min_waiting_days: int | None = None


@dataclass
class CasePage:
    rows: list[dict[str, Any]]
    total: int
    shown: int = 0
    numbers: list[str] = field(default_factory=list)


def _filtered(principal, f: CaseFilters, today: dt.date) -> QuerySet[CaseDetails]:
    if f.status == Status.WITHDRAWN:
        # the last version of a withdrawn case's details is its annulment
        qs = CaseDetails.objects.filter(operation="annul", superseded_at__isnull=True)
    else:
        qs = CaseDetails.objects.current()
    qs = visible_cases(principal, qs)
    if f.ready_from:
        qs = qs.filter(ready_date__gte=f.ready_from)
    if f.ready_to:
        qs = qs.filter(ready_date__lte=f.ready_to)
    if f.location:
        qs = qs.filter(location=f.location)
    if f.connection_municipality:
        qs = qs.filter(connection_municipality=f.connection_municipality)
    if f.county:
        qs = qs.filter(Q(location_municipality__startswith=f.county) | Q(connection_municipality__startswith=f.county))
    if f.min_waiting_days is not None:
        qs = qs.filter(permit_date__lte=today - dt.timedelta(days=f.min_waiting_days))
    if f.special_needs is not None and (principal is not None and allows(principal, Permission.SETTLEMENT_SENSITIVE)):
        none = Q(special_need_level=SpecialNeedLevel.NONE)
        qs = qs.exclude(none) if f.special_needs else qs.filter(none)
    qs = _with_status(qs, f.status, today)
    qs = annotate_status(qs, today)
    if f.um is not None:
        qs = qs.filter(um=f.um)
    return qs


def _with_status(qs: QuerySet[CaseDetails], status: str, today: dt.date) -> QuerySet[CaseDetails]:
    """``qs`` narrowed to the cases of ``status`` (``status_of``'s order: settled, agreed, proposed,
    ready), each part an ``[NOT] EXISTS`` of the case's rows, not a test of ``annotate_status``'s
    subqueries: PostgreSQL runs ``NOT EXISTS`` as one hash anti-join per table over all the cases,
    where ``(SELECT …) IS NULL`` is a subquery per case it cannot estimate (the national work list
    counted and paged its 2,064 ready cases of 15,000 by ~20,000 index probes, twice)."""
    if status not in (Status.SETTLED, Status.AGREED, Status.PROPOSED, Status.READY):
        return qs
    settled = Exists(CaseSettlement.objects.filter(case_id=OuterRef("case_id")))
    if status == Status.SETTLED:
        return qs.filter(settled)
    agreed = Exists(Agreement.objects.current().filter(case_id=OuterRef("case_id")))
    if status == Status.AGREED:
        return qs.filter(~settled, agreed)
    proposed = Exists(
        Proposal.objects.filter(case_id=OuterRef("case_id"), deadline__gte=today).exclude(
            Exists(ProposalAnswer.objects.filter(proposal_id=OuterRef("pk")))
        )
    )
    if status == Status.PROPOSED:
        return qs.filter(~settled, ~agreed, proposed)
    return qs.filter(~settled, ~agreed, ~proposed)


def _rows(principal, details: list[Any], today: dt.date) -> list[dict[str, Any]]:
    """The page's cases as ``principal`` may see each (members, and proposals for a municipality's
    view, in one query each: no query per case)."""
    ids = [d.case_id for d in details]
    members: dict[int, list[CaseMember]] = {}
    for m in CaseMember.objects.current().filter(case_id__in=ids).order_by("recorded_at", "pk"):
        members.setdefault(m.case_id, []).append(m)
    proposed: dict[int, set[str]] = {}
    municipality = own_municipality(principal)
    if municipality is not None:
        for case_id, muni in Proposal.objects.filter(case_id__in=ids, municipality=municipality).values_list(
            "case_id", "municipality"
        ):
            proposed.setdefault(case_id, set()).add(muni)
    out = []
    for d in details:
        case = d.case
        status = Status.WITHDRAWN if d.operation == "annul" else status_of(d)
        view = _access_for(principal, case, proposed.get(case.pk, set()), d.agreed_with, d.settled_in)
        if view == CaseView.NONE:
            continue
        row = case_dict(view, case=case, details=d, members=members.get(case.pk, []), status=status)
        row.update(
            {
                "proposed_to": d.proposed_to if _is_imdi(principal) or d.proposed_to == municipality else None,
                "proposal_deadline": d.proposal_deadline,
                "agreed_with": d.agreed_with,
                "planned_date": d.planned_date,
                "settled_in": d.settled_in,
                "settled_on": d.settled_on,
            }
        )
        out.append(row)
    return out


def _page(qs: QuerySet[CaseDetails], today: dt.date, *, limit: int, offset: int = 0) -> list[Any]:
    """One page of ``qs`` (oldest ready first) with each row's case and who registered it. Two queries:
    the page's ids from the filtered rows alone (no join: PostgreSQL cannot estimate the status
    filters and would join 15,000 cases in a nested loop), then those rows with their case."""
    ids = list(qs.order_by("ready_date", "case_id").values_list("pk", flat=True)[offset : offset + limit])
    if not ids:
        return []
    rows = annotate_status(CaseDetails.objects.filter(pk__in=ids), today).select_related(*_CASE_RELATED)
    return sorted(rows, key=lambda d: (d.ready_date, d.case_id))


def case_list(principal, f: CaseFilters | None = None, *, limit: int = 200, offset: int = 0) -> CasePage:
    """The cases ``principal`` may see, filtered, oldest ready first (``limit`` rows from ``offset``)."""
    today = timezone.localdate()
    qs = _filtered(principal, f or CaseFilters(), today)
    total = qs.count()
    page = _page(qs, today, limit=limit, offset=offset)
    rows = _rows(principal, page, today)
    return CasePage(rows=rows, total=total, shown=len(rows), numbers=[r["number"] for r in rows])


# --- the assignment work list ----------------------------------------------------------------------


@dataclass
class WorkList:
    cases: list[dict[str, Any]]
    total: int
    # municipality -> capacity kind -> free places, for the municipalities the caseworker may propose to
    capacity: dict[str, dict[str, int]]
    area: Area | None


def work_list(principal, *, limit: int = 100, all_regions: bool = False, today: dt.date | None = None) -> WorkList:
    """Ready cases for the caseworker's region, oldest ready first, with the free capacity of each kind
    per municipality of the region. A case belongs to a region through where the household is (its
    location municipality) or its connection municipality; households abroad (no location municipality)
    are in every region's list. ``all_regions``: the national list.

    Queries: the count, the page (one query with the status subqueries, by ``cdet_ready_cur``), the
    page's members, and one for the capacity of every kind — constant in the number of cases."""
    today = today or timezone.localdate()
    area = assign_area(principal)
    f = CaseFilters(status=Status.READY)
    qs = _filtered(principal, f, today)
    if area is not None and not all_regions:
        if area.empty:
            qs = qs.none()
        else:
            region = Q(location_municipality="")
            for c in area.counties:
                region |= Q(location_municipality__startswith=c) | Q(connection_municipality__startswith=c)
            if area.municipalities:
                region |= Q(location_municipality__in=area.municipalities)
                region |= Q(connection_municipality__in=area.municipalities)
            qs = qs.filter(region)
    total = qs.count()
    page = _page(qs, today, limit=limit)
    rows = _rows(principal, page, today)
    capacity: dict[str, dict[str, int]] = {}
    for (muni, kind), cap in capacities(today).items():
        if area is None or muni in area:
            capacity.setdefault(muni, {k: 0 for k in CapacityKind.values})[kind] = cap.free
    return WorkList(cases=rows, total=total, capacity=dict(sorted(capacity.items())), area=area)


def municipalities_for(case_row: dict[str, Any], wl: WorkList) -> list[tuple[str, int]]:
    """The municipalities of the work list with free capacity of the case's kind for its household."""
    kind, persons = case_row["capacity_kind"], case_row["persons"]
    return [(k, free[kind]) for k, free in wl.capacity.items() if free.get(kind, 0) >= persons]


# --- a municipality's proposals and agreements -----------------------------------------------------


def may_see_proposals(principal, municipality: str) -> bool:
    """The proposals and agreements of ``municipality``: the municipality itself and IMDi."""
    return acts_for_municipality(principal, municipality) or case_scope(principal)[0] == "all"


def municipality_proposals(principal, municipality: str, *, open_only: bool = False) -> list[dict[str, Any]]:
    """The proposals made to ``municipality`` (newest first), each with its case as the municipality may
    see it (special needs: it must judge whether it can meet them). Empty for a principal who does not
    act for the municipality and is not IMDi."""
    if not may_see_proposals(principal, municipality):
        return []
    today = timezone.localdate()
    qs = Proposal.objects.filter(municipality=municipality).select_related("answer", "case", "case__organisation")
    if open_only:
        qs = qs.filter(answer__isnull=True, deadline__gte=today)
    proposals = list(qs.order_by("-recorded_at")[:500])
    details = {
        d.case_id: d
        for d in annotate_status(
            CaseDetails.objects.current().filter(case_id__in=[p.case_id for p in proposals]), today
        ).select_related(*_CASE_RELATED)
    }
    rows = _rows(principal, list(details.values()), today)
    by_number = {r["number"]: r for r in rows}
    out = []
    for p in proposals:
        row = proposal_dict(p)
        row["case_row"] = by_number.get(p.case.number)
        out.append(row)
    return out


def municipality_agreements(principal, municipality: str) -> list[dict[str, Any]]:
    """The current agreements with ``municipality`` (planned date first), settled or not, each with its
    case (the mapping too: after agreement the municipality may read it)."""
    if not may_see_proposals(principal, municipality):
        return []
    agreements = list(
        Agreement.objects.current()
        .filter(municipality=municipality)
        .select_related(*_CASE_RELATED)
        .order_by("planned_date", "pk")[:1000]
    )
    today = timezone.localdate()
    details = {
        d.case_id: d
        for d in annotate_status(
            CaseDetails.objects.current().filter(case_id__in=[a.case_id for a in agreements]), today
        ).select_related(*_CASE_RELATED)
    }
    settled = {s.case_id: s for s in CaseSettlement.objects.filter(case_id__in=[a.case_id for a in agreements])}
    rows = {r["number"]: r for r in _rows(principal, list(details.values()), today)}
    out = []
    for a in agreements:
        row = agreement_dict(a)
        row["case_row"] = rows.get(a.case.number)
        s = settled.get(a.case_id)
        row["settled_on"] = s.settlement_date if s else None
        out.append(row)
    return out


# --- audit -----------------------------------------------------------------------------------------


def audit_cases(request, principal, *, channel: str, what: str, numbers: list[str], filters: dict | None = None):
    """One read event naming the case numbers shown (settlement cases are not register persons)."""
    audit.record(
        request=request,
        actor_user=principal,
        action="read",
        channel=channel,
        what=what,
        filters={**(filters or {}), "cases": numbers[:500], "count": len(numbers)},
    )


__all__ = [
    "STATUS_LABELS",
    "Capacity",
    "CaseFilters",
    "CasePage",
    "Status",
    "WorkList",
    "agreement_dict",
    "annotate_status",
    "audit_cases",
    "capacities",
    "capacity_by_municipality",
    "case_detail",
    "case_dict",
    "case_list",
    "case_status",
    "free_capacity",
    "free_capacity_by_municipality",
    "household_kind",
    "may_see_proposals",
    "municipalities_for",
    "municipality_agreements",
    "municipality_proposals",
    "proposal_dict",
    "status_of",
    "visible_cases",
    "work_list",
]
