"""Norwegian and social studies: who, and from when — integreringsloven §§ 26–28, ch. 6A § 37 d
(regelmotor.md § 3.2).

«Innvandrere mellom 18 og 67 år som har fått innvilget en oppholdstillatelse som
nevnt i § 27 har rett og plikt … Retten og plikten … inntrer når
oppholdstillatelsen innvilges, eller ved ankomst til Norge for personer som har
fått innvilget oppholdstillatelsen før innreise. For personer med
oppholdstillatelse nevnt i § 9 første ledd bokstav d inntrer retten og plikten ved
førstegangs fornyelse av tillatelsen. For … § 9 første ledd bokstav e inntrer
retten og plikten på tidspunktet personen bosettes etter avtale … Innvandrere
mellom 18 og 67 år som har fått innvilget en oppholdstillatelse som nevnt i § 28
har plikt … Alderen da oppholdstillatelsen ble innvilget er avgjørende …
Retten og plikten opphører ved fylte 67 år.» (il. § 26, law-notes R7 [V])

* § 27 (right and duty): permits in il. § 9 a–g and the permit bases whose code
  carries ``il_27_28: "27"`` (family immigration with a Norwegian/Nordic
  reference person).
* § 28 (duty): the bases with ``il_27_28: "28"``: labour immigrants from outside
  the EEA (``work``) and their family, who are family immigrants under utl. ch. 6
  (``family_of_worker``; 002 L691, law-notes R7 [S]).
* Collective protection (utl. § 34): ``right`` (Rett til norsk, ch. 6A § 37 d:
  «rett til gratis opplæring i norsk i ett år», law-notes R9 [V]), kept after
  1.1.2026 and after moving to a new permit or permanent residence when there is
  a decision on Norwegian training (004).
* Nordic/EEA citizens: none.

The category says which group the permit puts the person in; **when** the right
or duty arises (il. § 26 second paragraph, table :data:`START`) moves the start
of the Norwegian period and so the deadline (``il_32_norwegian_deadline``):

* the permit's decision date, or the arrival if the permit was granted before
  entry (arrival later than the decision);
* § 9 d (``utl_38_5``): the first renewal. The register knows a renewal as the
  next permit on a § 27 basis (the same basis renewed, or a new permit, which
  itself gives right and duty from its grant); until one is registered there is
  no start and no deadline;
* § 9 e (``utl_34``): settlement by agreement (the first settlement registered
  ``by_agreement``; its date, not before the permit's). Until then no start and
  no deadline. Applied to the ch. 6A right too, since ch. 6A has no rule of its
  own on when the right arises and «der kapittel 6A ikke har en særregel, gjelder
  de alminnelige reglene» (IMDi, veileder kap. 8) — unverified.

The exact §§ 27/28 lists are unverified (law-notes R7 [S]).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nir.rules.columns import ColumnContext
from nir.rules.context import Context, basis_attrs, il9_letter, permit_facts
from nir.rules.dates import NAT, age_on, age_on_days, birthday, birthday_days
from nir.rules.integreringsforskriften import if_43h_transition as s43h_transition
from nir.rules.integreringsloven.common import NORWEGIAN_LABELS, current_permit, rule_date, settled_by_agreement
from nir.rules.integreringsloven.il_37_ch6a_collective_protection import COLLECTIVE
from nir.rules.legal_basis import IF, IL, NIR_004, LegalBasis
from nir.rules.model import Decision, Derived, Permit
from nir.rules.table import ALWAYS, DecisionTable, Row, V

S26_1 = LegalBasis(IL, "26", 1)
S26_2 = LegalBasis(IL, "26", 2)  # when the right and duty arise («inntrer»)
S26_END = LegalBasis(IL, "26", note="opphører ved fylte 67 år")
S27 = LegalBasis(IL, "27", verified=False)  # the exact list (law-notes R7 [S])
S28 = LegalBasis(IL, "28", verified=False)
S37D = LegalBasis(IL, "37 d")  # «rett til gratis opplæring i norsk i ett år» (law-notes R9 [V])
S37D_START = LegalBasis(
    IL, "37 d", verified=False, note="kap. 6A har ingen egen regel om når retten inntrer; il. § 26 gjelder"
)
S43H = LegalBasis(IF, "43h")
KEPT_004 = LegalBasis(NIR_004, "Rett til norsk blir fortsatt gjeldende")

NORWEGIAN = tuple(NORWEGIAN_LABELS)  # right_and_duty, duty, right, none
SECTIONS = (None, "27", "28", "6A")
LETTER_RENEWAL, LETTER_SETTLEMENT = "d", "e"  # il. § 26 second paragraph


def section(basis: str) -> str | None:
    """The Norwegian section of a permit basis: '27', '28', '6A' or None (code list attrs)."""
    if basis == COLLECTIVE:
        return "6A"
    if il9_letter(basis):
        return "27"
    value = basis_attrs(basis).get("il_27_28")
    return str(value) if value else None


def starts_at_renewal(basis: str) -> bool:
    """il. § 26 second paragraph: for § 9 d the right and duty arise at the first renewal."""
    return il9_letter(basis) == LETTER_RENEWAL


def starts_at_settlement(basis: str) -> bool:
    """il. § 26 second paragraph: for § 9 e the right and duty arise at settlement by agreement."""
    return il9_letter(basis) == LETTER_SETTLEMENT


# --- the category for one permit (§§ 26–28, § 37 d) ---------------------------------------------

CATEGORY = DecisionTable(
    "il_26_norwegian_category",
    NORWEGIAN,
    [
        Row(
            "s26_under_age",
            V("age") < V("age_min"),
            "none",
            S26_1,
            "{age} år da tillatelsen ble innvilget {decision_date}, under {age_min} år.",
            title="Under 18 år da tillatelsen ble innvilget: ingen (alderen ved innvilgelse er avgjørende).",
        ),
        Row(
            "s26_over_age",
            V("age") >= V("age_end"),
            "none",
            (S26_1, S26_END),
            "{age} år da tillatelsen ble innvilget {decision_date}; retten og plikten opphører ved fylte {age_end} år.",
            title="67 år eller eldre da tillatelsen ble innvilget: ingen.",
        ),
        Row(
            "s26_ended_at_67",
            V("ended"),
            "none",
            S26_END,
            "retten og plikten opphørte ved fylte {age_end} år ({ends}).",
            title="Fra 67-årsdagen: ingen (retten og plikten opphører ved fylte 67 år).",
        ),
        Row(
            "ch6a_norwegian_right",
            V("ch6a"),
            "right",
            (S37D, LegalBasis(NIR_004, "Rett til norsk opprettholdes")),
            "kollektiv beskyttelse (utl. § 34) innvilget {decision_date}, {age} år ved innvilgelse; rett til "
            "gratis opplæring i norsk i ett år etter kap. 6A (uten plikt), opprettholdt etter 01.01.2026.",
            title="Kollektiv beskyttelse (utl. § 34): rett til norsk etter kap. 6A, uten plikt (også etter "
            "01.01.2026).",
        ),
        Row(
            "s27_right_and_duty",
            V("s27"),
            "right_and_duty",
            (S26_1, S27),
            "tillatelse etter § 27 ({basis}) innvilget {decision_date}, {age} år ved innvilgelse "
            "({age_min}–{age_last}).",
            title="Tillatelse etter § 27 (§ 9 a–g utenom utl. § 34, familie til norske/nordiske borgere), "
            "18 ≤ alder < 67 ved innvilgelse: rett og plikt.",
        ),
        Row(
            "s28_duty",
            ALWAYS,
            "duty",
            (S26_1, S28),
            "tillatelse etter § 28 ({basis}) innvilget {decision_date}, {age} år ved innvilgelse "
            "({age_min}–{age_last}).",
            title="Tillatelse etter § 28 (arbeidsinnvandrer utenfor EØS og familien deres), 18 ≤ alder < 67 ved "
            "innvilgelse: plikt.",
        ),
    ],
    NORWEGIAN_LABELS,
)


def category_for_permit(ctx: Context, p: Permit) -> Derived:
    """The Norwegian category a permit with a Norwegian section gives (table :data:`CATEGORY`)."""
    on = rule_date(ctx, p.decision_date)
    lo, end = ctx.param("norwegian.age.min", on), ctx.param("norwegian.age.end", on)
    age = age_on(ctx.facts.birth_date, p.decision_date)
    ends = birthday(ctx.facts.birth_date, end.value)
    sec = section(p.basis)
    scope: dict[str, Any] = {
        "age": age,
        "age_min": lo.value,
        "age_end": end.value,
        "age_last": end.value - 1,
        "ended": ctx.as_of >= ends,
        "ends": ends,
        "ch6a": sec == "6A",
        "s27": sec == "27",
        "basis": p.basis,
        "decision_date": p.decision_date,
    }
    facts = permit_facts(p) | {"birth_date": ctx.facts.birth_date, "age_at_decision": age}
    if ctx.as_of >= ends:
        facts["ended"] = ends
    return CATEGORY.decide(scope, facts, [lo] if age < lo.value else [lo, end])


def category_columns(
    cc: ColumnContext, has: np.ndarray, decision_date: np.ndarray, ch6a: np.ndarray, s27: np.ndarray
) -> np.ndarray:
    """:data:`CATEGORY` on columns: each person's permit (``has``: there is one; ``ch6a``/``s27``: its
    section) and the outcome's index into :data:`NORWEGIAN`."""
    on = cc.rule_date(decision_date)
    end = cc.param("norwegian.age.end", on, has)
    scope = {
        "age": age_on_days(cc.birth, decision_date),
        "age_min": cc.param("norwegian.age.min", on, has),
        "age_end": end,
        "ended": cc.as_of >= birthday_days(cc.birth, end),
        "ch6a": ch6a,
        "s27": s27,
    }
    return CATEGORY.columns(scope, cc.n)[0]


