"""Rules as data: ordered decision tables over named inputs, run by two interpreters.

A paragraph whose rule is a choice among cases is written once, as a
:class:`DecisionTable`: an ordered list of :class:`Row` (rule id, condition,
outcome, legal basis, the Norwegian text of the explanation). The first row
whose condition holds decides.

* :meth:`DecisionTable.decide` runs the rows for **one person** on a scope of
  scalars and returns the outcome with its explanation (the register's
  explanation chain);
* :meth:`DecisionTable.columns` runs the **same rows** on a scope of numpy
  arrays (the whole register) with ``np.select`` and returns the outcomes and,
  per person, the index of the row that decided.

Conditions are small expressions over the scope's names — ``V("age") <
V("age_min")``, ``V("lives") & ~V("agreed")`` — that evaluate on scalars and
on arrays alike and describe themselves for the generated documentation. A
row's outcome is a code (``"right_and_duty"``) or a name of the scope
(``V("granted")``). There is no other place a table's rule is written.

Every rule id the engine can emit is declared once in :data:`REGISTRY` (by a
table's rows, or by :func:`declare` for an error or an arithmetic rule) with
its title and :class:`~nir.rules.legal_basis.LegalBasis`; the catalogue and
``docs/regler/`` are generated from it.
"""

from __future__ import annotations

import datetime as dt
import operator
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from nir.rules.legal_basis import LegalBasis, cite
from nir.rules.model import Derived, Explanation
from nir.rules.parameters import Value

Scope = Mapping[str, Any]

# --- expressions -----------------------------------------------------------------------


class Expr:
    """A condition or value over a scope of scalars (one person) or arrays (many)."""

    __slots__ = ()
    __hash__ = object.__hash__

    def eval(self, scope: Scope) -> Any:
        raise NotImplementedError

    def source(self, consts: dict[str, Any]) -> str:
        """Python source of the expression on one person's scope ``s`` (constants bound in ``consts``)."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def names(self) -> set[str]:
        raise NotImplementedError

    def _cmp(self, other: Any, op: str) -> Cmp:
        return Cmp(op, self, _expr(other))

    def __lt__(self, other: Any) -> Cmp:
        return self._cmp(other, "<")

    def __le__(self, other: Any) -> Cmp:
        return self._cmp(other, "<=")

    def __gt__(self, other: Any) -> Cmp:
        return self._cmp(other, ">")

    def __ge__(self, other: Any) -> Cmp:
        return self._cmp(other, ">=")

    def __eq__(self, other: Any) -> Cmp:  # type: ignore[override]
        return self._cmp(other, "==")

    def __ne__(self, other: Any) -> Cmp:  # type: ignore[override]
        return self._cmp(other, "!=")

    def __and__(self, other: Any) -> And:
        return And(self, _expr(other))

    def __or__(self, other: Any) -> Or:
        return Or(self, _expr(other))

    def __invert__(self) -> Not:
        return Not(self)

    def __repr__(self) -> str:
        return self.describe()


class V(Expr):
    """A name of the scope: an input of the table."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def eval(self, scope: Scope) -> Any:
        return scope[self.name]

    def source(self, consts: dict[str, Any]) -> str:
        return f"s[{self.name!r}]"

    def describe(self) -> str:
        return self.name

    def names(self) -> set[str]:
        return {self.name}


