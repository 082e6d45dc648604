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
permit granted before entry), and the engine infers it — the explanation says so,
and the result is marked unverified (the inference is the register's, not the law's).

The choice is one decision table, :data:`WHICH_ACT`, over day numbers (``NAT`` for
no date): :func:`law` runs it for one person, :func:`law_columns` for the register.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nir.rules.context import Context, permit_facts
from nir.rules.dates import NAT, day
from nir.rules.legal_basis import IF, LegalBasis
from nir.rules.model import Derived, Permit
from nir.rules.parameters import ParameterSet
from nir.rules.table import ALWAYS, DecisionTable, Row, V

INTEGRERINGSLOVEN = "integreringsloven"
INTRODUKSJONSLOVEN = "introduksjonsloven"
ACTS = (INTEGRERINGSLOVEN, INTRODUKSJONSLOVEN)  # the outcomes' order (the column interpreter's codes)
EEA = "eea"  # a Nordic/EEA registration gives neither rights nor duties under either act

IF_71 = LegalBasis(IF, "71")
IF_72 = LegalBasis(IF, "72")
IF_72_INFERRED = LegalBasis(IF, "72", verified=False, note="søkt fra utlandet utledet av ankomstdatoen")

WHICH_ACT = DecisionTable(
    "if_72_which_act",
    ACTS,
    [
        Row(
            "law_split",
            ~V("in_force"),
            INTRODUKSJONSLOVEN,
            (IF_71, IF_72),
            "Integreringsloven var ikke trådt i kraft {as_of}: introduksjonsloven gjelder.",
            title="Første tillatelse som gir rettigheter eller plikter (ikke nordisk/EØS), innvilget før "
            "integreringsloven trådte i kraft, gir introduksjonsloven; ellers gjelder integreringsloven.",
        ),
        Row(
            "law_split",
            ~V("has_permit") & V("any_permit"),
            INTEGRERINGSLOVEN,
            (IF_71, IF_72),
            "Ingen oppholdstillatelse som gir rettigheter eller plikter er registrert (nordisk/EØS-registrering "
            "teller ikke); integreringsloven legges til grunn.",
        ),
        Row(
            "law_split",
            ~V("has_permit"),
            INTEGRERINGSLOVEN,
            (IF_71, IF_72),
            "Ingen oppholdstillatelse er registrert; integreringsloven legges til grunn.",
        ),
        Row(
            "law_split",
            V("decision") >= V("cut"),
            INTEGRERINGSLOVEN,
            (IF_71, IF_72),
            "Første tillatelse som gir rettigheter eller plikter ble innvilget {decision_date}, på eller etter "
            "{cut_date}: integreringsloven gjelder.",
        ),
        Row(
            "law_split_applied_from_abroad",
            (V("applied_from_abroad") == 1) & (V("arrival") >= V("cut")),
            INTEGRERINGSLOVEN,
            IF_72,
            "Tillatelsen ble innvilget {decision_date}, før {cut_date}, men personen søkte fra utlandet og kom til "
            "Norge {arrival_date}: integreringsloven gjelder.",
            title="Tillatelse innvilget før integreringsloven trådte i kraft, men søkt fra utlandet og ankommet "
            "på eller etter ikrafttredelsen: integreringsloven (søkt fra utlandet utledes av ankomstdatoen).",
        ),
        Row(
            "law_split_applied_from_abroad",
            (V("applied_from_abroad") < 0) & (V("arrival") > V("decision")) & (V("arrival") >= V("cut")),
            INTEGRERINGSLOVEN,
            IF_72_INFERRED,
            "Tillatelsen ble innvilget {decision_date}, før {cut_date}, men personen søkte fra utlandet og kom til "
            "Norge {arrival_date} (søkt fra utlandet er utledet av at tillatelsen ble innvilget før ankomst): "
            "integreringsloven gjelder.",
        ),
        Row(
            "law_split",
            ALWAYS,
            INTRODUKSJONSLOVEN,
            (IF_71, IF_72),
            "Første tillatelse som gir rettigheter eller plikter ble innvilget {decision_date}, før {cut_date}: "
            "introduksjonsloven gjelder.",
        ),
    ],
)


def counting_permit(ctx: Context) -> Permit | None:
    """The first permit giving rights or duties (any basis but Nordic/EEA); None when there is none.

    A Nordic/EEA registration gives neither rights nor duties under either act, so a person
    with only such registrations is not under introduksjonsloven: § 72 sends everyone who is
    not covered by the transition rule to integreringsloven.
    """
    return next((p for p in ctx.permits if p.basis != EEA), None)


def law(ctx: Context) -> Derived:
    """:data:`WHICH_ACT` for one person: integreringsloven or introduksjonsloven."""
    start = ctx.find("law.integreringsloven_from", ctx.as_of)
    p = counting_permit(ctx)
    abroad = -1 if p is None or p.applied_from_abroad is None else int(p.applied_from_abroad)
    scope: dict[str, Any] = {
        "as_of": ctx.as_of,
        "in_force": start is not None,
        "cut": day(start.value) if start else NAT,
        "cut_date": start.value if start else None,
        "any_permit": bool(ctx.permits),
        "has_permit": p is not None,
        "decision": day(p.decision_date) if p else NAT,
        "decision_date": p.decision_date if p else None,
        "arrival": day(p.arrival_date) if p and p.arrival_date else NAT,
        "arrival_date": p.arrival_date if p else None,
        "applied_from_abroad": abroad,
    }
    facts: dict[str, Any] = {"as_of": ctx.as_of} if start is None else {}
    if start is not None and p is not None:
        facts = permit_facts(p)
        if p.decision_date < start.value:
            inferred = p.applied_from_abroad is None
            facts |= {
                "applied_from_abroad": bool(p.arrival_date and p.arrival_date > p.decision_date)
                if inferred
                else p.applied_from_abroad,
                "applied_from_abroad_inferred": inferred,
            }
    return WHICH_ACT.decide(scope, facts, [start] if start else [])


def law_columns(
    params: ParameterSet,
    as_of: Any,
    n: int,
    has_permit: np.ndarray,
    decision: np.ndarray,
    arrival: np.ndarray,
    applied_from_abroad: np.ndarray,
) -> np.ndarray:
    """:data:`WHICH_ACT` on columns: each person's counting permit (``has_permit``; its decision and arrival
    day numbers, ``applied_from_abroad`` -1 unknown / 0 / 1); True where integreringsloven applies."""
    start = params.find("law.integreringsloven_from", as_of)
    scope = {
        "in_force": start is not None,
        "cut": day(start.value) if start else NAT,
        "any_permit": True,
        "has_permit": has_permit,
        "decision": decision,
        "arrival": arrival,
        "applied_from_abroad": applied_from_abroad,
    }
    integ: np.ndarray = WHICH_ACT.columns(scope, n)[0] == WHICH_ACT.code(INTEGRERINGSLOVEN)
    return integ
