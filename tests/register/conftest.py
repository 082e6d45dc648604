"""Shared fixtures of the register tests: a user in a municipality, actors,
synthetic identifiers and a person factory that goes through the one write
path (``nir.register.services``)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from register_support import T0, at, synthetic_id

from nir import identity
from nir.access.models import ApiClient, Organisation
from nir.register import models as m
from nir.register import services
from nir.register.actors import Actor


@pytest.fixture
def organisation(db) -> Organisation:
    return Organisation.objects.get(code="k-5001")  # Trondheim, loaded by migrate


@pytest.fixture
def user(organisation, django_user_model):
    return django_user_model.objects.create_user(
        username="saksbehandler-trondheim", password=None, organisation=organisation
    )


@pytest.fixture
def other_user(django_user_model):
    org = Organisation.objects.get(code="imdi")
    return django_user_model.objects.create_user(username="imdi-analytiker", password=None, organisation=org)


@pytest.fixture
def actor(user) -> Actor:
    return Actor.for_user(user, source_system="NIR-test")


@pytest.fixture
def other_actor(other_user) -> Actor:
    return Actor.for_user(other_user, source_system="NIR")


@pytest.fixture
def api_client_row(organisation) -> ApiClient:
    return ApiClient.objects.create(
        client_id="fagsystem-5001",
        name="Fagsystem Trondheim",
        organisation=organisation,
        source_system="Fagsystem-X",
    )


@pytest.fixture
def client_actor(api_client_row) -> Actor:
    return Actor.for_client(api_client_row)


_duf_counter = itertools.count(1)


@pytest.fixture
def new_duf():
    """A factory of fresh, valid DUF numbers (check number by nir.identity.make_duf)."""

    def _new() -> str:
        return identity.make_duf(f"2026{next(_duf_counter):06d}")

    return _new


@pytest.fixture
def details():
    """A factory of valid person details with a synthetic identity number."""

    def _details(birth_date: dt.date = dt.date(1990, 1, 15), **overrides) -> dict:
        values = {
            "national_id": synthetic_id(birth_date),
            "first_name": "Test",
            "last_name": "Testesen",
            "birth_date": birth_date,
            "sex": "female",
            "education": "below_upper_secondary",
            "protected_identity": False,
        }
        values.update(overrides)
        return values

    return _details


@pytest.fixture
def make_person(actor, new_duf, details):
    """Create a person through services.create_person; returns the Person anchor."""

    def _make(*, when: dt.datetime = T0, by: Actor | None = None, duf: str | None = None, **detail_overrides):
        outcome = services.create_person(duf or new_duf(), details(**detail_overrides), by or actor, at=when)
        return outcome.row

    return _make


@pytest.fixture
def participant(make_person, actor):
    """A person in the introduction programme: permit, settlement, participation decision, final goal."""
    person = make_person()
    rows = {
        "permit": services.register(
            person,
            m.ResidencePermit,
            {
                "basis": "utl_28",
                "decision_date": dt.date(2025, 10, 1),
                "arrival_date": None,
            },
            actor,
            at=T0,
        ).row,
        "settlement": services.register(
            person,
            m.Settlement,
            {
                "municipality": "5001",
                "settlement_date": dt.date(2025, 11, 1),
                "by_agreement": True,
            },
            actor,
            at=T0,
        ).row,
        "decision": services.register(
            person,
            m.Decision,
            {
                "scheme": "intro",
                "decision_type": "participation",
                "decision_date": dt.date(2026, 1, 5),
                "start_date": dt.date(2026, 1, 5),
                "end_date": None,
            },
            actor,
            at=at(2026, 1, 12),
        ).row,
        "final_goal": services.register(
            person,
            m.FinalGoal,
            {
                "scheme": "intro",
                "goal": "work_no_vgo_2026",
            },
            actor,
            at=at(2026, 1, 12),
        ).row,
    }
    return person, rows
