"""Moving from collective protection to another permit — integreringsforskriften § 43h
(004 "Overgang fra kollektiv beskyttelse til ny tillatelse"; regelmotor.md § 3.1).

«Deltagere som har hatt oppholdstillatelse etter utlendingsloven § 34 og som har
fått vedtak om introduksjonsprogram eller opplæring i norsk etter de midlertidige
reglene i integreringsloven kapittel 6A, får ikke nye rettigheter eller plikter
etter integreringsloven ved overgang til en annen oppholdstillatelse … har rett
til å fullføre påbegynt introduksjonsprogram … eller eventuell gjenstående
norskopplæring» (if. § 43h, quoted in 004).

NIR's reading (004): for a person whose earlier ``utl_34`` permit was decided
before 2026-01-01, who has an introduction or Norwegian participation decision
dated before 2026-01-01, and whose current (latest) permit is another one: the
introduction programme is ``right`` if there is an introduction participation
decision dated before 2026-01-01, else ``none``; Norwegian is ``right``.
"""

from __future__ import annotations

from nir.rules.context import Context, decision_facts, permit_facts
from nir.rules.dates import fmt
from nir.rules.model import Decision, Derived, Explanation, Permit
from nir.rules.parameters import Value

SOURCE = "if. § 43h; 004 (Overgang fra kollektiv beskyttelse til ny tillatelse)"


def _before(ctx: Context) -> Value | None:
    return ctx.find("intro.s43h.decisions_before", ctx.as_of)


def _cut(ctx: Context) -> Value:
    """The § 43h date, where the rule applies (``applies`` is false without it)."""
    cut = _before(ctx)
    if cut is None:
        raise LookupError("intro.s43h.decisions_before: no value on this date, so § 43h does not apply")
    return cut


def ch6a_decisions(ctx: Context, first_34: Permit, decisions: list[Decision]) -> list[Decision]:
    """Introduction or Norwegian participation decisions dated before the § 43h date."""
    cut = _before(ctx)
    if cut is None or first_34.decision_date >= cut.value:
        return []
    return [
        d
        for d in decisions
        if d.decision_date < cut.value
        and d.decision_date >= first_34.decision_date
        and (d.scheme, d.type) in (("intro", "participation"), ("norwegian", "norwegian_participation"))
    ]


def applies(ctx: Context, first_34: Permit, current: Permit | None, decisions: list[Decision]) -> bool:
    return (
        current is not None
        and current.basis != "utl_34"
        and current.decision_date >= first_34.decision_date
        and bool(ch6a_decisions(ctx, first_34, decisions))
    )


def intro_category(ctx: Context, first_34: Permit, current: Permit, decisions: list[Decision]) -> Derived:
    """Rule ``s43h_intro``."""
    cut = _cut(ctx)
    found = ch6a_decisions(ctx, first_34, decisions)
    intro = [d for d in found if d.scheme == "intro"]
    facts = {
        "collective_protection_permit": permit_facts(first_34),
        "current_permit": permit_facts(current),
        "decisions": [decision_facts(d) for d in found],
    }
    if intro:
        return Derived(
            "right",
            [
                Explanation(
                    "s43h_intro",
                    SOURCE,
                    f"Rett til introduksjonsprogram: hadde kollektiv beskyttelse fra {fmt(first_34.decision_date)} "
                    f"og vedtak om deltakelse {fmt(intro[0].decision_date)} (før {fmt(cut.value)}); ved overgang "
                    f"til ny tillatelse ({current.basis}, {fmt(current.decision_date)}) beholdes retten til å "
                    "fullføre, uten nye rettigheter eller plikter.",
                    "right",
                    facts,
                    [cut],
                )
            ],
        )
    return Derived(
        "none",
        [
            Explanation(
                "s43h_intro",
                SOURCE,
                f"Ingen rett eller plikt til introduksjonsprogram: hadde kollektiv beskyttelse fra "
                f"{fmt(first_34.decision_date)} og vedtak om norskopplæring etter kap. 6A før {fmt(cut.value)}; "
                f"ved overgang til ny tillatelse ({current.basis}) gis ingen nye rettigheter eller plikter.",
                "none",
                facts,
                [cut],
            )
        ],
    )


def norwegian_category(ctx: Context, first_34: Permit, current: Permit, decisions: list[Decision]) -> Derived:
    """Rule ``s43h_norwegian``: the right to Norwegian is kept."""
    cut = _cut(ctx)
    found = ch6a_decisions(ctx, first_34, decisions)
    return Derived(
        "right",
        [
            Explanation(
                "s43h_norwegian",
                SOURCE,
                f"Rett til norsk: hadde kollektiv beskyttelse fra {fmt(first_34.decision_date)} og vedtak etter "
                f"kap. 6A før {fmt(cut.value)}; retten til gjenstående norskopplæring beholdes ved overgang til "
                f"{current.basis}.",
                "right",
                {
                    "collective_protection_permit": permit_facts(first_34),
                    "current_permit": permit_facts(current),
                    "decisions": [decision_facts(d) for d in found],
                },
                [cut],
            )
        ],
    )
