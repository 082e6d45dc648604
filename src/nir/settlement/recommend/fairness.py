"""Who gains and who loses: predicted outcomes by group under an assignment, against
capacity-proportional random assignment (issue 18, «Be fair and show it»).

For every person aged 16-64: the model's P(work or education after 2 years) at the municipality
the assignment gives the household, and the joint P(work) x P(stay). Means by sex, age group
(16-24, 25-49, 50-64), country group, education, special needs and household type (single adult,
single parent, couple/family, unaccompanied minor) are set against the mean over ``seeds`` random
assignments; a group whose mean P(work) falls more than ``tolerance`` (2 points) below random is
flagged and the report fails.

A family is never scored by its most employable member: the assignment's value of a household is
the SUM over all its members aged 16-64 of P(work), times P(stay) (model.HouseholdValues.joint),
so every adult's chance counts, women's and young people's as much as the main earner's.

The random baseline: connection households first (they have no choice), then special-needs
households, then by size (largest first, ties at random); each household draws a free place it
fits, with probability proportional to the remaining places.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import optimise
from .data import EDUCATION, GROUPS, Capacity, Households, Municipalities

TOLERANCE = 0.02
HOUSEHOLD_VALUE = (
    "sum over the household's members aged 16-64 of P(work or education), times P(stay): every "
    "member counts, a family is not scored by its most employable member"
)


def random_assignment(
    hh: Households, capacity: Capacity, allowed: np.ndarray, must: np.ndarray, seed: int
) -> np.ndarray | None:
    """One capacity-proportional random assignment (None if the draw runs out of places)."""
    rng = np.random.default_rng(seed)
    rp, ru = capacity.places.astype(float).copy(), capacity.um_places.astype(float).copy()
    order = np.lexsort((rng.random(hh.nh), -hh.h_size, ~hh.h_need_types.any(axis=1), must < 0))
    out = np.full(hh.nh, -1)
    for h in order:
        cap = ru if hh.h_um[h] else rp
        ok = allowed[h] & (cap >= hh.h_size[h])
        if not ok.any():
            return None
        w = np.where(ok, cap, 0.0)
        m = int(rng.choice(len(w), p=w / w.sum()))
        out[h] = m
        cap[m] -= hh.h_size[h]
    return out


def person_groups(hh: Households) -> dict[str, np.ndarray]:
    """Masks over the eligible persons (rows of ``np.flatnonzero(hh.p_eligible)``)."""
    e = np.flatnonzero(hh.p_eligible)
    age = hh.p_age[e]
    adults = np.bincount(hh.p_hh, weights=(hh.p_age >= 18).astype(float), minlength=hh.nh)
    children = np.bincount(hh.p_hh, weights=hh.p_child.astype(float), minlength=hh.nh)
    hh_of = hh.p_hh[e]
    um = hh.h_um[hh_of]
    single = (adults == 1)[hh_of] & ~um
    g: dict[str, np.ndarray] = {
        "sex=F": hh.p_female[e] == 1,
        "sex=M": hh.p_female[e] == 0,
        "age=16-24": age <= 24,
        "age=25-49": (age >= 25) & (age <= 49),
        "age=50-64": age >= 50,
    }
    for k, name in enumerate(GROUPS):
        g[f"country_group={name}"] = hh.p_group[e] == k
    for k, name in enumerate(EDUCATION):
        g[f"education={name}"] = hh.p_edu[e] == k
    g["special_needs=yes"] = hh.p_need[e] > 0
    g["special_needs=no"] = hh.p_need[e] == 0
    g["household=single_adult"] = single & (children == 0)[hh_of]
    g["household=single_parent"] = single & (children > 0)[hh_of]
    g["household=couple_or_family"] = ~single & ~um
    g["household=unaccompanied_minor"] = um
    return g


def fairness_report(
    hh: Households,
    munis: Municipalities,
    capacity: Capacity,
    model_or_values: Any,
    assign: np.ndarray,
    *,
    seeds: int = 10,
    tolerance: float = TOLERANCE,
) -> dict[str, Any]:
    """Predicted mean P(work) and joint by group under ``assign`` vs random (see the module doc).

    ``model_or_values``: a RecommendationModel (person-level predictions) or HouseholdValues (then a
    person's P(work) is the household's expected number in work divided by its members 16-64).
    """
    assign = np.asarray(assign, int)
    if assign.shape != (hh.nh,) or (assign < 0).any() or (assign >= munis.n).any():
        raise ValueError("assign must give every household a municipality row")
    e = np.flatnonzero(hh.p_eligible)
    hh_of = hh.p_hh[e]
    if hasattr(model_or_values, "person_probabilities"):
        pw, stay = model_or_values.person_probabilities(hh, munis)
    else:
        n_el = np.bincount(hh.p_hh, weights=hh.p_eligible.astype(float), minlength=hh.nh)
        pw = model_or_values.work[hh_of] / np.maximum(n_el[hh_of], 1)[:, None]
        stay = model_or_values.stay
    _, allowed, must = optimise.allowed_pairs(hh, munis, capacity)
    randoms = []
    s = 0
    while len(randoms) < seeds and s < seeds * 5:
        r = random_assignment(hh, capacity, allowed, must, 1000 + s)
        s += 1
        if r is not None:
            randoms.append(r)
    if not randoms:
        raise ValueError("capacity-proportional random assignment finds no feasible draw for this batch")

    def outcome(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = pw[np.arange(len(e)), a[hh_of]]
        return w, w * stay[hh_of, a[hh_of]]

    w_a, j_a = outcome(assign)
    rw = [outcome(r) for r in randoms]
    w_r = np.mean([x[0] for x in rw], axis=0)
    j_r = np.mean([x[1] for x in rw], axis=0)
    groups = {}
    flagged = []
    for name, mask in person_groups(hh).items():
        if not mask.any():
            continue
        row = {
            "n": int(mask.sum()),
            "work": round(float(w_a[mask].mean()), 4),
            "work_random": round(float(w_r[mask].mean()), 4),
            "joint": round(float(j_a[mask].mean()), 4),
            "joint_random": round(float(j_r[mask].mean()), 4),
        }
        row["work_difference"] = round(row["work"] - row["work_random"], 4)
        groups[name] = row
        if w_a[mask].mean() < w_r[mask].mean() - tolerance:
            flagged.append(name)
    return {
        "tolerance": tolerance,
        "random_seeds": len(randoms),
        "persons_16_64": int(len(e)),
        "totals": {
            "work": round(float(w_a.sum()), 1),
            "work_random": round(float(w_r.sum()), 1),
            "joint": round(float(j_a.sum()), 1),
            "joint_random": round(float(j_r.sum()), 1),
        },
        "groups": groups,
        "flagged": flagged,
        "passed": not flagged,
        "household_value": HOUSEHOLD_VALUE,
    }


def latest_year_report(
    model: Any,
    history: Households,
    munis: Municipalities,
    *,
    sample: int = 1500,
    seed: int = 0,
    slack: float = 1.1,
    tolerance: float = TOLERANCE,
) -> dict[str, Any]:
    """The model card's fairness figures, from the history itself: a sample of the latest training
    year's households, assigned by the optimiser on the model's joint values under that year's own
    places (the persons each municipality settled from the sample, plus ``slack``; UM places apart),
    against capacity-proportional random assignment under the same places (``fairness_report``).
    Where the households' connections cannot all be honoured within those places, they are assigned
    without them and the report says so."""
    year = int(history.h_year.max())
    rows = np.flatnonzero(history.h_year == year)
    rng = np.random.default_rng(seed)
    if len(rows) > sample:
        rows = np.sort(rng.choice(rows, sample, replace=False))
    records = [history.records[int(i)] for i in rows]
    settled = history.h_settled[rows]
    size, um = history.h_size[rows], history.h_um[rows]
    places = np.ceil(slack * np.bincount(settled[~um], weights=size[~um], minlength=munis.n))
    um_places = np.ceil(slack * np.bincount(settled[um], weights=size[um], minlength=munis.n))
    capacity = Capacity(places=places, um_places=um_places, accepts_special_needs=(places + um_places) > 0)
    hh = Households(records, munis)
    connections = "kept"
    try:
        problem = optimise.problem(hh, munis, capacity)
    except optimise.InfeasibleError:
        records = [{**r, "connection_municipality": None} for r in records]
        hh = Households(records, munis)
        connections = "left out (they did not fit that year's places)"
        _, allowed, _ = optimise.allowed_pairs(hh, munis, capacity)
        fits = allowed.any(axis=1)
        if not fits.all():  # a special need no municipality of that year serves: not assignable
            records = [r for r, ok in zip(records, fits, strict=True) if ok]
            hh = Households(records, munis)
        problem = optimise.problem(hh, munis, capacity)
    values = model.predict(hh, munis)
    result = optimise.assign_batch(problem, values.joint, time_limit=120)
    report = fairness_report(hh, munis, capacity, model, result.assign, tolerance=tolerance)
    report["basis"] = {
        "year": year,
        "households": hh.nh,
        "places": "the persons each municipality settled from these households that year, +"
        f"{round(100 * (slack - 1))} %",
        "connections": connections,
        "gap_to_lp_percent": round(float(result.gap_percent), 4),
    }
    return report
