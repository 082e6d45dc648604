"""Benchmark: the assignment work list (Bosetting, issue 17) on a full settlement year in PostgreSQL.

    python bench/bench_settlement_worklist.py [--cases 15000] [--requests 50] [--database-url URL]

Builds a settlement year of 15,000 cases in 357 municipalities (``settlement_year.build_year``: the
synthetic generator of ``nir.synth.settlement``) in a throwaway PostgreSQL, then times
``nir.settlement.selectors.work_list`` — what the page «Fordeling» shows an IMDi regional
caseworker (IMDi Midt-Norge, Trøndelag) and, with ``all_regions``, the national list — over
``--requests`` calls each after a warm-up, and prints p50/p95/max. Target: p95 ≤ 150 ms. A JSON
summary is written to ``bench/out/bench_settlement_worklist-CASES.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time

from _common import NOW, ROOT, pct, server, write_summary
from settlement_year import CASES, build_year

TARGET_P95_MS = 150.0


def _measure(requests: int, out: dict) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nir.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from nir.access.models import Organisation, RoleAssignment
    from nir.access.roles import OrganisationKind, Role
    from nir.settlement import selectors

    org, _ = Organisation.objects.get_or_create(
        code="imdi-midt-norge",
        defaults={"kind": OrganisationKind.IMDI, "name": "IMDi Midt-Norge", "county_numbers": ["50"]},
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-bosetting-midt", defaults={"organisation": org})
    RoleAssignment.objects.get_or_create(user=user, role=Role.SETTLEMENT_CASEWORKER, organisation=org)
    user = get_user_model().objects.get(pk=user.pk)
    today = dt.datetime.fromisoformat(NOW).date()
    for label, kwargs in (("region", {}), ("national", {"all_regions": True})):
        selectors.work_list(user, today=today, **kwargs)  # warm-up
        times = []
        total = 0
        for _ in range(requests):
            t = time.perf_counter()
            wl = selectors.work_list(user, today=today, **kwargs)
            times.append((time.perf_counter() - t) * 1000)
            total = wl.total
        out[label] = {
            "ready_cases": total,
            "p50_ms": round(pct(times, 50), 1),
            "p95_ms": round(pct(times, 95), 1),
            "max_ms": round(max(times), 1),
        }
        print(
            f"work list ({label}, {total:,} ready cases): p50 {out[label]['p50_ms']} ms, "
            f"p95 {out[label]['p95_ms']} ms, max {out[label]['max_ms']} ms (target p95 ≤ {TARGET_P95_MS:.0f} ms)",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=None, help="accepted for make bench; not used")
    ap.add_argument("--cases", type=int, default=CASES)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--database-url", help="a database that already holds the settlement year")
    args = ap.parse_args(argv)
    out: dict = {"cases": args.cases, "requests": args.requests}
    with server(args.database_url) as url, tempfile.TemporaryDirectory(prefix="nir-bench-var-") as var:
        env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=var)
        if not args.database_url:
            build_year(env, out, cases=args.cases)
        os.environ.update(env)
        _measure(args.requests, out)
    write_summary("bench_settlement_worklist", args.cases, out)
    return 0 if max(out["region"]["p95_ms"], out["national"]["p95_ms"]) <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
