"""Code lists (kodeverk) as effective-dated data.

Pure Python, no Django: the rules engine and the register read the same
files. Each file in ``data/`` is one code list with its Norwegian labels as
NIR shows them, a validity window per code (``valid_from``/``valid_to``,
inclusive, ``null`` for open) and a source. Labels or codes marked
``verified: false`` come from guidance as best understood and are kept as data
so that they can be corrected without touching code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Code:
    list: str
    code: str
    label: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    description: str = ""
    group: str = ""
    source: str = ""
    verified: bool = True
    sort: int = 0
    attrs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class CodeList:
    name: str
    title: str
    source: str
    codes: tuple[Code, ...]

    index: dict[str, Code] = field(default_factory=dict, hash=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {c.code: c for c in self.codes})

    def get(self, code: str) -> Code | None:
        return self.index.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self.index

    def valid_on(self, day: dt.date) -> list[Code]:
        return [c for c in self.codes if c.valid_on(day)]


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _load_file(path: Path) -> CodeList:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = raw["list"]
    default_source = raw.get("source", "")
    default_verified = raw.get("verified", True)
    codes = []
    for i, item in enumerate(raw["codes"]):
        codes.append(
            Code(
                list=name,
                code=str(item["code"]),
                label=item["label"],
                valid_from=_date(item.get("valid_from")),
                valid_to=_date(item.get("valid_to")),
                description=item.get("description", ""),
                group=item.get("group", ""),
                source=item.get("source", default_source),
                verified=item.get("verified", default_verified),
                sort=i,
                attrs=item.get("attrs", {}) or {},
            )
        )
    seen = set()
    for c in codes:
        if c.code in seen:
            raise ValueError(f"{path.name}: duplicate code {c.code!r}")
        seen.add(c.code)
    return CodeList(name=name, title=raw["title"], source=default_source, codes=tuple(codes))


@lru_cache(maxsize=1)
def all_lists() -> dict[str, CodeList]:
    lists = {}
    for path in sorted(DATA_DIR.glob("*.yaml")):
        cl = _load_file(path)
        lists[cl.name] = cl
    return lists


def code_list(name: str) -> CodeList:
    try:
        return all_lists()[name]
    except KeyError:
        raise KeyError(f"unknown code list {name!r}") from None


def label(list_name: str, code: str) -> str:
    c = code_list(list_name).get(code)
    return c.label if c else code
