"""Whole-register re-evaluation in bulk (``nir rules reevaluate``).

Per range of person ids, in columns from end to end, with no Python object per person:

1. read the current registrations straight from SQL into columns (one query per table; on
   PostgreSQL each a ``COPY … TO STDOUT`` read by polars, dates as day numbers computed by the
   database), the vectorised Regelmotor's input (``nir.rules.vector``, which agrees with the
   per-person engine);
2. evaluate them (``vector.evaluate_columns``);
3. compare with the current ``DerivedStatus`` rows, read the same way, column by column (a join on
   the person): unchanged persons are skipped without a row or a dict being built;
4. write only what changed, the way every status is replaced (``services.status_row`` defines the
   row, superseding the current one): on PostgreSQL the new values go by ``COPY`` into a temporary
   table, then one set-based ``UPDATE`` supersedes the current rows (still current, else
   ``ConcurrentChange``) and one ``INSERT … SELECT`` adds the new ones; on SQLite through
   ``services.replace_statuses``.

Automatic closures are compared set-wise; the rare persons whose closure must change go through the
per-person write path. Called by the action ``nir.actions.reevaluate``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from django.db import connection, models

from nir.register import models as m
from nir.register import services
from nir.register.actors import REGELMOTOR
from nir.register.errors import ConcurrentChange
from nir.rules import vector
from nir.rules.version import RULES_VERSION

_CURRENT = "superseded_at IS NULL AND operation <> 'annul'"
_NAT = np.iinfo(np.int64).min  # numpy's NaT as int64

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
_BOOL_KEYS = {"by_agreement", "applied_from_abroad"}


# --- reading columns --------------------------------------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _days(column: str) -> str:
    """SQL: the date ``column`` as days since 1970-01-01 (NULL stays NULL)."""
    if _pg():
        return f"(\"{column}\" - DATE '1970-01-01')"
    return f'CAST(julianday("{column}") - 2440587.5 AS INTEGER)'


def _flag(column: str) -> str:
    """SQL: a boolean ``column`` as 1/0 (NULL stays NULL)."""
    return f'CASE WHEN "{column}" THEN 1 WHEN NOT "{column}" THEN 0 END'


def _frame(sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of ``sql`` (no parameters) as a polars frame of ``schema``: on PostgreSQL one
    ``COPY (sql) TO STDOUT`` in CSV parsed by polars (no Python object per value), else fetched."""
    with connection.cursor() as cur:
        if _pg():
            buf = io.BytesIO()
            with cur.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, NULL '\\N')") as copy:
                for block in copy:
                    buf.write(block)
            if not buf.tell():
                return pl.DataFrame(schema=schema)
            return pl.read_csv(
                buf.getvalue(),
                has_header=False,
                new_columns=list(schema),
                schema=schema,
                null_values="\\N",
                empty_string_is_null=False,
            )
        cur.execute(sql)
        return pl.DataFrame(cur.fetchall(), schema=schema, orient="row")


def _as_dates(days: pl.Series) -> np.ndarray:
    """Day numbers (null: NaT) as ``datetime64[D]``."""
    return days.cast(pl.Int64).fill_null(_NAT).to_numpy().astype(np.int64).view("datetime64[D]")


def _last_per_person(df: pl.DataFrame) -> pl.DataFrame:
    """The last row of each person of ``df`` (sorted by person, then id)."""
    return df.unique(subset="person_id", keep="last", maintain_order=True)


