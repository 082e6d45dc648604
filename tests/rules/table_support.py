"""Run one scope through both interpreters of a decision table (imported by module name)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nir.rules.table import DecisionTable


def both(table: DecisionTable, scope: dict[str, Any]) -> tuple[str, str]:
    """The outcome and the deciding row's id for one person; the column interpreter, run on the same scope as
    arrays of one, must give the same outcome and row."""
    scope = {f: None for r in table.rows for f in r.fields} | scope  # the texts' names not given: "–"
    derived = table.decide(scope)
    row = table.match(scope)
    arrays = {k: np.array([v]) for k, v in scope.items() if isinstance(v, bool | int)}
    values, rows = table.columns(arrays, 1)
    assert table.outputs[values[0]] == derived.value, (table.name, scope)
    assert table.rows[rows[0]] is row, (table.name, scope)
    return derived.value, row.id
