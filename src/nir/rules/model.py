"""Typed facts, explanations and results of the rules engine.

``parse_facts`` turns the case-format ``facts`` object (also the register
interchange format, regelmotor.md § 7–8) into small typed records once; the
rules then never parse strings. Unknown keys are tolerated (the interchange
format grows with the register); the engine only reads what it uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from nir.rules.parameters import Value


class InvalidFacts(ValueError):
    """The facts cannot be read (a required field is missing or malformed)."""


# --- facts ---------------------------------------------------------------------


@dataclass(slots=True)
class Permit:
    index: int
    basis: str
    decision_date: dt.date
    arrival_date: dt.date | None = None
    applied_from_abroad: bool | None = None

    @property
    def path(self) -> str:
        return f"permits[{self.index}]"


@dataclass(slots=True)
class Settlement:
    index: int
    municipality: str
    date: dt.date
    by_agreement: bool

    @property
    def path(self) -> str:
        return f"settlements[{self.index}]"


@dataclass(slots=True)
class Residence:
    index: int
    municipality: str
    start: dt.date
    end: dt.date | None

    @property
    def path(self) -> str:
        return f"residences[{self.index}]"


@dataclass(slots=True)
class Decision:
    index: int
    scheme: str
    type: str
    result: str
    decision_date: dt.date
    start_date: dt.date | None = None
    end_date: dt.date | None = None

    @property
    def path(self) -> str:
        return f"decisions[{self.index}]"


@dataclass(slots=True)
class Period:
    index: int
    scheme: str
    kind: str
    start: dt.date
    end: dt.date

    @property
    def path(self) -> str:
        return f"absences[{self.index}]"


@dataclass(slots=True)
class Facts:
    birth_date: dt.date
    education: str
    permits: list[Permit]
    settlements: list[Settlement]
    residences: list[Residence]
    decisions: list[Decision]
    final_goal: str | None
    extension_months: int
    absences: list[Period]


def _where(kind: str, i: int, key: str) -> str:
    """A field's path in an error message (built only when there is an error)."""
    return f"facts.{kind}[{i}].{key}" if kind else f"facts.{key}"


@overload
def _date(value: Any, kind: str, i: int, key: str) -> dt.date: ...


@overload
def _date(value: Any, kind: str, i: int, key: str, required: Literal[False]) -> dt.date | None: ...


def _date(value: Any, kind: str, i: int, key: str, required: bool = True) -> dt.date | None:
    if type(value) is str and value:  # the interchange format's ISO date: no other checks
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidFacts(f"{_where(kind, i, key)}: må være en dato på formen ÅÅÅÅ-MM-DD") from None
    if value is None or value == "":
        if required:
            raise InvalidFacts(f"{_where(kind, i, key)}: mangler (påkrevd)")
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidFacts(f"{_where(kind, i, key)}: må være en dato på formen ÅÅÅÅ-MM-DD") from None


