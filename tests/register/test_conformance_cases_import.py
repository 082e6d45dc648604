"""Every conformance case's ``facts`` is a valid register interchange line (regelmotor.md §§ 7–8:
"the same facts object is the unit of bulk import and export").

The cases are copied into ``tests/data/cases`` from ``shared/domain/cases``. Rules about
the person's situation as a whole (e.g. *Bortfall … arbeid* only without a participation
decision) belong to the rules engine, so even the case expecting that error imports.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from register_support import interchange_line, synthetic_id, write_jsonl

from nir import identity
from nir.register import history
from nir.register import models as m

CASES_DIR = Path(__file__).resolve().parents[1] / "data" / "cases"
SHARED_CASES_DIR = Path(__file__).resolve().parents[3] / "shared" / "domain" / "cases"  # ../shared beside the checkout
CASES = sorted(CASES_DIR.glob("*.json"))


def test_cases_are_present():
    assert len(CASES) >= 10


@pytest.mark.skipif(not SHARED_CASES_DIR.is_dir(), reason="shared/domain/cases not available here")
def test_cases_copy_matches_shared_domain():
    shared = {p.name: p.read_bytes() for p in SHARED_CASES_DIR.glob("*.json")}
    ours = {p.name: p.read_bytes() for p in CASES}
    assert ours == shared


def _case_line(i: int, case: dict) -> dict:
    facts = dict(case["facts"])
    birth = dt.date.fromisoformat(facts["birth_date"])
    facts["national_id"] = synthetic_id(birth)
    munis = [s["municipality"] for s in facts.get("settlements", [])]
    return interchange_line(
        identity.make_duf(f"20269{i:05d}"), facts, first_name=f"Kasus{i}", last_name="Konformansesen",
        follow_up_municipality=munis[-1] if munis else None,
    )


@pytest.mark.django_db
def test_every_case_imports_and_exports_unchanged(tmp_path):
    cases = [json.loads(p.read_text(encoding="utf-8")) for p in CASES]
    lines = [_case_line(i, c) for i, c in enumerate(cases)]
    out, err = io.StringIO(), io.StringIO()
    call_command("import", write_jsonl(tmp_path / "cases.jsonl", lines), stdout=out, stderr=err)
    assert f"{len(lines)} personer lagret, 0 linjer avvist" in out.getvalue(), err.getvalue()
    assert m.Person.objects.count() == len(lines)

    for path, case, line in zip(CASES, cases, lines):
        person = m.Person.objects.get(duf=line["duf"])
        exported = history.snapshot(person)["facts"]
        for key, value in case["facts"].items():
            got = exported.get(key, [] if isinstance(value, list) else None)
            if isinstance(value, list):
                got = [{k: v for k, v in item.items() if k not in ("registered_at", "result")} for item in got]
            assert got == value, f"{path.name}: facts.{key}"


@pytest.mark.django_db
def test_case_with_old_goal_after_2026_warns(tmp_path):
    """deviation_old_goal_after_2026: imported with the warning final_goal_outside_window (§§ 5–6)."""
    path = CASES_DIR / "deviation_old_goal_after_2026.json"
    line = _case_line(99, json.loads(path.read_text(encoding="utf-8")))
    out, err = io.StringIO(), io.StringIO()
    call_command("import", write_jsonl(tmp_path / "c.jsonl", [line]), stdout=out, stderr=err)
    assert "1 med advarsler" in out.getvalue()
    assert "[final_goal_outside_window]" in err.getvalue()
