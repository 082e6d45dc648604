"""Settlement cases, mapping, proposals, answers and settled in the API (issue 17 §§ 3–4).

    POST /settlement/cases                           register a household ready for settlement
    GET  /settlement/cases                           the cases the caller may see, filtered
    GET  /settlement/cases/{number}                  one case as the caller may see it
    POST /settlement/cases/{number}/members          add a person to the household
    POST /settlement/cases/{number}/mappings         a mapping (kartlegging) of one person
    GET  /settlement/cases/{number}/mappings         the mapping (the receiving municipality after agreement)
    GET  /settlement/cases/{number}/recommendation   IMDi's caseworker: the ranked municipalities (issue 18)
    POST /settlement/cases/{number}/proposals        IMDi proposes the case to a municipality
    GET  /settlement/proposals                       the proposals made to the caller's municipality
    POST /settlement/proposals/{id}/answer           the municipality accepts or declines
    POST /settlement/cases/{number}/settlement       the municipality confirms the household moved in
    POST /settlement/cases/{number}/corrections      correct the case's details (with a reason)
    POST /settlement/cases/{number}/members/{member_key}/corrections   correct a person (with a reason)
    POST /settlement/cases/{number}/members/{member_key}/removals      take a person out (with a reason)
    POST /settlement/cases/{number}/withdrawals      withdraw the case (with a reason)
    POST /settlement/proposals/{id}/withdrawals      IMDi withdraws a proposal not yet answered
    POST /settlement/cases/{number}/agreement/corrections    a new planned date (with a reason)
    POST /settlement/cases/{number}/agreement/cancellations  cancel the agreement (with a reason)

Who may see and do what is decided in ``nir.access.settlement`` and applied by the actions
(``nir.settlement.actions``) and the reads (``nir.settlement.selectors``): a case the caller may not
see is 404; an action its role may not do is 403; bad input 422 naming the field; a case or proposal
whose state does not allow it (already proposed, answered, settled, deadline passed) 409. Every read
of cases is audited with the case numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from nir.access.policy import AccessDenied
from nir.access.settlement import CaseView, case_scope, own_municipality
from nir.actions.acting import Acting
from nir.api.errors import ApiProblem
from nir.api.schemas import PROBLEM_STATUSES, Out, Problem
from nir.settlement import recommend_service, selectors
from nir.settlement.actions import assignment, cases
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import Proposal, SettlementCase
from nir.settlement.store import ChangedMeanwhile

router = Router(tags=["settlement"])
PROBLEMS = {(*PROBLEM_STATUSES, 409): Problem}
T = TypeVar("T")

# A refusal naming one of these is about the state of the case or proposal, not the input: 409.
STATE_FIELDS = frozenset({"case", "proposal"})


# --- schemas -----------------------------------------------------------------------------------------


class CaseMemberIn(Schema):
    first_name: str = Field(..., max_length=200)
    last_name: str = Field(..., max_length=200)
    birth_date: dt.date
    role: Literal["adult", "child"] = Field(..., description="adult (voksen) or child (barn)")
    sex: Literal["", "female", "male"] = ""
    duf: str = Field("", max_length=14, description="DUF number (UDI), when known")
    national_id: str = Field("", max_length=11, description="Fødselsnummer or D-nummer, when known")
    unaccompanied_minor: bool = Field(False, description="Enslig mindreårig (EM)")
    companion: bool = Field(False, description="EM settled with a følgeperson")
    citizenship: str = Field("", max_length=3)
    permit_basis: str = Field("", max_length=40, description="Legal basis (code list permit_basis)")
    collective_protection: bool = False
    resettlement_refugee: bool = False


class SettlementCaseIn(Schema):
    location: Literal["reception", "resettlement", "private", "bufetat", "udi_special", "medevac"]
    location_name: str = Field("", max_length=200)
    location_municipality: str = Field("", max_length=4)
    permit_date: dt.date = Field(..., description="Permit decision date (entry permit for resettlement refugees)")
    ready_date: dt.date = Field(..., description="Ready for settlement (bosettingsklar) from")
    special_need_level: Literal["none", "minor", "resource_demanding"] = "none"
    special_need_kinds: list[Literal["mobility", "mental", "other"]] = []
    special_need_note: str = Field("", max_length=4000)
    connection_municipality: str = Field("", max_length=4)
    connection_kind: Literal["", "family", "friends", "work", "study"] = ""
    wishes: str = Field("", max_length=4000)
    members: list[CaseMemberIn] = Field(..., max_length=30)


class CaseMappingIn(Schema):
    member_key: str = Field(..., max_length=40, description="The household member (members[].key)")
    kind: Literal["settlement_info", "competence", "simplified", "resettlement", "self_report"]
    assessed_on: dt.date
    assessed_by: str = Field(..., max_length=200, description="Who mapped (name and organisation)")
    content: dict[str, Any] = Field(default_factory=dict, description="Education, work experience, languages …")
    assessed_special_needs: bool = False
    health_note: str = Field("", max_length=4000)


class SettlementProposalIn(Schema):
    municipality: str = Field(..., min_length=4, max_length=4)
    deadline: dt.date | None = Field(None, description="Answer by (default: 14 days from today)")
    note: str = Field("", max_length=4000)
    override_reason: str = Field(
        "",
        max_length=4000,
        description="Why the caseworker chose another municipality than the recommendation's first (issue 18): "
        "required then. The recommendation and its model version are recorded by the server, as "
        "GET /settlement/cases/{number}/recommendation shows them",
    )


class ProposalAnswerIn(Schema):
    accept: bool
    planned_date: dt.date | None = Field(None, description="Planned settlement date (required to accept)")
    reason: str = Field("", max_length=4000, description="Why the municipality declines (required to decline)")


class CaseSettleIn(Schema):
    settlement_date: dt.date
    district: str = Field("", max_length=6)


class CaseMemberOut(Out):
    key: str
    duf: str
    national_id: str
    first_name: str
    last_name: str
    birth_date: dt.date
    sex: str
    role: str
    unaccompanied_minor: bool
    companion: bool
    citizenship: str
    permit_basis: str
    collective_protection: bool
    resettlement_refugee: bool


class CaseMappingOut(Out):
    id: int
    member_key: str
    kind: str
    assessed_on: dt.date
    assessed_by: str
    content: dict[str, Any]
    assessed_special_needs: bool
    health_note: str | None = None
    recorded_at: dt.datetime
    registered_by: str


class SettlementProposalOut(Out):
    id: int
    case: str
    municipality: str
    deadline: dt.date
    note: str
    proposed_at: dt.datetime
    proposed_by: str
    recommendation: dict[str, Any] | None = None
    model_version: str
    override_reason: str
    answer: str | None = None
    answer_reason: str
    answered_at: dt.datetime | None = None
    expired: bool


class SettlementAgreementOut(Out):
    id: int
    case: str
    municipality: str
    planned_date: dt.date
    capacity_kind: str
    persons: int
    proposal: int
    recorded_at: dt.datetime


class SettledPersonOut(Out):
    member_key: str
    duf: str


class CaseSettlementOut(Out):
    municipality: str
    district: str
    settlement_date: dt.date
    recorded_at: dt.datetime
    persons: list[SettledPersonOut]


class SettlementCaseOut(Out):
    number: str
    status: str
    status_label: str
    view: str = Field(description="What the caller may see: summary, sensitive (+ special needs), mapping")
    registered_at: dt.datetime
    registered_by: str
    organisation: str
    persons: int
    adults: int
    children: int
    unaccompanied_minor: bool
    companion: bool
    capacity_kind: str
    members: list[CaseMemberOut]
    location: str | None = None
    location_name: str | None = None
    location_municipality: str | None = None
    permit_date: dt.date | None = None
    ready_date: dt.date | None = None
    waiting_days: int | None = None
    connection_municipality: str | None = None
    connection_kind: str | None = None
    wishes: str | None = None
    special_need_level: str | None = Field(None, description="Only for callers who may see special needs")
    special_need_kinds: list[str] | None = None
    special_need_note: str | None = None
    mappings: list[CaseMappingOut] | None = Field(None, description="Only for callers who may read the mapping")
    proposals: list[SettlementProposalOut] | None = None
    agreement: SettlementAgreementOut | None = None
    settlement: CaseSettlementOut | None = None
    proposed_to: str | None = None
    proposal_deadline: dt.date | None = None
    agreed_with: str | None = None
    planned_date: dt.date | None = None
    settled_in: str | None = None
    settled_on: dt.date | None = None


class SettlementCaseListOut(Out):
    count: int = Field(description="Cases matching the filters")
    shown: int
    rows: list[SettlementCaseOut]


class CaseMappingsOut(Out):
    case: str
    mappings: list[CaseMappingOut]


class SettlementProposalWithCaseOut(SettlementProposalOut):
    case_detail: SettlementCaseOut | None = None


class SettlementProposalsOut(Out):
    municipality: str
    rows: list[SettlementProposalWithCaseOut]


class ProposalAnswerOut(Out):
    proposal: int
    answer: str
    reason: str
    agreement: SettlementAgreementOut | None = None


class SettlementCaseQuery(Schema):
    status: Literal["", "ready", "proposed", "agreed", "settled", "withdrawn"] = ""
    ready_from: dt.date | None = None
    ready_to: dt.date | None = None
    location: str = Field("", max_length=20)
    special_needs: bool | None = Field(None, description="Only for callers who may see special needs")
    unaccompanied_minor: bool | None = None
    county: str = Field("", max_length=2)
    connection_municipality: str = Field("", max_length=4)
    min_waiting_days: int | None = Field(None, ge=0, le=10_000)
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


# --- errors --------------------------------------------------------------------------------------------


def _not_found(number: str) -> ApiProblem:
    return ApiProblem(404, f"Ukjent bosettingssak {number[:20]!r}, eller en sak du ikke har tilgang til.")


def _run(fn: Callable[..., T], *args: Any, number: str = "", **kwargs: Any) -> T:
    """Run an action, its refusals as problem+json."""
    try:
        return fn(*args, **kwargs)
    except AccessDenied as e:
        raise ApiProblem(403, str(e), errors=[{"field": "", "rule": e.permission.value, "message": str(e)}]) from None
    except SettlementCase.DoesNotExist:
        raise _not_found(number) from None
    except Proposal.DoesNotExist:
        raise ApiProblem(404, "Ukjent forslag.") from None
    except ChangedMeanwhile as e:
        raise ApiProblem(409, str(e)) from None
    except cases.CaseInvalid as e:
        raise ApiProblem(
            422,
            "Saken ble avvist; ingenting er lagret. " + "; ".join(f"{f}: {m}" for f, m in e.errors),
            slug="settlement-refused",
            title="Avvist",
            errors=[{"field": f, "rule": "invalid", "message": m} for f, m in e.errors],
        ) from None
    except SettlementRefused as e:
        status = 409 if e.field in STATE_FIELDS else 422
        raise ApiProblem(
            status,
            f"{e.message}; ingenting er lagret.",
            slug="settlement-refused",
            title="Avvist",
            errors=[{"field": e.field, "rule": "refused", "message": e.message}],
        ) from None


def _visible(request: HttpRequest, number: str) -> dict[str, Any]:
    doc = selectors.case_detail(request.auth, number)
    if doc is None:
        raise _not_found(number)
    return doc


def _audit_read(request: HttpRequest, what: str, numbers: list[str], **filters: Any) -> None:
    selectors.audit_cases(request, request.auth, channel="api", what=what, numbers=numbers, filters=filters)


def _require_some_cases(request: HttpRequest) -> None:
    if case_scope(request.auth)[0] == "none":
        raise ApiProblem(403, "Du har ikke tilgang til bosettingssaker.")


# --- cases ---------------------------------------------------------------------------------------------


@router.post(
    "/settlement/cases",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Register a household ready for settlement",
)
def create_case(request: HttpRequest, payload: SettlementCaseIn):
    """A household ready for settlement (bosettingsklar): where it is, permit and ready dates, its
    persons, special needs, connection and wishes. Reception centres, UDI and Bufetat (unaccompanied
    minors under 15 only) register their own cases; IMDi's caseworkers any. 201: the case
    (`number` BS-<year>-NNNNNN); 422: refused, naming every field, nothing stored."""
    data = payload.model_dump()
    members = data.pop("members")
    case = _run(cases.register_case, Acting.from_request(request), details=data, members=members)
    doc = _visible(request, case.number)
    return Status(201, doc)


@router.get(
    "/settlement/cases",
    response={200: SettlementCaseListOut, **PROBLEMS},
    exclude_none=True,
    summary="Settlement cases",
)
def list_cases(request: HttpRequest, q: Query[SettlementCaseQuery]):
    """The cases the caller may see (IMDi every case; a reception centre, UDI or Bufetat its own; a
    municipality those proposed to it), oldest ready first. Special needs and the mapping only for
    callers who may see them."""
    _require_some_cases(request)
    f = selectors.CaseFilters(
        status=q.status,
        ready_from=q.ready_from,
        ready_to=q.ready_to,
        location=q.location,
        special_needs=q.special_needs,
        um=q.unaccompanied_minor,
        county=q.county,
        connection_municipality=q.connection_municipality,
        min_waiting_days=q.min_waiting_days,
    )
    page = selectors.case_list(request.auth, f, limit=q.limit, offset=q.offset)
    _audit_read(request, "settlement.cases", page.numbers, **q.model_dump(mode="json", exclude_defaults=True))
    return Status(200, {"count": page.total, "shown": page.shown, "rows": page.rows})


@router.get(
    "/settlement/cases/{number}",
    response={200: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="One settlement case",
)
def get_case(request: HttpRequest, number: str):
    """The case as the caller may see it: its household, dates, proposals and agreement; special needs
    and mapping only where allowed. 404 for a case the caller may not see."""
    _require_some_cases(request)
    doc = _visible(request, number)
    _audit_read(request, "settlement.case", [number])
    return Status(200, doc)


@router.post(
    "/settlement/cases/{number}/members",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Add a person to the household",
)
def add_member(request: HttpRequest, number: str, payload: CaseMemberIn):
    """A person joins the household (the household is checked again as a whole). 201: the case."""
    _run(cases.add_member, Acting.from_request(request), number, payload.model_dump(), number=number)
    return Status(201, _visible(request, number))


@router.post(
    "/settlement/cases/{number}/mappings",
    response={201: CaseMappingOut, **PROBLEMS},
    exclude_none=True,
    summary="Register a mapping (kartlegging) of one person",
)
def create_mapping(request: HttpRequest, number: str, payload: CaseMappingIn):
    """Settlement-relevant information, competence mapping (il. § 6), simplified mapping, mapping of
    resettlement refugees or self-reporting, with what was assessed, by whom and when."""
    data = payload.model_dump()
    member = data.pop("member_key")
    row = _run(cases.register_mapping, Acting.from_request(request), number, member, data, number=number)
    return Status(
        201,
        {
            "id": row.pk,
            "member_key": str(row.member_key),
            "kind": row.kind,
            "assessed_on": row.assessed_on,
            "assessed_by": row.assessed_by,
            "content": row.content,
            "assessed_special_needs": row.assessed_special_needs,
            "health_note": row.health_note,
            "recorded_at": row.recorded_at,
            "registered_by": row.registered_by_label,
        },
    )


@router.get(
    "/settlement/cases/{number}/mappings",
    response={200: CaseMappingsOut, **PROBLEMS},
    exclude_none=True,
    summary="The mapping of a case's persons",
)
def get_mappings(request: HttpRequest, number: str):
    """The mapping of every person of the household: for IMDi's caseworkers, the organisation that
    registered the case, and the receiving municipality once it has accepted (avtale om bosetting) —
    403 before that, 404 for a case the caller may not see."""
    _require_some_cases(request)
    doc = _visible(request, number)
    if CaseView[doc["view"].upper()] < CaseView.MAPPING:
        raise ApiProblem(403, "Kartleggingen er tilgjengelig for kommunen først når avtale om bosetting er inngått.")
    _audit_read(request, "settlement.mappings", [number])
    return Status(200, {"case": number, "mappings": doc["mappings"]})


# --- the recommendation (issue 18) ---------------------------------------------------------------------


class RecommendationReasonOut(Out):
    feature: str
    label: str = Field(..., description="The feature, in bokmål")
    effect: float = Field(..., description="Its effect on the joint value against the other ranked ones")
    text: str = Field(..., description="The reason, in bokmål")


class RecommendedMunicipalityOut(Out):
    rank: int
    municipality: str
    name: str
    work: float = Field(..., description="Expected members aged 16–64 in work or education after two years")
    work_interval: tuple[float, float] = Field(..., description="±1.645 sd (90 %)")
    stay: float = Field(..., description="Probability the household still lives there after two years")
    stay_interval: tuple[float, float]
    joint: float = Field(..., description="Σ P(work)·P(stay): the value the assignment maximises")
    joint_sd: float
    places_left: float = Field(..., description="Free places (persons) today")
    um_places_left: float = Field(..., description="Free places for unaccompanied minors today")
    reasons: list[RecommendationReasonOut]


class ExcludedMunicipalityOut(Out):
    municipality: str
    name: str
    reason: str


class CaseRecommendationOut(Out):
    case: str
    available: bool = Field(..., description="False when no model is registered (message says what to do)")
    message: str = ""
    model_version: str = ""
    ranked: list[RecommendedMunicipalityOut] = []
    excluded: list[ExcludedMunicipalityOut] = []
    connection: str = Field("", description="The connection municipality, when the case has one")
    connection_status: Literal["", "none", "honoured", "not_honoured"] = ""
    override_reasons: list[str] = Field([], description="Why the connection cannot be honoured")


def _recommendation_doc(rec: recommend_service.CaseRecommendation) -> dict[str, Any]:
    return {
        "case": rec.case,
        "available": rec.available,
        "message": rec.message,
        "model_version": rec.model_version,
        "ranked": [
            {
                "rank": r.rank,
                "municipality": r.number,
                "name": r.name,
                "work": r.work,
                "work_interval": (r.work_low, r.work_high),
                "stay": r.stay,
                "stay_interval": (r.stay_low, r.stay_high),
                "joint": r.joint,
                "joint_sd": r.joint_sd,
                "places_left": r.places_left,
                "um_places_left": r.um_places_left,
                "reasons": r.reasons,
            }
            for r in rec.ranked
        ],
        "excluded": [{"municipality": e.number, "name": e.name, "reason": e.reason} for e in rec.excluded],
        "connection": rec.connection,
        "connection_status": rec.connection_status,
        "override_reasons": rec.override_reasons,
    }


@router.get(
    "/settlement/cases/{number}/recommendation",
    response={200: CaseRecommendationOut, **PROBLEMS},
    summary="The recommended municipalities for a ready case",
)
def get_recommendation(request: HttpRequest, number: str):
    """The current model's ranked municipalities for a ready case (best first, consistent with deciding
    the whole batch: value − size · dual price of capacity), each with its predicted outcomes and their
    90 % interval, remaining capacity and the reasons; the municipalities the hard constraints exclude
    and why. Only IMDi's caseworker who may assign in the case's area (403); 404 for a case the caller may
    not see; 409 for a case not ready. Without a registered model: `available` false and a message."""
    _require_some_cases(request)
    _visible(request, number)
    try:
        rec = _run(recommend_service.case_recommendation, request.auth, number, number=number)
    except recommend_service.NotReady:
        raise ApiProblem(409, f"Saken {number} er ikke klar for bosetting; den har ingen anbefaling.") from None
    _audit_read(request, "settlement.recommendation", [number], model_version=rec.model_version)
    return Status(200, _recommendation_doc(rec))


# --- proposals, answers, settled ---------------------------------------------------------------------


@router.post(
    "/settlement/cases/{number}/proposals",
    response={201: SettlementProposalOut, **PROBLEMS},
    exclude_none=True,
    summary="Propose a case to a municipality",
)
def create_proposal(request: HttpRequest, number: str, payload: SettlementProposalIn):
    """IMDi's caseworker proposes a ready case to a municipality of its region with free capacity of the
    household's kind; the municipality answers by `deadline`. 409: the case is not ready (proposed,
    agreed, settled or withdrawn)."""
    data = payload.model_dump()
    municipality = data.pop("municipality")
    data.update(recommend_service.followed(request.auth, number))
    row = _run(assignment.propose, Acting.from_request(request), number, municipality, **data, number=number)
    return Status(201, selectors.proposal_dict(row))


class SettlementProposalsQuery(Schema):
    municipality: str = Field("", max_length=4, description="IMDi: the municipality (default: the caller's own)")
    open: bool = Field(False, description="Only proposals not yet answered and within their deadline")


@router.get(
    "/settlement/proposals",
    response={200: SettlementProposalsOut, **PROBLEMS},
    exclude_none=True,
    summary="The proposals made to a municipality",
)
def list_proposals(request: HttpRequest, q: Query[SettlementProposalsQuery]):
    """The proposals made to the caller's municipality (newest first), each with the case as the
    municipality may see it (its special needs: it must judge whether it can meet them)."""
    municipality = q.municipality or own_municipality(request.auth) or ""
    if not municipality:
        raise ApiProblem(
            422,
            "Oppgi kommune.",
            errors=[{"field": "municipality", "rule": "required", "message": "mangler (påkrevd)"}],
        )
    rows = selectors.municipality_proposals(request.auth, municipality, open_only=q.open)
    if not rows and not selectors.may_see_proposals(request.auth, municipality):
        raise ApiProblem(403, f"Du handler ikke for kommune {municipality}.")
    out = [{**{k: v for k, v in r.items() if k != "case_row"}, "case_detail": r["case_row"]} for r in rows]
    _audit_read(request, "settlement.proposals", [r["case"] for r in rows], municipality=municipality)
    return Status(200, {"municipality": municipality, "rows": out})


@router.post(
    "/settlement/proposals/{proposal_id}/answer",
    response={201: ProposalAnswerOut, **PROBLEMS},
    exclude_none=True,
    summary="Accept or decline a proposal",
)
def answer_proposal(request: HttpRequest, proposal_id: int, payload: ProposalAnswerIn):
    """The municipality accepts (with the planned settlement date: an avtale om bosetting) or declines
    (with a reason), before the deadline. 409: already answered, or the deadline has passed."""
    row = _run(
        assignment.answer,
        Acting.from_request(request),
        proposal_id,
        accept=payload.accept,
        planned_date=payload.planned_date,
        reason=payload.reason,
    )
    agreement = row.proposal.agreements.first() if row.answer == "accepted" else None
    return Status(
        201,
        {
            "proposal": proposal_id,
            "answer": row.answer,
            "reason": row.reason,
            "agreement": selectors.agreement_dict(agreement) if agreement else None,
        },
    )


@router.post(
    "/settlement/cases/{number}/settlement",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Confirm that the household has moved in (bosatt)",
)
def settle_case(request: HttpRequest, number: str, payload: CaseSettleIn):
    """The municipality of the agreement confirms the move: in one transaction, a settlement of the case
    and, through the register's actions, every person of the household in the register (created if
    unknown) with residence, follow-up and a settlement by agreement, so the Regelmotor derives their
    rights. All or nothing: 422 naming the member and field the register refused, nothing stored."""
    _run(
        assignment.settle,
        Acting.from_request(request),
        number,
        settlement_date=payload.settlement_date,
        district=payload.district,
        number=number,
    )
    return Status(201, _visible(request, number))


# --- changes after registration: corrections, removals, withdrawals, the agreement (issue 17) -------------


class ReasonIn(Schema):
    reason: str = Field(..., max_length=4000, description="Why (required; kept with the new version)")


class CaseCorrectionIn(Schema):
    """The details to change (fields left out stay as they are) and why."""

    reason: str = Field(..., max_length=4000, description="Why the details are corrected (required)")
    location: Literal["reception", "resettlement", "private", "bufetat", "udi_special", "medevac"] | None = None
    location_name: str | None = Field(None, max_length=200)
    location_municipality: str | None = Field(None, max_length=4)
    permit_date: dt.date | None = None
    ready_date: dt.date | None = None
    special_need_level: Literal["none", "minor", "resource_demanding"] | None = None
    special_need_kinds: list[Literal["mobility", "mental", "other"]] | None = None
    special_need_note: str | None = Field(None, max_length=4000)
    connection_municipality: str | None = Field(None, max_length=4)
    connection_kind: Literal["", "family", "friends", "work", "study"] | None = None
    wishes: str | None = Field(None, max_length=4000)


class CaseMemberCorrectionIn(Schema):
    """The person's values to change (fields left out stay as they are) and why."""

    reason: str = Field(..., max_length=4000, description="Why the person is corrected (required)")
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    birth_date: dt.date | None = None
    role: Literal["adult", "child"] | None = None
    sex: Literal["", "female", "male"] | None = None
    duf: str | None = Field(None, max_length=14)
    national_id: str | None = Field(None, max_length=11)
    unaccompanied_minor: bool | None = None
    companion: bool | None = None
    citizenship: str | None = Field(None, max_length=3)
    permit_basis: str | None = Field(None, max_length=40)
    collective_protection: bool | None = None
    resettlement_refugee: bool | None = None


