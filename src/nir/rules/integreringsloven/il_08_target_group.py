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
from typing import Any

import numpy as np

from nir.rules.columns import ColumnContext, param_days
from nir.rules.context import Context, basis_attrs, il9_letter, permit_facts
from nir.rules.dates import NAT, add_months, add_months_days, age_on, age_on_days, fmt
from nir.rules.integreringsloven.common import INTRO_LABELS, lives_in_municipality, rule_date, settled_by_agreement
from nir.rules.legal_basis import IL, LegalBasis, cite
from nir.rules.model import Decision, Derived, Permit, RuleError
from nir.rules.table import ALWAYS, DecisionTable, Row, V, declare

S8_1 = LegalBasis(IL, "8", 1)
S8_2 = LegalBasis(IL, "8", 2)
S8_3 = LegalBasis(IL, "8", 3)
S8_3_UNVERIFIED = LegalBasis(IL, "8", 3, verified=False)  # the exact membership of the kan-gruppe
S8_5 = LegalBasis(IL, "8", 5)
LETTERS_WITHOUT_AGREEMENT = ("f", "g")  # il. § 8 andre ledd
FAMILY_OF_OTHERS = "family_other"  # permit_basis group: family immigrants (utl. ch. 6) of others than § 9 f

INTRO = tuple(INTRO_LABELS)  # the outcomes' order: right_and_duty, right, may_be_offered, none

# § 8 first to third paragraphs for a permit with a § 9 basis. ``granted`` is the category when every
# condition holds: right_and_duty, or right for collective protection under ch. 6A (same conditions).
ORDINARY = DecisionTable(
    "il_08_ordinary",
    INTRO,
    [
        Row(
            "s08_under_age",
            V("age") < V("age_min"),
            "none",
            S8_1,
            "{age} år da tillatelsen ble innvilget {decision_date}, under {age_min} år "
            "(alderen ved innvilgelse er avgjørende).",
            title="Under nedre aldersgrense da tillatelsen ble innvilget: ingen rett eller plikt "
            "(man kan ikke vokse inn i målgruppen).",
        ),
        Row(
            "s08_over_age",
            (V("age") > V("age_max")) & V("lives"),
            "may_be_offered",
            S8_3_UNVERIFIED,
            "{age} år da tillatelsen ble innvilget {decision_date}, over {age_max} år, og bor i en kommune "
            "(kan-gruppen: innvandrere over øvre aldersgrense med tillatelse etter § 9).",
            title="Over øvre aldersgrense: kan tilbys program når personen bor i en kommune, ellers ingen.",
        ),
        Row(
            "s08_over_age",
            V("age") > V("age_max"),
            "none",
            S8_3_UNVERIFIED,
            "{age} år da tillatelsen ble innvilget {decision_date}, over {age_max} år, men er ikke registrert "
            "bosatt i en kommune (kan-gruppen: innvandrere over øvre aldersgrense med tillatelse etter § 9).",
        ),
        Row(
            "s08_right_and_duty_f_g",
            V("letter_f_or_g") & V("lives"),
            V("granted"),
            (S8_1, S8_2),
            "tillatelse etter § 9 bokstav {letter} ({basis}), {age} år ved innvilgelse {decision_date}, bosatt i "
            "kommune fra {lives_from}; kravet om bosetting etter avtale gjelder ikke bokstav f og g.",
            title="§ 9 bokstav f og g: bosetting etter avtale kreves ikke, men personen må bo i en kommune.",
        ),
        Row(
            "s08_not_resident",
            V("letter_f_or_g"),
            "none",
            S8_1,
            "tillatelse etter § 9 bokstav {letter}, men personen er ikke registrert bosatt i en kommune.",
            title="§ 9 bokstav f og g uten registrert bosted i en kommune: ingen rett eller plikt.",
        ),
        Row(
            "s08_right_and_duty",
            V("agreed"),
            V("granted"),
            S8_1,
            "tillatelse etter § 9 bokstav {letter} ({basis}) innvilget {decision_date}, {age} år ved innvilgelse "
            "({age_min}–{age_max}), bosatt etter avtale i {municipality} {settlement_date}.",
            title="Tillatelse etter § 9 a–e, alder innenfor grensene da tillatelsen ble innvilget, bosatt etter "
            "avtale: rett og plikt (under kap. 6A: rett).",
        ),
        Row(
            "s08_settled_without_agreement",
            V("lives"),
            "may_be_offered",
            S8_3_UNVERIFIED,
            "tillatelse etter § 9 bokstav {letter}, {age} år ved innvilgelse, men bosatt uten avtale med "
            "integreringsmyndighetene (fra {lives_from}).",
            title="§ 9 a–e, bosatt uten avtale: kan tilbys program.",
        ),
        Row(
            "s08_not_settled",
            ALWAYS,
            "none",
            S8_1,
            "tillatelse etter § 9 bokstav {letter}, men personen er ikke bosatt i en kommune.",
            title="§ 9 a–e, ikke bosatt i en kommune: ingen rett eller plikt.",
        ),
    ],
    INTRO_LABELS,
)

