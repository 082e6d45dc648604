"""The recommendation tool's tables, in the formats of the settlement world (shared/settlement/formats.md).

``Households`` turns a list of household dicts (one JSON object per household, the world's
``history.jsonl.gz``/``batch.jsonl.gz`` format, which the register extraction produces too) into
aligned numpy arrays: one row per person, one per household. ``Municipalities`` holds the
indicator table (357 rows, 2024 numbering); ``Capacity`` the places of one batch.

Nothing here knows a world's outcome model: the columns are the files' columns, coded plainly.
"""

from __future__ import annotations

import csv
import gzip
import json
import pathlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GROUPS = ("ukraine", "syria", "afghanistan", "eritrea", "sudan", "somalia", "drc", "other")
EDUCATION = ("none", "primary", "upper_secondary", "higher")
NEEDS = ("none", "mobility", "mental", "other")
#: The municipality service that meets each special need (formats.md, hard constraint 3).
NEED_SERVICE = {
    "mobility": "accessible_housing",
    "mental": "mental_health_services",
    "other": "specialist_health_services",
}
WORK_AGE = (16, 64)  # the work-or-education outcome is defined for ages 16-64 at settlement
OVERRIDE_REASONS = ("no_places", "no_um_places", "special_needs_not_accepted", "service_missing")

#: Numeric indicator columns of municipalities.csv the model may use (all SYNTHETIC in a world).
INDICATORS = (
    "population",
    "centrality",
    "unemployment_rate",
    "immigrant_employment_rate",
    "immigrant_share",
    "labour_market_diversity",
    "upper_secondary_school",
    "accessible_housing",
    "mental_health_services",
    "specialist_health_services",
    "secondary_migration_rate",
    "living_conditions_index",
)


class DataError(ValueError):
    """A file or record that does not follow formats.md; the message says where and what."""


@dataclass(frozen=True)
class Municipalities:
    numbers: tuple[str, ...]
    names: tuple[str, ...]
    county: tuple[str, ...]
    ba_region: tuple[str, ...]
    columns: dict[str, np.ndarray]  # INDICATORS -> float array (M,)
    diaspora: np.ndarray  # (M, len(GROUPS)) residents per 1,000 by country group
    service: np.ndarray  # (M, len(NEEDS)) 1 where the need's service exists; col 0 = 1
    index: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.numbers)

    @classmethod
    def from_rows(cls, rows: Sequence[dict[str, Any]]) -> Municipalities:
        if not rows:
            raise DataError("municipalities: no rows")
        missing = [c for c in ("municipality_number", *INDICATORS) if c not in rows[0]]
        if missing:
            raise DataError(f"municipalities: missing columns {', '.join(missing)}")
        numbers = tuple(str(r["municipality_number"]).strip().zfill(4) for r in rows)
        if len(set(numbers)) != len(numbers):
            raise DataError("municipalities: a municipality number is listed twice")

        def col(name: str, default: float | None = None) -> np.ndarray:
            out = np.empty(len(rows))
            for i, r in enumerate(rows):
                v = r.get(name)
                if v in (None, "") and default is not None:
                    out[i] = default
                    continue
                try:
                    out[i] = float(v)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise DataError(f"municipalities: {numbers[i]} {name}={v!r} is not a number") from None
            return out

        columns = {c: col(c) for c in INDICATORS}
        diaspora = np.stack([col(f"diaspora_per_1000_{g}", 0.0) for g in GROUPS], axis=1)
        service = np.stack([np.ones(len(rows))] + [columns[NEED_SERVICE[n]] for n in NEEDS[1:]], axis=1)
        return cls(
            numbers=numbers,
            names=tuple(str(r.get("name", "")) for r in rows),
            county=tuple(str(r.get("county_number", "")).zfill(2) for r in rows),
            ba_region=tuple(str(r.get("ba_region", "")) for r in rows),
            columns=columns,
            diaspora=diaspora,
            service=service,
            index={k: i for i, k in enumerate(numbers)},
        )


@dataclass(frozen=True)
class Capacity:
    places: np.ndarray  # (M,) persons of households that are not unaccompanied minors
    um_places: np.ndarray  # (M,) unaccompanied minors
    accepts_special_needs: np.ndarray  # (M,) bool

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]], munis: Municipalities) -> Capacity:
        places = np.zeros(munis.n)
        um = np.zeros(munis.n)
        sn = np.zeros(munis.n, bool)
        for r in rows:
            k = str(r["municipality_number"]).strip().zfill(4)
            if k not in munis.index:
                raise DataError(f"capacity: unknown municipality {k}")
            i = munis.index[k]
            try:
                places[i] = float(r["places"])
                um[i] = float(r.get("um_places") or 0)
            except (TypeError, ValueError):
                raise DataError(f"capacity: {k} places are not numbers") from None
            if places[i] < 0 or um[i] < 0:
                raise DataError(f"capacity: {k} has negative places")
            sn[i] = str(r.get("accepts_special_needs", "0")).strip().lower() in ("1", "true", "yes")
        return cls(places=places, um_places=um, accepts_special_needs=sn)