class AgreementCorrectionIn(Schema):
    planned_date: dt.date = Field(..., description="The new planned settlement date")
    reason: str = Field(..., max_length=4000, description="Why the date changes (required)")


def _changes(payload: Schema) -> tuple[dict[str, Any], str]:
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None or k == "reason"}
    return data, str(data.pop("reason", "") or "")


def _run_member(fn: Callable[..., T], *args: Any, number: str) -> T:
    """As ``_run``; an unknown person of a case the caller may change is 404."""
    try:
        return _run(fn, *args, number=number)
    except ApiProblem as p:
        if p.status == 422 and [e.get("field") for e in p.errors] == ["member"]:
            raise ApiProblem(404, f"Ukjent person i husstanden til sak {number[:20]}.") from None
        raise


@router.post(
    "/settlement/cases/{number}/corrections",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Correct a case's details",
)
def correct_case(request: HttpRequest, number: str, payload: CaseCorrectionIn):
    """A new version of the case's details with the fields given (the others as they are) and the
    reason; the earlier version is kept in the history. IMDi's caseworkers any case, a reception
    centre, UDI or Bufetat its own. 422: refused (naming the field), nothing stored; 409: the case is
    settled or withdrawn, or was changed meanwhile."""
    changes, reason = _changes(payload)
    _run(cases.correct_details, Acting.from_request(request), number, changes, reason, number=number)
    return Status(201, _visible(request, number))