# § 8 for a person with no permit with a § 9 basis.
WITHOUT_S9 = DecisionTable(
    "il_08_without_s9",
    INTRO,
    [
        Row("s08_no_permit", ~V("has_permit"), "none", S8_1, "ingen oppholdstillatelse er registrert."),
        Row(
            "s08_eea",
            ~V("has_rights_permit"),
            "none",
            S8_5,
            "nordiske borgere og EØS-borgere omfattes ikke.",
            title="Nordiske borgere og EØS-borgere omfattes ikke.",
        ),
        Row(
            "s08_family_of_others",
            V("family_of_others") & (V("age") >= V("age_min")) & V("lives"),
            "may_be_offered",
            S8_3_UNVERIFIED,
            "familieinnvandrer (utl. kap. 6) med annen referanseperson enn personer i § 9 bokstav f, "
            "bosatt i kommune fra {lives_from}.",
            title="Familieinnvandrer (utl. kap. 6) med annen referanseperson enn i § 9 bokstav f, over nedre "
            "aldersgrense og bosatt i en kommune: kan tilbys program, ellers ingen.",
        ),
        Row(
            "s08_family_of_others",
            V("family_of_others") & (V("age") < V("age_min")),
            "none",
            S8_3_UNVERIFIED,
            "familieinnvandrer med annen referanseperson enn i § 9 bokstav f, men under {age_min} år ved innvilgelse.",
        ),
        Row(
            "s08_family_of_others",
            V("family_of_others"),
            "none",
            S8_3_UNVERIFIED,
            "familieinnvandrer med annen referanseperson enn i § 9 bokstav f, men ikke registrert bosatt i en kommune.",
        ),
        Row(
            "s08_no_s9_permit",
            ALWAYS,
            "none",
            S8_1,
            "tillatelsen ({basis}) er ikke en tillatelse etter il. § 9.",
            title="Tillatelse uten grunnlag i il. § 9 (for eksempel arbeid): ingen rett eller plikt.",
        ),
    ],
    INTRO_LABELS,
)


def ordinary_category(ctx: Context, p: Permit, granted: str = "right_and_duty") -> Derived:
    """§ 8 first to third paragraphs for a permit with a § 9 basis (table :data:`ORDINARY`)."""
    on = rule_date(ctx, p.decision_date)
    lo, hi = ctx.param("intro.age.min", on), ctx.param("intro.age.max", on)
    age = age_on(ctx.facts.birth_date, p.decision_date)
    letter = il9_letter(p.basis)
    lives = lives_in_municipality(ctx)
    agreed = settled_by_agreement(ctx)
    scope: dict[str, Any] = {
        "age": age,
        "age_min": lo.value,
        "age_max": hi.value,
        "lives": lives is not None,
        "lives_from": lives,
        "agreed": agreed is not None,
        "letter": letter,
        "letter_f_or_g": letter in LETTERS_WITHOUT_AGREEMENT,
        "granted": granted,
        "basis": p.basis,
        "decision_date": p.decision_date,
        "municipality": agreed.municipality if agreed else None,
        "settlement_date": agreed.date if agreed else None,
    }
    facts = permit_facts(p) | {"birth_date": ctx.facts.birth_date, "age_at_decision": age, "il_9_letter": letter}
    if lives:
        facts["lives_in_municipality_from"] = lives
    if agreed:
        facts |= {"settlement": agreed.path, "settlement_date": agreed.date, "by_agreement": True}
    return ORDINARY.decide(scope, facts, [lo] if age < lo.value else [lo, hi])


