"""Feature matrices for the outcome models: person x municipality and household x municipality.

Rows are *pairs*: ``(person or household, municipality)``. Training uses one pair per person or
household (where it was settled); prediction uses every municipality for each, built in chunks so
15,000 households x 357 municipalities never sit in memory at once (``predict`` in model.py).

Three kinds of columns:

* the person's / household's own features (age, sex, education, experience, languages, special
  needs, unaccompanied minor, resettlement, household composition, the head's features, country
  group, settlement year);
* the municipality's indicators (every numeric column of municipalities.csv, population as a log)
  and its *learned effects*: an empirical-Bayes shrunken mean residual per municipality and outcome
  (``municipality_effects``), the latent quality the indicators do not show, learned from history;
* pair features that are domain knowledge, not a fitted formula: residents with the same country
  background per 1,000 (and its log), "this is the household's connection municipality", and
  "the service for this person's / household's special need exists here".

Nothing here knows a world's outcome formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import EDUCATION, GROUPS, INDICATORS, NEEDS, Households, Municipalities

#: Municipality indicator columns as the model sees them (population as log).
MUNI_COLUMNS = tuple("log_population" if c == "population" else c for c in INDICATORS)
EFFECT_COLUMNS = ("effect_work", "effect_stay")

PERSON_COLUMNS = (
    "age",
    "female",
    "education",
    *(f"education_{e}" for e in EDUCATION),
    "work_experience",
    "english",
    "norwegian",
    *(f"need_{n}" for n in NEEDS[1:]),
    "unaccompanied_minor",
    "is_head",
    *(f"group_{g}" for g in GROUPS),
)
HOUSEHOLD_COLUMNS = (
    "resettlement",
    "household_size",
    "children",
    "young_children",
    "adults",
    "single_adult",
    "single_parent",
    "household_um",
    "household_need",
    "head_age",
    "head_female",
    "head_education",
    "has_connection",
    "year",
)
PAIR_COLUMNS = ("diaspora_same_group", "log_diaspora_same_group", "connection_here", "need_served_here")

WORK_COLUMNS = PERSON_COLUMNS + HOUSEHOLD_COLUMNS + MUNI_COLUMNS + EFFECT_COLUMNS + PAIR_COLUMNS
STAY_COLUMNS = (
    tuple(f"head_{g}" for g in GROUPS)
    + ("head_experience", "head_norwegian", "head_english", "eligible_members")
    + HOUSEHOLD_COLUMNS
    + MUNI_COLUMNS
    + EFFECT_COLUMNS
    + PAIR_COLUMNS
)


@dataclass
class Base:
    """Per-person, per-household and per-municipality blocks, computed once per table."""

    person: np.ndarray  # (np, len(PERSON_COLUMNS) + len(HOUSEHOLD_COLUMNS))
    household: np.ndarray  # (nh, len(STAY_COLUMNS) before the municipality blocks)
    muni: np.ndarray  # (M, len(MUNI_COLUMNS))
    p_group: np.ndarray
    p_need: np.ndarray
    h_group: np.ndarray  # head's country group
    h_conn: np.ndarray
    h_need_types: np.ndarray  # (nh, 4) bool
    p_hh: np.ndarray
    diaspora: np.ndarray  # (M, groups)
    service: np.ndarray  # (M, needs)


def municipality_block(munis: Municipalities) -> np.ndarray:
    cols = []
    for c in INDICATORS:
        v = munis.columns[c].astype(float)
        cols.append(np.log(np.maximum(v, 1.0)) if c == "population" else v)
    return np.stack(cols, axis=1)


def heads(hh: Households) -> np.ndarray:
    """Row of each household's head: its oldest member (the first listed on ties)."""
    order = np.lexsort((np.arange(hh.np), -hh.p_age, hh.p_hh))
    first = np.ones(hh.np, bool)
    first[1:] = hh.p_hh[order][1:] != hh.p_hh[order][:-1]
    out = np.empty(hh.nh, int)
    out[hh.p_hh[order][first]] = order[first]
    return out


