"""Benchmark: the NIR reports and the yearly statistics on a populated PostgreSQL register.

    python bench/reports_pg.py [--persons N] [--runs K] [--database-url URL]

Starts a throwaway PostgreSQL (or uses ``--database-url``, an already loaded
register), migrates, loads N synthetic persons (default 1,000,000) with ``nir
synth`` and derives their statuses (``nir rules reevaluate``), then measures

1. each report (``nir.reports.registry``) for one municipality as a page shows
   it: the count and the first page of 50 rows, sorted by name (the person list counted up to
   1,000 as ``/personer/`` counts it, and once more with the exact count of the report page and
   the API). Municipalities: the 5 with the most persons followed up and 15 drawn at random, each report
   run K times over them (default 60) after one untimed warm-up run each; p50/p95/max in ms;
2. the national yearly statistics table (every figure, one row per municipality)
   for the last complete year, and the same by county and for one municipality;
   seconds;
3. the national counts and the Kommuner table uncached (every municipality), each from each
   person's current facts (``nir.register.person_facts``) and from the eight tables; seconds,
   and the two results compared.

Server settings: those of ``nir.testing.pg`` with 4 GB shared buffers. A JSON summary goes to
``bench/out/reports_pg-N.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

from _common import load_register, pct, server, write_summary
from _common import nir_command as _nir


def measure(url: str, persons: int, runs: int, skip_load: bool) -> dict:
    env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=tempfile.mkdtemp(prefix="nir-bench-var-"))
    out: dict = {"persons": persons}
    if not skip_load:
        load_register(env, persons, out)
    else:
        subprocess.run([*_nir(), "migrate", "-v0"], check=True, env=env)
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="nir.settings", NIR_VAR_DIR=env["NIR_VAR_DIR"])
    import django

    django.setup()
    import datetime as dt

    from django.db import connection
    from django.db.models import Count

    from nir.register import models as m
    from nir.reports import registry, statistics

    connection.cursor().execute("ANALYZE")
    today = dt.date(2026, 11, 22)
    busiest = list(
        m.FollowUp.objects.current()
        .values("municipality")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("municipality", "n")[:400]
    )
    rng = random.Random(11)
    top = [k for k, _n in busiest[:5]]
    sample = top + rng.sample([k for k, _n in busiest[5:]], min(15, max(0, len(busiest) - 5)))
    sizes = dict(busiest)
    print(
        f"municipalities: {', '.join(f'{k} ({sizes[k]:,})' for k in top)} and {len(sample) - len(top)} random",
        flush=True,
    )

    filters = {
        "avsluttet-intro": {"date_from": dt.date(2026, 1, 1), "date_to": today},
        # the person list as /personer/ shows it: counted up to its COUNT_LIMIT
        "personliste": {"count_limit": 1000},
    }
    measured = {k: k for k in registry.REPORTS}
    measured["personliste (exact count)"] = "personliste"  # as the report page and the API count it
    out["reports"] = {}
    for label, report_id in measured.items():
        extra = {} if label != report_id else filters.get(report_id, {})
        # Warm-up (not timed): one run per municipality, as a server in use has these pages cached.
        for k in sample:
            _ = registry.run(
                report_id, registry.ReportParams(municipality=k, as_of=today, page=1, page_size=50, **extra), scope=None
            ).rows
        times, counts = [], []
        for i in range(runs):
            k = sample[i % len(sample)]
            params = registry.ReportParams(municipality=k, as_of=today, page=1, page_size=50, **extra)
            t = time.perf_counter()
            result = registry.run(report_id, params, scope=None)
            n = result.count
            rows = result.rows
            times.append(time.perf_counter() - t)
            counts.append(n)
            assert len(rows) == min(50, n)

        def ms(p, times=times):
            return round(pct(times, p) * 1000, 1)

        out["reports"][label] = {
            "p50_ms": ms(50),
            "p95_ms": ms(95),
            "max_ms": round(max(times) * 1000, 1),
            "rows_max": max(counts),
            "runs": runs,
        }
        print(
            f"report {label:<16} one municipality, count + first page: p50 {ms(50)} ms, p95 {ms(95)} ms, "
            f"max {out['reports'][label]['max_ms']} ms (up to {max(counts):,} rows)",
            flush=True,
        )

    year = today.year - 1
    for label, params in (
        ("national_by_municipality", statistics.StatsParams(year=year, by="municipality")),
        ("national_by_county", statistics.StatsParams(year=year, by="county")),
        ("one_municipality", statistics.StatsParams(year=year, area=top[0])),
    ):
        t = time.perf_counter()
        table = statistics.yearly(params, scope=None)
        secs = time.perf_counter() - t
        out[f"statistics_{label}_seconds"] = round(secs, 2)
        print(
            f"yearly statistics {year}, {label.replace('_', ' ')}: {secs:.2f} s ({len(table.areas)} rows, "
            f"{len(table.figures)} figures)",
            flush=True,
        )

    # The same national counts over the eight tables (as for an earlier known_at), and the Kommuner
    # table uncached (/kommuner/, IMDi: every municipality) from each person's current facts, as the
    # page reads it, and from the tables — each pair compared.
    from django.utils import timezone

    from nir.reports import worklist
    from nir.web.views_overview import reference_names

    p = statistics.validate(statistics.StatsParams(year=year, by="municipality"))
    ctx = worklist.Context(None, timezone.localdate(), timezone.now())
    numbers = list(reference_names(ctx.today)["municipalities"])
    results = {}
    for facts in (True, False):
        source = "facts" if facts else "tables"
        t = time.perf_counter()
        counts = statistics._count_by_municipality(p, None, facts=facts)
        secs = time.perf_counter() - t
        t = time.perf_counter()
        rows = worklist.person_figures(ctx, numbers, facts=facts)
        worklist.settled_figures(ctx, numbers)
        k_secs = time.perf_counter() - t
        results[source] = (counts, sorted(rows, key=lambda r: (r["municipality"], r["category"] or "")))
        out[f"statistics_counts_from_{source}_seconds"] = round(secs, 2)
        out[f"kommuner_uncached_from_{source}_seconds"] = round(k_secs, 2)
        print(
            f"from the {source}: statistics {year} counts {secs:.2f} s; Kommuner table ({len(numbers)} "
            f"municipalities) uncached {k_secs:.2f} s",
            flush=True,
        )
    assert results["facts"] == results["tables"], "the facts and the tables give different figures"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--database-url", help="use this (already loaded) database instead of a throwaway one")
    args = ap.parse_args(argv)
    with server(args.database_url) as url:
        out = measure(url, args.persons, args.runs, skip_load=bool(args.database_url))
    write_summary("reports_pg", args.persons, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
