"""Shared by the payment-round tests: a register built with the interchange import, and a stand-in scheme.

The schemes of the engine (``integration``, ``um`` …) are written by other helpers of issue 20; these tests
are about the rounds around the engine, so they compute with ``test_integration``: a stand-in scheme
registered for the test only (``monkeypatch``), reading only what the register's interchange import
already stores — a person's first settlement (date and municipality). It pays 120,000 kroner a grant
year (for the settlement year and the four after it) earned by month from the settlement month to the
recipient of the settlement's municipality. The rounds' own logic (as known at, paid before, arrears,
settlements, freezing) is the same whatever the scheme.

The grants' new register facts (``settlements[].kind``, ``household_id``, Folkeregister residences …)
are not yet accepted by ``nir import`` on this branch (an unknown key is refused), so the register is
built from the keys it accepts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from nir.actions.acting import Acting
from nir.actions.imports import import_person
from nir.grants import engine
from nir.grants.engine.model import Line, Outcome
from nir.register.interchange import parse_line

OSLO = ZoneInfo("Europe/Oslo")
SCHEME = "test_integration"
ANNUAL = Decimal(120_000)


def at(y: int, mo: int, d: int, h: int = 12) -> dt.datetime:
    return dt.datetime(y, mo, d, h, tzinfo=OSLO)


def stand_in(ctx: engine.Context, person: engine.PersonFacts, grant_year: int) -> Outcome:
    s = person.first_settlement
    out = Outcome()
    if s is None or not 0 <= grant_year - s.date.year <= 4:
        return out
    first_month = s.date.month if grant_year == s.date.year else 1
    earned = tuple(dt.date(grant_year, mo, 1) for mo in range(first_month, 13))
    out.lines.append(
        Line(
            person.id,
            "AR-2",
            grant_year,
            f"municipality:{s.municipality}",
            ANNUAL * len(earned) / 12,
            "test.stand_in",
            None,
            f"Bosatt i {s.municipality} {s.date:%d.%m.%Y} (prøveordning).",
            grant_year - s.date.year + 1,
            (earned[0], dt.date(grant_year, 12, 31)),
            earned=earned,
            facts_used=(s.path,),
        )
    )
    return out


IMPORTER = Acting.system("Testimport", channel="system")


def register(duf: str, *, settled: dt.date, municipality: str, when: dt.datetime, update: bool = False):
    """Import (or, ``update``, re-import as the person's new snapshot) one person settled by agreement."""
    line = {
        "duf": duf,
        "first_name": "Test",
        "last_name": f"Person {duf[-3:]}",
        "registered_at": when.isoformat(),
        "follow_up_municipality": municipality,
        "facts": {
            "birth_date": "1990-05-01",
            "permits": [{"basis": "utl_28", "decision_date": (settled - dt.timedelta(days=60)).isoformat()}],
            "settlements": [{"municipality": municipality, "date": settled.isoformat(), "by_agreement": True}],
        },
    }
    parsed = parse_line(line)
    assert not parsed.problems, parsed.problems
    return import_person(IMPORTER, parsed, at=when, update=update)
