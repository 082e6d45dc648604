"""The engine is a library with no web or database imports (regelmotor.md § 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nir.rules

RULES_DIR = Path(nir.rules.__file__).parent


def test_importing_nir_rules_does_not_import_django():
    """regelmotor.md § 1 'Pure and deterministic': no web or database imports."""
    code = (
        "import sys, datetime, json, glob\n"
        "import nir.rules, nir.rules.cases, nir.rules.cli\n"
        "from nir.rules import evaluate\n"
        "evaluate({'birth_date': '1990-01-01', 'permits': [{'basis': 'utl_28', 'decision_date': '2025-01-01'}]},"
        " datetime.date(2026, 1, 1))\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_django_import_in_source():
    offenders = [
        f"{p}: {line.strip()}"
        for p in RULES_DIR.rglob("*.py")
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith(("import django", "from django"))
    ]
    assert offenders == []


def test_same_facts_same_result(facts):
    import datetime as dt

    a = nir.rules.evaluate(facts, dt.date(2026, 6, 1)).to_json()
    b = nir.rules.evaluate(facts, dt.date(2026, 6, 1)).to_json()
    assert a == b
