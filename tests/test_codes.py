"""Code lists (kodeverk) as effective-dated data (regelmotor.md § 1, § 4, § 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from nir import codes

OLD_GOALS = [
    "higher_education_old",
    "work_vgo_old",
    "complete_vgo_under_25_old",
    "complete_vgo_over_25_old",
    "work_no_vgo_old",
    "partial_vgo_old",
    "complete_primary_old",
    "partial_primary_old",
]
GOALS_2026 = ["higher_education_2026", "work_vgo_2026", "vocational_requalification_2026", "work_no_vgo_2026"]
GOALS_2025 = ["complete_vgo_2025", "partial_vgo_2025", "vocational_2025"]


def test_every_list_loads_with_unique_codes_and_labels():
    lists = codes.all_lists()
    assert {"decision_type", "final_goal", "permit_basis", "scheme", "absence_kind"} <= set(lists)
    for cl in lists.values():
        assert cl.codes, cl.name
        assert len({c.code for c in cl.codes}) == len(cl.codes)
        for c in cl.codes:
            assert c.label, (cl.name, c.code)
            assert c.valid_to is None or c.valid_from is None or c.valid_from <= c.valid_to


def test_final_goal_windows():
    """The table of regelmotor.md § 4: old goals for programme starts before 2026-01-01,
    2026 goals from 2026-01-01, 2025 goals from 2025-01-01."""
    fg = codes.code_list("final_goal")
    assert {c.code for c in fg.codes} == set(OLD_GOALS + GOALS_2026 + GOALS_2025)
    for code in OLD_GOALS:
        c = fg.get(code)
        assert c.valid_to == dt.date(2025, 12, 31) and c.valid_on(dt.date(2025, 12, 31))
        assert not c.valid_on(dt.date(2026, 1, 1))
    for code in GOALS_2026:
        assert fg.get(code).valid_from == dt.date(2026, 1, 1)
        assert not fg.get(code).valid_on(dt.date(2025, 12, 31))
    for code in GOALS_2025:
        assert fg.get(code).valid_from == dt.date(2025, 1, 1)


def test_loss_due_to_work_valid_from_2026():
    """Bortfall av rett og plikt pga. arbeid over 30 timer: il. § 8 fourth paragraph, from 2026-01-01 (004)."""
    c = codes.code_list("decision_type").get("loss_due_to_work")
    assert c.label == "Bortfall av rett og plikt pga. arbeid over 30 timer"
    assert c.valid_from == dt.date(2026, 1, 1)
    assert not c.valid_on(dt.date(2025, 12, 31)) and c.valid_on(dt.date(2026, 1, 1))


def test_permit_bases_of_section_3():
    assert [c.code for c in codes.code_list("permit_basis").codes] == [
        "utl_28",
        "utl_35_3",
        "utl_38_protection",
        "utl_38_5",
        "utl_34",
        "family_of_protected",
        "utl_53",
        "family_of_norwegian",
        "work",
        "family_of_worker",
        "eea",
    ]


def test_family_of_worker_is_a_family_immigrant_with_duty():
    """Issue 19: the family of a labour immigrant is a family immigrant under utl. ch. 6 (il. § 8 third
    paragraph: group family_other) with a duty to Norwegian (il. § 28); work is the worker alone."""
    fam = codes.code_list("permit_basis").get("family_of_worker")
    work = codes.code_list("permit_basis").get("work")
    assert fam is not None and work is not None
    assert fam.label == "Utlendingsloven 2008 kap. 6"
    assert fam.description == "Familieinnvandring med arbeidsinnvandrer som referanseperson"
    assert fam.attrs == {"group": "family_other", "il_27_28": "28"}
    assert work.description == "Arbeidsinnvandring fra land utenfor EØS"
    assert work.attrs["group"] == "work" and work.attrs["il_27_28"] == "28"


def test_label_and_unknown_list():
    assert codes.label("scheme", "intro")
    assert codes.label("scheme", "nope") == "nope"
    assert "intro" in codes.code_list("scheme") and "nope" not in codes.code_list("scheme")
    with pytest.raises(KeyError):
        codes.code_list("no_such_list")
    assert {c.code for c in codes.code_list("decision_type").valid_on(dt.date(2025, 6, 1))} >= {"participation"}
    assert "loss_due_to_work" not in {c.code for c in codes.code_list("decision_type").valid_on(dt.date(2025, 6, 1))}
