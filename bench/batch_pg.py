"""Benchmark: a batch of registrations (``POST /batches``) through ``services.register_many``.

    python bench/batch_pg.py [--persons N] [--items K] [--batch-persons P] [--sequential S]
                             [--municipality KNR] [--database-url URL] [--seed SEED] [--rollback]

Starts a throwaway PostgreSQL (or uses ``--database-url``, an already loaded register), migrates,
loads N synthetic persons (default 1,000,000) with ``nir synth`` and derives their status
(``nir rules reevaluate``), then measures

1. one batch of K items (default 10,000) spread over P persons (default 3,000) followed up by one
   municipality (default: the one following up most persons), a municipal case system's mix —
   absences on random weekdays (they change the derived status), participation hours, measures
   and career guidance — through ``services.register_many`` in one transaction, then commit:
   seconds, ms per item, and where the time goes (lock, read, judge in memory, insert, status);
2. the one-at-a-time path on S other items (default 1,000) of the same kind: ``services.register``
   per item in its own savepoint inside one transaction (what the batch endpoint did before):
   seconds and ms per item.

``--rollback`` rolls both back instead of committing (the figures then include the rollback, not the
commit): for a register that others use too, which is left as it was.

Target (issue 5): 10,000 items in ≤ 20 s on a 1,000,000-person register, 2 cores (≤ 2 ms/item).
Server settings: those of ``nir.testing.pg`` with 4 GB shared buffers. A JSON summary goes to
``bench/out/batch_pg-N.json``. Re-runs on the same database: use another ``--seed``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from decimal import Decimal

from _common import load_register, server, write_summary


def _weekday(rng: random.Random, first: dt.date, days: int) -> dt.date:
    day = first + dt.timedelta(days=rng.randrange(0, days))
    return day + dt.timedelta(days=8 - day.isoweekday() if day.isoweekday() > 5 else 0)


def make_items(rng: random.Random, persons: list, n: int, m) -> list[tuple]:
    """A case system's monthly report: absences, participation hours, measures, career guidance."""
    items = []
    for _ in range(n):
        person = rng.choice(persons)
        r = rng.random()
        if r < 0.45:
            day = _weekday(rng, dt.date(2026, 6, 1), 150)
            items.append(
                (
                    person,
                    m.Absence,
                    {
                        "scheme": "intro",
                        "kind": rng.choice(["absence", "time_off", "leave"]),
                        "from_date": day,
                        "to_date": day,
                    },
                )
            )
        elif r < 0.80:
            start = dt.date(2026, rng.randrange(6, 11), 1)
            items.append(
                (
                    person,
                    m.Participation,
                    {
                        "scheme": "intro",
                        "from_date": start,
                        "to_date": start + dt.timedelta(days=27),
                        "hours": Decimal(rng.randrange(60, 150)),
                    },
                )
            )
        elif r < 0.95:
            start = _weekday(rng, dt.date(2026, 6, 1), 150)
            items.append(
                (
                    person,
                    m.Measure,
                    {
                        "scheme": "intro",
                        "measure": rng.choice(["work_practice", "norwegian_training", "language_practice"]),
                        "from_date": start,
                        "to_date": start + dt.timedelta(days=60),
                        "hours_per_week": Decimal("15"),
                    },
                )
            )
        else:
            items.append(
                (
                    person,
                    m.CareerGuidance,
                    {
                        "guidance_date": _weekday(rng, dt.date(2026, 6, 1), 150),
                        "kind": "individual",
                        "recommended_final_goal": "",
                        "organisation": "",
                    },
                )
            )
    return items


