"""Builders of hand-made settlement data for tests: households, proposals, agreements, settled, requests,
decisions and capacity, written directly as rows (tests only; the application writes through
``nir.settlement.actions``). Every row is recorded by a system actor at a given moment, so tests can
check figures *as known at* any moment.

    from nir.testing.settlement_builders import SettlementWorld, at
    w = SettlementWorld()
    case = w.case(members=[w.adult(), w.child()], permit=date(2025, 1, 10), ready=date(2025, 2, 1))
    w.settle(case, "5001", date(2025, 4, 1), recorded=at(2025, 4, 2))
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from nir.settlement import models as sm
from nir.testing.builders import OSLO, at

__all__ = ["Household", "SettlementWorld", "at"]

_numbers = itertools.count(1)


def _book(recorded: dt.datetime) -> dict[str, Any]:
    return {
        "recorded_at": recorded,
        "registered_by_kind": sm.ActorKind.SYSTEM,
        "registered_by_system": "test",
        "source_system": "test",
    }


@dataclass
class Household:
    case: sm.SettlementCase
    details: sm.CaseDetails
    members: list[sm.CaseMember] = field(default_factory=list)


class SettlementWorld:
    """Rows of the settlement tables as the parts of the module would write them."""

    def __init__(self, t0: dt.datetime | None = None):
        self.t0 = t0 or dt.datetime(2025, 1, 2, 9, tzinfo=OSLO)

    # --- members --------------------------------------------------------------------------------
    @staticmethod
    def adult(birth=dt.date(1990, 5, 1), **flags) -> dict[str, Any]:
        return {"role": sm.MemberRole.ADULT, "birth_date": birth, **flags}

    @staticmethod
    def child(birth=dt.date(2015, 5, 1), **flags) -> dict[str, Any]:
        return {"role": sm.MemberRole.CHILD, "birth_date": birth, **flags}

    @staticmethod
    def um(birth=dt.date(2009, 5, 1), companion=False, **flags) -> dict[str, Any]:
        return {
            "role": sm.MemberRole.CHILD,
            "birth_date": birth,
            "unaccompanied_minor": True,
            "companion": companion,
            **flags,
        }

    # --- cases ----------------------------------------------------------------------------------
    def case(
        self,
        members: list[dict[str, Any]],
        *,
        permit: dt.date = dt.date(2025, 1, 10),
        ready: dt.date | None = None,
        location: str = sm.CaseLocation.RECEPTION,
        location_municipality: str = "5001",
        special: str = sm.SpecialNeedLevel.NONE,
        recorded: dt.datetime | None = None,
    ) -> Household:
        recorded = recorded or self.t0
        case = sm.SettlementCase.objects.create(number=f"B-T{next(_numbers):05d}", **_book(recorded))
        details = sm.CaseDetails.objects.create(
            key=uuid.uuid4(),
            case=case,
            location=location,
            location_municipality=location_municipality if location != sm.CaseLocation.RESETTLEMENT else "",
            permit_date=permit,
            ready_date=ready or permit,
            special_need_level=special,
            special_need_kinds=["mobility"] if special != sm.SpecialNeedLevel.NONE else [],
            **_book(recorded),
        )
        h = Household(case, details)
        for k, m in enumerate(members):
            h.members.append(
                sm.CaseMember.objects.create(
                    key=uuid.uuid4(),
                    case=case,
                    first_name=f"Syntetisk{k}",
                    last_name="Testesen",
                    **m,
                    **_book(recorded),
                )
            )
        return h

    def correct_details(self, h: Household, recorded: dt.datetime, **changes) -> sm.CaseDetails:
        old = h.details
        sm.CaseDetails.objects.filter(pk=old.pk).update(superseded_at=recorded)
        values = {
            f.attname: getattr(old, f.attname)
            for f in old._meta.concrete_fields
            if f.name not in ("id", "recorded_at", "operation", "supersedes", "superseded_at", "change_reason")
        }
        values.update(_book(recorded))
        values.update(changes)
        h.details = sm.CaseDetails.objects.create(
            **values, operation=sm.Operation.CORRECT, supersedes=old, change_reason="test"
        )
        return h.details

    # --- assignment -----------------------------------------------------------------------------
    def propose(self, h: Household, municipality: str, recorded: dt.datetime) -> sm.Proposal:
        return sm.Proposal.objects.create(
            case=h.case, municipality=municipality, deadline=recorded.date() + dt.timedelta(days=14), **_book(recorded)
        )

    def agree(
        self, h: Household, municipality: str, recorded: dt.datetime, *, proposal: sm.Proposal | None = None
    ) -> sm.Agreement:
        proposal = proposal or self.propose(h, municipality, recorded)
        sm.ProposalAnswer.objects.create(proposal=proposal, answer=sm.AnswerKind.ACCEPTED, **_book(recorded))
        return sm.Agreement.objects.create(
            key=uuid.uuid4(),
            case=h.case,
            proposal=proposal,
            municipality=municipality,
            planned_date=recorded.date() + dt.timedelta(days=30),
            capacity_kind=sm.CapacityKind.FAMILIES,
            persons=len(h.members),
            **_book(recorded),
        )

    def settle(
        self,
        h: Household,
        municipality: str,
        day: dt.date,
        *,
        recorded: dt.datetime | None = None,
        agreement: sm.Agreement | None = None,
    ) -> sm.CaseSettlement:
        recorded = recorded or dt.datetime.combine(day, dt.time(15), tzinfo=OSLO)
        agreement = agreement or self.agree(h, municipality, recorded - dt.timedelta(days=20))
        return sm.CaseSettlement.objects.create(
            case=h.case, agreement=agreement, municipality=municipality, settlement_date=day, **_book(recorded)
        )

    # --- need, request, decisions, capacity ------------------------------------------------------
    def need(self, year: int, persons: int, um: int, recorded: dt.datetime) -> sm.SettlementNeed:
        current = sm.SettlementNeed.objects.current().filter(year=year).first()
        if current is not None:
            sm.SettlementNeed.objects.filter(pk=current.pk).update(superseded_at=recorded)
        return sm.SettlementNeed.objects.create(
            key=current.key if current else uuid.uuid4(),
            operation=sm.Operation.CORRECT if current else sm.Operation.CREATE,
            supersedes=current,
            year=year,
            persons=persons,
            um_persons=um,
            decided_on=recorded.date(),
            **_book(recorded),
        )

    def request_round(
        self, year: int, lines: dict[str, tuple[int, int]], sent: dt.datetime | None, number: int | None = None
    ) -> sm.RequestRound:
        need = sm.SettlementNeed.objects.filter(year=year).order_by("-recorded_at").first() or self.need(
            year, sum(p for p, _u in lines.values()), sum(u for _p, u in lines.values()), self.t0
        )
        dataset, _ = sm.IndicatorDataset.objects.get_or_create(
            name="test", defaults={"synthetic": True, "source": "test", **_book(self.t0)}
        )
        number = number or (sm.RequestRound.objects.filter(year=year).count() + 1)
        rnd = sm.RequestRound.objects.create(
            year=year,
            number=number,
            need=need,
            dataset=dataset,
            parameters_version="test",
            parameters_sha256="0" * 64,
            sent_at=sent,
            **_book(sent or self.t0),
        )
        for muni, (persons, um) in lines.items():
            sm.MunicipalRequest.objects.create(
                key=uuid.uuid4(),
                round=rnd,
                municipality=muni,
                computed_persons=persons,
                computed_um=um,
                persons=persons,
                um_persons=um,
                **_book(sent or self.t0),
            )
        return rnd

    def decision(
        self,
        municipality: str,
        year: int,
        persons: int,
        um: int,
        recorded: dt.datetime,
        status: str = sm.DecisionStatus.DECIDED,
    ) -> sm.MunicipalDecision:
        current = sm.MunicipalDecision.objects.current().filter(year=year, municipality=municipality).first()
        if current is not None:
            sm.MunicipalDecision.objects.filter(pk=current.pk).update(superseded_at=recorded)
        return sm.MunicipalDecision.objects.create(
            key=current.key if current else uuid.uuid4(),
            operation=sm.Operation.CORRECT if current else sm.Operation.CREATE,
            supersedes=current,
            municipality=municipality,
            year=year,
            status=status,
            persons=persons,
            um_persons=um,
            decision_date=recorded.date(),
            **_book(recorded),
        )

    def capacity(
        self, municipality: str, places: int, recorded: dt.datetime, *, kind=sm.CapacityKind.FAMILIES, year=2025
    ) -> sm.CapacityLine:
        return sm.CapacityLine.objects.create(
            key=uuid.uuid4(),
            municipality=municipality,
            kind=kind,
            period_from=dt.date(year, 1, 1),
            period_to=dt.date(year, 12, 31),
            places=places,
            **_book(recorded),
        )


def moment(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return at(year, month, day, hour)
