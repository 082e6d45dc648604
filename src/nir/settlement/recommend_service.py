"""The recommendation for one settlement case, as IMDi's caseworker sees it (issue 18, rec-app).

    rec = case_recommendation(principal, "BS-2026-000001")
    rec.available          # False when no model is registered (rec.message says how to train one)
    rec.ranked             # the top municipalities allowed for the household, best first
    rec.excluded           # the municipalities the hard constraints exclude, and why
    rec.record()           # the ranked list as shown, for ``assignment.propose(recommendation=…)``

The ranking is consistent with deciding the whole batch at once (``optimise.rank_one``: value − size ·
dual price of the capacity it uses). The dual prices come from one batch solve over every case ready
today against today's free capacity; that solve, the model's value matrix and the households' arrays
are kept per *state* (the model version, today, and the count and newest row of every table that
changes the cases, the capacity or the municipality table), so one case renders from the cache and a
new case, capacity line, proposal, agreement or model is seen at the next request.

Inputs: ``recommend_source`` (the database as the engine's tables) and ``recommend_registry`` (the
current model). Access: only a principal who may assign in the case's area
(``nir.access.settlement.may_assign_in`` for the municipality the case belongs to); the caller audits
the read with the case number (``selectors.audit_cases``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Max
from django.utils import timezone

from nir.access.policy import AccessDenied, Permission, allows
from nir.access.settlement import assign_area, may_assign_in
from nir.settlement import selectors
from nir.settlement.models import (
    Agreement,
    CapacityLine,
    CaseDetails,
    CaseMember,
    CaseSettlement,
    IndicatorDataset,
    Proposal,
    ProposalAnswer,
    SettlementCase,
)
from nir.settlement.recommend.data import DataError

__all__ = [
    "TOP",
    "CaseRecommendation",
    "Excluded",
    "NotReady",
    "Ranked",
    "case_recommendation",
    "clear_cache",
    "top_names",
]

log = logging.getLogger(__name__)

TOP = 5  # municipalities shown per case
Z90 = 1.645  # the interval shown is the prediction ± 1.645 sd (90 % under a normal approximation)
OVERRIDE_TEXT = {  # optimise.Problem.override_reasons codes (formats.md) in bokmål
    "no_places": "tilknytningskommunen har ikke nok ledige plasser",
    "no_um_places": "tilknytningskommunen har ikke nok ledige plasser for enslige mindreårige",
    "special_needs_not_accepted": "tilknytningskommunen tar ikke imot særskilte behov",
    "service_missing": "tilknytningskommunen mangler tjenesten behovet krever",
}
UNAVAILABLE = "Anbefalingen kan ikke beregnes nå:"
NO_ROOM = "Ingen kommune kan ta imot husstanden i dag:"
TIGHT = (
    "Det er flere klare saker enn ledige plasser, så rangeringen tar ikke hensyn til de andre sakene "
    "(ingen skyggepriser fra samlet fordeling)."
)
TRAIN_HINT = (
    "Ingen anbefalingsmodell er registrert ennå. IMDi trener en modell fra registerets bosettinger med "
    "«nir settlement train» og registrerer den; se docs/settlement-recommendation.md."
)


class NotReady(Exception):
    """The case is not ready for settlement (proposed, agreed, settled or withdrawn): nothing to rank."""


@dataclass
class Ranked:
    rank: int
    number: str
    name: str
    work: float  # expected members 16–64 in work or education after two years
    work_low: float
    work_high: float
    stay: float  # P(the household still lives there after two years)
    stay_low: float
    stay_high: float
    joint: float  # Σ P(work_i)·P(stay): the objective
    joint_sd: float
    places_left: float
    um_places_left: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Excluded:
    number: str
    name: str
    reason: str


@dataclass
class CaseRecommendation:
    case: str
    available: bool
    message: str = ""
    model_version: str = ""
    ranked: list[Ranked] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    connection: str = ""  # the connection municipality's number, or ""
    connection_status: str = ""  # "none", "honoured" or "not_honoured"
    override_reasons: list[str] = field(default_factory=list)  # why the connection is not honoured

    @property
    def top(self) -> str:
        return self.ranked[0].number if self.ranked else ""

    def record(self) -> dict[str, Any]:
        """The recommendation as shown, to be stored with a proposal (``Proposal.recommendation``)."""
        return {
            "case": self.case,
            "model_version": self.model_version,
            "ranked": [
                {k: v for k, v in asdict(r).items() if k not in ("reasons",)}
                | {"reasons": [x.get("label", "") for x in r.reasons]}
                for r in self.ranked
            ],
            "connection": self.connection,
            "connection_status": self.connection_status,
        }


# --- the batch state, cached ---------------------------------------------------------------------------


@dataclass
class _Batch:
    key: tuple
    model: Any
    row: Any
    munis: Any
    capacity: Any
    hh: Any  # every ready household (rows: ``numbers``)
    problems: dict[int, tuple[Any, int]]  # household row -> (its Problem, its row there)
    values: Any  # HouseholdValues for hh
    duals_places: np.ndarray
    duals_um: np.ndarray
    numbers: dict[str, int]  # case number -> household row
    unplaceable: dict[str, str] = field(default_factory=dict)  # case number -> why no municipality fits
    tight: bool = False  # the batch could not place every ready case: no dual prices
    record_keys: list[str] = field(default_factory=list)  # per household row: a digest of its record
    reasons: dict[tuple, list[dict[str, Any]]] = field(default_factory=dict)  # the process-wide cache


_lock = threading.Lock()
_cache: dict[str, _Batch] = {}
_reasons_cache: dict[tuple, list[dict[str, Any]]] = {}

_STATE_TABLES = (
    CaseDetails,
    CaseMember,
    Proposal,
    ProposalAnswer,
    Agreement,
    CaseSettlement,
    CapacityLine,
    IndicatorDataset,
)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _reasons_cache.clear()


def _state_key(version: str, today: dt.date) -> tuple:
    """What the batch depends on: the model, today (proposal deadlines, capacity periods) and every table
    whose rows change the ready cases, the capacity or the municipalities (append-only: a change adds a
    row, so the count and the newest key change)."""
    parts: list[Any] = [version, today.isoformat()]
    for model in _STATE_TABLES:
        agg = model.objects.aggregate(n=Count("pk"), last=Max("pk"))
        parts.append((model.__name__, agg["n"], agg["last"]))
    return tuple(parts)


def _ready_cases(today: dt.date) -> list[SettlementCase]:
    details = selectors._with_status(CaseDetails.objects.current(), selectors.Status.READY, today)  # noqa: SLF001
    rows = details.select_related("case").order_by("ready_date", "case__number")
    return [d.case for d in rows]


def _problems(optimise, households, records, numbers, munis, capacity):
    """The hard constraints for the ready households: one problem for the batch solve, and for each
    household the problem (and its row there) it is ranked under. ``optimise.problem`` refuses a batch it
    cannot satisfy (``InfeasibleError``, a ``ValueError``): a household no municipality can take, or
    households with a connection to the same municipality that do not fit there together. Then the batch
    is the longest-waiting households that can be satisfied together (taken in ready order), and each
    other household is ranked under its own constraints alone; one that fits nowhere is said for its
    case (``unplaceable``)."""
    problems: dict[int, tuple[Any, int]] = {}
    unplaceable: dict[str, str] = {}
    if not records:
        return problems, None, unplaceable
    try:
        whole = optimise.problem(households(records, munis), munis, capacity)
    except ValueError:
        pass
    else:
        return {h: (whole, h) for h in range(len(records))}, whole, unplaceable
    alone: dict[int, Any] = {}
    for h, record in enumerate(records):
        try:
            alone[h] = optimise.problem(households([record], munis), munis, capacity)
        except ValueError as e:
            unplaceable[numbers[h]] = str(e)
    # households that fit alone can only conflict through a shared connection municipality: per
    # connection municipality, add them in ready order while they still fit together
    kept = [h for h in alone if not records[h].get("connection_municipality")]
    groups: dict[str, list[int]] = {}
    for h in alone:
        conn = records[h].get("connection_municipality")
        if not conn:
            continue
        group = groups.setdefault(str(conn), [])
        try:
            optimise.problem(households([records[i] for i in [*group, h]], munis), munis, capacity)
        except ValueError:
            continue
        group.append(h)
    kept = sorted(kept + [h for group in groups.values() for h in group])
    try:
        batch_problem = (
            optimise.problem(households([records[i] for i in kept], munis), munis, capacity) if kept else None
        )
    except ValueError:  # not expected: then every household is ranked under its own constraints
        batch_problem, kept = None, []
    for row_in_batch, h in enumerate(kept):
        problems[h] = (batch_problem, row_in_batch)
    for h, p in alone.items():
        problems.setdefault(h, (p, 0))
    return problems, batch_problem, unplaceable


def _batch(model: Any, row: Any, today: dt.date) -> _Batch:
    from nir.settlement import recommend_source
    from nir.settlement.recommend import optimise
    from nir.settlement.recommend.data import households

    key = _state_key(model.version, today)
    with _lock:
        hit = _cache.get("batch")
        if hit is not None and hit.key == key:
            return hit
        munis = recommend_source.municipality_table()
        capacity = recommend_source.current_capacity()
        cases = _ready_cases(today)
        records = recommend_source.case_records(cases)
        # case_records gives one household per case, in the cases' order
        numbers = [c.number for c in cases]
        hh = households(records, munis)
        values = model.predict(hh, munis) if hh.nh else None
        problems, batch_problem, unplaceable = _problems(optimise, households, records, numbers, munis, capacity)
        duals_places, duals_um = np.zeros(munis.n), np.zeros(munis.n)
        tight = False
        if batch_problem is not None and values is not None:
            rows = np.array([h for h, (p, _ph) in sorted(problems.items()) if p is batch_problem], int)
            try:
                result = optimise.assign_batch(batch_problem, values.joint[rows], time_limit=60)
            except ValueError:
                # more ready households than places: every case cannot be placed at once, so there are
                # no batch prices; each case is ranked by its own value among what it may take
                tight = True
            else:
                duals_places, duals_um = np.asarray(result.duals_places), np.asarray(result.duals_um)
        batch = _Batch(
            key=key,
            model=model,
            row=row,
            munis=munis,
            capacity=capacity,
            hh=hh,
            problems=problems,
            values=values,
            duals_places=duals_places,
            duals_um=duals_um,
            numbers={n: i for i, n in enumerate(numbers)},
            unplaceable=unplaceable,
            tight=tight,
            record_keys=[
                hashlib.sha256(json.dumps(r, sort_keys=True, default=str).encode()).hexdigest() for r in records
            ],
            reasons=_reasons_cache,
        )
        _cache["batch"] = batch
        return batch


# --- one case --------------------------------------------------------------------------------------------


def _may_assign_somewhere(principal) -> bool:
    if not allows(principal, Permission.SETTLEMENT_ASSIGN):
        return False
    area = assign_area(principal)
    return area is None or not area.empty


def _places(numbers: list[str]) -> dict[str, tuple[str, str]]:
    """The location and connection municipality of each case (one query)."""
    rows = CaseDetails.objects.current().filter(case__number__in=numbers)
    return {
        nr: (loc or "", conn or "")
        for nr, loc, conn in rows.values_list("case__number", "location_municipality", "connection_municipality")
    }


def _in_area(principal, where: tuple[str, str] | None) -> bool:
    """As the work list's region (``selectors.work_list``): where the household is, or its connection
    municipality, is in the caseworker's area; a household abroad (no location) is in every region."""
    if where is None:
        return False
    location, connection = where
    return (
        not location or may_assign_in(principal, location) or bool(connection and may_assign_in(principal, connection))
    )


