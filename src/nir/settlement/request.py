"""The request (*anmodning*): the year's national need distributed over the municipalities by dated,
sourced criteria (``settlement.md`` § 1.2; the criteria for 2026 in ``000`` L544–553).

Pure and transparent: no database, no clock. ``distribute(persons, um_persons, municipalities,
criteria)`` gives every municipality its score broken down by criterion (the indicator's value, its
normalised value 0–1, the weight, the contribution = weight × normalised; the score is the sum of the
contributions), its share and integer figures that sum exactly to the need. Same inputs, same
output; the criteria's version and the SHA-256 of their canonical JSON are recorded on the round.

The calculation (``docs/settlement.md`` «Behov og anmodning»):

1. A municipality below ``persons.minimum_population`` is not asked (figure 0, with the reason).
2. Each criterion's indicator is read for the municipality, or for its BA-region as the
   population-weighted mean of the region's municipalities (``scope: ba_region``); it is normalised
   min–max over the municipalities asked so that 1 is best (``better: higher`` or ``lower``); a
   missing value counts 0.5. Score = Σ weight × normalised (the weights sum to 1).
3. EM (enslige mindreårige) are distributed first and separately, over the municipalities that can
   receive them (population ≥ ``unaccompanied_minors.minimum_population`` and, when required, an
   upper-secondary school), in proportion to population × score.
4. The rest of the need (persons − EM) is distributed over every municipality asked in proportion to
   population × score. The municipality's figure is its share of the rest plus its EM figure.
5. Each distribution gives a municipality asked at least its ``minimum_persons`` when the need is
   large enough to give everyone that (others then share what is left), and is rounded by the
   largest-remainder method (ties: the lower municipality number first), so the integer figures
   sum exactly to the need.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

CRITERIA_FILE = Path(__file__).resolve().parent / "parameters" / "request_criteria.yaml"
INDICATORS = (
    "unemployment_rate",
    "immigrant_employment_rate",
    "immigrant_share",
    "labour_market_diversity",
    "secondary_migration_rate",
    "living_conditions_index",
    "upper_secondary_school",
    "accessible_housing",
    "mental_health_services",
    "specialist_health_services",
    "centrality",
)
MISSING_NORMALISED = 0.5


class RequestError(ValueError):
    """Criteria or inputs the calculation cannot use (a bad parameters file, no municipality to ask)."""


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    indicator: str
    scope: str  # "municipality" or "ba_region"
    better: str  # "higher" or "lower"
    weight: float
    reason: str


@dataclass(frozen=True)
class Criteria:
    """One dated version of the request's criteria (``request_criteria.yaml``)."""

    version: str
    valid_from: dt.date
    source: str
    criteria: tuple[Criterion, ...]
    minimum_population: int
    minimum_persons: int
    um_minimum_population: int
    um_require_upper_secondary: bool
    um_minimum_persons: int
    document: Mapping[str, Any]  # the version as written, for the hash and the documentation

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.document, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _criteria(doc: Mapping[str, Any]) -> Criteria:
    try:
        items = tuple(
            Criterion(
                key=str(c["key"]),
                label=str(c["label"]),
                indicator=str(c["indicator"]),
                scope=str(c.get("scope", "municipality")),
                better=str(c["better"]),
                weight=float(c["weight"]),
                reason=str(c["reason"]).strip(),
            )
            for c in doc["criteria"]
        )
        persons, um = doc["persons"], doc["unaccompanied_minors"]
        valid_from = doc["valid_from"]
        if not isinstance(valid_from, dt.date):
            valid_from = dt.date.fromisoformat(str(valid_from))
        out = Criteria(
            version=str(doc["version"]),
            valid_from=valid_from,
            source=str(doc["source"]).strip(),
            criteria=items,
            minimum_population=int(persons["minimum_population"]),
            minimum_persons=int(persons["minimum_persons"]),
            um_minimum_population=int(um["minimum_population"]),
            um_require_upper_secondary=bool(um.get("require_upper_secondary_school", False)),
            um_minimum_persons=int(um["minimum_persons"]),
            document=doc,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise RequestError(f"ugyldig kriterieversjon {doc.get('version', '?')!r}: {e!r}") from None
    problems = []
    for c in items:
        if c.indicator not in INDICATORS:
            problems.append(f"{c.key}: ukjent indikator {c.indicator!r}")
        if c.scope not in ("municipality", "ba_region"):
            problems.append(f"{c.key}: scope må være municipality eller ba_region")
        if c.better not in ("higher", "lower"):
            problems.append(f"{c.key}: better må være higher eller lower")
        if c.weight < 0:
            problems.append(f"{c.key}: negativ vekt")
    if len({c.key for c in items}) != len(items):
        problems.append("samme kriterium to ganger")
    if abs(sum(c.weight for c in items) - 1.0) > 1e-9:
        problems.append(f"vektene summerer til {sum(c.weight for c in items)}, ikke 1")
    if problems:
        raise RequestError(f"kriterieversjon {out.version}: " + "; ".join(problems))
    return out


def load_criteria(source: str | Path | None = None) -> list[Criteria]:
    """Every version of the criteria in a parameters file (default ``request_criteria.yaml``), oldest
    first; ``source`` may also be the YAML text itself."""
    if source is None:
        text = CRITERIA_FILE.read_text(encoding="utf-8")
    elif isinstance(source, Path):
        text = source.read_text(encoding="utf-8")
    else:
        text = source
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("versions"), list) or not doc["versions"]:
        raise RequestError("parameterfilen må ha en liste «versions»")
    versions = sorted((_criteria(v) for v in doc["versions"]), key=lambda c: c.valid_from)
    if len({v.version for v in versions}) != len(versions):
        raise RequestError("samme versjonsnavn to ganger")
    return versions


