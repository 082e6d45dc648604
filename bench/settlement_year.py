"""A full settlement year in PostgreSQL for the Bosetting benchmarks (issue 17), and its own timing.

As a helper of the other benches::

    from settlement_year import build_year
    with server(None) as url:
        env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=var)
        build_year(env, out)            # migrate + 15,000 cases, 357 municipalities, vacuumed

As a benchmark (``make bench`` runs it; ``--persons`` is accepted and not used: the year is sized by
cases)::

    python bench/settlement_year.py [--cases 15000] [--year 2026]

builds the year in a throwaway PostgreSQL with ``nir synth settlement --settlement-cases N`` (the
generator of ``nir.synth.settlement``: need with revisions, request, decisions, capacity, cases,
mapping, proposals, agreements, settled households with their register persons), prints the time
and the row counts, and writes ``bench/out/settlement_year-CASES.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from _common import NOW, nir_command, server, write_summary

YEAR = 2026  # the year of the benchmarks' NOW: its ready cases are current, its request uses the 2026 criteria
CASES = 15_000


def build_year(env: dict, out: dict, *, cases: int = CASES, year: int = YEAR, migrate: bool = True) -> None:
    """Migrate (unless told not to) and generate the settlement year ``year`` with ``cases`` cases into the
    database of ``env["DATABASE_URL"]``, then vacuum and analyse it; the timing goes into ``out``."""
    if migrate:
        subprocess.run([*nir_command(), "migrate", "-v0"], check=True, env=env)
    t = time.perf_counter()
    subprocess.run(
        [
            *nir_command(),
            "synth",
            "settlement",
            "--settlement-year",
            str(year),
            "--settlement-cases",
            str(cases),
            "--now",
            NOW,
            "--quiet",
        ],
        check=True,
        env=env,
    )
    out["settlement_year_seconds"] = round(time.perf_counter() - t, 1)
    if env["DATABASE_URL"].startswith("postgres"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
            conn.execute("CHECKPOINT")
            counts = {}
            for table in (
                "settlement_settlementcase",
                "settlement_casemember",
                "settlement_mapping",
                "settlement_proposal",
                "settlement_agreement",
                "settlement_casesettlement",
                "settlement_capacityline",
                "settlement_municipaldecision",
            ):
                row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                counts[table] = row[0] if row else 0
            out["rows"] = counts
    print(f"settlement year {year}: {cases:,} cases built in {out['settlement_year_seconds']} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=None, help="accepted for make bench; not used")
    ap.add_argument("--cases", type=int, default=CASES)
    ap.add_argument("--year", type=int, default=YEAR)
    ap.add_argument("--database-url", help="an existing database instead of a throwaway PostgreSQL")
    args = ap.parse_args(argv)
    out: dict = {"cases": args.cases, "year": args.year}
    with server(args.database_url) as url, tempfile.TemporaryDirectory(prefix="nir-bench-var-") as var:
        env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=var)
        build_year(env, out, cases=args.cases, year=args.year)
        summary = subprocess.run(
            [*nir_command(), "synth", "settlement-summary", "--settlement-year", str(args.year), "--now", NOW],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
        print(summary)
    write_summary("settlement_year", args.cases, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
