"""Assignment: the hard constraints, the batch optimum with its LP bound, and one case at a time.

The hard constraints of shared/settlement/formats.md are decided ONCE, in :func:`problem`, as a
household x municipality matrix ``allowed``:

1. every household goes to exactly one municipality, whole (one variable per allowed pair, one
   equality row per household);
2. capacity: persons of ordinary households within ``places``, of unaccompanied-minor (UM)
   households within ``um_places`` (two inequality rows per municipality);
3. special needs only where the municipality accepts them and has the service of every need type;
4. a connection (tilknytning) is honoured whenever the connection municipality is eligible (the
   household fits its places and its needs are accepted and served): then it is the household's only
   allowed municipality (``must``). Otherwise the household may go elsewhere and
   :meth:`Problem.override_reasons` gives the true reasons.

The batch (:func:`assign_batch`) is the LP relaxation solved by HiGHS (``scipy.optimize.linprog``)
over the allowed pairs only, then made integral: households the LP leaves whole keep their
municipality, the fractional ones are placed by a MIP (``scipy.optimize.milp``) within the capacity
left, with a greedy fallback that makes room by moving smaller households; a last pass of improving
moves. The LP optimum is an upper bound on every integral assignment, so ``gap_percent`` proves how
near the optimum the result is. The capacity rows' duals are the shadow prices of a place.

One case at a time (:func:`assign_one_at_a_time`, :func:`rank_one`): in the spirit of Annie MOORE's
dynamic matching (Ahani et al. 2024), a case that becomes ready goes to the allowed municipality with
room that maximises value − size · dual. The duals never come from the future cases: they are the LP
duals of a forecast of the arrivals still to come (the cases seen so far, weighted up to the number
still expected) against the capacity left, re-solved as the year goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .data import NEED_SERVICE, NEEDS, Capacity, Households, Municipalities

#: Norwegian labels of the services behind the need types (for ``Problem.excluded``).
SERVICE_NB = {
    "mobility": "tilrettelagt bolig",
    "mental": "psykisk helsehjelp",
    "other": "spesialisthelsetjeneste",
}


#: Households in the sample that prices the places before a large batch's LP.
SAMPLE = 1500


class InfeasibleError(ValueError):
    """The constraints cannot all hold (a household with no allowed municipality, or connection
    households that do not fit their municipality together); the message says which."""


@dataclass
class Problem:
    """The hard constraints of one batch, decided once."""

    hh: Households
    munis: Municipalities
    capacity: Capacity
    allowed: np.ndarray  # (nh, M) bool
    must: np.ndarray  # (nh,) municipality row the household must go to, or -1
    eligible: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0), bool))  # before connection

    @property
    def nh(self) -> int:
        return self.hh.nh

    @property
    def size(self) -> np.ndarray:
        return self.hh.h_size

    @property
    def um(self) -> np.ndarray:
        return self.hh.h_um

    def override_reasons(self, h: int) -> list[str]:
        """Every true reason why household h's connection municipality cannot take it (empty when it
        has no connection or the connection is eligible, i.e. must be honoured)."""
        c = int(self.hh.h_conn[h])
        if c < 0:
            return []
        size = self.hh.h_size[h]
        out = []
        if self.hh.h_um[h]:
            if self.capacity.um_places[c] < size:
                out.append("no_um_places")
        elif self.capacity.places[c] < size:
            out.append("no_places")
        needs = self.hh.h_need_types[h]
        if needs.any():
            if not self.capacity.accepts_special_needs[c]:
                out.append("special_needs_not_accepted")
            if any(needs[k] and self.munis.service[c, k] <= 0 for k in range(1, len(NEEDS))):
                out.append("service_missing")
        return out

    def excluded(self, h: int) -> dict[int, str]:
        """Municipality row -> why household h may not go there (bokmål), for every excluded row."""
        out: dict[int, str] = {}
        size = int(self.hh.h_size[h])
        m_must = int(self.must[h])
        um = bool(self.hh.h_um[h])
        cap = self.capacity.um_places if um else self.capacity.places
        needs = [NEEDS[k] for k in range(1, len(NEEDS)) if self.hh.h_need_types[h, k]]
        for m in np.flatnonzero(~self.allowed[h]):
            why = []
            if cap[m] < size:
                kind = "EM-plasser" if um else "plasser"
                why.append(f"for få {kind} ({int(cap[m])}, husstanden har {size} personer)")
            if needs and not self.capacity.accepts_special_needs[m]:
                why.append("tar ikke imot særlige behov")
            missing = [SERVICE_NB[n] for n in needs if self.munis.service[m, NEEDS.index(n)] <= 0]
            if needs and missing:
                why.append("mangler " + " og ".join(missing))
            if not why and m_must >= 0:
                why.append(f"husstanden har tilknytning til {self.munis.names[m_must]}, som kan ta imot den")
            out[int(m)] = "; ".join(why)
        return out

    def check(self, assign: np.ndarray) -> list[str]:
        """Every hard-constraint violation of ``assign`` (municipality row per household), in words.
        Independent of ``allowed``: recomputed from the tables, so a wrong ``allowed`` is caught."""
        hh, cap, munis = self.hh, self.capacity, self.munis
        out = []
        assign = np.asarray(assign)
        if assign.shape != (hh.nh,):
            return [f"assignment has {assign.shape} rows, households {hh.nh}"]
        bad = np.flatnonzero((assign < 0) | (assign >= munis.n))
        out += [f"{hh.ids[h]}: not assigned" for h in bad]
        if len(bad):
            return out
        um = hh.h_um
        used = np.bincount(assign[~um], weights=hh.h_size[~um], minlength=munis.n)
        used_um = np.bincount(assign[um], weights=hh.h_size[um], minlength=munis.n)
        out += [
            f"capacity: {munis.numbers[m]} {int(used[m])} > {int(cap.places[m])}"
            for m in np.flatnonzero(used > cap.places)
        ]
        out += [
            f"UM capacity: {munis.numbers[m]} {int(used_um[m])} > {int(cap.um_places[m])}"
            for m in np.flatnonzero(used_um > cap.um_places)
        ]
        for h in np.flatnonzero(hh.h_need_types.any(axis=1)):
            m = assign[h]
            if not cap.accepts_special_needs[m]:
                out.append(f"special needs: {hh.ids[h]} to {munis.numbers[m]}, which does not accept them")
            for k in range(1, len(NEEDS)):
                if hh.h_need_types[h, k] and munis.service[m, k] <= 0:
                    out.append(f"special needs: {hh.ids[h]} to {munis.numbers[m]} without {NEED_SERVICE[NEEDS[k]]}")
        for h in np.flatnonzero(hh.h_conn >= 0):
            if assign[h] != hh.h_conn[h] and not self.override_reasons(int(h)):
                out.append(f"connection: {hh.ids[h]} not placed in {munis.numbers[hh.h_conn[h]]}, which can take it")
        return out


def allowed_pairs(
    hh: Households, munis: Municipalities, capacity: Capacity
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hard constraints of formats.md as matrices, written once (the batch, one case at a time and
    the fairness report's random baseline all use them): ``eligible`` (nh, M) — the household's persons
    fit the places (UM places for an unaccompanied minor's household) and, with a special need, the
    municipality accepts special needs and has the service of every need type; ``must`` (nh,) — the
    connection municipality when it is eligible, else -1; ``allowed`` — ``eligible``, but only ``must``
    for a household that must go there."""
    size = hh.h_size
    cap = np.where(hh.h_um[:, None], capacity.um_places[None, :], capacity.places[None, :])
    eligible = cap >= size[:, None]
    needs = hh.h_need_types
    has_need = needs.any(axis=1)
    if has_need.any():
        served: np.ndarray = np.ones((hh.nh, munis.n), bool)
        for k in range(1, len(NEEDS)):
            served &= ~needs[:, k : k + 1] | (munis.service[None, :, k] > 0)
        eligible &= ~has_need[:, None] | (served & capacity.accepts_special_needs[None, :].astype(bool))
    must = np.full(hh.nh, -1)
    conn = np.flatnonzero(hh.h_conn >= 0)
    ok = eligible[conn, hh.h_conn[conn]]
    must[conn[ok]] = hh.h_conn[conn[ok]]
    allowed = eligible.copy()
    fixed = np.flatnonzero(must >= 0)
    allowed[fixed] = False
    allowed[fixed, must[fixed]] = True
    return eligible, allowed, must