def criteria_for(on: dt.date, versions: Sequence[Criteria] | None = None) -> Criteria:
    """The version valid on ``on``: the latest ``valid_from`` on or before it."""
    valid = [v for v in (versions if versions is not None else load_criteria()) if v.valid_from <= on]
    if not valid:
        raise RequestError(f"ingen kriterier gjelder {on.isoformat()}")
    return max(valid, key=lambda v: v.valid_from)


# --- the calculation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLine:
    """One municipality's result: the figures and the breakdown stored with ``MunicipalRequest``."""

    municipality: str
    persons: int  # the figure: other_persons + um_persons
    um_persons: int
    other_persons: int
    score: float
    breakdown: dict[str, Any]


@dataclass(frozen=True)
class Distribution:
    persons: int
    um_persons: int
    criteria: Criteria
    lines: list[RequestLine]

    @property
    def by_municipality(self) -> dict[str, RequestLine]:
        return {line.municipality: line for line in self.lines}


def _number(value: Any) -> float:
    if value is None:
        return np.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return float(value)


def _regional(values: np.ndarray, population: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """The population-weighted mean of each BA-region's known values, for each municipality."""
    known = ~np.isnan(values)
    weights = np.where(known, population, 0.0)
    sums = np.bincount(regions, weights=np.where(known, values, 0.0) * weights)
    totals = np.bincount(regions, weights=weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(totals > 0, sums / np.where(totals > 0, totals, 1.0), np.nan)
    return mean[regions]


def _normalise(values: np.ndarray, among: np.ndarray, better: str) -> np.ndarray:
    pool = values[among & ~np.isnan(values)]
    if pool.size == 0:
        return np.full(values.shape, MISSING_NORMALISED)
    lo, hi = float(pool.min()), float(pool.max())
    if hi == lo:
        out = np.full(values.shape, MISSING_NORMALISED)
    else:
        out = (values - lo) / (hi - lo) if better == "higher" else (hi - values) / (hi - lo)
        out = np.clip(out, 0.0, 1.0)
    return np.where(np.isnan(values), MISSING_NORMALISED, out)


def apportion(total: int, weights: np.ndarray, minimum: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``total`` over the entries whose weight is not NaN (NaN: not asked), in proportion to
    ``weights``: integers that sum exactly to ``total`` (largest remainder; ties to the lower index).
    Every entry asked gets at least ``minimum`` when ``total`` allows that for all of them; the
    others then share what is left. Returns (figures, exact quotas, minimum applied)."""
    n = weights.size
    asked = ~np.isnan(weights)
    w = np.where(asked, weights, 0.0)
    figures = np.zeros(n, dtype=np.int64)
    quotas = np.zeros(n)
    at_minimum = np.zeros(n, dtype=bool)
    if total <= 0 or not asked.any():
        return figures, quotas, at_minimum
    if w.sum() <= 0:  # every one asked scores 0: equal shares
        w = asked.astype(float)
    use_minimum = minimum > 0 and total >= minimum * int(asked.sum())
    while True:
        free = asked & ~at_minimum
        remaining = total - minimum * int(at_minimum.sum())
        free_weight = float(w[free].sum())
        quotas = np.where(at_minimum, float(minimum), 0.0)
        if free_weight > 0:
            quotas = np.where(free, remaining * w / free_weight, quotas)
        elif free.any():
            quotas = np.where(free, remaining / int(free.sum()), quotas)
        below = free & (quotas < minimum) if use_minimum else np.zeros(n, dtype=bool)
        if not below.any():
            break
        at_minimum |= below
    floors = np.floor(quotas + 1e-9).astype(np.int64)
    left = total - int(floors.sum())
    if left > 0:
        order = np.lexsort((np.arange(n), -(quotas - floors)))  # largest remainder, then lower index
        order = order[asked[order]]
        floors[order[:left]] += 1
    return floors, quotas, at_minimum


def distribute(
    persons: int, um_persons: int, municipalities: Sequence[Mapping[str, Any]], criteria: Criteria
) -> Distribution:
    """The need (``persons``, of which ``um_persons`` EM) over ``municipalities`` (mappings with
    ``municipality``, ``population``, ``ba_region`` and the indicators of ``INDICATORS``)."""
    if persons < 0 or um_persons < 0 or um_persons > persons:
        raise RequestError("behovet må ha 0 ≤ EM ≤ personer")
    rows = sorted(municipalities, key=lambda r: str(r["municipality"]))
    n = len(rows)
    if n == 0:
        raise RequestError("ingen kommuner å anmode")
    numbers = [str(r["municipality"]) for r in rows]
    population = np.array([float(r.get("population") or 0) for r in rows])
    _, regions = np.unique(
        np.array([str(r.get("ba_region") or "") or f"m{r['municipality']}" for r in rows]), return_inverse=True
    )
    asked = population >= criteria.minimum_population
    if persons > 0 and not asked.any():
        raise RequestError("ingen kommune er stor nok til å anmodes")

    values, normalised = [], []
    score = np.zeros(n)
    for c in criteria.criteria:
        raw = np.array([_number(r.get(c.indicator)) for r in rows])
        value = _regional(raw, population, regions) if c.scope == "ba_region" else raw
        norm = _normalise(value, asked, c.better)
        values.append(value)
        normalised.append(norm)
        score = score + c.weight * norm

    base = population * score
    school = np.array([_number(r.get("upper_secondary_school")) == 1.0 for r in rows])
    um_able = asked & (population >= criteria.um_minimum_population)
    if criteria.um_require_upper_secondary:
        um_able &= school
    if um_persons > 0 and not um_able.any():
        raise RequestError("ingen kommune kan anmodes om enslige mindreårige")
    um_fig, um_quota, um_min = apportion(um_persons, np.where(um_able, base, np.nan), criteria.um_minimum_persons)
    other = persons - um_persons
    other_fig, other_quota, other_min = apportion(other, np.where(asked, base, np.nan), criteria.minimum_persons)

    lines = []
    other_total = float(np.where(asked, base, 0.0).sum()) or 1.0
    um_total = float(np.where(um_able, base, 0.0).sum()) or 1.0
    for i, nr in enumerate(numbers):
        contributions = [
            {
                "key": c.key,
                "label": c.label,
                "indicator": c.indicator,
                "scope": c.scope,
                "better": c.better,
                "value": None if np.isnan(values[k][i]) else float(values[k][i]),
                "normalised": float(normalised[k][i]),
                "weight": c.weight,
                "contribution": c.weight * float(normalised[k][i]),
            }
            for k, c in enumerate(criteria.criteria)
        ]
        s = float(sum(x["contribution"] for x in contributions))
        if not asked[i]:
            reason = f"under {criteria.minimum_population} innbyggere"
        else:
            reason = ""
        if um_able[i]:
            um_reason = ""
        elif not asked[i]:
            um_reason = reason
        elif population[i] < criteria.um_minimum_population:
            um_reason = f"under {criteria.um_minimum_population} innbyggere"
        else:
            um_reason = "ingen videregående skole"
        breakdown = {
            "parameters_version": criteria.version,
            "population": int(population[i]),
            "criteria": contributions,
            "score": s,
            "asked": bool(asked[i]),
            "not_asked_reason": reason,
            "share": float(base[i] / other_total) if asked[i] else 0.0,
            "quota": float(other_quota[i]),
            "minimum_applied": bool(other_min[i]),
            "um": {
                "asked": bool(um_able[i]),
                "not_asked_reason": um_reason,
                "share": float(base[i] / um_total) if um_able[i] else 0.0,
                "quota": float(um_quota[i]),
                "minimum_applied": bool(um_min[i]),
            },
        }
        lines.append(
            RequestLine(
                municipality=nr,
                persons=int(other_fig[i] + um_fig[i]),
                um_persons=int(um_fig[i]),
                other_persons=int(other_fig[i]),
                score=s,
                breakdown=breakdown,
            )
        )
    return Distribution(persons=persons, um_persons=um_persons, criteria=criteria, lines=lines)
