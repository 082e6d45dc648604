"""Plain helpers of the register tests (no fixtures): times, synthetic
identifiers, table counts and interchange lines."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from nir import identity
from nir.register import models as m

OSLO = ZoneInfo("Europe/Oslo")


def at(year, month, day, hour=12, minute=0) -> dt.datetime:
    """A registration time in Norwegian local time (always in the past of the test run)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=OSLO)


T0 = at(2026, 1, 10, 9)  # the person becomes known to the register


def synthetic_id(birth_date: dt.date, *, d_number: bool = False, start: int = 0) -> str:
    """A synthetic fødselsnummer/D-nummer (month + 80) for ``birth_date``; never a real person's."""
    lo, hi = identity.individual_range(birth_date.year)
    for individual in range(max(lo, start), hi + 1):
        number = identity.make_synthetic_national_id(birth_date, individual, d_number=d_number)
        if number:
            return number
    raise AssertionError(f"no synthetic number for {birth_date}")


def register_counts() -> dict[str, int]:
    """Row counts of every register table (the anchor and every registration model)."""
    counts = {"Person": m.Person.objects.count()}
    for model in m.REGISTRATION_MODELS:
        counts[model.__name__] = model.objects.count()
    return counts


def interchange_line(
    duf: str,
    facts: dict,
    *,
    first_name="Test",
    last_name="Testesen",
    follow_up_municipality: str | None = "5001",
    registered_at: str | None = None,
) -> dict:
    line = {"duf": duf, "first_name": first_name, "last_name": last_name, "facts": facts}
    if follow_up_municipality is not None:
        line["follow_up_municipality"] = follow_up_municipality
    if registered_at is not None:
        line["registered_at"] = registered_at
    return line


def basic_facts(**overrides) -> dict:
    """Facts of an ordinary participant, in the interchange format (regelmotor.md §§ 7–8)."""
    facts = {
        "birth_date": "1990-01-15",
        "national_id": synthetic_id(dt.date(1990, 1, 15)),
        "education": "below_upper_secondary",
        "permits": [{"basis": "utl_28", "decision_date": "2025-10-01", "arrival_date": None}],
        "settlements": [{"municipality": "5001", "date": "2025-11-01", "by_agreement": True}],
        "decisions": [
            {
                "scheme": "intro",
                "type": "participation",
                "decision_date": "2026-01-05",
                "start_date": "2026-01-05",
                "end_date": None,
            }
        ],
        "final_goal": "work_no_vgo_2026",
        "extension_months": 0,
        "absences": [{"scheme": "intro", "kind": "absence", "from": "2026-03-02", "to": "2026-03-06"}],
    }
    facts.update(overrides)
    return facts


def write_jsonl(path, lines) -> str:
    """Write interchange lines (dicts, or raw strings for deliberately broken lines)."""
    with open(path, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n")
    return str(path)
