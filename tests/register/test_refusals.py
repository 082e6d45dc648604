"""Bad input is refused with a clear message and nothing is lost (overview.md).

Every refusal names the field and the rule it broke, and leaves no row
behind in any register table. A final goal outside its validity window is
accepted with a warning (regelmotor.md § 5) — it is what the deviation report
(§ 6) exists to find.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from register_support import T0, at, register_counts, synthetic_id

from nir import identity
from nir.register import models as m
from nir.register import services
from nir.register.errors import ConcurrentChange, RegistrationRefused


def assert_refused(fn, field: str, rule: str) -> RegistrationRefused:
    """``fn`` is refused with a problem naming ``field`` and ``rule``, and no register row is added."""
    before = register_counts()
    with pytest.raises(RegistrationRefused) as exc:
        fn()
    problems = {(p.field, p.rule) for p in exc.value.problems}
    assert (field, rule) in problems, exc.value.problems
    for p in exc.value.problems:
        assert p.message and p.field and p.rule
        assert p.rule in str(exc.value) and p.field in str(exc.value)
    assert register_counts() == before
    return exc.value


# --- creating persons -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "duf, rule",
    [
        ("12345678900", "duf_format"),  # 11 digits
        ("1234567890AB", "duf_format"),  # not digits
        ("", "duf_format"),
        ("123456789003", "duf_checksum"),  # check number is 02
    ],
)
def test_invalid_duf_refused(duf, rule, details, actor):
    """DUF numbers: 12 digits, check number over the first ten (nir.identity)."""
    assert_refused(lambda: services.create_person(duf, details(), actor, at=T0), "duf", rule)


@pytest.mark.django_db
def test_duplicate_duf_refused(make_person, details, actor):
    person = make_person()
    assert_refused(
        lambda: services.create_person(person.duf, details(first_name="Ny"), actor, at=at(2026, 2, 1)),
        "duf",
        "duf_exists",
    )
    assert m.PersonDetails.objects.get(person=person).first_name == "Test"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_bad, rule",
    [
        (lambda good: good[:-1] + str((int(good[-1]) + 1) % 10), "national_id_checksum"),
        (lambda good: good[:10], "national_id_format"),
        (lambda good: good[:5] + "x" + good[6:], "national_id_format"),
    ],
)
def test_invalid_national_id_refused(make_bad, rule, new_duf, details, actor):
    """Fødselsnummer/D-nummer validated with python-stdnum's check digits (overview.md, Identifiers)."""
    good = synthetic_id(dt.date(1990, 1, 15))
    assert_refused(
        lambda: services.create_person(new_duf(), details(national_id=make_bad(good)), actor, at=T0),
        "person.national_id",
        rule,
    )


@pytest.mark.django_db
def test_national_id_not_matching_birth_date_refused(new_duf, details, actor):
    other = synthetic_id(dt.date(1991, 2, 3))
    assert_refused(
        lambda: services.create_person(new_duf(), details(national_id=other), actor, at=T0),
        "person.national_id",
        "national_id_birth_date_mismatch",
    )


@pytest.mark.django_db
def test_synthetic_national_id_refused_where_not_allowed(new_duf, details, actor):
    """Synthetic numbers are accepted only where the register holds synthetic data (settings)."""
    with override_settings(NIR_ACCEPT_SYNTHETIC_IDS=False):
        assert_refused(
            lambda: services.create_person(new_duf(), details(), actor, at=T0),
            "person.national_id",
            "national_id_synthetic",
        )
    # the same details are accepted in a test environment
    services.create_person(new_duf(), details(), actor, at=T0)


@pytest.mark.django_db
def test_synthetic_d_number_accepted_and_stored_compact(new_duf, details, actor):
    number = synthetic_id(dt.date(1990, 1, 15), d_number=True)
    spaced = f"{number[:6]} {number[6:]}"
    person = services.create_person(new_duf(), details(national_id=spaced), actor, at=T0).row
    assert m.PersonDetails.objects.get(person=person).national_id == number


@pytest.mark.django_db
def test_birth_date_in_future_refused(new_duf, details, actor):
    assert_refused(
        lambda: services.create_person(
            new_duf(), details(birth_date=dt.date(2026, 2, 1), national_id=""), actor, at=T0
        ),
        "person.birth_date",
        "birth_date_future",
    )


# --- registering facts -----------------------------------------------------------


