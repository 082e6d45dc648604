"""Benchmark: the settlement recommendation tool — train, recommend a batch, one case at a time.

    python bench/settlement_recommend.py [--world DIR] [--shared DIR] [--skip-15000] [--persons N]

On a settlement world (``--world``; default: generated into a temporary folder with
``settlement_world.py --params public_params.json`` from ``--shared``, ``../shared/settlement``
beside the repository):

(a) ``model.train`` on the world's history (25,000 households, ~57,000 persons) — target ≤ 5 min;
(b) ``nir settlement recommend`` end to end for the batch (1,500 households x 357 municipalities:
    read the files, load the model, predict, LP + MIP, write assignment.csv) — target ≤ 60 s;
    with the engine's own timings (predict, batch) in-process, and one case at a time over the batch;
(c) the same command for 15,000 households: the batch resampled with new ids, capacity x 10 (raised
    where the resampled connection households would not fit their municipality, so the problem
    stays feasible) — target ≤ 10 min;
(d) one case: predict one household at every municipality and rank it (``rank_one`` with the
    batch's duals and the places left), 200 cases — target ≤ 300 ms (the page's budget).

``--persons`` is accepted, as ``bench/run_all.py`` passes it, and ignored (the world's sizes are
fixed). A JSON summary goes to ``bench/out/settlement_recommend-1500.json``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import ROOT, pct, write_summary
from _common import nir_command as _nir

TARGETS = {"train_s": 300.0, "recommend_1500_s": 60.0, "recommend_15000_s": 600.0, "one_case_p95_ms": 300.0}


def _world(args: argparse.Namespace) -> Path:
    if args.world:
        return Path(args.world)
    shared = Path(args.shared)
    out = Path(tempfile.mkdtemp(prefix="nir-bench-world-"))
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(shared / "settlement_world.py"),
            "--params",
            str(shared / "public_params.json"),
            "--out",
            str(out),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"world generated in {time.perf_counter() - t:.1f} s: {out}", flush=True)
    return out


def _recommend(world: Path, cases: Path, capacity: Path, model: Path, out: Path, *extra: str) -> tuple[float, str]:
    env = dict(os.environ, NIR_VAR_DIR=tempfile.mkdtemp(prefix="nir-bench-var-"))
    t = time.perf_counter()
    r = subprocess.run(
        [
            *_nir(),
            "settlement",
            "recommend",
            "--model",
            str(model),
            "--cases",
            str(cases),
            "--capacity",
            str(capacity),
            "--municipalities",
            str(world / "municipalities.csv"),
            "--out",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"recommend failed ({r.returncode}): {r.stderr[-2000:]}")
    return seconds, r.stdout


def _scaled(world: Path, factor: int, tmp: Path) -> tuple[Path, Path, int]:
    """The batch resampled to ``factor`` times its size with new ids, capacity x factor."""
    from nir.settlement.recommend import data

    munis = data.read_municipalities(world / "municipalities.csv")
    recs = data.read_household_records(world / "batch.jsonl.gz")
    rng = np.random.default_rng(18)
    picks = rng.choice(len(recs), size=len(recs) * factor, replace=True)
    cases = tmp / f"batch-{factor}.jsonl.gz"
    need = {}
    with gzip.open(cases, "wt", encoding="utf-8") as f:
        for j, i in enumerate(picks):
            r = json.loads(json.dumps(recs[i]))
            r["household_id"] = f"B2026-{j:06d}"
            for k, p in enumerate(r["persons"], 1):
                p["person_id"] = f"{r['household_id']}-{k}"
            if r.get("connection_municipality"):
                um = any(p.get("unaccompanied_minor") for p in r["persons"])
                key = (str(r["connection_municipality"]).zfill(4), um)
                need[key] = need.get(key, 0) + len(r["persons"])
            f.write(json.dumps(r) + "\n")
    with open(world / "capacity.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    raised = 0
    for r in rows:
        k = r["municipality_number"].zfill(4)
        for col, um in (("places", False), ("um_places", True)):
            v = int(float(r[col])) * factor
            if need.get((k, um), 0) > v:
                v, raised = need[(k, um)], raised + 1
            r[col] = str(v)
    capacity = tmp / f"capacity-{factor}.csv"
    with open(capacity, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert munis.n == len(rows)
    return cases, capacity, raised


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=0, help="ignored (the world's sizes are fixed)")
    ap.add_argument("--world", help="a settlement world folder (default: generate the public one)")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "settlement"))
    ap.add_argument("--skip-15000", action="store_true")
    ap.add_argument("--cases", type=int, default=200, help="single cases timed in (d)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from nir.settlement.recommend import data
    from nir.settlement.recommend import model as rm
    from nir.settlement.recommend import optimise as opt

    world = _world(args)
    tmp = Path(tempfile.mkdtemp(prefix="nir-bench-rec-"))
    out: dict = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"), "world": str(world)}
    load = os.getloadavg()[0]

    # (a) train
    munis = data.read_municipalities(world / "municipalities.csv")
    history = data.read_households(world / "history.jsonl.gz", munis)
    t = time.perf_counter()
    model = rm.train(history, munis, progress=lambda s: print(f"  train: {s}", flush=True))
    out["train_s"] = round(time.perf_counter() - t, 1)
    model.save(tmp / "model")
    out["train"] = {"households": history.nh, "persons": history.np, "version": model.version}
    print(f"(a) train on {history.nh:,} households / {history.np:,} persons: {out['train_s']} s", flush=True)

    # (b) the batch, end to end and in-process
    s, text = _recommend(world, world / "batch.jsonl.gz", world / "capacity.csv", tmp / "model", tmp / "a.csv")
    out["recommend_1500_s"] = round(s, 1)
    out["recommend_1500_output"] = text.strip().splitlines()
    print(f"(b) nir settlement recommend, 1,500 households x 357: {out['recommend_1500_s']} s", flush=True)
    print("    " + "\n    ".join(out["recommend_1500_output"]), flush=True)
    hh = data.read_households(world / "batch.jsonl.gz", munis)
    capacity = data.read_capacity(world / "capacity.csv", munis)
    p = opt.problem(hh, munis, capacity)
    t = time.perf_counter()
    values = model.predict(hh, munis)
    out["predict_1500_s"] = round(time.perf_counter() - t, 1)
    batch = opt.assign_batch(p, values.joint)
    oat = opt.assign_one_at_a_time(p, values.joint)
    out["batch"] = {
        "seconds": round(batch.seconds, 1),
        "lp_bound": round(batch.lp_bound, 2),
        "value": round(batch.value, 2),
        "gap_percent": round(batch.gap_percent, 4),
        **{k: v for k, v in batch.info.items() if k != "repair"},
        "repair": batch.info.get("repair"),
    }
    out["one_at_a_time"] = {
        "seconds": round(oat.seconds, 1),
        "value": round(oat.value, 2),
        "share_of_batch_value": round(oat.value / batch.value, 4),
        **oat.info,
    }
    print(
        f"    engine: predict {out['predict_1500_s']} s, batch {out['batch']['seconds']} s (gap "
        f"{out['batch']['gap_percent']} %), one at a time {out['one_at_a_time']['seconds']} s "
        f"({100 * oat.value / batch.value:.1f} % of the batch's predicted value)",
        flush=True,
    )

    # (d) one case: predict one household, rank it
    left_p, left_u = opt._left_after(p, batch.assign, np.ones(hh.nh, bool))
    rng = np.random.default_rng(1)
    times = []
    for h in rng.choice(hh.nh, size=min(args.cases, hh.nh), replace=False):
        t = time.perf_counter()
        v = model.predict(hh, munis, rows=np.array([h]))
        ranked = opt.rank_one(p, int(h), v.joint[0], left_p, left_u, batch.duals_places, batch.duals_um)
        times.append(time.perf_counter() - t)
        assert ranked or p.must[h] >= 0
    out["one_case_p50_ms"] = round(pct(times, 50) * 1000, 1)
    out["one_case_p95_ms"] = round(pct(times, 95) * 1000, 1)
    out["one_case_max_ms"] = round(max(times) * 1000, 1)
    print(
        f"(d) one case (predict x 357 + rank_one), {len(times)} cases: p50 {out['one_case_p50_ms']} ms, "
        f"p95 {out['one_case_p95_ms']} ms, max {out['one_case_max_ms']} ms",
        flush=True,
    )

    # (c) 15,000 households
    if not args.skip_15000:
        cases, cap10, raised = _scaled(world, 10, tmp)
        s, text = _recommend(world, cases, cap10, tmp / "model", tmp / "a15000.csv")
        out["recommend_15000_s"] = round(s, 1)
        out["recommend_15000_output"] = text.strip().splitlines()
        out["recommend_15000_capacity_raised_for_connections"] = raised
        print(f"(c) nir settlement recommend, 15,000 households x 357: {out['recommend_15000_s']} s", flush=True)
        print("    " + "\n    ".join(out["recommend_15000_output"]), flush=True)

    out["targets"] = TARGETS
    out["load_average_at_start"] = round(load, 1)
    out["load_average_at_end"] = round(os.getloadavg()[0], 1)
    write_summary("settlement_recommend", hh.nh, out)
    missed = [k for k, limit in TARGETS.items() if k in out and out[k] > limit]
    print(f"targets missed: {', '.join(missed) or 'none'}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
