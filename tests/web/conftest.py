"""Fixtures of the web tests (test_persons_*.py and others that do not define their own): users of
five organisations and a small register built through the one write path (nir.testing.builders).

(Each has a birth date, and so a synthetic national identity number, of their own.)

    anne   Trondheim: participation from 05.01.2026, final goal (24 months), 20 workdays of leave, address
    tor    Trondheim: in the target group (rett og plikt), no decisions
    sara   Trondheim: skjermet (protected identity) with an address
    berit  Bergen: no decisions

Helpers the tests call (not fixtures) are in persons_support.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from nir.register import models as m
from nir.register import services
from nir.register.actors import Actor
from nir.testing import builders as helpers
from nir.testing.builders import make_user

at = helpers.at


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "analytiker-imdi", "imdi", first_name="Ida", last_name="Imdi"),
        "trondheim": make_user(
            django_user_model, "saksbehandler-5001", "k-5001", first_name="Tone", last_name="Trondheim"
        ),
        "bergen": make_user(django_user_model, "saksbehandler-4601", "k-4601"),
        "governor": make_user(django_user_model, "statsforvalter-50", "sf-trl"),
        "none": make_user(django_user_model, "uten-organisasjon"),
    }


@pytest.fixture
def world(users):
    r = helpers.Register(Actor.for_user(users["trondheim"], source_system="NIR-test"))
    p = {}
    p["anne"] = r.person("Anne", "Aas")
    r.participation(p["anne"], dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    r.add(
        p["anne"],
        m.Absence,
        {"scheme": "intro", "kind": "leave", "from_date": dt.date(2026, 2, 2), "to_date": dt.date(2026, 2, 27)},
    )
    r.add(
        p["anne"],
        m.Residence,
        {"municipality": "5001", "address": "Storgata 1", "postal_code": "7011", "valid_from": dt.date(2025, 11, 1)},
    )
    p["tor"] = r.person("Tor", "Tangen", birth=dt.date(1992, 3, 4))
    p["sara"] = r.person("Sara", "Skjermet", birth=dt.date(1993, 5, 6))
    details = m.PersonDetails.objects.current().get(person=p["sara"])
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
    rb = helpers.Register(Actor.for_user(users["bergen"], source_system="NIR-test"))
    p["berit"] = rb.person("Berit", "Berg", municipality="4601", birth=dt.date(1994, 7, 8))
    return p


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login
