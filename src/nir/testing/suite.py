"""Run the whole test suite: once on SQLite, once on a throwaway PostgreSQL.

    python -m nir.testing.suite [pytest args…]

First the static checks (``CHECKS``: ruff's lint and format check over ``src``, ``tests`` and
``bench``; mypy, strict on the Regelmotor, the register, the action layer and ``nir.db``; both as
configured in ``pyproject.toml``). The first pass runs every test against
the embedded SQLite database. The second starts a private PostgreSQL server (``nir.testing.pg``) and runs every
test that touches the database again, plus the PostgreSQL-only tests. If
PostgreSQL cannot be started the run fails: nothing is skipped silently.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from nir.testing.pg import PostgresUnavailable, ThrowawayPostgres


def _pytest(args: list[str], env: dict[str, str]) -> int:
    cmd = [sys.executable, "-m", "pytest", *args]
    print(f"\n=== {env.get('NIR_TEST_PASS')}: {' '.join(cmd)}", flush=True)
    return subprocess.call(cmd, env=env)


# Static checks, run from the project root before the tests; each must exit 0.
CHECKS: list[list[str]] = [
    [sys.executable, "-m", "ruff", "check", "src", "tests", "bench"],
    [sys.executable, "-m", "ruff", "format", "--check", "src", "tests", "bench"],
    [sys.executable, "-m", "mypy"],
]


def _checks() -> int:
    """Run every static check; the number that failed."""
    failed = 0
    for cmd in CHECKS:
        print(f"\n=== check: {' '.join(cmd[2:] if cmd[0] == sys.executable else cmd)}", flush=True)
        if subprocess.call(cmd) != 0:
            failed += 1
    return failed


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    base = dict(os.environ)
    base.pop("DATABASE_URL", None)
    base.setdefault("NIR_VAR_DIR", tempfile.mkdtemp(prefix="nir-test-var-"))

    checks_failed = _checks()
    sqlite_rc = _pytest(args, dict(base, NIR_TEST_PASS="sqlite"))
    try:
        with ThrowawayPostgres() as url:
            pg_rc = _pytest(args, dict(base, NIR_TEST_PASS="postgresql", DATABASE_URL=url))
    except PostgresUnavailable as e:
        print(f"\nFEIL: PostgreSQL-testene kunne ikke kjøres: {e}", file=sys.stderr)
        pg_rc = 1
    print(
        f"\n=== Kontroller: {'OK' if checks_failed == 0 else f'{checks_failed} FEILET'}; "
        f"SQLite-pass: {'OK' if sqlite_rc == 0 else 'FEILET'}; "
        f"PostgreSQL-pass: {'OK' if pg_rc == 0 else 'FEILET'}",
        flush=True,
    )
    # pytest exit code 5 = no tests collected (e.g. a -k filter matching only non-db tests on the PG pass)
    return 0 if checks_failed == 0 and sqlite_rc == 0 and pg_rc in (0, 5) else 1


if __name__ == "__main__":
    sys.exit(main())