class C(Expr):
    """A constant."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def eval(self, scope: Scope) -> Any:
        return self.value

    def source(self, consts: dict[str, Any]) -> str:
        consts[k := f"c{len(consts)}"] = self.value
        return k

    def describe(self) -> str:
        return repr(self.value)

    def names(self) -> set[str]:
        return set()


ALWAYS = C(True)

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class Cmp(Expr):
    __slots__ = ("op", "a", "b")

    def __init__(self, op: str, a: Expr, b: Expr) -> None:
        self.op, self.a, self.b = op, a, b

    def eval(self, scope: Scope) -> Any:
        return _OPS[self.op](self.a.eval(scope), self.b.eval(scope))

    def source(self, consts: dict[str, Any]) -> str:
        return f"({self.a.source(consts)} {self.op} {self.b.source(consts)})"

    def describe(self) -> str:
        return f"{self.a.describe()} {self.op} {self.b.describe()}"

    def names(self) -> set[str]:
        return self.a.names() | self.b.names()


class And(Expr):
    __slots__ = ("a", "b")

    def __init__(self, a: Expr, b: Expr) -> None:
        self.a, self.b = a, b

    def eval(self, scope: Scope) -> Any:
        x = self.a.eval(scope)
        if not isinstance(x, np.ndarray):
            return bool(x) and bool(self.b.eval(scope))
        return np.logical_and(x, self.b.eval(scope))

    def source(self, consts: dict[str, Any]) -> str:
        return f"({self.a.source(consts)} and {self.b.source(consts)})"

    def describe(self) -> str:
        return f"({self.a.describe()} og {self.b.describe()})"

    def names(self) -> set[str]:
        return self.a.names() | self.b.names()


class Or(Expr):
    __slots__ = ("a", "b")

    def __init__(self, a: Expr, b: Expr) -> None:
        self.a, self.b = a, b

    def eval(self, scope: Scope) -> Any:
        x = self.a.eval(scope)
        if not isinstance(x, np.ndarray):
            return bool(x) or bool(self.b.eval(scope))
        return np.logical_or(x, self.b.eval(scope))

    def source(self, consts: dict[str, Any]) -> str:
        return f"({self.a.source(consts)} or {self.b.source(consts)})"

    def describe(self) -> str:
        return f"({self.a.describe()} eller {self.b.describe()})"

    def names(self) -> set[str]:
        return self.a.names() | self.b.names()


class Not(Expr):
    __slots__ = ("a",)

    def __init__(self, a: Expr) -> None:
        self.a = a

    def eval(self, scope: Scope) -> Any:
        x = self.a.eval(scope)
        return np.logical_not(x) if isinstance(x, np.ndarray) else not x

    def source(self, consts: dict[str, Any]) -> str:
        return f"(not {self.a.source(consts)})"

    def describe(self) -> str:
        return f"ikke {self.a.describe()}"

    def names(self) -> set[str]:
        return self.a.names()


def _expr(x: Any) -> Expr:
    return x if isinstance(x, Expr) else C(x)


def first_holding(conditions: Sequence[Expr]) -> Callable[[Scope], int]:
    """The one-person interpreter of a list of conditions, compiled once into one Python function: the index of
    the first condition that holds on a scope of scalars, or -1 (the Expr tree is not walked per person)."""
    consts: dict[str, Any] = {}
    body = " else ".join(f"{i} if {c.source(consts)}" for i, c in enumerate(conditions))
    return eval(f"lambda s: {body} else -1", consts)  # type: ignore[no-any-return]


# --- the rule registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class RuleDecl:
    """A rule id the engine can emit, declared once: title (bokmål), legal bases, verified or not, and the
    module (paragraph) that holds it."""

    id: str
    title: str
    bases: tuple[LegalBasis, ...]
    verified: bool
    module: str
    kind: str = "rule"  # "rule" (decides a value), "error" (refuses a registration), "deviation"

    @cached_property
    def source(self) -> str:
        return cite(*self.bases)


REGISTRY: dict[str, RuleDecl] = {}


def declare(
    rule_id: str,
    title: str,
    *bases: LegalBasis,
    verified: bool | None = None,
    kind: str = "rule",
    module: str = "",
) -> RuleDecl:
    """Declare a rule id once (an error rule, an arithmetic rule); tables declare their rows themselves.
    ``verified`` defaults to whether every basis is verified."""
    decl = RuleDecl(
        rule_id,
        title,
        tuple(bases),
        all(b.verified for b in bases) if verified is None else verified,
        module or _caller_module(),
        kind,
    )
    old = REGISTRY.get(rule_id)
    if old is not None and old.module != decl.module:
        raise ValueError(f"rule id {rule_id!r} declared in {old.module} and {decl.module}")
    if old is None:
        REGISTRY[rule_id] = decl
    return REGISTRY[rule_id]


def _caller_module() -> str:
    import sys

    frame = sys._getframe(2)
    while frame.f_globals.get("__name__", "") in (__name__,):
        frame = frame.f_back  # type: ignore[assignment]
    return str(frame.f_globals.get("__name__", ""))


# --- decision tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One case of a decision table. ``text`` is a bokmål template over the scope's names (dates are
    written dd.mm.åååå); ``verified`` defaults to the basis' flag."""

    id: str
    when: Expr
    then: str | V
    basis: LegalBasis | tuple[LegalBasis, ...]
    text: str
    verified: bool | None = None
    title: str = ""

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The scope names the text uses."""
        return tuple({f for _, f, _, _ in string.Formatter().parse(self.text) if f})

    @cached_property
    def bases(self) -> tuple[LegalBasis, ...]:
        return self.basis if isinstance(self.basis, tuple) else (self.basis,)

    @cached_property
    def is_verified(self) -> bool:
        return all(b.verified for b in self.bases) if self.verified is None else self.verified

    @cached_property
    def source(self) -> str:
        return cite(*self.bases)

    def outcome(self, scope: Scope) -> Any:
        return self.then.eval(scope) if isinstance(self.then, V) else self.then


_OUTCOME: Any = object()  # explain(): the step's value is the row's outcome


def _fmt(value: Any) -> Any:
    if isinstance(value, dt.date):
        return f"{value.day:02d}.{value.month:02d}.{value.year}"
    if value is None:
        return "–"
    return value


_AS_IS = frozenset({str, int, bool, float})


def fill(template: str, fields: tuple[str, ...], scope: Scope) -> str:
    """A text template over the scope's names ``fields``: dates written dd.mm.åååå, none as «–»."""
    values = {}
    for k in fields:
        v = scope[k]
        values[k] = v if type(v) in _AS_IS else _fmt(v)
    return template.format_map(values)


