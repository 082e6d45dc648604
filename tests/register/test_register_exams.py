"""Prøver (tests taken in Norwegian and social studies): the ``Exam`` registration end to end.

Registered, corrected and annulled through the one write path; read as known at
any time; imported and exported in the interchange format (``facts.exams``);
refused with the field and rule named, storing nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from register_support import T0, at, basic_facts, interchange_line, register_counts, write_jsonl

from nir import codes
from nir.register import history, services
from nir.register import models as m
from nir.register.errors import RegistrationRefused
from nir.register.interchange import parse_line

ORAL_B1 = {
    "scheme": "norwegian",
    "exam_type": "norwegian_oral",
    "exam_date": dt.date(2026, 1, 20),
    "result": "passed",
    "level": "B1",
    "organisation": "Trondheim kommune",
}


def refusal(fn) -> RegistrationRefused:
    with pytest.raises(RegistrationRefused) as exc:
        fn()
    return exc.value


def run_import(path, *args):
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("import", str(path), *args, stdout=out, stderr=err)
    except CommandError as e:
        error = e
    return out.getvalue(), err.getvalue(), error


def export(*args) -> list[dict]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export", "facts", *args, stdout=out, stderr=err)
    return [json.loads(x) for x in out.getvalue().splitlines() if x.strip()]


def strip_registered_at(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k != "registered_at"} for item in items]


# --- the model and the code lists ------------------------------------------------------------


def test_model_fields_and_interchange_key():
    assert m.Exam in m.REGISTRATION_MODELS and m.Exam in m.ALL_REGISTRATION_MODELS
    assert m.Exam.FACT_KEY == "exams"
    assert m.Exam.FACT_FIELDS == ("scheme", "exam_type", "exam_date", "result", "level", "organisation")
    assert m.Exam._meta.verbose_name == "prøve"
    assert m.Exam._meta.get_field("scheme").default == "norwegian"
    assert m.Exam._meta.get_field("level").blank and m.Exam._meta.get_field("organisation").blank


def test_code_lists_with_labels_and_levels():
    types = codes.code_list("exam_type")
    assert [c.code for c in types.codes] == [
        "norwegian_oral",
        "norwegian_listening",
        "norwegian_reading",
        "norwegian_writing",
        "social_studies",
        "citizenship",
    ]
    assert types.get("norwegian_oral").label == "Prøve i norsk – muntlig"
    assert types.get("social_studies").label == "Prøve i samfunnskunnskap"
    assert types.get("citizenship").label == "Statsborgerprøven"
    for c in types.codes:
        assert not c.verified  # as understood from guidance; il. § 29 unverified
        assert c.attrs.get("levels", []) == (["A1", "A2", "B1", "B2", "C1"] if c.code.startswith("norwegian_") else [])
    results = codes.code_list("exam_result")
    assert {c.code: c.label for c in results.codes} == {
        "passed": "Bestått",
        "failed": "Ikke bestått",
        "absent": "Ikke møtt",
    }


# --- register, correct, annul ----------------------------------------------------------------


@pytest.mark.django_db
def test_register_correct_and_annul_an_exam(make_person, actor, user):
    person = make_person()
    row = services.register(person, m.Exam, dict(ORAL_B1), actor, at=at(2026, 2, 1)).row
    assert row.fact_values() == ORAL_B1
    assert row.operation == m.Operation.CREATE and row.registered_by_user_id == user.pk
    assert row.source_system == "NIR-test"
    assert list(m.Exam.objects.current().filter(person=person)) == [row]

    # A correction supersedes; the old result stays readable as known before it.
    fixed = services.correct(
        row, {"result": "failed", "level": ""}, "Feil resultat registrert", actor, at=at(2026, 3, 1)
    ).row
    row.refresh_from_db()
    assert row.superseded_at == at(2026, 3, 1) and row.result == "passed"
    assert fixed.operation == m.Operation.CORRECT and fixed.supersedes_id == row.pk
    assert (fixed.result, fixed.level, fixed.exam_type) == ("failed", "", "norwegian_oral")
    assert [v.pk for v in history.versions(fixed)] == [row.pk, fixed.pk]

    # An annulment hides it now, not from the register as known before.
    tomb = services.annul(fixed, "Registrert på feil person", actor, at=at(2026, 4, 1)).row
    assert tomb.operation == m.Operation.ANNUL
    assert not m.Exam.objects.current().filter(person=person).exists()
    assert list(m.Exam.objects.known_at(at(2026, 2, 15)).filter(person=person)) == [row]
    assert list(m.Exam.objects.known_at(at(2026, 3, 15)).filter(person=person)) == [fixed]
    assert not m.Exam.objects.known_at(at(2026, 1, 31)).filter(person=person).exists()
    assert [v.pk for v in history.versions(row)] == [row.pk, fixed.pk, tomb.pk]
    assert [r.pk for r in history.person_history(person) if isinstance(r, m.Exam)] == [row.pk, fixed.pk, tomb.pk]


@pytest.mark.django_db
def test_snapshot_and_history_command_show_the_exam(make_person, actor):
    person = make_person()
    services.register(person, m.Exam, dict(ORAL_B1), actor, at=at(2026, 2, 1))
    services.register(
        person,
        m.Exam,
        {"exam_type": "social_studies", "exam_date": dt.date(2026, 1, 25), "result": "absent"},
        actor,
        at=at(2026, 2, 2),
    )
    now = history.snapshot(person)["facts"]
    assert strip_registered_at(now["exams"]) == [
        {
            "scheme": "norwegian",
            "type": "norwegian_oral",
            "date": "2026-01-20",
            "result": "passed",
            "level": "B1",
            "organisation": "Trondheim kommune",
        },
        {"scheme": "norwegian", "type": "social_studies", "date": "2026-01-25", "result": "absent"},
    ]
    assert now["exams"][0]["registered_at"] == "2026-02-01T12:00:00+01:00"
    assert "exams" not in history.snapshot(person, at(2026, 1, 31))["facts"]  # not yet registered
    assert len(history.snapshot(person, at(2026, 2, 1, 13))["facts"]["exams"]) == 1

    out = io.StringIO()
    call_command("history", person.duf, stdout=out)
    lines = [ln for ln in out.getvalue().splitlines() if " prøve " in ln]
    assert len(lines) == 2 and "exam_type=norwegian_oral" in lines[0] and "level=B1" in lines[0]


@pytest.mark.django_db
def test_an_exam_does_not_change_what_the_regelmotor_derives(participant, actor):
    person, _rows = participant
    before = m.DerivedStatus.objects.current().get(person=person)
    services.register(person, m.Exam, dict(ORAL_B1), actor, at=at(2026, 2, 1))
    after = m.DerivedStatus.objects.current().get(person=person)
    assert {f: getattr(after, f) for f in m.DerivedStatus.RESULT_FIELDS} == {
        f: getattr(before, f) for f in m.DerivedStatus.RESULT_FIELDS
    }


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, field, rule, text",
    [
        (
            {"exam_type": "norwegian_speaking"},
            "exams.exam_type",
            "unknown_code",
            "ukjent kode 'norwegian_speaking' i kodeverket exam_type",
        ),
        ({"result": "ok"}, "exams.result", "unknown_code", "ukjent kode 'ok' i kodeverket exam_result"),
        ({"scheme": "evening_class"}, "exams.scheme", "unknown_code", "i kodeverket scheme"),
        ({"level": "B3"}, "exams.level", "exam_level_unknown", "ukjent nivå 'B3' (gyldige nivåer: A1, A2, B1, B2, C1)"),
        ({"level": "b1"}, "exams.level", "exam_level_unknown", "ukjent nivå 'b1'"),
        ({"level": "B1+"}, "exams.level", "max_length", "er for langt"),
        (
            {"exam_type": "social_studies"},
            "exams.level",
            "exam_level_not_allowed",
            "nivå kan bare registreres for prøve i norsk, ikke for «Prøve i samfunnskunnskap»",
        ),
        (
            {"exam_type": "citizenship", "level": "", "exam_date": dt.date(2016, 12, 1)},
            "exams.exam_date",  # shown on the date that makes the code invalid (issue 16 § 3)
            "code_not_valid_on_date",
            "er ikke gyldig 01.12.2016",
        ),
    ],
)
def test_bad_exams_are_refused_with_field_and_rule_and_nothing_is_stored(
    make_person, actor, changes, field, rule, text
):
    person = make_person()
    counts = register_counts()
    err = refusal(lambda: services.register(person, m.Exam, ORAL_B1 | changes, actor, at=at(2026, 2, 1)))
    assert [(p.field, p.rule) for p in err.problems] == [(field, rule)]
    assert text in err.problems[0].message
    assert register_counts() == counts


@pytest.mark.django_db
def test_an_exam_before_the_final_tests_existed_is_refused(make_person, actor):
    person = make_person()
    err = refusal(
        lambda: services.register(
            person, m.Exam, ORAL_B1 | {"exam_date": dt.date(2012, 6, 1)}, actor, at=at(2026, 2, 1)
        )
    )
    # one problem, on the date (issue 16 § 3), naming both codes it makes invalid
    assert [(p.field, p.rule) for p in err.problems] == [("exams.exam_date", "code_not_valid_on_date")]
    assert "(gyldig 01.09.2013–…)" in err.problems[0].message
    assert "'norwegian_oral'" in err.problems[0].message and "'passed'" in err.problems[0].message
    assert err.problems[0].message.count("er ikke gyldig 01.06.2012") == 2
    assert not m.Exam.objects.filter(person=person).exists()


@pytest.mark.django_db
def test_a_correction_into_a_bad_level_is_refused_and_the_row_stays_current(make_person, actor):
    person = make_person()
    row = services.register(person, m.Exam, dict(ORAL_B1), actor, at=at(2026, 2, 1)).row
    err = refusal(lambda: services.correct(row, {"exam_type": "citizenship"}, "Feil prøve", actor, at=at(2026, 3, 1)))
    assert [p.rule for p in err.problems] == ["exam_level_not_allowed"]
    row.refresh_from_db()
    assert row.superseded_at is None
    assert m.Exam.objects.filter(person=person).count() == 1


@pytest.mark.django_db
def test_levels_are_optional_and_allowed_on_every_norwegian_skill(make_person, actor):
    person = make_person()
    for skill in ("norwegian_oral", "norwegian_listening", "norwegian_reading", "norwegian_writing"):
        for level in ("A1", "A2", "B1", "B2", "C1"):
            services.register(person, m.Exam, ORAL_B1 | {"exam_type": skill, "level": level}, actor, at=T0)
    services.register(person, m.Exam, ORAL_B1 | {"result": "failed", "level": ""}, actor, at=T0)
    services.register(
        person,
        m.Exam,
        ORAL_B1 | {"exam_type": "citizenship", "level": "", "exam_date": dt.date(2026, 1, 5)},
        actor,
        at=T0,
    )
    assert m.Exam.objects.current().filter(person=person).count() == 22


# --- the interchange format -----------------------------------------------------------------

EXAMS = [
    {
        "scheme": "norwegian",
        "type": "norwegian_oral",
        "date": "2026-06-15",
        "result": "passed",
        "level": "A2",
        "organisation": "k-5001",
    },
    {"scheme": "norwegian", "type": "norwegian_writing", "date": "2026-06-20", "result": "failed"},
    {"scheme": "norwegian", "type": "social_studies", "date": "2026-05-02", "result": "passed"},
]


def test_parse_exams_with_scheme_default_and_typed_values():
    parsed = parse_line(
        interchange_line(
            "202600000004",
            basic_facts(
                exams=[
                    {"type": "norwegian_reading", "date": "2026-06-15", "result": "passed", "level": "B1"},
                    {"type": "social_studies", "date": "15.06.2026", "result": "passed"},
                ]
            ),
        )
    )
    items = [it for it in parsed.items if it.model is m.Exam]
    assert items[0].values == {
        "scheme": "norwegian",
        "exam_type": "norwegian_reading",
        "exam_date": dt.date(2026, 6, 15),
        "result": "passed",
        "level": "B1",
        "organisation": "",
    }
    assert items[0].path == "facts.exams[0]"
    assert [(p.field, p.rule) for p in parsed.problems] == [("facts.exams[1].date", "type")]


@pytest.mark.django_db
def test_import_export_round_trip_of_exams(tmp_path, new_duf):
    duf = new_duf()
    line = interchange_line(duf, basic_facts(exams=EXAMS))
    out, err, error = run_import(write_jsonl(tmp_path / "exams.jsonl", [line]))
    assert error is None, err
    person = m.Person.objects.get(duf=duf)
    rows = list(m.Exam.objects.current().filter(person=person).order_by("id"))
    assert [(r.exam_type, r.result, r.level, r.organisation) for r in rows] == [
        ("norwegian_oral", "passed", "A2", "k-5001"),
        ("norwegian_writing", "failed", "", ""),
        ("social_studies", "passed", "", ""),
    ]

    exported = {ln["duf"]: ln for ln in export()}[duf]
    assert strip_registered_at(exported["facts"]["exams"]) == EXAMS
    assert all(item["registered_at"] for item in exported["facts"]["exams"])

    # The exported line is a snapshot the register accepts again unchanged (--update keeps every exam).
    out, err, error = run_import(write_jsonl(tmp_path / "again.jsonl", [exported]), "--update")
    assert error is None, err
    assert list(m.Exam.objects.current().filter(person=person).order_by("id")) == rows
    # … and a snapshot without one of them annuls it.
    exported["facts"]["exams"] = exported["facts"]["exams"][:2]
    out, err, error = run_import(write_jsonl(tmp_path / "fewer.jsonl", [exported]), "--update")
    assert error is None, err
    assert [r.exam_type for r in m.Exam.objects.current().filter(person=person).order_by("id")] == [
        "norwegian_oral",
        "norwegian_writing",
    ]
    tomb = m.Exam.objects.get(person=person, operation=m.Operation.ANNUL)
    assert tomb.exam_type == "social_studies" and tomb.change_reason == "Ikke med i importert øyeblikksbilde"


@pytest.mark.django_db
def test_import_refuses_bad_exams_naming_the_interchange_key_and_stores_nothing(tmp_path, new_duf):
    lines = [
        interchange_line(new_duf(), basic_facts(exams=[{**EXAMS[0], "level": "B3"}])),
        interchange_line(new_duf(), basic_facts(exams=[{**EXAMS[2], "level": "B1"}])),
        interchange_line(new_duf(), basic_facts(exams=[{**EXAMS[0], "type": "norsk_muntlig"}])),
        interchange_line(new_duf(), basic_facts(exams=[{**EXAMS[0], "result": None}])),
        interchange_line(new_duf(), basic_facts(exams=[{**EXAMS[0], "grade": "good"}])),
    ]
    counts = register_counts()
    out, err, error = run_import(write_jsonl(tmp_path / "bad.jsonl", lines))
    assert isinstance(error, CommandError)
    assert "0 personer lagret, 5 linjer avvist" in out
    reported = err.splitlines()
    assert (
        "linje 1: facts.exams[0].level: ukjent nivå 'B3' (gyldige nivåer: A1, A2, B1, B2, C1) "
        "[exam_level_unknown]" in reported
    )
    assert (
        "linje 2: facts.exams[0].level: nivå kan bare registreres for prøve i norsk, ikke for "
        "«Prøve i samfunnskunnskap» [exam_level_not_allowed]" in reported
    )
    assert "linje 3: facts.exams[0].type: ukjent kode 'norsk_muntlig' i kodeverket exam_type [unknown_code]" in reported
    assert "linje 4: facts.exams[0].result: mangler (påkrevd) [required]" in reported
    assert "linje 5: facts.exams[0].grade: ukjent felt [unknown_field]" in reported
    assert register_counts() == counts