def _place(ids: np.ndarray, person: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each person's position in ``ids`` (sorted) and whether they are there at all."""
    n = len(ids)
    idx = np.searchsorted(ids, person)
    ok = (idx < n) & (ids[np.minimum(idx, n - 1)] == person) if n else np.zeros(len(person), bool)
    return idx, ok


def _table_sql(model: type[models.Model], select: str, lo: int, hi: int, tail: str = "") -> str:
    return (
        f'SELECT person_id, {select} FROM "{model._meta.db_table}" '
        f"WHERE person_id BETWEEN {int(lo)} AND {int(hi)} AND {_CURRENT} {tail}"
    )


def load_columns(lo: int, hi: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Person ids (with details) in [lo, hi] and the vectorised engine's columnar input for them."""
    details = _frame(
        _table_sql(m.PersonDetails, f'{_days("birth_date")}, "education"', lo, hi, "ORDER BY person_id, id"),
        {"person_id": pl.Int64, "birth_date": pl.Int64, "education": pl.String},
    )
    if not details.height:
        return np.zeros(0, np.int64), {}
    # one current details row per person; keep the last (as the interchange builder does)
    details = _last_per_person(details)
    ids = details["person_id"].to_numpy().astype(np.int64)
    n = len(ids)
    cols: dict[str, np.ndarray] = {
        "birth_date": _as_dates(details["birth_date"]),
        "education": details["education"].to_numpy().astype(object),
    }
    goals = _last_per_person(
        _frame(
            _table_sql(m.FinalGoal, '"goal"', lo, hi, "ORDER BY person_id, id"),
            {"person_id": pl.Int64, "goal": pl.String},
        )
    )
    final_goal = np.full(n, None, object)
    idx, ok = _place(ids, goals["person_id"].to_numpy())
    final_goal[idx[ok]] = goals["goal"].to_numpy().astype(object)[ok]
    cols["final_goal"] = final_goal
    months = _frame(
        _table_sql(m.Extension, 'SUM("months")', lo, hi, "GROUP BY person_id"),
        {"person_id": pl.Int64, "months": pl.Int64},
    )
    extension = np.zeros(n, np.int64)
    idx, ok = _place(ids, months["person_id"].to_numpy())
    extension[idx[ok]] = months["months"].fill_null(0).to_numpy()[ok]
    cols["extension_months"] = extension
    for name, (model, spec) in TABLES.items():
        select = ["id"]
        schema: dict[str, Any] = {"person_id": pl.Int64, "id": pl.Int64}
        for column, key in spec:
            if key in DATE_COLUMNS:
                select.append(_days(column))
                schema[key] = pl.Int64
            elif key in _BOOL_KEYS:
                select.append(_flag(column))
                schema[key] = pl.Int64
            else:
                select.append(f'"{column}"')
                schema[key] = pl.String
        rows = _frame(_table_sql(model, ", ".join(select), lo, hi, "ORDER BY person_id, id"), schema)
        idx, ok = _place(ids, rows["person_id"].to_numpy())
        rows = rows.filter(pl.Series(ok))
        cols[f"{name}.person"] = idx[ok]
        cols[f"{name}.order"] = rows["id"].to_numpy().astype(np.int64)
        for _column, key in spec:
            values = rows[key]
            if key in DATE_COLUMNS:
                cols[f"{name}.{key}"] = _as_dates(values)
            elif key == "by_agreement":
                cols[f"{name}.{key}"] = values.fill_null(0).to_numpy().astype(bool)
            elif key == "applied_from_abroad":
                cols[f"{name}.{key}"] = values.fill_null(-1).to_numpy().astype(np.int64)
            else:
                # as str() of each value (a NULL as "None", as the engine's per-person facts would)
                text = values.to_numpy().astype(object)
                cols[f"{name}.{key}"] = text.astype(str) if len(text) else np.zeros(0, str)
    return ids, cols


# --- comparing with the stored statuses, in columns ----------------------------------------------

RESULT_FIELDS = m.DerivedStatus.RESULT_FIELDS
_DATE_FIELDS = tuple(f for f in RESULT_FIELDS if isinstance(m.DerivedStatus._meta.get_field(f), models.DateField))
_BOOL_FIELDS = tuple(f for f in RESULT_FIELDS if f.startswith("deviation_"))
_INT_FIELDS = ("intro_absence_workdays", "norwegian_leave_workdays")
_TEXT_FIELDS = ("law", "intro_category", "norwegian_category")
assert set(RESULT_FIELDS) == {*_DATE_FIELDS, *_BOOL_FIELDS, *_INT_FIELDS, *_TEXT_FIELDS, "errors"}


def result_frame(res: vector.BatchResult) -> pl.DataFrame:
    return res.to_polars().select(list(RESULT_FIELDS))


def _comparable(frame: pl.DataFrame, errors: pl.Series) -> pl.DataFrame:
    """``frame``'s result fields as numbers and text: dates as day numbers, flags as 1/0, the errors
    (``errors``: one canonical JSON text per row)."""
    return frame.with_columns(
        *(pl.col(f).cast(pl.Int64) for f in (*_DATE_FIELDS, *_BOOL_FIELDS, *_INT_FIELDS)),
        errors.alias("errors"),
    )


def _canonical_errors(values: pl.Series, parse: bool) -> pl.Series:
    """One JSON text per row for the errors (a list of rule ids, or its stored JSON text with ``parse``),
    equal where the lists are equal; computed once per distinct value."""
    keys = values if parse else values.list.join("\x1f")
    uniq = keys.unique().to_list()
    if parse:
        text = [None if v is None else json.dumps(json.loads(v)) for v in uniq]
    else:
        text = [None if v is None else json.dumps(v.split("\x1f") if v else []) for v in uniq]
    lookup = pl.DataFrame({"k": pl.Series(uniq, dtype=pl.String), "t": pl.Series(text, dtype=pl.String)})
    joined = keys.to_frame("k").join(lookup, on="k", how="left", maintain_order="left", nulls_equal=True)
    return joined["t"]


def stored_statuses(lo: int, hi: int) -> pl.DataFrame:
    """Each person's current DerivedStatus in [lo, hi] (the newest, should there be two): its id
    and result fields as ``_comparable`` makes them."""
    select = ["id"]
    schema: dict[str, Any] = {"person_id": pl.Int64, "id": pl.Int64}
    for f in RESULT_FIELDS:
        if f in _DATE_FIELDS:
            select.append(_days(f))
            schema[f] = pl.Int64
        elif f in _BOOL_FIELDS:
            select.append(_flag(f))
            schema[f] = pl.Int64
        elif f in _INT_FIELDS:
            select.append(f'"{f}"')
            schema[f] = pl.Int64
        else:
            select.append(f'"{f}"' if f != "errors" or not _pg() else '"errors"::text')
            schema[f] = pl.String
    df = _last_per_person(
        _frame(_table_sql(m.DerivedStatus, ", ".join(select), lo, hi, "ORDER BY person_id, id"), schema)
    )
    return df.with_columns(_canonical_errors(df["errors"], parse=True).alias("errors"))


@dataclass
class Comparison:
    """New results against the stored statuses, one row per person whose status is written."""

    # person_id, supersedes_id (null: created), the new result fields (as result_frame), errors_json (as stored)
    written: pl.DataFrame
    unchanged: int
    changed: int
    created: int
    field_changes: dict[str, int]
    category_moves: dict[tuple[str, Any, Any], int]


def compare(ids: np.ndarray, new: pl.DataFrame, stored: pl.DataFrame) -> Comparison:
    """Which persons' results differ from their stored status (or have none), in columns."""
    new = new.with_columns(person_id=pl.Series(ids, dtype=pl.Int64))
    errors = _canonical_errors(new["errors"], parse=False)
    cmp = _comparable(new, errors)
    joined = cmp.join(stored, on="person_id", how="left", suffix="_old", maintain_order="left")
    exists = joined["id"].is_not_null()
    diff = {f: joined[f].ne_missing(joined[f"{f}_old"]) & exists for f in RESULT_FIELDS}
    changed = pl.Series(np.zeros(len(joined), bool))
    for d in diff.values():
        changed = changed | d
    write = changed | ~exists
    moves: dict[tuple[str, Any, Any], int] = {}
    for scheme, f in (("intro", "intro_category"), ("norwegian", "norwegian_category")):
        moved = joined.filter(diff[f]).group_by(f"{f}_old", f).len()
        for old, now, count in moved.iter_rows():
            moves[(scheme, old, now)] = count
    written = new.with_columns(supersedes_id=joined["id"], errors_json=errors).filter(write)
    return Comparison(
        written=written,
        unchanged=int((~write).sum()),
        changed=int(changed.sum()),
        created=int((~exists).sum()),
        field_changes={f: int(d.sum()) for f, d in diff.items() if d.any()},
        category_moves=moves,
    )


# --- writing the new statuses ---------------------------------------------------------------------

# The columns of a new status that vary per row; every other one is the same for all the rows of a
# re-evaluation, taken from the row ``services.status_row`` builds.
_PER_ROW = {"id", "person", "supersedes", "operation", "change_reason", "recorded_at", *RESULT_FIELDS}


def _values(row: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    return {"as_of": as_of, "rules_version": RULES_VERSION, **{f: row[f] for f in RESULT_FIELDS}}


def write_statuses(written: pl.DataFrame, as_of: dt.date, at: dt.datetime) -> None:
    """Store the new statuses of ``written`` (``compare``), each superseding its ``supersedes_id``
    while that is still current (else ``ConcurrentChange`` and nothing of the range is stored)."""
    if not written.height:
        return
    if not _pg():
        _write_statuses_orm(written, as_of, at)
        return
    sample = written.row(0, named=True)
    created = services.status_row(0, _values(sample, as_of), at, None)
    corrected = services.status_row(0, _values(sample, as_of), at, m.DerivedStatus(pk=0, recorded_at=at))
    fields = {f.name: f for f in m.DerivedStatus._meta.concrete_fields}
    constant = {
        f.column: f.get_db_prep_save(getattr(created, f.attname), connection)
        for name, f in fields.items()
        if name not in _PER_ROW
    }
    table = m.DerivedStatus._meta.db_table
    csv_columns = ["person_id", "supersedes_id", *RESULT_FIELDS]
    out = written.with_columns(pl.col("errors_json").alias("errors")).select(csv_columns)
    buf = io.BytesIO()
    out.write_csv(buf, include_header=False, null_value="\\N")
    quoted = ", ".join(f'"{c}"' for c in csv_columns)
    with connection.cursor() as cur:
        cur.execute(f'CREATE TEMP TABLE _nir_new_status ON COMMIT DROP AS SELECT {quoted} FROM "{table}" WITH NO DATA')
        with cur.cursor.copy(f"COPY _nir_new_status ({quoted}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
            copy.write(buf.getvalue())
        cur.execute(
            f'UPDATE "{table}" d SET superseded_at = GREATEST(%s, d.recorded_at) FROM _nir_new_status t '
            "WHERE d.id = t.supersedes_id AND d.superseded_at IS NULL",
            [at],
        )
        if cur.rowcount != int(written["supersedes_id"].is_not_null().sum()):
            raise ConcurrentChange.already_superseded()
        const_cols = list(constant)
        cur.execute(
            f'INSERT INTO "{table}" (person_id, supersedes_id, operation, change_reason, recorded_at, '
            f"{', '.join(f'{chr(34)}{f}{chr(34)}' for f in RESULT_FIELDS)}, "
            f"{', '.join(f'{chr(34)}{c}{chr(34)}' for c in const_cols)}) "
            "SELECT t.person_id, t.supersedes_id, "
            "CASE WHEN t.supersedes_id IS NULL THEN %s ELSE %s END, "
            "CASE WHEN t.supersedes_id IS NULL THEN %s ELSE %s END, "
            "GREATEST(%s, d.recorded_at), "
            f"{', '.join(f't.{chr(34)}{f}{chr(34)}' for f in RESULT_FIELDS)}, "
            f"{', '.join(['%s'] * len(const_cols))} "
            f'FROM _nir_new_status t LEFT JOIN "{table}" d ON d.id = t.supersedes_id ORDER BY t.person_id',
            [
                created.operation,
                corrected.operation,
                created.change_reason,
                corrected.change_reason,
                at,
                *constant.values(),
            ],
        )
        cur.execute("DROP TABLE _nir_new_status")


def _write_statuses_orm(written: pl.DataFrame, as_of: dt.date, at: dt.datetime) -> None:
    """SQLite: the new statuses through ``services.replace_statuses``."""
    old = {
        pk: recorded
        for pk, recorded in m.DerivedStatus.objects.filter(
            pk__in=written["supersedes_id"].drop_nulls().to_list()
        ).values_list("pk", "recorded_at")
    }
    rows = []
    for row in written.iter_rows(named=True):
        sid = row["supersedes_id"]
        prev = m.DerivedStatus(pk=sid, recorded_at=old[sid]) if sid is not None else None
        values = _values(row, as_of)
        values["errors"] = list(values["errors"])
        rows.append(services.status_row(row["person_id"], values, at, prev))
    services.replace_statuses(rows)


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


@dataclass
class RangeInput:
    """What a range's re-evaluation reads: its persons' columns and their stored statuses."""

    lo: int
    hi: int
    ids: np.ndarray
    columns: dict[str, np.ndarray]
    stored: pl.DataFrame


def read_range(lo: int, hi: int) -> RangeInput:
    """Read the persons with ids in [lo, hi] in columns (``load_columns``, ``stored_statuses``)."""
    ids, cols = load_columns(lo, hi)
    return RangeInput(lo, hi, ids, cols, stored_statuses(lo, hi) if len(ids) else pl.DataFrame())


def read_ahead(bounds: Sequence[tuple[int, int]]) -> Iterator[RangeInput]:
    """Each range of ``bounds`` read (``read_range``); on PostgreSQL, outside a transaction, the next
    range is read on a second connection in a thread while the caller evaluates and writes this one
    (the server's work and the engine's overlap on two cores). Inside a transaction the ranges are
    read in it, one after the other: a second connection would not see its uncommitted rows."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(bounds) < 2:
        for lo, hi in bounds:
            yield read_range(lo, hi)
        return

    def read(lo: int, hi: int) -> RangeInput:
        try:
            return read_range(lo, hi)
        finally:
            connection.close()  # the worker thread's own connection

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nir-reevaluate-read") as pool:
        ahead = pool.submit(read, *bounds[0])
        for lo, hi in bounds[1:]:
            current = ahead.result()
            ahead = pool.submit(read, lo, hi)
            yield current
        yield ahead.result()


def reevaluate_range(
    lo: int, hi: int, as_of: dt.date, at: dt.datetime, *, dry_run: bool = False, data: RangeInput | None = None
) -> ChunkOutcome:
    """Re-evaluate persons with ids in [lo, hi] (``data``: already read, else read now); write changed
    statuses (unless ``dry_run``)."""
    data = data if data is not None else read_range(lo, hi)
    ids = data.ids
    if not len(ids):
        return ChunkOutcome([], 0, 0, 0, 0, 0, {}, {}, [])
    res = vector.evaluate_columns(data.columns, as_of)
    cmp = compare(ids, result_frame(res), data.stored)
    if not dry_run:
        write_statuses(cmp.written, as_of, at)
    return ChunkOutcome(
        cmp.written["person_id"].to_list(),
        len(ids),
        cmp.unchanged,
        cmp.changed,
        cmp.created,
        int((res.errors != 0).sum()),
        cmp.field_changes,
        cmp.category_moves,
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
