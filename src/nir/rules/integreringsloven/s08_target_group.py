"""Target group for the introduction programme — integreringsloven § 8 (regelmotor.md § 3.1).

«Innvandrere mellom 18 og 55 år som har fått innvilget en oppholdstillatelse som
nevnt i § 9, og som er bosatt i kommunen etter avtale med
integreringsmyndighetene, har rett og plikt til å delta i introduksjonsprogram.
Alderen da oppholdstillatelsen ble innvilget er avgjørende … Personen må ha bodd
i en kommune med en oppholdstillatelse som nevnt i § 9 i mindre enn to år når
vedtak etter § 12 treffes. Kravet om å være bosatt etter avtale gjelder ikke
personer som har fått oppholdstillatelse som nevnt i § 9 første ledd bokstav f
og g. Kommunen kan tilby introduksjonsprogram til innvandrere med
oppholdstillatelse etter utlendingsloven kapittel 6 som er familiemedlemmer til
andre enn personer nevnt i § 9 første ledd bokstav f, til innvandrere over 55 år
med oppholdsgrunnlag som nevnt i § 9 og til innvandrere som nevnt i første ledd
som er bosatt uten avtale med kommunen. … Nordiske borgere og … EØS-avtalen,
omfattes ikke» (il. § 8, 2021 text, law-notes R2 [V]).

The exact membership of the kan-gruppe (may_be_offered) is unverified
(regelmotor.md § 3.1); the functions below say so in their explanations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from nir.rules.context import Context, il9_letter, permit_facts
from nir.rules.dates import add_months, age_on, fmt
from nir.rules.integreringsloven.common import INTRO_LABELS, lives_in_municipality, rule_date, settled_by_agreement
from nir.rules.model import Decision, Derived, Explanation, Permit, RuleError
from nir.rules.parameters import Value

S8_1 = "il. § 8 første ledd"
S8_2 = "il. § 8 andre ledd"
S8_3 = "il. § 8 tredje ledd"
S8_5 = "il. § 8 femte ledd"
LETTERS_WITHOUT_AGREEMENT = ("f", "g")  # il. § 8 andre ledd


def _ex(
    rule: str,
    source: str,
    category: str,
    text: str,
    facts: dict[str, Any],
    params: Sequence[Value] = (),
    verified: bool = True,
) -> Derived:
    return Derived(
        category,
        [Explanation(rule, source, f"{INTRO_LABELS[category]}: {text}", category, facts, list(params), verified)],
    )


def ordinary_category(
    ctx: Context,
    p: Permit,
    granted: str = "right_and_duty",
    granted_rule: str = "s08_right_and_duty",
    granted_source: str = S8_1,
) -> Derived:
    """Rules ``s08_*``: § 8 first to third paragraphs for a permit with a § 9 basis.

    ``granted`` is the category when every condition holds (``right`` for
    collective protection under ch. 6A, which uses the same conditions).
    """
    on = rule_date(ctx, p.decision_date)
    lo, hi = ctx.param("intro.age.min", on), ctx.param("intro.age.max", on)
    age = age_on(ctx.facts.birth_date, p.decision_date)
    letter = il9_letter(p.basis)
    facts = permit_facts(p) | {"birth_date": ctx.facts.birth_date, "age_at_decision": age, "il_9_letter": letter}
    lives = lives_in_municipality(ctx)
    if age < lo.value:
        return _ex(
            "s08_under_age",
            S8_1,
            "none",
            f"{age} år da tillatelsen ble innvilget {fmt(p.decision_date)}, under {lo.value} år "
            "(alderen ved innvilgelse er avgjørende).",
            facts,
            [lo],
        )
    if age > hi.value:
        cat = "may_be_offered" if lives else "none"
        where = "og bor i en kommune" if lives else "men er ikke registrert bosatt i en kommune"
        return _ex(
            "s08_over_age",
            S8_3,
            cat,
            f"{age} år da tillatelsen ble innvilget {fmt(p.decision_date)}, over {hi.value} år, {where} "
            "(kan-gruppen: innvandrere over øvre aldersgrense med tillatelse etter § 9).",
            facts | {"lives_in_municipality_from": lives},
            [lo, hi],
            verified=False,
        )
    if letter in LETTERS_WITHOUT_AGREEMENT:
        if lives:
            return _ex(
                f"{granted_rule}_f_g",
                f"{granted_source}; {S8_2}",
                granted,
                f"tillatelse etter § 9 bokstav {letter} ({p.basis}), {age} år ved innvilgelse "
                f"{fmt(p.decision_date)}, bosatt i kommune fra {fmt(lives)}; kravet om bosetting etter avtale "
                "gjelder ikke bokstav f og g.",
                facts | {"lives_in_municipality_from": lives},
                [lo, hi],
            )
        return _ex(
            "s08_not_resident",
            S8_1,
            "none",
            f"tillatelse etter § 9 bokstav {letter}, men personen er ikke registrert bosatt i en kommune.",
            facts,
            [lo, hi],
        )
    agreed = settled_by_agreement(ctx)
    if agreed:
        return _ex(
            granted_rule,
            granted_source,
            granted,
            f"tillatelse etter § 9 bokstav {letter} ({p.basis}) innvilget {fmt(p.decision_date)}, "
            f"{age} år ved innvilgelse ({lo.value}–{hi.value}), bosatt etter avtale i {agreed.municipality} "
            f"{fmt(agreed.date)}.",
            facts | {"settlement": agreed.path, "settlement_date": agreed.date, "by_agreement": True},
            [lo, hi],
        )
    if lives:
        return _ex(
            "s08_settled_without_agreement",
            S8_3,
            "may_be_offered",
            f"tillatelse etter § 9 bokstav {letter}, {age} år ved innvilgelse, men bosatt uten avtale med "
            f"integreringsmyndighetene (fra {fmt(lives)}).",
            facts | {"lives_in_municipality_from": lives, "by_agreement": False},
            [lo, hi],
            verified=False,
        )
    return _ex(
        "s08_not_settled",
        S8_1,
        "none",
        f"tillatelse etter § 9 bokstav {letter}, men personen er ikke bosatt i en kommune.",
        facts,
        [lo, hi],
    )


def category_without_s9_permit(ctx: Context) -> Derived:
    """Rules ``s08_eea``, ``s08_family_of_others``, ``s08_no_s9_permit``: no permit with a § 9 basis."""
    if not ctx.permits:
        return _ex("s08_no_permit", S8_1, "none", "ingen oppholdstillatelse er registrert.", {})
    rights = [p for p in ctx.permits if p.basis != "eea"]
    if not rights:
        p = ctx.permits[0]
        return _ex("s08_eea", S8_5, "none", "nordiske borgere og EØS-borgere omfattes ikke.", permit_facts(p))
    p = rights[-1]
    facts = permit_facts(p)
    if p.basis == "family_of_norwegian":
        on = rule_date(ctx, p.decision_date)
        lo = ctx.param("intro.age.min", on)
        age = age_on(ctx.facts.birth_date, p.decision_date)
        lives = lives_in_municipality(ctx)
        facts |= {"age_at_decision": age, "lives_in_municipality_from": lives}
        if age >= lo.value and lives:
            return _ex(
                "s08_family_of_others",
                S8_3,
                "may_be_offered",
                "familieinnvandrer (utl. kap. 6) med annen referanseperson enn personer i § 9 bokstav f, "
                f"bosatt i kommune fra {fmt(lives)}.",
                facts,
                [lo],
                verified=False,
            )
        why = f"under {lo.value} år ved innvilgelse" if age < lo.value else "ikke registrert bosatt i en kommune"
        return _ex(
            "s08_family_of_others",
            S8_3,
            "none",
            f"familieinnvandrer med annen referanseperson enn i § 9 bokstav f, men {why}.",
            facts,
            [lo],
            verified=False,
        )
    return _ex("s08_no_s9_permit", S8_1, "none", f"tillatelsen ({p.basis}) er ikke en tillatelse etter il. § 9.", facts)


def window_start(ctx: Context, p: Permit) -> dt.date | None:
    """When the two-year clock of § 8 starts: living in a municipality with the § 9 permit."""
    lives = lives_in_municipality(ctx)
    return max(lives, p.decision_date) if lives else None


def participation_after_two_years(ctx: Context, p: Permit | None, d: Decision) -> RuleError | None:
    """Rule ``participation_after_two_years`` (il. § 8 første ledd tredje punktum, tredje ledd):
    the decision on participation must be made while the person has lived in a
    municipality with the § 9 permit for less than two years."""
    if p is None or d.type != "participation":
        return None
    start = window_start(ctx, p)
    if start is None:
        return None
    years = ctx.param("intro.decision_window.years", rule_date(ctx, d.decision_date))
    limit = add_months(start, 12 * years.value)
    if d.decision_date >= limit:
        return RuleError(
            "participation_after_two_years",
            f"Vedtak om deltakelse {fmt(d.decision_date)} er truffet etter at personen har bodd i en kommune med "
            f"tillatelse etter § 9 i {years.value} år (fra {fmt(start)}; siste mulige vedtaksdato "
            f"{fmt(limit - dt.timedelta(days=1))}).",
            f"{S8_1} tredje punktum; {S8_3}",
            d.path,
            {"decision_date": d.decision_date, "window_start": start, "permit": p.path},
        )
    return None
