"""Collective protection (utl. § 34) — integreringsloven ch. 6A (§ 37 c) and its partial repeal
from 1.1.2026 (004 "Opphevelse av en del midlertidige regler"; regelmotor.md § 3.1).

* First permit decided **before** the date in ``intro.ch6a.ordinary_rules_from``
  (2026-01-01): ``right`` to the programme (ch. 6A, right without duty). A person
  who had ``right`` and is in the programme keeps it until finished.
* First permit decided **on or after** that date and settled by agreement:
  ordinary ``right_and_duty`` (004, Bremanger example).
* In both cases the age and settlement-by-agreement conditions of § 8 apply; a
  person who fails them is ``may_be_offered`` when living in a municipality,
  else ``none`` (table :data:`CH6A` decides what § 8 grants, ``il_08_target_group.ORDINARY`` the rest).
* Norwegian: ``right`` (Rett til norsk) is kept after 1.1.2026 and after moving
  to another permit when there is a decision on Norwegian training (004).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nir.rules.columns import ColumnContext
from nir.rules.context import Context, permit_facts
from nir.rules.dates import date_of, day, fmt
from nir.rules.integreringsloven.common import INTRO_LABELS
from nir.rules.integreringsloven.il_08_target_group import S8_1, ordinary_category
from nir.rules.legal_basis import IL, NIR_004, LegalBasis
from nir.rules.model import Derived, Permit
from nir.rules.table import ALWAYS, DecisionTable, Row, V

S37C = LegalBasis(IL, "37 c")
REPEAL_004 = LegalBasis(NIR_004, "", note="Opphevelse av en del midlertidige regler")
SOURCE = f"{S37C.cite()}; {REPEAL_004.cite()}"
COLLECTIVE = "utl_34"
SPLIT = "intro.ch6a.ordinary_rules_from"

# What § 8 grants a person whose first § 9 permit is collective protection, when its conditions hold.
CH6A = DecisionTable(
    "il_37_ch6a",
    tuple(INTRO_LABELS),
    [
        Row(
            "ch6a_right",
            V("under_ch6a"),
            "right",
            (S37C, REPEAL_004),
            "Kollektiv beskyttelse (utl. § 34) med første tillatelse innvilget {decision_date}, {when}: rett, men "
            "ikke plikt, til introduksjonsprogram (kap. 6A), på vilkårene i § 8.",
            title="Kollektiv beskyttelse (utl. § 34) innvilget før kap. 6A ble opphevet for introduksjonsprogram "
            "(intro.ch6a.ordinary_rules_from): rett, men ikke plikt, på vilkårene i § 8.",
        ),
        Row(
            "ch6a_repealed_right_and_duty",
            ALWAYS,
            "right_and_duty",
            (S8_1, REPEAL_004),
            "Kollektiv beskyttelse med første tillatelse innvilget {decision_date}, på eller etter {split}: kap. 6A "
            "om introduksjonsprogram er opphevet, ordinære regler i § 8 gjelder.",
            title="Kollektiv beskyttelse innvilget fra kap. 6A ble opphevet for introduksjonsprogram: ordinære "
            "regler i § 8.",
        ),
    ],
)


def under_ch6a(ctx: Context, p: Permit) -> bool:
    """Was the utl. § 34 permit decided while ch. 6A governed the introduction programme?"""
    split = ctx.find(SPLIT, ctx.as_of)
    return split is None or p.decision_date < split.value


def intro_category(ctx: Context, p: Permit) -> Derived:
    """Rules ``ch6a_right`` / ``ch6a_repealed_right_and_duty`` (table :data:`CH6A`), then § 8's table with
    the category granted."""
    split = ctx.find(SPLIT, ctx.as_of)
    scope: dict[str, Any] = {
        "under_ch6a": under_ch6a(ctx, p),
        "decision_date": p.decision_date,
        "split": split.value if split else None,
        "when": f"før {fmt(split.value)}" if split else "mens kap. 6A gjaldt",
    }
    r = CH6A.match(scope)
    d = ordinary_category(ctx, p, granted=r.outcome(scope))
    return Derived(d.value, [CH6A.explain(r, scope, permit_facts(p), [split] if split else [], d.value), *d.steps])


def under_ch6a_columns(cc: ColumnContext, decision_date: np.ndarray) -> np.ndarray:
    """:func:`under_ch6a` on columns."""
    split = cc.params.find(SPLIT, date_of(cc.as_of))
    under: np.ndarray = np.ones(cc.n, bool) if split is None else decision_date < day(split.value)
    return under


def granted_columns(cc: ColumnContext, decision_date: np.ndarray) -> np.ndarray:
    """:data:`CH6A` on columns: what § 8 grants (outcome index) for a collective-protection permit decided on
    ``decision_date``."""
    return CH6A.columns({"under_ch6a": under_ch6a_columns(cc, decision_date)}, cc.n)[0]
