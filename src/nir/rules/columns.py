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

from nir.rules.dates import I64, NAT, day, month_days
from nir.rules.parameters import ParameterSet


def bounds(person: np.ndarray, n: int) -> np.ndarray:
    """Person ``i``'s rows are ``bounds[i]`` to ``bounds[i + 1]`` (rows sorted by person): computed once per
    table, read by every reduction below."""
    found = np.zeros(n + 1, I64)
    np.cumsum(np.bincount(person, minlength=n), out=found[1:])
    return found


def _counts(bounds: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The number of rows where ``mask`` before each bound (a prefix sum: no per-row branch or scatter)."""
    c = np.zeros(len(mask) + 1, I64)
    np.cumsum(mask, out=c[1:])
    counts: np.ndarray = c[bounds]
    return counts


def first_row(bounds: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row of each person's first row where ``mask``, or -1."""
    k = _counts(bounds, mask)
    return take(np.flatnonzero(mask), np.where(k[1:] > k[:-1], k[:-1], -1), -1)


def last_row(bounds: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row of each person's last row where ``mask``, or -1."""
    k = _counts(bounds, mask)
    return take(np.flatnonzero(mask), np.where(k[1:] > k[:-1], k[1:] - 1, -1), -1)


def any_row(bounds: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Whether each person has a row where ``mask``."""
    k = _counts(bounds, mask)
    found: np.ndarray = k[1:] > k[:-1]
    return found


def take(values: np.ndarray, idx: np.ndarray, fill: Any) -> np.ndarray:
    """``values[idx]`` with ``fill`` where ``idx`` is -1 (read from a copy with ``fill`` appended: no mask)."""
    ext = np.empty(len(values) + 1, values.dtype)
    ext[:-1], ext[-1] = values, fill
    taken: np.ndarray = ext.take(idx)
    return taken


def param_days(params: ParameterSet, name: str, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A parameter's value on each day (``Parameter.at`` on arrays) and whether a version is in force."""
    values = np.zeros(len(days), I64)
    best = np.full(len(days), NAT, I64)
    for ver in params.parameter(name).versions:
        if ver.valid_from is None:
            continue
        vf = day(ver.valid_from)
        m = (days >= vf) & (vf > best)
        if ver.valid_to is not None:
            m &= days <= day(ver.valid_to)
        values = np.where(m, int(ver.value), values)  # np.where: no branch per element, unlike a masked write
        best = np.where(m, vf, best)
    return values, best != NAT


@dataclass
class ColumnContext:
    """What every column function of a paragraph reads: the batch size, the evaluation date, the parameters,
    the birth dates, and the persons to fall back on (``bad``: a parameter the rules need has no version in
    force; those persons are evaluated by the per-person interpreter, which raises the same error)."""

    n: int
    as_of: int
    params: ParameterSet
    birth: tuple[np.ndarray, np.ndarray]  # month_days of the birth dates
    bad: np.ndarray
    active: np.ndarray  # the persons the current paragraph applies to (a missing parameter matters only there)
    rule_start: int | None = None  # integreringsloven's parameters are never read before the act's start
    cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, birth_days: np.ndarray, as_of: dt.date, params: ParameterSet, bad: np.ndarray) -> ColumnContext:
        n = len(birth_days)
        return cls(n, day(as_of), params, month_days(birth_days), bad, np.ones(n, bool))

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
