"""introduksjonsloven §§ 2, 5 and 17 (repealed 1.1.2021, still applied under if. § 72) —
``introduksjonsloven/__init__.py``. Each row on both interpreters; all unverified (law-notes R5, R7)."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest
from rules_support import BASE_FACTS
from two_paths import decide_both

from nir.rules import introduksjonsloven as introl
from nir.rules import parameters
from nir.rules.columns import ColumnContext
from nir.rules.context import Context
from nir.rules.dates import day
from nir.rules.model import parse_facts
from nir.rules.table import REGISTRY

D = dt.date.fromisoformat


def intro_scope(age=30, family=False, lives=True, agreed=True, has_permit=True):
    return {
        "has_permit": has_permit,
        "age": age,
        "age_min": 18,
        "age_max": 55,
        "family": family,
        "lives": lives,
        "agreed": agreed,
        "decision_date": D("2019-05-01"),
    }


@pytest.mark.parametrize(
    "scope,expected,rule",
    [
        (intro_scope(has_permit=False), "none", "introduksjonsloven_s2_no_permit"),
        (intro_scope(), "right_and_duty", "introduksjonsloven_s2_target_group"),
        (intro_scope(age=55), "right_and_duty", "introduksjonsloven_s2_target_group"),
        (intro_scope(family=True, agreed=False), "right_and_duty", "introduksjonsloven_s2_target_group"),
        (intro_scope(agreed=False), "may_be_offered", "introduksjonsloven_s2_target_group"),
        (intro_scope(age=56), "may_be_offered", "introduksjonsloven_s2_target_group"),
        (intro_scope(age=17), "none", "introduksjonsloven_s2_target_group"),
        (intro_scope(agreed=False, lives=False), "none", "introduksjonsloven_s2_target_group"),
    ],
)
def test_s2_rows(scope, expected, rule):
    """introduksjonsloven § 2: 18–55 at grant, settled by agreement (family members: living in a
    municipality) → right and duty; otherwise kan-gruppe when living in a municipality (unverified)."""
    step = decide_both(introl.INTRO, scope)
    assert (step.value, step.rule, step.verified) == (expected, rule, False)
    assert "(introduksjonsloven)" in step.text


def nor_scope(age=30, work=False, has_permit=True):
    return {
        "has_permit": has_permit,
        "age": age,
        "age_min": 16,
        "age_end": 67,
        "work": work,
        "basis": "work" if work else "utl_28",
        "decision_date": D("2019-05-01"),
    }


@pytest.mark.parametrize(
    "scope,expected",
    [
        (nor_scope(has_permit=False), "none"),
        (nor_scope(age=15), "none"),
        (nor_scope(age=67), "none"),
        (nor_scope(age=16), "right_and_duty"),
        (nor_scope(age=66, work=True), "duty"),
    ],
)
def test_s17_rows(scope, expected):
    """introduksjonsloven § 17: 16–67 at grant; il. § 9-type and family permits right and duty, work duty."""
    step = decide_both(introl.NORWEGIAN, scope)
    assert step.value == expected and step.rule == "introduksjonsloven_s17_norwegian" and not step.verified


def test_programme_per_person_and_columns_agree():
    """introduksjonsloven § 5: «inntil to år, med tillegg av godkjent permisjon»; «inntil tre år» with an
    extension — a longer one is refused. Both interpreters give the same months, extension and dates."""
    params = parameters.default()
    starts = [D("2019-03-04"), D("2019-03-04"), D("2020-12-31")]
    exts, leaves = [12, 13, 0], [0, 5, 11]
    scalar = []
    for start, ext, leave in zip(starts, exts, leaves):
        f = copy.deepcopy(BASE_FACTS) | {"extension_months": ext}
        ctx = Context.build(parse_facts(f), D("2021-06-01"), params)
        scalar.append(introl.programme(ctx, start, leave)[0])
    assert [p.exceeds for p in scalar] == [False, True, False] and scalar[0].deadline == D("2022-03-03")
    cc = ColumnContext.build(np.zeros(3, np.int64), D("2021-06-01"), params, np.zeros(3, bool))
    cols = introl.programme_columns(
        cc,
        introl.in_force_columns(cc),
        np.ones(3, bool),
        np.array([day(s) for s in starts]),
        np.array(exts),
        np.array(leaves),
    )
    assert cols.months.tolist() == [p.months for p in scalar]
    assert cols.extension.tolist() == [p.extension for p in scalar]
    assert cols.exceeds.tolist() == [p.exceeds for p in scalar]
    assert cols.base.tolist() == [day(p.base) for p in scalar]
    assert cols.deadline.tolist() == [day(p.deadline) for p in scalar]
    assert not cc.bad.any()


def test_declared_once():
    """Legal basis as data: the rules rest on introduksjonsloven §§ 2, 5, 17 (introl.)."""
    for rule_id, section in (
        ("introduksjonsloven_s2_no_permit", "2"),
        ("introduksjonsloven_s2_target_group", "2"),
        ("introduksjonsloven_s5_leave_workdays", "5"),
        ("introduksjonsloven_s5_deadline", "5"),
        ("introduksjonsloven_s17_norwegian", "17"),
    ):
        decl = REGISTRY[rule_id]
        assert decl.module == introl.__name__ and decl.bases[0].section == section
        assert decl.source.startswith(f"introl. § {section}")
    assert not REGISTRY["introduksjonsloven_s5_deadline"].verified