def may_see_recommendation(principal, number: str) -> bool:
    """Only IMDi's caseworker who may assign in the case's area (the work list's region rule)."""
    return _may_assign_somewhere(principal) and _in_area(principal, _places([number]).get(number))


def _interval(mean: float, sd: float, lo: float, hi: float) -> tuple[float, float]:
    return max(lo, mean - Z90 * sd), min(hi, mean + Z90 * sd)


def _reason_key(batch: _Batch, h: int, m: int, against: list[int]) -> tuple:
    # by content, not row: the same household, model and comparison keep their reasons across batches
    return (batch.model.version, batch.record_keys[h], m, tuple(against))


def _explained(fn: Any, batch: _Batch, h: int, m: int, against: list[int], key: tuple) -> list[dict[str, Any]]:
    """Compute and cache one municipality's reasons. An explanation that fails leaves none (logged)."""
    reasons: list[Any] = []
    try:
        reasons = fn(batch.model, batch.hh, batch.munis, h, m, np.asarray(against, int))
    except (ValueError, IndexError, ArithmeticError) as e:
        log.warning("recommendation: no explanation for household row %s, municipality row %s: %s", h, m, e)
    if len(batch.reasons) > 50_000:
        batch.reasons.clear()
    out = [
        {"feature": r.feature, "label": r.label_nb, "effect": float(r.effect), "text": r.text_nb} for r in reasons[:3]
    ]
    batch.reasons[key] = out
    return out


