"""Test-local stand-ins for the recommendation tool's inputs (issue 18), for the application's tests.

The application's part (``nir.settlement.recommend_service``, the pages and the API) is tested with a
small, known world so that what the caseworker sees can be asserted exactly: six municipalities of
Trøndelag and Bergen, a model whose values are a rate per municipality times the household's members
aged 16–64, and the database's own ready cases. ``install(monkeypatch)`` puts them in place of
``recommend_source`` and ``recommend_registry`` (and of the engine's ``optimise``/``explain`` where
those are not there yet); nothing here is in ``src``.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils import timezone

from nir.settlement.models import CaseDetails, CaseMember
from nir.settlement.recommend import data

# number, name, P(work) rate, P(stay), places, UM places, accepts special needs
MUNICIPALITIES = (
    ("5001", "Trondheim", 0.70, 0.90, 20, 4, True),
    ("5006", "Steinkjer", 0.60, 0.80, 20, 0, True),
    ("5007", "Namsos", 0.55, 0.85, 20, 0, False),
    ("5025", "Røros", 0.50, 0.70, 20, 0, False),
    ("5035", "Stjørdal", 0.45, 0.75, 20, 0, True),
    ("5038", "Verdal", 0.40, 0.70, 20, 0, True),
    ("5014", "Frøya", 0.80, 0.95, 0, 0, True),  # best, but no places: excluded
    ("4601", "Bergen", 0.30, 0.60, 20, 0, True),
)
VERSION = "2026-12-07T18:00:00Z-feedc0de"
CARD = {
    "version": VERSION,
    "training_period": {"from": "2019-01-01", "to": "2023-12-31", "households": 25000},
    "features": ["age", "sex", "education", "unemployment_rate", "centrality"],
    "learner": "gradient-boosted trees (HistGradientBoosting), isotonic calibration",
    "validation": [
        {"held_out_year": 2022, "predicted": 812.4, "observed": 799.0, "auc": 0.71},
        {"held_out_year": 2023, "predicted": 845.0, "observed": 861.0, "auc": 0.70},
    ],
    "calibration": [{"bin": "0.0–0.2", "predicted": 0.12, "observed": 0.11}],
    "fairness": {"by_sex": [{"group": "F", "gain": 0.05}, {"group": "M", "gain": 0.06}], "pass": True},
    "uncertainty": "bootstrap over households (20 models)",
    "limits": ["Trained on synthetic worlds only in development."],
}


def municipalities() -> data.Municipalities:
    rows = []
    for nr, name, rate, stay, *_rest in MUNICIPALITIES:
        row: dict[str, Any] = {c: 1.0 for c in data.INDICATORS}
        row.update(municipality_number=nr, name=name, county_number=nr[:2], ba_region=nr, unemployment_rate=1 - rate)
        row["secondary_migration_rate"] = 1 - stay
        rows.append(row)
    return data.Municipalities.from_rows(rows)


def capacity(munis: data.Municipalities) -> data.Capacity:
    return data.Capacity(
        places=np.array([m[4] for m in MUNICIPALITIES], float),
        um_places=np.array([m[5] for m in MUNICIPALITIES], float),
        accepts_special_needs=np.array([m[6] for m in MUNICIPALITIES], bool),
    )


def case_records(cases) -> list[dict[str, Any]]:
    today = timezone.localdate()
    out = []
    for case in cases:
        details = CaseDetails.objects.current().get(case=case)
        persons = []
        for i, m in enumerate(CaseMember.objects.current().filter(case=case).order_by("recorded_at", "pk")):
            age = (today - m.birth_date).days // 365
            persons.append(
                {
                    "person_id": f"{case.number}-{i + 1}",
                    "role": "adult" if age >= 18 else "child",
                    "age": age,
                    "sex": "F" if m.sex == "female" else "M",
                    "country_group": "syria",
                    "education": "upper_secondary",
                    "unaccompanied_minor": bool(m.unaccompanied_minor),
                    "special_need": "none",
                }
            )
        out.append(
            {
                "household_id": case.number,
                "ready_date": details.ready_date.isoformat(),
                "resettlement": False,
                "connection_municipality": details.connection_municipality or None,
                "persons": persons,
            }
        )
    return out


@dataclass
class Values:
    work: np.ndarray
    work_sd: np.ndarray
    stay: np.ndarray
    stay_sd: np.ndarray
    joint: np.ndarray
    joint_sd: np.ndarray


class FakeModel:
    version = VERSION
    card = CARD

    def __init__(self) -> None:
        self.predictions = 0

    def predict(self, hh, munis, rows=None) -> Values:
        self.predictions += 1
        rate = np.array([m[2] for m in MUNICIPALITIES])
        stay = np.array([m[3] for m in MUNICIPALITIES])
        eligible = np.bincount(hh.p_hh, weights=hh.p_eligible.astype(float), minlength=hh.nh)
        work = eligible[:, None] * rate[None, :]
        stay2 = np.repeat(stay[None, :], hh.nh, axis=0)
        return Values(work, 0.1 * work, stay2, np.full_like(stay2, 0.05), work * stay2, 0.1 * work)


@dataclass
class Row:
    version: str = VERSION
    card: dict | None = None
    trained_at: dt.datetime | None = None


@dataclass
class Reason:
    feature: str
    label_nb: str
    effect: float
    text_nb: str


def explain(model, hh, munis, h, m, against) -> list[Reason]:
    others = munis.columns["unemployment_rate"][against] if len(against) else munis.columns["unemployment_rate"]
    gap = float(np.mean(others) - munis.columns["unemployment_rate"][m])
    return [Reason("unemployment_rate", "Arbeidsledighet", gap, f"Lavere arbeidsledighet i {munis.names[m]}")]


class FakeProblem:
    def __init__(self, hh, munis, cap) -> None:
        self.hh, self.munis, self.capacity = hh, munis, cap
        size = hh.h_size[:, None]
        fits = np.where(hh.h_um[:, None], cap.um_places[None, :] >= size, cap.places[None, :] >= size)
        self.allowed = fits.copy()
        if hh.nh and not fits.any(axis=1).all():  # as optimise.problem: InfeasibleError (a ValueError)
            h = int(np.flatnonzero(~fits.any(axis=1))[0])
            raise ValueError(f"ingen kommune har plass til husstand {hh.ids[h]}")
        self.must = np.full(hh.nh, -1)
        need = np.zeros(munis.n)
        for h, c in enumerate(hh.h_conn):
            if c >= 0 and fits[h, c]:
                need[c] += hh.h_size[h]
        if (need > cap.places).any():  # as optimise.problem: connection households that do not fit together
            raise ValueError("the households with a connection need more places than there are")
        for h, c in enumerate(hh.h_conn):
            if c >= 0 and fits[h, c]:
                self.must[h] = c
                self.allowed[h] = False
                self.allowed[h, c] = True

    def override_reasons(self, h: int) -> list[str]:
        c = self.hh.h_conn[h]
        return [] if c < 0 or self.must[h] == c else ["no_places"]

    def excluded(self, h: int) -> dict[int, str]:
        out = {}
        for m in np.flatnonzero(~self.allowed[h]):
            out[int(m)] = "tilknytningen går foran" if self.must[h] >= 0 else "ikke nok ledige plasser"
        return out


def _fake_optimise() -> types.ModuleType:
    mod = types.ModuleType("nir.settlement.recommend.optimise")

    @dataclass
    class BatchResult:
        assign: np.ndarray
        value: float
        lp_bound: float
        gap_percent: float
        duals_places: np.ndarray
        duals_um: np.ndarray
        seconds: float

    def problem(hh, munis, cap):
        return FakeProblem(hh, munis, cap)

    def assign_batch(problem, values, *, time_limit=300):
        m = problem.munis.n
        return BatchResult(
            np.argmax(np.where(problem.allowed, values, -1), axis=1), 0.0, 0.0, 0.0, np.zeros(m), np.zeros(m), 0.0
        )

    def rank_one(problem, h, values_row, places_left, um_left, duals_places, duals_um):
        score = values_row - problem.hh.h_size[h] * duals_places
        rows = [int(m) for m in np.argsort(-score) if problem.allowed[h, m]]
        return rows

    mod.problem, mod.assign_batch, mod.rank_one, mod.BatchResult = problem, assign_batch, rank_one, BatchResult  # type: ignore[attr-defined]
    return mod


def install(monkeypatch, *, model: bool = True) -> FakeModel | None:
    """Put the stand-ins in place; ``model=False``: no model is registered."""
    from nir.settlement import recommend_service

    recommend_service.clear_cache()
    fake = FakeModel() if model else None
    source = types.ModuleType("nir.settlement.recommend_source")
    source.municipality_table = lambda known_at=None: municipalities()  # type: ignore[attr-defined]
    source.current_capacity = lambda known_at=None: capacity(municipalities())  # type: ignore[attr-defined]
    source.case_records = case_records  # type: ignore[attr-defined]
    registry = types.ModuleType("nir.settlement.recommend_registry")
    registry.current_model = lambda: (fake, Row(card=CARD)) if fake is not None else None  # type: ignore[attr-defined]
    import nir.settlement
    import nir.settlement.recommend

    for name, mod in (("recommend_source", source), ("recommend_registry", registry)):
        monkeypatch.setitem(sys.modules, f"nir.settlement.{name}", mod)
        monkeypatch.setattr(nir.settlement, name, mod, raising=False)
    try:
        import nir.settlement.recommend.optimise  # noqa: F401
    except ImportError:
        opt = _fake_optimise()
        monkeypatch.setitem(sys.modules, "nir.settlement.recommend.optimise", opt)
        monkeypatch.setattr(nir.settlement.recommend, "optimise", opt, raising=False)
    ex = types.ModuleType("nir.settlement.recommend.explain")
    ex.explain = explain  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nir.settlement.recommend.explain", ex)
    monkeypatch.setattr(nir.settlement.recommend, "explain", ex, raising=False)
    monkeypatch.setattr(recommend_service, "_cache", {})
    monkeypatch.setattr(recommend_service, "_reasons_cache", {})
    return fake