@pytest.mark.django_db
def test_unknown_municipality_refused(make_person, actor):
    """Municipalities use SSB's four-digit numbers (overview.md, Identifiers)."""
    person = make_person()
    assert_refused(
        lambda: services.register(
            person,
            m.Settlement,
            {
                "municipality": "9999",
                "settlement_date": dt.date(2025, 11, 1),
                "by_agreement": True,
            },
            actor,
            at=T0,
        ),
        "settlements.municipality",
        "unknown_municipality",
    )


@pytest.mark.django_db
def test_municipality_outside_its_validity_refused(make_person, actor):
    """A municipality number is judged on the fact's date and the registration date: a
    pre-2024 numbering date registered in 2026 is fine, but 1201 (Bergen before 2020) is unknown."""
    person = make_person()
    services.register(
        person,
        m.Settlement,
        {
            "municipality": "5001",
            "settlement_date": dt.date(2020, 8, 1),
            "by_agreement": True,
        },
        actor,
        at=T0,
    )
    assert_refused(
        lambda: services.register(
            person,
            m.Settlement,
            {
                "municipality": "1201",
                "settlement_date": dt.date(2019, 8, 1),
                "by_agreement": True,
            },
            actor,
            at=T0,
        ),
        "settlements.municipality",
        "unknown_municipality",
    )


@pytest.mark.django_db
def test_district_not_in_municipality_refused(make_person, actor):
    person = make_person()
    assert_refused(
        lambda: services.register(
            person,
            m.FollowUp,
            {
                "municipality": "5001",
                "district": "030101",
                "valid_from": dt.date(2025, 11, 1),
            },
            actor,
            at=T0,
        ),
        "follow_up.district",
        "district_not_in_municipality",
    )
    assert_refused(
        lambda: services.register(
            person,
            m.FollowUp,
            {
                "municipality": "0301",
                "district": "030199",
                "valid_from": dt.date(2025, 11, 1),
            },
            actor,
            at=T0,
        ),
        "follow_up.district",
        "unknown_district",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model, values, field",
    [
        (
            m.Decision,
            {
                "scheme": "intro",
                "decision_type": "participation",
                "decision_date": dt.date(2026, 1, 5),
                "start_date": dt.date(2026, 1, 5),
                "end_date": dt.date(2026, 1, 4),
            },
            "decisions.end_date",
        ),
        (
            m.Absence,
            {"scheme": "intro", "kind": "absence", "from_date": dt.date(2026, 3, 6), "to_date": dt.date(2026, 3, 2)},
            "absences.to_date",
        ),
        (
            m.FollowUp,
            {"municipality": "5001", "valid_from": dt.date(2026, 1, 1), "valid_to": dt.date(2025, 12, 31)},
            "follow_up.valid_to",
        ),
        (
            m.Measure,
            {
                "scheme": "intro",
                "measure": "work_practice",
                "from_date": dt.date(2026, 3, 1),
                "to_date": dt.date(2026, 2, 1),
            },
            "measures.to_date",
        ),
    ],
    ids=["decision", "absence", "follow_up", "measure"],
)
def test_end_before_start_refused(model, values, field, make_person, actor):
    person = make_person()
    assert_refused(lambda: services.register(person, model, values, actor, at=T0), field, "end_before_start")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model, values, field",
    [
        (
            m.Decision,
            {"scheme": "intro", "decision_type": "bortfall", "decision_date": dt.date(2026, 1, 5)},
            "decisions.decision_type",
        ),
        (
            m.Decision,
            {"scheme": "introduksjon", "decision_type": "participation", "decision_date": dt.date(2026, 1, 5)},
            "decisions.scheme",
        ),
        (m.ResidencePermit, {"basis": "utl_99", "decision_date": dt.date(2025, 1, 1)}, "permits.basis"),
        (
            m.Absence,
            {"scheme": "intro", "kind": "sick", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 2)},
            "absences.kind",
        ),
        (m.FinalGoal, {"scheme": "intro", "goal": "world_domination"}, "final_goal"),
    ],
    ids=["decision_type", "scheme", "permit_basis", "absence_kind", "final_goal"],
)
def test_unknown_code_refused(model, values, field, make_person, actor):
    person = make_person()
    assert_refused(lambda: services.register(person, model, values, actor, at=T0), field, "unknown_code")


