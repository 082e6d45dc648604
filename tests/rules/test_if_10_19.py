"""integreringsforskriften §§ 10 and 19 and 004 «Presiseringer av fravær, fri, permisjoner»
(``integreringsforskriften/if_10_19_absence.py``). Each row and check is tested on both interpreters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from two_paths import check_both, decide_both

from nir.rules import parameters
from nir.rules.columns import ColumnContext
from nir.rules.context import Context
from nir.rules.dates import day
from nir.rules.integreringsforskriften import if_10_19_absence as absence
from nir.rules.model import Facts
from nir.rules.table import REGISTRY

D = dt.date.fromisoformat


def period(kind_known=True, start="2026-03-02", end="2026-03-06"):
    return {
        "kind_known": kind_known,
        "start": day(D(start)),
        "end": day(D(end)),
        "kind": "absence" if kind_known else "sick",
        "from_date": D(start),
        "to_date": D(end),
    }


@pytest.mark.parametrize(
    "scope,expected",
    [
        (period(), []),
        (period(kind_known=False), ["absence_kind_unknown"]),
        (period(start="1989-12-29"), ["absence_date_out_of_range"]),
        (period(end="2101-01-03"), ["absence_date_out_of_range"]),
        (period(start="2026-03-10", end="2026-03-02"), ["absence_end_before_start"]),
        (period(kind_known=False, start="2026-03-10", end="2026-03-02"), ["absence_kind_unknown"]),
    ],
)
def test_period_checks(scope, expected):
    """regelmotor.md § 4: a period with an unknown kind, outside the workday calendar or ending before it
    starts is refused and not counted; a chain — only the first broken rule is reported."""
    assert check_both(absence.PERIOD_CHECKS, scope) == expected


@pytest.mark.parametrize("workdays,added", [(0, 0), (10, 0), (11, 11), (30, 30)])
def test_threshold(workdays, added):
    """if. § 10: absence, time off and leave extend the programme when together «over ti virkedager»;
    then all the workdays are added (004)."""
    scope = {"workdays": workdays, "threshold": 10, "none_added": 0, "deadline": D("2027-12-31")}
    scope["deadline_after"] = scope["deadline"]
    step = decide_both(absence.EXTENSION, scope)
    assert step.value == added and step.rule == "if_s10_s19_absence_extension"
    assert ("ikke over 10" in step.text) == (added == 0)


def test_extension_per_person_and_columns_agree():
    """if. § 10; 004 (virkedager: mandag–fredag unntatt helligdager): the deadline moves by workdays
    after the deadline, on both interpreters."""
    params = parameters.default()
    ctx = Context(Facts(D("1990-01-01"), "unknown", [], [], [], [], None, 0, []), D("2026-06-01"), params)
    deadlines = [D("2027-12-20"), D("2027-12-20"), D("2028-02-28")]
    workdays = [10, 11, 3]
    scalar = [absence.intro_extension(ctx, d, w).value for d, w in zip(deadlines, workdays)]
    assert scalar[0] == D("2027-12-20") and scalar[1] == D(
        "2028-01-04"
    )  # 1 Jan 2028 is a Saturday; 25–26 Dec a weekend
    cc = ColumnContext.build(np.zeros(3, np.int64), D("2026-06-01"), params, np.zeros(3, bool))
    cols = absence.extension_columns(cc, np.array([day(d) for d in deadlines]), np.array(workdays), np.ones(3, bool))
    assert [day(d) for d in scalar] == cols.tolist() and not cc.bad.any()


def test_workdays_union_counts_a_day_once():
    """004: «en dag teller én gang» — overlapping periods are merged before counting (both forms)."""
    person = np.array([0, 0, 1])
    start = np.array([day(D("2026-03-02")), day(D("2026-03-04")), day(D("2026-03-02"))])
    end = np.array([day(D("2026-03-06")), day(D("2026-03-10")), day(D("2026-03-02"))])
    out = absence.workdays_columns(person, start, end, np.array([True, True, False]), 2)
    assert out.tolist() == [7, 0]


def test_declared_once():
    """Legal basis as data: the errors are declared as errors, the counting rules with if. §§ 10, 19 / il. § 32."""
    for c in absence.PERIOD_CHECKS:
        assert REGISTRY[c.id].kind == "error" and REGISTRY[c.id].module == absence.__name__
    assert REGISTRY["if_s10_s19_absence_workdays"].source.startswith("if. §§ 10 og 19")
    assert REGISTRY["if_s10_s19_absence_extension"].module == absence.__name__
    assert REGISTRY["norwegian_leave_workdays"].source.startswith("il. § 32")
