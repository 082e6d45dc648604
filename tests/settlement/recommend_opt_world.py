"""Small hand-made settlement worlds for the recommendation tool's tests (formats.md shapes), and a
tiny stand-in for the model (the tests of the optimiser and the commands are about constraints and
files, not about learning; the real model has its own tests)."""

from __future__ import annotations

import csv
import gzip
import json
import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from nir.settlement.recommend import data
from nir.settlement.recommend.model import HouseholdValues

GROUPS = data.GROUPS


def muni_rows(n: int, rng: np.random.Generator | None = None, **overrides: dict[int, dict[str, Any]]) -> list[dict]:
    """n municipalities numbered 4601, 4602, …; every service exists unless overridden per row."""
    rng = rng or np.random.default_rng(0)
    rows = []
    for i in range(n):
        r: dict[str, Any] = {
            "municipality_number": str(4601 + i),
            "name": f"Kommune {i}",
            "county_number": "46",
            "population": str(int(rng.integers(2000, 300000))),
            "economic_region": "46" + str(i % 3),
            "ba_region": str(i % 4),
            "centrality": str(1 + i % 6),
            "unemployment_rate": f"{rng.uniform(1, 5):.2f}",
            "immigrant_employment_rate": f"{rng.uniform(0.4, 0.8):.3f}",
            "immigrant_share": f"{rng.uniform(0.02, 0.3):.3f}",
            "labour_market_diversity": f"{rng.uniform(0, 1):.3f}",
            "upper_secondary_school": "1",
            "accessible_housing": "1",
            "mental_health_services": "1",
            "specialist_health_services": "1",
            "secondary_migration_rate": f"{rng.uniform(0.1, 0.5):.3f}",
            "living_conditions_index": f"{rng.uniform(0, 1):.3f}",
        }
        for g in GROUPS:
            r[f"diaspora_per_1000_{g}"] = f"{rng.uniform(0, 10):.2f}"
        r.update(overrides.get("row", {}).get(i, {}))
        rows.append(r)
    return rows


def person(hid: str, k: int, *, age: int = 30, need: str = "none", um: bool = False, **extra: Any) -> dict:
    return {
        "person_id": f"{hid}-{k}",
        "role": "child" if age < 18 else "adult",
        "age": age,
        "sex": "F" if k % 2 else "M",
        "country_group": extra.pop("group", "syria"),
        "education": extra.pop("education", "primary"),
        "work_experience_years": 2,
        "english_level": 1,
        "norwegian_level": 0,
        "special_need": need,
        "unaccompanied_minor": um,
        **extra,
    }


def household(
    hid: str,
    size: int = 1,
    *,
    conn: str | None = None,
    need: str = "none",
    um: bool = False,
    ready: str = "2026-01-01",
    **extra: Any,
) -> dict:
    ages = [16] * size if um else [35] + [8] * (size - 1)
    persons = [person(hid, k + 1, age=a, need=need if k == 0 else "none", um=um) for k, a in enumerate(ages)]
    return {
        "household_id": hid,
        "ready_date": ready,
        "resettlement": False,
        "connection_municipality": conn,
        "persons": persons,
        **extra,
    }


def random_batch(n: int, munis: list[dict], rng: np.random.Generator, prefix: str = "B2026") -> list[dict]:
    out = []
    for i in range(n):
        um = rng.random() < 0.08
        size = int(rng.integers(1, 3)) if um else int(rng.choice([1, 1, 2, 3, 4, 5]))
        need = str(rng.choice(["none"] * 8 + ["mobility", "mental"])) if not um else "none"
        conn = str(rng.choice(munis)["municipality_number"]) if rng.random() < 0.15 else None
        day = 1 + int(rng.integers(0, 360))
        ready = f"2026-{1 + (day - 1) // 30:02d}-{1 + (day - 1) % 28:02d}"
        h = household(f"{prefix}-{i:06d}", size, conn=conn, need=need, um=um, ready=ready)
        for p in h["persons"]:
            p["country_group"] = str(rng.choice(GROUPS))
            p["education"] = str(rng.choice(data.EDUCATION))
        out.append(h)
    return out


def capacity_rows(munis: list[dict], batch: list[dict], slack: float = 1.15, seed: int = 0) -> list[dict]:
    """Places spread over the municipalities with ``slack`` more than needed; room for every
    connection household; special needs accepted by most."""
    rng = np.random.default_rng(seed)
    n = len(munis)
    persons = sum(len(h["persons"]) for h in batch if not h["persons"][0]["unaccompanied_minor"])
    ums = sum(len(h["persons"]) for h in batch if h["persons"][0]["unaccompanied_minor"])
    w = rng.uniform(0.5, 1.5, n)
    places = np.floor(w / w.sum() * persons * slack).astype(int) + 2
    um = np.floor(w / w.sum() * ums * slack).astype(int) + 1
    index = {r["municipality_number"]: i for i, r in enumerate(munis)}
    need_p, need_u = np.zeros(n, int), np.zeros(n, int)
    for h in batch:
        if h["connection_municipality"]:
            k = index[h["connection_municipality"]]
            (need_u if h["persons"][0]["unaccompanied_minor"] else need_p)[k] += len(h["persons"])
    places = np.maximum(places, need_p)
    um = np.maximum(um, need_u)
    return [
        {
            "municipality_number": r["municipality_number"],
            "places": int(places[i]),
            "um_places": int(um[i]),
            "accepts_special_needs": int(i % 5 != 0),
        }
        for i, r in enumerate(munis)
    ]


