"""``nir import FILE.jsonl`` (regelmotor.md § 8; docs/interchange-format.md).

Every line is validated; the valid persons are stored, each refused line is
reported with its line number and rule and nothing of it is stored, and the
command exits with an error if any line was refused.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from register_support import basic_facts, interchange_line, register_counts, synthetic_id, write_jsonl

from nir.register import history
from nir.register import models as m
from nir.register.actors import Actor


def run_import(path, *args, **opts):
    """Run the import; return (stdout, stderr, error or None)."""
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("import", str(path), *args, stdout=out, stderr=err, **opts)
    except CommandError as e:
        error = e
    return out.getvalue(), err.getvalue(), error


def rows_of(duf):
    person = m.Person.objects.get(duf=duf)
    return {model.__name__: model.objects.filter(person=person).count() for model in m.REGISTRATION_MODELS}


@pytest.fixture
def mixed_file(tmp_path, new_duf):
    """Two good lines and five bad ones (line numbers 1–8; line 4 is blank)."""
    good1, good2 = new_duf(), new_duf()
    bad_duf = good1[:-1] + str((int(good1[-1]) + 1) % 10)
    dufs = {"good": [good1, good2], "bad": [new_duf(), new_duf(), new_duf(), bad_duf]}
    b_muni, b_end, b_code, _ = dufs["bad"]
    lines = [
        interchange_line(good1, basic_facts()),  # 1
        '{"duf": "202600000001", "facts": {',  # 2 bad JSON
        interchange_line(bad_duf, basic_facts()),  # 3 bad DUF
        "",  # 4 blank
        interchange_line(
            b_muni,
            basic_facts(  # 5 unknown municipality
                settlements=[{"municipality": "9999", "date": "2025-11-01", "by_agreement": True}]
            ),
        ),
        interchange_line(
            b_end,
            basic_facts(
                decisions=[
                    {  # 6 end before start
                        "scheme": "intro",
                        "type": "participation",
                        "decision_date": "2026-01-05",
                        "start_date": "2026-01-05",
                        "end_date": "2025-12-01",
                    }
                ]
            ),
        ),
        interchange_line(
            b_code,
            basic_facts(
                absences=[  # 7 unknown code
                    {"scheme": "intro", "kind": "sick_leave", "from": "2026-03-02", "to": "2026-03-06"}
                ]
            ),
        ),
        interchange_line(good2, basic_facts(final_goal="work_vgo_2026", education="upper_secondary_or_higher")),  # 8
    ]
    return write_jsonl(tmp_path / "mixed.jsonl", lines), dufs


@pytest.mark.django_db
def test_good_lines_stored_bad_lines_reported_with_line_and_rule(mixed_file, tmp_path):
    path, dufs = mixed_file
    errors_file = tmp_path / "errors.jsonl"
    out, err, error = run_import(path, errors=str(errors_file))

    assert isinstance(error, CommandError)
    assert error.returncode == 1
    assert "2 personer lagret, 5 linjer avvist" in out
    lines = err.splitlines()

    def reported(lineno, field, rule):
        return any(
            ln.startswith(f"linje {lineno}: ")
            and (field is None or f": {field}: " in f": {ln.split(': ', 1)[1]}")
            and ln.endswith(f"[{rule}]")
            for ln in lines
        )

    assert reported(2, "$", "json"), err
    assert reported(3, "duf", "duf_checksum"), err
    assert reported(5, "facts.settlements[0].municipality", "unknown_municipality"), err
    assert reported(6, "facts.decisions[0].end_date", "end_before_start"), err
    assert reported(7, "facts.absences[0].kind", "unknown_code"), err
    assert not any(ln.startswith(("linje 1:", "linje 4:", "linje 8:")) for ln in lines), err

    # the good persons are stored completely …
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(dufs["good"])
    expected = {name: 0 for name in (mdl.__name__ for mdl in m.REGISTRATION_MODELS)} | {
        "PersonDetails": 1,
        "ResidencePermit": 1,
        "Settlement": 1,
        "Decision": 1,
        "FinalGoal": 1,
        "Absence": 1,
        "FollowUp": 1,  # follow-up derived from follow_up_municipality
    }
    for duf in dufs["good"]:
        assert rows_of(duf) == expected
    # … and nothing of a bad line: the only rows are the good persons'
    counts = register_counts()
    assert counts["Person"] == 2
    assert sum(v for k, v in counts.items() if k != "Person") == 2 * sum(expected.values())

    # --errors: one JSON line per refused line with its problems
    reported_lines = [json.loads(x) for x in errors_file.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in reported_lines] == [2, 3, 5, 6, 7]
    assert reported_lines[3]["problems"][0] == {
        "field": "facts.decisions[0].end_date",
        "rule": "end_before_start",
        "message": "sluttdato er før startdato",
    }


@pytest.mark.django_db
def test_derived_follow_up_starts_at_settlement(tmp_path, new_duf):
    """Without facts.follow_up, one follow-up period is derived from follow_up_municipality,
    starting at the settlement in that municipality (docs/interchange-format.md)."""
    duf = new_duf()
    _, err, error = run_import(write_jsonl(tmp_path / "a.jsonl", [interchange_line(duf, basic_facts())]))
    assert error is None, err
    fu = m.FollowUp.objects.current().get(person__duf=duf)
    assert (fu.municipality, fu.valid_from, fu.valid_to) == ("5001", dt.date(2025, 11, 1), None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mutate, field, rule",
    [
        (lambda ln: ln.pop("first_name"), "first_name", "required"),
        (lambda ln: ln.update(colour="blue"), "colour", "unknown_field"),
        (lambda ln: ln["facts"].update(shoe_size=42), "facts.shoe_size", "unknown_field"),
        (lambda ln: ln["facts"].update(birth_date="15.01.1990"), "facts.birth_date", "type"),
        (lambda ln: ln["facts"]["permits"][0].pop("basis"), "facts.permits[0].basis", "required"),
        (lambda ln: ln["facts"].update(national_id="15019012345"), "facts.national_id", "national_id_checksum"),
        (lambda ln: ln["facts"].update(extension_months=-1), "facts.extension_months", "type"),
        (lambda ln: ln.update(follow_up_municipality="0000"), "follow_up_municipality", "unknown_municipality"),
        (
            lambda ln: ln["facts"].update(
                decisions=[{"scheme": "intro", "type": "loss_due_to_work", "decision_date": "2025-12-31"}]
            ),
            "facts.decisions[0].decision_date",
            "code_not_valid_on_date",
        ),
        (lambda ln: ln.update(registered_at="2026-02-11T09:30:00"), "registered_at", "type"),
        (lambda ln: ln.update(registered_at="2099-01-01T00:00:00+01:00"), "registered_at", "registered_in_future"),
        (
            lambda ln: ln["facts"]["absences"][0].update(registered_at="2099-01-01T00:00:00+01:00"),
            "facts.absences[0].registered_at",
            "registered_in_future",
        ),
        # problems name the interchange key of the line, not the model field
        (
            lambda ln: ln["facts"]["absences"][0].update({"from": "2026-03-09"}),
            "facts.absences[0].to",
            "end_before_start",
        ),
        (lambda ln: ln["facts"]["settlements"][0].update(date="1850-01-01"), "facts.settlements[0].date", "date_range"),
        (
            lambda ln: ln["facts"]["decisions"][0].update(scheme="norwegian"),
            "facts.decisions[0].type",
            "decision_type_not_in_scheme",
        ),
        # values the database would refuse (PostgreSQL: varchar length, smallint range) are refused
        # by validation, so one bad line cannot abort the import
        (
            lambda ln: ln["facts"].update(
                residences=[{"municipality": "5001", "postal_code": "70300", "from": "2026-01-01"}]
            ),
            "facts.residences[0].postal_code",
            "max_length",
        ),
        (
            lambda ln: ln["facts"].update(
                competence_mappings=[{"date": "2026-01-20", "kind": "simplified", "organisation": "x" * 41}]
            ),
            "facts.competence_mappings[0].organisation",
            "max_length",
        ),
        (lambda ln: ln["facts"].update(extension_months=100000), "facts.extension_months", "extension_months_max"),
    ],
    ids=[
        "name_missing",
        "unknown_top_key",
        "unknown_fact_key",
        "date_format",
        "required_item_field",
        "national_id",
        "extension_negative",
        "follow_up_municipality",
        "code_window",
        "naive_registered_at",
        "future_registered_at",
        "future_item_registered_at",
        "json_key_to",
        "json_key_date",
        "json_key_type",
        "postal_code_length",
        "organisation_length",
        "extension_too_long",
    ],
)
def test_refused_line_names_field_and_rule_and_stores_nothing(mutate, field, rule, tmp_path, new_duf):
    line = interchange_line(new_duf(), basic_facts())
    mutate(line)
    before = register_counts()
    _, err, error = run_import(write_jsonl(tmp_path / "bad.jsonl", [line]))
    assert error is not None
    assert f"linje 1: {field}: " in err and f"[{rule}]" in err, err
    assert register_counts() == before


@pytest.mark.django_db
def test_bad_line_does_not_abort_the_batch(tmp_path, new_duf):
    """A line the database itself would refuse is reported like any other; the good lines
    of the same batch are stored (docs/interchange-format.md, Streaming)."""
    good1, bad, good2 = new_duf(), new_duf(), new_duf()
    lines = [
        interchange_line(good1, basic_facts()),
        interchange_line(
            bad, basic_facts(residences=[{"municipality": "5001", "address": "a" * 301, "from": "2026-01-01"}])
        ),
        interchange_line(good2, basic_facts()),
    ]
    out, err, error = run_import(write_jsonl(tmp_path / "b.jsonl", lines))
    assert error is not None
    assert "linje 2: facts.residences[0].address:" in err and "[max_length]" in err
    assert set(m.Person.objects.values_list("duf", flat=True)) == {good1, good2}


@pytest.mark.django_db
def test_same_duf_twice_in_one_file(tmp_path, new_duf):
    """The second line for a DUF number is refused unless --update; then it is the newer snapshot."""
    duf = new_duf()
    lines = [
        interchange_line(duf, basic_facts(), registered_at="2026-02-01T10:00:00+01:00"),
        interchange_line(duf, basic_facts(final_goal="work_vgo_2026"), registered_at="2026-02-02T10:00:00+01:00"),
    ]
    path = write_jsonl(tmp_path / "twice.jsonl", lines)
    out, err, error = run_import(path)
    assert error is not None and "linje 2: duf:" in err and "[duf_exists]" in err
    assert m.FinalGoal.objects.current().get(person__duf=duf).goal == "work_no_vgo_2026"


@pytest.mark.django_db
def test_update_older_than_register_is_refused(tmp_path, new_duf):
    """A snapshot registered before the facts it would replace is refused, not applied backwards in time."""
    duf = new_duf()
    assert (
        run_import(
            write_jsonl(
                tmp_path / "1.jsonl", [interchange_line(duf, basic_facts(), registered_at="2026-03-01T10:00:00+01:00")]
            )
        )[2]
        is None
    )
    before = register_counts()
    _, err, error = run_import(
        write_jsonl(
            tmp_path / "2.jsonl",
            [interchange_line(duf, basic_facts(final_goal="work_vgo_2026"), registered_at="2026-02-01T10:00:00+01:00")],
        ),
        "--update",
    )
    assert error is not None and ("[before_person]" in err or "[before_original]" in err)
    assert register_counts() == before


@pytest.mark.django_db
def test_final_goal_outside_window_imported_with_warning(tmp_path, new_duf):
    """work_no_vgo_old for a programme started 2026-01-12: accepted with a warning (regelmotor.md § 5)."""
    duf = new_duf()
    facts = basic_facts(
        final_goal="work_no_vgo_old",
        decisions=[
            {
                "scheme": "intro",
                "type": "participation",
                "decision_date": "2026-01-12",
                "start_date": "2026-01-12",
                "end_date": None,
            }
        ],
    )
    out, err, error = run_import(write_jsonl(tmp_path / "w.jsonl", [interchange_line(duf, facts)]))
    assert error is None, err
    assert "1 personer lagret, 0 linjer avvist, 1 med advarsler" in out
    assert "linje 1: advarsel: facts.final_goal:" in err and "[final_goal_outside_window]" in err
    assert m.FinalGoal.objects.current().get(person__duf=duf).goal == "work_no_vgo_old"


@pytest.mark.django_db
def test_dry_run_stores_nothing(mixed_file, tmp_path, new_duf):
    path, _ = mixed_file
    before = register_counts()
    out, err, error = run_import(path, "--dry-run")
    assert error is not None  # the bad lines are still reported
    assert "2 personer ville blitt lagret, 5 linjer avvist" in out
    assert "[end_before_start]" in err
    assert register_counts() == before

    good = write_jsonl(tmp_path / "good.jsonl", [interchange_line(new_duf(), basic_facts())])
    out, err, error = run_import(good, "--dry-run")
    assert error is None and "1 personer ville blitt lagret" in out
    assert register_counts() == before


@pytest.mark.django_db
def test_existing_duf_refused_without_update(tmp_path, new_duf):
    duf = new_duf()
    path = write_jsonl(tmp_path / "a.jsonl", [interchange_line(duf, basic_facts())])
    assert run_import(path)[2] is None
    before = register_counts()
    _, err, error = run_import(path)
    assert error is not None and "linje 1: duf: " in err and "[duf_exists]" in err
    assert register_counts() == before


@pytest.mark.django_db
def test_update_supersedes_and_annuls_and_is_idempotent(tmp_path, new_duf):
    """--update: the line is the person's new snapshot — equal facts kept, new ones created,
    missing ones annulled, changed details corrected; a second identical import changes nothing."""
    duf = new_duf()
    first = interchange_line(duf, basic_facts(), registered_at="2026-02-01T10:00:00+01:00")
    assert run_import(write_jsonl(tmp_path / "1.jsonl", [first]))[2] is None

    changed_facts = basic_facts(
        final_goal="complete_vgo_2025",
        absences=[{"scheme": "intro", "kind": "leave", "from": "2026-04-06", "to": "2026-04-10"}],
        education="upper_secondary_or_higher",
    )
    second = interchange_line(duf, changed_facts, first_name="Nytt", registered_at="2026-03-01T10:00:00+01:00")
    path2 = write_jsonl(tmp_path / "2.jsonl", [second])
    _, err, error = run_import(path2, "--update")
    assert error is None, err

    person = m.Person.objects.get(duf=duf)
    t2 = dt.datetime.fromisoformat("2026-03-01T10:00:00+01:00")
    # details corrected (one chain, reason recorded)
    details = list(m.PersonDetails.objects.filter(person=person).order_by("id"))
    assert [d.operation for d in details] == ["create", "correct"]
    assert details[1].supersedes_id == details[0].pk and details[1].change_reason == "Oppdatert ved import"
    assert details[0].superseded_at == t2
    assert m.PersonDetails.objects.current().get(person=person).first_name == "Nytt"
    # final goal: old annulled, new created
    goals = list(m.FinalGoal.objects.filter(person=person).order_by("id"))
    assert [(g.operation, g.goal) for g in goals] == [
        ("create", "work_no_vgo_2026"),
        ("annul", "work_no_vgo_2026"),
        ("create", "complete_vgo_2025"),
    ]
    assert goals[1].supersedes_id == goals[0].pk
    assert goals[1].change_reason == "Ikke med i importert øyeblikksbilde"
    # absence: old annulled, new created; unchanged facts untouched
    assert [(a.kind, a.operation) for a in m.Absence.objects.current().filter(person=person)] == [("leave", "create")]
    assert m.Decision.objects.filter(person=person).count() == 1
    assert m.ResidencePermit.objects.filter(person=person).count() == 1
    assert m.FollowUp.objects.filter(person=person).count() == 1
    # the register as known before the update still shows the first snapshot
    then = history.snapshot(person, known_at=dt.datetime.fromisoformat("2026-02-15T00:00:00+01:00"))
    assert then["first_name"] == "Test" and then["facts"]["final_goal"] == "work_no_vgo_2026"
    assert [a["kind"] for a in then["facts"]["absences"]] == ["absence"]

    # a second identical import changes nothing
    before = register_counts()
    _, err, error = run_import(path2, "--update")
    assert error is None, err
    assert register_counts() == before
    # and neither does a third one without registered_at (now)
    third = dict(second)
    del third["registered_at"]
    assert run_import(write_jsonl(tmp_path / "3.jsonl", [third]), "--update")[2] is None
    assert register_counts() == before


@pytest.mark.django_db
def test_update_with_empty_snapshot_annuls_every_fact(tmp_path, new_duf):
    duf = new_duf()
    assert run_import(write_jsonl(tmp_path / "1.jsonl", [interchange_line(duf, basic_facts())]))[2] is None
    bare = interchange_line(
        duf,
        {"birth_date": "1990-01-15", "national_id": basic_facts()["national_id"], "education": "below_upper_secondary"},
        follow_up_municipality=None,
    )
    assert run_import(write_jsonl(tmp_path / "2.jsonl", [bare]), "--update")[2] is None
    person = m.Person.objects.get(duf=duf)
    for model in m.REGISTRATION_MODELS:
        if model is not m.PersonDetails:
            assert not model.objects.current().filter(person=person).exists(), model.__name__
    assert m.PersonDetails.objects.current().filter(person=person).count() == 1
    assert m.FinalGoal.objects.filter(person=person, operation="annul").count() == 1


@pytest.mark.django_db
def test_registered_at_is_used_as_recorded_at(tmp_path, new_duf):
    """registered_at on a line (and on an item) is the registration time: loading history (§ 8)."""
    duf = new_duf()
    facts = basic_facts()
    facts["absences"][0]["registered_at"] = "2026-04-01T08:00:00+02:00"  # a late registration
    facts["permits"][0]["registered_at"] = "2026-01-20T10:00:00+01:00"  # known before the line
    line = interchange_line(duf, facts, registered_at="2026-02-11T09:30:00+01:00")
    _, err, error = run_import(write_jsonl(tmp_path / "h.jsonl", [line]))
    assert error is None, err
    person = m.Person.objects.get(duf=duf)
    line_at = dt.datetime.fromisoformat("2026-02-11T09:30:00+01:00")
    earliest = dt.datetime.fromisoformat("2026-01-20T10:00:00+01:00")
    assert person.recorded_at == earliest
    assert m.ResidencePermit.objects.get(person=person).recorded_at == earliest
    assert m.Absence.objects.get(person=person).recorded_at == dt.datetime.fromisoformat("2026-04-01T08:00:00+02:00")
    for model in (m.Settlement, m.Decision, m.FinalGoal, m.FollowUp):
        assert model.objects.get(person=person).recorded_at == line_at, model.__name__
    # as known in between: the absence was not yet registered
    mid = dt.datetime.fromisoformat("2026-03-01T00:00:00+01:00")
    assert history.snapshot(person, known_at=mid)["facts"]["absences"] == []
    assert len(history.snapshot(person)["facts"]["absences"]) == 1


@pytest.mark.django_db
def test_importing_user_and_source_are_recorded(tmp_path, new_duf, user):
    """The import acts as the user: a caseworker of Trondheim, importing a person followed up there."""
    from nir.access.models import RoleAssignment

    RoleAssignment.objects.create(user=user, role="caseworker", organisation=user.organisation)
    duf = new_duf()
    path = write_jsonl(tmp_path / "u.jsonl", [interchange_line(duf, basic_facts())])
    assert run_import(path, "--user", user.username, "--source", "NIR1")[2] is None
    for model in (m.PersonDetails, m.Decision, m.FollowUp):
        row = model.objects.get(person__duf=duf)
        assert row.registered_by_kind == m.ActorKind.USER
        assert row.registered_by_user_id == user.pk
        assert row.source_system == "NIR1"
    assert m.Person.objects.get(duf=duf).source_system == "NIR1"


@pytest.mark.django_db
def test_without_user_the_source_is_the_registrant(tmp_path, new_duf):
    duf = new_duf()
    assert run_import(write_jsonl(tmp_path / "s.jsonl", [interchange_line(duf, basic_facts())]))[2] is None
    row = m.Decision.objects.get(person__duf=duf)
    assert (row.registered_by_kind, row.registered_by_system, row.source_system) == ("system", "import", "import")
    assert row.registered_by_label == "import"


@pytest.mark.django_db
def test_unknown_user_is_a_command_error(tmp_path, new_duf):
    path = write_jsonl(tmp_path / "s.jsonl", [interchange_line(new_duf(), basic_facts())])
    _, _, error = run_import(path, "--user", "finnes-ikke")
    assert error is not None and "finnes-ikke" in str(error)
    assert m.Person.objects.count() == 0


@pytest.mark.django_db
def test_small_batches_behave_like_one(mixed_file):
    """Transactions of --batch lines with a savepoint per line: the result does not depend on the batch size."""
    path, dufs = mixed_file
    out, err, error = run_import(path, "--batch", "1")
    assert error is not None and "2 personer lagret, 5 linjer avvist" in out
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(dufs["good"])


@pytest.mark.django_db
def test_all_optional_keys_import(tmp_path, new_duf):
    """The example of docs/interchange-format.md, every optional key included, imports."""
    duf = new_duf()
    facts = {
        "birth_date": "1991-06-12",
        "education": "upper_secondary_or_higher",
        "sex": "female",
        "national_id": synthetic_id(dt.date(1991, 6, 12)),
        "protected_identity": False,
        "permits": [
            {"basis": "utl_34", "decision_date": "2026-01-09", "arrival_date": "2026-01-05", "effectuation_date": None}
        ],
        "settlements": [{"municipality": "4648", "date": "2026-02-10", "by_agreement": True}],
        "residences": [
            {"municipality": "4648", "address": "Storgata 1", "postal_code": "6721", "from": "2026-02-10", "to": None}
        ],
        "follow_up": [{"municipality": "4648", "from": "2026-02-10", "to": None}],
        "decisions": [
            {
                "scheme": "intro",
                "type": "participation",
                "result": "made",
                "decision_date": "2026-03-02",
                "start_date": "2026-03-02",
                "end_date": None,
                "follow_up_municipality": "4648",
            }
        ],
        "final_goal": "work_vgo_2026",
        "extension_months": 0,
        "absences": [{"scheme": "intro", "kind": "leave", "from": "2026-09-07", "to": "2026-09-11"}],
        "measures": [
            {
                "scheme": "intro",
                "measure": "work_practice",
                "from": "2026-04-01",
                "to": "2026-06-30",
                "hours_per_week": 20,
            }
        ],
        "participation": [{"scheme": "norwegian", "from": "2026-03-01", "to": "2026-03-31", "hours": 48}],
        "terminations": [
            {
                "scheme": "intro",
                "type": "completed",
                "reason": "work",
                "hours_work_per_week": 37.5,
                "date": "2027-03-01",
            }
        ],
        "career_guidance": [
            {
                "date": "2026-02-20",
                "kind": "individual",
                "recommended_final_goal": "work_vgo_2026",
                "organisation": "f-46",
            }
        ],
        "competence_mappings": [{"date": "2026-01-20", "kind": "simplified", "organisation": "k-4648"}],
        "exams": [
            {
                "scheme": "norwegian",
                "type": "norwegian_oral",
                "date": "2026-06-15",
                "result": "passed",
                "level": "A2",
                "organisation": "k-4648",
            }
        ],
        # the grants' facts (grants.md A.1.1)
        "citizenship": "UKR",
        "unaccompanied_minor": {"flag": False, "with_companion": False},
        "family_reunification": {"reference_basis_at_grant": "utl_34", "application_date": "2025-12-01"},
        "upper_secondary_enrolments": [{"from": "2026-08-17", "to": None, "full_time": True, "county": "46"}],
        "reception_stays": [
            {"centre": "Mottak", "host_municipality": "4648", "from": "2026-01-05", "to": "2026-02-09"}
        ],
        "extra_grant_cases": [{"type": "FHT1", "grant_year": 2026, "applied_at": "2026-03-01"}],
    }
    line = interchange_line(duf, facts, first_name="Olena", last_name="Kovalenko", follow_up_municipality="4648")
    _, err, error = run_import(write_jsonl(tmp_path / "all.jsonl", [line]))
    assert error is None, err
    person = m.Person.objects.get(duf=duf)
    for model in m.REGISTRATION_MODELS:
        expected = 0 if model is m.Extension else 1
        assert model.objects.current().filter(person=person).count() == expected, model.__name__
    exported = history.snapshot(person)["facts"]
    for key in (
        "measures",
        "participation",
        "terminations",
        "career_guidance",
        "competence_mappings",
        "residences",
        "exams",
    ):
        got = [{k: v for k, v in item.items() if k != "registered_at"} for item in exported[key]]
        want = [{k: v for k, v in item.items() if v is not None or k in ("to",)} for item in facts[key]]
        assert got == want, key


@pytest.mark.django_db
def test_standard_input_is_read_with_dash(monkeypatch, new_duf):
    duf = new_duf()
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(interchange_line(duf, basic_facts())) + "\n"))
    _, err, error = run_import("-")
    assert error is None, err
    assert m.Person.objects.filter(duf=duf).exists()


def test_actor_row_fields_are_registrant_columns():
    """Actor.row_fields fills exactly the registrant columns of a registration row."""
    for actor in (Actor.for_system(), Actor.for_system("import", "NIR1")):
        fields = actor.row_fields()
        assert set(fields) == {
            "registered_by_kind",
            "registered_by_user_id",
            "registered_by_client_id",
            "registered_by_system",
            "source_system",
        }
        assert set(fields) <= {f.attname for f in m.Decision._meta.concrete_fields}
    assert Actor.for_system("import", "NIR1").row_fields()["source_system"] == "NIR1"


@pytest.mark.django_db
def test_update_item_registered_before_person_is_refused(tmp_path, new_duf):
    """With --update, an item may not be registered before the register knew the person (no rows back in time)."""
    duf = new_duf()
    assert (
        run_import(
            write_jsonl(
                tmp_path / "1.jsonl", [interchange_line(duf, basic_facts(), registered_at="2026-03-01T10:00:00+01:00")]
            )
        )[2]
        is None
    )
    line = interchange_line(duf, basic_facts(final_goal="work_vgo_2026"), registered_at="2026-03-05T10:00:00+01:00")
    line["facts"]["permits"][0]["registered_at"] = "2026-02-01T10:00:00+01:00"
    before = register_counts()
    _, err, error = run_import(write_jsonl(tmp_path / "2.jsonl", [line]), "--update")
    assert error is not None and "facts.permits[0].registered_at" in err and "[before_person]" in err
    assert register_counts() == before


@pytest.mark.django_db
def test_update_with_same_extension_total_and_goal_changes_nothing(tmp_path, new_duf):
    """--update keeps an extension whose total is unchanged and a final goal equal in code (the format
    carries no more)."""
    duf = new_duf()
    first = interchange_line(
        duf, basic_facts(final_goal="complete_vgo_2025"), registered_at="2026-03-01T10:00:00+01:00"
    )
    first["facts"]["extension_months"] = 12
    assert run_import(write_jsonl(tmp_path / "1.jsonl", [first]))[2] is None
    before = register_counts()
    again = dict(first, registered_at="2026-03-02T10:00:00+01:00")
    assert run_import(write_jsonl(tmp_path / "2.jsonl", [again]), "--update")[2] is None
    assert register_counts() == before
