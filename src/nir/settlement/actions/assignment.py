"""Assignment (fordeling), agreement (avtale om bosetting) and settled (bosatt): settlement.md §§ 1.7–1.8.

    p = propose(acting, "BS-2026-000001", "5001", deadline_days=14)      # IMDi's caseworker
    answer(acting, p.pk, accept=True, planned_date=date(2026, 3, 1))    # the municipality → Agreement
    answer(acting, p.pk, accept=False, reason="Ingen bolig")            # … or declines, with a reason
    withdraw_proposal(acting, p.pk, reason)                              # IMDi takes an open proposal back
    change_planned_date(acting, nr, date, reason); cancel_agreement(acting, nr, reason)
    settle(acting, nr, settlement_date=date(2026, 3, 2), district="")   # the municipality: moved in

Who: proposing and withdrawing a proposal, IMDi's caseworker in its region
(``may_assign_in``); answering, changing the planned date, cancelling and settling, the municipality
(``acts_for_municipality``; IMDi's caseworker may also change the date or cancel in its region).

``settle`` writes the household into the register in the same transaction: for every member a
register person (the member's DUF number; a new one from the synthetic series only where synthetic
identities are accepted — UDI assigns DUF numbers, so in production a member without one is refused),
its details, residence permit (from the member's legal basis and the case's permit date), residence
and follow-up in the municipality from the settlement date and a ``Settlement`` (``by_agreement``),
through the register's own actions, so the Regelmotor derives their rights at once. A member the
register already knows gets only the new facts (a move if followed up elsewhere). If the register
refuses anything for any member, nothing at all is stored.

The register rows are written by the system actor ``Bosetting`` (``Acting.system``) *after* the
settlement access check: a municipality's settlement coordinator settles without holding the
register's write permission, and may not yet see the persons it receives. The audit event of the
settlement names the real user (or client) and every person written (docs/access.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nir import actions as register_actions
from nir import identity
from nir.access.persons import AccessRefused
from nir.access.policy import AccessDenied, Permission, allows
from nir.access.settlement import acts_for_municipality, may_assign_in
from nir.actions.acting import Acting
from nir.register import models as rm
from nir.register.errors import RegistrationRefused
from nir.register.snapshot_sql import current_rows
from nir.register.validation import reference
from nir.settlement import capacity, store
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import (
    Agreement,
    AnswerKind,
    CapacityKind,
    CaseDetails,
    CaseMember,
    CaseSettlement,
    Proposal,
    ProposalAnswer,
    SettledMember,
    SettlementCase,
)
from nir.settlement.selectors import free_capacity, household_kind

__all__ = [
    "DEFAULT_DEADLINE_DAYS",
    "REGISTER_ACTOR",
    "answer",
    "cancel_agreement",
    "change_planned_date",
    "propose",
    "settle",
    "withdraw_proposal",
]

DEFAULT_DEADLINE_DAYS = 14
REGISTER_ACTOR = "Bosetting"  # the system actor that writes a settled household into the register


# --- shared checks ---------------------------------------------------------------------------------


def _case(number: str) -> SettlementCase:
    case = SettlementCase.objects.select_for_update().filter(number=number).first()
    if case is None:
        raise SettlementCase.DoesNotExist(number)
    return case


def _require_assign(acting: Acting, municipality: str) -> None:
    if acting.unrestricted:
        return
    if not allows(acting.principal, Permission.SETTLEMENT_ASSIGN):
        raise AccessDenied(Permission.SETTLEMENT_ASSIGN)
    if not may_assign_in(acting.principal, municipality):
        raise AccessDenied(
            Permission.SETTLEMENT_ASSIGN,
            f"Kommune {municipality} er utenfor regionen du fordeler til.",
        )


def _require_municipality(acting: Acting, municipality: str, *, or_assign: bool = False) -> None:
    if acting.unrestricted or acts_for_municipality(acting.principal, municipality):
        return
    if or_assign and allows(acting.principal, Permission.SETTLEMENT_ASSIGN):
        _require_assign(acting, municipality)
        return
    raise AccessDenied(Permission.SETTLEMENT_MUNICIPALITY, f"Du handler ikke for kommune {municipality}.")


def _audit(acting: Acting, what: str, case: SettlementCase, municipality: str, persons=(), **filters: Any) -> None:
    acting.audit(
        what=f"settlement.{what}",
        persons=list(persons),
        filters={"case": case.number, "municipality": municipality, **filters},
    )


def _members(case: SettlementCase) -> list[CaseMember]:
    return list(CaseMember.objects.current().filter(case=case).order_by("recorded_at", "pk"))


def _ready_details(case: SettlementCase, today: dt.date) -> CaseDetails:
    """The case's details if it is ready to be proposed: not withdrawn, not settled, no current
    agreement, no open proposal (``SettlementRefused`` naming what stands in the way)."""
    details = CaseDetails.objects.current().filter(case=case).first()
    if CaseSettlement.objects.filter(case=case).exists():
        raise SettlementRefused("case", f"saken {case.number} er allerede bosatt")
    if details is None:
        raise SettlementRefused("case", f"saken {case.number} er trukket")
    if Agreement.objects.current().filter(case=case).exists():
        raise SettlementRefused("case", f"saken {case.number} har allerede en avtale om bosetting")
    if Proposal.objects.filter(case=case, answer__isnull=True, deadline__gte=today).exists():
        raise SettlementRefused("case", f"saken {case.number} har et åpent forslag til en kommune")
    return details


def _recommended_first(recommendation: dict[str, Any] | None) -> str:
    """The top-ranked municipality of a recommendation (``recommend_service.CaseRecommendation.record``:
    ``{"ranked": [{"number": "5001", …}, …]}``), or "" when none is given."""
    if recommendation is None:
        return ""
    ranked = recommendation.get("ranked") if isinstance(recommendation, dict) else None
    if not isinstance(ranked, list) or not ranked or not isinstance(ranked[0], dict):
        raise SettlementRefused("recommendation", "anbefalingen mangler en rangert liste av kommuner")
    return str(ranked[0].get("number") or "")


# --- propose, answer, withdraw ---------------------------------------------------------------------


def propose(
    acting: Acting,
    number: str,
    municipality: str,
    *,
    deadline: dt.date | None = None,
    deadline_days: int = DEFAULT_DEADLINE_DAYS,
    note: str = "",
    recommendation: dict[str, Any] | None = None,
    model_version: str = "",
    override_reason: str = "",
) -> Proposal:
    """Propose case ``number`` to ``municipality``, to be answered by ``deadline`` (default: today +
    ``deadline_days``). The case must be ready and the municipality must have free capacity of the
    household's kind for all its persons (and meet its special needs). ``recommendation``,
    ``model_version`` and ``override_reason`` are stored as given (the recommendation tool, issue 18);
    a municipality other than the recommendation's first needs an ``override_reason`` (begrunnelse for
    avvik fra anbefalingen)."""
    today = timezone.localdate()
    with transaction.atomic():
        _require_assign(acting, municipality)
        case = _case(number)
        details = _ready_details(case, today)
        valid = reference().municipality_valid(municipality, today)
        if valid is None:
            raise SettlementRefused("municipality", f"ukjent kommunenummer {municipality[:10]!r}")
        if not valid:
            raise SettlementRefused("municipality", f"kommunenummer {municipality} er ikke gyldig i dag")
        first = _recommended_first(recommendation)
        if first and first != municipality and not override_reason.strip():
            raise SettlementRefused(
                "override_reason",
                f"kommune {municipality} er ikke den anbefalte ({first}): oppgi begrunnelse for avvik fra anbefalingen",
            )
        deadline = deadline or today + dt.timedelta(days=deadline_days)
        if deadline < today:
            raise SettlementRefused("deadline", "svarfristen kan ikke være før i dag")
        if deadline > today + dt.timedelta(days=90):
            raise SettlementRefused("deadline", "svarfristen kan være høyst 90 dager fram")
        members = _members(case)
        kind, n = household_kind(members), len(members)
        household = n if kind == CapacityKind.FAMILIES else None
        needs = list(details.special_need_kinds or [])

        def fits(**extra: Any) -> bool:
            return bool(capacity.free_places(kind, today, persons=n, municipalities=[municipality], **extra))

        if not fits():
            free = free_capacity(municipality, kind, today)
            raise SettlementRefused(
                "municipality",
                f"kommune {municipality} har ikke ledig kapasitet av riktig type ({CapacityKind(kind).label}: "
                f"{free} ledige plasser, husstanden er {n} personer)",
            )
        if household is not None and not fits(household=household):
            raise SettlementRefused(
                "municipality", f"kommune {municipality} har ikke meldt plass til en familie på {n} personer"
            )
        if needs and not fits(household=household, needs=needs):
            raise SettlementRefused("municipality", f"kommune {municipality} har ikke meldt at den kan møte behovene")
        proposal = store.create(
            Proposal,
            acting,
            case=case,
            municipality=municipality,
            deadline=deadline,
            note=note.strip()[:4000],
            recommendation=recommendation,
            model_version=model_version[:80],
            override_reason=override_reason.strip(),
        )
        _audit(acting, "proposal.create", case, municipality, deadline=deadline.isoformat())
    return proposal


def _open_proposal(proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().select_related("case").filter(pk=proposal_id).first()
    if proposal is None:
        raise Proposal.DoesNotExist(proposal_id)
    return proposal


def answer(
    acting: Acting,
    proposal_id: int,
    *,
    accept: bool,
    planned_date: dt.date | None = None,
    reason: str = "",
) -> ProposalAnswer:
    """The municipality's answer to a proposal, before its deadline: accept with a planned date (an
    ``Agreement`` for the household: its capacity kind and persons) or decline with a reason."""
    today = timezone.localdate()
    with transaction.atomic():
        proposal = _open_proposal(proposal_id)
        _require_municipality(acting, proposal.municipality)
        case = _case(proposal.case.number)
        if ProposalAnswer.objects.filter(proposal=proposal).exists():
            raise SettlementRefused("proposal", "forslaget er allerede besvart")
        if proposal.deadline < today:
            raise SettlementRefused("proposal", f"svarfristen gikk ut {proposal.deadline:%d.%m.%Y}")
        if CaseDetails.objects.current().filter(case=case).first() is None:
            raise SettlementRefused("case", f"saken {case.number} er trukket")
        if accept:
            if planned_date is None:
                raise SettlementRefused("planned_date", "oppgi planlagt bosettingsdato")
            if planned_date < today:
                raise SettlementRefused("planned_date", "planlagt bosettingsdato kan ikke være før i dag")
            if Agreement.objects.current().filter(case=case).exists():
                raise SettlementRefused("case", "saken har allerede en avtale om bosetting")
            row = store.create(ProposalAnswer, acting, proposal=proposal, answer=AnswerKind.ACCEPTED, reason=reason)
            members = _members(case)
            store.create(
                Agreement,
                acting,
                case=case,
                proposal=proposal,
                municipality=proposal.municipality,
                planned_date=planned_date,
                capacity_kind=household_kind(members),
                persons=len(members),
            )
            _audit(acting, "proposal.accept", case, proposal.municipality, planned_date=planned_date.isoformat())
        else:
            if not reason.strip():
                raise SettlementRefused("reason", "oppgi hvorfor kommunen avslår forslaget")
            row = store.create(
                ProposalAnswer, acting, proposal=proposal, answer=AnswerKind.DECLINED, reason=reason.strip()
            )
            _audit(acting, "proposal.decline", case, proposal.municipality)
    return row


def withdraw_proposal(acting: Acting, proposal_id: int, reason: str) -> ProposalAnswer:
    """IMDi takes back a proposal not yet answered (the case is ready again)."""
    with transaction.atomic():
        proposal = _open_proposal(proposal_id)
        _require_assign(acting, proposal.municipality)
        if ProposalAnswer.objects.filter(proposal=proposal).exists():
            raise SettlementRefused("proposal", "forslaget er allerede besvart")
        if not reason.strip():
            raise SettlementRefused("reason", "oppgi hvorfor forslaget trekkes")
        row = store.create(
            ProposalAnswer, acting, proposal=proposal, answer=AnswerKind.WITHDRAWN, reason=reason.strip()
        )
        _audit(acting, "proposal.withdraw", proposal.case, proposal.municipality)
    return row


# --- the agreement ---------------------------------------------------------------------------------


def _agreement(case: SettlementCase) -> Agreement:
    agreement = Agreement.objects.current().filter(case=case).first()
    if agreement is None:
        raise SettlementRefused("case", f"saken {case.number} har ingen avtale om bosetting")
    if CaseSettlement.objects.filter(case=case).exists():
        raise SettlementRefused("case", f"saken {case.number} er allerede bosatt")
    return agreement


def change_planned_date(acting: Acting, number: str, planned_date: dt.date, reason: str) -> Agreement:
    """A new planned settlement date (the agreement is superseded, with ``reason``)."""
    with transaction.atomic():
        case = _case(number)
        agreement = _agreement(case)
        _require_municipality(acting, agreement.municipality, or_assign=True)
        if not reason.strip():
            raise SettlementRefused("reason", "oppgi hvorfor datoen endres")
        if planned_date < timezone.localdate():
            raise SettlementRefused("planned_date", "planlagt bosettingsdato kan ikke være før i dag")
        if planned_date == agreement.planned_date:
            raise SettlementRefused("planned_date", "datoen er den samme som før")
        new = store.supersede(agreement, acting, reason.strip(), planned_date=planned_date)
        _audit(acting, "agreement.change", case, agreement.municipality, planned_date=planned_date.isoformat())
    return new


def cancel_agreement(acting: Acting, number: str, reason: str) -> Agreement:
    """Cancel the agreement (an annulment, with ``reason``): the case is ready for settlement again."""
    with transaction.atomic():
        case = _case(number)
        agreement = _agreement(case)
        _require_municipality(acting, agreement.municipality, or_assign=True)
        if not reason.strip():
            raise SettlementRefused("reason", "oppgi hvorfor avtalen avbrytes")
        new = store.annul(agreement, acting, reason.strip())
        _audit(acting, "agreement.cancel", case, agreement.municipality)
    return new


# --- settled ---------------------------------------------------------------------------------------


def _new_duf(year: int, taken: set[str]) -> str:
    """A DUF number from the synthetic series for a member UDI has given none (demo and tests only)."""
    for _ in range(100):
        duf = identity.make_duf(f"{year}{secrets.randbelow(1_000_000):06d}")
        if duf not in taken and not rm.Person.objects.filter(duf=duf).exists():
            return duf
    raise SettlementRefused("members", "fant ikke et ledig DUF-nummer")


def _problem_field(e: RegistrationRefused, i: int) -> tuple[str, str]:
    p = e.problems[0] if e.problems else None
    return (f"members.{i}.{p.field}" if p else f"members.{i}", p.message if p else str(e))


def _write_member(
    register: Acting, member: CaseMember, details: CaseDetails, municipality: str, district: str, day: dt.date, duf: str
) -> rm.Person:
    """One member into the register: the person if new, then the new facts; raises ``RegistrationRefused``."""
    person = rm.Person.objects.filter(duf=duf).first()
    if person is None:
        person = register_actions.create_person(
            register,
            duf,
            {
                "national_id": member.national_id,
                "first_name": member.first_name,
                "last_name": member.last_name,
                "birth_date": member.birth_date,
                "sex": member.sex,
                "education": "unknown",
                "protected_identity": False,
            },
        ).row
    rows = current_rows(person.pk, (rm.FollowUp, rm.ResidencePermit))
    if member.permit_basis and not any(isinstance(r, rm.ResidencePermit) for r in rows):
        register_actions.register(
            register,
            duf,
            rm.ResidencePermit,
            {"basis": member.permit_basis, "decision_date": details.permit_date},
            what="settlement:permit",
        )
    follow_ups = [r for r in rows if isinstance(r, rm.FollowUp)]
    covering = [f for f in follow_ups if f.valid_from <= day and (f.valid_to is None or day <= f.valid_to)]
    if covering and all(f.municipality == municipality and f.district == district for f in covering):
        pass  # already followed up there
    elif covering:
        register_actions.move(register, duf, {"move_date": day, "municipality": municipality, "district": district})
    else:
        period = {"municipality": municipality, "district": district, "valid_from": day, "valid_to": None}
        register_actions.register(
            register, duf, rm.Residence, {**period, "address": "", "postal_code": ""}, what="settlement:residence"
        )
        register_actions.register(register, duf, rm.FollowUp, period, what="settlement:follow_up")
    register_actions.register(
        register,
        duf,
        rm.Settlement,
        {"municipality": municipality, "district": district, "settlement_date": day, "by_agreement": True},
        what="settlement:settled",
    )
    return person


def settle(acting: Acting, number: str, *, settlement_date: dt.date, district: str = "") -> CaseSettlement:
    """The municipality confirms that the household has moved in on ``settlement_date``: the
    ``CaseSettlement`` and, for every member, the register's person and facts (see the module text),
    all in one transaction. Any refusal (``SettlementRefused``, naming ``members.<i>.<field>`` for a
    member the register refused) leaves nothing stored."""
    today = timezone.localdate()
    with transaction.atomic():
        case = _case(number)
        agreement = _agreement(case)
        _require_municipality(acting, agreement.municipality)
        details = CaseDetails.objects.current().filter(case=case).first()
        if details is None:
            raise SettlementRefused("case", f"saken {case.number} er trukket")
        if settlement_date > today:
            raise SettlementRefused(
                "settlement_date", "bosettingsdatoen er fram i tid; bekreft når husstanden har flyttet inn"
            )
        if settlement_date < details.permit_date:
            raise SettlementRefused("settlement_date", "bosettingsdatoen er før vedtaksdatoen for tillatelsen")
        district = district.strip()
        if district:
            ref = reference()
            found = ref.districts.get(district)
            if found is None or found[0] != agreement.municipality:
                raise SettlementRefused(
                    "district", f"ukjent bydel {district[:10]!r} i kommune {agreement.municipality}"
                )
        members = _members(case)
        if not members:
            raise SettlementRefused("members", "husstanden har ingen personer")
        register = Acting.system(REGISTER_ACTOR, source_system=REGISTER_ACTOR, channel=acting.channel)
        settled = store.create(
            CaseSettlement,
            acting,
            case=case,
            agreement=agreement,
            municipality=agreement.municipality,
            district=district,
            settlement_date=settlement_date,
        )
        taken: set[str] = set()
        persons = []
        for i, member in enumerate(members):
            duf = member.duf
            if not duf:
                if not settings.NIR_ACCEPT_SYNTHETIC_IDS:
                    raise SettlementRefused(f"members.{i}.duf", "DUF-nummer mangler (tildeles av UDI)")
                duf = _new_duf(settlement_date.year, taken)
            taken.add(duf)
            try:
                person = _write_member(
                    register, member, details, agreement.municipality, district, settlement_date, duf
                )
            except RegistrationRefused as e:
                field, message = _problem_field(e, i)
                raise SettlementRefused(field, f"{member.first_name} {member.last_name}: {message}") from None
            except AccessRefused as e:  # the system actor is not limited; kept for a clear message
                raise SettlementRefused(f"members.{i}", str(e)) from None
            SettledMember.objects.create(settlement=settled, member_key=member.key, person=person)
            persons.append(person.pk)
        _audit(
            acting,
            "settle",
            case,
            agreement.municipality,
            persons=persons,
            settlement_date=settlement_date.isoformat(),
            register_actor=REGISTER_ACTOR,
        )
    return settled