def ordinary_columns(
    cc: ColumnContext,
    has: np.ndarray,
    decision_date: np.ndarray,
    letter_f_or_g: np.ndarray,
    lives: np.ndarray,
    agreed: np.ndarray,
    granted: int | np.ndarray,
) -> np.ndarray:
    """:data:`ORDINARY` on columns: each person's permit (``has``: there is one) and the outcome's index."""
    on = cc.rule_date(decision_date)
    scope = {
        "age": age_on_days(cc.birth, decision_date),
        "age_min": cc.param("intro.age.min", on, has),
        "age_max": cc.param("intro.age.max", on, has),
        "letter_f_or_g": letter_f_or_g,
        "lives": lives,
        "agreed": agreed,
        "granted": granted,
    }
    return ORDINARY.columns(scope, cc.n)[0]


def family_of_others(basis: str) -> bool:
    """A family immigrant under utl. ch. 6 whose reference person is not one of § 9 f (§ 8 third paragraph)."""
    return basis_attrs(basis).get("group") == FAMILY_OF_OTHERS


def category_without_s9_permit(ctx: Context) -> Derived:
    """§ 8 for a person with no permit with a § 9 basis (table :data:`WITHOUT_S9`)."""
    rights = [p for p in ctx.permits if p.basis != "eea"]
    p = rights[-1] if rights else (ctx.permits[0] if ctx.permits else None)
    scope: dict[str, Any] = {"has_permit": p is not None, "has_rights_permit": bool(rights)}
    facts = permit_facts(p) if p else {}
    params = []
    if rights and p is not None and family_of_others(p.basis):
        lo = ctx.param("intro.age.min", rule_date(ctx, p.decision_date))
        lives = lives_in_municipality(ctx)
        age = age_on(ctx.facts.birth_date, p.decision_date)
        scope |= {"age": age, "age_min": lo.value, "lives": lives is not None, "lives_from": lives}
        facts |= {"age_at_decision": age, "lives_in_municipality_from": lives}
        params = [lo]
    scope |= {
        "family_of_others": rights and p is not None and family_of_others(p.basis),
        "basis": p.basis if p else None,
    }
    return WITHOUT_S9.decide(scope, facts, params)


def without_s9_columns(
    cc: ColumnContext,
    has_permit: np.ndarray,
    has_rights_permit: np.ndarray,
    family: np.ndarray,
    decision_date: np.ndarray,
    lives: np.ndarray,
) -> np.ndarray:
    """:data:`WITHOUT_S9` on columns: the last permit giving rights (``decision_date``; ``family``: of a
    family immigrant of others than § 9 f) and the outcome's index."""
    scope = {
        "has_permit": has_permit,
        "has_rights_permit": has_rights_permit,
        "family_of_others": family,
        "age": age_on_days(cc.birth, decision_date),
        "age_min": cc.param("intro.age.min", cc.rule_date(decision_date), family & has_rights_permit),
        "lives": lives,
    }
    return WITHOUT_S9.columns(scope, cc.n)[0]


WINDOW_YEARS = "intro.decision_window.years"
S8_1_3 = LegalBasis(IL, "8", 1, sentence=3)
# Whether the clock restarts when a person moves from collective protection (utl_34, itself § 9 e) to another
# § 9 permit is not settled by the sources (docs/rules.md, Open questions): the reading below (no restart) is
# unverified where the category rests on a later permit than the first § 9 permit.
S8_1_3_CHANGE = LegalBasis(IL, "8", 1, sentence=3, verified=False, note="botid med kollektiv beskyttelse teller med")
WINDOW = declare(
    "participation_after_two_years",
    "Vedtak om deltakelse truffet etter at personen har bodd i en kommune med en tillatelse etter § 9 i "
    "intro.decision_window.years år (to år), regnet fra den første tillatelsen etter § 9.",
    S8_1_3,
    S8_3,
    kind="error",
)


