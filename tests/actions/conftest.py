"""Fixtures of the action tests: users of four organisations and a small register (anne and tor
followed up in Trondheim, berit in Bergen) built with the test builders (the register's storage)."""

from __future__ import annotations

import datetime as dt

import pytest

from nir.register.actors import Actor
from nir.testing import builders as helpers
from nir.testing.builders import make_user


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "analytiker-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
        "bergen": make_user(django_user_model, "saksbehandler-4601", "k-4601"),
        "governor": make_user(django_user_model, "statsforvalter-50", "sf-trl"),
    }


@pytest.fixture
def world(users):
    r = helpers.Register(Actor.for_user(users["trondheim"], source_system="NIR-test"))
    p = {"anne": r.person("Anne", "Aas"), "tor": r.person("Tor", "Tangen")}
    r.participation(p["anne"], dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    rb = helpers.Register(Actor.for_user(users["bergen"], source_system="NIR-test"))
    p["berit"] = rb.person("Berit", "Berg", municipality="4601")
    return p
