"""Benchmark: the pure rules engine, per person and vectorised, on N synthetic persons.

    python bench/rules_engine.py [--persons N] [--seed S] [--as-of DATE] [--sample K]
                                 [--processes P] [--repeat R]

Generates N persons' facts in memory (default 1,000,000) with the seeded adversarial
generator ``nir.rules.testing.FactsGenerator`` (every permit basis, ages around every limit,
utl_34 transitions, rule-breaking decisions, every final goal, absences over holidays …;
``nir.synth`` writes database rows, not facts, so it is not used here), then times

(a) the per-person engine on the first K persons (default 20,000): ``evaluate(facts, as_of)`` (the
    result with its explanation chain built) and the same serialised with the explanations,
    ``.to_json()`` (what the API and the pages show; issue 19's target: >= 10,000 persons/s);
(b) the vectorised path (``nir.rules.vector``) on all N persons in one process:
    ``flatten`` (dicts → columns), ``evaluate_columns`` (the rules on columns, best and
    median of R runs), ``to_dicts`` (columns → to_json-shaped dicts) and ``to_polars``;
    ``evaluate_batch`` = flatten + evaluate_columns + to_dicts;
(c) the same with P worker processes (fork; default: the CPUs available).

Generation and the one-off warm-up (holiday calendar, parameters, code lists) are not
timed into any rate. The vectorised results of the K sampled persons are checked against
(a) — the run fails if a single value differs. Prints the figures and writes a JSON
summary to ``bench/out/rules_engine-N.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from nir.rules import dates, evaluate, parameters, vector, workdays
from nir.rules.testing import FactsGenerator, disagreements, normalised

ROOT = Path(__file__).resolve().parents[1]


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1))
    ap.add_argument("--sample", type=int, default=20_000, help="persons for the per-person timing and check")
    ap.add_argument("--processes", type=int, default=vector.cpu_count())
    ap.add_argument("--repeat", type=int, default=3, help="runs of the vectorised core")
    args = ap.parse_args(argv)
    n, as_of = args.persons, args.as_of
    out: dict = {
        "persons": n,
        "seed": args.seed,
        "as_of": as_of.isoformat(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": vector.cpu_count(),
    }

    print(f"Generating {n:,} persons' facts (seed {args.seed}, as_of {as_of}) …", flush=True)
    t = time.perf_counter()
    gc.disable()
    gen = FactsGenerator(args.seed, as_of)
    facts = [gen.facts() for _ in range(n)]
    gc.freeze()  # the population lives until the end: keep the collector from re-scanning it
    gc.enable()
    out["generate_s"] = time.perf_counter() - t
    out["items_per_person"] = {
        k: sum(len(f.get(k) or ()) for f in facts) / n
        for k in ("permits", "settlements", "residences", "decisions", "absences")
    }
    print(
        f"  generated in {out['generate_s']:.1f} s; items per person: "
        + ", ".join(f"{k} {v:.2f}" for k, v in out["items_per_person"].items()),
        flush=True,
    )

    t = time.perf_counter()
    workdays.calendar()
    parameters.default()
    vector.vocab()
    dates._tables()
    evaluate(facts[0], as_of)
    vector.evaluate_batch(facts[:100], as_of)
    out["warmup_s"] = time.perf_counter() - t

    # (a) per person
    k = min(args.sample, n)
    t = time.perf_counter()
    results = [evaluate(f, as_of) for f in facts[:k]]
    out["per_person"] = {"persons": k, "seconds": time.perf_counter() - t}
    out["per_person"]["persons_per_s"] = _rate(k, out["per_person"]["seconds"])
    t = time.perf_counter()
    for f in facts[:k]:
        evaluate(f, as_of).to_json()
    out["per_person"]["with_json_seconds"] = time.perf_counter() - t
    out["per_person"]["with_json_persons_per_s"] = _rate(k, out["per_person"]["with_json_seconds"])
    expected = [normalised(r.to_json(explanations=False)) for r in results]
    del results

    # (b) vectorised, one process
    v: dict = {}
    t = time.perf_counter()
    cols = vector.flatten(facts)
    v["flatten_s"] = time.perf_counter() - t
    core = []
    for _ in range(max(args.repeat, 1)):
        t = time.perf_counter()
        res = vector.evaluate_columns(cols, as_of, facts_for=lambda idx: [facts[i] for i in idx])
        core.append(time.perf_counter() - t)
    v["core_s_runs"] = core
    v["core_s"] = min(core)
    v["core_s_median"] = statistics.median(core)
    t = time.perf_counter()
    rows = res.to_dicts()
    v["to_dicts_s"] = time.perf_counter() - t
    t = time.perf_counter()
    res.to_polars()
    v["to_polars_s"] = time.perf_counter() - t
    v["fallback_persons"] = int(res.fallback.sum())
    v["fallback_share"] = v["fallback_persons"] / n
    v["core_persons_per_s"] = _rate(n, v["core_s"])
    v["core_persons_per_s_median"] = _rate(n, v["core_s_median"])
    v["flatten_plus_core_persons_per_s"] = _rate(n, v["flatten_s"] + v["core_s_median"])
    v["evaluate_batch_s"] = v["flatten_s"] + v["core_s_median"] + v["to_dicts_s"]
    v["evaluate_batch_persons_per_s"] = _rate(n, v["evaluate_batch_s"])
    out["vector_1_process"] = v

    problems = disagreements(facts[:k], as_of, expected=expected, actual=rows[:k])
    out["agreement"] = {"checked": k, "differing": len(problems)}
    del rows

    # (c) vectorised, several processes
    p = args.processes
    if p > 1:
        w: dict = {"processes": p}
        t = time.perf_counter()
        res_p = vector.evaluate_facts(facts, as_of, processes=p)
        w["flatten_plus_core_s"] = time.perf_counter() - t
        t = time.perf_counter()
        res_c = vector.evaluate_columns(cols, as_of, processes=p, facts_for=lambda idx: [facts[i] for i in idx])
        w["core_s"] = time.perf_counter() - t
        w["flatten_plus_core_persons_per_s"] = _rate(n, w["flatten_plus_core_s"])
        w["core_persons_per_s"] = _rate(n, w["core_s"])
        w["identical"] = all(
            np.array_equal(
                getattr(res, a).view("i8") if getattr(res, a).dtype.kind == "M" else getattr(res, a),
                getattr(r, a).view("i8") if getattr(r, a).dtype.kind == "M" else getattr(r, a),
            )
            for r in (res_p, res_c)
            for a in vector.BatchResult.ARRAYS
        )
        out[f"vector_{p}_processes"] = w

    pp_rate = out["per_person"]["persons_per_s"]
    print(f"""