def first_s9_permit(ctx: Context) -> Permit | None:
    """The person's first permit with a § 9 basis (collective protection, utl_34, is § 9 e)."""
    return next((p for p in ctx.permits if il9_letter(p.basis)), None)


def window_start(ctx: Context, p: Permit) -> dt.date | None:
    """When the two-year clock of § 8 starts: the person lives in a municipality with a § 9 permit — the later
    of living there and the first § 9 permit (``p`` or an earlier one). It does not restart when a later § 9
    permit follows (from collective protection to another permit; docs/rules.md, Open questions)."""
    lives = lives_in_municipality(ctx)
    first = first_s9_permit(ctx)
    start = first if first is not None and first.decision_date <= p.decision_date else p
    return max(lives, start.decision_date) if lives else None


def window_start_days(first_s9_date: np.ndarray, lives_date: np.ndarray) -> np.ndarray:
    """:func:`window_start` on columns: the first § 9 permit's decision date (``NAT``: none) and the first day
    living in a municipality (``NAT``: never)."""
    ok = (first_s9_date != NAT) & (lives_date != NAT)
    start: np.ndarray = np.where(ok, np.maximum(lives_date, first_s9_date), NAT)
    return start


def participation_after_two_years(ctx: Context, p: Permit | None, d: Decision) -> RuleError | None:
    """Rule ``participation_after_two_years`` (il. § 8 første ledd tredje punktum, tredje ledd):
    the decision on participation must be made while the person has lived in a
    municipality with a § 9 permit for less than two years. ``p`` is the permit the category rests on (none:
    no § 9 permit, no window); the clock runs from the first § 9 permit (:func:`window_start`)."""
    if p is None or d.type != "participation":
        return None
    start = window_start(ctx, p)
    if start is None:
        return None
    years = ctx.param(WINDOW_YEARS, rule_date(ctx, d.decision_date))
    limit = add_months(start, 12 * years.value)
    if d.decision_date >= limit:
        first = first_s9_permit(ctx)
        changed = first is not None and first is not p
        basis = (S8_1_3_CHANGE if changed else S8_1_3, S8_3)
        return RuleError(
            WINDOW.id,
            f"Vedtak om deltakelse {fmt(d.decision_date)} er truffet etter at personen har bodd i en kommune med "
            f"tillatelse etter § 9 i {years.value} år (fra {fmt(start)}; siste mulige vedtaksdato "
            f"{fmt(limit - dt.timedelta(days=1))}).",
            cite(*basis),
            d.path,
            {"decision_date": d.decision_date, "window_start": start, "permit": p.path}
            | ({"first_s9_permit": first.path} if changed and first is not None else {}),
            all(b.verified for b in basis),
        )
    return None


def late_participation_columns(
    cc: ColumnContext,
    person: np.ndarray,
    decision_date: np.ndarray,
    participation: np.ndarray,
    window: np.ndarray,
) -> np.ndarray:
    """:func:`participation_after_two_years` on decision rows (``person``, ``decision_date``, ``participation``:
    an effective participation decision) with each person's :func:`window_start_days` (``NAT``: no window):
    whether the row is late. A person with no version of the window's parameter falls back."""
    if len(person) == 0:
        return np.zeros(0, bool)
    w = window[person]
    checked = participation & (w != NAT) & cc.active[person]
    years, found = param_days(cc.params, WINDOW_YEARS, cc.rule_date(decision_date))
    cc.bad[person[checked & ~found]] = True
    limit = add_months_days(np.where(checked, w, 0), 12 * years)
    late: np.ndarray = checked & (decision_date >= limit)
    return late
