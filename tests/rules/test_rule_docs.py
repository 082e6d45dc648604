"""Approval test: the committed rule documents are what ``nir rules docs`` generates from the rule
declarations, the parameters and the cases (``nir.rules.docs``). After changing a rule, a parameter or a
case, run ``nir rules docs`` and commit the documents."""

from __future__ import annotations

import io
import shutil

from nir.rules import catalogue, cli, docs

ROOT = docs.ROOT


def test_committed_rule_documents_are_generated_from_the_declarations():
    stale = docs.stale(ROOT)
    assert not stale, f"utdaterte regeldokumenter (kjør `nir rules docs`): {stale}"


def test_one_document_per_legal_section():
    keys = {s.key for s in catalogue.SECTIONS if s.key != catalogue.PLAUSIBILITY_KEY}
    assert {p.stem for p in (ROOT / "docs" / "regler").glob("*.md")} == keys
    text = (ROOT / "docs" / "regler" / "il-08.md").read_text(encoding="utf-8")
    for expected in (
        "https://lovdata.no/lov/2020-11-06-127/§8",  # the provision's Lovdata link
        "| 1 | `s08_under_age` | `age < age_min` | `none` |",  # a table row: condition and outcome
        "`intro.age.max` (intro.yaml) | 55 | 2021-01-01",  # a parameter read, with its versions and source
        "Prop. 81 L (2024–2025) pkt 12.2",
        "(../../tests/rules/cases/il_08/age_17_on_permit_decision_date.json)",  # its cases, linked
        "## Open questions",
        "`s08_over_age` (il. § 8 tredje ledd) is not verified",
    ):
        assert expected in text, expected
    rules_md = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    block = rules_md.split(docs.BEGIN, 1)[1].split(docs.END, 1)[0]
    assert "| `s08_under_age` | rule |" in block and "(regler/il-08.md)" in block


def test_docs_check_fails_on_a_changed_document_and_docs_writes_it_back(tmp_path):
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "rules.md", root / "docs" / "rules.md")
    shutil.copytree(ROOT / "docs" / "regler", root / "docs" / "regler")
    shutil.copytree(ROOT / "tests" / "rules" / "cases", root / "tests" / "rules" / "cases")
    out = io.StringIO()
    assert cli.docs(out, check_only=True, root=root) == 0
    doc = root / "docs" / "regler" / "il-08.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("is not verified", "is fine"), encoding="utf-8")
    (root / "docs" / "regler" / "il-99.md").write_text("stale\n", encoding="utf-8")
    out = io.StringIO()
    assert cli.docs(out, check_only=True, root=root) == 1
    assert "docs/regler/il-08.md: utdatert" in out.getvalue() and "docs/regler/il-99.md" in out.getvalue()
    assert cli.docs(io.StringIO(), root=root) == 0
    assert cli.docs(io.StringIO(), check_only=True, root=root) == 0 and not (root / "docs/regler/il-99.md").exists()


def test_case_folders_name_their_sections():
    assert docs.folder_keys("il_13_14") == ("il-13", "il-14")
    assert docs.folder_keys("if_43h") == ("if-43h",)
    assert docs.folder_keys("introl") == ("introl",)
    sec = next(s for s in catalogue.SECTIONS if s.key == "il-08")
    assert docs.filed_under(sec, "il_08") and not docs.filed_under(sec, "il_13_14")


def test_management_command_docs_check(capsys):
    from django.core.management import call_command

    call_command("rules", "docs", "--check")
    assert capsys.readouterr().out.strip().endswith("0 utdaterte dokumenter")
