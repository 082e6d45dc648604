"""Vectorised evaluation of many persons at once (whole-register re-evaluation).

The per-person engine (:func:`nir.rules.evaluate`) builds explanations and runs
at a few thousand persons a second. Re-evaluating the whole register after a
rule change needs more (≥ 50,000 persons/s), so this module evaluates the same
rules over *columns*: one array per person-level fact and one exploded table
per list of facts (permits, settlements, residences, decisions, absences) with
a ``person`` index column. The values are exactly those of
``evaluate(facts, as_of).to_json(explanations=False)`` — ``law``, the nine
``intro`` values, the five ``norwegian`` values, ``deviations`` and ``errors``
(sorted rule ids) — without explanations. ``tests/rules/test_vector_agreement.py``
checks that the two paths agree on a large random sample and on every case.

Entry points::

    from nir.rules import vector
    rows = vector.evaluate_batch(facts_list, as_of)          # list of dicts (to_json shape)
    cols = vector.flatten(facts_list)                        # the columnar input (dict of arrays)
    res = vector.evaluate_columns(cols, as_of)               # BatchResult: one array per value
    res.to_dicts(); res.to_polars(); res.fallback            # fallback: persons done per person

The columnar input is what a bulk re-evaluation reads from SQL (one query per
registration table): keys ``birth_date``, ``education``, ``final_goal``,
``extension_months`` (length = persons) and ``<table>.<column>`` for the tables
``permits`` (``person``, ``basis``, ``decision_date``, ``arrival_date``,
``applied_from_abroad`` as -1 null / 0 / 1), ``settlements`` (``person``,
``date``, ``by_agreement``), ``residences`` (``person``, ``from``),
``decisions`` (``person``, ``scheme``, ``type``, ``result``, ``decision_date``,
``start_date``, ``end_date``) and ``absences`` (``person``, ``scheme``, ``kind``,
``from``, ``to``). Dates are ``datetime64[D]`` (NaT for null) or anything numpy
converts to it; codes are strings (or the integer codes of :func:`vocab`). Rows
of a table keep the order of the person's list (the tie-breaker the engine uses
when two facts have the same date); an optional ``<table>.order`` column gives
that order explicitly.

Nothing is duplicated: parameters are read from the same
:class:`~nir.rules.parameters.ParameterSet` on the same dates as the rules read
them, the code lists and their attributes come from ``nir.codes`` through the
engine's own helpers (``il9_letter``, ``section``, ``goal_parameters`` …),
workdays use :func:`nir.rules.workdays.calendar` (``numpy.busday_count`` /
``busday_offset``) and month arithmetic is :mod:`nir.rules.dates`'s
(relativedelta: the day is clipped to the month's end).

**Fallback.** A person whose facts cannot be read as columns (facts that make
``parse_facts`` fail, odd values), for whom a parameter has no version in force
on a date the rules need, or whose dates leave the workday calendar is
evaluated with the per-person engine instead (which then gives the same
result, or raises the same exception). ``BatchResult.fallback`` marks them;
with the shipped parameters and well-formed facts the share is zero.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from nir.codes import code_list
from nir.rules import introduksjonsloven as introl
from nir.rules import parameters as parameters_mod
from nir.rules.columns import ColumnContext, bounds
from nir.rules.columns import any_row as _any
from nir.rules.columns import first_row as _first
from nir.rules.columns import last_row as _last
from nir.rules.columns import take as _take
from nir.rules.context import codes, il9_letter
from nir.rules.dates import NAT, date_of, day, month_days
from nir.rules.dates import add_months_days as add_months
from nir.rules.dates import age_on_days as age_on
from nir.rules.dates import birthday_days as birthday
from nir.rules.dates import period_end_days as period_end
from nir.rules.engine import evaluate
from nir.rules.integreringsforskriften import if_10_19_absence as absence
from nir.rules.integreringsforskriften import if_43h_transition as if_43h
from nir.rules.integreringsforskriften import if_72_which_act as if_72
from nir.rules.integreringsforskriften.if_72_which_act import INTEGRERINGSLOVEN, INTRODUKSJONSLOVEN
from nir.rules.integreringsloven import INTRO_RULE, decision_validity, intro_category_columns, intro_rule_columns
from nir.rules.integreringsloven import il_08_loss_due_to_work as il_08_loss
from nir.rules.integreringsloven import il_08_target_group as il_08
from nir.rules.integreringsloven import il_13_14_final_goals as goals
from nir.rules.integreringsloven import il_26_28_norwegian as il_26
from nir.rules.integreringsloven import il_32_norwegian_deadline as il_32
from nir.rules.integreringsloven import il_37_ch6a_collective_protection as il_37
from nir.rules.integreringsloven.common import INTRO_LABELS, NORWEGIAN_LABELS
from nir.rules.integreringsloven.il_08_target_group import LETTERS_WITHOUT_AGREEMENT
from nir.rules.integreringsloven.il_37_ch6a_collective_protection import COLLECTIVE
from nir.rules.model import Decision, Facts
from nir.rules.nir_004 import deviations
from nir.rules.parameters import ParameterSet
from nir.rules.table import REGISTRY

if TYPE_CHECKING:
    import polars as pl

# Gives the facts of the persons at these indexes (for the per-person fallback).
FactsFor = Callable[[np.ndarray], Sequence[dict[str, Any]]]

# A person without facts, for a Context used only to read parameters.
NO_FACTS = Facts(dt.date.min, "unknown", [], [], [], [], None, 0, [])

__all__ = [
    "evaluate_batch",
    "evaluate_facts",
    "evaluate_columns",
    "flatten",
    "unflatten",
    "BatchResult",
    "vocab",
    "LAWS",
    "INTRO_CATEGORIES",
    "NORWEGIAN_CATEGORIES",
    "DEVIATIONS",
    "ERRORS",
    "add_months",
    "period_end",
    "age_on",
    "birthday",
    "cpu_count",
]

LAWS = (INTEGRERINGSLOVEN, INTRODUKSJONSLOVEN)
INTRO_CATEGORIES = tuple(INTRO_LABELS)  # right_and_duty, right, may_be_offered, none
NORWEGIAN_CATEGORIES = tuple(NORWEGIAN_LABELS)  # right_and_duty, duty, right, none
DEVIATIONS = deviations.DEVIATIONS  # final_goal_missing, final_goal_2026_before_2026_start, final_goal_expired
# Errors a paragraph still raises as a literal RuleError instead of declaring them (table.declare(kind="error")
# or a checks.Check); tests/rules/test_vector_agreement.py checks these against the source. Empty once every
# paragraph declares its errors.
UNDECLARED_ERRORS: tuple[str, ...] = ()
# Every rule id a RuleError can carry: the registry's declared errors (every rule module is imported above).
ERRORS = tuple(sorted({d.id for d in REGISTRY.values() if d.kind == "error"} | set(UNDECLARED_ERRORS)))
_E = {e: np.uint32(1 << i) for i, e in enumerate(ERRORS)}
_DEV = {d: np.uint8(1 << i) for i, d in enumerate(DEVIATIONS)}
_DEV_BITS = np.array([*_DEV.values(), 0], np.uint8)  # by deviations.DEVIATION's outcome index (none last)

IC = {c: i for i, c in enumerate(INTRO_CATEGORIES)}
NC = {c: i for i, c in enumerate(NORWEGIAN_CATEGORIES)}
I_RD, I_RIGHT, I_MAY, I_NONE = IC["right_and_duty"], IC["right"], IC["may_be_offered"], IC["none"]
N_RD, N_DUTY, N_RIGHT, N_NONE = NC["right_and_duty"], NC["duty"], NC["right"], NC["none"]

I64 = np.int64
FAR_PAST, FAR_FUTURE = -(10**9), 10**9
M8 = "datetime64[D]"

# the literal codes the rules themselves compare with (they have no named constants in the engine)
EEA = "eea"
UPPER_SECONDARY = "upper_secondary_or_higher"
LEAVE = "leave"
INTRO, NORWEGIAN = "intro", "norwegian"
MADE = "made"


_day, _date = day, date_of


# --- vocabularies: code lists as integer codes with their attributes -----------


@dataclass(frozen=True)
class Vocab:
    """Integer codes for the code lists the rules read; index ``len(codes)`` is "unknown"."""

    basis: tuple[str, ...]
    scheme: tuple[str, ...]
    decision_type: tuple[str, ...]
    absence_kind: tuple[str, ...]
    final_goal: tuple[str, ...]
    index: dict[str, dict[str, int]] = field(repr=False)
    # attributes, one entry per code plus one for unknown
    b_s9: np.ndarray = field(repr=False)  # il. § 9 letter a–g
    b_fg: np.ndarray = field(repr=False)  # letter f or g (no agreement needed)
    b_family_other: np.ndarray = field(repr=False)  # family immigrant of others than § 9 f (il. § 8 third para.)
    b_section: np.ndarray = field(repr=False)  # Norwegian: 0 none, 1 § 27, 2 § 28, 3 ch. 6A
    b_renewal: np.ndarray = field(repr=False)  # Norwegian right and duty arise at the first renewal (§ 9 d)
    b_settlement: np.ndarray = field(repr=False)  # … at settlement by agreement (§ 9 e)
    b_s17: np.ndarray = field(repr=False)  # introduksjonsloven § 17: Norwegian (S17_BASES, S17_DUTY_BASES)
    b_s17_duty: np.ndarray = field(repr=False)
    t_schemes: np.ndarray = field(repr=False)  # [type, scheme] allowed
    t_from: np.ndarray = field(repr=False)
    t_to: np.ndarray = field(repr=False)
    k_intro: np.ndarray = field(repr=False)  # absence kind extends the programme
    k_norwegian: np.ndarray = field(repr=False)
    g_from: np.ndarray = field(repr=False)
    g_to: np.ndarray = field(repr=False)

    def code(self, kind: str, value: str) -> int:
        return self.index[kind].get(value, len(getattr(self, kind)))


SECTION_CODE = {None: 0, "27": 1, "28": 2, "6A": 3}


@lru_cache(maxsize=1)
def vocab() -> Vocab:
    basis = tuple(c.code for c in code_list("permit_basis").codes)
    scheme = tuple(c.code for c in code_list("scheme").codes)
    types = tuple(c.code for c in code_list("decision_type").codes)
    kinds = tuple(c.code for c in code_list("absence_kind").codes)
    goal = tuple(c.code for c in code_list("final_goal").codes)
    unknown_basis = "\x00unknown"
    b_all = (*basis, unknown_basis)
    t_schemes = np.zeros((len(types) + 1, len(scheme) + 1), bool)
    t_from = np.full(len(types) + 1, FAR_PAST, I64)
    t_to = np.full(len(types) + 1, FAR_FUTURE, I64)
    for i, t in enumerate(types):
        c = codes("decision_type")[t]
        for s in c.attrs.get("schemes", []):
            if s in scheme:
                t_schemes[i, scheme.index(s)] = True
        t_from[i] = _day(c.valid_from) if c.valid_from else FAR_PAST
        t_to[i] = _day(c.valid_to) if c.valid_to else FAR_FUTURE
    kattr = codes("absence_kind")
    gc = codes("final_goal")
    return Vocab(
        basis=basis,
        scheme=scheme,
        decision_type=types,
        absence_kind=kinds,
        final_goal=goal,
        index={
            "basis": {c: i for i, c in enumerate(basis)},
            "scheme": {c: i for i, c in enumerate(scheme)},
            "decision_type": {c: i for i, c in enumerate(types)},
            "absence_kind": {c: i for i, c in enumerate(kinds)},
            "final_goal": {c: i for i, c in enumerate(goal)},
        },
        b_s9=np.array([bool(il9_letter(b)) for b in b_all]),
        b_fg=np.array([il9_letter(b) in LETTERS_WITHOUT_AGREEMENT for b in b_all]),
        b_family_other=np.array([il_08.family_of_others(b) for b in b_all]),
        b_section=np.array([SECTION_CODE[il_26.section(b)] for b in b_all], np.int8),
        b_renewal=np.array([il_26.starts_at_renewal(b) for b in b_all]),
        b_settlement=np.array([il_26.starts_at_settlement(b) for b in b_all]),
        b_s17=np.array([b in introl.S17_BASES for b in b_all]),
        b_s17_duty=np.array([b in introl.S17_DUTY_BASES for b in b_all]),
        t_schemes=t_schemes,
        t_from=t_from,
        t_to=t_to,
        k_intro=np.array([bool(kattr[k].attrs.get("extends_intro")) for k in kinds] + [False]),
        k_norwegian=np.array([bool(kattr[k].attrs.get("extends_norwegian")) for k in kinds] + [False]),
        g_from=np.array([_day(vf) if (vf := gc[g].valid_from) else FAR_PAST for g in goal] + [FAR_PAST], I64),
        g_to=np.array([_day(vt) if (vt := gc[g].valid_to) else FAR_FUTURE for g in goal] + [FAR_FUTURE], I64),
    )


# --- the encoded columns --------------------------------------------------------

TABLES = {
    "permits": ("person", "basis", "decision_date", "arrival_date", "applied_from_abroad"),
    "settlements": ("person", "date", "by_agreement"),
    "residences": ("person", "from"),
    "decisions": ("person", "scheme", "type", "result", "decision_date", "start_date", "end_date"),
    "absences": ("person", "scheme", "kind", "from", "to"),
}
PERSON_COLUMNS = ("birth_date", "education", "final_goal", "extension_months")


class _Bad(Exception):
    """A value the columnar path does not read: the person goes to the per-person engine."""


_day_cache: dict[Any, int] = {None: NAT, "": NAT}


def _d(v: Any) -> int:
    """A facts date (ISO string or date) as days since 1970, like ``model._date``; NAT for null."""
    try:
        return _day_cache[v]
    except KeyError:
        pass
    except TypeError:  # unhashable
        raise _Bad() from None
    if isinstance(v, dt.datetime) or v is True or v is False:
        raise _Bad()
    if isinstance(v, dt.date):
        return _day(v)
    try:
        n = _day(dt.date.fromisoformat(str(v)))
    except ValueError:
        raise _Bad() from None
    if isinstance(v, str) and len(_day_cache) < 500_000:
        _day_cache[v] = n
    return n


def _req(v: Any) -> int:
    n = _d(v)
    if n == NAT:
        raise _Bad()
    return n


def flatten(facts_list: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The columnar input for ``facts_list`` (see the module docstring), codes as integer codes.

    Codes are encoded to the integer codes of :func:`vocab` (unknown codes to
    ``len(codes)``). A person whose facts the columns cannot represent exactly
    (facts ``parse_facts`` refuses, odd types) is marked in the extra key
    ``fallback`` (bool per person) and evaluated by the per-person engine.
    """
    with _gc_paused():
        return _flatten(facts_list)


