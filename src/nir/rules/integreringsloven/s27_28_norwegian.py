"""Norwegian and social studies: who — integreringsloven §§ 26–28 (regelmotor.md § 3.2).

«Innvandrere mellom 18 og 67 år som har fått innvilget en oppholdstillatelse som
nevnt i § 27 har rett og plikt … Innvandrere mellom 18 og 67 år som har fått
innvilget en oppholdstillatelse som nevnt i § 28 har plikt … Alderen da
oppholdstillatelsen ble innvilget er avgjørende … Retten og plikten opphører ved
fylte 67 år.» (il. § 26, law-notes R7 [V])

* § 27 (right and duty): permits in il. § 9 a–g and family immigration with a
  Norwegian/Nordic reference person (``family_of_norwegian``).
* § 28 (duty): labour immigrants from outside the EEA and their family (``work``).
* Collective protection (utl. § 34): ``right`` (Rett til norsk, ch. 6A), kept after
  1.1.2026 and after moving to a new permit or permanent residence when there is
  a decision on Norwegian training (004).
* Nordic/EEA citizens: none.

The exact §§ 27/28 lists are unverified (law-notes R7 [S]).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nir.rules.context import Context, il9_letter, permit_facts
from nir.rules.dates import age_on, birthday, fmt
from nir.rules.integreringsforskriften import if_43h_transition as s43h_transition
from nir.rules.integreringsloven.common import NORWEGIAN_LABELS, current_permit, rule_date
from nir.rules.model import Decision, Derived, Explanation, Permit
from nir.rules.parameters import Value

S26 = "il. § 26"
S27 = "il. §§ 26 og 27"
S28 = "il. §§ 26 og 28"
S6A = "il. kap. 6A (§ 37d); 004 (Rett til norsk opprettholdes)"


def section(basis: str) -> str | None:
    """'27', '28', '6A' or None for a permit basis."""
    if basis == "utl_34":
        return "6A"
    if il9_letter(basis) or basis == "family_of_norwegian":
        return "27"
    if basis == "work":
        return "28"
    return None


def _ex(
    rule: str,
    source: str,
    cat: str,
    text: str,
    facts: dict[str, Any],
    params: Sequence[Value] = (),
    verified: bool = True,
) -> Derived:
    return Derived(
        cat, [Explanation(rule, source, f"{NORWEGIAN_LABELS[cat]}: {text}", cat, facts, list(params), verified)]
    )


def category_for_permit(ctx: Context, p: Permit) -> Derived:
    """Rules ``s26_*``, ``s27_right_and_duty``, ``s28_duty``, ``ch6a_norwegian_right``."""
    sec = section(p.basis)
    on = rule_date(ctx, p.decision_date)
    lo, end = ctx.param("norwegian.age.min", on), ctx.param("norwegian.age.end", on)
    age = age_on(ctx.facts.birth_date, p.decision_date)
    facts = permit_facts(p) | {"birth_date": ctx.facts.birth_date, "age_at_decision": age}
    if age < lo.value:
        return _ex(
            "s26_under_age",
            S26,
            "none",
            f"{age} år da tillatelsen ble innvilget {fmt(p.decision_date)}, under {lo.value} år.",
            facts,
            [lo],
        )
    if age >= end.value:
        return _ex(
            "s26_over_age",
            S26,
            "none",
            f"{age} år da tillatelsen ble innvilget {fmt(p.decision_date)}; retten og plikten opphører ved "
            f"fylte {end.value} år.",
            facts,
            [lo, end],
        )
    ends = birthday(ctx.facts.birth_date, end.value)
    if ctx.as_of >= ends:
        return _ex(
            "s26_ended_at_67",
            S26,
            "none",
            f"retten og plikten opphørte ved fylte {end.value} år ({fmt(ends)}).",
            facts | {"ended": ends},
            [lo, end],
        )
    if sec == "6A":
        return _ex(
            "ch6a_norwegian_right",
            S6A,
            "right",
            f"kollektiv beskyttelse (utl. § 34) innvilget {fmt(p.decision_date)}, {age} år ved innvilgelse; "
            "rett til norsk etter kap. 6A (uten plikt), opprettholdt etter 01.01.2026.",
            facts,
            [lo, end],
        )
    if sec == "27":
        return _ex(
            "s27_right_and_duty",
            S27,
            "right_and_duty",
            f"tillatelse etter § 27 ({p.basis}) innvilget {fmt(p.decision_date)}, {age} år ved innvilgelse "
            f"({lo.value}–{end.value - 1}).",
            facts,
            [lo, end],
            verified=False,
        )
    return _ex(
        "s28_duty",
        S28,
        "duty",
        f"tillatelse etter § 28 ({p.basis}) innvilget {fmt(p.decision_date)}, {age} år ved innvilgelse "
        f"({lo.value}–{end.value - 1}).",
        facts,
        [lo, end],
        verified=False,
    )


def kept_by_decision(ctx: Context, first_34: Permit, current: Permit, decisions: list[Decision]) -> Decision | None:
    """A Norwegian participation decision made while the person had collective protection."""
    return next(
        (
            d
            for d in decisions
            if d.scheme == "norwegian"
            and d.type == "norwegian_participation"
            and first_34.decision_date <= d.decision_date < current.decision_date
        ),
        None,
    )


def category(ctx: Context, decisions: list[Decision]) -> tuple[Derived, Permit | None]:
    """The Norwegian category and the permit from which the right or duty runs."""
    relevant = [p for p in ctx.permits if section(p.basis)]
    if not relevant:
        if ctx.permits:
            p = ctx.permits[-1]
            rule, text = (
                ("s26_eea", "nordiske borgere og EØS-borgere omfattes ikke.")
                if p.basis == "eea"
                else ("s26_no_permit", f"tillatelsen ({p.basis}) gir ikke rett eller plikt etter §§ 27–28.")
            )
            return _ex(rule, S26, "none", text, permit_facts(p)), None
        return _ex("s26_no_permit", S26, "none", "ingen oppholdstillatelse er registrert.", {}), None
    # a § 27 (or ch. 6A) permit gives more than a § 28 permit: the first of those counts, else the first § 28 one
    first = next((p for p in relevant if section(p.basis) != "28"), relevant[0])
    current = current_permit(ctx)
    if first.basis == "utl_34" and current is not None and current.basis != "utl_34":
        if s43h_transition.applies(ctx, first, current, decisions):
            d = category_for_permit(ctx, first)
            if d.value == "none":
                return d, first
            return s43h_transition.norwegian_category(ctx, first, current, decisions), first
        kept = kept_by_decision(ctx, first, current, decisions)
        if kept is not None:
            d = category_for_permit(ctx, first)
            if d.value == "none":
                return d, first
            step = Explanation(
                "ch6a_norwegian_right_kept",
                "004 (Rett til norsk blir fortsatt gjeldende)",
                f"Rett til norsk: vedtak om norskopplæring {fmt(kept.decision_date)} mens personen hadde kollektiv "
                f"beskyttelse; retten gjelder fortsatt etter overgang til {current.basis} "
                f"({fmt(current.decision_date)}).",
                "right",
                {"collective_protection_permit": first.path, "current_permit": current.path, "decision": kept.path},
            )
            return Derived("right", [*d.steps, step]), first
        later = next((p for p in relevant if p.decision_date >= first.decision_date and p.basis != "utl_34"), None)
        if later is None:
            return category_for_permit(ctx, first), first
        d = category_for_permit(ctx, later)
        step = Explanation(
            "ch6a_superseded",
            S27,
            f"Kollektiv beskyttelse fra {fmt(first.decision_date)} uten vedtak om norskopplæring; ny tillatelse "
            f"{later.basis} ({fmt(later.decision_date)}) vurderes etter ordinære regler.",
            d.value,
            {"collective_protection_permit": first.path, "current_permit": later.path},
        )
        return Derived(d.value, [step, *d.steps]), later
    return category_for_permit(ctx, first), first