def problem(hh: Households, munis: Municipalities, capacity: Capacity) -> Problem:
    """Decide the hard constraints of a batch once; InfeasibleError when they cannot all hold."""
    size = hh.h_size
    eligible, allowed, must = allowed_pairs(hh, munis, capacity)
    p = Problem(hh=hh, munis=munis, capacity=capacity, allowed=allowed, must=must, eligible=eligible)
    none = np.flatnonzero(~allowed.any(axis=1))
    if len(none):
        raise InfeasibleError(
            f"{len(none)} households fit no municipality (for example {hh.ids[none[0]]}, "
            f"{int(size[none[0]])} persons): too few places or no municipality serves their needs"
        )
    left_p, left_u = _left_after(p, must, must >= 0)
    for name, left in (("places", left_p), ("um_places", left_u)):
        over = np.flatnonzero(left < 0)
        if len(over):
            raise InfeasibleError(
                f"the households with a connection to {munis.numbers[over[0]]} need more {name} than it has "
                f"({int(-left[over[0]])} too few)"
            )
    return p


# ----------------------------------------------------------------------------------------------
# Batch
# ----------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    assign: np.ndarray  # (nh,) municipality row
    value: float  # sum of values at the assignment
    lp_bound: float  # LP relaxation optimum: no assignment does better
    gap_percent: float  # 100 (lp_bound - value) / |lp_bound|
    duals_places: np.ndarray  # (M,) shadow price of one place (value per person)
    duals_um: np.ndarray  # (M,) shadow price of one UM place
    seconds: float
    info: dict[str, object] = field(default_factory=dict)


