"""nir settlement train | recommend | backtest (nir.settlement.recommend_cli) on small worlds' files.

The model here is the test stand-in of recommend_world.py (the commands' job is files, constraints
and errors; the real model is tested with model.py). Bad input: a clear message, exit status 2,
nothing written.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nir.settlement import recommend_cli

from . import recommend_opt_world as rw
from .test_recommend_optimise import violations

SHARED = pathlib.Path("/work/shared/settlement")
PUBLIC = pathlib.Path("/work/world/public")


@pytest.fixture
def standin(monkeypatch):
    monkeypatch.setattr(recommend_cli, "_model_module", lambda: rw)
    monkeypatch.setattr(recommend_cli, "_explain_module", lambda: rw.ExplainStandIn)
    monkeypatch.setattr(recommend_cli, "_fairness_module", lambda: rw.FairnessStandIn)


@pytest.fixture
def world(tmp_path):
    rng = np.random.default_rng(5)
    munis = rw.muni_rows(12, rng)
    batch = rw.random_batch(60, munis, rng)
    cap = rw.capacity_rows(munis, batch, slack=1.2)
    d = tmp_path / "world"
    rw.write_world(d, munis, rw.history(300, munis, rng), batch, cap)
    return d, munis, batch, cap


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("settlement", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def recommend_args(d, model, out, *extra):
    return [
        "recommend",
        "--model",
        str(model),
        "--cases",
        str(d / "batch.jsonl.gz"),
        "--capacity",
        str(d / "capacity.csv"),
        "--municipalities",
        str(d / "municipalities.csv"),
        "--out",
        str(out),
        *extra,
    ]


def train(d, model):
    return run(
        "train",
        "--history",
        str(d / "history.jsonl.gz"),
        "--municipalities",
        str(d / "municipalities.csv"),
        "--model",
        str(model),
    )


def test_train_then_recommend_writes_a_valid_assignment_with_predictions_and_runners_up(standin, world, tmp_path):
    d, munis, batch, cap = world
    out, _ = train(d, tmp_path / "m")
    assert "Modell standin-0001 lagret" in out and "Validering" in out
    for mode in ([], ["--one-at-a-time"]):
        a = tmp_path / "assignment.csv"
        out, _ = run(*recommend_args(d, tmp_path / "m", a, "--explain", str(tmp_path / "why.jsonl"), *mode))
        assert "LP-grense" in out and "gap" in out and "Tid:" in out
        rows = list(csv.DictReader(open(a, encoding="utf-8")))
        assert list(rows[0])[:5] == [
            "household_id",
            "municipality_number",
            "override_reason",
            "predicted_work_or_education",
            "predicted_stay",
        ]
        assert [r["household_id"] for r in rows] == [h["household_id"] for h in batch]
        numbers = [r["municipality_number"] for r in rows]
        assert violations(munis, batch, cap, numbers, [r["override_reason"] for r in rows]) == []
        assert all(0 <= float(r["predicted_stay"]) <= 1 for r in rows)
        assert all(r["runner_up_1"] != r["municipality_number"] for r in rows)
        assert sum(1 for r in rows if r["runner_up_3"]) > len(rows) / 2
        why = [json.loads(line) for line in open(tmp_path / "why.jsonl", encoding="utf-8")]
        assert len(why) == len(batch)
        first = why[0]
        assert first["top"][0]["municipality_number"] == numbers[0]
        assert first["top"][0]["reasons"][0]["label_nb"] == "kommunen"
        assert first["mode"] == ("one_at_a_time" if mode else "batch")
    assert "Én sak om gangen" in out


def test_a_connection_household_gets_its_true_reason_in_the_file(standin, world, tmp_path):
    d, munis, batch, cap = world
    batch[0]["connection_municipality"] = munis[0]["municipality_number"]
    batch[0]["persons"] = [rw.person(batch[0]["household_id"], k, age=30) for k in range(1, 5)]
    batch[0]["persons"][0]["unaccompanied_minor"] = False
    cap[0]["places"] = 3
    rw.write_world(d, munis, rw.history(100, munis, np.random.default_rng(1)), batch, cap)
    train(d, tmp_path / "m")
    run(*recommend_args(d, tmp_path / "m", tmp_path / "a.csv"))
    rows = list(csv.DictReader(open(tmp_path / "a.csv", encoding="utf-8")))
    assert (
        rows[0]["override_reason"] == "no_places" and rows[0]["municipality_number"] != munis[0]["municipality_number"]
    )


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("missing cases", "finner ikke"),
        ("cases not json", "not JSON"),
        ("unknown municipality", "unknown municipality"),
        ("negative places", "negative places"),
        ("connections do not fit", "need more places"),
        ("no model", "ingen modellmappe"),
    ],
)
def test_bad_input_is_refused_with_exit_status_2_and_nothing_written(standin, world, tmp_path, breakage, message):
    d, munis, batch, cap = world
    train(d, tmp_path / "m")
    model = tmp_path / "m"
    if breakage == "missing cases":
        (d / "batch.jsonl.gz").unlink()
    elif breakage == "cases not json":
        with gzip.open(d / "batch.jsonl.gz", "wt") as f:
            f.write('{"household_id": "B1", \n')
    elif breakage == "unknown municipality":
        cap[0] = {**cap[0], "municipality_number": "9999"}
        rw.write_world(d, munis, [], batch, cap)
    elif breakage == "negative places":
        cap[0] = {**cap[0], "places": -1}
        rw.write_world(d, munis, [], batch, cap)
    elif breakage == "connections do not fit":
        for h in batch[:5]:
            h["connection_municipality"], h["persons"][0]["special_need"] = "4601", "none"
            for p in h["persons"]:
                p["unaccompanied_minor"] = False
        cap[0] = {**cap[0], "places": 1}
        rw.write_world(d, munis, [], batch, cap)
    elif breakage == "no model":
        model = tmp_path / "nowhere"
    out = tmp_path / "assignment.csv"
    with pytest.raises(CommandError) as e:
        run(*recommend_args(d, model, out, "--explain", str(tmp_path / "why.jsonl")))
    assert e.value.returncode == 2
    assert message in str(e.value)
    assert not out.exists() and not (tmp_path / "why.jsonl").exists()


def test_the_nir_command_exits_with_status_2_on_a_bad_file(tmp_path):
    nir = pathlib.Path(sys.executable).with_name("nir")
    r = subprocess.run(
        [
            str(nir),
            "settlement",
            "recommend",
            "--model",
            str(tmp_path),
            "--cases",
            str(tmp_path / "none.jsonl"),
            "--capacity",
            "x.csv",
            "--municipalities",
            str(tmp_path / "nope.csv"),
            "--out",
            str(tmp_path / "a.csv"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NIR_VAR_DIR": str(tmp_path)},
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert "finner ikke" in r.stderr and not (tmp_path / "a.csv").exists()


def _fake_evaluator(tmp_path, violations_):
    """A test double with settlement_eval.py's --json output (the real one needs a generated world)."""
    script = tmp_path / "fake_eval.py"
    result = {
        "random": {"joint": 100.0},
        "oracle": {"joint": 200.0},
        "project": {"joint": 180.0, "work": 300.0, "stay": 700.0, "ratio": 0.8, "ratio_work": 0.7, "ratio_stay": 0.5},
        "calibration": {"work": {"predicted_total": 10, "true_total": 11, "bias_percent": -9.1}},
        "subgroups_worse_than_random": [],
        "connection": {
            "connection_households": 3,
            "connection_honoured": 2,
            "connection_overridden_with_true_reason": 1,
        },
        "violations": violations_,
    }
    script.write_text(
        "import json, sys\n"
        "a = sys.argv\n"
        f"open(a[a.index('--json') + 1], 'w').write(json.dumps({result!r}))\n"
        f"sys.exit({1 if violations_ else 0})\n"
    )
    return script


