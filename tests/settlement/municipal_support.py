"""Helpers of the municipal decision and capacity tests: principals, agreements, dates."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from nir.access.models import Role
from nir.actions.acting import Acting
from nir.settlement import store
from nir.settlement.models import (
    Agreement,
    IndicatorDataset,
    MunicipalRequest,
    Proposal,
    RequestRound,
    SettlementCase,
    SettlementNeed,
)
from nir.testing.builders import make_user

YEAR = timezone.localdate().year
_numbers = itertools.count(1)


def month(m: int, year: int = YEAR) -> tuple[dt.date, dt.date]:
    """The first and last day of month ``m``."""
    start = dt.date(year, m, 1)
    end = (dt.date(year + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)
    return start, end


def coordinator(django_user_model, org="k-5001", name=None):
    user = make_user(django_user_model, name or f"koordinator-{org}", org, roles=[Role.SETTLEMENT_COORDINATOR])
    return Acting.for_user(user, channel="web")


def imdi_admin(django_user_model, name="imdi-admin"):
    return Acting.for_user(make_user(django_user_model, name, "imdi", roles=[Role.IMDI_ADMIN]), channel="web")


def agreement(municipality: str, kind: str, persons: int, planned: dt.date) -> Agreement:
    """An agreement on a case (what the assignment writes; here straight through the store)."""
    system = Acting.system("Test")
    case = store.create(SettlementCase, system, number=f"T-{next(_numbers)}")
    proposal = store.create(Proposal, system, case=case, municipality=municipality, deadline=planned)
    return store.create(
        Agreement,
        system,
        case=case,
        proposal=proposal,
        municipality=municipality,
        planned_date=planned,
        capacity_kind=kind,
        persons=persons,
    )


def sent_round(requests: dict[str, tuple[int, int]]):
    """A sent request round of the year asking ``requests`` {municipality: (persons, EM)}."""
    system = Acting.system("Test")
    need = store.create(SettlementNeed, system, year=YEAR, persons=100, um_persons=10, decided_on=dt.date(YEAR, 1, 1))
    data = store.create(IndicatorDataset, system, name="syntetisk", synthetic=True, source="test")
    rnd = RequestRound.objects.create(
        year=YEAR,
        number=RequestRound.objects.count() + 1,
        need=need,
        dataset=data,
        parameters_version="t",
        parameters_sha256="0" * 64,
        recorded_at=need.recorded_at,
        sent_at=need.recorded_at,
        **system.actor.row_fields(),
    )
    for k, (p, um) in requests.items():
        store.create(
            MunicipalRequest,
            system,
            round=rnd,
            municipality=k,
            computed_persons=p,
            computed_um=um,
            persons=p,
            um_persons=um,
        )
    return rnd