def _items(facts: dict[str, Any], kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    value = facts.get(kind)
    if value is None:
        return
    if not isinstance(value, list):
        raise InvalidFacts(f"facts.{kind}: må være en liste")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise InvalidFacts(f"facts.{kind}[{i}]: må være et objekt")
        yield i, item


def parse_facts(facts: dict[str, Any]) -> Facts:
    """Read a ``facts`` object. Raises :class:`InvalidFacts` with the path of the first problem."""
    if not isinstance(facts, dict):
        raise InvalidFacts("facts: må være et objekt")
    permits = []
    for i, raw in _items(facts, "permits"):
        abroad = raw.get("applied_from_abroad")
        if abroad is not None and not isinstance(abroad, bool):
            raise InvalidFacts(f"facts.permits[{i}].applied_from_abroad: må være true, false eller null")
        permits.append(
            Permit(
                i,
                str(raw.get("basis") or ""),
                _date(raw.get("decision_date"), "permits", i, "decision_date"),
                _date(raw.get("arrival_date"), "permits", i, "arrival_date", False),
                abroad,
            )
        )
    permits.sort(key=lambda x: (x.decision_date, x.index))
    settlements = [
        Settlement(
            i,
            str(raw.get("municipality") or ""),
            _date(raw.get("date"), "settlements", i, "date"),
            raw.get("by_agreement") is True,
        )
        for i, raw in _items(facts, "settlements")
    ]
    settlements.sort(key=lambda x: (x.date, x.index))
    residences = [
        Residence(
            i,
            str(raw.get("municipality") or ""),
            _date(raw.get("from"), "residences", i, "from"),
            _date(raw.get("to"), "residences", i, "to", False),
        )
        for i, raw in _items(facts, "residences")
    ]
    residences.sort(key=lambda x: (x.start, x.index))
    decisions = [
        Decision(
            i,
            str(raw.get("scheme") or ""),
            str(raw.get("type") or ""),
            str(raw.get("result") or "made"),
            _date(raw.get("decision_date"), "decisions", i, "decision_date"),
            _date(raw.get("start_date"), "decisions", i, "start_date", False),
            _date(raw.get("end_date"), "decisions", i, "end_date", False),
        )
        for i, raw in _items(facts, "decisions")
    ]
    decisions.sort(key=lambda x: (x.decision_date, x.index))
    absences = [
        Period(
            i,
            str(raw.get("scheme") or ""),
            str(raw.get("kind") or ""),
            _date(raw.get("from"), "absences", i, "from"),
            _date(raw.get("to"), "absences", i, "to"),
        )
        for i, raw in _items(facts, "absences")
    ]
    ext = facts.get("extension_months") or 0
    if isinstance(ext, bool) or not isinstance(ext, int) or ext < 0:
        raise InvalidFacts("facts.extension_months: må være et ikke-negativt heltall")
    goal = facts.get("final_goal")
    if goal is not None and not isinstance(goal, str):
        raise InvalidFacts("facts.final_goal: må være en sluttmålkode")
    return Facts(
        birth_date=_date(facts.get("birth_date"), "", 0, "birth_date"),
        education=str(facts.get("education") or "unknown"),
        permits=permits,
        settlements=settlements,
        residences=residences,
        decisions=decisions,
        final_goal=goal or None,
        extension_months=ext,
        absences=absences,
    )


# --- explanations --------------------------------------------------------------


_PLAIN = frozenset({str, int, bool, float, type(None)})


def _json(v: Any) -> Any:
    t = type(v)  # exact types first, plain values without a call: explanations are serialised for every person
    if t in _PLAIN:
        return v
    if t is dt.date:
        return v.isoformat()
    if t is dict:
        return {k: x if type(x) in _PLAIN else _json(x) for k, x in v.items()}
    if t is list or t is tuple:
        return [x if type(x) in _PLAIN else _json(x) for x in v]
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    return v


@dataclass(slots=True)
class Explanation:
    """Why a value is what it is: the rule, its legal source, the facts and parameters used."""

    rule: str
    source: str
    text: str
    value: Any = None
    facts: dict[str, Any] = field(default_factory=dict)
    parameters: list[Value] = field(default_factory=list)
    verified: bool = True

    @property
    def is_verified(self) -> bool:
        """The step and every parameter it used are verified against the law."""
        return self.verified and all(p.verified for p in self.parameters)

    def unverified_sources(self) -> list[str]:
        """The legal sources of what is not verified in this step: its rule's, its parameters'."""
        out = [] if self.verified else [self.source]
        return out + [p.source for p in self.parameters if not p.verified]

    def to_json(self) -> dict[str, Any]:
        params = self.parameters
        out = {
            "rule": self.rule,
            "source": self.source,
            "verified": self.verified and (not params or self.is_verified),
            "value": _json(self.value),
            "text": self.text,
            "facts": _json(self.facts),
        }
        if params:
            out["parameters"] = [p.to_json() for p in params]
        return out


@dataclass(slots=True)
class Derived:
    """A derived value and the explanation steps that produced it (last step = final)."""

    value: Any
    steps: list[Explanation]


@dataclass(slots=True)
class RuleError:
    """A registered fact that breaks a rule. It is ignored for derivation."""

    rule: str
    message: str
    source: str
    subject: str  # path of the offending fact, e.g. "decisions[1]"
    facts: dict[str, Any] = field(default_factory=dict)
    verified: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "source": self.source,
            "verified": self.verified,
            "subject": self.subject,
            "text": self.message,
            "facts": _json(self.facts),
        }