@pytest.mark.django_db
def test_code_outside_validity_window_refused(make_person, actor):
    """Bortfall av rett og plikt pga. arbeid over 30 timer exists from 2026-01-01
    (il. § 8 fourth paragraph; 004): a decision dated 2025-12-31 is refused."""
    person = make_person()
    # in the target group (il. § 8), so that the Regelmotor accepts the decision on a valid date
    services.register(
        person, m.ResidencePermit, {"basis": "utl_28", "decision_date": dt.date(2025, 10, 1)}, actor, at=T0
    )
    services.register(
        person,
        m.Settlement,
        {"municipality": "5001", "settlement_date": dt.date(2025, 11, 1), "by_agreement": True},
        actor,
        at=T0,
    )
    values = {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2025, 12, 31)}
    err = assert_refused(
        lambda: services.register(person, m.Decision, values, actor, at=T0),
        "decisions.decision_date",  # on the date that makes the type invalid (issue 16 § 3)
        "code_not_valid_on_date",
    )
    assert "01.01.2026" in str(err)
    # the same decision dated on the first valid day is accepted
    services.register(person, m.Decision, dict(values, decision_date=dt.date(2026, 1, 1)), actor, at=T0)


@pytest.mark.django_db
def test_decision_type_of_another_scheme_refused(make_person, actor):
    person = make_person()
    assert_refused(
        lambda: services.register(
            person,
            m.Decision,
            {
                "scheme": "norwegian",
                "decision_type": "participation",
                "decision_date": dt.date(2026, 1, 5),
            },
            actor,
            at=T0,
        ),
        "decisions.decision_type",
        "decision_type_not_in_scheme",
    )


@pytest.mark.django_db
def test_negative_and_unreasonable_numbers_refused(make_person, actor):
    person = make_person()
    assert_refused(
        lambda: services.register(
            person,
            m.Measure,
            {
                "scheme": "intro",
                "measure": "work_practice",
                "from_date": dt.date(2026, 2, 1),
                "hours_per_week": 200,
            },
            actor,
            at=T0,
        ),
        "measures.hours_per_week",
        "hours_per_week_max",
    )
    assert_refused(
        lambda: services.register(
            person,
            m.Participation,
            {
                "scheme": "norwegian",
                "from_date": dt.date(2026, 2, 1),
                "to_date": dt.date(2026, 2, 28),
                "hours": -1,
            },
            actor,
            at=T0,
        ),
        "participation.hours",
        "non_negative",
    )


@pytest.mark.django_db
def test_date_out_of_range_refused(make_person, actor):
    person = make_person()
    assert_refused(
        lambda: services.register(
            person,
            m.ResidencePermit,
            {
                "basis": "utl_28",
                "decision_date": dt.date(1899, 12, 31),
            },
            actor,
            at=T0,
        ),
        "permits.decision_date",
        "date_range",
    )


@pytest.mark.django_db
def test_final_goal_outside_window_accepted_with_warning(make_person, actor):
    """A final goal outside its window for the programme start is accepted with a warning,
    not refused (regelmotor.md § 5); the old goal work_no_vgo_old is valid only for starts
    before 2026-01-01 (§ 4), this programme started 2026-01-12."""
    person = make_person()
    services.register(
        person,
        m.Decision,
        {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": dt.date(2026, 1, 12),
            "start_date": dt.date(2026, 1, 12),
        },
        actor,
        at=at(2026, 1, 12),
    )
    outcome = services.register(
        person, m.FinalGoal, {"scheme": "intro", "goal": "work_no_vgo_old"}, actor, at=at(2026, 1, 13)
    )
    assert [(w.field, w.rule) for w in outcome.warnings] == [("final_goal", "final_goal_outside_window")]
    assert "12.01.2026" in outcome.warnings[0].message
    assert m.FinalGoal.objects.current().get(person=person).goal == "work_no_vgo_old"


@pytest.mark.django_db
def test_final_goal_inside_window_has_no_warning(participant, actor):
    person, rows = participant
    outcome = services.correct(rows["final_goal"], {"goal": "work_vgo_2026"}, "Rettet", actor, at=at(2026, 2, 1))
    assert outcome.warnings == []


