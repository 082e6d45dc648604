"""The Regelmotor's catalogue of rules (``nir.rules.catalogue``): what the Regelmotor page lists.

It must hold exactly the rules of docs/rules.md with the same status, only rule ids the engine's code
names, and every rule id the engine puts in an explanation for the conformance cases.
"""

from __future__ import annotations

import re
from pathlib import Path

from nir.rules.cases import find_cases, load_case
from nir.rules.catalogue import RULES, rule_ids
from nir.rules.table import REGISTRY

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
SHARED = next(
    (p for p in (Path("/work/shared/domain/cases"), Path(__file__).parents[1] / "data" / "cases") if p.is_dir()),
    Path("/work/shared/domain/cases"),
)
OURS = Path(__file__).parent / "cases"


def test_rule_catalogue_matches_docs_rules_md():
    """The catalogue is docs/rules.md's in bokmål: the same rule ids, the same status."""
    doc = DOCS.read_text(encoding="utf-8")
    part = doc.split("\n## Rules", 1)[1].split("\n## Parameters", 1)[0]
    documented, statuses = set(), {}
    for line in part.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        ids = re.findall(r"`([a-z0-9_]+)`", cells[0])
        documented |= set(ids)
        if len(cells) == 4 and cells[3][:1] in "VU":
            status = cells[3]
            statuses.update({i: "V/U" if ("V" in status and "U" in status) else status[:1] for i in ids})
    # the introduksjonsloven paragraph («all U»)
    intro_part = part.split("### Introduksjonsloven", 1)[1]
    intro_ids = set(re.findall(r"`(introduksjonsloven_[a-z0-9_]+)`", intro_part))
    documented |= intro_ids
    statuses.update({i: "U" for i in intro_ids})

    catalogue = {i: e for _title, entries in RULES for e in entries for i in e.ids}
    assert set(catalogue) == documented
    for rule_id, status in statuses.items():
        assert catalogue[rule_id].status == status, rule_id
    # every rule id is one the engine names (s08_right_and_duty_f_g is built as f"{rule}_f_g")
    source = "".join(
        p.read_text(encoding="utf-8")
        for p in (DOCS.parents[1] / "src" / "nir" / "rules").rglob("*.py")
        if p.name != "catalogue.py"
    )
    missing = [i for i in catalogue if f'"{i}"' not in source and i != "s08_right_and_duty_f_g"]
    assert not missing


def test_every_rule_the_engine_explains_is_in_the_catalogue():
    files, _missing = find_cases([p for p in (SHARED, OURS) if p.exists()])
    assert len(files) > 60
    emitted: set[str] = set()
    for path in files:
        doc = load_case(path).evaluate().to_json()
        for steps in doc["explanations"].values():
            emitted |= {s["rule"] for s in steps}
    assert len(emitted) > 20
    # rules declared as data (table rows, declare()) are in table.REGISTRY, from which the catalogue is to be
    # generated (issue 19); until then a declared rule counts as catalogued
    unknown = sorted(emitted - rule_ids() - set(REGISTRY))
    assert not unknown, f"regler som forklares, men mangler i katalogen: {unknown}"
