"""Fixtures of the report tests: a caseworker in Trondheim and a builder of hand-made
registers that writes through the one write path (``nir.register.services``), so that
every person gets the DerivedStatus rows the Regelmotor registers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from nir.register import models as m
from nir.register import services
from nir.register.actors import Actor
from nir.testing.builders import T0, Register, at, make_user  # noqa: F401 (test modules import at and T0 from here)


@pytest.fixture
def caseworker(db, django_user_model):
    return make_user(django_user_model, "saksbehandler-5001", "k-5001")  # Trondheim, a caseworker


@pytest.fixture
def register(caseworker) -> Register:
    return Register(Actor.for_user(caseworker, source_system="NIR-test"))


@pytest.fixture
def world(register):
    """A hand-made register (registration times in 2026, Norwegian time):

    avvik-sluttmaal — Anne Aas (5001 until 31.05.2026, then 4601; no final goal), Bjorn Berg (5001; 2026 goal,
    start 01.12.2025; renamed «Bergh» 01.04.2026), Cecilie Dahl (Oslo, Grünerløkka 030102; old goal, start
    05.01.2026, corrected to a 2026 goal 01.03.2026), Frida Gran (5001; participation without goal registered
    01.03.2026), Hanne Ild (4601; no final goal). David Eng (5001) has no deviation.
    bortfall-arbeid — Eva Fjell (Oslo, Gamle Oslo 030101; decision 05.01.2026), Ivar Jensen (5001; decision
    02.03.2026 registered 03.03.2026).
    avsluttet-intro — the Regelmotor's closures of Eva and Ivar; David Eng completed 30.06.2026 (registered
    01.07.2026, 37,5 hours of work); Gunnar Holm (introduksjonsloven) with two terminations.
    """
    r = register
    p = {}
    p["anne"] = r.person("Anne", "Aas", follow_up_to=dt.date(2026, 5, 31))
    r.participation(p["anne"], dt.date(2026, 1, 5))
    r.add(p["anne"], m.FollowUp, {"municipality": "4601", "valid_from": dt.date(2026, 6, 1)}, at(2026, 6, 1))
    p["bjorn"] = r.person("Bjorn", "Berg")
    r.participation(p["bjorn"], dt.date(2025, 12, 1), goal="work_no_vgo_2026")
    details = m.PersonDetails.objects.current().get(person=p["bjorn"])
    services.correct(details, {"last_name": "Bergh"}, "Feil stavemåte", r.actor, at=at(2026, 4, 1))
    p["cecilie"] = r.person("Cecilie", "Dahl", municipality="0301", district="030102")
    r.participation(p["cecilie"], dt.date(2026, 1, 5), goal="work_no_vgo_old")
    goal = m.FinalGoal.objects.current().get(person=p["cecilie"])
    services.correct(goal, {"goal": "work_no_vgo_2026"}, "Feil sluttmål", r.actor, at=at(2026, 3, 1))
    p["david"] = r.person("David", "Eng")
    r.participation(p["david"], dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    r.termination(
        p["david"], dt.date(2026, 6, 30), type_="completed", reason="work", hours=Decimal("37.5"), when=at(2026, 7, 1)
    )
    p["eva"] = r.person("Eva", "Fjell", municipality="0301", district="030101")
    r.loss_due_to_work(p["eva"], dt.date(2026, 1, 5))
    p["frida"] = r.person("Frida", "Gran")
    r.participation(p["frida"], dt.date(2026, 2, 2), when=at(2026, 3, 1))
    p["gunnar"] = r.person(
        "Gunnar", "Holm", permit=dt.date(2019, 5, 1), settled=dt.date(2019, 6, 1), follow_up_from=dt.date(2019, 6, 1)
    )
    r.participation(p["gunnar"], dt.date(2019, 8, 1))
    r.termination(p["gunnar"], dt.date(2020, 3, 1), type_="aborted", reason="health")
    r.termination(p["gunnar"], dt.date(2021, 6, 30), type_="completed", reason="education")
    p["hanne"] = r.person("Hanne", "Ild", municipality="4601")
    r.participation(p["hanne"], dt.date(2026, 1, 5))
    p["ivar"] = r.person("Ivar", "Jensen")
    r.loss_due_to_work(p["ivar"], dt.date(2026, 3, 2), when=at(2026, 3, 3))
    return p