def measure(
    url: str,
    persons: int,
    n_items: int,
    batch_persons: int,
    n_sequential: int,
    municipality: str | None,
    skip_load: bool,
    seed: int,
    rollback: bool = False,
) -> dict:
    env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=tempfile.mkdtemp(prefix="nir-bench-var-"))
    out: dict = {"persons": persons}
    if not skip_load:
        load_register(env, persons, out)

    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="nir.settings", NIR_VAR_DIR=env["NIR_VAR_DIR"])
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from nir.register import models as m
    from nir.register import services
    from nir.register.actors import Actor
    from nir.runtime import tune_gc

    tune_gc()  # as the web server process does (nir.wsgi)
    out["persons_in_register"] = m.Person.objects.count()
    if municipality is None:
        municipality = (
            m.FollowUp.objects.current()
            .values("municipality")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("municipality", flat=True)
            .first()
        )
    followed = set(m.FollowUp.objects.current().filter(municipality=municipality).values_list("person_id", flat=True))
    participants = sorted(
        followed
        & set(
            m.Decision.objects.current()
            .filter(scheme="intro", decision_type="participation")
            .values_list("person_id", flat=True)
        )
    )
    rng = random.Random(seed)
    chosen = rng.sample(participants, min(batch_persons + 1_000, len(participants)))
    batch_ids, seq_ids = chosen[:-1_000] if len(chosen) > 1_000 else chosen, chosen[-1_000:]
    people = {p.pk: p for p in m.Person.objects.filter(pk__in=chosen)}
    items = make_items(rng, [people[i] for i in batch_ids], n_items, m)
    sequential = make_items(rng, [people[i] for i in seq_ids], n_sequential, m)
    actor = Actor.for_system("bench", source_system="bench")
    out.update(
        rolled_back=rollback,
        municipality=municipality,
        municipality_participants=len(participants),
        items=len(items),
        batch_persons=len({p.pk for p, _m, _v in items}),
    )
    print(
        f"register: {out['persons_in_register']:,} persons; municipality {municipality}: "
        f"{len(participants):,} participants; batch: {len(items):,} items over {out['batch_persons']:,} persons",
        flush=True,
    )

    # where the time goes: wrap the phases of register_many
    phases: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t0

        return wrapper

    real = (services.lock_persons, services.current_rows_many, services._Writes.run, services._store_statuses)
    services.lock_persons = timed("lock", real[0])
    services.current_rows_many = timed("read", real[1])
    services._Writes.run = timed("insert", real[2])
    services._store_statuses = timed("status", real[3])
    started = timezone.now()
    t0 = time.perf_counter()
    with transaction.atomic():
        outcomes = services.register_many(items, actor)
        t_call = time.perf_counter() - t0
        statuses = m.DerivedStatus.objects.filter(recorded_at__gte=started, registered_by_system="Regelmotor").count()
        transaction.set_rollback(rollback)
        t_counted = time.perf_counter() - t0
    total = time.perf_counter() - t0 - (t_counted - t_call)  # without counting the statuses
    (services.lock_persons, services.current_rows_many, services._Writes.run, services._store_statuses) = real
    refused = sum(1 for o in outcomes if not o.accepted)
    phases["judge (in memory)"] = t_call - sum(phases.values())
    phases["rollback" if rollback else "commit"] = total - t_call
    out.update(
        batch_seconds=round(total, 2),
        batch_ms_per_item=round(total * 1000 / len(items), 3),
        batch_refused=refused,
        batch_status_stored=statuses,
        batch_phases_seconds={k: round(v, 3) for k, v in phases.items()},
    )
    print(
        f"register_many: {len(items):,} items in {total:.2f} s = {out['batch_ms_per_item']} ms/item "
        f"({refused} refused, {statuses} derived statuses stored)",
        flush=True,
    )
    print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()), flush=True)

    if sequential:
        t0 = time.perf_counter()
        seq_refused = 0
        with transaction.atomic():
            for person, model, values in sequential:
                try:
                    with transaction.atomic():
                        services.register(person, model, values, actor)
                except services.RegistrationRefused:
                    seq_refused += 1
            transaction.set_rollback(rollback)
        secs = time.perf_counter() - t0
        out.update(
            sequential_items=len(sequential),
            sequential_seconds=round(secs, 2),
            sequential_ms_per_item=round(secs * 1000 / len(sequential), 3),
            sequential_refused=seq_refused,
        )
        print(
            f"one at a time (register per item in a savepoint): {len(sequential):,} items in {secs:.2f} s = "
            f"{out['sequential_ms_per_item']} ms/item; register_many is "
            f"{out['sequential_ms_per_item'] / out['batch_ms_per_item']:.1f}× faster per item",
            flush=True,
        )
    connection.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=10_000, help="items in the batch")
    ap.add_argument("--batch-persons", type=int, default=3_000, help="persons the batch is spread over")
    ap.add_argument("--sequential", type=int, default=1_000, help="items through the one-at-a-time path")
    ap.add_argument("--municipality", help="municipality number (default: the one following up most persons)")
    ap.add_argument("--database-url", help="use this (already loaded) database instead of a throwaway one")
    ap.add_argument("--seed", type=int, default=7, help="persons and days of the items (use a new one per re-run)")
    ap.add_argument("--rollback", action="store_true", help="roll back instead of committing (a shared register)")
    args = ap.parse_args(argv)
    with server(args.database_url) as url:
        out = measure(
            url,
            args.persons,
            args.items,
            args.batch_persons,
            args.sequential,
            args.municipality,
            skip_load=bool(args.database_url),
            seed=args.seed,
            rollback=args.rollback,
        )
    write_summary("batch_pg", args.persons, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