def _left_after(p: Problem, assign: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Places and UM places left once the households ``keep`` are at ``assign``."""
    M = p.munis.n
    um = p.hh.h_um
    a, b = keep & ~um, keep & um
    used = np.bincount(assign[a], weights=p.size[a], minlength=M)
    used_um = np.bincount(assign[b], weights=p.size[b], minlength=M)
    return p.capacity.places - used, p.capacity.um_places - used_um


def _lp(
    values: np.ndarray,
    allowed: np.ndarray,
    size: np.ndarray,
    um: np.ndarray,
    places: np.ndarray,
    um_places: np.ndarray,
    count: np.ndarray | None = None,
    slack_value: float | None = None,
    time_limit: float = 300,
) -> tuple[object, np.ndarray, np.ndarray]:
    """max Σ v·x over allowed pairs, Σ_m x_hm = count_h, capacity rows; x ≥ 0. With ``slack_value``
    every household also has an "unplaced" column of that value, so the LP is always feasible."""
    M = allowed.shape[1]
    hs, ms = np.nonzero(allowed)
    n_h = allowed.shape[0]
    count = np.ones(n_h) if count is None else count
    cost = -values[hs, ms]
    n = len(hs)
    cols = np.arange(n)
    rows_eq, cols_eq = hs, cols
    upper = count[hs]
    if slack_value is not None:
        cost = np.concatenate([cost, np.full(n_h, -slack_value)])
        rows_eq = np.concatenate([hs, np.arange(n_h)])
        cols_eq = np.concatenate([cols, n + np.arange(n_h)])
        upper = np.concatenate([upper, count])
    A_eq = sparse.csr_matrix((np.ones(len(rows_eq)), (rows_eq, cols_eq)), shape=(n_h, len(cost)))
    rows_ub = np.where(um[hs], M + ms, ms)
    A_ub = sparse.csr_matrix((size[hs], (rows_ub, cols)), shape=(2 * M, len(cost)))
    res = linprog(
        cost,
        A_ub=A_ub,
        b_ub=np.concatenate([places, um_places]),
        A_eq=A_eq,
        b_eq=count,
        bounds=np.stack([np.zeros(len(cost)), upper], axis=1),
        method="highs",
        options={"time_limit": time_limit},
    )
    return res, hs, ms


def _duals(res: object, M: int) -> tuple[np.ndarray, np.ndarray]:
    marg = -np.asarray(res.ineqlin.marginals)  # type: ignore[attr-defined]  # ≥ 0: value of one more place
    marg = np.maximum(marg, 0.0)
    return marg[:M].copy(), marg[M:].copy()


def _sub_mip(
    p: Problem,
    values: np.ndarray,
    S: np.ndarray,
    left_p: np.ndarray,
    left_u: np.ndarray,
    time_limit: float,
) -> np.ndarray | None:
    """Place households S (all of them) at allowed municipalities within the places left; None when
    the MIP finds no integral solution in time."""
    M = p.munis.n
    fh, fm = np.nonzero(p.allowed[S])
    k = len(fh)
    c = np.arange(k)
    A_eq = sparse.csr_matrix((np.ones(k), (fh, c)), shape=(len(S), k))
    rows = np.where(p.um[S][fh], M + fm, fm)
    A_ub = sparse.csr_matrix((p.size[S][fh], (rows, c)), shape=(2 * M, k))
    r = milp(
        -values[S][fh, fm],
        integrality=np.ones(k),
        bounds=Bounds(0, 1),
        constraints=[
            LinearConstraint(A_eq, 1, 1),
            LinearConstraint(A_ub, -np.inf, np.concatenate([left_p, left_u])),
        ],
        options={"time_limit": max(1.0, time_limit), "mip_rel_gap": 1e-6},
    )
    if r.x is None:
        return None
    pick = r.x > 0.5
    out = np.full(len(S), -1)
    out[fh[pick]] = fm[pick]
    return out if (out >= 0).all() else None


def _place_greedy(p: Problem, values: np.ndarray, assign: np.ndarray, queue: list[int]) -> None:
    """Fallback: place the households in ``queue`` (largest first) at their best allowed municipality
    with room; where none has room, take the smallest movable households out of the allowed
    municipality nearest to fitting and queue them again."""
    left_p, left_u = _left_after(p, assign, assign >= 0)
    steps = 0
    while queue:
        steps += 1
        if steps > 50 * p.nh + 100:
            raise InfeasibleError("no integral assignment found: the places are too tight")
        queue.sort(key=lambda g: -p.size[g])
        h = queue.pop(0)
        left = left_u if p.um[h] else left_p
        room = p.allowed[h] & (left >= p.size[h])
        if room.any():
            m = int(np.argmax(np.where(room, values[h], -np.inf)))
        else:
            short = np.where(p.allowed[h], p.size[h] - left, np.inf)
            m = int(np.argmin(short))
            inside = np.flatnonzero((assign == m) & (p.must < 0) & (p.um == p.um[h]) & (p.size < p.size[h]))
            inside = inside[np.argsort(p.size[inside])]
            for g in inside:
                if left[m] >= p.size[h]:
                    break
                assign[g] = -1
                left[m] += p.size[g]
                queue.append(int(g))
            if left[m] < p.size[h]:
                raise InfeasibleError(f"no room for household {p.hh.ids[h]} in any allowed municipality")
        assign[h] = m
        left[m] -= p.size[h]


def _improve(p: Problem, values: np.ndarray, assign: np.ndarray, rounds: int = 20) -> int:
    """Improving moves: a household moves to an allowed municipality with room if its value rises."""
    moves = 0
    free = np.flatnonzero(p.must < 0)
    for _ in range(rounds):
        left_p, left_u = _left_after(p, assign, np.ones(p.nh, bool))
        changed = 0
        for h in free:
            left = left_u if p.um[h] else left_p
            room = p.allowed[h] & (left >= p.size[h])
            room[assign[h]] = False
            if not room.any():
                continue
            m = int(np.argmax(np.where(room, values[h], -np.inf)))
            if values[h, m] > values[h, assign[h]] + 1e-9:
                left[assign[h]] += p.size[h]
                left[m] -= p.size[h]
                assign[h] = m
                changed += 1
        changed += _swaps(p, values, assign)
        moves += changed
        if not changed:
            break
    return moves


def _swaps(p: Problem, values: np.ndarray, assign: np.ndarray) -> int:
    """Two free households of the same kind (UM or not) trade municipalities when the sum of their
    values rises, both are allowed at the other's, and both municipalities keep within places."""
    left_p, left_u = _left_after(p, assign, np.ones(p.nh, bool))
    free = p.must < 0
    n = 0
    for h in np.flatnonzero(free):
        a = assign[h]
        left = left_u if p.um[h] else left_p
        g = np.flatnonzero(free & (p.um == p.um[h]) & (assign != a))
        if not len(g):
            continue
        b = assign[g]
        gain = values[h, b] + values[g, a] - values[h, a] - values[g, b]
        ok = (
            (gain > 1e-9)
            & p.allowed[h, b]
            & p.allowed[g, a]
            & (left[b] + p.size[g] - p.size[h] >= 0)
            & (left[a] + p.size[h] - p.size[g] >= 0)
        )
        if not ok.any():
            continue
        k = int(np.argmax(np.where(ok, gain, -np.inf)))
        gg, bb = int(g[k]), int(b[k])
        left[a] += p.size[h] - p.size[gg]
        left[bb] += p.size[gg] - p.size[h]
        assign[h], assign[gg] = bb, a
        n += 1
    return n


def _lp_by_columns(
    p: Problem, values: np.ndarray, start_columns: int | None, time_limit: float, add_columns: int = 10
) -> tuple[object, np.ndarray, np.ndarray, np.ndarray, int]:
    """The batch's LP relaxation over all allowed pairs, by column generation: start with each
    household's ``start_columns`` most valuable allowed municipalities (and an "unplaced" column at
    a prohibitive loss, so every restricted LP is feasible), then add every pair whose reduced cost
    says it would improve the LP, until none does. The result is the optimum of the full LP (no
    allowed pair has a positive reduced cost), in a fraction of the time and memory. Returns the
    result, the pairs (hs, ms), the pair values x and the number of LPs solved."""
    M = p.munis.n
    args = (p.size, p.um, p.capacity.places, p.capacity.um_places)
    if start_columns is None or start_columns >= M:
        res, hs, ms = _lp(values, p.allowed, *args, time_limit=time_limit)
        return res, hs, ms, res.x, 1  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    score = np.where(p.allowed, values, -np.inf)
    top = np.argpartition(-score, start_columns - 1, axis=1)[:, :start_columns]
    cols = np.zeros_like(p.allowed)
    cols[np.arange(p.nh)[:, None], top] = True
    free = np.flatnonzero(p.must < 0)
    if len(free) > 4 * SAMPLE:
        # A large batch: the best pairs by value alone crowd into the same municipalities. Price the
        # places first on a sample standing for the whole batch (as one case at a time forecasts),
        # and start from the best pairs by value − size · price too.
        sample = np.random.default_rng(0).choice(free, size=SAMPLE, replace=False)
        left_p, left_u = _left_after(p, p.must, p.must >= 0)
        dp, du = forecast_duals(p, values, sample, len(free), left_p, left_u)
        priced = score - p.size[:, None] * np.where(p.um[:, None], du[None, :], dp[None, :])
        top = np.argpartition(-priced, start_columns - 1, axis=1)[:, :start_columns]
        cols[np.arange(p.nh)[:, None], top] = True
    cols &= p.allowed
    big = 1000.0 * float(np.abs(values[p.allowed]).max(initial=1.0)) + 1.0
    rounds = 0
    while True:
        rounds += 1
        left = max(1.0, time_limit - (time.perf_counter() - t0))
        res, hs, ms = _lp(values, cols, *args, slack_value=-big, time_limit=left)
        if res.status != 0:  # type: ignore[attr-defined]
            return res, hs, ms, np.zeros(len(hs)), rounds
        lam = np.asarray(res.eqlin.marginals)  # type: ignore[attr-defined]
        mu = np.asarray(res.ineqlin.marginals)  # type: ignore[attr-defined]
        price = np.where(p.um[:, None], mu[None, M:], mu[None, :M])
        reduced = -values - lam[:, None] - p.size[:, None] * price  # < 0: the pair would improve the LP
        better = p.allowed & ~cols & (reduced < -1e-9)
        # With these prices no household gains more than its most negative reduced cost, so the
        # full LP is at most this much above the restricted one (a Lagrangian bound): stop when
        # that is negligible, and report the bound itself.
        slack_in_use = res.x[len(hs) :].max(initial=0.0) > 1e-6  # type: ignore[attr-defined]
        gain = float(np.maximum(0.0, -np.where(better, reduced, 0.0).min(axis=1, initial=0.0)).sum())
        if not better.any() or (not slack_in_use and gain <= 1e-6 * max(1.0, abs(float(res.fun)))):  # type: ignore[attr-defined]
            res.fun = float(res.fun) - gain  # type: ignore[attr-defined]
            break
        # each household's few most improving pairs: enough to converge in a few rounds without
        # flooding the LP with pairs the next prices would not want
        k = min(add_columns, M)
        worst = np.argpartition(np.where(better, reduced, np.inf), k - 1, axis=1)[:, :k]
        add = np.zeros_like(cols)
        add[np.arange(p.nh)[:, None], worst] = True
        cols |= add & better
    x = res.x[: len(hs)]  # type: ignore[attr-defined]
    unplaced = res.x[len(hs) :]  # type: ignore[attr-defined]
    if unplaced.max(initial=0.0) > 1e-6:
        res.status, res.message = 2, "the places cannot take every household"  # type: ignore[attr-defined]
    return res, hs, ms, x, rounds


def assign_batch(
    problem: Problem, values: np.ndarray, *, time_limit: float = 300, start_columns: int | None = 40
) -> BatchResult:
    """The best assignment of the whole batch under the hard constraints, with the LP bound.
    ``start_columns``: pairs per household the LP starts from (None: all allowed pairs at once)."""
    t0 = time.perf_counter()
    p = problem
    values = np.asarray(values, float)
    if values.shape != p.allowed.shape:
        raise ValueError(f"values are {values.shape}, the problem is {p.allowed.shape}")
    M = p.munis.n
    res, hs, ms, x, rounds = _lp_by_columns(p, values, start_columns, time_limit)
    if res.status != 0:  # type: ignore[attr-defined]
        raise InfeasibleError(f"the LP relaxation is not solved: {res.message}")  # type: ignore[attr-defined]
    lp_bound = -float(res.fun)  # type: ignore[attr-defined]
    duals_p, duals_u = _duals(res, M)
    t_lp = time.perf_counter() - t0
    order = np.argsort(x, kind="stable")  # the largest x per household is written last and wins
    best = np.zeros(p.nh)
    arg = np.full(p.nh, -1)
    best[hs[order]] = x[order]
    arg[hs[order]] = ms[order]
    whole = best > 1 - 1e-6
    assign = np.where(whole, arg, -1)
    frac = np.flatnonzero(~whole)
    info: dict[str, object] = {
        "lp_seconds": round(t_lp, 2),
        "lp_rounds": rounds,
        "lp_columns": int(len(hs)),
        "fractional_households": int(len(frac)),
        "repair": "none",
    }
    if len(frac):
        left_p, left_u = _left_after(p, assign, whole)
        remaining = max(5.0, time_limit - (time.perf_counter() - t0))
        sub = _sub_mip(p, values, frac, left_p, left_u, min(60.0, remaining))
        if sub is not None:
            assign[frac] = sub
            info["repair"] = f"MIP over {len(frac)} fractional households"
        else:
            _place_greedy(p, values, assign, [int(h) for h in frac])
            info["repair"] = f"greedy with room-making over {len(frac)} fractional households"
    info["improving_moves"] = _improve(p, values, assign)
    value = float(values[np.arange(p.nh), assign].sum())
    gap = 100.0 * (lp_bound - value) / max(1e-9, abs(lp_bound))
    return BatchResult(
        assign=assign,
        value=value,
        lp_bound=lp_bound,
        gap_percent=max(0.0, gap),
        duals_places=duals_p,
        duals_um=duals_u,
        seconds=time.perf_counter() - t0,
        info=info,
    )


# ----------------------------------------------------------------------------------------------
# One case at a time
# ----------------------------------------------------------------------------------------------


def rank_one(
    problem: Problem,
    h: int,
    values_row: np.ndarray,
    places_left: np.ndarray,
    um_left: np.ndarray,
    duals_places: np.ndarray,
    duals_um: np.ndarray,
) -> list[int]:
    """Municipality rows for household h, best first by value − size · dual, among those it is
    allowed and still fits (a connection that must be honoured leaves that one only)."""
    p = problem
    um = bool(p.um[h])
    left = um_left if um else places_left
    duals = duals_um if um else duals_places
    room = p.allowed[h] & (left >= p.size[h])
    rows = np.flatnonzero(room)
    score = np.asarray(values_row, float)[rows] - p.size[h] * np.asarray(duals, float)[rows]
    return [int(m) for m in rows[np.argsort(-score, kind="stable")]]


def ready_order(hh: Households) -> np.ndarray:
    """Households in ready-date order (ties by position), the order cases arrive in."""
    return np.array(sorted(range(hh.nh), key=lambda h: (hh.h_ready[h], h)), int)


def forecast_duals(
    problem: Problem,
    values: np.ndarray,
    seen: np.ndarray,
    expected: int,
    places_left: np.ndarray,
    um_left: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Duals of the capacity left, from a forecast of the arrivals still to come: the cases ``seen``
    so far (their values known), each standing for ``expected / len(seen)`` households to come (the
    expected mix of a resample, without its noise), solved as an LP against ``places_left`` and
    ``um_left``. Each forecast household may also stay unplaced at a large loss, so the forecast LP
    is always feasible and a scarce place gets a high price."""
    M = problem.munis.n
    if expected <= 0 or len(seen) == 0:
        return np.zeros(M), np.zeros(M)
    uniq = np.asarray(seen)
    count = np.full(len(uniq), expected / len(uniq))
    vals = values[uniq]
    scale = float(np.abs(vals[problem.allowed[uniq]]).max(initial=1.0))
    res, _, _ = _lp(
        vals,
        problem.allowed[uniq],
        problem.size[uniq],
        problem.um[uniq],
        np.maximum(places_left, 0),
        np.maximum(um_left, 0),
        count=count.astype(float),
        slack_value=-10.0 * scale,
    )
    if res.status != 0:  # type: ignore[attr-defined]
        return np.zeros(M), np.zeros(M)
    return _duals(res, M)


def assign_one_at_a_time(
    problem: Problem,
    values: np.ndarray,
    order: np.ndarray | None = None,
    *,
    resolve_every: int = 100,
    first_resolves: tuple[int, ...] = (1, 10, 30, 60),
) -> BatchResult:
    """Each case in turn (``order``, default ready-date order) gets its best municipality by
    :func:`rank_one`, with duals from :func:`forecast_duals` re-solved after the first few cases and
    then every ``resolve_every`` cases. Households whose connection must be honoured keep their place
    at the connection municipality (the promise is made when the connection is known), so nobody
    else takes it. Should a case find no room at all, earlier cases are moved to make room (counted
    in ``info["room_made"]``)."""
    t0 = time.perf_counter()
    p = problem
    values = np.asarray(values, float)
    order = ready_order(p.hh) if order is None else np.asarray(order, int)
    if sorted(order.tolist()) != list(range(p.nh)):
        raise ValueError("order must list every household once")
    M = p.munis.n
    is_must = p.must >= 0
    assign = p.must.copy()  # connection households hold their promised places from the start
    left_p, left_u = _left_after(p, assign, is_must)
    duals_p, duals_u = np.zeros(M), np.zeros(M)
    free_order = [int(h) for h in order if not is_must[h]]
    n_free = len(free_order)
    resolves = 0
    room_made = 0
    t_lp = 0.0
    for done, h in enumerate(free_order):
        if done in first_resolves or done == 0 or done % resolve_every == 0:
            seen = np.array(free_order[: done + 1])  # the cases seen so far, this one included
            t1 = time.perf_counter()
            duals_p, duals_u = forecast_duals(p, values, seen, n_free - done, left_p, left_u)
            t_lp += time.perf_counter() - t1
            resolves += 1
        ranked = rank_one(p, h, values[h], left_p, left_u, duals_p, duals_u)
        if ranked:
            m = ranked[0]
            assign[h] = m
            (left_u if p.um[h] else left_p)[m] -= p.size[h]
        else:
            _place_greedy(p, values, assign, [h])
            room_made += 1
            left_p, left_u = _left_after(p, assign, assign >= 0)
    value = float(values[np.arange(p.nh), assign].sum())
    return BatchResult(
        assign=assign,
        value=value,
        lp_bound=float("nan"),
        gap_percent=float("nan"),
        duals_places=duals_p,
        duals_um=duals_u,
        seconds=time.perf_counter() - t0,
        info={"resolves": resolves, "forecast_lp_seconds": round(t_lp, 2), "room_made": room_made},
    )