@pytest.mark.django_db
def test_final_goal_window_judged_against_first_participation_start(make_person, actor):
    """The deadline, and so the goal's window, runs from the start date in the *first*
    participation decision (regelmotor.md § 4, 004)."""
    person = make_person()
    for start in (dt.date(2026, 2, 1), dt.date(2025, 12, 1)):
        services.register(
            person,
            m.Decision,
            {
                "scheme": "intro",
                "decision_type": "participation",
                "decision_date": start,
                "start_date": start,
            },
            actor,
            at=at(2026, 2, 1),
        )
    outcome = services.register(
        person, m.FinalGoal, {"scheme": "intro", "goal": "work_no_vgo_old"}, actor, at=at(2026, 2, 2)
    )
    assert outcome.warnings == []
    outcome = services.register(
        person, m.FinalGoal, {"scheme": "intro", "goal": "work_no_vgo_2026"}, actor, at=at(2026, 2, 2)
    )
    assert [w.rule for w in outcome.warnings] == ["final_goal_outside_window"]


# --- corrections -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_correction_without_reason_refused(reason, participant, actor):
    person, rows = participant
    assert_refused(
        lambda: services.correct(rows["final_goal"], {"goal": "work_vgo_2026"}, reason, actor, at=at(2026, 2, 1)),
        "reason",
        "reason_required",
    )
    assert_refused(
        lambda: services.annul(rows["final_goal"], reason, actor, at=at(2026, 2, 1)), "reason", "reason_required"
    )
    assert m.FinalGoal.objects.get(pk=rows["final_goal"].pk).superseded_at is None


@pytest.mark.django_db
def test_invalid_correction_refused_and_original_stays_current(participant, actor):
    """A correction is validated like a registration; a refused one closes nothing."""
    person, rows = participant
    assert_refused(
        lambda: services.correct(
            rows["decision"], {"end_date": dt.date(2025, 1, 1)}, "Sluttdato", actor, at=at(2026, 2, 1)
        ),
        "decisions.end_date",
        "end_before_start",
    )
    assert_refused(
        lambda: services.correct(rows["decision"], {"colour": "blue"}, "Farge", actor, at=at(2026, 2, 1)),
        "colour",
        "unknown_field",
    )
    assert m.Decision.objects.current().get(person=person).pk == rows["decision"].pk


@pytest.mark.django_db
def test_correcting_superseded_row_raises_concurrent_change(participant, actor, other_actor):
    """Two caseworkers correct the same fact: the second sees ConcurrentChange, not a silent overwrite."""
    person, rows = participant
    stale = m.FinalGoal.objects.get(pk=rows["final_goal"].pk)  # loaded by the second caseworker
    services.correct(rows["final_goal"], {"goal": "work_vgo_2026"}, "Rettet", actor, at=at(2026, 2, 1))
    before = register_counts()
    with pytest.raises(ConcurrentChange) as exc:
        services.correct(stale, {"goal": "complete_vgo_2025"}, "Rettet igjen", other_actor, at=at(2026, 2, 2))
    assert exc.value.problems[0].rule == "already_superseded"
    assert isinstance(exc.value, RegistrationRefused)
    assert register_counts() == before
    with pytest.raises(ConcurrentChange):
        services.annul(stale, "Slett", other_actor, at=at(2026, 2, 2))
    assert register_counts() == before
    assert m.FinalGoal.objects.current().get(person=person).goal == "work_vgo_2026"


@pytest.mark.django_db
def test_refused_person_with_valid_duf_can_be_created_afterwards(new_duf, details, actor):
    """Nothing half-written: after a refusal the same DUF number is still free."""
    duf = new_duf()
    assert_refused(
        lambda: services.create_person(duf, details(education="phd"), actor, at=T0), "person.education", "unknown_code"
    )
    services.create_person(duf, details(), actor, at=T0)
    assert m.Person.objects.filter(duf=duf).count() == 1


def test_duf_factory_gives_valid_numbers(new_duf):
    for _ in range(20):
        assert identity.validate_duf(new_duf())


@pytest.mark.django_db
def test_values_beyond_column_limits_refused(make_person, actor):
    """What the database column cannot hold is refused by validation with field and rule
    (on PostgreSQL it would otherwise fail mid-transaction)."""
    person = make_person()
    assert_refused(
        lambda: services.register(
            person,
            m.Residence,
            {
                "municipality": "5001",
                "postal_code": "70300",
                "valid_from": dt.date(2026, 1, 1),
            },
            actor,
            at=T0,
        ),
        "residences.postal_code",
        "max_length",
    )
    assert_refused(
        lambda: services.register(person, m.Extension, {"scheme": "intro", "months": 13}, actor, at=T0),
        "extension_months",
        "extension_months_max",
    )
    # 12 months passes field validation (the Regelmotor then judges it against the final goal)
    services.register(person, m.Extension, {"scheme": "intro", "months": 12}, actor, at=T0, evaluate=False)