# --- no permit with a Norwegian section -----------------------------------------------------------

WITHOUT = DecisionTable(
    "il_26_norwegian_without",
    NORWEGIAN,
    [
        Row("s26_no_permit", ~V("has_permit"), "none", S26_1, "ingen oppholdstillatelse er registrert."),
        Row(
            "s26_eea",
            V("eea"),
            "none",
            S26_1,
            "nordiske borgere og EØS-borgere omfattes ikke.",
            title="Nordiske borgere og EØS-borgere: ingen.",
        ),
        Row(
            "s26_no_permit",
            ALWAYS,
            "none",
            S26_1,
            "tillatelsen ({basis}) gir ikke rett eller plikt etter §§ 27–28.",
            title="Ingen tillatelse, eller en tillatelse som ikke gir rett eller plikt etter §§ 27–28: ingen.",
        ),
    ],
    NORWEGIAN_LABELS,
)


# --- after collective protection (ch. 6A, if. § 43h, 004) ------------------------------------------

# When the first permit with a Norwegian section is collective protection (utl. § 34) and the person's
# current permit is another one. ``first_cat`` / ``later_cat``: the category of the utl. § 34 permit and of
# the first later permit on another basis (``has_later``); ``s43h``: if. § 43h applies (a decision under
# ch. 6A, see ``integreringsforskriften.if_43h_transition``); ``kept``: a Norwegian participation decision
# made under utl. § 34.
AFTER_CH6A = DecisionTable(
    "il_26_norwegian_after_ch6a",
    NORWEGIAN,
    [
        Row(
            "ch6a_norwegian_right_not_kept",
            V("first_none") & (V("s43h") | V("kept")),
            "none",
            (S26_1, S37D),
            "retten til norsk etter kap. 6A gjaldt ikke for tillatelsen fra {first_date} (se over), og gjelder "
            "derfor heller ikke etter overgangen til {current_basis} ({current_date}).",
            title="Ingen rett til norsk etter kap. 6A å beholde (alder): ingen.",
        ),
        Row(
            "ch6a_norwegian_s43h",
            V("s43h"),
            "right",
            (S43H, S37D),
            "kollektiv beskyttelse fra {first_date} med vedtak etter de midlertidige reglene i kap. 6A; ved "
            "overgang til {current_basis} ({current_date}) gis ingen nye rettigheter eller plikter (if. § 43h).",
            title="Vedtak etter kap. 6A før overgang til ny tillatelse: rett til gjenstående norskopplæring "
            "(if. § 43h).",
        ),
        Row(
            "ch6a_norwegian_right_kept",
            V("kept"),
            "right",
            KEPT_004,
            "vedtak om norskopplæring {kept_date} mens personen hadde kollektiv beskyttelse; retten gjelder "
            "fortsatt etter overgang til {current_basis} ({current_date}).",
            title="Vedtak om norskopplæring mens personen hadde kollektiv beskyttelse: retten til norsk gjelder "
            "fortsatt etter overgang til ny tillatelse (004).",
        ),
        Row(
            "ch6a_norwegian_no_later",
            ~V("has_later"),
            V("first_cat"),
            S26_1,
            "ny tillatelse {current_basis} ({current_date}) gir ikke rett eller plikt etter §§ 27–28; kategorien "
            "følger tillatelsen om kollektiv beskyttelse fra {first_date}.",
            title="Overgang fra kollektiv beskyttelse til en tillatelse uten rett eller plikt etter §§ 27–28: "
            "kategorien følger kollektiv beskyttelse.",
        ),
        Row(
            "ch6a_norwegian_superseded",
            ALWAYS,
            V("later_cat"),
            (S26_1, S27),
            "kollektiv beskyttelse fra {first_date} uten vedtak om norskopplæring; ny tillatelse {later_basis} "
            "({later_date}) vurderes etter ordinære regler.",
            title="Overgang fra kollektiv beskyttelse uten vedtak om norskopplæring: den nye tillatelsen vurderes "
            "etter ordinære regler.",
        ),
    ],
    NORWEGIAN_LABELS,
)
SUPERSEDED = next(i for i, r in enumerate(AFTER_CH6A.rows) if r.id == "ch6a_norwegian_superseded")
_STEP_FIRST = {"ch6a_norwegian_s43h", "ch6a_norwegian_superseded"}  # the table's step comes before the inner ones