def _reasons(batch: _Batch, wanted: list[tuple[int, int, list[int]]]) -> list[list[dict[str, Any]]]:
    """The model's top three reasons for each (household, municipality, compared with) of ``wanted``,
    computed in the request (one case's five explanations take about 0.06 s, 0.1 s at p95 with the
    machine's cores busy: the model predicts small inputs on one thread) and cached by household
    content, model and comparison across batch states. Nothing to compare with: no reasons."""
    from nir.settlement.recommend import explain

    out = []
    for h, m, against in wanted:
        key = _reason_key(batch, h, m, against)
        if not against:
            batch.reasons.setdefault(key, [])
        cached = batch.reasons.get(key)
        out.append(cached if cached is not None else _explained(explain.explain, batch, h, m, against, key))
    return out


def current_model() -> tuple[Any, Any] | None:
    """The registered model in use and its row, or ``None`` when IMDi has registered none (imported
    here, as ``recommend_source`` is, so the tests' stand-ins replace both)."""
    from nir.settlement import recommend_registry

    return recommend_registry.current_model()


def followed(principal, number: str) -> dict[str, Any]:
    """What a proposal of ready case ``number`` records of the recommendation (``propose``'s
    ``recommendation`` and ``model_version``): the list as the caseworker is shown it, computed again
    here on the server — the page and the API never take it from the client. Empty when the case has no
    recommendation (no model registered; or the case is unknown, not ready or outside the caller's area:
    ``propose`` refuses those with its own error)."""
    try:
        rec = case_recommendation(principal, number)
    except (NotReady, SettlementCase.DoesNotExist, AccessDenied):
        return {}
    if not rec.available or not rec.ranked:
        return {}
    return {"recommendation": rec.record(), "model_version": rec.model_version}


