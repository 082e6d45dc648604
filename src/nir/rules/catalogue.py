"""The Regelmotor's catalogue of rules, generated from the rule declarations.

Every rule id the engine can emit is declared once, beside its code, in :data:`nir.rules.table.REGISTRY`
(the rows of a :class:`~nir.rules.table.DecisionTable`, or :func:`~nir.rules.table.declare` for an error
or an arithmetic rule) with its title (bokmål), its :class:`~nir.rules.legal_basis.LegalBasis` and
whether it is verified. This module only reads those declarations: it groups the rules by the legal
section they rest on (``LegalBasis.key``: ``il-08``, ``if-43h`` …) and gives each its citation, Lovdata
link, status — ``V`` verified against the law, ``U`` not verified (from guidance as best understood,
regelmotor.md), ``V/U`` when the rows of one rule differ — the module that holds it and, for table
rows, each row's condition and outcome.

The Regelmotor page lists :data:`SECTIONS`; ``nir rules docs`` (``nir.rules.docs``) writes the rule
tables of ``docs/rules.md`` and one document per paragraph, ``docs/regler/<key>.md``, from them.

The plausibility checks of one registration (``nir.rules.plausibility``) are listed from their own
declarations, as the last section.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache

import nir.rules
from nir.rules import plausibility
from nir.rules.legal_basis import IF, IL, INSTRUMENTS, INTROL, NIR_004, REGELMOTOR, UTL, Instrument, LegalBasis
from nir.rules.table import REGISTRY, TABLES, V

VERIFIED, UNVERIFIED, PARTLY = "V", "U", "V/U"  # docs/rules.md «status»

# Modules of nir.rules that hold no rule (imported by nothing here; not part of the rules version).
NOT_RULE_MODULES = frozenset({"cli", "testing", "cases", "catalogue", "docs", "version"})

PLAUSIBILITY_KEY = "plausibility"


@dataclass(frozen=True)
class RowEntry:
    """One row of a decision table, as the documents show it."""

    table: str
    index: int  # 1-based position in the table: the first row whose condition holds decides
    rule: str
    when: str
    then: str
    text: str
    source: str
    verified: bool


@dataclass(frozen=True)
class RuleEntry:
    """One rule id: what the Regelmotor page and the generated documents list."""

    id: str
    title: str
    source: str  # the citation: «il. § 8 første ledd»
    url: str  # the Lovdata page of the (first) section, "" for documents without one
    status: str  # V, U or V/U
    module: str  # the module (paragraph file) that holds the rule
    key: str  # the legal section it is filed under: «il-08»
    kind: str = "rule"  # rule | error | deviation | warning (plausibility)
    rows: tuple[RowEntry, ...] = ()
    declared: bool = True  # False: not yet declared in table.REGISTRY (TEMPORARY fallback)

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id,)

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED


@dataclass(frozen=True)
class Section:
    """The rules filed under one legal section (one document ``docs/regler/<key>.md``)."""

    key: str
    title: str  # the section's citation: «il. § 8»
    instrument: str  # the instrument's full name
    url: str
    entries: tuple[RuleEntry, ...]

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.module for e in self.entries if e.module))


# --- reading the declarations -------------------------------------------------------------------


def import_rule_modules() -> None:
    """Import every rule module of ``nir.rules``, so that every table and ``declare()`` has run."""
    for info in pkgutil.walk_packages(nir.rules.__path__, "nir.rules."):
        if info.name.rsplit(".", 1)[-1] not in NOT_RULE_MODULES:
            importlib.import_module(info.name)


def section_basis(basis: LegalBasis) -> LegalBasis:
    """The section a provision belongs to: il. § 8 første ledd → il. § 8."""
    return LegalBasis(basis.instrument, basis.section)


def _status(flags: set[bool]) -> str:
    return PARTLY if len(flags) > 1 else (VERIFIED if flags == {True} else UNVERIFIED)


def _rows() -> dict[str, list[RowEntry]]:
    rows: dict[str, list[RowEntry]] = {}
    for t in TABLES:
        for i, r in enumerate(t.rows, 1):
            then = r.then.describe() if isinstance(r.then, V) else r.then
            rows.setdefault(r.id, []).append(
                RowEntry(t.name, i, r.id, r.when.describe(), then, r.text, r.source, r.is_verified)
            )
    return rows


def _declared() -> list[RuleEntry]:
    rows = _rows()
    out = []
    # by module (REGISTRY's order is the order modules happened to be imported in), in the module's order
    for decl in sorted(REGISTRY.values(), key=lambda d: d.module):
        mine = tuple(rows.get(decl.id, ()))
        first = section_basis(decl.bases[0]) if decl.bases else LegalBasis(REGELMOTOR, "")
        out.append(
            RuleEntry(
                decl.id,
                decl.title,
                decl.source,
                first.url,
                _status({r.verified for r in mine} if mine else {decl.verified}),
                decl.module,
                first.key,
                decl.kind,
                mine,
            )
        )
    return out


def _plausibility() -> list[RuleEntry]:
    return [
        RuleEntry(
            r.id,
            ("Feil (avvises): " if r.severity == plausibility.ERROR else "Advarsel (lagres): ") + r.title,
            r.source,
            "",
            UNVERIFIED,  # thresholds chosen with their reasoning (docs/rules.md «Plausibility»)
            plausibility.__name__,
            PLAUSIBILITY_KEY,
            "error" if r.severity == plausibility.ERROR else "warning",
        )
        for r in plausibility.RULES
    ]


_ORDER = [IL.key, IF.key, INTROL.key, UTL.key, NIR_004.key, REGELMOTOR.key]


def _section_order(key: str) -> tuple[int, int, str]:
    ins, _, sec = key.partition("-")
    digits = "".join(ch for ch in sec if ch.isdigit())
    return (
        _ORDER.index(ins) if ins in _ORDER else len(_ORDER) + (key == PLAUSIBILITY_KEY),
        int(digits) if digits else -1,
        sec,
    )


def _instrument(key: str) -> Instrument | None:
    return INSTRUMENTS.get(key.split("-", 1)[0])


def _section_title(key: str, entries: list[RuleEntry]) -> tuple[str, str, str]:
    """(citation, instrument name, Lovdata URL) of a section."""
    if key == PLAUSIBILITY_KEY:
        return "Plausibilitetskontroll av én registrering", "nir.rules.plausibility", ""
    ins = _instrument(key)
    if ins is None:
        return key, "", ""
    section = key.split("-", 1)[1] if "-" in key else ""
    digits = "".join(ch for ch in section if ch.isdigit())
    rest = section[len(digits) :]
    number = f"{int(digits)}{(' ' + rest) if rest else ''}" if digits else section
    if number and not ins.section_sign:
        number = f"§ {number}"
    basis = LegalBasis(ins, number)
    title = basis.cite() if number else ins.short
    return title, ins.name, basis.url if number else ins.url


@cache
def _entries() -> tuple[RuleEntry, ...]:
    import_rule_modules()
    declared = _declared()
    return tuple([*declared, *_plausibility()])


@cache
def sections() -> tuple[Section, ...]:
    """The rules grouped by legal section, in the order of the instruments and the sections' numbers."""
    by_key: dict[str, list[RuleEntry]] = {}
    for e in _entries():
        by_key.setdefault(e.key, []).append(e)
    out = []
    for key in sorted(by_key, key=_section_order):
        title, instrument, url = _section_title(key, by_key[key])
        out.append(Section(key, title, instrument, url, tuple(by_key[key])))
    return tuple(out)


def entries() -> tuple[RuleEntry, ...]:
    return tuple(e for s in sections() for e in s.entries)


def entry(rule_id: str) -> RuleEntry:
    return next(e for e in entries() if e.id == rule_id)


def rule_ids() -> set[str]:
    return {e.id for e in entries()}


def undeclared() -> list[str]:
    """Rule ids taken from the TEMPORARY hand catalogue: not yet declared in ``table.REGISTRY``."""
    return [e.id for e in entries() if not e.declared]


SECTIONS = sections()
# (heading, entries) per section, as the Regelmotor page and older callers read it.
RULES: tuple[tuple[str, tuple[RuleEntry, ...]], ...] = tuple((s.title, s.entries) for s in SECTIONS)