def kept_by_decision(first_34: Permit, current: Permit, decisions: list[Decision]) -> Decision | None:
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
        last = ctx.permits[-1] if ctx.permits else None
        facts = permit_facts(last) if last else {}
        eea = last is not None and last.basis == "eea"
        return WITHOUT.decide({"has_permit": last is not None, "eea": eea, "basis": last and last.basis}, facts), None
    # a § 27 (or ch. 6A) permit gives more than a § 28 permit: the first of those counts, else the first § 28 one
    first = next((p for p in relevant if section(p.basis) != "28"), relevant[0])
    d_first = category_for_permit(ctx, first)
    current = current_permit(ctx)
    if first.basis != COLLECTIVE or current is None or current.basis == COLLECTIVE:
        return d_first, first
    s43h = s43h_transition.applies(ctx, first, current, decisions)
    kept = kept_by_decision(first, current, decisions)
    later = next((p for p in relevant if p.decision_date >= first.decision_date and p.basis != COLLECTIVE), None)
    d_later = category_for_permit(ctx, later) if later else None
    scope: dict[str, Any] = {
        "first_none": d_first.value == "none",
        "first_cat": d_first.value,
        "first_date": first.decision_date,
        "s43h": s43h,
        "kept": kept is not None,
        "kept_date": kept.decision_date if kept else None,
        "has_later": later is not None,
        "later_cat": d_later.value if d_later else None,
        "later_basis": later.basis if later else None,
        "later_date": later.decision_date if later else None,
        "current_basis": current.basis,
        "current_date": current.decision_date,
    }
    facts = {"collective_protection_permit": first.path, "current_permit": current.path}
    if kept:
        facts["decision"] = kept.path
    step = AFTER_CH6A.decide(scope, facts)
    rule = step.steps[0].rule
    if rule == "ch6a_norwegian_s43h":
        inner = s43h_transition.norwegian_category(ctx, first, current, decisions).steps
    elif rule == "ch6a_norwegian_superseded" and d_later is not None:
        inner = d_later.steps
    else:
        inner = d_first.steps
    steps = [*step.steps, *inner] if rule in _STEP_FIRST else [*inner, *step.steps]
    return Derived(step.value, steps), (later if rule == "ch6a_norwegian_superseded" else first)