@router.post(
    "/settlement/cases/{number}/members/{member_key}/corrections",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Correct a person of the household",
)
def correct_case_member(request: HttpRequest, number: str, member_key: str, payload: CaseMemberCorrectionIn):
    """A new version of one person (``members[].key``) with the fields given and the reason; the
    household is checked again as a whole. 404: no such person in the case."""
    changes, reason = _changes(payload)
    acting = Acting.from_request(request)
    _run_member(cases.correct_member, acting, number, member_key, changes, reason, number=number)
    return Status(201, _visible(request, number))


@router.post(
    "/settlement/cases/{number}/members/{member_key}/removals",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Take a person out of the household",
)
def remove_case_member(request: HttpRequest, number: str, member_key: str, payload: ReasonIn):
    """The person is taken out of the household, with the reason (kept in the history); a household
    keeps at least one person (422)."""
    acting = Acting.from_request(request)
    _run_member(cases.remove_member, acting, number, member_key, payload.reason, number=number)
    return Status(201, _visible(request, number))


@router.post(
    "/settlement/cases/{number}/withdrawals",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Withdraw a case",
)
def withdraw_case(request: HttpRequest, number: str, payload: ReasonIn):
    """The household is no longer to be settled (e.g. moved on its own, left the country): the case
    leaves the work list, with the reason. 409: it has an open proposal or an agreement (withdraw or
    cancel that first), or it is settled or already withdrawn."""
    _run(cases.withdraw_case, Acting.from_request(request), number, payload.reason, number=number)
    return Status(201, _visible(request, number))


