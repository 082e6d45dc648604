"""Builders of hand-made registers for tests: registration times in Norwegian time, synthetic
persons and their facts written through the one write path (``nir.register.services``), so that
every person gets the DerivedStatus rows the Regelmotor registers; users of an organisation.

Shared by the test suites of reports, web pages, the API and the audit log (import it; it needs a
configured Django and a database).
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

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


def make_user(django_user_model, username: str, org_code: str | None = None, **extra):
    """A user of the organisation with code ``org_code`` (loaded by migrate), or of none."""
    org = Organisation.objects.get(code=org_code) if org_code else None
    return django_user_model.objects.create_user(username=username, password=None, organisation=org, **extra)