@pytest.mark.parametrize("bad", [[], ["capacity: 4601 gets 9 persons, places 3"]])
def test_backtest_prints_the_scores_and_fails_on_a_violation(standin, world, tmp_path, bad):
    d, *_ = world
    (d / "truth.json").write_text("{}")
    params = tmp_path / "params.json"
    params.write_text("{}")
    args = [
        "backtest",
        "--world",
        str(d),
        "--params",
        str(params),
        "--evaluator",
        str(_fake_evaluator(tmp_path, bad)),
        "--out",
        str(tmp_path / "bt"),
        "--one-at-a-time",
    ]
    if bad:
        with pytest.raises(CommandError) as e:
            run(*args)
        assert e.value.returncode == 1 and "brudd" in str(e.value)
        return
    out, _ = run(*args)
    assert "Hele puljen: ratio 0.800 (arbeid 0.700, bli boende 0.500)" in out
    assert "kalibrering work: predikert 10, sann 11 (-9.1 %)" in out
    assert "Én sak om gangen mot hele puljen: 100.0 %" in out
    assert "Rettferdighet" in out and "bestått" in out
    assert "tilknytning: 2 av 3 fulgt, 1 andre steder med sann grunn" in out
    assert (tmp_path / "bt" / "assignment-batch.csv").exists()
    assert (tmp_path / "bt" / "assignment-one_at_a_time.csv").exists()


def test_train_without_its_files_is_refused_with_exit_status_2(standin, tmp_path):
    with pytest.raises(CommandError) as e:
        run("train", "--model", str(tmp_path / "m"))
    assert e.value.returncode == 2 and "--history og --municipalities må oppgis" in str(e.value)
    assert not (tmp_path / "m").exists()


def test_backtest_refuses_a_folder_that_is_not_a_world(standin, tmp_path):
    with pytest.raises(CommandError) as e:
        run("backtest", "--world", str(tmp_path), "--params", str(tmp_path / "p.json"))
    assert e.value.returncode == 2 and "mangler municipalities.csv" in str(e.value)


@pytest.mark.skipif(not (SHARED / "settlement_eval.py").exists() or not PUBLIC.exists(), reason="no shared world")
def test_backtest_with_the_real_evaluator_on_the_public_world(standin, tmp_path):
    baselines = tmp_path / "baselines.json"
    cached = PUBLIC.parent / "public-baselines.json"
    if cached.exists():
        baselines.write_bytes(cached.read_bytes())
    out, _ = run(
        "backtest",
        "--world",
        str(PUBLIC),
        "--params",
        str(SHARED / "public_params.json"),
        "--evaluator",
        str(SHARED / "settlement_eval.py"),
        "--out",
        str(tmp_path / "bt"),
        "--baselines",
        str(baselines),
    )
    assert "0 brudd på harde krav" in out