class Households:
    """Aligned arrays for a list of households (history or batch).

    Persons: ``p_hh`` (household row), ``p_age``, ``p_female``, ``p_group``, ``p_edu``, ``p_exp``,
    ``p_english``, ``p_norwegian``, ``p_need`` (index in NEEDS), ``p_um``, ``p_child``, ``p_eligible``
    (aged 16-64: the work outcome is defined), and in a history ``p_work`` (1/0, NaN where undefined).
    Households: ``ids``, ``h_size``, ``h_um``, ``h_resettlement``, ``h_conn`` (municipality row or -1),
    ``h_need_types`` (nh x 4 bool, column 0 unused), ``h_year`` (settlement year, or the ready date's),
    ``h_ready`` (ISO date string or ''), and in a history ``h_settled`` (municipality row) and
    ``h_stay`` (1/0).
    """

    def __init__(self, households: Sequence[dict[str, Any]], munis: Municipalities) -> None:
        self.records = households
        self.nh = len(households)
        persons: list[dict[str, Any]] = []
        sizes = []
        for h in households:
            ps = h.get("persons") or []
            if not ps:
                raise DataError(f"household {h.get('household_id')}: no persons")
            persons.extend(ps)
            sizes.append(len(ps))
        self.np = len(persons)
        self.ids = [str(h["household_id"]) for h in households]
        self.p_hh = np.repeat(np.arange(self.nh), sizes)
        self.h_size = np.array(sizes, float)

        def pcol(fn: Any, dtype: Any = float) -> np.ndarray:
            out = []
            for p in persons:
                try:
                    out.append(fn(p))
                except (KeyError, ValueError, TypeError):
                    raise DataError(f"person {p.get('person_id')}: bad or missing field") from None
            return np.array(out, dtype)

        self.p_age = pcol(lambda p: float(p["age"]))
        self.p_female = pcol(lambda p: {"F": 1.0, "M": 0.0}[p["sex"]])
        self.p_group = pcol(lambda p: GROUPS.index(p["country_group"]), int)
        self.p_edu = pcol(lambda p: EDUCATION.index(p["education"]), int)
        self.p_exp = pcol(lambda p: float(p.get("work_experience_years") or 0))
        self.p_english = pcol(lambda p: float(p.get("english_level") or 0))
        self.p_norwegian = pcol(lambda p: float(p.get("norwegian_level") or 0))
        self.p_need = pcol(lambda p: NEEDS.index(p.get("special_need") or "none"), int)
        self.p_um = pcol(lambda p: bool(p.get("unaccompanied_minor")), bool)
        self.p_child = self.p_age < 18
        self.p_eligible = (self.p_age >= WORK_AGE[0]) & (self.p_age <= WORK_AGE[1])
        self.p_ids = [str(p.get("person_id", "")) for p in persons]

        def conn(h: dict[str, Any]) -> int:
            c = h.get("connection_municipality")
            if not c:
                return -1
            c = str(c).zfill(4)
            if c not in munis.index:
                raise DataError(f"household {h['household_id']}: unknown connection municipality {c}")
            return munis.index[c]

        self.h_conn = np.array([conn(h) for h in households], int)
        self.h_resettlement = np.array([bool(h.get("resettlement")) for h in households])
        self.h_um = np.bincount(self.p_hh, weights=self.p_um.astype(float), minlength=self.nh) > 0
        self.h_need_types = np.zeros((self.nh, len(NEEDS)), bool)
        self.h_need_types[self.p_hh, self.p_need] = True
        self.h_need_types[:, 0] = False
        self.h_ready = [str(h.get("ready_date") or "") for h in households]
        self.h_year = np.array(
            [int(str(h.get("settlement_date") or h.get("ready_date") or "0")[:4] or 0) for h in households]
        )
        self.has_outcomes = all("settled_municipality" in h for h in households) and self.nh > 0
        if self.has_outcomes:
            settled = []
            for h in households:
                k = str(h["settled_municipality"]).zfill(4)
                if k not in munis.index:
                    raise DataError(f"household {h['household_id']}: unknown municipality {k}")
                settled.append(munis.index[k])
            self.h_settled = np.array(settled, int)

            def work(p: dict[str, Any]) -> float:
                v = (p.get("outcomes") or {}).get("work_or_education_2y")
                return np.nan if v is None else float(bool(v))

            self.p_work = pcol(work)
            stay = []
            for h in households:
                v = (h["persons"][0].get("outcomes") or {}).get("stayed_2y")
                stay.append(np.nan if v is None else float(bool(v)))
            self.h_stay = np.array(stay)

    def subset(self, rows: np.ndarray) -> Households:
        """The households at ``rows`` (for year splits and one case at a time)."""
        return Households([self.records[int(i)] for i in rows], self._munis)

    # set by the readers so subset() can rebuild with the same municipality table
    _munis: Municipalities


def households(records: Sequence[dict[str, Any]], munis: Municipalities) -> Households:
    hh = Households(records, munis)
    hh._munis = munis
    return hh


def _open_text(path: pathlib.Path) -> Any:
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def read_household_records(path: str | pathlib.Path) -> list[dict[str, Any]]:
    p = pathlib.Path(path)
    out = []
    with _open_text(p) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise DataError(f"{p.name} line {n}: not JSON ({e.msg})") from None
    return out


def read_municipalities(path: str | pathlib.Path) -> Municipalities:
    with open(path, encoding="utf-8", newline="") as f:
        return Municipalities.from_rows(list(csv.DictReader(f)))


def read_households(path: str | pathlib.Path, munis: Municipalities) -> Households:
    return households(read_household_records(path), munis)


def read_capacity(path: str | pathlib.Path, munis: Municipalities) -> Capacity:
    with open(path, encoding="utf-8", newline="") as f:
        return Capacity.from_rows(list(csv.DictReader(f)), munis)
