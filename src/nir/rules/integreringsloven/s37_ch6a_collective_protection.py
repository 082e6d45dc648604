"""Collective protection (utl. § 34) — integreringsloven ch. 6A and its partial repeal
from 1.1.2026 (004 "Opphevelse av en del midlertidige regler"; regelmotor.md § 3.1).

* First permit decided **before** the date in ``intro.ch6a.ordinary_rules_from``
  (2026-01-01): ``right`` to the programme (ch. 6A, right without duty). A person
  who had ``right`` and is in the programme keeps it until finished.
* First permit decided **on or after** that date and settled by agreement:
  ordinary ``right_and_duty`` (004, Bremanger example).
* In both cases the age and settlement-by-agreement conditions of § 8 apply; a
  person who fails them is ``may_be_offered`` when living in a municipality,
  else ``none``.
* Norwegian: ``right`` (Rett til norsk) is kept after 1.1.2026 and after moving
  to another permit when there is a decision on Norwegian training (004).
"""

from __future__ import annotations

from nir.rules.context import Context, permit_facts
from nir.rules.dates import fmt
from nir.rules.integreringsloven.il_08_target_group import ordinary_category
from nir.rules.model import Derived, Explanation, Permit

SOURCE = "il. kap. 6A (§ 37c); 004 (Opphevelse av en del midlertidige regler)"
COLLECTIVE = "utl_34"


def under_ch6a(ctx: Context, p: Permit) -> bool:
    """Was the utl. § 34 permit decided while ch. 6A governed the introduction programme?"""
    split = ctx.find("intro.ch6a.ordinary_rules_from", ctx.as_of)
    return split is None or p.decision_date < split.value


def intro_category(ctx: Context, p: Permit) -> Derived:
    """Rules ``ch6a_right`` / ``ch6a_repealed_right_and_duty``."""
    split = ctx.find("intro.ch6a.ordinary_rules_from", ctx.as_of)
    if under_ch6a(ctx, p):
        when = f"før {fmt(split.value)}" if split else "mens kap. 6A gjaldt"
        d = ordinary_category(ctx, p, granted="right")
        step = Explanation(
            "ch6a_right",
            SOURCE,
            f"Kollektiv beskyttelse (utl. § 34) med første tillatelse innvilget {fmt(p.decision_date)}, "
            f"{when}: rett, men ikke plikt, til introduksjonsprogram (kap. 6A), på vilkårene i § 8.",
            d.value,
            permit_facts(p),
            [split] if split else [],
        )
        return Derived(d.value, [step, *d.steps])
    d = ordinary_category(ctx, p)
    assert split is not None  # under_ch6a is true when there is no split date
    step = Explanation(
        "ch6a_repealed_right_and_duty",
        SOURCE,
        f"Kollektiv beskyttelse med første tillatelse innvilget {fmt(p.decision_date)}, på eller etter "
        f"{fmt(split.value)}: kap. 6A om introduksjonsprogram er opphevet, ordinære regler i § 8 gjelder.",
        d.value,
        permit_facts(p),
        [split],
    )
    return Derived(d.value, [step, *d.steps])
