"""Parameters as effective-dated data (OpenFisca style).

Every number or date the rules use — age limits, durations, thresholds, the
dates on which a rule starts to apply — is a *parameter* in one of the YAML
files beside this module, never a literal in code. A file is a tree of
mappings; a node with a ``values`` key is a parameter, and its dotted path is
its name (``intro.age.max``). Each value is a *version*::

    intro:
      age:
        max:
          description: Øvre aldersgrense (inklusiv) ...
          unit: year
          values:
            - value: 55
              valid_from: 2021-01-01
              source: "il. § 8 første ledd"
            - value: 60
              valid_from: null        # not in force: Prop. 81 L (2024–2025) pkt 12.2
              source: "Prop. 81 L (2024–2025) pkt 12.2; 004"
              verified: false

Semantics:

* a version is in force on ``day`` when ``valid_from <= day`` and
  (``valid_to`` is null or ``day <= valid_to``); both ends are inclusive;
* ``valid_from: null`` means **not in force** (a decided change without a
  commencement date). Setting its ``valid_from`` — a one-line data change —
  switches it on;
* when several versions are in force on a day, the one with the latest
  ``valid_from`` applies (a new version overrides the old one without editing
  it);
* every version names its legal ``source`` and whether it is ``verified``.

API::

    from nir.rules import parameters
    p = parameters.get("intro.age.max", on=date)   # -> Version(name, value, source, valid_from, ...)
    p.value, p.source
    parameters.find("intro.ch6a.ordinary_rules_from", on=date)  # None when not in force

``load(directory)`` reads another parameter set (tests use it to switch a
pending version on without touching the shipped files);
``ParameterSet.with_valid_from(name, value, valid_from)`` returns a copy with
one pending version switched on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent


class ParameterError(LookupError):
    """A parameter is unknown, or has no version in force on the date asked for."""


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a parameter: its value, validity window and legal source.

    The engine receives the version in force itself (``get``/``find``), so
    that every explanation can name the value's source and window.
    """

    name: str
    value: Any
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    verified: bool = True
    note: str = ""
    _json: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # serialised once per version, not once per explanation that cites it
        json = {
            "name": self.name,
            "value": self.value.isoformat() if isinstance(self.value, dt.date) else self.value,
            "source": self.source,
            "verified": self.verified,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }
        object.__setattr__(self, "_json", json)

    def in_force_on(self, day: dt.date) -> bool:
        return (
            self.valid_from is not None and self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self._json)


Value = Version  # what get/find return: one parameter's value on a date, with where it comes from


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    description: str
    unit: str
    versions: tuple[Version, ...]
    file: str = ""
    _newest_first: tuple[Version, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # in force, latest valid_from first (a stable sort: the first listed of a tie)
        dated = [(v.valid_from, v) for v in self.versions if v.valid_from is not None]
        dated.sort(key=lambda x: x[0], reverse=True)
        object.__setattr__(self, "_newest_first", tuple(v for _, v in dated))

    def at(self, day: dt.date) -> Version | None:
        """The version in force on ``day`` with the latest ``valid_from``."""
        for v in self._newest_first:
            if v.valid_from <= day and (v.valid_to is None or day <= v.valid_to):  # type: ignore[operator]
                return v
        return None

    def pending(self) -> tuple[Version, ...]:
        """Versions without a commencement date (not in force)."""
        return tuple(v for v in self.versions if v.valid_from is None)


class ParameterSet:
    def __init__(self, params: dict[str, Parameter]):
        self._params = dict(params)

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def names(self) -> list[str]:
        return sorted(self._params)

    def parameter(self, name: str) -> Parameter:
        try:
            return self._params[name]
        except KeyError:
            raise ParameterError(f"unknown parameter {name!r}") from None

    def find(self, name: str, on: dt.date) -> Value | None:
        """The value in force on ``on``, or None when no version is in force."""
        p = self._params.get(name)
        return (p or self.parameter(name)).at(on)

    def get(self, name: str, on: dt.date) -> Value:
        """The value in force on ``on``; raises :class:`ParameterError` when there is none."""
        found = self.find(name, on)
        if found is None:
            raise ParameterError(f"parameter {name!r} has no version in force on {on.isoformat()}")
        return found

    def with_valid_from(self, name: str, value: Any, valid_from: dt.date) -> ParameterSet:
        """A copy in which the pending version of ``name`` with ``value`` takes effect on ``valid_from``."""
        p = self.parameter(name)
        versions = list(p.versions)
        for i, v in enumerate(versions):
            if v.valid_from is None and v.value == value:
                versions[i] = dataclasses.replace(v, valid_from=valid_from)
                break
        else:
            raise ParameterError(f"{name!r} has no pending version with value {value!r}")
        return ParameterSet({**self._params, name: dataclasses.replace(p, versions=tuple(versions))})


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: not a date: {value!r}") from None


def _walk(node: Any, path: list[str], file: str, out: dict[str, Parameter]) -> None:
    if not isinstance(node, dict):
        raise ValueError(f"{file}: {'.'.join(path)}: expected a mapping")
    if "values" in node:
        name = ".".join(path)
        if name in out:
            raise ValueError(f"{file}: parameter {name!r} defined twice (also in {out[name].file})")
        versions = []
        for i, raw in enumerate(node["values"]):
            where = f"{file}: {name}[{i}]"
            if "value" not in raw or "source" not in raw:
                raise ValueError(f"{where}: every version needs 'value' and 'source'")
            if "valid_from" not in raw:
                raise ValueError(f"{where}: 'valid_from' is required (null = not in force)")
            vf, vt = _date(raw.get("valid_from"), where), _date(raw.get("valid_to"), where)
            if vf and vt and vt < vf:
                raise ValueError(f"{where}: valid_to before valid_from")
            versions.append(
                Version(
                    name,
                    raw["value"],
                    vf,
                    vt,
                    str(raw["source"]),
                    bool(raw.get("verified", True)),
                    str(raw.get("note", "")),
                )
            )
        out[name] = Parameter(name, str(node.get("description", "")), str(node.get("unit", "")), tuple(versions), file)
        return
    for key, child in node.items():
        _walk(child, [*path, str(key)], file, out)


def load(directory: Path | str = DATA_DIR) -> ParameterSet:
    """Read every ``*.yaml`` file in ``directory`` into a :class:`ParameterSet`."""
    params: dict[str, Parameter] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        _walk(raw, [], path.name, params)
    return ParameterSet(params)


@lru_cache(maxsize=1)
def default() -> ParameterSet:
    """The shipped parameter set, loaded once per process."""
    return load(DATA_DIR)


def get(name: str, on: dt.date) -> Value:
    return default().get(name, on)


def find(name: str, on: dt.date) -> Value | None:
    return default().find(name, on)
