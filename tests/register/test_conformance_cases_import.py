"""Every conformance case's ``facts`` is a valid register interchange line (regelmotor.md §§ 7–8:
"the same facts object is the unit of bulk import and export").

The cases are copied into ``tests/data/cases`` from ``shared/domain/cases``. Import goes
through the one write path, so the Regelmotor judges every line: a case whose facts break
a rule (``expect.errors``) is refused with that rule; every other case imports unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
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
        identity.make_duf(f"20269{i:05d}"),
        facts,
        first_name=f"Kasus{i}",
        last_name="Konformansesen",
        follow_up_municipality=munis[-1] if munis else None,
    )


@pytest.mark.django_db
def test_every_case_imports_and_exports_unchanged(tmp_path):
    """Cases without rule errors import unchanged; a case with errors is refused naming the rule."""
    cases = [json.loads(p.read_text(encoding="utf-8")) for p in CASES]
    lines = [_case_line(i, c) for i, c in enumerate(cases)]
    breaking = [i for i, c in enumerate(cases) if c.get("expect", {}).get("errors")]
    assert breaking, "the shared cases include one that breaks a rule"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", write_jsonl(tmp_path / "cases.jsonl", lines), stdout=out, stderr=err)
    assert f"{len(lines) - len(breaking)} personer lagret, {len(breaking)} linjer avvist" in out.getvalue(), (
        err.getvalue()
    )
    for i in breaking:
        for rule in cases[i]["expect"]["errors"]:
            assert f"linje {i + 1}: " in err.getvalue() and f"[{rule}]" in err.getvalue()
        assert not m.Person.objects.filter(duf=lines[i]["duf"]).exists()
    assert m.Person.objects.count() == len(lines) - len(breaking)

    for i, (path, case, line) in enumerate(zip(CASES, cases, lines)):
        if i in breaking:
            continue
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


@pytest.mark.django_db
def test_loss_due_to_work_case_is_closed_by_the_regelmotor(tmp_path):
    """loss_due_to_work_closes_programme: importing the decision makes the Regelmotor register the
    avslutning «Avbrutt» / «Vedtak om bortfall av rett og plikt pga. arbeid» on the decision date
    (il. § 8 fourth paragraph; 004), registered by Regelmotor, and derive category none."""
    path = CASES_DIR / "loss_due_to_work_closes_programme.json"
    line = _case_line(98, json.loads(path.read_text(encoding="utf-8")))
    call_command("import", write_jsonl(tmp_path / "c.jsonl", [line]), stdout=io.StringIO(), stderr=io.StringIO())
    person = m.Person.objects.get(duf=line["duf"])
    term = m.Termination.objects.current().get(person=person)
    assert (term.scheme, term.termination_type, term.termination_reason) == ("intro", "aborted", "loss_due_to_work")
    assert term.termination_date == dt.date(2026, 1, 5)
    assert (term.registered_by_kind, term.registered_by_system, term.registered_by_label) == (
        "system",
        "Regelmotor",
        "Regelmotor",
    )
    status = m.DerivedStatus.objects.current().get(person=person)
    assert status.intro_category == "none" and status.intro_closed_date == dt.date(2026, 1, 5)
    assert status.norwegian_category == "right_and_duty" and status.norwegian_deadline == dt.date(2028, 11, 19)
    assert status.registered_by_system == "Regelmotor"
