"""The Regelmotor wired into the register (issue: every write re-evaluates the person in the
same transaction; derived values and automatic closures are stored as rows registered by
Regelmotor; a registration that breaks a rule is refused with the rule's message)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from register_support import T0, at, register_counts

from nir.register import derivation, services
from nir.register import models as m
from nir.register.errors import RegistrationRefused
from nir.rules import parameters


def _in_target_group(person, actor, *, permit=dt.date(2025, 10, 1)):
    services.register(person, m.ResidencePermit, {"basis": "utl_28", "decision_date": permit}, actor, at=T0)
    services.register(
        person,
        m.Settlement,
        {"municipality": "5522", "settlement_date": dt.date(2025, 11, 1), "by_agreement": True},
        actor,
        at=T0,
    )


def status(person) -> m.DerivedStatus:
    return m.DerivedStatus.objects.current().get(person=person)


@pytest.mark.django_db
def test_every_write_stores_the_derived_status_registered_by_regelmotor(make_person, actor):
    """il. § 8 and regelmotor.md § 4: a participation decision and a final goal give category and deadline."""
    person = make_person()
    assert status(person).intro_category == "none"  # only personal details so far
    _in_target_group(person, actor)
    assert status(person).intro_category == "right_and_duty"
    assert status(person).norwegian_deadline == dt.date(2028, 9, 30)  # 01.10.2025 + 36 months − 1 day
    services.register(
        person,
        m.Decision,
        {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": dt.date(2026, 1, 5),
            "start_date": dt.date(2026, 1, 5),
        },
        actor,
        at=at(2026, 1, 12),
    )
    s = status(person)
    assert s.deviation_final_goal_missing and s.intro_deadline is None
    services.register(person, m.FinalGoal, {"scheme": "intro", "goal": "work_no_vgo_2026"}, actor, at=at(2026, 1, 13))
    s = status(person)
    assert (s.intro_start_date, s.intro_deadline) == (dt.date(2026, 1, 5), dt.date(2028, 1, 4))
    assert not s.deviation_final_goal_missing
    assert (s.registered_by_kind, s.registered_by_system, s.source_system) == ("system", "Regelmotor", "Regelmotor")
    assert s.operation == m.Operation.CORRECT and s.supersedes is not None
    # the old status stays readable as known before the final goal
    before = m.DerivedStatus.objects.known_at(at(2026, 1, 12, 23)).get(person=person)
    assert before.intro_deadline is None and before.deviation_final_goal_missing


@pytest.mark.django_db
def test_unchanged_result_writes_no_new_status(make_person, actor):
    person = make_person()
    _in_target_group(person, actor)
    n = m.DerivedStatus.objects.filter(person=person).count()
    services.register(
        person,
        m.Measure,
        {"scheme": "intro", "measure": "work_practice", "from_date": dt.date(2026, 2, 1)},
        actor,
        at=at(2026, 2, 2),
    )
    assert m.DerivedStatus.objects.filter(person=person).count() == n


@pytest.mark.django_db
def test_loss_due_to_work_after_participation_refused_with_rule_message(make_person, actor):
    """004: «Kan kun registreres dersom det IKKE foreligger et vedtak om deltakelse fra før» —
    refused, naming the rule, with nothing stored."""
    person = make_person()
    _in_target_group(person, actor)
    services.register(
        person,
        m.Decision,
        {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": dt.date(2025, 12, 15),
            "start_date": dt.date(2025, 12, 15),
        },
        actor,
        at=T0,
    )
    before = register_counts()
    n_status = m.DerivedStatus.objects.count()
    with pytest.raises(RegistrationRefused) as exc:
        services.register(
            person,
            m.Decision,
            {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 5)},
            actor,
            at=at(2026, 1, 12),
        )
    rules = [p.rule for p in exc.value.problems]
    assert rules == ["loss_due_to_work_after_participation"]
    assert "deltakelse" in exc.value.problems[0].message
    assert exc.value.problems[0].field.startswith("decisions")
    assert register_counts() == before and m.DerivedStatus.objects.count() == n_status


@pytest.mark.django_db
def test_loss_due_to_work_closes_and_annulment_reopens(make_person, actor):
    """il. § 8 fourth paragraph; 004: the Regelmotor registers «Avbrutt» / «Vedtak om bortfall av rett og
    plikt pga. arbeid» on the decision date; when the decision is annulled, so is the closure."""
    person = make_person()
    _in_target_group(person, actor)
    decision = services.register(
        person,
        m.Decision,
        {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 5)},
        actor,
        at=at(2026, 1, 12),
    ).row
    term = m.Termination.objects.current().get(person=person)
    assert (term.termination_type, term.termination_reason, term.termination_date) == (
        "aborted",
        "loss_due_to_work",
        dt.date(2026, 1, 5),
    )
    assert term.registered_by_label == "Regelmotor" and term.follow_up_municipality == "5522"
    assert status(person).intro_category == "none" and status(person).intro_closed_date == dt.date(2026, 1, 5)

    services.annul(decision, "Registrert på feil person", actor, at=at(2026, 1, 20))
    assert not m.Termination.objects.current().filter(person=person).exists()
    gone = m.Termination.objects.filter(person=person, operation=m.Operation.ANNUL).get()
    assert gone.registered_by_label == "Regelmotor" and "gjelder ikke lenger" in gone.change_reason
    assert status(person).intro_category == "right_and_duty" and status(person).intro_closed_date is None
    # as known on 15.01 the programme was closed
    assert m.Termination.objects.known_at(at(2026, 1, 15)).filter(person=person).count() == 1


@pytest.mark.django_db
def test_correction_that_breaks_a_rule_is_refused(make_person, actor):
    """A correction is judged like a registration: moving a participation decision's date so that it
    precedes an existing loss-due-to-work decision makes that decision contradictory (004)."""
    person = make_person()
    _in_target_group(person, actor)
    services.register(
        person,
        m.Decision,
        {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 5)},
        actor,
        at=at(2026, 1, 12),
    )
    d = services.register(
        person,
        m.Decision,
        {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": dt.date(2026, 2, 2),
            "start_date": dt.date(2026, 2, 2),
        },
        actor,
        at=at(2026, 2, 3),
    ).row  # allowed after the loss (004)
    with pytest.raises(RegistrationRefused) as exc:
        services.correct(
            d,
            {"decision_date": dt.date(2025, 12, 1), "start_date": dt.date(2025, 12, 1)},
            "Feil dato",
            actor,
            at=at(2026, 2, 4),
        )
    assert "loss_due_to_work_after_participation" in [p.rule for p in exc.value.problems]
    assert m.Decision.objects.current().get(pk=d.pk).decision_date == dt.date(2026, 2, 2)


@pytest.mark.django_db
def test_reevaluate_after_a_rule_change_reports_what_changed(make_person, actor, monkeypatch):
    """Prop. 81 L (2024–2025) pkt 12.2: switching the 55→60 version on (one data change) and
    re-evaluating moves a person aged 58 at the permit decision into rett og plikt."""
    older = make_person(birth_date=dt.date(1967, 6, 1))
    _in_target_group(older, actor)
    younger = make_person()
    _in_target_group(younger, actor)
    assert status(older).intro_category == "may_be_offered"

    out = io.StringIO()
    call_command("rules", "reevaluate", "--quiet", stdout=out)
    assert "0 endret" in out.getvalue()

    switched = parameters.default().with_valid_from("intro.age.max", 60, dt.date(2025, 1, 1))
    monkeypatch.setattr(parameters, "default", lambda: switched)
    out = io.StringIO()
    call_command("rules", "reevaluate", "--quiet", stdout=out)
    text = out.getvalue()
    assert "1 endret" in text and "intro: may_be_offered → right_and_duty: 1" in text
    assert status(older).intro_category == "right_and_duty"
    assert status(older).change_reason == "Ny vurdering av Regelmotor"
    assert (
        m.DerivedStatus.objects.filter(person=younger).count()
        == m.DerivedStatus.objects.filter(person=younger, superseded_at__isnull=False).count() + 1
    )  # untouched: still one current row


@pytest.mark.django_db
def test_reevaluate_dry_run_stores_nothing_and_creates_missing_statuses(make_person, actor):
    person = make_person()
    _in_target_group(person, actor)
    services.register(
        person,
        m.Decision,
        {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 5)},
        actor,
        at=at(2026, 1, 12),
        evaluate=False,
    )  # as the bulk paths write: no derivation yet
    before = (m.DerivedStatus.objects.count(), m.Termination.objects.count())
    out = io.StringIO()
    call_command("rules", "reevaluate", "--quiet", "--dry-run", stdout=out)
    assert "1 endret" in out.getvalue() and "1 registrert" in out.getvalue()
    assert (m.DerivedStatus.objects.count(), m.Termination.objects.count()) == before
    call_command("rules", "reevaluate", "--quiet", stdout=io.StringIO())
    assert status(person).intro_category == "none"
    assert m.Termination.objects.current().get(person=person).registered_by_label == "Regelmotor"


@pytest.mark.django_db
def test_explain_prints_rules_sources_and_facts_in_norwegian(make_person, actor):
    person = make_person()
    _in_target_group(person, actor)
    out = io.StringIO()
    call_command("rules", "explain", person.duf, "--as-of", "2026-03-01", stdout=out)
    text = out.getvalue()
    assert "NIR-kategori introduksjonsprogram: Rett og plikt til introduksjonsprogram" in text
    assert "kilde: il. § 8 første ledd" in text
    assert "Gjennomføringsfrist norsk og samfunnskunnskap: 30.09.2028" in text
    assert "parameter intro.age.max = 55" in text


@pytest.mark.django_db
def test_derivation_evaluates_the_person_as_of_the_registration_date(make_person, actor):
    """The derived row records the date the rules were applied on."""
    person = make_person()
    _in_target_group(person, actor)
    assert status(person).as_of == T0.date()
    assert derivation.evaluate_person(person, as_of=dt.date(2026, 3, 1)).intro.category == "right_and_duty"


@pytest.mark.django_db
def test_bulk_reevaluation_agrees_with_the_per_person_write_path():
    """The vectorised bulk path (nir.register.bulk) stores exactly what the per-person engine derives,
    so a write after a bulk run changes nothing that was not changed by the write itself."""
    call_command("synth", persons=400, seed=11, quiet=True, stdout=io.StringIO())
    out = io.StringIO()
    call_command("rules", "reevaluate", "--quiet", "--as-of", "2026-11-20", "--chunk", "150", stdout=out)
    assert "400 personer" in out.getvalue() and "400 nye" in out.getvalue()
    for person in m.Person.objects.all():
        expected = derivation.status_values(derivation.evaluate_person(person, as_of=dt.date(2026, 11, 20)))
        stored = status(person)
        assert {f: getattr(stored, f) for f in m.DerivedStatus.RESULT_FIELDS} == {
            f: expected[f] for f in m.DerivedStatus.RESULT_FIELDS
        }, person.duf
    out = io.StringIO()
    call_command("rules", "reevaluate", "--quiet", "--as-of", "2026-11-20", stdout=out)
    assert "0 endret, 0 nye, 400 uendret" in out.getvalue()
    assert "0 registrert, 0 annullert" in out.getvalue()  # synth's automatic closures already match


@pytest.mark.django_db
def test_in_memory_after_state_equals_a_fresh_read(make_person, actor):
    """The guard derives the person's rows after a write in memory (register, correct, annul);
    after every step the stored status equals a fresh evaluation from the database."""
    person = make_person()

    def check(when):
        expected = derivation.status_values(derivation.evaluate_person(person, as_of=when.date()))
        assert {f: getattr(status(person), f) for f in m.DerivedStatus.RESULT_FIELDS} == {
            f: expected[f] for f in m.DerivedStatus.RESULT_FIELDS
        }

    _in_target_group(person, actor)
    check(T0)
    steps = at(2026, 2, 1)
    d = services.register(
        person,
        m.Decision,
        {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": dt.date(2026, 1, 5),
            "start_date": dt.date(2026, 1, 5),
        },
        actor,
        at=steps,
    ).row
    check(steps)
    g = services.register(person, m.FinalGoal, {"scheme": "intro", "goal": "complete_vgo_2025"}, actor, at=steps).row
    check(steps)
    e = services.register(person, m.Extension, {"scheme": "intro", "months": 12}, actor, at=steps).row
    check(steps)
    a = services.register(
        person,
        m.Absence,
        {"scheme": "intro", "kind": "leave", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 20)},
        actor,
        at=steps,
    ).row
    check(steps)
    services.correct(a, {"to_date": dt.date(2026, 3, 6)}, "Kortere permisjon", actor, at=steps)
    check(steps)
    services.correct(
        d, {"start_date": dt.date(2026, 1, 19), "decision_date": dt.date(2026, 1, 19)}, "Ny start", actor, at=steps
    )
    check(steps)
    with pytest.raises(RegistrationRefused) as exc:  # the extension would be left without a final goal
        services.annul(g, "Feil sluttmål", actor, at=steps)
    assert [p.rule for p in exc.value.problems] == ["extension_without_final_goal"]
    check(steps)
    services.annul(e, "Utvidelse trukket", actor, at=steps)
    check(steps)
    services.annul(m.FinalGoal.objects.current().get(person=person), "Feil sluttmål", actor, at=steps)
    check(steps)
    assert status(person).deviation_final_goal_missing


@pytest.mark.django_db
def test_derived_row_superseded_concurrently_is_refused_not_duplicated(make_person, actor):
    """replace_statuses supersedes and inserts in one step; if another writer superseded the row
    first, nothing is inserted (no two current statuses) and ConcurrentChange is raised."""
    from nir.register.errors import ConcurrentChange

    person = make_person()
    stale = status(person)
    values = {f: getattr(stale, f) for f in m.DerivedStatus.FACT_FIELDS} | {"intro_category": "may_be_offered"}
    first = services.status_row(person, values, at(2026, 2, 1), stale)
    services.replace_statuses([first])
    assert first.pk and m.DerivedStatus.objects.get(pk=stale.pk).superseded_at == at(2026, 2, 1)
    stale_again = m.DerivedStatus.objects.get(pk=stale.pk)
    stale_again.superseded_at = None  # as another process still holding the old row would see it
    n = m.DerivedStatus.objects.count()
    with pytest.raises(ConcurrentChange):
        services.replace_statuses([services.status_row(person, values, at(2026, 2, 2), stale_again)])
    assert m.DerivedStatus.objects.count() == n
    assert m.DerivedStatus.objects.current().filter(person=person).count() == 1


@pytest.mark.django_db
def test_error_written_behind_the_guards_back_does_not_block_unrelated_writes(make_person, actor):
    """The guard may trust an error-free stored status only if no current fact is newer than it:
    a rule-breaking decision written without evaluation (as a bulk path would) is an existing
    error, so an unrelated registration afterwards is accepted, not refused for it."""
    person = make_person()
    _in_target_group(person, actor)
    services.register(
        person,
        m.Decision,
        {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": dt.date(2025, 12, 15),
            "start_date": dt.date(2025, 12, 15),
        },
        actor,
        at=at(2026, 1, 12, 9),
    )
    assert status(person).errors == [] and status(person).as_of == dt.date(2026, 1, 12)
    services.register(
        person,
        m.Decision,
        {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 5)},
        actor,
        at=at(2026, 1, 12, 10),
        evaluate=False,
    )  # breaks a rule, stored behind the guard's back (same day)
    row = services.register(
        person,
        m.Measure,
        {"scheme": "intro", "measure": "work_practice", "from_date": dt.date(2026, 2, 1)},
        actor,
        at=at(2026, 1, 12, 11),
    ).row
    assert row.pk
    assert status(person).errors == ["loss_due_to_work_after_participation"]


@pytest.mark.django_db
def test_guard_evaluates_the_person_before_the_write_only_when_the_write_leaves_rule_errors(
    make_person, actor, monkeypatch
):
    """A write that leaves no rule error brings none (integreringsloven's rules as the Regelmotor
    applies them): the guard evaluates the person once. Only when the result after the write has
    errors is the person evaluated before it too, so that errors it already had are not held
    against an unrelated write, and a new error is refused."""
    person = make_person()
    _in_target_group(person, actor)
    services.register(
        person,
        m.Decision,
        {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": dt.date(2025, 12, 15),
            "start_date": dt.date(2025, 12, 15),
        },
        actor,
        at=at(2026, 1, 12, 9),
    )
    calls = []
    real = derivation.rules.evaluate
    monkeypatch.setattr(derivation.rules, "evaluate", lambda facts, as_of: calls.append(as_of) or real(facts, as_of))
    # a later day: the stored status (12 January) cannot stand in for the evaluation before the write
    services.register(
        person,
        m.Measure,
        {"scheme": "intro", "measure": "work_practice", "from_date": dt.date(2026, 2, 1)},
        actor,
        at=at(2026, 1, 20, 9),
    )
    assert calls == [dt.date(2026, 1, 20)]
    calls.clear()
    with pytest.raises(RegistrationRefused) as refused:
        services.register(
            person,
            m.Decision,
            {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 5)},
            actor,
            at=at(2026, 1, 21, 9),
        )
    assert [p.rule for p in refused.value.problems] == ["loss_due_to_work_after_participation"]
    assert calls == [dt.date(2026, 1, 21), dt.date(2026, 1, 21)]  # after, then before to compare


@pytest.mark.django_db
def test_the_regelmotor_reads_typed_facts_as_it_reads_the_interchange_text(make_person, actor):
    """regelmotor.md §§ 7–8: the facts object is the interchange format. The write path hands the
    engine its dates as dates (facts_from_rows), not as text to be parsed back; every result, on
    every day asked, is what the interchange text of the same rows gives."""
    from nir import rules
    from nir.register.interchange import facts_to_line
    from nir.register.snapshot_sql import current_rows

    person = make_person()
    _in_target_group(person, actor)
    for model, values in [
        (
            m.Residence,
            {"municipality": "5522", "valid_from": dt.date(2025, 11, 1), "address": "Gate 1", "postal_code": "9700"},
        ),
        (
            m.Decision,
            {
                "scheme": "intro",
                "decision_type": "participation",
                "decision_date": dt.date(2026, 1, 5),
                "start_date": dt.date(2026, 1, 5),
            },
        ),
        (m.FinalGoal, {"scheme": "intro", "goal": "work_no_vgo_2026"}),
        (
            m.Absence,
            {"scheme": "intro", "kind": "time_off", "from_date": dt.date(2026, 2, 2), "to_date": dt.date(2026, 2, 20)},
        ),
        (
            m.Absence,
            {"scheme": "norwegian", "kind": "leave", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 4, 30)},
        ),
    ]:
        services.register(person, model, values, actor, at=at(2026, 5, 4))
    rows = current_rows(person.pk, derivation.ENGINE_MODELS)
    typed = derivation.facts_from_rows(person, rows)
    text = facts_to_line(person, rows, with_registered_at=False)["facts"]
    assert typed["birth_date"] == dt.date.fromisoformat(text["birth_date"])
    assert typed["absences"][0]["from"] == dt.date(2026, 2, 2) and text["absences"][0]["from"] == "2026-02-02"
    for on in (dt.date(2026, 1, 4), dt.date(2026, 5, 4), dt.date(2027, 12, 31), dt.date(2029, 6, 1)):
        assert rules.evaluate(typed, on).to_json() == rules.evaluate(text, on).to_json(), on
