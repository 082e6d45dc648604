"""Why a municipality ranks where it does for a household — computed from the model.

For household h, municipality m and the municipalities ``against`` (e.g. the next ranked ones), each
group of municipality features (and each pair feature: same country background, connection, the
service for a special need) is replaced in m's rows by its average over ``against``, everything
else kept; the change in the model's joint value (Σ members' P(work) x P(stay)) is that group's
effect. A positive effect means the group makes m better for this household than the others.
The texts only state the feature values and the model's numbers; nothing is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import features as F
from .data import GROUPS, Households, Municipalities


@dataclass(frozen=True)
class Reason:
    feature: str
    label_nb: str
    effect: float  # change in the joint value (expected persons 16-64 in work/education and staying)
    text_nb: str


# group, columns, (label when m's value is higher than the others', label when lower), value labels
GROUPS_NB: tuple[tuple[str, tuple[str, ...], tuple[str, str]], ...] = (
    ("unemployment", ("unemployment_rate",), ("Høy arbeidsledighet i kommunen", "Lav arbeidsledighet i kommunen")),
    (
        "immigrant_employment",
        ("immigrant_employment_rate",),
        ("Mange innvandrere i arbeid i kommunen", "Færre innvandrere i arbeid i kommunen"),
    ),
    (
        "labour_diversity",
        ("labour_market_diversity",),
        ("Variert arbeidsmarked i regionen", "Lite variert arbeidsmarked i regionen"),
    ),
    ("school", ("upper_secondary_school",), ("Videregående skole i kommunen", "Ingen videregående skole i kommunen")),
    ("size", ("log_population",), ("Større kommune", "Mindre kommune")),
    ("centrality", ("centrality",), ("Mindre sentral kommune", "Mer sentral kommune")),
    ("immigrant_share", ("immigrant_share",), ("Høy innvandrerandel i kommunen", "Lav innvandrerandel i kommunen")),
    (
        "services",
        ("accessible_housing", "mental_health_services", "specialist_health_services"),
        ("Flere helsetjenester og tilrettelagt bolig", "Færre helsetjenester og tilrettelagt bolig"),
    ),
    (
        "secondary_migration",
        ("secondary_migration_rate",),
        ("Mange tidligere bosatte har flyttet videre", "Få tidligere bosatte har flyttet videre"),
    ),
    (
        "living_conditions",
        ("living_conditions_index",),
        ("Flere levekårsutfordringer i kommunen", "Færre levekårsutfordringer i kommunen"),
    ),
    (
        "municipality_effect",
        F.EFFECT_COLUMNS,
        ("Gode resultater for tidligere bosatte i kommunen", "Svakere resultater for tidligere bosatte i kommunen"),
    ),
    (
        "diaspora",
        ("diaspora_same_group", "log_diaspora_same_group"),
        ("Mange med samme landbakgrunn", "Få med samme landbakgrunn"),
    ),
    ("connection", ("connection_here",), ("Tilknytning til kommunen", "Ingen tilknytning til kommunen")),
    (
        "need_service",
        ("need_served_here",),
        ("Tjenesten for særlige behov finnes i kommunen", "Tjenesten for særlige behov mangler i kommunen"),
    ),
)

VALUE_NB = {
    "unemployment_rate": ("arbeidsledighet", "{:.1f} %"),
    "immigrant_employment_rate": ("sysselsetting blant innvandrere", "{:.0%}"),
    "labour_market_diversity": ("mangfold i arbeidsmarkedet", "{:.2f}"),
    "upper_secondary_school": ("videregående skole", "yesno"),
    "log_population": ("innbyggere", "pop"),
    "centrality": ("sentralitet (1 er mest sentral)", "{:.1f}"),
    "immigrant_share": ("innvandrerandel", "{:.0%}"),
    "accessible_housing": ("tilrettelagt bolig", "yesno"),
    "mental_health_services": ("psykisk helsehjelp", "yesno"),
    "specialist_health_services": ("spesialisthelsetjeneste", "yesno"),
    "secondary_migration_rate": ("andel som har flyttet videre", "{:.0%}"),
    "living_conditions_index": ("levekårsindeks", "{:.2f}"),
    "effect_work": ("tidligere bosattes arbeid/utdanning mot forventet", "{:+.1%}"),
    "effect_stay": ("tidligere bosatte som ble boende mot forventet", "{:+.1%}"),
    "diaspora_same_group": ("personer med samme landbakgrunn per 1 000", "{:.1f}"),
    "connection_here": ("tilknytning", "yesno"),
    "need_served_here": ("tjeneste for særlige behov", "yesno"),
}


def _nb(x: float, fmt: str) -> str:
    if fmt == "yesno":
        return "ja" if x >= 0.999 else ("nei" if x <= 0.001 else f"{x:.0%} av dem".replace("%", " %"))
    if fmt == "pop":
        return f"{np.exp(x):,.0f}".replace(",", " ")
    out = fmt.format(x).replace(".", ",")
    return out if out.endswith(" %") else out.replace("%", " %")


def explain(model: Any, hh: Households, munis: Municipalities, h: int, m: int, against: np.ndarray) -> list[Reason]:
    """Reasons m's joint value for household h differs from the ``against`` municipalities',
    sorted by absolute effect (largest first); groups with no effect are left out. A household with
    no member aged 16-64 has a joint value of 0 everywhere, so nothing drives a difference: []."""
    against = np.asarray([a for a in np.atleast_1d(against) if int(a) != m], int)
    ps = np.flatnonzero((hh.p_hh == h) & hh.p_eligible)
    if not len(against) or not len(ps):
        return []
    b = F.base(hh, munis, year=model.year)
    eff = model.effects
    settings = np.r_[m, against]
    n = len(settings)
    k = len(ps)
    Xw = F.work_rows(b, np.repeat(ps, n), np.tile(settings, k), eff[np.tile(settings, k)]).reshape(k, n, -1)
    Xs = F.stay_rows(b, np.full(n, h), settings, eff[settings])
    groups = [g for g in GROUPS_NB if any(c in F.WORK_COLUMNS for c in g[1])]
    # setting 0: m as it is; setting 1+i: m with group i replaced by the others' average
    cw = np.repeat(Xw[:, :1], 1 + len(groups), axis=1)
    cs = np.repeat(Xs[:1], 1 + len(groups), axis=0)
    wi = {c: i for i, c in enumerate(F.WORK_COLUMNS)}
    si = {c: i for i, c in enumerate(F.STAY_COLUMNS)}
    for gi, (_, cols, _) in enumerate(groups, start=1):
        for c in cols:
            cw[:, gi, wi[c]] = Xw[:, 1:, wi[c]].mean(axis=1)
            cs[gi, si[c]] = Xs[1:, si[c]].mean()
    joint = model.joint_of_rows(cw.reshape(k * cw.shape[1], -1), cs)
    head_group = GROUPS[int(b.h_group[h])]
    reasons = []
    for gi, (name, cols, (higher, lower)) in enumerate(groups, start=1):
        effect = float(joint[0] - joint[gi])
        if abs(effect) < 1e-4:
            continue
        here = float(Xs[0, si[cols[0]]])
        there = float(Xs[1:, si[cols[0]]].mean())
        if name == "municipality_effect":
            here = float(Xs[0, si[cols[0]]] + Xs[0, si[cols[1]]])
            there = float((Xs[1:, si[cols[0]]] + Xs[1:, si[cols[1]]]).mean())
        if name == "services":
            here = float(Xs[0, [si[c] for c in cols]].sum())
            there = float(Xs[1:][:, [si[c] for c in cols]].sum(axis=1).mean())
        label = higher if here > there else lower
        facts = []
        for c in cols:
            if c == "log_diaspora_same_group":
                continue
            what, fmt = VALUE_NB[c]
            facts.append(
                f"{what}: {_nb(float(Xs[0, si[c]]), fmt)} her, {_nb(float(Xs[1:, si[c]].mean()), fmt)} i de andre"
            )
        if name == "diaspora":
            facts[0] = facts[0].replace("samme landbakgrunn", f"samme landbakgrunn ({head_group})")
        sign = "øker" if effect > 0 else "senker"
        text = (
            f"{label}: {'; '.join(facts)}. Modellen anslår at dette {sign} forventet antall personer 16–64 år "
            f"i arbeid eller utdanning som fortsatt bor i kommunen etter to år, med {_nb(abs(effect), '{:.2f}')}."
        )
        reasons.append(Reason(feature=name, label_nb=label, effect=round(effect, 4), text_nb=text))
    reasons.sort(key=lambda r: -abs(r.effect))
    return reasons