def base(hh: Households, munis: Municipalities, year: float | None = None) -> Base:
    """The blocks for ``hh``; ``year`` replaces every household's year (predicting the batch at the
    latest level the model knows)."""
    nh = hh.nh
    cnt = lambda w: np.bincount(hh.p_hh, weights=w.astype(float), minlength=nh)  # noqa: E731
    adult = hh.p_age >= 18
    children = cnt(hh.p_child)
    young = cnt(hh.p_age < 6)
    adults = cnt(adult)
    head = heads(hh)
    is_head = np.zeros(hh.np)
    is_head[head] = 1.0
    years = np.full(nh, float(year)) if year is not None else hh.h_year.astype(float)
    hhcols = np.stack(
        [
            hh.h_resettlement.astype(float),
            hh.h_size,
            children,
            young,
            adults,
            ((adults == 1) & (children == 0)).astype(float),
            ((adults == 1) & (children > 0)).astype(float),
            hh.h_um.astype(float),
            hh.h_need_types.any(axis=1).astype(float),
            hh.p_age[head],
            hh.p_female[head],
            hh.p_edu[head].astype(float),
            (hh.h_conn >= 0).astype(float),
            years,
        ],
        axis=1,
    )
    pcols = np.column_stack(
        [
            hh.p_age,
            hh.p_female,
            hh.p_edu.astype(float),
            np.eye(len(EDUCATION))[hh.p_edu],
            hh.p_exp,
            hh.p_english,
            hh.p_norwegian,
            np.eye(len(NEEDS))[hh.p_need][:, 1:],
            hh.p_um.astype(float),
            is_head,
            np.eye(len(GROUPS))[hh.p_group],
        ]
    )
    person = np.hstack([pcols, hhcols[hh.p_hh]])
    h_group = hh.p_group[head]
    household = np.column_stack(
        [
            np.eye(len(GROUPS))[h_group],
            hh.p_exp[head],
            hh.p_norwegian[head],
            hh.p_english[head],
            cnt(hh.p_eligible),
            hhcols,
        ]
    )
    return Base(
        person=person.astype(np.float32),
        household=household.astype(np.float32),
        muni=municipality_block(munis).astype(np.float32),
        p_group=hh.p_group,
        p_need=hh.p_need,
        h_group=h_group,
        h_conn=hh.h_conn,
        h_need_types=hh.h_need_types,
        p_hh=hh.p_hh,
        diaspora=munis.diaspora.astype(np.float32),
        service=munis.service.astype(np.float32),
    )


def _pairs(b: Base, group: np.ndarray, h: np.ndarray, m: np.ndarray, served: np.ndarray) -> np.ndarray:
    dia = b.diaspora[m, group]
    return np.column_stack([dia, np.log1p(dia), (b.h_conn[h] == m).astype(np.float32), served]).astype(np.float32)


def work_rows(b: Base, p: np.ndarray, m: np.ndarray, effects: np.ndarray) -> np.ndarray:
    """Rows for persons ``p`` at municipalities ``m`` (same length); ``effects`` (n, 2) per row."""
    eff = effects
    served = b.service[m, b.p_need[p]]
    return np.hstack([b.person[p], b.muni[m], eff.astype(np.float32), _pairs(b, b.p_group[p], b.p_hh[p], m, served)])


def stay_rows(b: Base, h: np.ndarray, m: np.ndarray, effects: np.ndarray) -> np.ndarray:
    """Rows for households ``h`` at municipalities ``m``; a household's need is served where every
    need type present has its service."""
    eff = effects
    nt = b.h_need_types[h]
    served = np.all(~nt[:, 1:] | (b.service[m][:, 1:] > 0), axis=1).astype(np.float32)
    return np.hstack([b.household[h], b.muni[m], eff.astype(np.float32), _pairs(b, b.h_group[h], h, m, served)])


def municipality_effects(
    resid: np.ndarray, m: np.ndarray, n_munis: int, fold: np.ndarray | None = None, k: int = 0
) -> np.ndarray:
    """Empirical-Bayes shrunken mean residual per municipality (M,).

    ``resid`` are outcome minus a municipality-blind model's prediction, ``m`` the municipality of
    each. With ``fold``, only rows outside fold ``k`` count (out-of-fold, so a learner never sees
    its own outcome in the feature). The shrinkage weight n / (n + λ) uses λ = σ² / τ², σ² the
    within-municipality residual variance and τ² the between-municipality variance of the true
    effects (method of moments, floored so a world without effects gives near-zero effects).
    """
    keep = np.ones(len(resid), bool) if fold is None else fold != k
    r, mm = resid[keep], m[keep]
    n = np.bincount(mm, minlength=n_munis).astype(float)
    s = np.bincount(mm, weights=r, minlength=n_munis)
    sigma2 = float(np.var(r)) if len(r) else 1.0
    has = n > 0
    if not has.any():
        return np.zeros(n_munis)
    means = s[has] / n[has]
    tau2 = float(np.average(means**2, weights=n[has]) - sigma2 * has.sum() / max(n[has].sum(), 1.0))
    tau2 = max(tau2, 1e-6)
    lam = sigma2 / tau2
    return s / (n + lam)
