"""The JSON case format (regelmotor.md § 7): load cases and compare expectations.

A case is one JSON file::

    {"description": "…", "source": "004", "as_of": "2026-04-01",
     "facts": {…}, "expect": {"law": …, "intro": {…}, "norwegian": {…},
                              "deviations": […], "errors": […]}}

Only keys present in ``expect`` are checked; dicts are compared recursively;
lists (deviations, errors) are compared as sets, order-insensitive. ``expect`` may
name ``"unverified"``: the result keys derived through an unverified rule or
parameter (``Result.unverified``), compared as a set.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nir.rules.engine import evaluate
from nir.rules.model import InvalidFacts, Result
from nir.rules.parameters import ParameterSet

MISSING = "<mangler>"


class CaseError(ValueError):
    """A case file that cannot be read."""


@dataclass(frozen=True, slots=True)
class Case:
    path: Path
    description: str
    source: str
    as_of: dt.date
    facts: dict[str, Any]
    expect: dict[str, Any]

    def evaluate(self, params: ParameterSet | None = None) -> Result:
        return evaluate(self.facts, self.as_of, params)


@dataclass(frozen=True, slots=True)
class Mismatch:
    key: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return (
            f"{self.key}: forventet {json.dumps(self.expected, ensure_ascii=False)}, "
            f"fikk {json.dumps(self.actual, ensure_ascii=False) if self.actual is not MISSING else MISSING}"
        )


def load_case(path: Path | str) -> Case:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CaseError(f"kan ikke lese casen: {e}") from None
    if not isinstance(raw, dict):
        raise CaseError("casen må være et JSON-objekt")
    for key in ("as_of", "facts", "expect"):
        if key not in raw:
            raise CaseError(f"casen mangler '{key}'")
    try:
        as_of = dt.date.fromisoformat(str(raw["as_of"]))
    except ValueError:
        raise CaseError("as_of må være en dato på formen ÅÅÅÅ-MM-DD") from None
    if not isinstance(raw["expect"], dict):
        raise CaseError("expect må være et objekt")
    return Case(path, str(raw.get("description", "")), str(raw.get("source", "")), as_of, raw["facts"], raw["expect"])


def find_cases(paths: Iterable[Path | str]) -> tuple[list[Path], list[str]]:
    """Case files under ``paths`` (files, or folders searched recursively for ``*.json``),
    and the paths that do not exist."""
    files: list[Path] = []
    missing: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(p.rglob("*.json")))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(str(p))
    return files, missing


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _same(expected: Any, actual: Any) -> bool:
    return (
        type(expected) is type(actual)
        and expected == actual
        or (
            isinstance(expected, (int, float))
            and isinstance(actual, (int, float))
            and not isinstance(expected, bool)
            and not isinstance(actual, bool)
            and expected == actual
        )
    )


def compare(expected: Any, actual: Any, key: str = "") -> list[Mismatch]:
    """Mismatches between an expectation and the actual result (only expected keys are checked)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(key, expected, actual)]
        out = []
        for k, v in expected.items():
            sub = f"{key}.{k}" if key else k
            if k not in actual:
                out.append(Mismatch(sub, v, MISSING))
            else:
                out.extend(compare(v, actual[k], sub))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or {_canon(x) for x in expected} != {_canon(x) for x in actual}:
            return [Mismatch(key, expected, actual)]
        return []
    return [] if _same(expected, actual) else [Mismatch(key, expected, actual)]


def check_case(case: Case, params: ParameterSet | None = None) -> list[Mismatch]:
    try:
        # ``unverified`` (three-valued results) is optional in the case format: compared when expected
        result = case.evaluate(params).to_json(explanations=False, unverified="unverified" in case.expect)
    except InvalidFacts as e:
        return [Mismatch("facts", "gyldige fakta", str(e))]
    return compare(case.expect, result)
