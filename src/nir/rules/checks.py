"""Error rules as data: a :class:`Check` refuses a registered fact, written once, run by both interpreters.

A check is an error rule id, a condition over a scope (the table DSL of :mod:`nir.rules.table`), its
legal basis and the bokmål text of the message. Creating it declares the id once in
:data:`nir.rules.table.REGISTRY` with ``kind="error"``. The per-person path asks :meth:`Check.error`
on a scope of scalars (one fact) and gets a :class:`~nir.rules.model.RuleError` whose ``source`` is
``basis.cite()``; the column path asks :meth:`Check.mask` on a scope of arrays (one row per fact) and
gets the rows that break the rule. :func:`first_masks` runs a list of checks where only the first
failing one is reported (a chain), :func:`all_masks` where every one is.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from nir.rules.legal_basis import LegalBasis, cite
from nir.rules.model import RuleError
from nir.rules.table import Expr, RuleDecl, Scope, declare, fill, first_holding

ErrorFacts = Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None  # an error's facts, or how to get them if one


def _defining_module() -> str:
    frame = sys._getframe(1)
    while frame.f_globals.get("__name__", "") in (__name__, "dataclasses") or frame.f_code.co_name == "__init__":
        frame = frame.f_back  # type: ignore[assignment]
    return str(frame.f_globals.get("__name__", ""))


@dataclass(frozen=True)
class Check:
    """An error rule: ``when`` holds → the fact is refused with ``text`` (a template over the scope)."""

    id: str
    when: Expr
    basis: LegalBasis | tuple[LegalBasis, ...]
    text: str
    title: str = ""
    verified: bool | None = None
    decl: RuleDecl = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bases = self.basis if isinstance(self.basis, tuple) else (self.basis,)
        decl = declare(
            self.id, self.title or self.text, *bases, verified=self.verified, kind="error", module=_defining_module()
        )
        object.__setattr__(self, "decl", decl)

    @cached_property
    def source(self) -> str:
        return cite(*self.decl.bases)

    @cached_property
    def _fields(self) -> tuple[str, ...]:
        return tuple({f for _, f, _, _ in string.Formatter().parse(self.text) if f})

    @cached_property
    def _holds(self) -> Callable[[Scope], int]:
        return first_holding([self.when])  # 0: the condition holds, -1: not

    def message(self, scope: Scope) -> str:
        return fill(self.text, self._fields, scope)

    def error(self, scope: Scope, subject: str, facts: ErrorFacts = None) -> RuleError | None:
        """One fact: the error when the condition holds, else None."""
        if self._holds(scope) < 0:
            return None
        facts = facts() if callable(facts) else facts
        return RuleError(self.id, self.message(scope), self.source, subject, dict(facts or {}), self.decl.verified)

    def mask(self, scope: Scope, n: int) -> np.ndarray:
        """Rows of ``n`` facts: where the condition holds."""
        return np.broadcast_to(np.asarray(self.when.eval(scope), bool), (n,))


def first_error(checks: Sequence[Check], scope: Scope, subject: str, facts: ErrorFacts = None) -> RuleError | None:
    """The first check that refuses the fact (a chain: later checks assume the earlier ones passed)."""
    for c in checks:
        e = c.error(scope, subject, facts)
        if e is not None:
            return e
    return None


def all_errors(checks: Sequence[Check], scope: Scope, subject: str, facts: ErrorFacts = None) -> list[RuleError]:
    """Every check that refuses the fact."""
    return [e for c in checks if (e := c.error(scope, subject, facts)) is not None]


def first_masks(checks: Sequence[Check], scope: Scope, n: int) -> dict[str, np.ndarray]:
    """:func:`first_error` on rows: per check id, the rows it is the first to refuse."""
    out: dict[str, np.ndarray] = {}
    taken = np.zeros(n, bool)
    for c in checks:
        m = c.mask(scope, n) & ~taken
        out[c.id] = m | out.get(c.id, np.zeros(n, bool))
        taken |= m
    return out


def all_masks(checks: Sequence[Check], scope: Scope, n: int) -> dict[str, np.ndarray]:
    """:func:`all_errors` on rows: per check id, the rows it refuses."""
    return {c.id: c.mask(scope, n) for c in checks}


def refused(masks: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Rows refused by any of the checks."""
    out = np.zeros(n, bool)
    for m in masks.values():
        out |= m
    return out