Rules engine, {n:,} synthetic persons, as_of {as_of} ({out["cpus"]} CPUs, Python {out["python"]}, numpy {out["numpy"]})
  generation (not timed into rates)        {out["generate_s"]:8.1f} s
  warm-up (calendar, parameters, codes)    {out["warmup_s"]:8.2f} s
(a) per-person engine, {k:,} persons        {out["per_person"]["seconds"]:8.2f} s  {pp_rate:12,.0f} persons/s
    … with the explanations as JSON        {out["per_person"]["with_json_seconds"]:8.2f} s  \
{out["per_person"]["with_json_persons_per_s"]:12,.0f} persons/s
(b) vectorised, 1 process, {n:,} persons
    flatten (dicts -> columns)             {v["flatten_s"]:8.2f} s  {_rate(n, v["flatten_s"]):12,.0f} persons/s
    evaluate_columns (rules on columns)    {v["core_s"]:8.2f} s  {v["core_persons_per_s"]:12,.0f} persons/s \
(median of {len(core)}: {v["core_s_median"]:.2f} s, {v["core_persons_per_s_median"]:,.0f}/s)
    flatten + evaluate_columns             {v["flatten_s"] + v["core_s_median"]:8.2f} s  \
{v["flatten_plus_core_persons_per_s"]:12,.0f} persons/s
    to_dicts (columns -> to_json dicts)    {v["to_dicts_s"]:8.2f} s
    to_polars (columns -> DataFrame)       {v["to_polars_s"]:8.2f} s
    evaluate_batch end to end              {v["evaluate_batch_s"]:8.2f} s  \
{v["evaluate_batch_persons_per_s"]:12,.0f} persons/s
    fallback to the per-person engine      {v["fallback_persons"]:8,d} persons ({100 * v["fallback_share"]:.3f} %)
    speed-up of the columns over per person {v["core_persons_per_s_median"] / pp_rate:7.0f}x""")
    if p > 1:
        w = out[f"vector_{p}_processes"]
        print(f"""(c) vectorised, {p} processes
    flatten + evaluate_columns             {w["flatten_plus_core_s"]:8.2f} s  \
{w["flatten_plus_core_persons_per_s"]:12,.0f} persons/s
    evaluate_columns                       {w["core_s"]:8.2f} s  {w["core_persons_per_s"]:12,.0f} persons/s
    identical to 1 process                 {w["identical"]}""")
    print(
        f"agreement with the per-person engine on {k:,} persons: {k - len(problems):,} identical, "
        f"{len(problems)} differing"
    )
    for i, diffs in problems[:5]:
        print(f"  person {i}: {'; '.join(diffs)}")

    dest = ROOT / "bench" / "out" / f"rules_engine-{n}.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"summary: {dest.relative_to(ROOT)}")
    ok = not problems and (p <= 1 or out[f"vector_{p}_processes"]["identical"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
