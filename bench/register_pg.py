"""Benchmark: the Regelmotor in the register, on a populated PostgreSQL register.

    python bench/register_pg.py [--persons N] [--writes K] [--database-url URL]

Starts a throwaway PostgreSQL (or uses ``--database-url``), migrates, loads N
synthetic persons (default 1,000,000) with ``nir synth``, then measures

1. whole-register re-evaluation (``nir rules reevaluate``): seconds and persons/s,
   first run (creates every DerivedStatus) and second run (nothing changes);
2. single registrations through the one write path (``services.register`` of an
   absence on a random programme participant, each in its own transaction):
   latency of the whole write and of the rules guard alone (evaluate before and
   after, store the result), p50/p95/p99 over K writes (default 2,000).

Server settings: those of ``nir.testing.pg`` (synchronous_commit=off, fsync off) with 4 GB shared buffers.
A JSON summary goes to ``bench/out/register_pg-N.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from _common import nir_command as _nir
from _common import pct, server, write_summary

NOW = "2026-11-22T12:00:00+01:00"


def measure(url: str, persons: int, writes: int, skip_load: bool, seed: int = 7) -> dict:
    env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=tempfile.mkdtemp(prefix="nir-bench-var-"))
    out: dict = {"persons": persons}
    if not skip_load:
        subprocess.run([*_nir(), "migrate", "-v0"], check=True, env=env)
        t = time.perf_counter()
        subprocess.run([*_nir(), "synth", "--persons", str(persons), "--now", NOW, "--quiet"], check=True, env=env)
        out["synth_seconds"] = round(time.perf_counter() - t, 1)
        print(f"synth: {persons:,} persons in {out['synth_seconds']} s", flush=True)

    for run in ("first", "second"):
        t = time.perf_counter()
        r = subprocess.run(
            [*_nir(), "rules", "reevaluate", "--quiet"], check=True, env=env, capture_output=True, text=True
        )
        secs = time.perf_counter() - t
        out[f"reevaluate_{run}_seconds"] = round(secs, 1)
        out[f"reevaluate_{run}_persons_per_second"] = round(persons / secs)
        print(f"reevaluate ({run} run): {secs:.1f} s, {persons / secs:,.0f} persons/s", flush=True)
        print("   " + r.stdout.strip().replace("\n", "\n   "), flush=True)

    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="nir.settings", NIR_VAR_DIR=env["NIR_VAR_DIR"])
    import django

    django.setup()
    import datetime as dt

    from django.db import transaction

    from nir.register import models as m
    from nir.register import services
    from nir.register.actors import Actor
    from nir.runtime import tune_gc

    tune_gc()  # as the web server process does (nir.wsgi)
    ids = list(
        m.Decision.objects.current()
        .filter(scheme="intro", decision_type="participation")
        .values_list("person_id", flat=True)
        .distinct()[:200_000]
    )
    rng = random.Random(seed)
    sample = [rng.choice(ids) for _ in range(writes)]
    actor = Actor.for_system("bench", source_system="bench")

    guard_times: list[float] = []
    real_guard = services.rules_guard

    class TimedGuard:
        def __init__(self, *a, **k):
            self.cm = real_guard(*a, **k)

        def __enter__(self):
            self.t0 = time.perf_counter()
            changes = self.cm.__enter__()
            self.t_pre = time.perf_counter() - self.t0
            return changes

        def __exit__(self, *exc):
            t1 = time.perf_counter()
            r = self.cm.__exit__(*exc)
            guard_times.append(self.t_pre + time.perf_counter() - t1)
            return r

    services.rules_guard = TimedGuard
    from django.utils import timezone

    started = timezone.now()
    totals: list[float] = []
    refused = 0
    for pid in sample:
        person = m.Person.objects.get(pk=pid)
        # A weekday in June–December 2026 drawn per write: the absence adds a workday, so the
        # derived status changes and is stored (re-runs on the same database use another --seed).
        day = dt.date(2026, 6, 1) + dt.timedelta(days=rng.randrange(0, 200))
        day += dt.timedelta(days=8 - day.isoweekday() if day.isoweekday() > 5 else 0)
        values = {"scheme": "intro", "kind": "time_off", "from_date": day, "to_date": day}
        t = time.perf_counter()
        try:
            with transaction.atomic():
                services.register(person, m.Absence, values, actor)
        except services.RegistrationRefused:
            refused += 1
        totals.append(time.perf_counter() - t)
    services.rules_guard = real_guard
    stored = m.DerivedStatus.objects.filter(recorded_at__gte=started).count()
    ms = lambda xs, p: round(pct(xs, p) * 1000, 2)  # noqa: E731
    out.update(
        writes=len(totals),
        refused=refused,
        status_stored=stored,
        write_ms_p50=ms(totals, 50),
        write_ms_p95=ms(totals, 95),
        write_ms_p99=ms(totals, 99),
        guard_ms_p50=ms(guard_times, 50),
        guard_ms_p95=ms(guard_times, 95),
        guard_ms_p99=ms(guard_times, 99),
        write_ms_mean=round(statistics.mean(totals) * 1000, 2),
    )
    print(
        f"single registration (whole write, {len(totals)} writes, {stored} changed the derived status): p50 "
        f"{out['write_ms_p50']} ms, "
        f"p95 {out['write_ms_p95']} ms, p99 {out['write_ms_p99']} ms",
        flush=True,
    )
    print(
        f"  of which the rules guard (re-evaluation before/after + store): p50 {out['guard_ms_p50']} ms, "
        f"p95 {out['guard_ms_p95']} ms, p99 {out['guard_ms_p99']} ms",
        flush=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--writes", type=int, default=2000)
    ap.add_argument("--database-url", help="use this (already loaded) database instead of a throwaway one")
    ap.add_argument("--seed", type=int, default=7, help="persons and days of the writes (use a new one per re-run)")
    args = ap.parse_args(argv)
    with server(args.database_url) as url:
        out = measure(url, args.persons, args.writes, skip_load=bool(args.database_url), seed=args.seed)
    write_summary("register_pg", args.persons, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
