"""The column interpreter's building blocks: per-person reductions over exploded fact tables, parameters
read on arrays of dates, and the :class:`ColumnContext` a paragraph's column function receives.

A list of facts (permits, decisions …) is an exploded table: one row per fact, sorted by a ``person``
column. The reductions here give each person's first/last matching row (``-1``: none), which the
paragraphs' column functions then read with :func:`take`. Dates are int64 day numbers
(:mod:`nir.rules.dates`), ``NAT`` for none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nir.rules.dates import I64, NAT, day, ymd_days
from nir.rules.parameters import ParameterSet


def first_row(person: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Row of each person's first row where ``mask`` (rows sorted by person), or -1."""
    out = np.full(n, -1, I64)
    rows = np.flatnonzero(mask)
    if rows.size:
        p = person[rows]
        keep = np.ones(rows.size, bool)
        keep[1:] = p[1:] != p[:-1]
        out[p[keep]] = rows[keep]
    return out


def last_row(person: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Row of each person's last row where ``mask``, or -1."""
    out = np.full(n, -1, I64)
    rows = np.flatnonzero(mask)
    if rows.size:
        p = person[rows]
        keep = np.ones(rows.size, bool)
        keep[:-1] = p[:-1] != p[1:]
        out[p[keep]] = rows[keep]
    return out


def any_row(person: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Whether each person has a row where ``mask``."""
    out = np.zeros(n, bool)
    out[person[mask]] = True
    return out


def take(values: np.ndarray, idx: np.ndarray, fill: Any) -> np.ndarray:
    """``values[idx]`` with ``fill`` where ``idx`` is -1."""
    if len(values) == 0:
        return np.full(len(idx), fill, dtype=values.dtype if values.dtype != bool else bool)
    taken: np.ndarray = np.where(idx >= 0, values[np.maximum(idx, 0)], fill)
    return taken


def param_days(params: ParameterSet, name: str, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A parameter's value on each day (``Parameter.at`` on arrays) and whether a version is in force."""
    values = np.zeros(len(days), I64)
    found = np.zeros(len(days), bool)
    best = np.full(len(days), NAT, I64)
    for ver in params.parameter(name).versions:
        if ver.valid_from is None:
            continue
        vf = day(ver.valid_from)
        m = (days >= vf) & (vf > best)
        if ver.valid_to is not None:
            m &= days <= day(ver.valid_to)
        values[m] = int(ver.value)
        found |= m
        best[m] = vf
    return values, found


@dataclass
class ColumnContext:
    """What every column function of a paragraph reads: the batch size, the evaluation date, the parameters,
    the birth dates, and the persons to fall back on (``bad``: a parameter the rules need has no version in
    force; those persons are evaluated by the per-person interpreter, which raises the same error)."""

    n: int
    as_of: int
    params: ParameterSet
    birth: tuple[np.ndarray, np.ndarray, np.ndarray]
    bad: np.ndarray
    active: np.ndarray  # the persons the current paragraph applies to (a missing parameter matters only there)
    rule_start: int | None = None  # integreringsloven's parameters are never read before the act's start
    cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, birth_days: np.ndarray, as_of: dt.date, params: ParameterSet, bad: np.ndarray) -> ColumnContext:
        n = len(birth_days)
        return cls(n, day(as_of), params, ymd_days(birth_days), bad, np.ones(n, bool))

    def param(self, name: str, days: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        """The parameter on each person's date; a person in ``where`` (default: all) of the active persons
        with no version in force falls back to the per-person interpreter."""
        values, found = param_days(self.params, name, days)
        miss = self.active & ~found
        if where is not None:
            miss &= where
        self.bad |= miss
        return values

    def rule_date(self, days: np.ndarray) -> np.ndarray:
        """``integreringsloven.common.rule_date`` on arrays: never before the act came into force."""
        return np.maximum(days, self.rule_start) if self.rule_start is not None else days
