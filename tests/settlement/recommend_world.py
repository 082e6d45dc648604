"""A small synthetic settlement history for the engine's tests, made here with numpy (not the
project's world generator): a known person x municipality interaction — people aged 16-24 do much
better where there is an upper-secondary school, older people do not care — a known municipality
quality nobody sees in the indicators, and a connection that keeps households."""

from __future__ import annotations

from typing import Any

import numpy as np

from nir.settlement.recommend import data

N_MUNIS = 12


def municipality_rows(seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(N_MUNIS):
        row: dict[str, Any] = {
            "municipality_number": f"{1000 + i:04d}",
            "name": f"Testkommune {i}",
            "county_number": "10",
            "ba_region": str(i % 4),
            "population": int(rng.integers(3_000, 200_000)),
            "centrality": int(rng.integers(1, 7)),
            "unemployment_rate": round(float(rng.uniform(1, 4)), 2),
            "immigrant_employment_rate": round(float(rng.uniform(0.5, 0.7)), 3),
            "immigrant_share": round(float(rng.uniform(0.05, 0.3)), 3),
            "labour_market_diversity": round(float(rng.uniform(0.3, 0.8)), 3),
            "upper_secondary_school": i % 2,  # every other municipality has a school
            "accessible_housing": 1,
            "mental_health_services": int(i % 3 != 0),
            "specialist_health_services": 1,
            "secondary_migration_rate": round(float(rng.uniform(0.05, 0.3)), 3),
            "living_conditions_index": round(float(rng.uniform(0.3, 0.6)), 3),
        }
        for g in data.GROUPS:
            row[f"diaspora_per_1000_{g}"] = round(float(rng.uniform(0, 15)), 2)
        rows.append(row)
    return rows


def true_work(age: np.ndarray, edu: np.ndarray, school: np.ndarray, quality: np.ndarray) -> np.ndarray:
    young = (age <= 24).astype(float)
    z = -0.6 + 0.5 * edu - 0.02 * (age - 30) + young * (2.2 * school - 1.1) + quality
    return 1 / (1 + np.exp(-z))


def true_stay(conn_here: np.ndarray, migration: np.ndarray) -> np.ndarray:
    z = 1.2 + 1.5 * conn_here - 4.0 * migration
    return 1 / (1 + np.exp(-z))


def history(
    years: tuple[int, ...] = (2019, 2020, 2021, 2022), per_year: int = 900, seed: int = 1, outcomes: bool = True
) -> tuple[list[dict[str, Any]], data.Municipalities]:
    rows = municipality_rows()
    munis = data.Municipalities.from_rows(rows)
    rng = np.random.default_rng(seed)
    quality = np.linspace(-0.5, 0.5, N_MUNIS)[rng.permutation(N_MUNIS)]
    school = munis.columns["upper_secondary_school"]
    migration = munis.columns["secondary_migration_rate"]
    records = []
    for year in years:
        for n in range(per_year):
            size = int(rng.choice([1, 1, 2, 3]))
            m = int(rng.integers(0, N_MUNIS))
            conn = int(rng.integers(0, N_MUNIS)) if rng.random() < 0.2 else -1
            if conn >= 0 and rng.random() < 0.8:
                m = conn
            hid = f"H{year}-{n + 1:06d}"
            stayed = bool(rng.random() < true_stay(np.array([float(conn == m)]), migration[[m]])[0])
            persons = []
            for k in range(size):
                age = int(rng.integers(16, 60)) if k == 0 else int(rng.integers(2, 50))
                edu = int(rng.integers(0, 4)) if age >= 16 else 0
                p: dict[str, Any] = {
                    "person_id": f"{hid}-{k + 1}",
                    "role": "adult" if age >= 18 else "child",
                    "age": age,
                    "sex": "F" if rng.random() < 0.5 else "M",
                    "country_group": data.GROUPS[int(rng.integers(0, len(data.GROUPS)))],
                    "education": data.EDUCATION[edu],
                    "work_experience_years": int(rng.integers(0, 10)) if age >= 18 else 0,
                    "english_level": int(rng.integers(0, 4)),
                    "norwegian_level": 0,
                    "special_need": "none",
                    "unaccompanied_minor": False,
                }
                if outcomes:
                    w = None
                    if 16 <= age <= 64:
                        pw = true_work(np.array([age]), np.array([edu]), school[[m]], quality[[m]])[0]
                        w = bool(rng.random() < pw)
                    p["outcomes"] = {"work_or_education_2y": w, "stayed_2y": stayed}
                persons.append(p)
            rec: dict[str, Any] = {
                "household_id": hid,
                "resettlement": False,
                "connection_municipality": munis.numbers[conn] if conn >= 0 else None,
                "persons": persons,
            }
            if outcomes:
                rec["settlement_date"] = f"{year}-03-01"
                rec["settled_municipality"] = munis.numbers[m]
            else:
                rec["ready_date"] = f"{year}-03-01"
            records.append(rec)
    return records, munis


def quality(seed: int = 1) -> np.ndarray:
    """The hidden municipality quality of ``history(seed=seed)`` (its first draw)."""
    return np.linspace(-0.5, 0.5, N_MUNIS)[np.random.default_rng(seed).permutation(N_MUNIS)]
