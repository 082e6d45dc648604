"""Conformance cases (regelmotor.md § 7): every case in the shared folder and in tests/rules/cases,
one parametrised test each; plus the comparison, the CLI functions and the management command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from nir.rules import cli
from nir.rules.cases import Mismatch, check_case, compare, find_cases, load_case

# The shared conformance cases; on machines without the shared folder, the copy kept in
# tests/data/cases (checked against the shared folder by tests/register/test_conformance_cases_import.py).
SHARED = next(
    (p for p in (Path("/work/shared/domain/cases"), Path(__file__).parents[1] / "data" / "cases") if p.is_dir()),
    Path("/work/shared/domain/cases"),
)
OURS = Path(__file__).parent / "cases"
CASE_FILES, _missing = find_cases([p for p in (SHARED, OURS) if p.exists()])


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case(path):
    case = load_case(path)
    mismatches = check_case(case)
    assert not mismatches, "\n".join(f"{path.name}: {m}" for m in mismatches)


def test_our_cases_are_documented():
    files = sorted(OURS.rglob("*.json"))
    assert len(files) >= 60
    for f in files:
        raw = json.loads(f.read_text(encoding="utf-8"))
        assert raw.get("description") and raw.get("source"), f.name
        assert set(raw) == {"description", "source", "as_of", "facts", "expect"}, f.name


def test_shared_cases_present():
    assert len(list(SHARED.glob("*.json"))) == 10


def test_compare_checks_only_expected_keys():
    assert compare({"a": 1}, {"a": 1, "b": 2}) == []
    assert compare({"a": {"b": None}}, {"a": {"b": None, "c": 3}}) == []
    [m] = compare({"a": {"b": 1}}, {"a": {"b": 2}})
    assert m.key == "a.b" and m.expected == 1 and m.actual == 2
    assert compare({"x": 1}, {})[0].actual == "<mangler>"


def test_compare_lists_as_sets_and_types():
    assert compare({"errors": ["b", "a"]}, {"errors": ["a", "b"]}) == []
    assert compare({"errors": []}, {"errors": ["a"]})
    assert compare({"closed": None}, {"closed": {"status": "Avbrutt"}})
    assert compare({"n": 1}, {"n": True})  # a bool is not a number
    assert compare({"d": {"status": "x"}}, {"d": None})


def test_mismatch_text():
    assert (
        str(Mismatch("intro.deadline", "2028-01-18", "2028-01-19"))
        == 'intro.deadline: forventet "2028-01-18", fikk "2028-01-19"'
    )


def _write(tmp_path: Path, name: str, doc) -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return p


def test_check_reports_each_failing_expectation_and_summary(tmp_path):
    good = json.loads((SHARED / "absence_and_leave_over_10_workdays_extend.json").read_text(encoding="utf-8"))
    bad = json.loads(json.dumps(good))
    bad["expect"]["intro"]["deadline"] = "2028-01-18"
    bad["expect"]["errors"] = ["x"]
    _write(tmp_path, "a_good.json", good)
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub", "b_bad.json", bad)  # folders are searched recursively
    _write(tmp_path, "c_broken.json", "{")
    out = io.StringIO()
    status = cli.check([tmp_path], out)
    lines = out.getvalue().splitlines()
    assert status == 1
    assert lines[-1] == "1 passed, 2 failed"
    assert any('b_bad.json: intro.deadline: forventet "2028-01-18", fikk "2028-01-19"' in line for line in lines)
    assert any("b_bad.json: errors:" in line for line in lines)
    assert any("c_broken.json: kan ikke lese casen" in line for line in lines)


def test_check_passes_and_missing_path_fails(tmp_path):
    out = io.StringIO()
    assert cli.check([SHARED / "law_introduksjonsloven_before_2021.json"], out) == 0
    assert out.getvalue() == "1 passed, 0 failed\n"
    out = io.StringIO()
    assert cli.check([tmp_path / "nope"], out) == 1


def test_evaluate_prints_full_result_with_explanations():
    out = io.StringIO()
    assert cli.evaluate_case_file(SHARED / "loss_due_to_work_closes_programme.json", out) == 0
    doc = json.loads(out.getvalue())
    assert doc["intro"]["closed"]["registered_by"] == "Regelmotor"
    assert doc["explanations"]["intro.closed"][0]["rule"] == "loss_due_to_work_closes"


def test_management_command_check_and_evaluate(capsys):
    """nir rules check / evaluate through Django's call_command (no database needed)."""
    from django.core.management import call_command

    call_command("rules", "check", str(SHARED), str(OURS))
    assert capsys.readouterr().out.strip().endswith(f"{len(CASE_FILES)} passed, 0 failed")
    call_command("rules", "evaluate", str(SHARED / "deadline_work_vgo_12_months.json"))
    assert json.loads(capsys.readouterr().out)["intro"]["deadline"] == "2027-02-01"


def test_management_command_exit_status(tmp_path):
    from django.core.management import call_command

    bad = json.loads((SHARED / "law_introduksjonsloven_before_2021.json").read_text(encoding="utf-8"))
    bad["expect"]["law"] = "integreringsloven"
    p = _write(tmp_path, "bad.json", bad)
    with pytest.raises(SystemExit) as e:
        call_command("rules", "check", str(p), stdout=io.StringIO())
    assert e.value.code == 1


def test_cases_are_found_at_the_top_level_and_in_paragraph_folders(tmp_path):
    """Cases are filed by paragraph (tests/rules/cases/il_08/…); a case still at the top level runs too."""
    src = next(OURS.rglob("*.json"))
    (tmp_path / "il_08").mkdir()
    (tmp_path / "il_08" / "a.json").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.json").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    files, missing = find_cases([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["b.json", "il_08/a.json"] and not missing
    out = io.StringIO()
    assert cli.check([tmp_path], out) == 0 and out.getvalue().endswith("2 passed, 0 failed\n")


def test_our_cases_are_filed_by_paragraph():
    """Each folder under tests/rules/cases is a paragraph (docs/regler/ links its cases)."""
    folders = {p.parent.relative_to(OURS).as_posix() for p in OURS.rglob("*.json")} - {"."}
    assert {"il_08", "il_13_14", "if_10_19", "il_26_28", "il_32", "if_43h", "il_37", "if_72"} <= folders
