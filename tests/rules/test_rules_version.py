"""The rules version (``nir.rules.version``) covers rule definitions and parameters only: a new test
helper, a docs generator change, a title, a comment or a parameter's description leave it unchanged;
a changed condition, explanation text, parameter value or verified flag changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import nir.rules
from nir.rules import version

SRC = Path(nir.rules.__file__).resolve().parents[1]  # src/nir
IL08 = "integreringsloven/il_08_target_group.py"


@pytest.fixture
def changes(tmp_path):
    """``changes(*(file, old, new))``: whether the version of a copy of the rules changes with the edits."""
    for name in ("rules", "codes"):
        shutil.copytree(SRC / name, tmp_path / "nir" / name, ignore=shutil.ignore_patterns("__pycache__"))
    rules, codes = tmp_path / "nir" / "rules", tmp_path / "nir" / "codes"
    before = version.fingerprint(rules, codes)
    assert before == version.RULES_VERSION  # the copy has the shipped version (and the cache is right)

    def changed(*edits: tuple[str, str, str]) -> bool:
        saved = {}
        for rel, old, new in edits:
            f = rules / rel
            if f not in saved:
                saved[f] = f.read_text(encoding="utf-8")
            text = f.read_text(encoding="utf-8")
            assert old in text, (rel, old)
            f.write_text(text.replace(old, new, 1), encoding="utf-8")
        try:
            return version.fingerprint(rules, codes) != before
        finally:
            for f, text in saved.items():
                f.write_text(text, encoding="utf-8")

    return changed


def test_tools_titles_comments_and_descriptions_do_not_change_the_version(changes):
    assert not changes(
        (
            "testing.py",
            "from __future__ import annotations",
            "from __future__ import annotations\n\n\ndef helper(): ...",
        ),
        ("cli.py", "return 0", "return 0  # done"),
        ("cases.py", 'MISSING = "<mangler>"', 'MISSING = "<mangler>"\nNEW = 1'),
        ("catalogue.py", 'PLAUSIBILITY_KEY = "plausibility"', 'PLAUSIBILITY_KEY = "plausibilitet"'),
        ("docs.py", "BEGIN, END =", "X = 1\nBEGIN, END ="),
        (IL08, 'title="Nordiske borgere og EØS-borgere omfattes ikke."', 'title="Nordiske borgere omfattes ikke."'),
        (IL08, "# the exact membership of the kan-gruppe", "# a new comment"),
        (IL08, '"""§ 8 first to third paragraphs', '"""Reworded: § 8 first to third paragraphs'),
        ("parameters/intro.yaml", "Nedre aldersgrense", "Den nedre aldersgrensen"),  # a description
    )


@pytest.mark.parametrize(
    "edit",
    [
        (IL08, 'V("age") < V("age_min")', 'V("age") <= V("age_min")'),  # a condition
        (IL08, '"nordiske borgere og EØS-borgere omfattes ikke."', '"nordiske borgere omfattes ikke."'),  # a text
        ("parameters/intro.yaml", "value: 18", "value: 19"),  # a parameter value
        ("parameters/intro.yaml", "verified: false", "verified: true"),  # three-valued results change
        ("dates.py", "\ndef ", "\ndef _unused(): ...\n\n\ndef "),  # a building block
    ],
    ids=["condition", "text", "parameter", "verified", "building-block"],
)
def test_rule_definitions_and_parameters_change_the_version(changes, edit):
    assert changes(edit)
