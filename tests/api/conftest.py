"""Fixtures of the API tests: users of four organisations and a small register built through the
one write path with the report tests' builder (nir.testing.builders)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from nir.register import models as m
from nir.register.actors import Actor
from nir.testing import builders as helpers
from nir.testing.builders import make_user

at = helpers.at


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "analytiker-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
        "bergen": make_user(django_user_model, "saksbehandler-4601", "k-4601"),
        "governor": make_user(django_user_model, "statsforvalter-50", "sf-trl"),
        "none": make_user(django_user_model, "uten-organisasjon"),
    }


@pytest.fixture
def world(users):
    """anne: Trondheim, participation from 05.01.2026 with a final goal; berit: Bergen, no decisions;
    sara: Trondheim, skjermet, with an address; tor: Trondheim, in the target group, no decisions."""
    r = helpers.Register(Actor.for_user(users["trondheim"], source_system="NIR-test"))
    p = {}
    p["anne"] = r.person("Anne", "Aas")
    r.participation(p["anne"], dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    p["tor"] = r.person("Tor", "Tangen")
    p["sara"] = r.person("Sara", "Skjermet")
    details = m.PersonDetails.objects.current().get(person=p["sara"])
    from nir.register import services

    services.correct(details, {"protected_identity": True}, "Skjermet", r.actor, at=at(2026, 1, 11))
    r.add(
        p["sara"],
        m.Residence,
        {
            "municipality": "5001",
            "address": "Hemmeligveien 1",
            "postal_code": "7010",
            "valid_from": dt.date(2025, 11, 1),
        },
    )
    r.add(
        p["anne"],
        m.Residence,
        {"municipality": "5001", "address": "Storgata 1", "postal_code": "7011", "valid_from": dt.date(2025, 11, 1)},
    )
    rb = helpers.Register(Actor.for_user(users["bergen"], source_system="NIR-test"))
    p["berit"] = rb.person("Berit", "Berg", municipality="4601")
    return p


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login


@pytest.fixture
def same_connection():
    """Keep the test's transaction across WSGI requests made straight to a handler (as Django's
    test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
