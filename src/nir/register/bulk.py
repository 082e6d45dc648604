"""Whole-register re-evaluation in bulk (``nir rules reevaluate``).

Reads the current registrations of a range of persons straight from SQL into
columns (one query per table), evaluates them with the vectorised Regelmotor
(``nir.rules.vector``, which agrees with the per-person engine), compares with
the current ``DerivedStatus`` rows and writes only what changed, in bulk, the
way every status is replaced (``services.replace_statuses``). Automatic
closures are compared set-wise; the rare persons whose closure must change go
through the per-person write path. Called by the action ``nir.actions.reevaluate``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from django.db import connection

from nir.register import models as m
from nir.register import services
from nir.register.actors import REGELMOTOR
from nir.rules import vector
from nir.rules.version import RULES_VERSION

_CURRENT = "superseded_at IS NULL AND operation <> 'annul'"

# columnar table -> (model, [(db column, column name in the vector input)])
TABLES = {
    "permits": (
        m.ResidencePermit,
        [
            ("basis", "basis"),
            ("decision_date", "decision_date"),
            ("arrival_date", "arrival_date"),
            ("applied_from_abroad", "applied_from_abroad"),
        ],
    ),
    "settlements": (m.Settlement, [("settlement_date", "date"), ("by_agreement", "by_agreement")]),
    "residences": (m.Residence, [("valid_from", "from")]),
    "decisions": (
        m.Decision,
        [
            ("scheme", "scheme"),
            ("decision_type", "type"),
            ("result", "result"),
            ("decision_date", "decision_date"),
            ("start_date", "start_date"),
            ("end_date", "end_date"),
        ],
    ),
    "absences": (m.Absence, [("scheme", "scheme"), ("kind", "kind"), ("from_date", "from"), ("to_date", "to")]),
}
DATE_COLUMNS = {"decision_date", "arrival_date", "date", "from", "to", "start_date", "end_date"}


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows: list[tuple[Any, ...]] = cur.fetchall()
        return rows


def _dates(values: Iterable[Any]) -> np.ndarray:
    return np.array([None if v is None else str(v) for v in values], dtype="datetime64[D]")


def _per_person(ids: np.ndarray, out: np.ndarray, rows: list[tuple[Any, ...]]) -> np.ndarray:
    """Put (person_id, value) rows into ``out`` at each person's position in ``ids`` (last row wins)."""
    n = len(ids)
    for pid, value in rows:
        i = np.searchsorted(ids, pid)
        if i < n and ids[i] == pid:
            out[i] = value
    return out


