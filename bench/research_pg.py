"""Benchmark: the pseudonymised research extract (``nir export research``) of a PostgreSQL register.

    python bench/research_pg.py [--persons N] [--database-url URL] [--derive] [--keep-output]

Starts a throwaway PostgreSQL (or uses ``--database-url``: an already loaded
database, which is then only read), migrates, loads N synthetic persons
(default 1,000,000; 13.7 M rows) with ``nir synth`` — and with ``--derive`` the
Regelmotor's ``DerivedStatus`` rows with ``nir rules reevaluate`` — then times
``nir export research`` end to end (process start, pseudonyms, COPY of every
table, coarsening, Parquet): seconds, rows/s and the size of the output.

Target (docs/research-extract.md): the whole extract of 1,000,000 persons in
≤ 2 minutes on 2 cores. The key is a throwaway one in a temporary directory.
A JSON summary goes to ``bench/out/research_pg-N.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import nir_command as _nir
from _common import server, write_summary

NOW = "2026-11-22T12:00:00+01:00"
TARGET_SECONDS = 120


_MISSING = (
    "import django, json; django.setup(); from django.db import connection; "
    "from nir.reports.research import extract_models; t = set(connection.introspection.table_names()); "
    "print(json.dumps([m.__name__ for m in extract_models() if m._meta.db_table not in t]))"
)
# The same extract as 'nir export research', leaving out models whose tables a database loaded before
# their migration does not have (it cannot hold rows of them; the extract itself refuses such a database).
_EXPORT_WITHOUT = (
    "import django, sys; django.setup(); from nir.reports import research; skip = set(sys.argv[3:]); "
    "s = research.write_research_extract(sys.argv[1], key=open(sys.argv[2], 'rb').read(), "
    "models_=[m for m in research.extract_models() if m.__name__ not in skip]); "
    "print(f'{len(s.parquet_files)} filer, {s.rows} rader på {s.seconds:.1f} s (uten {sorted(skip)})', file=sys.stderr)"
)


def measure(url: str, persons: int, skip_load: bool, derive: bool, keep_output: bool) -> dict:
    var = tempfile.mkdtemp(prefix="nir-bench-var-")
    env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=var)
    env.pop("NIR_RESEARCH_KEY", None)
    out: dict = {"persons": persons, "loaded_here": not skip_load}
    if not skip_load:
        subprocess.run([*_nir(), "migrate", "-v0"], check=True, env=env)
        t = time.perf_counter()
        subprocess.run([*_nir(), "synth", "--persons", str(persons), "--now", NOW, "--quiet"], check=True, env=env)
        out["synth_seconds"] = round(time.perf_counter() - t, 1)
        print(f"synth: {persons:,} persons in {out['synth_seconds']} s", flush=True)
        if derive:
            t = time.perf_counter()
            subprocess.run([*_nir(), "rules", "reevaluate", "--quiet"], check=True, env=env, capture_output=True)
            out["reevaluate_seconds"] = round(time.perf_counter() - t, 1)
            print(f"reevaluate: {out['reevaluate_seconds']} s", flush=True)

    dest = Path(tempfile.mkdtemp(prefix="nir-bench-research-")) / "extract"
    key = Path(var) / "bench.key"
    key.write_bytes(os.urandom(32))
    py_env = dict(env, DJANGO_SETTINGS_MODULE="nir.settings")
    missing = json.loads(
        subprocess.run([sys.executable, "-c", _MISSING], check=True, env=py_env, capture_output=True, text=True).stdout
    )
    if missing:
        out["skipped_models"] = missing
        print(
            f"note: the database has no table for {', '.join(missing)} (loaded before that migration): "
            "extracting the other tables",
            flush=True,
        )
        cmd = [sys.executable, "-c", _EXPORT_WITHOUT, str(dest), str(key), *missing]
    else:
        cmd = [*_nir(), "export", "research", "--out", str(dest), "--key-file", str(key), "--quiet"]
    t = time.perf_counter()
    r = subprocess.run(cmd, check=True, env=py_env, capture_output=True, text=True)
    secs = time.perf_counter() - t
    print("   " + r.stderr.strip().replace("\n", "\n   "), flush=True)
    manifest = json.loads((dest / "manifest.json").read_text())
    files = manifest["files"]
    rows = sum(f.get("rows", 0) for f in files.values())
    size = sum(f["bytes"] for f in files.values())
    out.update(
        export_seconds=round(secs, 1),
        rows=rows,
        rows_per_second=round(rows / secs),
        output_bytes=size,
        output_mb=round(size / 1e6, 1),
        files=len(files),
        rows_per_file={k: v["rows"] for k, v in files.items() if "rows" in v},
        target_seconds=TARGET_SECONDS,
        within_target=secs <= TARGET_SECONDS,
    )
    print(
        f"export research: {secs:.1f} s, {rows:,} rows, {rows / secs:,.0f} rows/s, "
        f"{size / 1e6:,.1f} MB in {len(files)} files (target ≤ {TARGET_SECONDS} s: "
        f"{'met' if secs <= TARGET_SECONDS else 'NOT met'})",
        flush=True,
    )
    if keep_output:
        out["output_dir"] = str(dest)
        print(f"output kept in {dest}", flush=True)
    else:
        shutil.rmtree(dest.parent, ignore_errors=True)
    shutil.rmtree(var, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--database-url", help="use this (already loaded) database instead of a throwaway one; only read")
    ap.add_argument(
        "--derive",
        action="store_true",
        help="also run 'nir rules reevaluate' before the export (DerivedStatus rows; throwaway database only)",
    )
    ap.add_argument("--keep-output", action="store_true", help="keep the extract (default: removed)")
    args = ap.parse_args(argv)
    with server(args.database_url) as url:
        out = measure(url, args.persons, bool(args.database_url), args.derive, args.keep_output)
    write_summary("research_pg", args.persons, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
