"""Run one rule definition with both interpreters on one person's scope and check they agree.

A decision table's :meth:`decide` (one person, explained) and :meth:`columns` (arrays) read the same
rows; :func:`decide_both` runs a scalar scope through both (the columns on arrays of length one) and
returns the per-person result after asserting the column interpreter picked the same row and outcome.
:func:`check_both` does the same for a list of :class:`~nir.rules.checks.Check`.
(Imported by module name, like ``rules_support``.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from nir.rules.checks import Check, all_errors, all_masks, first_error, first_masks
from nir.rules.dates import day
from nir.rules.model import Explanation
from nir.rules.table import DecisionTable, V


def _column(value: Any) -> Any:
    """A scalar as the column path holds it: dates as day numbers."""
    return day(value) if isinstance(value, dt.date) else value


def _arrays(names: set[str], scope: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.array([_column(scope[k])]) for k in names}


def decide_both(table: DecisionTable, scope: dict[str, Any]) -> Explanation:
    """The explanation of ``table.decide(scope)``; asserts ``table.columns`` chooses the same row and value."""
    d = table.decide(scope)
    names: set[str] = set()
    for r in table.rows:
        names |= r.when.names() | (r.then.names() if isinstance(r.then, V) else set())
    values, row = table.columns(_arrays(names, scope), 1)
    chosen = table.rows[int(row[0])]
    assert chosen is table.match(scope), (chosen.id, table.match(scope).id)
    column_value = values[0] if isinstance(chosen.then, V) else table.outputs[int(values[0])]
    assert column_value == _column(d.value), (column_value, d.value)
    [step] = d.steps
    assert step.rule == chosen.id and step.value == d.value
    return step


def check_both(checks: Sequence[Check], scope: dict[str, Any], first: bool = True) -> list[str]:
    """The error ids the checks give one fact (``first``: a chain, only the first), asserting the column
    form gives the same."""
    names: set[str] = set().union(*(c.when.names() for c in checks))
    if first:
        e = first_error(checks, scope, "subject")
        ids = [e.rule] if e else []
        masks = first_masks(checks, _arrays(names, scope), 1)
    else:
        ids = [e.rule for e in all_errors(checks, scope, "subject")]
        masks = all_masks(checks, _arrays(names, scope), 1)
    assert sorted(ids) == sorted(k for k, m in masks.items() if m[0]), (ids, masks)
    return ids