def load_columns(lo: int, hi: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Person ids (with details) in [lo, hi] and the vectorised engine's columnar input for them."""
    details = _fetch(
        f'SELECT person_id, birth_date, education FROM "{m.PersonDetails._meta.db_table}" '
        f"WHERE person_id BETWEEN %s AND %s AND {_CURRENT} ORDER BY person_id, id",
        [lo, hi],
    )
    if not details:
        return np.zeros(0, np.int64), {}
    pid = np.array([r[0] for r in details], np.int64)
    # one current details row per person; keep the last (as the interchange builder does)
    last = np.r_[pid[1:] != pid[:-1], True]
    ids = pid[last]
    cols: dict[str, np.ndarray] = {
        "birth_date": _dates(r[1] for r, keep in zip(details, last) if keep),
        "education": np.array([r[2] for r, keep in zip(details, last) if keep], object),
    }
    n = len(ids)
    cols["final_goal"] = _per_person(
        ids,
        np.full(n, None, object),
        _fetch(
            f'SELECT person_id, goal FROM "{m.FinalGoal._meta.db_table}" '
            f"WHERE person_id BETWEEN %s AND %s AND {_CURRENT} ORDER BY person_id, id",
            [lo, hi],
        ),
    )
    cols["extension_months"] = _per_person(
        ids,
        np.zeros(n, np.int64),
        _fetch(
            f'SELECT person_id, SUM(months) FROM "{m.Extension._meta.db_table}" '
            f"WHERE person_id BETWEEN %s AND %s AND {_CURRENT} GROUP BY person_id",
            [lo, hi],
        ),
    )
    for name, (model, spec) in TABLES.items():
        select = ", ".join(f'"{c}"' for c, _k in spec)
        rows = _fetch(
            f'SELECT person_id, id, {select} FROM "{model._meta.db_table}" '
            f"WHERE person_id BETWEEN %s AND %s AND {_CURRENT} ORDER BY person_id, id",
            [lo, hi],
        )
        person = np.array([r[0] for r in rows], np.int64)
        idx = np.searchsorted(ids, person)
        ok = (idx < n) & (ids[np.minimum(idx, n - 1)] == person) if n else np.zeros(len(rows), bool)
        keep = [r for r, k in zip(rows, ok.tolist()) if k]
        cols[f"{name}.person"] = idx[ok]
        cols[f"{name}.order"] = np.array([r[1] for r in keep], np.int64)
        for j, (_c, key) in enumerate(spec, start=2):
            values = [r[j] for r in keep]
            if key in DATE_COLUMNS:
                cols[f"{name}.{key}"] = _dates(values)
            elif key == "by_agreement":
                cols[f"{name}.{key}"] = np.array([bool(v) for v in values], bool)
            elif key == "applied_from_abroad":
                cols[f"{name}.{key}"] = np.array([-1 if v is None else int(bool(v)) for v in values], np.int64)
            else:
                cols[f"{name}.{key}"] = np.array(values, object).astype(str) if values else np.zeros(0, str)
    return ids, cols


RESULT_FIELDS = m.DerivedStatus.RESULT_FIELDS


def result_frame(res: vector.BatchResult) -> pl.DataFrame:
    return res.to_polars().select(list(RESULT_FIELDS))


@dataclass
class ChunkOutcome:
    person_ids: list[int]  # the persons whose status changed or was created
    persons: int
    unchanged: int
    changed: int
    created: int
    with_errors: int
    field_changes: dict[str, int]
    category_moves: dict[tuple[str, Any, Any], int]  # (scheme, old category, new one): persons
    closure_mismatch: list[int]


def reevaluate_range(lo: int, hi: int, as_of: dt.date, at: dt.datetime, *, dry_run: bool = False) -> ChunkOutcome:
    """Re-evaluate persons with ids in [lo, hi]; write changed statuses (unless ``dry_run``)."""
    ids, cols = load_columns(lo, hi)
    if not len(ids):
        return ChunkOutcome([], 0, 0, 0, 0, 0, {}, {}, [])
    res = vector.evaluate_columns(cols, as_of)
    new = result_frame(res).rows()
    current = {
        row[0]: row[1:]
        for row in m.DerivedStatus.objects.current()
        .filter(person_id__gte=lo, person_id__lte=hi)
        .values_list("person_id", "id", "recorded_at", *RESULT_FIELDS)
    }
    inserts = []
    unchanged = changed = created = 0
    field_changes: dict[str, int] = {}
    moves: dict[tuple[str, Any, Any], int] = {}
    i_cat = RESULT_FIELDS.index("intro_category")
    n_cat = RESULT_FIELDS.index("norwegian_category")
    for pid, values in zip(ids.tolist(), new):
        cur = current.get(pid)
        values = tuple(sorted(v) if isinstance(v, list) else v for v in values)
        if cur is not None:
            old = cur[2:]
            if old == values:
                unchanged += 1
                continue
            changed += 1
            for name, a, b in zip(RESULT_FIELDS, old, values):
                if a != b:
                    field_changes[name] = field_changes.get(name, 0) + 1
            for scheme, k in (("intro", i_cat), ("norwegian", n_cat)):
                if old[k] != values[k]:
                    key = (scheme, old[k], values[k])
                    moves[key] = moves.get(key, 0) + 1
        else:
            created += 1
        prev = m.DerivedStatus(pk=cur[0], recorded_at=cur[1]) if cur is not None else None
        inserts.append(
            services.status_row(
                pid, {"as_of": as_of, "rules_version": RULES_VERSION, **dict(zip(RESULT_FIELDS, values))}, at, prev
            )
        )
    if not dry_run and inserts:
        services.replace_statuses(inserts)
    with_errors = int((res.errors != 0).sum())
    return ChunkOutcome(
        [r.person_id for r in inserts],
        len(ids),
        unchanged,
        changed,
        created,
        with_errors,
        field_changes,
        moves,
        _closure_mismatches(ids, res, lo, hi),
    )


def _closure_mismatches(ids: np.ndarray, res: vector.BatchResult, lo: int, hi: int) -> list[int]:
    """Persons whose registered automatic closure differs from the derived one (to fix one by one)."""
    want: dict[int, dt.date] = {}
    closed = res.intro_closed_date
    has = ~np.isnat(closed)
    for pid, day in zip(ids[has].tolist(), closed[has].astype(object).tolist()):
        want[pid] = day
    have: dict[int, list[dt.date]] = {}
    for pid, day in (
        m.Termination.objects.current()
        .filter(
            person_id__gte=lo,
            person_id__lte=hi,
            scheme="intro",
            registered_by_kind=m.ActorKind.SYSTEM,
            registered_by_system=REGELMOTOR,
        )
        .values_list("person_id", "termination_date")
    ):
        have.setdefault(pid, []).append(day)
    return sorted(pid for pid in set(want) | set(have) if have.get(pid, []) != ([want[pid]] if pid in want else []))


def person_id_bounds(chunk: int) -> list[tuple[int, int]]:
    """Id ranges [lo, hi] of about ``chunk`` persons each, covering every person."""
    qs = m.Person.objects.order_by("id").values_list("id", flat=True)
    bounds: list[tuple[int, int]] = []
    last = 0
    while True:
        first = qs.filter(id__gt=last).first()
        if first is None:
            return bounds
        top = list(qs.filter(id__gt=last)[chunk - 1 : chunk])
        hi = top[0] if top else qs.last()
        assert hi is not None  # there is a person after ``last`` (``first``)
        bounds.append((first, hi))
        last = hi