def _flatten(facts_list: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:  # noqa: C901 (issue 19 splits it)
    v = vocab()
    B, S, T, K, G = (v.index[k] for k in ("basis", "scheme", "decision_type", "absence_kind", "final_goal"))
    nB, nS, nT, nK, nG = len(v.basis), len(v.scheme), len(v.decision_type), len(v.absence_kind), len(v.final_goal)
    birth, upper, goal, ext, bad = [], [], [], [], []
    pp, pb, pd, pa, pf = [], [], [], [], []
    sp, sd, sa = [], [], []
    rp, rd = [], []
    dp, ds, dt_, dm, dd, dst, den = [], [], [], [], [], [], []
    ap, asch, ak, af, at = [], [], [], [], []
    cache = _day_cache
    get = cache.get
    d, req = _d, _req
    nat = NAT
    for i, f in enumerate(facts_list):
        try:
            if f.__class__ is not dict:
                raise _Bad()
            items = f.get("permits")
            if items is not None:
                if items.__class__ is not list:
                    raise _Bad()
                for raw in items:
                    if raw.__class__ is not dict:
                        raise _Bad()
                    b = raw.get("basis")
                    x = get(raw.get("decision_date"))
                    if x is None or x == nat:
                        x = req(raw.get("decision_date"))
                    y = get(raw.get("arrival_date"))
                    if y is None:
                        y = d(raw.get("arrival_date"))
                    ab = raw.get("applied_from_abroad")
                    if ab is None:
                        ab = -1
                    elif ab is True:
                        ab = 1
                    elif ab is False:
                        ab = 0
                    else:
                        raise _Bad()
                    pp.append(i)
                    pb.append(B.get(b, nB) if b.__class__ is str else B.get(str(b or ""), nB))
                    pd.append(x)
                    pa.append(y)
                    pf.append(ab)
            items = f.get("settlements")
            if items is not None:
                if items.__class__ is not list:
                    raise _Bad()
                for raw in items:
                    if raw.__class__ is not dict:
                        raise _Bad()
                    x = get(raw.get("date"))
                    if x is None or x == nat:
                        x = req(raw.get("date"))
                    sp.append(i)
                    sd.append(x)
                    sa.append(raw.get("by_agreement") is True)
            items = f.get("residences")
            if items is not None:
                if items.__class__ is not list:
                    raise _Bad()
                for raw in items:
                    if raw.__class__ is not dict:
                        raise _Bad()
                    x = get(raw.get("from"))
                    if x is None or x == nat:
                        x = req(raw.get("from"))
                    if get(raw.get("to")) is None:
                        d(raw.get("to"))  # validated like parse_facts
                    rp.append(i)
                    rd.append(x)
            items = f.get("decisions")
            if items is not None:
                if items.__class__ is not list:
                    raise _Bad()
                for raw in items:
                    if raw.__class__ is not dict:
                        raise _Bad()
                    sc, ty, res = raw.get("scheme"), raw.get("type"), raw.get("result")
                    x = get(raw.get("decision_date"))
                    if x is None or x == nat:
                        x = req(raw.get("decision_date"))
                    y = get(raw.get("start_date"))
                    if y is None:
                        y = d(raw.get("start_date"))
                    z = get(raw.get("end_date"))
                    if z is None:
                        z = d(raw.get("end_date"))
                    dp.append(i)
                    ds.append(S.get(sc, nS) if sc.__class__ is str else S.get(str(sc or ""), nS))
                    dt_.append(T.get(ty, nT) if ty.__class__ is str else T.get(str(ty or ""), nT))
                    dm.append(res == MADE or res is None or str(res or MADE) == MADE)
                    dd.append(x)
                    dst.append(y)
                    den.append(z)
            items = f.get("absences")
            if items is not None:
                if items.__class__ is not list:
                    raise _Bad()
                for raw in items:
                    if raw.__class__ is not dict:
                        raise _Bad()
                    sc, kd = raw.get("scheme"), raw.get("kind")
                    x = get(raw.get("from"))
                    if x is None or x == nat:
                        x = req(raw.get("from"))
                    y = get(raw.get("to"))
                    if y is None or y == nat:
                        y = req(raw.get("to"))
                    ap.append(i)
                    asch.append(S.get(sc, nS) if sc.__class__ is str else S.get(str(sc or ""), nS))
                    ak.append(K.get(kd, nK) if kd.__class__ is str else K.get(str(kd or ""), nK))
                    af.append(x)
                    at.append(y)
            e = f.get("extension_months") or 0
            if e.__class__ is not int or e < 0:
                raise _Bad()
            g = f.get("final_goal")
            if g is not None and g.__class__ is not str:
                raise _Bad()
            x = get(f.get("birth_date"))
            if x is None or x == nat:
                x = req(f.get("birth_date"))
            edu = f.get("education")
            birth.append(x)
            upper.append(edu == UPPER_SECONDARY or (edu.__class__ is not str and str(edu or "") == UPPER_SECONDARY))
            goal.append(-1 if not g else G.get(g, nG))
            ext.append(e)
            bad.append(False)
        except (_Bad, AttributeError, TypeError, ValueError):
            birth.append(0)
            upper.append(False)
            goal.append(-1)
            ext.append(0)
            bad.append(True)

    def ints(x: list[Any], t: Any = I64) -> np.ndarray:
        return np.array(x, dtype=t)

    def days(x: list[int]) -> np.ndarray:
        return np.array(x, dtype=I64).view(M8)

    return {
        "birth_date": days(birth),
        "education_upper": ints(upper, bool),
        "final_goal": ints(goal, np.int16),
        "extension_months": ints(ext),
        "fallback": ints(bad, bool),
        "permits.person": ints(pp),
        "permits.basis": ints(pb, np.int16),
        "permits.decision_date": days(pd),
        "permits.arrival_date": days(pa),
        "permits.applied_from_abroad": ints(pf, np.int8),
        "settlements.person": ints(sp),
        "settlements.date": days(sd),
        "settlements.by_agreement": ints(sa, bool),
        "residences.person": ints(rp),
        "residences.from": days(rd),
        "decisions.person": ints(dp),
        "decisions.scheme": ints(ds, np.int16),
        "decisions.type": ints(dt_, np.int16),
        "decisions.made": ints(dm, bool),
        "decisions.decision_date": days(dd),
        "decisions.start_date": days(dst),
        "decisions.end_date": days(den),
        "absences.person": ints(ap),
        "absences.scheme": ints(asch, np.int16),
        "absences.kind": ints(ak, np.int16),
        "absences.from": days(af),
        "absences.to": days(at),
    }


def _encode(values: Any, kind: str) -> np.ndarray:
    """String codes (or already integer codes) as the integer codes of :func:`vocab`."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int16, copy=False)
    v = vocab()
    table, unknown = v.index[kind], len(getattr(v, kind))
    uniq, inv = np.unique(
        arr.astype(object).astype(str) if arr.dtype == object else arr.astype(str), return_inverse=True
    )
    mapped = np.array([table.get(u, unknown) for u in uniq.tolist()], np.int16)
    return mapped[inv.reshape(-1)] if len(arr) else np.zeros(0, np.int16)


def _as_days(values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype(M8, copy=False).view(I64)
    if arr.dtype.kind in "iu":
        return arr.astype(I64, copy=False)
    if arr.dtype == object:
        arr = np.array([None if x is None or x == "" else x for x in arr.tolist()], dtype=M8)
    return np.asarray(arr, dtype=M8).view(I64)


@dataclass
class _Table:
    person: np.ndarray
    cols: dict[str, np.ndarray]
    bounds: np.ndarray = field(default_factory=lambda: np.zeros(1, I64))

    def __len__(self) -> int:
        return len(self.person)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.cols[name]
        except KeyError:
            raise AttributeError(name) from None

    def take(self, idx: np.ndarray) -> _Table:
        return _Table(self.person[idx], {k: v[idx] for k, v in self.cols.items()})

    def in_effect(self, key: str, as_of: int, n: int) -> _Table:
        """The rows dated on or before ``as_of`` (later facts are not in effect, Context.build), sorted like
        parse_facts sorts them, with each person's row bounds (read by first_row, last_row, any_row)."""
        d, order = self.cols[key], self.cols.get("order")
        rows = np.flatnonzero((d <= as_of) & (d != NAT))
        t = self.take(rows[_sort(self.person[rows], d[rows], None if order is None else order[rows])])
        t.bounds = bounds(t.person, n)
        return t


def _sort(person: np.ndarray, key: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """Row order by (person, key, order) — the engine sorts each list by (date, list index)."""
    if len(person) == 0:
        return np.zeros(0, I64)
    if order is None:
        lo = key.min()
        span = int(key.max() - lo) + 1
        if span * (int(person.max()) + 1) < 2**62:  # one int64 key; the stable sort keeps list order
            return np.argsort(person * span + (key - lo), kind="stable")
        order = np.arange(len(person))
    return np.lexsort((order, key, person))


@dataclass
class _Encoded:
    n: int
    birth: np.ndarray
    upper: np.ndarray
    goal: np.ndarray
    ext: np.ndarray
    fallback: np.ndarray
    permits: _Table
    settlements: _Table
    residences: _Table
    decisions: _Table
    absences: _Table

    TABLES = tuple(TABLES)

    def by_person(self) -> _Encoded:
        """The same rows with every table ordered by person (stable: list order kept within a person)."""
        for name in self.TABLES:
            t = getattr(self, name)
            if len(t) > 1 and (np.diff(t.person) < 0).any():
                setattr(self, name, t.take(np.argsort(t.person, kind="stable")))
        return self

    def chunks(self, size: int) -> Iterator[tuple[int, int, _Encoded]]:
        """(lo, hi, chunk) for consecutive person ranges; tables must be ordered by person."""
        bounds = np.arange(0, self.n + size, size).clip(max=self.n)
        cuts = {name: np.searchsorted(getattr(self, name).person, bounds) for name in self.TABLES}
        for k in range(len(bounds) - 1):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            if hi <= lo:
                continue
            tables = {}
            for name in self.TABLES:
                t, c = getattr(self, name), cuts[name]
                sl = slice(int(c[k]), int(c[k + 1]))
                tables[name] = _Table(t.person[sl] - lo, {col: a[sl] for col, a in t.cols.items()})
            yield (
                lo,
                hi,
                _Encoded(
                    hi - lo,
                    self.birth[lo:hi],
                    self.upper[lo:hi],
                    self.goal[lo:hi],
                    self.ext[lo:hi],
                    self.fallback[lo:hi],
                    **tables,
                ),
            )


CHUNK = 32_768  # persons per vectorised step: small temporaries stay in cache and are reused by malloc


def _evaluate_all(E: _Encoded, as_of: dt.date, params: ParameterSet, chunk: int = CHUNK) -> BatchResult:
    res = BatchResult.empty(as_of, E.n)
    for lo, hi, part in E.by_person().chunks(chunk):  # each chunk writes into its slice of the result
        _evaluate_encoded(part, as_of, params, BatchResult(as_of, *(getattr(res, a)[lo:hi] for a in res.ARRAYS)))
    return res


def _encode_columns(cols: Mapping[str, Any]) -> _Encoded:
    v = vocab()
    n = len(cols["birth_date"])
    birth = _as_days(cols["birth_date"])
    fallback = np.zeros(n, bool) if cols.get("fallback") is None else np.asarray(cols["fallback"], bool).copy()
    if "education_upper" in cols:
        upper = np.asarray(cols["education_upper"], bool)
    else:
        edu = cols.get("education")
        upper = np.zeros(n, bool) if edu is None else np.asarray(edu).astype(str) == UPPER_SECONDARY
    g = cols.get("final_goal")
    if g is None:
        goal = np.full(n, -1, np.int16)
    else:
        arr = np.asarray(g)
        if arr.dtype.kind in "iu":
            goal = arr.astype(np.int16, copy=False)
        else:
            obj = arr.astype(object)
            empty = np.array([x is None or x == "" for x in obj.tolist()], bool)
            goal = np.where(empty, -1, _encode(np.where(empty, "", obj), "final_goal")).astype(np.int16)
    ext = np.zeros(n, I64) if cols.get("extension_months") is None else np.asarray(cols["extension_months"], I64)
    bad_birth = birth == NAT
    fallback |= bad_birth

    def table(name: str, spec: dict[str, str]) -> _Table:
        person = np.asarray(cols.get(f"{name}.person", np.zeros(0, I64)), I64)
        out = {}
        for col, how in spec.items():
            raw = cols.get(f"{name}.{col}")
            if how == "date":
                out[col] = _as_days(raw) if raw is not None else np.full(len(person), NAT, I64)
            elif how == "bool":
                out[col] = np.asarray(raw, bool) if raw is not None else np.zeros(len(person), bool)
            elif how == "int":
                out[col] = np.asarray(raw, I64) if raw is not None else np.full(len(person), -1, I64)
            else:
                out[col] = (
                    _encode(raw, how) if raw is not None else np.full(len(person), len(getattr(v, how)), np.int16)
                )
        if f"{name}.order" in cols:
            out["order"] = np.asarray(cols[f"{name}.order"], I64)
        return _Table(person, out)

    permits = table(
        "permits", {"basis": "basis", "decision_date": "date", "arrival_date": "date", "applied_from_abroad": "int"}
    )
    settlements = table("settlements", {"date": "date", "by_agreement": "bool"})
    residences = table("residences", {"from": "date"})
    decisions = table(
        "decisions",
        {
            "scheme": "scheme",
            "type": "decision_type",
            "decision_date": "date",
            "start_date": "date",
            "end_date": "date",
        },
    )
    if "decisions.made" in cols:
        decisions.cols["made"] = np.asarray(cols["decisions.made"], bool)
    else:
        res = cols.get("decisions.result")
        if res is None:
            decisions.cols["made"] = np.ones(len(decisions), bool)
        else:
            obj = np.asarray(res).astype(object)
            decisions.cols["made"] = np.array([str(x or MADE) == MADE for x in obj.tolist()], bool)
    absences = table("absences", {"scheme": "scheme", "kind": "absence_kind", "from": "date", "to": "date"})
    # required dates missing: parse_facts refuses those facts
    for t, col in (
        (permits, "decision_date"),
        (settlements, "date"),
        (residences, "from"),
        (decisions, "decision_date"),
        (absences, "from"),
        (absences, "to"),
    ):
        missing = t.cols[col] == NAT
        if missing.any():
            fallback[t.person[missing]] = True
    return _Encoded(n, birth, upper, goal, ext, fallback, permits, settlements, residences, decisions, absences)


# --- the result --------------------------------------------------------------------------


@dataclass
class BatchResult:
    """One array per derived value (index = person). Dates are ``datetime64[D]`` (NaT = null);
    categories and the law are indices into :data:`LAWS`, :data:`INTRO_CATEGORIES`,
    :data:`NORWEGIAN_CATEGORIES`; ``intro_final_goal`` indexes ``vocab().final_goal`` (-1 null);
    months are -1 when null; ``deviations`` and ``errors`` are bit sets over :data:`DEVIATIONS`
    and :data:`ERRORS`; ``fallback`` marks persons evaluated by the per-person engine."""

    as_of: dt.date
    law: np.ndarray
    intro_category: np.ndarray
    intro_closed_date: np.ndarray
    intro_absence_workdays: np.ndarray
    intro_deadline: np.ndarray
    intro_start_date: np.ndarray
    intro_final_goal: np.ndarray
    intro_months: np.ndarray
    intro_extension_months: np.ndarray
    intro_base_deadline: np.ndarray
    norwegian_category: np.ndarray
    norwegian_leave_workdays: np.ndarray
    norwegian_deadline: np.ndarray
    norwegian_start_date: np.ndarray
    norwegian_months: np.ndarray
    deviations: np.ndarray
    errors: np.ndarray
    fallback: np.ndarray

    ARRAYS = (
        "law",
        "intro_category",
        "intro_closed_date",
        "intro_absence_workdays",
        "intro_deadline",
        "intro_start_date",
        "intro_final_goal",
        "intro_months",
        "intro_extension_months",
        "intro_base_deadline",
        "norwegian_category",
        "norwegian_leave_workdays",
        "norwegian_deadline",
        "norwegian_start_date",
        "norwegian_months",
        "deviations",
        "errors",
        "fallback",
    )

    def __len__(self) -> int:
        return len(self.law)

    @classmethod
    def empty(cls, as_of: dt.date, n: int) -> BatchResult:
        def nat() -> np.ndarray:
            return np.full(n, NAT, I64).view(M8)

        return cls(
            as_of,
            np.zeros(n, np.int8),
            np.full(n, I_NONE, np.int8),
            nat(),
            np.zeros(n, np.int32),
            nat(),
            nat(),
            np.full(n, -1, np.int16),
            np.full(n, -1, np.int16),
            np.zeros(n, np.int16),
            nat(),
            np.full(n, N_NONE, np.int8),
            np.zeros(n, np.int32),
            nat(),
            nat(),
            np.full(n, -1, np.int16),
            np.zeros(n, np.uint8),
            np.zeros(n, np.uint32),
            np.zeros(n, bool),
        )

    @classmethod
    def concat(cls, parts: Sequence[BatchResult]) -> BatchResult:
        return cls(parts[0].as_of, *(np.concatenate([getattr(p, a) for p in parts]) for a in cls.ARRAYS))

    def store(self, i: int, out: dict[str, Any]) -> None:
        """Put one person's ``to_json(explanations=False)`` (from the per-person engine) into the arrays."""
        intro, nor = out["intro"], out["norwegian"]

        def d(s: str | None) -> np.datetime64:
            return np.datetime64(s, "D") if s else np.datetime64("NaT", "D")

        self.law[i] = LAWS.index(out["law"])
        self.intro_category[i] = IC[intro["category"]]
        self.intro_closed_date[i] = d(intro["closed"]["date"] if intro["closed"] else None)
        self.intro_absence_workdays[i] = intro["absence_workdays"]
        self.intro_deadline[i] = d(intro["deadline"])
        self.intro_start_date[i] = d(intro["start_date"])
        self.intro_final_goal[i] = vocab().final_goal.index(intro["final_goal"]) if intro["final_goal"] else -1
        self.intro_months[i] = -1 if intro["months"] is None else intro["months"]
        self.intro_extension_months[i] = intro["extension_months"]
        self.intro_base_deadline[i] = d(intro["base_deadline"])
        self.norwegian_category[i] = NC[nor["category"]]
        self.norwegian_leave_workdays[i] = nor["leave_workdays"]
        self.norwegian_deadline[i] = d(nor["deadline"])
        self.norwegian_start_date[i] = d(nor["start_date"])
        self.norwegian_months[i] = -1 if nor["months"] is None else nor["months"]
        bits = 0
        for e in out["deviations"]:
            bits |= int(_DEV[e])
        self.deviations[i] = bits
        bits = 0
        for e in out["errors"]:
            if e not in _E:
                raise KeyError(f"rule id {e!r} is missing from nir.rules.vector.ERRORS")
            bits |= int(_E[e])
        self.errors[i] = bits
        self.fallback[i] = True

    def to_dicts(self) -> list[dict[str, Any]]:
        """The results as ``Result.to_json(explanations=False)`` dicts (``errors`` and ``deviations`` sorted)."""
        goals_ = np.array([None, *vocab().final_goal], dtype=object)
        closure = _closure_labels()
        errs = {m: tuple(_names(ERRORS, m)) for m in np.unique(self.errors).tolist()}
        devs = {m: tuple(_names(DEVIATIONS, m)) for m in np.unique(self.deviations).tolist()}
        rows = zip(
            np.array(LAWS, object)[self.law].tolist(),
            np.array(INTRO_CATEGORIES, object)[self.intro_category].tolist(),
            _iso(self.intro_closed_date),
            self.intro_absence_workdays.tolist(),
            _iso(self.intro_deadline),
            _iso(self.intro_start_date),
            goals_[self.intro_final_goal.astype(I64) + 1].tolist(),
            _opt(self.intro_months),
            self.intro_extension_months.tolist(),
            _iso(self.intro_base_deadline),
            np.array(NORWEGIAN_CATEGORIES, object)[self.norwegian_category].tolist(),
            self.norwegian_leave_workdays.tolist(),
            _iso(self.norwegian_deadline),
            _iso(self.norwegian_start_date),
            _opt(self.norwegian_months),
            self.deviations.tolist(),
            self.errors.tolist(),
        )
        with _gc_paused():
            return [
                {
                    "law": law,
                    "intro": {
                        "category": icat,
                        "closed": None if cdate is None else {**closure, "date": cdate},
                        "absence_workdays": absw,
                        "deadline": idl,
                        "start_date": istart,
                        "final_goal": goal,
                        "months": imon,
                        "extension_months": iext,
                        "base_deadline": ibase,
                    },
                    "norwegian": {
                        "category": ncat,
                        "leave_workdays": leave,
                        "deadline": ndl,
                        "start_date": nstart,
                        "months": nmon,
                    },
                    "deviations": [*devs[dev]],
                    "errors": [*errs[err]],
                }
                for (
                    law,
                    icat,
                    cdate,
                    absw,
                    idl,
                    istart,
                    goal,
                    imon,
                    iext,
                    ibase,
                    ncat,
                    leave,
                    ndl,
                    nstart,
                    nmon,
                    dev,
                    err,
                ) in rows
            ]

    def to_polars(self) -> pl.DataFrame:
        """The results as a polars DataFrame: codes as strings, null for none, one boolean column per
        deviation (as the register's ``DerivedStatus``), ``errors`` as a sorted list of rule ids."""
        import polars as pl

        goals_ = np.array([None, *vocab().final_goal], dtype=object)
        uniq, inv = np.unique(self.errors, return_inverse=True)
        errs = pl.Series("errors", [_names(ERRORS, m) for m in uniq.tolist()], dtype=pl.List(pl.String))
        df = pl.DataFrame(
            {
                "law": np.array(LAWS, object)[self.law],
                "intro_category": np.array(INTRO_CATEGORIES, object)[self.intro_category],
                "intro_closed_date": self.intro_closed_date,
                "intro_absence_workdays": self.intro_absence_workdays,
                "intro_deadline": self.intro_deadline,
                "intro_start_date": self.intro_start_date,
                "intro_final_goal": pl.Series(goals_[self.intro_final_goal.astype(I64) + 1].tolist(), dtype=pl.String),
                "intro_months": self.intro_months,
                "intro_extension_months": self.intro_extension_months,
                "intro_base_deadline": self.intro_base_deadline,
                "norwegian_category": np.array(NORWEGIAN_CATEGORIES, object)[self.norwegian_category],
                "norwegian_leave_workdays": self.norwegian_leave_workdays,
                "norwegian_deadline": self.norwegian_deadline,
                "norwegian_start_date": self.norwegian_start_date,
                "norwegian_months": self.norwegian_months,
                **{f"deviation_{d}": (self.deviations & _DEV[d]) != 0 for d in DEVIATIONS},
                "fallback": self.fallback,
            },
            strict=False,
        )
        months = [
            pl.when(pl.col(c) < 0).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("intro_months", "norwegian_months")
        ]
        return df.with_columns(*months, errs.gather(pl.Series(inv.reshape(-1))))


def _names(names: tuple[str, ...], mask: int) -> list[str]:
    return sorted(x for i, x in enumerate(names) if mask >> i & 1)


def _iso(a: np.ndarray) -> list[Any]:
    """ISO strings (None for NaT) of a ``datetime64[D]`` array, through a table of the days in range."""
    days = a.view(I64)
    out = np.full(len(days), None, object)
    ok = days != NAT
    if ok.any():
        lo, hi = int(days[ok].min()), int(days[ok].max())
        table = np.datetime_as_string(np.arange(lo, hi + 1, dtype=I64).view(M8), unit="D").astype(object)
        out[ok] = table[days[ok] - lo]
    return out.tolist()


def _opt(a: np.ndarray) -> list[Any]:
    o = a.astype(object)
    o[a < 0] = None
    values: list[Any] = o.tolist()
    return values


class _gc_paused:
    """Pause the cyclic garbage collector while building many acyclic objects (restored afterwards)."""

    def __enter__(self) -> None:
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was:
            gc.enable()


@lru_cache(maxsize=1)
def _closure_labels() -> dict[str, Any]:
    """Status, reason and registered_by of the automatic closure, from the engine's own closure()."""
    c = il_08_loss.closure(Decision(0, INTRO, il_08_loss.TYPE, MADE, dt.date(2026, 1, 1)))
    out = c.to_json()
    del out["date"]
    return out


# --- the rules on columns ---------------------------------------------------------------


def _evaluate_encoded(E: _Encoded, as_of: dt.date, params: ParameterSet, res: BatchResult) -> None:  # noqa: C901
    v = vocab()
    n = E.n
    A = _day(as_of)
    bad = E.fallback.copy()
    errors = np.zeros(n, np.uint32)
    birth = np.where(bad, 0, E.birth)
    bymd = month_days(birth)

    def err(rows_person: np.ndarray, name: str) -> None:
        errors[rows_person] |= _E[name]

    P = E.permits.in_effect("decision_date", A, n)
    S = E.settlements.in_effect("date", A, n)
    R = E.residences.in_effect("from", A, n)
    Dc = E.decisions.in_effect("decision_date", A, n)
    Ab = E.absences

    pp, pb, pd = P.person, P.basis.astype(I64), P.decision_date
    unknown_b = len(v.basis)
    eea_b, b34 = v.code("basis", EEA), v.code("basis", COLLECTIVE)
    s9 = v.b_s9[pb]
    noneea = pb != eea_b

    # living in a municipality: the first settlement or residence (common.lives_in_municipality)
    first_settle = _take(S.date, _first(S.bounds, np.ones(len(S), bool)), NAT)
    first_res = _take(R.cols["from"], _first(R.bounds, np.ones(len(R), bool)), NAT)
    lives_date = np.where(
        first_settle == NAT, first_res, np.where(first_res == NAT, first_settle, np.minimum(first_settle, first_res))
    )
    lives = lives_date != NAT
    agreed = _any(S.bounds, S.by_agreement)

    # --- law (if. § 72) ---------------------------------------------------------------
    law_start = params.find("law.integreringsloven_from", as_of)
    counting = _first(P.bounds, noneea)  # -1: no permit giving rights or duties (if_72_which_act.counting_permit)
    integ = if_72.law_columns(
        params,
        as_of,
        n,
        counting >= 0,
        _take(pd, counting, NAT),
        _take(P.arrival_date, counting, NAT),
        _take(P.applied_from_abroad, counting, -1),
    )
    rule_start = _day(law_start.value) if law_start is not None else None

    def rule_date(days: np.ndarray) -> np.ndarray:  # common.rule_date
        return np.maximum(days, rule_start) if rule_start is not None else days

    # --- general decision rules (decision_validity) ------------------------------------
    dp, dtype_, dsch = Dc.person, Dc.type.astype(I64), Dc.scheme.astype(I64)
    ddd, dstart, dend, made = Dc.decision_date, Dc.start_date, Dc.end_date, Dc.made
    known_t = dtype_ != len(v.decision_type)
    loss_t = v.code("decision_type", il_08_loss.TYPE)
    part_t = v.code("decision_type", decision_validity.PARTICIPATION)
    npart_t = v.code("decision_type", decision_validity.NORWEGIAN_PARTICIPATION)
    intro_s, nor_s = v.code("scheme", INTRO), v.code("scheme", NORWEGIAN)
    checked = decision_validity.decision_columns(
        made,
        known_t,
        v.t_schemes[dtype_, dsch],
        (ddd >= v.t_from[dtype_]) & (ddd <= v.t_to[dtype_]),
        dtype_ == loss_t,
        dtype_ == part_t,
        dstart,
        dend,
    )
    for name, m_ in checked.errors.items():
        err(dp[m_], name)
    eff = checked.effective
    is_part = eff & (dsch == intro_s) & (dtype_ == part_t)
    is_loss = eff & (dsch == intro_s) & (dtype_ == loss_t)
    is_npart = eff & (dsch == nor_s) & (dtype_ == npart_t)

    # --- absence periods (if_10_19_absence) ---------------------------------------------
    ak, asch_, af, at = Ab.kind.astype(I64), Ab.scheme.astype(I64), Ab.cols["from"], Ab.to
    period_errors, a_ok = absence.period_columns(ak != len(v.absence_kind), af, at)
    for name, m_ in period_errors.items():
        err(Ab.person[m_], name)
    a_integ = integ[Ab.person]
    leave_k = v.code("absence_kind", LEAVE)
    intro_rows = a_ok & (asch_ == intro_s) & np.where(a_integ, v.k_intro[ak], ak == leave_k)
    nor_rows = a_ok & (asch_ == nor_s) & np.where(a_integ, v.k_norwegian[ak], ak == leave_k)
    intro_wd = absence.workdays_columns(Ab.person, af, at, intro_rows, n)
    nor_wd = absence.workdays_columns(Ab.person, af, at, nor_rows, n)

    # --- first / current permits ---------------------------------------------------------
    f9 = _first(P.bounds, s9)
    f9_dd = _take(pd, f9, NAT)
    f9_b = _take(pb, f9, -1)
    current = _last(P.bounds, noneea)
    cur_b = _take(pb, current, -1)
    cur_dd = _take(pd, current, NAT)

    def age_at(rows: np.ndarray) -> np.ndarray:
        return age_on(bymd, np.where(rows >= 0, _take(pd, rows, 0), 0))

    res.law[:] = np.where(integ, 0, 1)

    # ======================= integreringsloven ==========================================
    ig = integ & ~bad

    cc = ColumnContext(n, A, params, bymd, bad, ig, rule_start)
    has_permit = _any(P.bounds, np.ones(len(P), bool))
    last_b = _take(pb, current, -1)
    family = v.b_family_other[np.where(last_b < 0, unknown_b, last_b)]

    def ordinary(prow: np.ndarray, granted: int | np.ndarray) -> np.ndarray:
        has = prow >= 0
        fg = v.b_fg[_take(pb, prow, unknown_b)]
        return il_08.ordinary_columns(cc, has, _take(pd, prow, 0), fg, lives, agreed, granted)

    # which rule decides the category (integreringsloven.intro_category): § 8, ch. 6A, if. § 43h
    first34 = (f9 >= 0) & (f9_b == b34)
    cur_other = (current >= 0) & (cur_b != b34)
    change = _first(P.bounds, noneea & (pb != b34) & (pd >= f9_dd[pp]))  # if_43h_transition.change
    has_ch6a, has_ch6a_intro = if_43h.ch6a_decision_columns(
        params, as_of, n, dp, ddd, is_part | is_npart, is_part, first34, f9_dd, _take(pd, change, NAT)
    )
    later9 = _first(P.bounds, s9 & (pb != b34))
    cat_wo = il_08.without_s9_columns(cc, has_permit, current >= 0, family, _take(pd, current, 0), lives)
    i_rule = intro_rule_columns(
        f9 >= 0,
        first34,
        il_37.under_ch6a_columns(cc, f9_dd),
        cur_other,
        if_43h.applies_columns(cur_other, cur_dd, f9_dd, has_ch6a),
    )
    superseded = i_rule == INTRO_RULE.code("superseded")
    i_permit = np.where(superseded, later9, f9)
    cat_i = ordinary(i_permit, np.where(first34 & ~superseded, il_37.granted_columns(cc, f9_dd), I_RD))
    pre_cat = intro_category_columns(
        i_rule,
        {
            "without_s9": cat_wo,
            "ordinary": cat_i,
            "s43h": if_43h.intro_category_columns(has_ch6a_intro),
            "superseded": np.where(later9 >= 0, cat_i, cat_wo),
        },
    )

    # two-year window (il_08_target_group.participation_after_two_years): from the first § 9 permit
    window = np.where(i_permit >= 0, il_08.window_start_days(f9_dd, lives_date), NAT)
    late = il_08.late_participation_columns(cc, dp, ddd, is_part, window)
    err(dp[late & ig[dp]], il_08.WINDOW.id)
    valid_part = is_part & ~late

    # loss due to work (il_08_loss_due_to_work.apply)
    fp_all = _first(Dc.bounds, valid_part)
    loss_out = il_08_loss.check_columns(params, ddd, _take(ddd, fp_all, NAT)[dp], pre_cat[dp] == I_RD)
    for row in il_08_loss.CHECK.rows:
        if isinstance(row.then, str) and row.then != "valid":
            err(dp[is_loss & (loss_out == il_08_loss.CHECK.code(row.then)) & ig[dp]], row.id)
    fvl = _first(Dc.bounds, is_loss & (loss_out == il_08_loss.CHECK.code("valid")))
    last_part_dd = _take(ddd, _last(Dc.bounds, valid_part), NAT)
    fvl_dd = _take(ddd, fvl, NAT)
    closed = il_08_loss.closure_columns(fvl >= 0, (last_part_dd != NAT) & (last_part_dd > fvl_dd))
    i_cat = np.where(closed, I_NONE, pre_cat)

    # final goal, extension, deadline (il_13_14_final_goals, if_10_19_absence)
    nG = len(v.final_goal)
    goal = E.goal.astype(I64)
    g_months, g_ext, g_bad = goals.goal_columns(params, as_of, v.final_goal)
    gi = np.where(goal < 0, nG, goal)
    known_goal = (goal >= 0) & (goal < nG)
    err(np.flatnonzero(ig & goals.GOAL_UNKNOWN.mask({"goal_known": (goal < 0) | known_goal}, n)), "final_goal_unknown")
    ext = E.ext
    bad |= ig & known_goal & g_bad[gi]
    refused_ext = np.zeros(n, bool)
    for name, m_ in goals.extension_columns(known_goal, g_ext[gi], ext).items():
        err(np.flatnonzero(m_ & ig), name)
        refused_ext |= m_
    ext_used = np.where(refused_ext, 0, ext)
    fp = fp_all
    start = _take(dstart, fp, NAT)
    has_dl = goals.deadline_case_columns(closed, fp >= 0, known_goal)
    months = g_months[gi]
    base, end = goals.deadline_columns(np.where(has_dl, start, 0), months, ext_used)
    deadline = absence.extension_columns(cc, end, intro_wd, has_dl)

    # deviations (nir_004.deviations, the 004 report)
    dev = _DEV_BITS[deviations.deviation_columns(fp >= 0, known_goal, start, v.g_from[gi], v.g_to[gi])]

    # Norwegian (il_26_28_norwegian, il_32_norwegian_deadline)
    sec = v.b_section[pb]
    rel = sec != SECTION_CODE[None]
    fn = _first(P.bounds, rel & (sec != SECTION_CODE["28"]))
    fn = np.where(fn >= 0, fn, _first(P.bounds, rel))
    fn_b, fn_dd = _take(pb, fn, -1), _take(pd, fn, NAT)
    tn = (fn >= 0) & (fn_b == b34) & (current >= 0) & (cur_b != b34)
    # § 43h for Norwegian: the same decisions as above (when the first § 27/6A permit is utl_34 it is f9)
    applies_n = tn & (cur_dd >= fn_dd) & has_ch6a
    kept = _any(Dc.bounds, is_npart & (ddd >= fn_dd[dp]) & (ddd < cur_dd[dp]))
    later_n = _first(P.bounds, rel & (pb != b34) & (pd >= fn_dd[pp]))

    def for_permit(prow: np.ndarray) -> np.ndarray:
        sec_ = v.b_section[_take(pb, prow, unknown_b)]
        ch6a, s27 = sec_ == SECTION_CODE["6A"], sec_ == SECTION_CODE["27"]
        return il_26.category_columns(cc, prow >= 0, _take(pd, prow, 0), ch6a, s27)

    c_fn = for_permit(fn)
    c_after, to_later = il_26.after_ch6a_columns(cc, c_fn, applies_n, kept, later_n >= 0, for_permit(later_n))
    n_cat = np.where(fn < 0, N_NONE, np.where(tn, c_after, c_fn))
    n_permit = np.where(tn & to_later, later_n, fn)
    np_b = _take(pb, n_permit, unknown_b)
    renewal = _first(P.bounds, (sec == SECTION_CODE["27"]) & (np.arange(len(P)) > n_permit[pp]))
    n_start = il_26.start_columns(
        cc,
        _take(pd, n_permit, 0),
        _take(P.arrival_date, n_permit, NAT),
        v.b_renewal[np_b],
        _take(pd, renewal, NAT),
        v.b_settlement[np_b],
        _take(S.date, _first(S.bounds, S.by_agreement), NAT),
    )
    has_ndl = (n_cat != N_NONE) & (n_permit >= 0) & (n_start != NAT)
    n_deadline, n_months = il_32.deadline_columns(cc, has_ndl, n_start, n_cat == N_RIGHT, E.upper, nor_wd)

    # ======================= introduksjonsloven =========================================
    il = ~integ & ~bad
    if il.any():  # on its own persons only (a quarter of the register): o indexes them, oc is their context
        err(dp[is_loss & il[dp]], "loss_due_to_work_not_in_target_group")
        o = np.flatnonzero(~integ)
        oc = ColumnContext(len(o), A, params, (bymd[0][o], bymd[1][o]), bad[o], il[o])
        in_force_d = introl.in_force_columns(oc)
        f9o = f9[o]
        fam = v.b_fg[_take(pb, f9o, unknown_b)]
        o_cat = introl.intro_category_columns(oc, in_force_d, f9o >= 0, _take(pd, f9o, 0), fam, lives[o], agreed[o])
        o_fp = _first(Dc.bounds, is_part)[o]
        o_start = _take(dstart, o_fp, NAT)
        o_has = o_fp >= 0
        prog = introl.programme_columns(oc, in_force_d, o_has, o_start, ext[o], intro_wd[o])
        err(o[prog.exceeds & oc.active], "extension_exceeds_maximum")
        # Norwegian § 17
        relo = v.b_s9[pb] | v.b_s17[pb]
        fo = _first(P.bounds, relo & ~v.b_s17_duty[pb])
        fo = np.where(fo >= 0, fo, _first(P.bounds, relo))[o]
        o_ncat = introl.norwegian_category_columns(
            oc, in_force_d, fo >= 0, _take(pd, fo, 0), v.b_s17_duty[_take(pb, fo, unknown_b)]
        )
        bad[o] = oc.bad

    # ======================= assemble ====================================================
    def put(name: str, mask: Any, values: Any, rows: Any = slice(None)) -> None:
        arr = getattr(res, name)
        arr = arr.view(I64) if arr.dtype.kind == "M" else arr
        arr[rows] = np.where(mask, values, arr[rows])

    g = integ
    put("intro_category", g, i_cat)
    put("intro_closed_date", g & closed, fvl_dd)
    put("intro_absence_workdays", True, intro_wd)  # both acts (a person in neither falls back)
    put("intro_final_goal", g & known_goal, goal)
    put("intro_start_date", g & (fp >= 0), start)
    put("intro_deadline", g & has_dl, deadline)
    put("intro_base_deadline", g & has_dl, base)
    put("intro_months", g & has_dl, months)
    put("intro_extension_months", g & has_dl, ext_used)
    put("norwegian_category", g, n_cat)
    put("norwegian_leave_workdays", True, nor_wd)
    put("norwegian_deadline", g & has_ndl, n_deadline)
    put("norwegian_start_date", g & has_ndl, n_start)
    put("norwegian_months", g & has_ndl, n_months)
    put("deviations", g, dev)
    if il.any():
        put("intro_category", True, o_cat, o)
        put("intro_start_date", o_has, o_start, o)
        put("intro_months", o_has, prog.months, o)
        put("intro_extension_months", o_has, prog.extension, o)
        put("intro_base_deadline", o_has, prog.base, o)
        put("intro_deadline", o_has, prog.deadline, o)
        put("norwegian_category", True, o_ncat, o)
    res.errors[:] = errors
    res.fallback[:] = bad


# --- entry points ------------------------------------------------------------------------


def _fill_fallback(res: BatchResult, facts_for: FactsFor, as_of: dt.date, params: ParameterSet | None) -> None:
    idx = np.flatnonzero(res.fallback)
    if idx.size:
        for i, facts in zip(idx.tolist(), facts_for(idx)):
            res.store(i, evaluate(facts, as_of, params).to_json(explanations=False))


def evaluate_columns(
    columns: Mapping[str, Any],
    as_of: dt.date,
    params: ParameterSet | None = None,
    *,
    facts_for: FactsFor | None = None,
    processes: int = 1,
) -> BatchResult:
    """Evaluate the persons in ``columns`` (the columnar input, see the module docstring) on ``as_of``.

    Persons that need the per-person engine are evaluated with it: their facts
    come from ``facts_for(indices)`` when given (e.g. the original dicts), else
    are rebuilt from the columns (:func:`unflatten`). ``processes > 1`` splits
    the persons into that many chunks evaluated in forked worker processes.
    """
    params = params or parameters_mod.default()
    if processes > 1:
        return _parallel(("columns", columns, as_of, params, facts_for), len(columns["birth_date"]), processes)
    res = _evaluate_all(_encode_columns(columns), as_of, params)
    _fill_fallback(res, facts_for or (lambda idx: unflatten(columns, idx)), as_of, params)
    return res


def evaluate_facts(
    facts_list: Sequence[dict[str, Any]], as_of: dt.date, params: ParameterSet | None = None, *, processes: int = 1
) -> BatchResult:
    """:func:`flatten` + :func:`evaluate_columns` (fallback persons from their own dicts)."""
    params = params or parameters_mod.default()
    if processes > 1:
        return _parallel(("facts", facts_list, as_of, params, None), len(facts_list), processes)
    return evaluate_columns(flatten(facts_list), as_of, params, facts_for=lambda idx: [facts_list[i] for i in idx])


def evaluate_batch(
    facts_list: Sequence[dict[str, Any]], as_of: dt.date, params: ParameterSet | None = None, *, processes: int = 1
) -> list[dict[str, Any]]:
    """Every person's ``evaluate(facts, as_of).to_json(explanations=False)``, vectorised
    (``errors`` and ``deviations`` sorted). Raises what the per-person engine raises
    (e.g. :class:`~nir.rules.model.InvalidFacts`) for the first person it raises for."""
    return evaluate_facts(facts_list, as_of, params, processes=processes).to_dicts()


def unflatten(columns: Mapping[str, Any], persons: Sequence[int] | np.ndarray) -> list[dict[str, Any]]:
    """Rebuild the ``facts`` dicts of ``persons`` from the columnar input (for the per-person fallback).

    Integer codes outside the code lists come back as an unknown code, which the
    engine treats exactly like the original unknown string.
    """
    v = vocab()
    persons = np.asarray(persons, I64)
    E = _encode_columns(columns)

    def iso(x: int) -> str | None:
        return None if x == NAT else _date(x).isoformat()

    def name(kind: str, i: int) -> str:
        codes_ = getattr(v, kind)
        return codes_[i] if 0 <= i < len(codes_) else "\x00unknown"

    out: dict[int, dict[str, Any]] = {
        int(p): {
            "birth_date": iso(int(E.birth[p])),
            "education": UPPER_SECONDARY if E.upper[p] else "unknown",
            "final_goal": None if E.goal[p] < 0 else name("final_goal", int(E.goal[p])),
            "extension_months": int(E.ext[p]),
            "permits": [],
            "settlements": [],
            "residences": [],
            "decisions": [],
            "absences": [],
        }
        for p in persons.tolist()
    }
    want = np.zeros(E.n, bool)
    want[persons] = True
    for tname, t in (
        ("permits", E.permits),
        ("settlements", E.settlements),
        ("residences", E.residences),
        ("decisions", E.decisions),
        ("absences", E.absences),
    ):
        rows = np.flatnonzero(want[t.person]) if len(t) else np.zeros(0, I64)
        if "order" in t.cols:
            rows = rows[np.lexsort((t.cols["order"][rows], t.person[rows]))]
        for r in rows.tolist():
            c = {k: a[r] for k, a in t.cols.items()}
            if tname == "permits":
                ab = int(c["applied_from_abroad"])
                item = {
                    "basis": name("basis", int(c["basis"])),
                    "decision_date": iso(int(c["decision_date"])),
                    "arrival_date": iso(int(c["arrival_date"])),
                    "applied_from_abroad": None if ab < 0 else ab == 1,
                }
            elif tname == "settlements":
                item = {"municipality": "", "date": iso(int(c["date"])), "by_agreement": bool(c["by_agreement"])}
            elif tname == "residences":
                item = {"municipality": "", "from": iso(int(c["from"])), "to": None}
            elif tname == "decisions":
                item = {
                    "scheme": name("scheme", int(c["scheme"])),
                    "type": name("decision_type", int(c["type"])),
                    "result": MADE if c["made"] else "\x00other",
                    "decision_date": iso(int(c["decision_date"])),
                    "start_date": iso(int(c["start_date"])),
                    "end_date": iso(int(c["end_date"])),
                }
            else:
                item = {
                    "scheme": name("scheme", int(c["scheme"])),
                    "kind": name("absence_kind", int(c["kind"])),
                    "from": iso(int(c["from"])),
                    "to": iso(int(c["to"])),
                }
            out[int(t.person[r])][tname].append(item)
    return [out[int(p)] for p in persons.tolist()]


# --- parallel evaluation (fork: the workers inherit the input, nothing is pickled but results) ---

_JOB: tuple[Any, ...] | None = None


def _worker(bounds: tuple[int, int]) -> BatchResult:
    kind, data, as_of, params, facts_for = _JOB  # type: ignore[misc]
    lo, hi = bounds
    if kind == "facts":
        return evaluate_facts(data[lo:hi], as_of, params)
    cols = _slice_columns(data, lo, hi)
    ff = (lambda idx: facts_for(np.asarray(idx) + lo)) if facts_for else None
    return evaluate_columns(cols, as_of, params, facts_for=ff)


def _slice_columns(cols: Mapping[str, Any], lo: int, hi: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in PERSON_COLUMNS + ("education_upper", "fallback"):
        if cols.get(k) is not None:
            out[k] = np.asarray(cols[k])[lo:hi]
    for t in TABLES:
        if f"{t}.person" not in cols:
            continue
        person = np.asarray(cols[f"{t}.person"], I64)
        rows = np.flatnonzero((person >= lo) & (person < hi))
        for k in list(cols):
            if k.startswith(t + "."):
                out[k] = np.asarray(cols[k])[rows]
        out[f"{t}.person"] = person[rows] - lo
    return out


def _parallel(job: tuple[Any, ...], n: int, processes: int) -> BatchResult:
    global _JOB
    if n == 0:
        return BatchResult.empty(job[2], 0)
    chunks = max(processes, 1)
    step = -(-n // chunks)
    bounds = [(i, min(i + step, n)) for i in range(0, n, step)]
    _JOB = job
    try:
        ctx = mp.get_context("fork")
        with ctx.Pool(min(processes, len(bounds))) as pool:
            parts = pool.map(_worker, bounds)
    finally:
        _JOB = None
    return BatchResult.concat(parts)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
