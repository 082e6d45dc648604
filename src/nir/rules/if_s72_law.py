"""Which act applies — integreringsforskriften § 72 (regelmotor.md § 2).

«Personer som søker om oppholdstillatelse fra utlandet og får innvilget
oppholdstillatelse før integreringsloven trer i kraft, men som ankommer Norge
etter integreringsloven trer i kraft, omfattes av integreringsloven. Lov 4. juli
2003 nr. 80 (introduksjonsloven) gjelder for de som ikke omfattes av
integreringsloven i henhold til overgangsreglene.» (if. § 72, law-notes R1 [V])

The permit that counts is the first permit giving rights or duties (any basis
but ``eea``). "Applied from abroad" is the optional fact
``permits[].applied_from_abroad``; when it is absent and the permit was granted
before the arrival date, the permit was necessarily applied for from abroad (a
permit granted before entry), and the engine infers it — the explanation says so.
"""

from __future__ import annotations

from nir.rules.context import Context, permit_facts
from nir.rules.dates import fmt
from nir.rules.model import Derived, Explanation, Permit

INTEGRERINGSLOVEN = "integreringsloven"
INTRODUKSJONSLOVEN = "introduksjonsloven"
SOURCE = "if. § 72"


def counting_permit(ctx: Context) -> Permit | None:
    """The first permit giving rights or duties (any basis but Nordic/EEA); None when there is none.

    A Nordic/EEA registration gives neither rights nor duties under either act, so a person
    with only such registrations is not under introduksjonsloven: § 72 sends everyone who is
    not covered by the transition rule to integreringsloven.
    """
    for p in ctx.permits:
        if p.basis != "eea":
            return p
    return None


def applied_from_abroad(p: Permit) -> tuple[bool, bool]:
    """(applied from abroad?, inferred?)"""
    if p.applied_from_abroad is not None:
        return p.applied_from_abroad, False
    return bool(p.arrival_date and p.arrival_date > p.decision_date), True


def law(ctx: Context) -> Derived:
    """Rule ``law_split`` (if. § 72): integreringsloven or introduksjonsloven."""
    start = ctx.find("law.integreringsloven_from", ctx.as_of)
    if start is None:
        return Derived(
            INTRODUKSJONSLOVEN,
            [
                Explanation(
                    "law_split",
                    SOURCE,
                    f"Integreringsloven var ikke trådt i kraft {fmt(ctx.as_of)}: introduksjonsloven gjelder.",
                    INTRODUKSJONSLOVEN,
                    {"as_of": ctx.as_of},
                )
            ],
        )
    cut = start.value
    p = counting_permit(ctx)
    if p is None:
        text = (
            "Ingen oppholdstillatelse som gir rettigheter eller plikter er registrert (nordisk/EØS-registrering "
            "teller ikke); integreringsloven legges til grunn."
            if ctx.permits
            else "Ingen oppholdstillatelse er registrert; integreringsloven legges til grunn."
        )
        return Derived(INTEGRERINGSLOVEN, [Explanation("law_split", SOURCE, text, INTEGRERINGSLOVEN, {}, [start])])
    facts = permit_facts(p)
    if p.decision_date >= cut:
        return Derived(
            INTEGRERINGSLOVEN,
            [
                Explanation(
                    "law_split",
                    SOURCE,
                    f"Første tillatelse som gir rettigheter eller plikter ble innvilget {fmt(p.decision_date)}, "
                    f"på eller etter {fmt(cut)}: integreringsloven gjelder.",
                    INTEGRERINGSLOVEN,
                    facts,
                    [start],
                )
            ],
        )
    abroad, inferred = applied_from_abroad(p)
    facts = facts | {"applied_from_abroad": abroad, "applied_from_abroad_inferred": inferred}
    if abroad and p.arrival_date and p.arrival_date >= cut:
        how = " (søkt fra utlandet er utledet av at tillatelsen ble innvilget før ankomst)" if inferred else ""
        return Derived(
            INTEGRERINGSLOVEN,
            [
                Explanation(
                    "law_split_applied_from_abroad",
                    SOURCE,
                    f"Tillatelsen ble innvilget {fmt(p.decision_date)}, før {fmt(cut)}, men personen søkte fra "
                    "utlandet "
                    f"og kom til Norge {fmt(p.arrival_date)}{how}: integreringsloven gjelder.",
                    INTEGRERINGSLOVEN,
                    facts,
                    [start],
                )
            ],
        )
    return Derived(
        INTRODUKSJONSLOVEN,
        [
            Explanation(
                "law_split",
                SOURCE,
                f"Første tillatelse som gir rettigheter eller plikter ble innvilget {fmt(p.decision_date)}, før "
                f"{fmt(cut)}: introduksjonsloven gjelder.",
                INTRODUKSJONSLOVEN,
                facts,
                [start],
            )
        ],
    )
