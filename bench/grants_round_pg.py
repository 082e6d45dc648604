"""Benchmark: a grants payment round and one municipality's statement (issue 20) in PostgreSQL.

    python bench/grants_round_pg.py [PERSONS] [--year Y] [--round R] [--runs K] [--database-url URL --skip-load]

Starts a throwaway PostgreSQL (``bench/_common.server``), loads PERSONS synthetic persons with
``nir synth`` (default 1,000,000; about a tenth of them in their grant years), then measures

1. the payment round ``nir grants calculate --year Y --round R`` as a separate process, exactly as
   IMDi runs it: seconds and persons/s (register persons per second; the persons the round read
   are printed beside); issue 20's target is ≤ 60 s at 1,000,000 persons;
2. one municipality's statement (*utbetalingsgrunnlag*) p50/p95 over K requests: the work of the
   statement page, ``selectors.statement`` + ``statement_json`` in process (the grants-rounds branch
   has no statement web page yet), for the municipalities with most lines and some at random;
   target p95 ≤ 300 ms. One ``nir grants statement --format json`` process is timed as well.

A JSON summary goes to ``bench/out/grants_round_pg-PERSONS.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_register, nir_command, pct, server, write_summary  # noqa: E402

STATEMENT_P95_MS = 300
ROUND_SECONDS = 60


def measure(url: str, persons: int, year: int, quarter: int, runs: int, skip_load: bool) -> dict:
    env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=tempfile.mkdtemp(prefix="nir-bench-var-"))
    out: dict = {"persons": persons, "year": year, "round": quarter}
    if not skip_load:
        load_register(env, persons, out, derive=False)

    t = time.perf_counter()
    proc = subprocess.run(
        [*nir_command(), "grants", "calculate", "--year", str(year), "--round", str(quarter)],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    secs = time.perf_counter() - t
    out["round_seconds"] = round(secs, 1)
    out["round_persons_per_second"] = round(persons / secs)
    out["round_output"] = proc.stdout.strip()
    verdict = "ok" if secs <= ROUND_SECONDS * persons / 1_000_000 else "OVER (scaled) TARGET"
    print(f"round {year}Q{quarter}: {secs:.1f} s, {persons / secs:,.0f} register persons/s  [{verdict}]", flush=True)
    print(f"  {out['round_output']}", flush=True)

    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="nir.settings",
        NIR_VAR_DIR=env["NIR_VAR_DIR"],
        NIR_DEBUG="0",
        NIR_SECRET_KEY="bench-only",
    )
    import django

    django.setup()
    from django.db.models import Count

    from nir.access.models import AuditAction
    from nir.actions import Acting
    from nir.grants import selectors
    from nir.grants.models import PaymentRound, StatementLine

    row = PaymentRound.objects.get(grant_year=year, quarter=quarter)
    out["round_persons_read"] = row.persons
    by_recipient = list(
        StatementLine.objects.filter(round=row, recipient__startswith="municipality:")
        .values("recipient")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("recipient", "n")
    )
    out["round_lines"] = sum(n for _r, n in by_recipient)
    rng = random.Random(20)
    top = [r for r, _n in by_recipient[:5]]
    sample = top + rng.sample([r for r, _n in by_recipient[5:]], min(15, max(0, len(by_recipient) - 5)))
    sizes = dict(by_recipient)
    print(f"statement lines: {out['round_lines']:,} to {len(by_recipient)} municipalities", flush=True)
    print(f"recipients: {', '.join(f'{r[13:]} ({sizes[r]:,})' for r in top)} and {len(sample) - len(top)} random")

    acting = Acting.system("bench", channel="command", endpoint="bench grants statement")

    def one(recipient: str) -> float:
        t0 = time.perf_counter()
        st = selectors.statement(acting, row, recipient, action=str(AuditAction.EXPORT))
        selectors.statement_json(st)
        return (time.perf_counter() - t0) * 1000

    for r in sample:  # warm-up
        one(r)
    times = [one(sample[i % len(sample)]) for i in range(runs)]
    largest = [one(top[0]) for _ in range(max(5, runs // 10))] if top else []
    out["statement"] = {
        "runs": len(times),
        "p50_ms": round(pct(times, 50), 1),
        "p95_ms": round(pct(times, 95), 1),
        "max_ms": round(max(times), 1),
        "largest_recipient": top[0] if top else None,
        "largest_lines": sizes.get(top[0]) if top else None,
        "largest_p95_ms": round(pct(largest, 95), 1) if largest else None,
    }
    s = out["statement"]
    verdict = "ok" if s["p95_ms"] <= STATEMENT_P95_MS else "OVER TARGET"
    print(
        f"statement (selectors, in process): p50 {s['p50_ms']} ms  p95 {s['p95_ms']} ms  max {s['max_ms']} ms "
        f"({s['runs']} runs)  [{verdict}]; largest {s['largest_recipient']} ({s['largest_lines']} lines): "
        f"p95 {s['largest_p95_ms']} ms",
        flush=True,
    )
    if top:
        t0 = time.perf_counter()
        subprocess.run(
            [*nir_command(), "grants", "statement", "--municipality", top[0][13:], "--year", str(year)]
            + ["--round", str(quarter), "--format", "json"],
            check=True,
            env=env,
            capture_output=True,
        )
        out["statement_command_seconds"] = round(time.perf_counter() - t0, 2)
        print(f"nir grants statement --format json ({top[0]}), whole process: {out['statement_command_seconds']} s")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("persons", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--year", type=int, default=2026)
    ap.add_argument("--round", type=int, default=3, help="quarter 1–4 (the register's now is 2026-11-22)")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--database-url", help="an already loaded register instead of a throwaway server")
    ap.add_argument("--skip-load", action="store_true", help="with --database-url: do not load persons")
    args = ap.parse_args(argv)
    with server(args.database_url) as url:
        out = measure(url, args.persons, args.year, args.round, args.runs, args.skip_load)
    write_summary("grants_round_pg", args.persons, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
