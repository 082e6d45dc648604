"""The grant engine is pure like the Regelmotor: no web or database imports (issue 20: «written the way the
Regelmotor's rules are»)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nir.grants.engine

ENGINE_DIR = Path(nir.grants.engine.__file__).parent


def test_importing_the_grant_engine_does_not_import_django():
    code = (
        "import sys\n"
        "import nir.grants.engine, nir.grants.engine.rounds, nir.grants.engine.examples\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_django_import_in_the_engine_source():
    offenders = [
        f"{p}: {line.strip()}"
        for p in ENGINE_DIR.rglob("*.py")
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith(("import django", "from django"))
    ]
    assert offenders == []