@router.post(
    "/settlement/proposals/{proposal_id}/withdrawals",
    response={201: ProposalAnswerOut, **PROBLEMS},
    exclude_none=True,
    summary="Withdraw a proposal not yet answered",
)
def withdraw_proposal(request: HttpRequest, proposal_id: int, payload: ReasonIn):
    """IMDi's caseworker takes back a proposal the municipality has not answered, with the reason:
    the case may be proposed again and no longer holds the municipality's capacity. 409: answered."""
    row = _run(assignment.withdraw_proposal, Acting.from_request(request), proposal_id, payload.reason)
    return Status(201, {"proposal": proposal_id, "answer": row.answer, "reason": row.reason})


@router.post(
    "/settlement/cases/{number}/agreement/corrections",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Change the agreement's planned settlement date",
)
def correct_agreement(request: HttpRequest, number: str, payload: AgreementCorrectionIn):
    """A new version of the avtale om bosetting with the new planned date and the reason (the earlier
    kept): the municipality of the agreement, or IMDi's caseworker of its region. 409: no agreement, or
    the case is settled."""
    _run(
        assignment.change_planned_date,
        Acting.from_request(request),
        number,
        payload.planned_date,
        payload.reason,
        number=number,
    )
    return Status(201, _visible(request, number))


@router.post(
    "/settlement/cases/{number}/agreement/cancellations",
    response={201: SettlementCaseOut, **PROBLEMS},
    exclude_none=True,
    summary="Cancel the agreement",
)
def cancel_agreement(request: HttpRequest, number: str, payload: ReasonIn):
    """The avtale om bosetting is cancelled with the reason: the municipality's capacity is free again
    and the case is ready to be proposed anew. 409: no agreement, or the case is settled."""
    _run(assignment.cancel_agreement, Acting.from_request(request), number, payload.reason, number=number)
    return Status(201, _visible(request, number))