# --- results -------------------------------------------------------------------

CLOSED_BY = "Regelmotor"


@dataclass(slots=True)
class Closure:
    status: str
    reason: str
    date: dt.date
    registered_by: str = CLOSED_BY

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "date": self.date.isoformat(),
            "registered_by": self.registered_by,
        }


@dataclass(slots=True)
class IntroResult:
    category: str = "none"
    closed: Closure | None = None
    absence_workdays: int = 0
    deadline: dt.date | None = None
    start_date: dt.date | None = None
    final_goal: str | None = None
    months: int | None = None
    extension_months: int = 0
    base_deadline: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "closed": self.closed.to_json() if self.closed else None,
            "absence_workdays": self.absence_workdays,
            "deadline": _json(self.deadline),
            "start_date": _json(self.start_date),
            "final_goal": self.final_goal,
            "months": self.months,
            "extension_months": self.extension_months,
            "base_deadline": _json(self.base_deadline),
        }


@dataclass(slots=True)
class NorwegianResult:
    category: str = "none"
    leave_workdays: int = 0
    deadline: dt.date | None = None
    start_date: dt.date | None = None
    months: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "leave_workdays": self.leave_workdays,
            "deadline": _json(self.deadline),
            "start_date": _json(self.start_date),
            "months": self.months,
        }


@dataclass(slots=True)
class Result:
    as_of: dt.date
    law: str
    intro: IntroResult
    norwegian: NorwegianResult
    deviations: list[str]
    errors: list[RuleError]
    explanations: dict[str, list[Explanation]]

    @property
    def error_ids(self) -> list[str]:
        return list(dict.fromkeys(e.rule for e in self.errors))

    def explanation_steps(self) -> list[dict[str, Any]]:
        """Every explanation step in ``to_json()``'s order, flattened, with only what a reader of
        the result sees (key, rule, legal source, text, verified): the facts and parameters behind
        each step are not serialised. Errors come last under the key ``errors``."""
        out = [
            {
                "key": key,
                "rule": s.rule,
                "source": s.source,
                "text": s.text,
                "verified": s.is_verified,
            }
            for key, steps in self.explanations.items()
            if key != "errors"
            for s in steps
        ]
        out += [
            {"key": "errors", "rule": e.rule, "source": e.source, "text": e.message, "verified": e.verified}
            for e in self.errors
        ]
        return out

    @property
    def unverified(self) -> list[str]:
        """Three-valued results (like nare's KANSKJE): the result keys (``intro.category``,
        ``norwegian.deadline``, …) whose explanation chain holds a step that is not verified against the
        law — an unverified rule or row, or an unverified parameter. Such a value is derived, but on a
        reading the law does not settle; the pages mark it «Ikke verifisert» with its sources."""
        return [k for k, steps in self.explanations.items() if k != "errors" and not all(s.is_verified for s in steps)]

    def unverified_sources(self, key: str) -> list[str]:
        """The sources of the unverified steps behind one result key, each once, in chain order."""
        return list(dict.fromkeys(src for s in self.explanations.get(key, ()) for src in s.unverified_sources()))

    def to_json(self, explanations: bool = True, unverified: bool | None = None) -> dict[str, Any]:
        """The result as the case format and the interchange format have it. ``unverified`` (the keys of
        :attr:`unverified`, an optional key a case may ``expect``) is included with the explanations, or
        when asked for; the column path (``vector``) does not compute it, so it is not in the values-only
        form by default."""
        out: dict[str, Any] = {
            "law": self.law,
            "intro": self.intro.to_json(),
            "norwegian": self.norwegian.to_json(),
            "deviations": list(self.deviations),
            "errors": self.error_ids,
        }
        ex = {k: [s.to_json() for s in v] for k, v in self.explanations.items()} if explanations else None
        if explanations if unverified is None else unverified:  # from the serialised steps when there are some
            out["unverified"] = (
                self.unverified
                if ex is None
                else [k for k, v in ex.items() if k != "errors" and not all(s["verified"] for s in v)]
            )
        if ex is not None:
            ex["errors"] = [e.to_json() for e in self.errors]
            out["explanations"] = ex
        return out