def after_ch6a_columns(
    cc: ColumnContext,
    first_cat: np.ndarray,
    s43h: np.ndarray,
    kept: np.ndarray,
    has_later: np.ndarray,
    later_cat: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:data:`AFTER_CH6A` on columns: (the category's index, whether the later permit is the one the right or
    duty runs from)."""
    scope = {
        "first_none": first_cat == NORWEGIAN.index("none"),
        "first_cat": first_cat,
        "s43h": s43h,
        "kept": kept,
        "has_later": has_later,
        "later_cat": later_cat,
    }
    values, row = AFTER_CH6A.columns(scope, cc.n)
    return values, row == SUPERSEDED


# --- when the right or duty arises (§ 26 second paragraph) ------------------------------------------

START = DecisionTable(
    "il_26_norwegian_start",
    (),
    [
        Row(
            "s26_start_renewal",
            V("at_renewal") & V("has_renewal"),
            V("renewal_date"),
            LegalBasis(IL, "26", 2, sentence=2),
            "tillatelse etter § 9 bokstav d ({basis}, {decision_date}): retten og plikten inntrer ved førstegangs "
            "fornyelse, registrert som ny tillatelse {renewal_basis} {renewal_date}.",
            title="§ 9 bokstav d: retten og plikten inntrer ved førstegangs fornyelse av tillatelsen (en senere "
            "tillatelse etter § 27).",
        ),
        Row(
            "s26_start_awaiting_renewal",
            V("at_renewal"),
            V("no_date"),
            LegalBasis(IL, "26", 2, sentence=2),
            "tillatelse etter § 9 bokstav d ({basis}, {decision_date}): retten og plikten inntrer ved førstegangs "
            "fornyelse av tillatelsen; ingen fornyelse er registrert, så fristen kan ikke beregnes ennå.",
            title="§ 9 bokstav d uten registrert fornyelse: retten og plikten har ikke inntrådt, ingen frist.",
        ),
        Row(
            "s26_start_settlement",
            V("at_settlement") & V("agreed") & (V("settlement_date") > V("decision_date")),
            V("settlement_date"),
            (LegalBasis(IL, "26", 2, sentence=3), S37D_START),
            "tillatelse etter § 9 bokstav e ({basis}, {decision_date}): retten inntrer på tidspunktet personen "
            "bosettes etter avtale, {settlement_date}.",
            title="§ 9 bokstav e: retten (og plikten) inntrer når personen bosettes etter avtale.",
        ),
        Row(
            "s26_start_settlement",
            V("at_settlement") & V("agreed"),
            V("decision_date"),
            (LegalBasis(IL, "26", 2, sentence=3), S37D_START),
            "tillatelse etter § 9 bokstav e ({basis}, {decision_date}): retten inntrer når personen bosettes etter "
            "avtale; bosettingen ({settlement_date}) er registrert før vedtaket, så retten regnes fra vedtaket.",
        ),
        Row(
            "s26_start_awaiting_settlement",
            V("at_settlement"),
            V("no_date"),
            (LegalBasis(IL, "26", 2, sentence=3), S37D_START),
            "tillatelse etter § 9 bokstav e ({basis}, {decision_date}): retten inntrer når personen bosettes etter "
            "avtale; ingen bosetting etter avtale er registrert, så fristen kan ikke beregnes ennå.",
            title="§ 9 bokstav e uten registrert bosetting etter avtale: retten har ikke inntrådt, ingen frist.",
        ),
        Row(
            "s26_start_arrival",
            V("has_arrival") & (V("arrival_date") > V("decision_date")),
            V("arrival_date"),
            LegalBasis(IL, "26", 2, sentence=1),
            "tillatelsen ({basis}) ble innvilget {decision_date}, før innreise; retten og plikten inntrer ved "
            "ankomst til Norge {arrival_date}.",
            title="Tillatelse innvilget før innreise: retten og plikten inntrer ved ankomst.",
        ),
        Row(
            "s26_start_grant",
            ALWAYS,
            V("decision_date"),
            LegalBasis(IL, "26", 2, sentence=1),
            "retten og plikten inntrer når tillatelsen ({basis}) innvilges, {decision_date}.",
            title="Ellers inntrer retten og plikten når tillatelsen innvilges.",
        ),
    ],
)


def start(ctx: Context, p: Permit) -> Derived:
    """When the right or duty from permit ``p`` arises (table :data:`START`); ``None``: not yet."""
    at = next(i for i, x in enumerate(ctx.permits) if x is p)
    renewal = next((x for x in ctx.permits[at + 1 :] if section(x.basis) == "27"), None)
    agreed = settled_by_agreement(ctx)
    scope: dict[str, Any] = {
        "at_renewal": starts_at_renewal(p.basis),
        "has_renewal": renewal is not None,
        "renewal_date": renewal.decision_date if renewal else None,
        "renewal_basis": renewal.basis if renewal else None,
        "at_settlement": starts_at_settlement(p.basis),
        "agreed": agreed is not None,
        "settlement_date": agreed.date if agreed else None,
        "has_arrival": p.arrival_date is not None,
        "arrival_date": p.arrival_date,
        "decision_date": p.decision_date,
        "basis": p.basis,
        "no_date": None,
    }
    facts = permit_facts(p)
    if renewal is not None and scope["at_renewal"]:
        facts["renewal"] = permit_facts(renewal)
    if agreed is not None and scope["at_settlement"]:
        facts |= {"settlement": agreed.path, "settlement_date": agreed.date}
    return START.decide(scope, facts)


def start_columns(
    cc: ColumnContext,
    decision_date: np.ndarray,
    arrival_date: np.ndarray,
    at_renewal: np.ndarray,
    renewal_date: np.ndarray,
    at_settlement: np.ndarray,
    settlement_date: np.ndarray,
) -> np.ndarray:
    """:data:`START` on columns: the day the right or duty arises (``NAT``: not yet). ``renewal_date`` /
    ``settlement_date``: of the next § 27 permit and of the first settlement by agreement (``NAT``: none)."""
    scope = {
        "at_renewal": at_renewal,
        "has_renewal": renewal_date != NAT,
        "renewal_date": renewal_date,
        "at_settlement": at_settlement,
        "agreed": settlement_date != NAT,
        "settlement_date": settlement_date,
        "has_arrival": arrival_date != NAT,
        "arrival_date": arrival_date,
        "decision_date": decision_date,
        "no_date": np.int64(NAT),
    }
    return START.columns(scope, cc.n)[0]
