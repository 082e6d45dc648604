"""The worked examples of grants.md A.10 (``grant-examples.json``) and our own grant cases pass
``nir grants check`` (issue 20)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nir.grants.engine import examples

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "domain" / "grant-examples.json"
OWN = Path(__file__).parent / "cases"


def _all() -> list[tuple[str, dict, dict]]:
    out = []
    for f in [SHARED, *sorted(OWN.rglob("*.json"))]:
        if f.exists():
            exs, sources = examples.load(f)
            out += [(f"{f.name}:{e.get('id')}", e, sources) for e in exs]
    return out


@pytest.mark.parametrize(("name", "example", "sources"), _all(), ids=[n for n, _, _ in _all()])
def test_example(name, example, sources):
    assert examples.check(example, sources) == []


@pytest.mark.skipif(not SHARED.exists(), reason="the shared examples are beside the repository")
def test_the_fifteen_shared_examples_are_all_there():
    exs, _ = examples.load(SHARED)
    assert len(exs) == 15


def test_run_reports_passed_and_failed_and_exits_nonzero_on_a_failure(tmp_path):
    bad = {"id": "X", "scheme": "integration_grant", "grant_year": 2024, "persons": [], "expected": {"total": 5}}
    (tmp_path / "bad.json").write_text(__import__("json").dumps(bad), encoding="utf-8")
    out = io.StringIO()
    assert examples.run([tmp_path], out) == 1
    assert out.getvalue().splitlines()[-1] == "0 passed, 1 failed"
    assert examples.run([tmp_path / "missing.json"], io.StringIO()) == 1
