"""Text the register cannot or should not store is refused on every write path, naming the field.

PostgreSQL refuses NUL (``\\x00``) in text (a DataError: a 500 before), SQLite stored it; the other
C0 control characters except tab, line feed and carriage return are not valid in XML, so no XLSX
export could carry them, and a lone surrogate cannot be encoded at all. One check
(``validation.text_problems``) is called by ``validate_fact`` and for the reason of a correction or
an annulment: the single write, the batch, the web form and ``nir import`` all pass through it.
These tests run on both passes (SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

import pytest
from register_support import T0, at, basic_facts, interchange_line, register_counts

from nir.register import interchange as ic
from nir.register import models as m
from nir.register import services, validation
from nir.register.errors import RegistrationRefused

BAD = [
    ("a\x00b", "nul_character"),
    ("a\x01b", "control_character"),
    ("\x1f", "control_character"),
    ("a\x0bb", "control_character"),
    ("a\ud800b", "invalid_character"),
]


@pytest.mark.parametrize("value, rule", BAD)
def test_text_problems_names_the_field_and_the_rule(value, rule):
    [p] = validation.text_problems(value, "residences.address")
    assert (p.field, p.rule) == ("residences.address", rule) and p.message


@pytest.mark.parametrize("value", ["", "Ødegård Ås", "linje 1\nlinje 2\r\n\tinnrykk", "Ʃ 中文 🙂", "a\x7fb"])
def test_ordinary_text_passes(value):
    assert validation.text_problems(value, "x") == []


def test_text_problems_walks_nested_values():
    item = {"id": "a", "values": {"organisation": "b\x00", "list": ["ok", "c\x02"]}}
    found = validation.text_problems(item, "items[3]")
    assert [(p.field, p.rule) for p in found] == [
        ("items[3].values.organisation", "nul_character"),
        ("items[3].values.list[1]", "control_character"),
    ]


def refused(fn) -> set[tuple[str, str]]:
    before = register_counts()
    with pytest.raises(RegistrationRefused) as exc:
        fn()
    assert register_counts() == before
    return {(p.field, p.rule) for p in exc.value.problems}


@pytest.mark.django_db
@pytest.mark.parametrize("value, rule", BAD)
def test_create_person_refuses_control_characters_in_names(value, rule, new_duf, details, actor):
    got = refused(lambda: services.create_person(new_duf(), details(last_name=value), actor, at=T0))
    assert got == {("person.last_name", rule)}


@pytest.mark.django_db
def test_register_refuses_nul_in_free_text(make_person, actor):
    person = make_person()
    got = refused(
        lambda: services.register(
            person,
            m.CareerGuidance,
            {
                "guidance_date": dt.date(2026, 2, 20),
                "kind": "individual",
                "recommended_final_goal": "",
                "organisation": "Karrieresenter\x00",
            },
            actor,
            at=at(2026, 2, 21),
        )
    )
    assert got == {("career_guidance.organisation", "nul_character")}
    got = refused(
        lambda: services.register(
            person,
            m.Residence,
            {
                "municipality": "5001",
                "district": "",
                "address": "Gate 1\x00",
                "postal_code": "7010",
                "valid_from": dt.date(2026, 1, 1),
                "valid_to": None,
            },
            actor,
            at=at(2026, 2, 21),
        )
    )
    assert got == {("residences.address", "nul_character")}


@pytest.mark.django_db
def test_a_code_with_nul_is_refused_once_as_nul(make_person, actor):
    person = make_person()
    got = refused(
        lambda: services.register(
            person,
            m.CareerGuidance,
            {
                "guidance_date": dt.date(2026, 2, 20),
                "kind": "individual\x00",
                "recommended_final_goal": "",
                "organisation": "",
            },
            actor,
            at=at(2026, 2, 21),
        )
    )
    assert got == {("career_guidance.kind", "nul_character")}


@pytest.mark.django_db
def test_correct_and_annul_refuse_nul_in_the_reason(make_person, actor):
    person = make_person()
    row = services.register(
        person,
        m.CareerGuidance,
        {
            "guidance_date": dt.date(2026, 2, 20),
            "kind": "individual",
            "recommended_final_goal": "",
            "organisation": "Karrieresenter",
        },
        actor,
        at=at(2026, 2, 21),
    ).row
    assert refused(lambda: services.correct(row, {"organisation": "X"}, "Feil\x00", actor, at=at(2026, 2, 22))) == {
        ("reason", "nul_character")
    }
    assert refused(lambda: services.correct(row, {"organisation": "X\x00"}, "Feil", actor, at=at(2026, 2, 22))) == {
        ("career_guidance.organisation", "nul_character")
    }
    assert refused(lambda: services.annul(row, "Feil\x00", actor, at=at(2026, 2, 22))) == {("reason", "nul_character")}
    row.refresh_from_db()
    assert row.superseded_at is None


@pytest.mark.django_db
def test_register_many_refuses_the_item_and_stores_the_others(make_person, actor):
    person = make_person()
    values = {"guidance_date": dt.date(2026, 2, 20), "kind": "individual", "recommended_final_goal": ""}
    outcomes = services.register_many(
        [
            (person, m.CareerGuidance, values | {"organisation": "Senter\x00"}),
            (person, m.CareerGuidance, values | {"organisation": "Senter"}),
        ],
        actor,
        at=at(2026, 2, 21),
    )
    assert [(p.field, p.rule) for p in outcomes[0].problems] == [("career_guidance.organisation", "nul_character")]
    assert outcomes[1].accepted
    assert list(m.CareerGuidance.objects.filter(person=person).values_list("organisation", flat=True)) == ["Senter"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "names, facts, field",
    [
        ({"last_name": "Testesen\x00"}, {}, "last_name"),
        (
            {},
            {"residences": [{"municipality": "5001", "from": "2025-11-01", "address": "Gate\x00 1"}]},
            "facts.residences[0].address",
        ),
    ],
)
def test_import_refuses_nul_with_the_line_field(names, facts, field, new_duf, actor):
    parsed = ic.parse_line(interchange_line(new_duf(), basic_facts(**facts), **names))
    got = refused(lambda: services.import_person(parsed, actor, at=at(2026, 2, 1)))
    assert (field, "nul_character") in got
