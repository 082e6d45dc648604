"""Benchmark: ``nir synth`` into a throwaway PostgreSQL.

    python bench/synth_pg.py [PERSONS | --persons PERSONS] [--seed S] [--chunk-size N] [--check-keys auto|triggers]

Starts a private PostgreSQL server (``nir.testing.pg.ThrowawayPostgres``),
runs ``nir migrate`` and then ``nir synth --persons PERSONS`` (default
1,000,000) against it as separate processes, exactly as a user would, and
prints persons/s and rows/s of the synth step (generation, COPY and index
maintenance, end to end) with the row counts and table sizes. The server and
its data are removed afterwards. A JSON summary is written to
``bench/out/synth_pg-PERSONS.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from nir.testing.pg import ThrowawayPostgres

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-22T12:00:00+01:00"  # fixed, so that runs are comparable


def _nir() -> list[str]:
    exe = Path(sys.executable).with_name("nir")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nir.cli"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("persons", nargs="?", type=int, default=None)
    ap.add_argument("--persons", dest="persons_opt", type=int, default=None, help="same as the positional PERSONS")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk-size", type=int, default=25_000)
    ap.add_argument("--check-keys", choices=("auto", "triggers"), default="auto")
    args = ap.parse_args(argv)
    args.persons = args.persons or args.persons_opt or 1_000_000

    with ThrowawayPostgres() as url, tempfile.TemporaryDirectory(prefix="nir-bench-var-") as var:
        env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=var)
        t0 = time.perf_counter()
        subprocess.run([*_nir(), "migrate", "-v0"], check=True, env=env)
        migrate_s = time.perf_counter() - t0
        cmd = [
            *_nir(),
            "synth",
            "--persons",
            str(args.persons),
            "--seed",
            str(args.seed),
            "--now",
            NOW,
            "--chunk-size",
            str(args.chunk_size),
            "--check-keys",
            args.check_keys,
        ]
        print("$", " ".join(cmd[1:] if cmd[0].endswith("nir") else cmd), flush=True)
        t1 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env)
        synth_s = time.perf_counter() - t1

        with psycopg.connect(url) as conn:
            counts = {}
            for (table,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'register_%' ORDER BY 1"
            ).fetchall():
                counts[table] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]

    persons = counts.get("register_person", 0)
    rows = sum(counts.values())
    summary = {
        "persons": persons,
        "rows": rows,
        "synth_seconds": round(synth_s, 2),
        "migrate_seconds": round(migrate_s, 2),
        "persons_per_second": round(persons / synth_s),
        "rows_per_second": round(rows / synth_s),
        "database_bytes": size,
        "counts": counts,
        "check_keys": args.check_keys,
        "chunk_size": args.chunk_size,
        "cpus": os.cpu_count(),
    }
    print()
    print(f"persons:        {persons:>12,}")
    print(f"rows (all):     {rows:>12,}")
    print(f"synth time:     {synth_s:>12.1f} s  (migrate {migrate_s:.1f} s, not included)")
    print(f"persons/s:      {persons / synth_s:>12,.0f}")
    print(f"rows/s:         {rows / synth_s:>12,.0f}")
    print(f"database size:  {size / 2**20:>12,.0f} MiB")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"synth_pg-{args.persons}.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