def case_recommendation(principal, number: str, *, today: dt.date | None = None) -> CaseRecommendation:
    """The recommendation for ready case ``number``. Raises ``SettlementCase.DoesNotExist`` (no such
    case), ``AccessDenied`` (the principal may not assign in its area) or ``NotReady``."""
    today = today or timezone.localdate()
    if not SettlementCase.objects.filter(number=number).exists():
        raise SettlementCase.DoesNotExist(number)
    if not may_see_recommendation(principal, number):
        raise AccessDenied(Permission.SETTLEMENT_ASSIGN, "Saken er utenfor regionen du fordeler til.")
    current = current_model()
    if current is None:
        return CaseRecommendation(case=number, available=False, message=TRAIN_HINT)
    from nir.settlement.recommend import optimise

    model, row = current
    try:
        batch = _batch(model, row, today)
    except DataError as e:
        # a ready case, the capacity or the municipality table the engine cannot read: said, not a 500
        return CaseRecommendation(
            case=number, available=False, model_version=str(model.version), message=f"{UNAVAILABLE} {e}"
        )
    if number in batch.unplaceable:
        return CaseRecommendation(
            case=number,
            available=True,
            model_version=str(model.version),
            message=f"{NO_ROOM} {batch.unplaceable[number]}",
        )
    h = batch.numbers.get(number)
    if h is None:
        raise NotReady(number)
    munis, cap, values = batch.munis, batch.capacity, batch.values
    problem, ph = batch.problems[h]
    order = optimise.rank_one(
        problem,
        ph,
        values.joint[h],
        np.asarray(cap.places, float),
        np.asarray(cap.um_places, float),
        batch.duals_places,
        batch.duals_um,
    )
    top = [int(m) for m in order[:TOP]]
    ranked = []
    # number 1 against the next ones; each other against number 1 (what it lacks)
    reasons = _reasons(batch, [(h, m, top[1:] if i == 0 else top[:1]) for i, m in enumerate(top)])
    for i, m in enumerate(top):
        members_16_64 = float(np.sum(batch.hh.p_eligible[batch.hh.p_hh == h]))
        work_low, work_high = _interval(float(values.work[h, m]), float(values.work_sd[h, m]), 0.0, members_16_64)
        stay_low, stay_high = _interval(float(values.stay[h, m]), float(values.stay_sd[h, m]), 0.0, 1.0)
        ranked.append(
            Ranked(
                rank=i + 1,
                number=munis.numbers[m],
                name=munis.names[m],
                work=float(values.work[h, m]),
                work_low=work_low,
                work_high=work_high,
                stay=float(values.stay[h, m]),
                stay_low=stay_low,
                stay_high=stay_high,
                joint=float(values.joint[h, m]),
                joint_sd=float(values.joint_sd[h, m]),
                places_left=float(cap.places[m]),
                um_places_left=float(cap.um_places[m]),
                reasons=reasons[i] or [],
            )
        )
    excluded = [
        Excluded(number=munis.numbers[m], name=munis.names[m], reason=why)
        for m, why in sorted(problem.excluded(ph).items(), key=lambda kv: munis.numbers[kv[0]])
    ]
    conn = int(batch.hh.h_conn[h])
    if conn < 0:
        status, overrides = "none", []
    elif int(problem.must[ph]) == conn:
        status, overrides = "honoured", []
    else:
        status = "not_honoured"
        overrides = [OVERRIDE_TEXT.get(r, r) for r in problem.override_reasons(ph)]
    return CaseRecommendation(
        case=number,
        available=True,
        model_version=str(model.version),
        ranked=ranked,
        excluded=excluded,
        connection=munis.numbers[conn] if conn >= 0 else "",
        connection_status=status,
        override_reasons=overrides,
        message=TIGHT if batch.tight else "",
    )


