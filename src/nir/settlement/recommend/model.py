"""Learning both outcomes from the settlement history: P(work or education after 2 years) per person
aged 16-64, P(still living in the municipality after 2 years) per household.

How (docs/settlement-recommendation.md, «The model»):

1. *Municipality effects.* A municipality-blind logistic model (every feature but the municipality's
   identity) gives each training row a residual; per municipality and outcome the residuals' mean,
   shrunk by empirical Bayes (features.municipality_effects), is the latent quality the indicators
   do not show. Training rows get it out-of-fold (5 folds by household) so the learner cannot read
   its own outcome from it; predictions use the effect from all training years.
2. *Learner by held-out years.* Gradient boosting (HistGradientBoostingClassifier: learns person x
   municipality interactions), a logistic regression (additive: no learned interactions, the
   ``interactions=False`` ablation) and their blend (the average of both) are each trained leaving
   one settlement year out and scored on it (log-loss, AUC, Brier, predicted vs observed totals).
   Per outcome, the one with the lowest log-loss on the latest year is kept; ``interactions=False``
   keeps the logistic one.
3. *Calibration.* A Platt map (logistic on the logit) per outcome, fitted on the pooled held-out-year
   predictions of the kept learner: the batch is a year the model has not seen, and this is how
   the model's probabilities relate to outcomes in years it has not seen.
4. *Uncertainty.* The final model is an ensemble of ``N_BOOT`` learners on bootstrap resamples of
   households (all years); the prediction is the members' mean, its sd the members' spread.

A household's value is the SUM over its members aged 16-64 of P(work) (never the best member's),
times P(stay): ``joint``.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import joblib
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

from . import card as card_mod
from . import fairness, optimise
from . import features as F
from .data import Households, Municipalities

N_BOOT = 5
N_BOOT_TREES = 3
N_FOLDS = 5
LEARNERS = ("gradient_boosting", "logistic")
BLEND = "blend"  # the average of both learners' probabilities
#: Pairs per prediction chunk (rows of the feature matrix); float32 keeps a chunk near 60 MB.
CHUNK_ROWS = 250_000
ARTEFACTS = ("model.joblib", "card.json")


class ModelError(ValueError):
    """A model directory that is missing, incomplete or changed after training."""


@dataclass
class HouseholdValues:
    work: np.ndarray
    work_sd: np.ndarray
    stay: np.ndarray
    stay_sd: np.ndarray
    joint: np.ndarray
    joint_sd: np.ndarray


def _learner(kind: str, seed: int) -> Any:
    if kind == "gradient_boosting":
        return HistGradientBoostingClassifier(
            max_iter=80,
            learning_rate=0.1,
            max_leaf_nodes=31,
            max_depth=6,
            min_samples_leaf=80,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
    if kind == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    raise ValueError(f"unknown learner {kind!r}")


def _fit_learner(kind: str, seed: int, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> Any:
    est = _learner(kind, seed)
    if w is None:
        est.fit(X, y)
    elif kind == "logistic":
        est.fit(X, y, logisticregression__sample_weight=w)
    else:
        est.fit(X, y, sample_weight=w)
    return est


#: Below this many rows a prediction runs on one thread. Gradient boosting predicts with OpenMP threads,
#: whose synchronisation dominates a small prediction and, on a busy machine, makes it wait for the
#: other cores: one case's explanation took 0.24 s (p50) and 0.76 s (p95) with three other processes
#: running, 0.06 s and 0.07 s on one thread (a web request explains one case; the batch stays parallel).
SMALL_PREDICTION = 20_000
_THREADS: ThreadpoolController | None = None  # found once (finding the libraries takes ~3 ms a time)


def _proba(est: Any, X: np.ndarray) -> np.ndarray:
    global _THREADS
    if len(X) < SMALL_PREDICTION:
        if _THREADS is None:
            _THREADS = ThreadpoolController()
        with _THREADS.limit(limits=1, user_api="openmp"):
            return np.clip(est.predict_proba(X)[:, 1], 1e-5, 1 - 1e-5)
    return np.clip(est.predict_proba(X)[:, 1], 1e-5, 1 - 1e-5)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _platt(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(p)[:, None], y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _apply(ab: tuple[float, float], p: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(ab[0] * _logit(p) + ab[1])))


@dataclass
class _Training:
    """The training rows of one history: which persons/households, where, and their outcomes."""

    b: F.Base
    p: np.ndarray  # person rows with a work outcome
    pm: np.ndarray
    py: np.ndarray
    h: np.ndarray  # household rows with a stay outcome
    hm: np.ndarray
    hy: np.ndarray


def _training(hh: Households, munis: Municipalities) -> _Training:
    if not hh.has_outcomes:
        raise ModelError("the history has no outcomes (settled_municipality and outcomes are needed)")
    b = F.base(hh, munis)
    p = np.flatnonzero(hh.p_eligible & ~np.isnan(hh.p_work))
    h = np.flatnonzero(~np.isnan(hh.h_stay))
    if len(p) < 50 or len(h) < 50:
        raise ModelError(f"too little history to learn from: {len(p)} persons, {len(h)} households with outcomes")
    return _Training(
        b=b,
        p=p,
        pm=hh.h_settled[hh.p_hh[p]],
        py=hh.p_work[p].astype(int),
        h=h,
        hm=hh.h_settled[h],
        hy=hh.h_stay[h].astype(int),
    )


@dataclass
class _Fitted:
    """One fitted pair of outcome models (an ensemble of members) and its municipality effects."""

    kind: dict[str, str]  # outcome -> learner
    effects: np.ndarray  # (M, 2): work, stay
    work: list[Any]
    stay: list[Any]
    calibration: dict[str, tuple[float, float]] = field(default_factory=dict)

    def work_proba(self, X: np.ndarray) -> np.ndarray:
        """(members, n) calibrated P(work)."""
        out = np.stack([_proba(e, X) for e in self.work])
        return _apply(self.calibration["work"], out) if "work" in self.calibration else out

    def stay_proba(self, X: np.ndarray) -> np.ndarray:
        out = np.stack([_proba(e, X) for e in self.stay])
        return _apply(self.calibration["stay"], out) if "stay" in self.calibration else out


def _fit(
    t: _Training, n_munis: int, pk: np.ndarray, hk: np.ndarray, kind: dict[str, str], seed: int, n_boot: int
) -> _Fitted:
    """Fit on the training persons ``t.p[pk]`` and households ``t.h[hk]`` (index masks)."""
    b = t.b
    p, pm, py = t.p[pk], t.pm[pk], t.py[pk]
    h, hm, hy = t.h[hk], t.hm[hk], t.hy[hk]
    zeros_p, zeros_h = np.zeros((len(p), 2)), np.zeros((len(h), 2))
    # 1. municipality-blind residuals, then shrunken effects, out-of-fold for the training rows
    base_w = _fit_learner("logistic", seed, F.work_rows(b, p, pm, zeros_p), py, None)
    base_s = _fit_learner("logistic", seed, F.stay_rows(b, h, hm, zeros_h), hy, None)
    rw = py - _proba(base_w, F.work_rows(b, p, pm, zeros_p))
    rs = hy - _proba(base_s, F.stay_rows(b, h, hm, zeros_h))
    rng = np.random.default_rng(seed)
    hfold = rng.integers(0, N_FOLDS, b.h_conn.shape[0])
    pf, hf = hfold[b.p_hh[p]], hfold[h]
    effects = np.column_stack([F.municipality_effects(rw, pm, n_munis), F.municipality_effects(rs, hm, n_munis)])
    eff_p, eff_h = np.zeros((len(p), 2)), np.zeros((len(h), 2))
    for k in range(N_FOLDS):
        ew = F.municipality_effects(rw, pm, n_munis, np.where(pf == k, 0, 1), 0)
        es = F.municipality_effects(rs, hm, n_munis, np.where(hf == k, 0, 1), 0)
        ek = np.column_stack([ew, es])
        eff_p[pf == k] = ek[pm[pf == k]]
        eff_h[hf == k] = ek[hm[hf == k]]
    Xw = F.work_rows(b, p, pm, eff_p)
    Xs = F.stay_rows(b, h, hm, eff_h)
    # 2. the learner, or an ensemble on bootstrap resamples of households
    work, stay = [], []
    for i in range(n_boot):
        if n_boot == 1:
            ww = ws = None
        else:
            draws = np.bincount(rng.integers(0, b.h_conn.shape[0], b.h_conn.shape[0]), minlength=b.h_conn.shape[0])
            ww, ws = draws[b.p_hh[p]].astype(float), draws[h].astype(float)
        for out, k, X, y, w in ((work, kind["work"], Xw, py, ww), (stay, kind["stay"], Xs, hy, ws)):
            # a blend is both learners on the same resample: the members' mean is their average
            for one in LEARNERS if k == BLEND else (k,):
                out.append(_fit_learner(one, seed + i, X, y, w))
    return _Fitted(kind=kind, effects=effects, work=work, stay=stay)


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "n": int(len(y)),
        "log_loss": round(float(log_loss(y, p, labels=[0, 1])), 4),
        "auc": round(float(roc_auc_score(y, p)), 4) if 0 < y.sum() < len(y) else float("nan"),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "observed_total": int(y.sum()),
        "predicted_total": round(float(p.sum()), 1),
    }


def _deciles(y: np.ndarray, p: np.ndarray) -> list[dict[str, float]]:
    edges = np.quantile(p, np.linspace(0, 1, 11))
    k = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, 9)
    return [
        {
            "decile": int(d + 1),
            "n": int((k == d).sum()),
            "predicted": round(float(p[k == d].mean()), 4),
            "observed": round(float(y[k == d].mean()), 4),
        }
        for d in range(10)
        if (k == d).any()
    ]


def _data_hash(hh: Households, munis: Municipalities) -> str:
    sha = hashlib.sha256()
    for a in (hh.h_settled, hh.h_year, np.nan_to_num(hh.h_stay, nan=-1), np.nan_to_num(hh.p_work, nan=-1)):
        sha.update(np.ascontiguousarray(a).tobytes())
    sha.update(F.base(hh, munis).person.tobytes())
    sha.update(F.municipality_block(munis).tobytes())
    sha.update(munis.diaspora.tobytes())
    return sha.hexdigest()


class RecommendationModel:
    """The trained outcome models: predictions for households x municipalities, with sd."""

    def __init__(self, fitted: _Fitted, year: float, n_munis: int, version: str, card: dict[str, Any]) -> None:
        self._fitted = fitted
        self.year = year
        self.n_munis = n_munis
        self.version = version
        self.card = card

    # -- prediction ---------------------------------------------------------------------------
    def _check(self, munis: Municipalities) -> None:
        if munis.n != self.n_munis:
            raise ModelError(f"the model knows {self.n_munis} municipalities, the table has {munis.n}")

    def _members(self, hh: Households, munis: Municipalities, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per ensemble member: the households' expected number in work, the sum over their members
        16-64 (Bw, n, M), and P(stay) (Bs, n, M); chunked so no more than CHUNK_ROWS pairs at once."""
        self._check(munis)
        b = F.base(hh, munis, year=self.year)
        M = munis.n
        eff = self._fitted.effects
        nb, ns = len(self._fitted.work), len(self._fitted.stay)
        W = np.zeros((nb, len(rows), M), np.float32)
        S = np.zeros((ns, len(rows), M), np.float32)
        elig = hh.p_eligible
        # households per chunk: keep pairs (persons x M) near CHUNK_ROWS
        per = max(1, int(CHUNK_ROWS / (M * max(1.0, float(hh.np) / max(hh.nh, 1)))))
        starts = np.r_[0, np.cumsum(np.bincount(hh.p_hh, minlength=hh.nh))]
        for c0 in range(0, len(rows), per):
            hc = rows[c0 : c0 + per]
            ps = np.concatenate([np.arange(starts[h], starts[h + 1]) for h in hc])
            ps = ps[elig[ps]]
            if len(ps):
                P = np.repeat(ps, M)
                Mi = np.tile(np.arange(M), len(ps))
                pw = self._fitted.work_proba(F.work_rows(b, P, Mi, eff[Mi])).reshape(nb, len(ps), M)
                local = np.searchsorted(hc, hh.p_hh[ps]) if np.all(np.diff(hc) > 0) else _local(hc, hh.p_hh[ps])
                A = np.zeros((len(hc), len(ps)), np.float32)
                A[local, np.arange(len(ps))] = 1.0
                W[:, c0 : c0 + len(hc)] = np.einsum("hk,bkm->bhm", A, pw)
            H = np.repeat(hc, M)
            Mi = np.tile(np.arange(M), len(hc))
            S[:, c0 : c0 + len(hc)] = self._fitted.stay_proba(F.stay_rows(b, H, Mi, eff[Mi])).reshape(ns, len(hc), M)
        return W, S

    def predict(self, hh: Households, munis: Municipalities, rows: np.ndarray | None = None) -> HouseholdValues:
        rows = np.arange(hh.nh) if rows is None else np.asarray(rows, int)
        W, S = self._members(hh, munis, rows)

        def sd(a: np.ndarray) -> np.ndarray:
            return a.std(axis=0, ddof=1) if a.shape[0] > 1 else np.zeros(a.shape[1:], np.float32)

        w, s = W.mean(axis=0), S.mean(axis=0)
        w_sd, s_sd = sd(W), sd(S)
        # the work and stay models are fitted apart: the joint's sd by the delta method
        j_sd = np.sqrt((s * w_sd) ** 2 + (w * s_sd) ** 2)
        return HouseholdValues(work=w, work_sd=w_sd, stay=s, stay_sd=s_sd, joint=w * s, joint_sd=j_sd)

    def predict_persons(
        self, hh: Households, munis: Municipalities, h: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The eligible (16-64) person rows of household ``h``, their P(work) (k, M) and its sd."""
        self._check(munis)
        b = F.base(hh, munis, year=self.year)
        ps = np.flatnonzero((hh.p_hh == h) & hh.p_eligible)
        M = munis.n
        if not len(ps):
            return ps, np.zeros((0, M)), np.zeros((0, M))
        P = np.repeat(ps, M)
        Mi = np.tile(np.arange(M), len(ps))
        pw = self._fitted.work_proba(F.work_rows(b, P, Mi, self._fitted.effects[Mi])).reshape(-1, len(ps), M)
        sd = pw.std(axis=0, ddof=1) if pw.shape[0] > 1 else np.zeros(pw.shape[1:])
        return ps, pw.mean(axis=0), sd

    def person_probabilities(self, hh: Households, munis: Municipalities) -> tuple[np.ndarray, np.ndarray]:
        """P(work) for every eligible person (rows of ``np.flatnonzero(hh.p_eligible)``) x M and
        P(stay) per household x M (ensemble means): for fairness reports."""
        self._check(munis)
        b = F.base(hh, munis, year=self.year)
        M = munis.n
        ps = np.flatnonzero(hh.p_eligible)
        out = np.zeros((len(ps), M), np.float32)
        per = max(1, CHUNK_ROWS // M)
        for c0 in range(0, len(ps), per):
            pc = ps[c0 : c0 + per]
            P, Mi = np.repeat(pc, M), np.tile(np.arange(M), len(pc))
            pw = self._fitted.work_proba(F.work_rows(b, P, Mi, self._fitted.effects[Mi]))
            out[c0 : c0 + len(pc)] = pw.reshape(-1, len(pc), M).mean(axis=0)
        stay = np.zeros((hh.nh, M), np.float32)
        per = max(1, CHUNK_ROWS // M)
        for c0 in range(0, hh.nh, per):
            hc = np.arange(c0, min(hh.nh, c0 + per))
            H, Mi = np.repeat(hc, M), np.tile(np.arange(M), len(hc))
            stay[hc] = (
                self._fitted.stay_proba(F.stay_rows(b, H, Mi, self._fitted.effects[Mi]))
                .reshape(-1, len(hc), M)
                .mean(axis=0)
            )
        return out, stay

    # -- pairs for explanations ---------------------------------------------------------------
    def joint_of_rows(self, Xw: np.ndarray, Xs: np.ndarray) -> np.ndarray:
        """Joint value from explicit feature rows: ``Xw`` (k*n, work features) for k eligible persons
        at n settings (person-major), ``Xs`` (n, stay features); returns (n,)."""
        n = Xs.shape[0]
        s = self._fitted.stay_proba(Xs).mean(axis=0)
        if Xw.shape[0] == 0:
            return np.zeros(n)
        w = self._fitted.work_proba(Xw).mean(axis=0).reshape(-1, n).sum(axis=0)
        return w * s

    @property
    def effects(self) -> np.ndarray:
        return self._fitted.effects

    # -- persistence --------------------------------------------------------------------------
    def save(self, directory: str | pathlib.Path) -> None:
        d = pathlib.Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {"fitted": self._fitted, "year": self.year, "n_munis": self.n_munis, "version": self.version},
            d / "model.joblib",
            compress=3,
        )
        (d / "card.json").write_text(json.dumps(self.card, indent=1, ensure_ascii=False), encoding="utf-8")
        (d / "model.sha256").write_text("".join(f"{_sha256(d / a)}  {a}\n" for a in ARTEFACTS), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | pathlib.Path) -> RecommendationModel:
        d = pathlib.Path(directory)
        sums = d / "model.sha256"
        missing = [a for a in (*ARTEFACTS, "model.sha256") if not (d / a).is_file()]
        if missing:
            raise ModelError(f"{d}: not a trained model (missing {', '.join(missing)})")
        expected = {}
        for line in sums.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 2:
                expected[parts[1]] = parts[0]
        for a in ARTEFACTS:
            if expected.get(a) != _sha256(d / a):
                raise ModelError(
                    f"{d / a}: does not match model.sha256 — the model was changed after training; "
                    "it is not loaded (train it again or restore the original files)"
                )
        state = joblib.load(d / "model.joblib")
        card = json.loads((d / "card.json").read_text(encoding="utf-8"))
        if card.get("version") != state["version"]:
            raise ModelError(f"{d}: card.json belongs to another model version")
        return cls(state["fitted"], state["year"], state["n_munis"], state["version"], card)


def _local(hc: np.ndarray, hs: np.ndarray) -> np.ndarray:
    pos = {int(h): i for i, h in enumerate(hc)}
    return np.array([pos[int(h)] for h in hs], int)


def _sha256(path: pathlib.Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _held_out(t: _Training, n_munis: int, hh: Households, year: int, kind: str, seed: int) -> dict[str, Any]:
    """Train without ``year``, predict it at the municipalities where its households were settled."""
    py_year = hh.h_year[hh.p_hh[t.p]]
    hy_year = hh.h_year[t.h]
    f = _fit(t, n_munis, py_year != year, hy_year != year, {"work": kind, "stay": kind}, seed, 1)
    pk, hk = py_year == year, hy_year == year
    pw = f.work_proba(F.work_rows(t.b, t.p[pk], t.pm[pk], f.effects[t.pm[pk]]))[0]
    ps = f.stay_proba(F.stay_rows(t.b, t.h[hk], t.hm[hk], f.effects[t.hm[hk]]))[0]
    return {"work": (t.py[pk], pw), "stay": (t.hy[hk], ps)}


def train(
    history: Households,
    munis: Municipalities,
    *,
    seed: int = 0,
    interactions: bool = True,
    progress: Callable[[str], None] | None = None,
    validate_years: str = "all",
    n_boot: int = N_BOOT,
    learner: str | None = None,
    fairness_sample: int = 1500,
) -> RecommendationModel:
    """Learn both outcomes from ``history`` (see the module docstring).

    ``interactions=False`` keeps the logistic learner (no learned person x municipality
    interactions: the ablation). ``validate_years``: "all" holds out each year in turn, "latest"
    only the last one (faster, for tests). ``learner`` forces one of "gradient_boosting",
    "logistic", "blend" for both outcomes (for measuring; the validation figures are still recorded).
    ``fairness_sample``: households of the latest year for the card's fairness figures
    (``fairness.latest_year_report``); 0 leaves them out.
    """
    say = progress or (lambda s: None)
    t0 = time.time()
    t = _training(history, munis)
    years = sorted({int(y) for y in history.h_year[t.h]})
    if len(years) < 2:
        raise ModelError("the history must span at least two settlement years (validation holds one out)")
    held = years if validate_years == "all" else years[-1:]
    fitted_kinds = LEARNERS if interactions else ("logistic",)
    preds: dict[str, dict[int, dict[str, Any]]] = {k: {} for k in fitted_kinds}
    for y in held:
        for k in fitted_kinds:
            say(f"validating {k} on held-out year {y}")
            preds[k][y] = _held_out(t, munis.n, history, y, k, seed)
    kinds: tuple[str, ...] = fitted_kinds
    if interactions:
        kinds = (*fitted_kinds, BLEND)
        preds[BLEND] = {
            y: {
                o: (preds[LEARNERS[0]][y][o][0], (preds[LEARNERS[0]][y][o][1] + preds[LEARNERS[1]][y][o][1]) / 2)
                for o in ("work", "stay")
            }
            for y in held
        }
    latest = years[-1]

    def score(k: str, o: str) -> float:
        return float(log_loss(*preds[k][latest][o], labels=[0, 1]))

    # the learner is chosen per outcome: the work outcome may need interactions the stay one does not
    chosen = {o: learner if learner in kinds else min(kinds, key=lambda k: score(k, o)) for o in ("work", "stay")}
    # calibration on the chosen learner's pooled held-out predictions
    calib: dict[str, tuple[float, float]] = {}
    for o in ("work", "stay"):
        y = np.concatenate([preds[chosen[o]][yr][o][0] for yr in held])
        p = np.concatenate([preds[chosen[o]][yr][o][1] for yr in held])
        calib[o] = _platt(p, y)
    validation: dict[str, Any] = {}
    for k in kinds:
        validation[k] = {}
        for yr in held:
            row: dict[str, Any] = {}
            for o in ("work", "stay"):
                y, p = preds[k][yr][o]
                m = _metrics(y, p)
                if k == chosen[o]:
                    # calibrated with a map fitted on the OTHER held-out years when there are any
                    others = [x for x in held if x != yr]
                    if others:
                        yo = np.concatenate([preds[k][x][o][0] for x in others])
                        po = np.concatenate([preds[k][x][o][1] for x in others])
                        ab = _platt(po, yo)
                    else:
                        ab = calib[o]
                    m["calibrated_predicted_total"] = round(float(_apply(ab, p).sum()), 1)
                    m["calibrated_log_loss"] = round(float(log_loss(y, _apply(ab, p), labels=[0, 1])), 4)
                row[o] = m
            validation[k][str(yr)] = row
    table = {
        o: _deciles(
            np.concatenate([preds[chosen[o]][yr][o][0] for yr in held]),
            _apply(calib[o], np.concatenate([preds[chosen[o]][yr][o][1] for yr in held])),
        )
        for o in ("work", "stay")
    }
    t_val = time.time() - t0
    if {"gradient_boosting", BLEND} & set(chosen.values()):
        n_boot = min(n_boot, N_BOOT_TREES)  # prediction time grows with trees x members
    say(f"fitting the final ensemble ({chosen}, {n_boot} members) on {years[0]}-{years[-1]}")
    everyone_p, everyone_h = np.ones(len(t.p), bool), np.ones(len(t.h), bool)
    fitted = _fit(t, munis.n, everyone_p, everyone_h, chosen, seed, n_boot)
    fitted.calibration = calib
    data_hash = _data_hash(history, munis)
    now = datetime.now(UTC).replace(microsecond=0)
    version = f"{now.strftime('%Y-%m-%dT%H:%M:%SZ')}-{data_hash[:8]}"
    card = card_mod.build_card(
        version=version,
        trained_at=now.isoformat().replace("+00:00", "Z"),
        data_hash=data_hash,
        years=years,
        households=int(len(t.h)),
        persons=int(len(t.p)),
        municipalities_seen=int(len(np.unique(t.hm))),
        learner=chosen,
        learners=list(kinds),
        interactions=interactions,
        validation=validation,
        held_out_years=held,
        calibration={o: {"slope": round(a, 4), "intercept": round(b, 4)} for o, (a, b) in calib.items()},
        calibration_table=table,
        n_boot=n_boot,
        seconds={"validation": round(t_val, 1), "total": round(time.time() - t0, 1)},
        effects_spread={
            "work_sd": round(float(fitted.effects[:, 0].std()), 4),
            "stay_sd": round(float(fitted.effects[:, 1].std()), 4),
        },
    )
    trained = RecommendationModel(fitted, float(years[-1]), munis.n, version, card)
    if fairness_sample:
        say(f"fairness by group on {years[-1]}: the optimiser's assignment against random")
        try:
            card["fairness"] = fairness.latest_year_report(trained, history, munis, sample=fairness_sample, seed=seed)
        except (optimise.InfeasibleError, ValueError) as e:
            card["fairness"] = {"skipped": str(e)}
        card["seconds"]["total"] = round(time.time() - t0, 1)
    say(f"trained {version} in {time.time() - t0:.0f} s")
    return trained