def tables(munis: list[dict], batch: list[dict], cap: list[dict]):
    m = data.Municipalities.from_rows(munis)
    return m, data.households(batch, m), data.Capacity.from_rows(cap, m)


def write_world(d: pathlib.Path, munis: list[dict], history: list[dict], batch: list[dict], cap: list[dict]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "municipalities.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(munis[0]))
        w.writeheader()
        w.writerows(munis)
    for name, recs in (("history", history), ("batch", batch)):
        with gzip.open(d / f"{name}.jsonl.gz", "wt", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
    with open(d / "capacity.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(cap[0]))
        w.writeheader()
        w.writerows(cap)


def history(n: int, munis: list[dict], rng: np.random.Generator) -> list[dict]:
    out = []
    for i, h in enumerate(random_batch(n, munis, rng, prefix="H")):
        year = 2019 + i % 5
        h["household_id"] = f"H{year}-{i:06d}"
        h.pop("ready_date")
        h["settlement_date"] = f"{year}-03-01"
        h["settled_municipality"] = str(rng.choice(munis)["municipality_number"])
        stay = bool(rng.random() < 0.7)
        for p in h["persons"]:
            work = bool(rng.random() < 0.5) if 16 <= p["age"] <= 64 else None
            p["outcomes"] = {"work_or_education_2y": work, "stayed_2y": stay}
        out.append(h)
    return out


# ----------------------------------------------------------------------------------------------
# A stand-in with the model's interface (brief: HouseholdValues, RecommendationModel, train):
# per-municipality mean outcomes of the history, nothing learned about persons. For the commands'
# tests only.
# ----------------------------------------------------------------------------------------------


class RecommendationModel:
    def __init__(self, work: np.ndarray, stay: np.ndarray, version: str) -> None:
        self.work_m, self.stay_m, self.version = work, stay, version
        self.card = {"validation": {"stand-in": {"2023": {"work": {"auc": 0.5}}}}}

    def predict(self, hh: data.Households, munis: data.Municipalities, rows: Any = None) -> HouseholdValues:
        rows = np.arange(hh.nh) if rows is None else rows
        n_el = np.bincount(hh.p_hh, weights=hh.p_eligible.astype(float), minlength=hh.nh)[rows]
        work = n_el[:, None] * self.work_m[None, :]
        stay = np.broadcast_to(self.stay_m, (len(rows), munis.n)).copy()
        z = np.full_like(work, 0.05)
        return HouseholdValues(work, z, stay, z, work * stay, z)

    def save(self, directory: Any) -> None:
        d = pathlib.Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / "standin.json").write_text(
            json.dumps({"work": self.work_m.tolist(), "stay": self.stay_m.tolist(), "version": self.version})
        )

    @classmethod
    def load(cls, directory: Any) -> RecommendationModel:
        j = json.loads((pathlib.Path(directory) / "standin.json").read_text())
        return cls(np.array(j["work"]), np.array(j["stay"]), j["version"])


def train(
    history: data.Households, munis: data.Municipalities, *, seed: int = 0, progress: Any = None, **_: Any
) -> RecommendationModel:
    if progress:
        progress("stand-in")
    settled_p = history.h_settled[history.p_hh]
    ok = ~np.isnan(history.p_work)
    k = np.bincount(settled_p[ok], minlength=munis.n)
    work = (np.bincount(settled_p[ok], weights=history.p_work[ok], minlength=munis.n) + 1) / (k + 2)
    n = np.bincount(history.h_settled, minlength=munis.n)
    stay = (np.bincount(history.h_settled, weights=history.h_stay, minlength=munis.n) + 1) / (n + 2)
    return RecommendationModel(work, stay, "standin-0001")


class ExplainStandIn:
    @dataclass
    class Reason:
        feature: str
        label_nb: str
        effect: float
        text_nb: str

    @staticmethod
    def explain(model: Any, hh: Any, munis: Any, h: int, m: int, against: np.ndarray) -> list:
        d = float(model.work_m[m] - model.work_m[against].mean())
        return [ExplainStandIn.Reason("municipality", "kommunen", d, "kommunens snitt")]


class FairnessStandIn:
    @staticmethod
    def fairness_report(hh: Any, munis: Any, capacity: Any, model: Any, assign: np.ndarray, **_: Any) -> dict:
        return {"tolerance": 0.02, "totals": {"work": 1.0, "work_random": 0.5}, "flagged": [], "passed": True}