def top_names(principal, numbers: list[str], *, n: int = 3, today: dt.date | None = None) -> dict[str, list[str]]:
    """The first ``n`` recommended municipalities ("5001 Trondheim") of each ready case of ``numbers`` the
    principal may see the recommendation of, from the same cached batch as ``case_recommendation``
    (no explanations): the work list's compact column. Empty without a model."""
    today = today or timezone.localdate()
    current = current_model()
    if current is None or not numbers:
        return {}
    from nir.settlement.recommend import optimise

    try:
        batch = _batch(current[0], current[1], today)
    except DataError:
        return {}
    if not _may_assign_somewhere(principal):
        return {}
    places = _places(numbers)
    out: dict[str, list[str]] = {}
    cap = batch.capacity
    for number in numbers:
        h = batch.numbers.get(number)
        if h is None or h not in batch.problems or not _in_area(principal, places.get(number)):
            continue
        problem, ph = batch.problems[h]
        order = optimise.rank_one(
            problem,
            ph,
            batch.values.joint[h],
            np.asarray(cap.places, float),
            np.asarray(cap.um_places, float),
            batch.duals_places,
            batch.duals_um,
        )
        out[number] = [f"{batch.munis.numbers[m]} {batch.munis.names[m]}" for m in order[:n]]
    return out
