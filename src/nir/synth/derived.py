"""What the Regelmotor derives from a generated block: the rules' own column path, not a copy of them.

The generator needs the rules' outcome to stay consistent with the register it
produces — who has a right and duty to the introduction programme (il. § 8,
ch. 6A, if. § 72), who has a right or duty to Norwegian training and when its
deadline falls (il. §§ 26–32). Rather than re-deriving any of it, it hands the
block's facts so far to :func:`nir.rules.vector.evaluate_columns` — the same
evaluation ``nir rules reevaluate`` runs over the register — and reads the
result. The facts are the generator's base rows (the current versions: a
correction only replaces an erroneous first version, an annulment a duplicate).

This module maps the generator's register columns onto the rules' columnar
input (the mapping ``nir.register.bulk.TABLES`` makes for rows read from SQL);
it holds no rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from nir.codes import code_list
from nir.rules import parameters, vector
from nir.rules.columns import param_days
from nir.rules.context import Context
from nir.rules.dates import NAT, day
from nir.rules.integreringsloven import il_13_14_final_goals as goals
from nir.rules.parameters import ParameterSet


class Rows(Protocol):
    """A generator table's base rows (``nir.synth.generator.Rows``): local person indices and columns."""

    person: np.ndarray
    cols: dict[str, np.ndarray]

    def __len__(self) -> int: ...


INTRO = {c: i for i, c in enumerate(vector.INTRO_CATEGORIES)}
NORWEGIAN = {c: i for i, c in enumerate(vector.NORWEGIAN_CATEGORIES)}

# generator table -> (table of the rules' columnar input, [(generator column, rules column)])
TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "ResidencePermit": (
        "permits",
        [
            ("basis", "basis"),
            ("decision_date", "decision_date"),
            ("arrival_date", "arrival_date"),
            ("applied_from_abroad", "applied_from_abroad"),
        ],
    ),
    "Settlement": ("settlements", [("settlement_date", "date"), ("by_agreement", "by_agreement")]),
    "Residence": ("residences", [("valid_from", "from")]),
    "Decision": (
        "decisions",
        [
            ("scheme", "scheme"),
            ("decision_type", "type"),
            ("result", "result"),
            ("decision_date", "decision_date"),
            ("start_date", "start_date"),
            ("end_date", "end_date"),
        ],
    ),
    "Absence": ("absences", [("scheme", "scheme"), ("kind", "kind"), ("from_date", "from"), ("to_date", "to")]),
}
DATE_COLUMNS = frozenset({"decision_date", "arrival_date", "date", "from", "to", "start_date", "end_date"})


def _days(values: np.ndarray, null_day: int) -> np.ndarray:
    """The generator's day numbers as the rules' (its missing-date marker as NaT)."""
    v = np.asarray(values, np.int64)
    return np.where(v == null_day, NAT, v)


def columns(
    n: int,
    birth: np.ndarray,
    education: np.ndarray,
    tables: Mapping[str, Rows | None],
    null_day: int,
    final_goal: tuple[np.ndarray, np.ndarray] | None = None,
    extension: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """The rules' columnar input for ``n`` persons (local indices 0 … n−1) from the generator's rows.

    ``final_goal`` and ``extension`` are (persons, values): a person's final goal code and the months of
    its extensions (summed, as the register's re-evaluation sums them).
    """
    cols: dict[str, Any] = {"birth_date": _days(birth, null_day), "education": education}
    goal = np.full(n, None, object)
    if final_goal is not None:
        goal[final_goal[0]] = final_goal[1]
    cols["final_goal"] = goal
    months = np.zeros(n, np.int64)
    if extension is not None:
        np.add.at(months, extension[0], np.asarray(extension[1], np.int64))
    cols["extension_months"] = months
    for table, (name, spec) in TABLES.items():
        rows = tables.get(table)
        if rows is None or not len(rows):
            cols[f"{name}.person"] = np.zeros(0, np.int64)
            continue
        order = np.argsort(rows.person, kind="stable")
        cols[f"{name}.person"] = rows.person[order]
        for src, dst in spec:
            v = rows.cols[src][order]
            cols[f"{name}.{dst}"] = _days(v, null_day) if dst in DATE_COLUMNS else v
    return cols


def evaluate(cols: Mapping[str, Any], as_of: dt.date) -> vector.BatchResult:
    """The Regelmotor's result for every person of the block on ``as_of``."""
    return vector.evaluate_columns(cols, as_of)


# --- parameters and per-code values, read from the rules ----------------------------------


def param_on(name: str, days: np.ndarray, params: ParameterSet | None = None) -> np.ndarray:
    """A rules parameter (``nir.rules.parameters``) on each day. Before its first version (a fact dated
    before integreringsloven) the first version's value: the generator's stand-in for the repealed act."""
    params = params or parameters.default()
    days = np.asarray(days, np.int64)
    values, found = param_days(params, name, days)
    if not found.all():
        first = min((v for v in params.parameter(name).versions if v.valid_from), key=lambda v: v.valid_from)
        values = np.where(found, values, int(first.value))
    return values


def first_in_force(name: str, params: ParameterSet | None = None) -> int:
    """The day number a parameter's first version comes into force (a rule's start)."""
    versions = (params or parameters.default()).parameter(name).versions
    return day(min(v.valid_from for v in versions if v.valid_from))


def goal_durations(on: dt.date, params: ParameterSet | None = None) -> dict[str, tuple[int, int]]:
    """Months and maximum extension per final-goal code, from the rules' own goal-parameter function
    (``integreringsloven.il_13_14_final_goals.goal_parameters``: each code's parameters on its own
    ``valid_from``)."""
    ctx = Context(vector.NO_FACTS, on, params or parameters.default())
    out = {}
    for code in code_list("final_goal").codes:
        months, extension = goals.goal_parameters(ctx, code)
        out[code.code] = (int(months.value), int(extension.value))
    return out