@dataclass
class DecisionTable:
    """An ordered decision table. ``outputs`` is the code list of the outcomes in the order the column
    interpreter encodes them (an outcome's index); ``labels`` prefixes each explanation with the outcome's
    label («Rett og plikt til introduksjonsprogram: …»)."""

    name: str
    outputs: tuple[str, ...]
    rows: Sequence[Row]
    labels: Mapping[str, str] = field(default_factory=dict)
    module: str = ""

    def __post_init__(self) -> None:
        self.module = self.module or _caller_module()
        self.rows = tuple(self.rows)
        for r in self.rows:
            if isinstance(r.then, str) and r.then not in self.outputs:
                raise ValueError(f"{self.name}: row {r.id} decides {r.then!r}, not one of {self.outputs}")
            declare(r.id, r.title or r.text, *r.bases, verified=r.is_verified, module=self.module)
        self._index = {c: i for i, c in enumerate(self.outputs)}
        if len(self.rows) > 16:  # the column interpreter's bit sets (DecisionTable.columns)
            raise ValueError(f"{self.name}: more than 16 rows; split the table")
        self._compiled: tuple[Sequence[Row], Callable[[Scope], int]] | None = None
        TABLES.append(self)

    # one person -----------------------------------------------------------------------------

    def match(self, scope: Scope) -> Row:
        """The first row whose condition holds (a table must end with an ``ALWAYS`` row or cover every
        case; none matching is a defect of the table)."""
        if self._compiled is None or self._compiled[0] is not self.rows:  # once per rows (a test may replace them)
            self._compiled = (self.rows, first_holding([r.when for r in self.rows]))
        i = self._compiled[1](scope)
        if i >= 0:
            return self.rows[i]
        raise ValueError(f"{self.name}: no row matches {dict(scope)!r}")

    def decide(
        self,
        scope: Scope,
        facts: Mapping[str, Any] | None = None,
        params: Sequence[Value] = (),
    ) -> Derived:
        """Run the rows for one person: the outcome and its explanation (rule id, legal basis, text)."""
        step = self.explain(self.match(scope), scope, facts, params)
        return Derived(step.value, [step])

    def explain(
        self,
        r: Row,
        scope: Scope,
        facts: Mapping[str, Any] | None = None,
        params: Sequence[Value] = (),
        value: Any = _OUTCOME,
    ) -> Explanation:
        """The explanation of row ``r`` (the one :meth:`match` found) for one person: its text over the scope after
        the outcome's label; ``value``, when given, is the value the step explains in place of the outcome."""
        outcome = r.outcome(scope)
        text = fill(r.text, r.fields, scope)
        label = self.labels.get(outcome)
        if label:
            text = f"{label}: {text}"
        value = outcome if value is _OUTCOME else value
        return Explanation(r.id, r.source, text, value, dict(facts or {}), list(params), r.is_verified)

    # many persons -----------------------------------------------------------------------------

    def columns(self, scope: Scope, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Run the same rows on arrays of ``n`` persons: (outcome index into ``outputs``, row index).

        First match wins: row ``i``'s condition sets bit ``i`` of each person's bit set (a byte-wide shift and or),
        and the lowest set bit, read from a table of every bit pattern, is the matched row (-1: none)."""
        bits = np.zeros(n, np.min_scalar_type((1 << len(self.rows)) - 1))
        for i, r in enumerate(self.rows):
            cond = r.when.eval(scope)
            if isinstance(cond, np.ndarray):
                bits |= np.left_shift(cond, i, dtype=bits.dtype)
            elif cond:
                bits |= 1 << i
                break  # the rows below are never reached
        row: np.ndarray = _lowest_bit(len(self.rows)).take(bits)
        lookup = np.array([self._index.get(r.then, -1) if isinstance(r.then, str) else -1 for r in self.rows] + [-1])
        values: np.ndarray = lookup.take(row)
        for i, r in enumerate(self.rows):
            if isinstance(r.then, V):  # an outcome named in the scope (a code index, or one per person)
                values = np.where(row == i, np.asarray(r.then.eval(scope), np.int64), values)
        return values, row

    def code(self, value: str) -> int:
        """The column interpreter's index of an outcome."""
        return self._index[value]

    def verified_rows(self) -> np.ndarray:
        """Per row, whether its result is verified (index with the row index of :meth:`columns`)."""
        return np.array([r.is_verified for r in self.rows], bool)


TABLES: list[DecisionTable] = []


@lru_cache
def _lowest_bit(rows: int) -> np.ndarray:
    """For every bit pattern over ``rows`` conditions its lowest set bit: the first matching row (-1: none)."""
    return np.array([(p & -p).bit_length() - 1 for p in range(1 << rows)], np.int8)
