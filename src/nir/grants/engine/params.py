"""The grants' parameters: rates per grant type and grant year, and every other number the grant rules use.

They live in ``nir/grants/parameters/*.yaml`` in the Regelmotor's format (``nir.rules.parameters``: dated
versions, each with its ``source`` and ``verified`` flag). A rate is the parameter ``rates.<grant type>``
(``rates.AR-1 EV``) with one version per grant year (``valid_from`` 1 January, ``valid_to`` 31 December):
adding the next year's rate is one more version in ``rates.yaml``, no code. Another parameter is read
for a grant year on its 1 January (:func:`value`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from nir.rules import parameters as p
from nir.rules.parameters import ParameterError, ParameterSet, Version

DATA_DIR = Path(__file__).resolve().parent.parent / "parameters"

__all__ = ["DATA_DIR", "ParameterError", "ParameterSet", "Version", "default", "load", "rate", "value", "with_rates"]


def load(directory: Path | str = DATA_DIR) -> ParameterSet:
    return p.load(directory)


@lru_cache(maxsize=1)
def default() -> ParameterSet:
    """The shipped grant parameters, loaded once per process."""
    return load(DATA_DIR)


def rate_name(grant_type: str) -> str:
    return f"rates.{grant_type}"


def rate(params: ParameterSet, grant_type: str, grant_year: int) -> Version | None:
    """The rate of ``grant_type`` for ``grant_year``, or None when none is known (the line is then pending)."""
    name = rate_name(grant_type)
    if name not in params:
        return None
    return params.find(name, dt.date(grant_year, 1, 1))


def value(params: ParameterSet, name: str, grant_year: int) -> Any:
    """Another grant parameter's value for ``grant_year`` (raises ParameterError when none is in force)."""
    return params.get(name, dt.date(grant_year, 1, 1)).value


def version(params: ParameterSet, name: str, grant_year: int) -> Version:
    return params.get(name, dt.date(grant_year, 1, 1))


def with_rates(
    params: ParameterSet, rates: Iterable[Mapping[str, Any]], sources: Mapping[str, Any] = {}
) -> ParameterSet:
    """A copy in which each given rate (``grant_type``, ``grant_year``, ``value``, ``source``, ``verified``)
    replaces the version in force for its year — how an example's own rates override the shipped ones.
    ``sources`` resolves a source key to its description (``grant-examples.json``'s ``rate_sources``)."""
    by_name = {n: params.parameter(n) for n in params.names()}
    for r in rates:
        name, year = rate_name(str(r["grant_type"])), int(r["grant_year"])
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        src = str(r.get("source") or "")
        ref = sources.get(src)
        text = f"{src}: {ref.get('address')}" if isinstance(ref, Mapping) and ref.get("address") else src
        new = Version(name, r["value"], start, end, text, bool(r.get("verified", False)))
        old = by_name.get(name)
        if old is None:
            by_name[name] = p.Parameter(name, f"Sats for {r['grant_type']}", "NOK", (new,), "example")
        else:
            kept = tuple(v for v in old.versions if not v.in_force_on(start))
            by_name[name] = dataclasses.replace(old, versions=(*kept, new))
    return ParameterSet(by_name)
