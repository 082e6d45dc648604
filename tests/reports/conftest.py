"""Fixtures of the report tests: a caseworker in Trondheim and a builder of hand-made
registers that writes through the one write path (``nir.register.services``), so that
every person gets the DerivedStatus rows the Regelmotor registers."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from nir import identity
from nir.access.models import Organisation
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

    def person(self, first_name: str, last_name: str, *, municipality="5001", district="",
               when: dt.datetime = T0, permit=dt.date(2025, 10, 1), settled=dt.date(2025, 11, 1),
               follow_up_from=dt.date(2025, 11, 1), follow_up_to=None, basis="utl_28",
               birth=dt.date(1990, 1, 15), education="below_upper_secondary") -> m.Person:
        """A person in the target group of integreringsloven § 8 (by default utl. § 28, settled by agreement)."""
        duf = identity.make_duf(f"2026{next(_duf_counter):06d}")
        person = services.create_person(duf, {
            "national_id": synthetic_id(birth), "first_name": first_name, "last_name": last_name,
            "birth_date": birth, "sex": "female", "education": education, "protected_identity": False,
        }, self.actor, at=when).row
        self.add(person, m.ResidencePermit, {"basis": basis, "decision_date": permit}, when)
        self.add(person, m.Settlement, {"municipality": municipality, "district": district,
                                        "settlement_date": settled, "by_agreement": True}, when)
        self.add(person, m.FollowUp, {"municipality": municipality, "district": district,
                                      "valid_from": follow_up_from, "valid_to": follow_up_to}, when)
        return person

    def add(self, person, model, values, when=T0):
        return services.register(person, model, values, self.actor, at=when).row

    def participation(self, person, start: dt.date, *, goal: str | None = None, when: dt.datetime = T0):
        decision = self.add(person, m.Decision, {"scheme": "intro", "decision_type": "participation",
                                                 "decision_date": start, "start_date": start}, when)
        if goal:
            self.add(person, m.FinalGoal, {"scheme": "intro", "goal": goal}, when)
        return decision

    def loss_due_to_work(self, person, day: dt.date, *, when: dt.datetime = T0):
        return self.add(person, m.Decision, {"scheme": "intro", "decision_type": "loss_due_to_work",
                                             "decision_date": day}, when)

    def termination(self, person, day: dt.date, *, type_="completed", reason="work", hours=None,
                    when: dt.datetime = T0):
        return self.add(person, m.Termination, {"scheme": "intro", "termination_type": type_,
                                                "termination_reason": reason, "hours_work_per_week": hours,
                                                "termination_date": day}, when)


@pytest.fixture
def caseworker(db, django_user_model):
    org = Organisation.objects.get(code="k-5001")  # Trondheim, loaded by migrate
    return django_user_model.objects.create_user(username="saksbehandler-5001", password=None, organisation=org)


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
    r.termination(p["david"], dt.date(2026, 6, 30), type_="completed", reason="work", hours=Decimal("37.5"),
                  when=at(2026, 7, 1))
    p["eva"] = r.person("Eva", "Fjell", municipality="0301", district="030101")
    r.loss_due_to_work(p["eva"], dt.date(2026, 1, 5))
    p["frida"] = r.person("Frida", "Gran")
    r.participation(p["frida"], dt.date(2026, 2, 2), when=at(2026, 3, 1))
    p["gunnar"] = r.person("Gunnar", "Holm", permit=dt.date(2019, 5, 1), settled=dt.date(2019, 6, 1),
                           follow_up_from=dt.date(2019, 6, 1))
    r.participation(p["gunnar"], dt.date(2019, 8, 1))
    r.termination(p["gunnar"], dt.date(2020, 3, 1), type_="aborted", reason="health")
    r.termination(p["gunnar"], dt.date(2021, 6, 30), type_="completed", reason="education")
    p["hanne"] = r.person("Hanne", "Ild", municipality="4601")
    r.participation(p["hanne"], dt.date(2026, 1, 5))
    p["ivar"] = r.person("Ivar", "Jensen")
    r.loss_due_to_work(p["ivar"], dt.date(2026, 3, 2), when=at(2026, 3, 3))
    return p
