"""nir settlement train | recommend | backtest — the recommendation tool on a settlement world's files.

    nir settlement train --history FILE --municipalities FILE --model DIR
    nir settlement train --from-register --until DATE [--since DATE] [--model DIR] [--register] [--user U]
    nir settlement recommend --model DIR --cases FILE --capacity FILE --municipalities FILE \\
        --out assignment.csv [--explain FILE] [--one-at-a-time]
    nir settlement backtest --world DIR --params FILE [--evaluator PATH] [--one-at-a-time] [--out DIR]

Files in the formats of shared/settlement/formats.md; the engine is ``nir.settlement.recommend``
(docs/settlement-recommendation.md). These commands read files only, never the register, except
``train --from-register``: the production path (the register's own history, one audited read) is
``recommend_source.train_command``.

A bad input file (missing, not in the format, an unknown municipality, constraints that cannot hold)
stops the command with a message naming the file and what is wrong, exit status 2, and nothing
written. ``backtest`` exits with 1 when the evaluator finds a violated hard constraint.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, is_dataclass
from typing import Any

import numpy as np
from django.core.management.base import CommandError

from nir.settlement.recommend import data
from nir.settlement.recommend import optimise as opt

#: The evaluator of the shared settlement world, relative to the repository (../shared/settlement/).
DEFAULT_EVALUATOR = pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "settlement" / "settlement_eval.py"
RUNNERS_UP = 3
TOP_EXPLAINED = 5
COLUMNS = (
    "household_id",
    "municipality_number",
    "override_reason",
    "predicted_work_or_education",
    "predicted_stay",
    "predicted_joint",
    "predicted_work_sd",
    "predicted_stay_sd",
    "predicted_joint_sd",
    *(f"runner_up_{i}" for i in range(1, RUNNERS_UP + 1)),
)


def add_parsers(subs: Any) -> None:
    tr = subs.add_parser("train", help="train the recommendation model on a settled history")
    # required in _train, not here, so another source of the history can share the sub-command
    tr.add_argument("--history", help="history.jsonl(.gz): settled households with outcomes")
    tr.add_argument("--municipalities", help="municipalities.csv")
    tr.add_argument("--model", help="directory to save the model in")
    tr.add_argument("--seed", type=int, default=0)
    # the production path: the register's own history (recommend_source.train_command, audited there)
    tr.add_argument("--from-register", action="store_true", help="train on the register's settled households")
    tr.add_argument("--until", help="--from-register: outcomes read up to this date (YYYY-MM-DD)")
    tr.add_argument("--since", help="--from-register: households settled from this date")
    tr.add_argument("--register", action="store_true", help="--from-register: register the model for use")
    tr.add_argument("--user", help="--from-register: the acting user (IMDi's national settlement staff)")
    rec = subs.add_parser("recommend", help="recommend a municipality for every household of a batch")
    rec.add_argument("--model", required=True, help="a directory written by nir settlement train")
    rec.add_argument("--cases", required=True, help="batch.jsonl(.gz): households ready for settlement")
    rec.add_argument("--capacity", required=True, help="capacity.csv")
    rec.add_argument("--municipalities", required=True, help="municipalities.csv")
    rec.add_argument("--out", required=True, help="assignment.csv to write")
    rec.add_argument("--explain", help="JSON Lines file: per household its top municipalities and reasons")
    rec.add_argument(
        "--one-at-a-time", action="store_true", help="decide the cases one by one in ready-date order (dual prices)"
    )
    bt = subs.add_parser("backtest", help="train on a world's history, recommend for its batch, score it")
    bt.add_argument("--world", required=True, help="a settlement world folder")
    bt.add_argument("--params", required=True, help="the world's parameter file (for the evaluator only)")
    bt.add_argument("--evaluator", default=str(DEFAULT_EVALUATOR), help="settlement_eval.py")
    bt.add_argument("--one-at-a-time", action="store_true", help="also decide case by case and compare with the batch")
    bt.add_argument("--out", help="directory for the model, assignments and scores (default: a temporary one)")
    bt.add_argument("--baselines", help="the evaluator's baseline cache (default: in --out)")
    bt.add_argument("--seed", type=int, default=0)


def handle(o: dict[str, Any], out: Any, err: Any) -> None:
    {"train": _train, "recommend": _recommend, "backtest": _backtest}[o["area"]](o, out, err)


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def _bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=2)


@contextlib.contextmanager
def _input_errors(what: str) -> Iterator[None]:
    """Bad input files become a clear message and exit status 2."""
    try:
        yield
    except FileNotFoundError as e:
        raise _bad_input(f"{what}: finner ikke {e.filename}") from None
    except IsADirectoryError as e:
        raise _bad_input(f"{what}: {e.filename} er en mappe, ikke en fil") from None
    except (data.DataError, opt.InfeasibleError) as e:
        raise _bad_input(f"{what}: {e}") from None
    except (UnicodeDecodeError, OSError, EOFError) as e:
        raise _bad_input(f"{what}: kan ikke leses ({e})") from None
    except (KeyError, ValueError, TypeError) as e:
        raise _bad_input(f"{what}: følger ikke formatet ({type(e).__name__}: {e})") from None


def _model_module() -> Any:
    from nir.settlement.recommend import model

    return model


def _explain_module() -> Any:
    from nir.settlement.recommend import explain

    return explain


def _fairness_module() -> Any:
    from nir.settlement.recommend import fairness

    return fairness


@contextlib.contextmanager
def _progress(err: Any, title: str) -> Iterator[Callable[[str], None]]:
    """A rich spinner with the current step on standard error (plain lines when it is not a terminal)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        t0 = time.perf_counter()
        yield lambda s: err.write(f"{title}: {s} ({time.perf_counter() - t0:.0f} s)")
        return
    with Progress(
        SpinnerColumn(),
        TextColumn(f"[bold]{title}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)
        yield lambda s: bar.update(task, description=s)


def _write_atomic(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _summary_lines(node: Any, path: str = "", depth: int = 0) -> list[str]:
    """Flatten the model card's validation figures into 'path: key=value …' lines."""
    if not isinstance(node, dict):
        return []
    leaves = {k: v for k, v in node.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    lines = []
    if leaves:
        text = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in leaves.items())
        lines.append(f"  {path or 'validation'}: {text}")
    if depth < 4:
        for k, v in node.items():
            if isinstance(v, dict):
                lines += _summary_lines(v, f"{path} {k}".strip(), depth + 1)
    return lines


# ------------------------------------------------------------------------------------------------
# train
# ------------------------------------------------------------------------------------------------


def _train_from_register(o: dict[str, Any], out: Any, err: Any) -> None:
    """The register's own history: ``nir.settlement.recommend_source.train_command`` (one audited read)."""
    from nir.settlement import recommend_source

    if not o.get("until"):
        raise _bad_input("nir settlement train --from-register: --until må oppgis")
    with _progress(err, "Trener") as say:
        try:
            recommend_source.train_command(
                until=o["until"],
                since=o.get("since"),
                model=o.get("model"),
                register=bool(o.get("register")),
                user=o.get("user"),
                write=lambda line: out.write(line),
                progress=say,
            )
        except data.DataError as e:
            raise _bad_input(str(e)) from None


def _train(o: dict[str, Any], out: Any, err: Any) -> None:
    if o.get("from_register"):
        return _train_from_register(o, out, err)
    missing = [f"--{k}" for k in ("history", "municipalities", "model") if not o.get(k)]
    if missing:
        raise _bad_input(f"nir settlement train: {' og '.join(missing)} må oppgis")
    with _input_errors(o["municipalities"]):
        munis = data.read_municipalities(o["municipalities"])
    with _input_errors(o["history"]):
        history = data.read_households(o["history"], munis)
    if not history.has_outcomes:
        raise _bad_input(f"{o['history']}: ingen husstander med bosettingskommune og utfall (historikk ventet)")
    model_mod = _model_module()
    t0 = time.perf_counter()
    with _progress(err, "Trener") as say:
        try:
            model = model_mod.train(history, munis, seed=o["seed"], progress=say)
        except ValueError as e:  # the model's own refusals (too short a history, …)
            raise _bad_input(f"{o['history']}: {e}") from None
    seconds = time.perf_counter() - t0
    model.save(o["model"])
    out.write(
        f"Modell {model.version} lagret i {o['model']}: {history.nh} husstander, {history.np} personer, {seconds:.1f} s"
    )
    lines = _summary_lines(model.card.get("validation", {}))
    if lines:
        out.write("Validering på holdt-ut år:")
        for line in lines:
            out.write(line)


# ------------------------------------------------------------------------------------------------
# recommend
# ------------------------------------------------------------------------------------------------


class Recommendation:
    """One batch's recommendation: the problem, the model's values and the chosen assignment."""

    def __init__(
        self,
        model: Any,
        munis: data.Municipalities,
        hh: data.Households,
        capacity: data.Capacity,
        one_at_a_time: bool,
        say: Callable[[str], None] = lambda s: None,
    ) -> None:
        t0 = time.perf_counter()
        self.model, self.munis, self.hh, self.capacity = model, munis, hh, capacity
        self.problem = opt.problem(hh, munis, capacity)
        say(f"predikerer {hh.nh} husstander × {munis.n} kommuner")
        self.values = model.predict(hh, munis)
        t1 = time.perf_counter()
        self.timings = {"predict": t1 - t0}
        say("fordeler hele puljen (LP + MIP)")
        self.batch = opt.assign_batch(self.problem, self.values.joint)
        self.timings["batch"] = time.perf_counter() - t1
        self.result = self.batch
        if one_at_a_time:
            say("fordeler én sak om gangen")
            t2 = time.perf_counter()
            self.result = opt.assign_one_at_a_time(self.problem, self.values.joint)
            self.timings["one_at_a_time"] = time.perf_counter() - t2
        self.one_at_a_time = one_at_a_time

    def ranked(self, h: int) -> list[int]:
        """Household h's municipalities best first (value − size · dual), with the capacity the
        other households leave: the chosen one first, then the runners-up."""
        p, a = self.problem, self.result.assign
        left_p, left_u = opt._left_after(p, a, np.arange(p.nh) != h)
        r = opt.rank_one(p, h, self.values.joint[h], left_p, left_u, self.result.duals_places, self.result.duals_um)
        chosen = int(a[h])
        return [chosen, *[m for m in r if m != chosen]]

    def csv_text(self) -> str:
        v, a, p = self.values, self.result.assign, self.problem
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for h in range(self.hh.nh):
            m = int(a[h])
            reason = ""
            if self.hh.h_conn[h] >= 0 and m != self.hh.h_conn[h]:
                reasons = p.override_reasons(h)
                if not reasons:  # cannot happen: problem() only frees households with a true reason
                    raise AssertionError(f"{self.hh.ids[h]}: connection not honoured without a reason")
                reason = reasons[0]
            runners = [self.munis.numbers[r] for r in self.ranked(h)[1 : 1 + RUNNERS_UP]]
            runners += [""] * (RUNNERS_UP - len(runners))
            w.writerow(
                [
                    self.hh.ids[h],
                    self.munis.numbers[m],
                    reason,
                    f"{v.work[h, m]:.4f}",
                    f"{v.stay[h, m]:.4f}",
                    f"{v.joint[h, m]:.4f}",
                    f"{v.work_sd[h, m]:.4f}",
                    f"{v.stay_sd[h, m]:.4f}",
                    f"{v.joint_sd[h, m]:.4f}",
                    *runners,
                ]
            )
        return buf.getvalue()

    def explanations(self) -> Iterator[dict[str, Any]]:
        ex = _explain_module()
        v, p, mu = self.values, self.problem, self.munis
        left_p, left_u = opt._left_after(p, self.result.assign, np.ones(p.nh, bool))
        members_16_64 = np.bincount(self.hh.p_hh, weights=self.hh.p_eligible.astype(float), minlength=self.hh.nh)
        for h in range(self.hh.nh):
            ranked = self.ranked(h)[:TOP_EXPLAINED]
            left = left_u if p.um[h] else left_p
            top = []
            for i, m in enumerate(ranked):
                # the model's reasons for the recommended municipality against the next ones (one
                # explanation per household: ~30 ms each; the page explains any of them on demand)
                # (a household without members aged 16-64 has a joint value of 0 everywhere: nothing to explain)
                against = np.array(ranked[1:4], int)
                explained = i == 0 and len(against) and members_16_64[h] > 0
                reasons = ex.explain(self.model, self.hh, mu, h, m, against) if explained else []
                top.append(
                    {
                        "municipality_number": mu.numbers[m],
                        "name": mu.names[m],
                        "predicted_joint": round(float(v.joint[h, m]), 4),
                        "predicted_joint_sd": round(float(v.joint_sd[h, m]), 4),
                        "predicted_work_or_education": round(float(v.work[h, m]), 4),
                        "predicted_work_sd": round(float(v.work_sd[h, m]), 4),
                        "predicted_stay": round(float(v.stay[h, m]), 4),
                        "predicted_stay_sd": round(float(v.stay_sd[h, m]), 4),
                        "places_left_after": int(left[m]),
                        "reasons": [asdict(r) if is_dataclass(r) else r for r in reasons],  # type: ignore[arg-type]
                    }
                )
            excluded = Counter(re.sub(r"\s*\([^)]*\)", "", t) for t in p.excluded(h).values())
            c = int(self.hh.h_conn[h])
            yield {
                "household_id": self.hh.ids[h],
                "model_version": self.model.version,
                "mode": "one_at_a_time" if self.one_at_a_time else "batch",
                "connection_municipality": mu.numbers[c] if c >= 0 else None,
                "connection_must_be_honoured": bool(p.must[h] >= 0),
                "override_reasons": p.override_reasons(h) if c >= 0 and p.must[h] < 0 else [],
                "top": top,
                "excluded_municipalities": int(sum(excluded.values())),
                "excluded_by_reason": dict(excluded.most_common()),
            }


def _read_batch(o: dict[str, Any]) -> tuple[data.Municipalities, data.Households, data.Capacity]:
    with _input_errors(o["municipalities"]):
        munis = data.read_municipalities(o["municipalities"])
    with _input_errors(o["cases"]):
        hh = data.read_households(o["cases"], munis)
    if hh.nh == 0:
        raise _bad_input(f"{o['cases']}: ingen husstander")
    with _input_errors(o["capacity"]):
        capacity = data.read_capacity(o["capacity"], munis)
    return munis, hh, capacity


def _load_model(directory: str) -> Any:
    model_mod = _model_module()
    if not pathlib.Path(directory).is_dir():
        raise _bad_input(f"{directory}: ingen modellmappe (lag en med nir settlement train)")
    try:
        return model_mod.RecommendationModel.load(directory)
    except (OSError, ValueError, KeyError, EOFError) as e:
        raise _bad_input(f"{directory}: modellen kan ikke lastes ({e})") from None


def _recommend(o: dict[str, Any], out: Any, err: Any) -> None:
    munis, hh, capacity = _read_batch(o)
    model = _load_model(o["model"])
    t0 = time.perf_counter()
    with _progress(err, "Anbefaler") as say:
        with _input_errors(o["cases"]):
            rec = Recommendation(model, munis, hh, capacity, o["one_at_a_time"], say)
        text = rec.csv_text()
        explain_text = None
        if o["explain"]:
            say("forklarer")
            lines = [json.dumps(e, ensure_ascii=False) for e in rec.explanations()]
            explain_text = "\n".join(lines) + "\n"
    _write_atomic(pathlib.Path(o["out"]), text)
    if explain_text is not None:
        _write_atomic(pathlib.Path(o["explain"]), explain_text)
    b = rec.batch
    v = rec.values
    chosen = rec.result.assign
    rows = np.arange(hh.nh)
    out.write(f"Modell {model.version}: {hh.nh} husstander, {hh.np} personer, {munis.n} kommuner")
    out.write(
        f"Hele puljen: verdi {b.value:.1f}, LP-grense {b.lp_bound:.1f}, gap {b.gap_percent:.3f} % "
        f"({b.info.get('fractional_households')} brøkdelte husstander, {b.info.get('repair')}), {b.seconds:.1f} s"
    )
    if o["one_at_a_time"]:
        r = rec.result
        out.write(
            f"Én sak om gangen: verdi {r.value:.1f} = {100 * r.value / b.value:.1f} % av hele puljen, "
            f"{r.info.get('resolves')} prognose-LP-er, {r.seconds:.1f} s"
        )
    honoured = int(((hh.h_conn >= 0) & (chosen == hh.h_conn)).sum())
    out.write(
        f"Predikert: {v.work[rows, chosen].sum():.1f} i arbeid/utdanning, {v.stay[rows, chosen].sum():.1f} "
        f"husstander blir boende, felles mål {v.joint[rows, chosen].sum():.1f}; tilknytning fulgt for "
        f"{honoured} av {int((hh.h_conn >= 0).sum())}"
    )
    timings = ", ".join(f"{k} {s:.1f} s" for k, s in rec.timings.items())
    out.write(f"Tid: {timings}; i alt {time.perf_counter() - t0:.1f} s. Skrev {o['out']}")
    violations = rec.problem.check(chosen)
    if violations:  # a bug, never an input error: say so loudly
        raise CommandError(f"{len(violations)} brudd på harde krav: {violations[:3]}")


# ------------------------------------------------------------------------------------------------
# backtest
# ------------------------------------------------------------------------------------------------


def _evaluate(o: dict[str, Any], assignment: pathlib.Path, out_dir: pathlib.Path, name: str) -> dict[str, Any]:
    result_path = out_dir / f"score-{name}.json"
    baselines = o["baselines"] or str(out_dir / "baselines.json")
    cmd = [
        sys.executable,
        o["evaluator"],
        "--params",
        o["params"],
        "--world",
        o["world"],
        "--assignment",
        str(assignment),
        "--json",
        str(result_path),
        "--baselines",
        baselines,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if not result_path.exists():
        raise CommandError(f"evaluatoren feilet (status {run.returncode}): {run.stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    return result


def _score_lines(name: str, r: dict[str, Any]) -> list[str]:
    p = r.get("project", {})
    lines = [
        f"{name}: ratio {p.get('ratio', math.nan):.3f} (arbeid {p.get('ratio_work', math.nan):.3f}, "
        f"bli boende {p.get('ratio_stay', math.nan):.3f}); felles {p.get('joint', math.nan):.1f}, "
        f"tilfeldig {r['random']['joint']:.1f}, orakel {r['oracle']['joint']:.1f}; "
        f"{len(r.get('violations', []))} brudd på harde krav"
    ]
    for k, c in (r.get("calibration") or {}).items():
        lines.append(
            f"  kalibrering {k}: predikert {c['predicted_total']}, sann {c['true_total']} ({c['bias_percent']} %)"
        )
    c = r.get("connection")
    if c:
        lines.append(
            f"  tilknytning: {c['connection_honoured']} av {c['connection_households']} fulgt, "
            f"{c['connection_overridden_with_true_reason']} andre steder med sann grunn"
        )
    worse = r.get("subgroups_worse_than_random", [])
    lines.append(f"  grupper mer enn 2 poeng under tilfeldig på P(arbeid): {', '.join(worse) or 'ingen'}")
    for v in r.get("violations", [])[:10]:
        lines.append(f"  BRUDD: {v}")
    return lines


def _backtest(o: dict[str, Any], out: Any, err: Any) -> None:
    world = pathlib.Path(o["world"])
    for f in ("municipalities.csv", "history.jsonl.gz", "batch.jsonl.gz", "capacity.csv"):
        if not (world / f).is_file():
            raise _bad_input(f"{world}: mangler {f} (en bosettingsverden ventet)")
    for f in (o["params"], o["evaluator"]):
        if not pathlib.Path(f).is_file():
            raise _bad_input(f"finner ikke {f}")
    out_dir = pathlib.Path(o["out"]) if o["out"] else pathlib.Path(tempfile.mkdtemp(prefix="nir-backtest-"))
    o = {
        **o,
        "params": str(pathlib.Path(o["params"]).resolve()),
        "evaluator": str(pathlib.Path(o["evaluator"]).resolve()),
    }
    with _input_errors(str(world / "municipalities.csv")):
        munis = data.read_municipalities(world / "municipalities.csv")
    with _input_errors(str(world / "history.jsonl.gz")):
        history = data.read_households(world / "history.jsonl.gz", munis)
    spec = {
        "municipalities": str(world / "municipalities.csv"),
        "cases": str(world / "batch.jsonl.gz"),
        "capacity": str(world / "capacity.csv"),
    }
    _, hh, capacity = _read_batch(spec)
    model_mod = _model_module()
    t0 = time.perf_counter()
    with _progress(err, "Tilbaketest") as say:
        model = model_mod.train(history, munis, seed=o["seed"], progress=say)
        t_train = time.perf_counter() - t0
        model.save(out_dir / "model")
        with _input_errors(spec["cases"]):
            rec = Recommendation(model, munis, hh, capacity, False, say)
        runs = {"batch": rec.batch}
        if o["one_at_a_time"]:
            say("én sak om gangen")
            t1 = time.perf_counter()
            runs["one_at_a_time"] = opt.assign_one_at_a_time(rec.problem, rec.values.joint)
            rec.timings["one_at_a_time"] = time.perf_counter() - t1
        scores = {}
        for name, res in runs.items():
            rec.result = res
            rec.one_at_a_time = name == "one_at_a_time"
            path = out_dir / f"assignment-{name}.csv"
            _write_atomic(path, rec.csv_text())
            say(f"evaluerer {name}")
            scores[name] = _evaluate(o, path, out_dir, name)
    out.write(f"Modell {model.version} trent på {history.nh} husstander ({history.np} personer) på {t_train:.0f} s")
    b = rec.batch
    out.write(
        f"Hele puljen: LP-grense {b.lp_bound:.1f}, verdi {b.value:.1f}, gap {b.gap_percent:.3f} %, {b.seconds:.1f} s"
    )
    for name, r in scores.items():
        for line in _score_lines("Hele puljen" if name == "batch" else "Én sak om gangen", r):
            out.write(line)
    if "one_at_a_time" in scores:
        jb = scores["batch"]["project"]["joint"]
        jo = scores["one_at_a_time"]["project"]["joint"]
        rb = scores["batch"]["project"]["ratio"]
        ro = scores["one_at_a_time"]["project"]["ratio"]
        out.write(
            f"Én sak om gangen mot hele puljen: {100 * jo / jb:.1f} % av det sanne felles målet "
            f"({100 * ro / rb:.1f} % av ratioen)"
        )
    fr = _fairness_module().fairness_report(hh, munis, capacity, model, runs["batch"].assign)
    t = fr.get("totals", {})
    out.write(
        f"Rettferdighet (predikert, mot kapasitetsproporsjonal tilfeldig fordeling, toleranse {fr.get('tolerance')}): "
        f"{'bestått' if fr.get('passed') else 'IKKE bestått'}; i arbeid/utdanning {t.get('work')} mot "
        f"{t.get('work_random')}; grupper under tilfeldig: {', '.join(map(str, fr.get('flagged') or [])) or 'ingen'}"
    )
    out.write(f"Filer i {out_dir}")
    bad = {n: len(r.get("violations", [])) for n, r in scores.items() if r.get("violations")}
    if bad:
        raise CommandError(f"brudd på harde krav: {bad}", returncode=1)
