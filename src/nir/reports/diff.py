"""What changed between two registration times: the same report or statistics at two ``known_at``.

Late registrations (etterregistrering) and corrections change yesterday's
figures. ``report_diff`` runs one report as the register was known at
``before`` and at ``after`` (same filters, same ``as_of``) and says, per
person (DUF number), which rows appeared, disappeared or changed;
``stats_diff`` does the same for every cell of the yearly statistics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone

from nir.reports import registry, statistics


def _key(row: dict) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in row.items()))


@dataclass
class PersonChange:
    duf: str
    change: str  # added, removed, changed
    before: list[dict] = field(default_factory=list)
    after: list[dict] = field(default_factory=list)


@dataclass
class ReportDiff:
    report: registry.ReportDefinition
    before: registry.ReportResult
    after: registry.ReportResult
    changes: list[PersonChange]

    @property
    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            out[c.change] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        from nir.reports.exports import _json_value

        def rows(rs):
            return [{k: _json_value(v) for k, v in r.items()} for r in rs]

        return {
            "report": self.report.id,
            "law": self.before.params.law,
            "as_of": self.before.params.as_of.isoformat(),
            "known_at_before": timezone.localtime(self.before.known_at).isoformat(),
            "known_at_after": timezone.localtime(self.after.known_at).isoformat(),
            "count_before": self.before.count,
            "count_after": self.after.count,
            "persons": self.counts,
            "changes": [
                {"duf": c.duf, "change": c.change, "before": rows(c.before), "after": rows(c.after)}
                for c in self.changes
            ],
        }


CHANGE_LABELS = {"added": "Ny", "removed": "Fjernet", "changed": "Endret"}


def report_diff(
    report_id: str, params: registry.ReportParams, before: dt.datetime, after: dt.datetime | None, *, scope
) -> ReportDiff:
    """The report at ``before`` and at ``after`` (None: now), compared person by person (every row, no paging)."""
    p = replace(params, page=1, page_size=None, sort=None)
    a = registry.run(report_id, replace(p, known_at=before), scope=scope)
    b = registry.run(report_id, replace(p, known_at=after), scope=scope)
    rows_a: dict[str, list[dict]] = defaultdict(list)
    rows_b: dict[str, list[dict]] = defaultdict(list)
    for r in a.iter_rows():
        rows_a[r["duf"]].append(r)
    for r in b.iter_rows():
        rows_b[r["duf"]].append(r)
    changes = []
    for duf in sorted(set(rows_a) | set(rows_b)):
        ra, rb = rows_a.get(duf, []), rows_b.get(duf, [])
        if sorted(map(_key, ra)) == sorted(map(_key, rb)):
            continue
        change = "added" if not ra else "removed" if not rb else "changed"
        changes.append(PersonChange(duf, change, ra, rb))
    return ReportDiff(a.definition, a, b, changes)


@dataclass
class CellChange:
    area: str
    area_name: str
    figure: str
    column: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass
class StatsDiff:
    before: statistics.StatsTable
    after: statistics.StatsTable
    changes: list[CellChange]

    def to_json(self) -> dict[str, Any]:
        p = self.before.params
        return {
            "statistics": "aarsstatistikk",
            "year": p.year,
            "law": p.law,
            "as_of": p.as_of.isoformat(),
            "known_at_before": timezone.localtime(self.before.known_at).isoformat(),
            "known_at_after": timezone.localtime(self.after.known_at).isoformat(),
            "changes": [
                {
                    "area": c.area or None,
                    "name": c.area_name,
                    "figure": c.figure,
                    "column": c.column,
                    "before": c.before,
                    "after": c.after,
                    "delta": c.delta,
                }
                for c in self.changes
            ],
        }


def stats_diff(params: statistics.StatsParams, before: dt.datetime, after: dt.datetime | None, *, scope) -> StatsDiff:
    """Every cell of the yearly statistics that differs between ``before`` and ``after`` (None: now)."""
    p = statistics.validate(replace(params, known_at=before))
    a = statistics.yearly(p, scope=scope)
    b = statistics.yearly(replace(p, known_at=after), scope=scope)
    names = {ar.code: ar.name for ar in [*a.areas, *b.areas]}
    changes = []
    for area in sorted(names):
        for fig in a.figures:
            for col in fig.columns:
                va, vb = a.value(fig.id, col.key, area), b.value(fig.id, col.key, area)
                if va != vb:
                    changes.append(CellChange(area, names[area], fig.id, col.key, va, vb))
    return StatsDiff(a, b, changes)
