"""Builders of hand-made registers for tests: registration times in Norwegian time, synthetic
persons and their facts written through the one write path (``nir.register.services``), so that
every person gets the DerivedStatus rows the Regelmotor registers; users of an organisation.

Shared by the test suites of reports, web pages, the API and the audit log (import it; it needs a
configured Django and a database).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from nir import identity
from nir.access import oauth
from nir.access.models import ApiClient, Organisation, RoleAssignment
from nir.access.policy import DEFAULT_ROLE, scopes_for
from nir.register import models as m
from nir.register import services
from nir.register.actors import Actor

OSLO = ZoneInfo("Europe/Oslo")


def at(year, month, day, hour=12, minute=0) -> dt.datetime:
    """A registration time in Norwegian local time (in the past of the test run)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=OSLO)


T0 = at(2026, 1, 10, 9)

_duf_counter = itertools.count(1)


def synthetic_id(birth_date: dt.date) -> str:
    lo, hi = identity.individual_range(birth_date.year)
    for individual in range(lo, hi + 1):
        number = identity.make_synthetic_national_id(birth_date, individual)
        if number:
            return number
    raise AssertionError(f"no synthetic number for {birth_date}")


class Register:
    """Builds persons and their facts as a caseworker would register them."""

    def __init__(self, actor: Actor):
        self.actor = actor

    def person(
        self,
        first_name: str,
        last_name: str,
        *,
        municipality="5001",
        district="",
        when: dt.datetime = T0,
        permit=dt.date(2025, 10, 1),
        settled=dt.date(2025, 11, 1),
        follow_up_from=dt.date(2025, 11, 1),
        follow_up_to=None,
        basis="utl_28",
        birth=dt.date(1990, 1, 15),
        education="below_upper_secondary",
    ) -> m.Person:
        """A person in the target group of integreringsloven § 8 (by default utl. § 28, settled by agreement)."""
        duf = identity.make_duf(f"2026{next(_duf_counter):06d}")
        person = services.create_person(
            duf,
            {
                "national_id": synthetic_id(birth),
                "first_name": first_name,
                "last_name": last_name,
                "birth_date": birth,
                "sex": "female",
                "education": education,
                "protected_identity": False,
            },
            self.actor,
            at=when,
        ).row
        self.add(person, m.ResidencePermit, {"basis": basis, "decision_date": permit}, when)
        self.add(
            person,
            m.Settlement,
            {"municipality": municipality, "district": district, "settlement_date": settled, "by_agreement": True},
            when,
        )
        self.add(
            person,
            m.FollowUp,
            {
                "municipality": municipality,
                "district": district,
                "valid_from": follow_up_from,
                "valid_to": follow_up_to,
            },
            when,
        )
        return person

    def add(self, person, model, values, when=T0):
        return services.register(person, model, values, self.actor, at=when).row

    def participation(self, person, start: dt.date, *, goal: str | None = None, when: dt.datetime = T0):
        decision = self.add(
            person,
            m.Decision,
            {"scheme": "intro", "decision_type": "participation", "decision_date": start, "start_date": start},
            when,
        )
        if goal:
            self.add(person, m.FinalGoal, {"scheme": "intro", "goal": goal}, when)
        return decision

    def loss_due_to_work(self, person, day: dt.date, *, when: dt.datetime = T0):
        return self.add(
            person, m.Decision, {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": day}, when
        )

    def termination(
        self, person, day: dt.date, *, type_="completed", reason="work", hours=None, when: dt.datetime = T0
    ):
        return self.add(
            person,
            m.Termination,
            {
                "scheme": "intro",
                "termination_type": type_,
                "termination_reason": reason,
                "hours_work_per_week": hours,
                "termination_date": day,
            },
            when,
        )


def make_user(django_user_model, username: str, org_code: str | None = None, *, roles=None, **extra):
    """A user of the organisation with code ``org_code`` (loaded by migrate), or of none, holding
    ``roles`` there (default: the usual role of that kind of organisation, ``policy.DEFAULT_ROLE``)."""
    org = Organisation.objects.get(code=org_code) if org_code else None
    user = django_user_model.objects.create_user(username=username, password=None, organisation=org, **extra)
    if org is not None:
        for role in roles if roles is not None else [DEFAULT_ROLE[org.kind]]:
            RoleAssignment.objects.create(user=user, role=role, organisation=org)
    return user


# --- machine clients (OAuth2 client credentials, nir.access.oauth) ---------------------------------


@dataclass
class ApiTestClient:
    """An API client with one ES256 key, able to get access tokens as a case system would."""

    client: object
    kid: str
    private_pem: str

    def grant(self, scopes=None, **claims) -> str:
        return oauth.make_grant(
            self.client.client_id,
            self.kid,
            self.private_pem,
            scopes if scopes is not None else self.client.scopes,
            **claims,
        )

    def token(self, scopes=None) -> str:
        return oauth.exchange_grant(self.grant(scopes)).access_token

    def headers(self, scopes=None) -> dict:
        """Headers for Django's test client: ``client.get(url, headers=tc.headers())``."""
        return {"Authorization": f"Bearer {self.token(scopes)}"}


def make_client(org_code: str, client_id: str, scopes=None, *, source_system: str = "Fagsystem-test") -> ApiTestClient:
    org = Organisation.objects.get(code=org_code)
    client = ApiClient.objects.create(
        client_id=client_id,
        name=f"Testklient {client_id}",
        organisation=org,
        source_system=source_system,
        scopes=list(scopes if scopes is not None else scopes_for(org)),  # default: all it may hold
    )
    private_pem, public_pem = oauth.generate_client_key("ES256")
    key = oauth.add_client_key(client, public_pem, algorithm="ES256")
    return ApiTestClient(client, key.kid, private_pem)
