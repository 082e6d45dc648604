"""What the PostgreSQL benchmarks share: the ``nir`` command, percentiles, the server and the summary file.

Not a benchmark itself (``run_all.py`` skips files starting with ``_``).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A production-like cache: a quarter of the machine's memory as shared buffers.
SERVER_SETTINGS = {"shared_buffers": "4GB", "effective_cache_size": "16GB"}


def nir_command() -> list[str]:
    exe = Path(sys.executable).with_name("nir")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nir.cli"]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


@contextmanager
def server(database_url: str | None):
    """``database_url`` (an already loaded register) or a throwaway PostgreSQL; yields the URL."""
    sys.path.insert(0, str(ROOT / "src"))
    from nir.testing.pg import ThrowawayPostgres

    with nullcontext(database_url) if database_url else ThrowawayPostgres(settings=SERVER_SETTINGS) as url:
        yield url


# The synthetic register's "now" (nir synth --now): every benchmark loads the same population.
NOW = "2026-11-22T12:00:00+01:00"


def load_register(env: dict, persons: int, out: dict, *, derive: bool = True) -> None:
    """Migrate, load ``persons`` synthetic persons (``nir synth``) and, with ``derive``, derive their
    statuses (``nir rules reevaluate``) into the database of ``env["DATABASE_URL"]``, then vacuum
    and analyse it (PostgreSQL); time it in ``out``."""
    import subprocess
    import time

    subprocess.run([*nir_command(), "migrate", "-v0"], check=True, env=env)
    t = time.perf_counter()
    subprocess.run([*nir_command(), "synth", "--persons", str(persons), "--now", NOW, "--quiet"], check=True, env=env)
    if derive:
        subprocess.run([*nir_command(), "rules", "reevaluate", "--quiet"], check=True, env=env, capture_output=True)
    if env["DATABASE_URL"].startswith("postgres"):
        # As after any bulk load: vacuum and analyse now, or autovacuum does it for the million new
        # rows of each table during the first minutes of measuring (seen: p99 0.9 s at 300/s while
        # it vacuumed the derived statuses, against 21-45 ms on a vacuumed copy of the register).
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
            conn.execute("CHECKPOINT")  # and write the load's dirty pages now, not while measuring
    out["load_seconds"] = round(time.perf_counter() - t, 1)
    print(
        f"loaded {persons:,} persons{' and derived their statuses' if derive else ''} in {out['load_seconds']} s",
        flush=True,
    )


def write_summary(name: str, persons: int, out: dict) -> None:
    out["cpus"] = os.cpu_count()
    dest = ROOT / "bench" / "out"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{name}-{persons}.json").write_text(json.dumps(out, indent=2))
