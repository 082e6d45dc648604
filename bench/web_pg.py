"""Benchmark: server time of the web application's busiest pages on a populated PostgreSQL register.

    python bench/web_pg.py [--persons N] [--runs K] [--database-url URL]

Starts a throwaway PostgreSQL (or uses ``--database-url``, an already loaded register), migrates,
loads N synthetic persons (default 1,000,000) with ``nir synth`` and derives their statuses
(``nir rules reevaluate``), then measures, in-process through Django's full request path
(middleware, access policy, audit event, template rendering; no network), the server time of:

1. the person page (``/personer/<duf>/``) for a caseworker of the person's follow-up municipality:
   K persons drawn at random from the 5 municipalities with the most persons and 15 random ones;
2. the work list (``/arbeidsflate/``) of a caseworker of each of those municipalities: the page
   (its blocks load by htmx), the page with every block rendered on the server (``?inline=1``, the
   page without JavaScript: what all blocks cost together), and every block as its htmx fragment
   (``/arbeidsflate/<block>/``), K runs each;
3. the person search by DUF number and the first page of the person list (``/personer/``);
4. one registration through the person page's form (POST ``/personer/<duf>/ny/fravaer/``).

Each measurement is preceded by one untimed warm-up round (a server in use has its caches warm).
p50/p95/max in ms. Target (issue 6): person page and work list p95 <= 300 ms. A JSON summary goes
to ``bench/out/web_pg-N.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time

from _common import load_register, pct, server, write_summary
from _common import nir_command as _nir

TARGET_MS = 300


def _timed(client, method: str, url: str, n: int, *, data=None, expect=200, headers=None) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = getattr(client, method)(url, data=data, headers=headers or {})
        assert r.status_code == expect, (url, r.status_code)
        b"".join(r) if r.streaming else r.content
        times.append(time.perf_counter() - t)
    return times


def _summary(label: str, times: list[float], out: dict, *, target: bool = False) -> None:
    ms = lambda p: round(pct(times, p) * 1000, 1)  # noqa: E731
    entry = {"p50_ms": ms(50), "p95_ms": ms(95), "max_ms": round(max(times) * 1000, 1), "runs": len(times)}
    if target:
        entry["target_p95_ms"] = TARGET_MS
        entry["met"] = entry["p95_ms"] <= TARGET_MS
    out[label] = entry
    verdict = f"  (target p95 <= {TARGET_MS} ms: {'met' if entry['met'] else 'NOT met'})" if target else ""
    print(
        f"{label:<32} p50 {entry['p50_ms']:>7} ms   p95 {entry['p95_ms']:>7} ms   max {entry['max_ms']:>7} ms"
        f"   ({len(times)} runs){verdict}",
        flush=True,
    )


def measure(url: str, persons: int, runs: int, skip_load: bool) -> dict:
    env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=tempfile.mkdtemp(prefix="nir-bench-var-"))
    out: dict = {"persons": persons}
    if not skip_load:
        load_register(env, persons, out)
    else:
        subprocess.run([*_nir(), "migrate", "-v0"], check=True, env=env)
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="nir.settings",
        NIR_VAR_DIR=env["NIR_VAR_DIR"],
        NIR_DEBUG="0",
        NIR_SECRET_KEY="bench-only",
        NIR_ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from nir.register import models as m
    from nir.testing.builders import make_user

    connection.cursor().execute("ANALYZE")
    busiest = list(
        m.FollowUp.objects.current()
        .values("municipality")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("municipality", "n")[:400]
    )
    rng = random.Random(6)
    top = [k for k, _n in busiest[:5]]
    sample = top + rng.sample([k for k, _n in busiest[5:]], min(15, max(0, len(busiest) - 5)))
    sizes = dict(busiest)
    print(
        f"municipalities: {', '.join(f'{k} ({sizes[k]:,})' for k in top)} and {len(sample) - len(top)} random",
        flush=True,
    )

    from django.contrib.auth import get_user_model

    User = get_user_model()
    clients = {}
    for k in sample:
        user = User.objects.filter(username=f"bench-web-{k}").first() or make_user(User, f"bench-web-{k}", f"k-{k}")
        c = Client()
        c.force_login(user)
        clients[k] = c

    # Persons followed up by each sampled municipality today (one per run).
    dufs: dict[str, list[str]] = {}
    for k in sample:
        ids = list(
            m.FollowUp.objects.current()
            .filter(municipality=k, valid_to__isnull=True)
            .values_list("person__duf", flat=True)[:2000]
        )
        dufs[k] = rng.sample(ids, min(len(ids), runs))

    def each(fn) -> list[float]:
        times: list[float] = []
        for i in range(runs):
            k = sample[i % len(sample)]
            times += fn(k, i)
        return times

    # 1. the person page
    for k in sample:  # warm-up
        _timed(clients[k], "get", f"/personer/{dufs[k][0]}/", 1)
    _summary(
        "person page",
        each(lambda k, i: _timed(clients[k], "get", f"/personer/{dufs[k][i % len(dufs[k])]}/", 1)),
        out,
        target=True,
    )

    # 2. the work list and its blocks
    for k in sample:
        _timed(clients[k], "get", "/arbeidsflate/", 1)
    _summary(
        "work list (Arbeidsflate)", each(lambda k, i: _timed(clients[k], "get", "/arbeidsflate/", 1)), out, target=True
    )
    # Without JavaScript (and as an upper bound of what the blocks cost together): every block
    # rendered on the server in one response.
    for k in sample:
        _timed(clients[k], "get", "/arbeidsflate/?inline=1", 1)
    _summary(
        "work list, all blocks inline",
        each(lambda k, i: _timed(clients[k], "get", "/arbeidsflate/?inline=1", 1)),
        out,
        target=True,
    )
    html = clients[top[0]].get("/arbeidsflate/").content.decode()
    blocks = sorted(set(re.findall(r"/arbeidsflate/([a-z0-9-]+)/", html)))
    for block in blocks:
        for k in sample:
            _timed(clients[k], "get", f"/arbeidsflate/{block}/", 1, headers={"HX-Request": "true"})
        _summary(
            f"work list block {block}",
            # each() calls the lambda at once, in this iteration
            each(lambda k, i: _timed(clients[k], "get", f"/arbeidsflate/{block}/", 1, headers={"HX-Request": "true"})),  # noqa: B023
            out,
        )

    # 3. search and the person list
    _summary(
        "search by DUF number",
        each(lambda k, i: _timed(clients[k], "get", f"/personer/?duf={dufs[k][i % len(dufs[k])]}", 1, expect=302)),
        out,
    )  # straight to the person page
    _summary("person list, first page", each(lambda k, i: _timed(clients[k], "get", "/personer/", 1)), out)

    # 4. one registration through the form (absence: always accepted, changes the deadline)
    def register(k, i):
        duf = dufs[k][(i + 7) % len(dufs[k])]
        day = 1 + i % 20
        data = {"from": f"{day:02d}.10.2026", "to": f"{day:02d}.10.2026", "kind": "leave"}
        return _timed(clients[k], "post", f"/personer/{duf}/ny/fravaer/?ordning=intro", 1, data=data, expect=303)

    _summary("register absence (form POST)", each(register), out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--database-url", help="use this (already loaded) database instead of a throwaway one")
    args = ap.parse_args(argv)
    with server(args.database_url) as url:
        out = measure(url, args.persons, args.runs, skip_load=bool(args.database_url))
    write_summary("web_pg", args.persons, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
