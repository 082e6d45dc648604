"""The Regelmotor's catalogue of rules (``nir.rules.catalogue``): generated from the rule declarations
(``table.REGISTRY``), what the Regelmotor page and the generated documents list.

It must hold every rule id the engine puts in an explanation for the conformance cases, only rule ids the
engine's code names, each once, filed under the legal section of its first basis.
"""

from __future__ import annotations

from pathlib import Path

from nir.rules import catalogue, plausibility
from nir.rules.cases import find_cases, load_case
from nir.rules.legal_basis import IL, LegalBasis
from nir.rules.table import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SHARED = next(
    (p for p in (Path("/work/shared/domain/cases"), Path(__file__).parents[1] / "data" / "cases") if p.is_dir()),
    Path("/work/shared/domain/cases"),
)
OURS = Path(__file__).parent / "cases"


def test_every_declared_rule_is_in_the_catalogue_with_its_basis():
    assert set(REGISTRY) <= catalogue.rule_ids()
    for rule_id, decl in REGISTRY.items():
        e = catalogue.entry(rule_id)
        assert e.declared and e.title == decl.title and e.source == decl.source and e.module == decl.module
        assert e.key == decl.bases[0].key and e.url == LegalBasis(decl.bases[0].instrument, decl.bases[0].section).url
        assert e.status in ("V", "U", "V/U")


def test_the_exemplar_il_08_is_filed_with_its_lovdata_link_and_rows():
    s = next(s for s in catalogue.SECTIONS if s.key == "il-08")
    assert s.title == "il. § 8" and s.url == LegalBasis(IL, "8").url == "https://lovdata.no/lov/2020-11-06-127/§8"
    e = catalogue.entry("s08_under_age")
    assert e.status == "V" and e.rows[0].when == "age < age_min" and e.rows[0].then == "none"
    assert catalogue.entry("s08_over_age").status == "U" and len(catalogue.entry("s08_over_age").rows) == 2
    assert catalogue.entry("s08_right_and_duty").rows[0].then == "granted"  # an outcome read from the scope


def test_a_rule_whose_rows_differ_is_partly_verified():
    from nir.rules.table import ALWAYS, DecisionTable, Row, V

    basis = LegalBasis(IL, "99")
    try:
        DecisionTable(
            "test_mixed",
            ("a", "b"),
            [
                Row("test_mixed_rule", V("x"), "a", basis, "x"),
                Row("test_mixed_rule", ALWAYS, "b", basis.unverified(), "y"),
            ],
        )
        catalogue.sections.cache_clear()
        catalogue._entries.cache_clear()
        assert catalogue.entry("test_mixed_rule").status == "V/U"
        assert any(s.key == "il-99" for s in catalogue.sections())
    finally:
        from nir.rules import table

        table.TABLES[:] = [t for t in table.TABLES if t.name != "test_mixed"]
        table.REGISTRY.pop("test_mixed_rule", None)
        catalogue.sections.cache_clear()
        catalogue._entries.cache_clear()


def test_rule_ids_are_unique_and_named_by_the_engine():
    ids = [e.id for e in catalogue.entries()]
    assert len(ids) == len(set(ids))
    source = "".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "src" / "nir" / "rules").rglob("*.py")
        if p.name != "catalogue.py"
    )
    assert not [i for i in ids if f'"{i}"' not in source]


def test_plausibility_rules_are_the_last_section():
    s = catalogue.SECTIONS[-1]
    assert s.key == catalogue.PLAUSIBILITY_KEY and [e.id for e in s.entries] == [r.id for r in plausibility.RULES]


def test_every_rule_the_engine_explains_is_in_the_catalogue():
    files, _missing = find_cases([p for p in (SHARED, OURS) if p.exists()])
    assert len(files) > 60
    emitted: set[str] = set()
    for path in files:
        doc = load_case(path).evaluate().to_json()
        for steps in doc["explanations"].values():
            emitted |= {s["rule"] for s in steps}
    assert len(emitted) > 20
    unknown = sorted(emitted - catalogue.rule_ids())
    assert not unknown, f"regler som forklares, men mangler i katalogen: {unknown}"


def test_every_rule_the_engine_can_emit_is_declared_once():
    """Issue 19: every rule id is declared once with its legal basis (table rows or ``declare()``): the
    catalogue has no entry that is not in ``table.REGISTRY`` (or the plausibility rules)."""
    assert not catalogue.undeclared()


def test_docs_rules_md_plausibility_table_lists_the_plausibility_rules():
    """The plausibility table of docs/rules.md is written by hand (messages and reasoning): it lists exactly
    the declared plausibility rules, all U."""
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    part = text.split("### Plausibility", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in part.splitlines() if line.startswith("| `")]
    assert [line.split("`")[1] for line in rows] == [r.id for r in plausibility.RULES]
    assert all(line.rstrip().endswith("| U |") for line in rows)
