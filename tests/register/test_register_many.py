"""services.register_many, the bulk form of the one write path (POST /batches): for any sequence of
items it gives exactly what ``services.register`` gives item by item, each in its own savepoint —
the same outcomes (accepted with the same warnings, or refused with the same problems), the same
rows (who, when, source), the same current DerivedStatus and the same automatic closures by the
Regelmotor (created and annulled in the same order). Each comparison runs both paths on the same
register, each in a transaction that is rolled back."""

from __future__ import annotations

import copy
import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from nir.register import models as m
from nir.register import services
from nir.register.errors import RegistrationRefused
from nir.register.snapshot_sql import current_rows, current_rows_many
from nir.testing.builders import Register, at

AT = at(2026, 3, 2, 10)  # the batch's registration time


@pytest.fixture
def builder(actor) -> Register:
    return Register(actor)


def build_world(r: Register) -> list[m.Person]:
    """Persons in every situation the items below meet (index → situation)."""
    people = []
    p = r.person("Anne", "Aas")  # 0: participant with a final goal
    r.participation(p, dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    people.append(p)
    p = r.person("Bjorn", "Berg", municipality="0301", district="030101")  # 1: participant, no final goal
    r.participation(p, dt.date(2026, 1, 12))
    people.append(p)
    people.append(r.person("Cecilie", "Dahl"))  # 2: rett og plikt, no decision yet: a loss decision closes
    people.append(r.person("David", "Eng", municipality="4601"))  # 3: as 2, in Bergen
    p = r.person("Eva", "Fjell")  # 4: closed by the Regelmotor already (loss due to work)
    r.loss_due_to_work(p, dt.date(2026, 1, 5))
    people.append(p)
    people.append(r.person("Frida", "Gran", birth=dt.date(1967, 6, 1)))  # 5: 58 at the permit: may be offered
    p = r.person("Gunnar", "Holm")  # 6: has a rule error, registered around the guard
    r.participation(p, dt.date(2026, 1, 5))
    services.register(
        p,
        m.Decision,
        {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 2, 2)},
        r.actor,
        at=at(2026, 2, 2),
        evaluate=False,
    )
    people.append(p)
    # 7: registered on the batch's day, before it: the stored status proves no errors (no before-evaluation)
    people.append(r.person("Hanne", "Ild", when=at(2026, 3, 2, 8)))
    people.append(r.person("Ivar", "Jensen", when=at(2026, 4, 1)))  # 8: registered after the batch's time
    return people


# A few dates shared by decisions and terminations, so that items meet each other.
DAYS = [dt.date(2025, 12, 15), dt.date(2026, 1, 5), dt.date(2026, 2, 2), dt.date(2026, 2, 16), dt.date(2026, 3, 2)]


def random_item(rng: random.Random) -> tuple[type[m.Registration], dict]:
    day = rng.choice(DAYS)
    kind = rng.choice(
        [
            "absence",
            "absence",
            "participation_decision",
            "loss_decision",
            "loss_decision",
            "final_goal",
            "extension",
            "participation",
            "measure",
            "termination",
            "termination",
            "follow_up",
        ]
    )
    if kind == "absence":
        start = day + dt.timedelta(days=rng.randrange(0, 20))
        return m.Absence, {
            "scheme": "intro",
            "kind": rng.choice(["absence", "time_off", "leave", "holiday", "nope"]),
            "from_date": start,
            "to_date": start + dt.timedelta(days=rng.choice([0, 1, 4, -2])),
        }
    if kind == "participation_decision":
        return m.Decision, {
            "scheme": "intro",
            "decision_type": "participation",
            "decision_date": day,
            "start_date": day,
            "result": rng.choice(["made", "made", "rejected"]),
        }
    if kind == "loss_decision":
        return m.Decision, {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": day}
    if kind == "final_goal":
        return m.FinalGoal, {
            "scheme": "intro",
            "goal": rng.choice(["work_no_vgo_2026", "complete_vgo_2025", "work_no_vgo_old", "bogus"]),
        }
    if kind == "extension":
        return m.Extension, {"scheme": "intro", "months": rng.choice([2, 6, 12, 13]), "decision_date": day}
    if kind == "participation":
        return m.Participation, {
            "scheme": "intro",
            "from_date": day,
            "to_date": day + dt.timedelta(days=27),
            "hours": rng.choice([Decimal("37.5"), Decimal("120")]),
        }
    if kind == "measure":
        return m.Measure, {
            "scheme": "intro",
            "measure": rng.choice(["work_practice", "no_such_measure"]),
            "from_date": day,
            "to_date": None,
            "hours_per_week": None,
        }
    if kind == "termination":
        type_, reason, hours = rng.choice(
            [
                ("aborted", "loss_due_to_work", None),
                ("aborted", "loss_due_to_work", None),
                ("completed", "work", Decimal("37.5")),
                ("completed", "work", Decimal("200")),
                ("nope", "work", None),
            ]
        )
        return m.Termination, {
            "scheme": "intro",
            "termination_type": type_,
            "termination_reason": reason,
            "hours_work_per_week": hours,
            "termination_date": day,
            "follow_up_municipality": "",
        }
    return m.FollowUp, {
        "municipality": rng.choice(["5001", "4601", "9999"]),
        "district": "",
        "valid_from": day,
        "valid_to": None,
    }


def random_items(rng: random.Random, people: list[m.Person], n: int) -> list[tuple[m.Person, type, dict]]:
    # Mostly a few persons, so that many items meet earlier items of the same person.
    weights = [3, 2, 4, 3, 3, 2, 2, 2, 1][: len(people)] + [1] * max(0, len(people) - 9)
    return [(rng.choices(people, weights)[0], *random_item(rng)) for _ in range(n)]


# --- running both paths and capturing what they stored -------------------------------------------


def _problems(problems) -> list[tuple[str, str, str]]:
    return [(p.field, p.rule, p.message) for p in problems]


def one_at_a_time(items, actor, when=AT) -> list[tuple]:
    """What POST /batches did before register_many: register each item in its own savepoint."""
    out = []
    for person, model, values in items:
        try:
            with transaction.atomic():
                o = services.register(person, model, copy.deepcopy(values), actor, at=when)
            out.append(("created", _problems(o.warnings), o.row.fact_values()))
        except RegistrationRefused as e:
            out.append(("refused", _problems(e.problems)))
    return out


def in_bulk(items, actor, when=AT) -> list[tuple]:
    outcomes = services.register_many([(p, mdl, copy.deepcopy(v)) for p, mdl, v in items], actor, at=when)
    assert len(outcomes) == len(items)
    out = []
    for o in outcomes:
        if o.accepted:
            assert o.row.pk is not None and o.error is None
            stored = type(o.row).objects.get(pk=o.row.pk)
            assert stored.fact_values() == o.row.fact_values()
            out.append(("created", _problems(o.warnings), stored.fact_values()))
        else:
            assert o.row is None and isinstance(o.error, RegistrationRefused)
            out.append(("refused", _problems(o.problems)))
    return out


def _row_key(row, index) -> tuple:
    return (
        row.fact_values(),
        row.operation,
        row.recorded_at,
        row.superseded_at,
        index.get(row.supersedes_id),
        row.change_reason,
        row.registered_by_kind,
        row.registered_by_user_id,
        row.registered_by_client_id,
        row.registered_by_system,
        row.source_system,
    )


def register_state(people: list[m.Person]) -> list[dict]:
    """Every row of every table about each person, in id order, with ``supersedes`` as a position in
    that order — except DerivedStatus: only the current row (register_many does not write the
    intermediate versions between two items of one person)."""
    state = []
    for person in people:
        tables = {}
        for model in m.ALL_REGISTRATION_MODELS:
            if model is m.DerivedStatus:
                rows = list(model.objects.current().filter(person=person))
                tables[model.__name__] = [
                    (
                        r.fact_values(),
                        r.operation,
                        r.recorded_at,
                        r.change_reason,
                        r.registered_by_kind,
                        r.registered_by_system,
                        r.source_system,
                    )
                    for r in rows
                ]
                continue
            rows = list(model.objects.filter(person=person).order_by("id"))
            index = {r.pk: i for i, r in enumerate(rows)}
            tables[model.__name__] = [_row_key(r, index) for r in rows]
        state.append(tables)
    return state


def run_rolled_back(fn, people):
    with transaction.atomic():
        outcomes = fn()
        state = register_state(people)
        transaction.set_rollback(True)
    return outcomes, state


def assert_same(items, people, actor, when=AT) -> list[tuple]:
    before = register_state(people)
    seq = run_rolled_back(lambda: one_at_a_time(items, actor, when), people)
    assert register_state(people) == before  # rolled back
    bulk = run_rolled_back(lambda: in_bulk(items, actor, when), people)
    for i, (a, b) in enumerate(zip(seq[0], bulk[0])):
        assert a == b, f"item {i} ({items[i][1].__name__} {items[i][2]}): one at a time {a}, in bulk {b}"
    for p, a, b in zip(people, seq[1], bulk[1]):
        for table in a:
            assert a[table] == b[table], f"{p.duf} {table}"
    return seq[0]


# --- tests ----------------------------------------------------------------------------------------

SEEDS = range(1, 15)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", SEEDS)
def test_register_many_equals_register_one_at_a_time(builder, actor, seed):
    people = build_world(builder)
    rng = random.Random(seed)
    items = random_items(rng, people, 70)
    outcomes = assert_same(items, people, actor)
    kinds = {o[0] for o in outcomes}
    assert kinds == {"created", "refused"}
    refused_rules = {p[1] for o in outcomes if o[0] == "refused" for p in o[1]}
    assert "unknown_code" in refused_rules and "before_person" in refused_rules
    assert refused_rules & {
        "loss_due_to_work_after_participation",
        "loss_due_to_work_not_in_target_group",
        "loss_due_to_work_not_in_force",
        "extension_without_final_goal",
    }


@pytest.mark.django_db
def test_the_seeds_exercise_closures_created_matched_and_annulled(builder, actor):
    """Across the seeds above the Regelmotor's closures are created and annulled (also ones created
    earlier in the same batch)."""
    people = build_world(builder)
    seen = set()
    for seed in SEEDS:
        items = random_items(random.Random(seed), people, 70)
        with transaction.atomic():
            started = m.Termination.objects.order_by("-id").values_list("id", flat=True).first()
            services.register_many(items, actor, at=AT)
            new = m.Termination.objects.filter(id__gt=started, registered_by_system="Regelmotor")
            if new.filter(operation=m.Operation.CREATE).exists():
                seen.add("created")
            for tomb in new.filter(operation=m.Operation.ANNUL):
                seen.add("annulled in the batch" if tomb.supersedes_id > started else "annulled")
            transaction.set_rollback(True)
    assert seen == {"created", "annulled", "annulled in the batch"}


@pytest.mark.django_db
def test_a_refused_item_leaves_nothing_and_later_items_see_earlier_accepted_ones(builder, actor):
    r = builder
    anne = r.person("Anne", "Aas")  # rett og plikt, no decision yet
    counts = {mdl: mdl.objects.filter(person=anne).count() for mdl in m.ALL_REGISTRATION_MODELS}
    participation = {
        "scheme": "intro",
        "decision_type": "participation",
        "decision_date": dt.date(2026, 1, 5),
        "start_date": dt.date(2026, 1, 5),
    }
    loss = {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 2, 2)}
    extension = {"scheme": "intro", "months": 6, "decision_date": dt.date(2026, 2, 2)}
    items = [
        (anne, m.Extension, extension),  # refused: no final goal yet
        (anne, m.Decision, participation),  # accepted
        (anne, m.Decision, loss),  # refused: sees the participation decision of the item before
        (
            anne,
            m.Absence,
            {"scheme": "intro", "kind": "nope", "from_date": dt.date(2026, 2, 2), "to_date": dt.date(2026, 2, 2)},
        ),  # refused: unknown code
        (anne, m.FinalGoal, {"scheme": "intro", "goal": "complete_vgo_2025"}),  # accepted (may be extended)
        (anne, m.Extension, extension),  # accepted now: sees the final goal
    ]
    out = services.register_many(items, actor, at=AT)
    assert [o.accepted for o in out] == [False, True, False, False, True, True]
    assert [p.rule for p in out[0].problems] == ["extension_without_final_goal"]
    assert [p.rule for p in out[2].problems] == ["loss_due_to_work_after_participation"]
    assert out[2].problems[0].field.startswith("decisions.")
    assert [p.rule for p in out[3].problems] == ["unknown_code"]
    # nothing of the refused items is stored; the accepted ones are, registered by the actor at AT
    assert list(m.Decision.objects.current().filter(person=anne).values_list("decision_type", flat=True)) == [
        "participation"
    ]
    assert m.Extension.objects.filter(person=anne).count() == counts[m.Extension] + 1
    assert m.Absence.objects.filter(person=anne).count() == counts[m.Absence]
    assert m.Termination.objects.filter(person=anne).count() == 0
    row = m.Extension.objects.get(pk=out[5].row.pk)
    assert (row.recorded_at, row.registered_by_user_id, row.source_system) == (AT, actor.user_id, "NIR-test")
    # one new DerivedStatus, derived from all accepted items
    status = m.DerivedStatus.objects.current().get(person=anne)
    assert m.DerivedStatus.objects.filter(person=anne).count() == counts[m.DerivedStatus] + 1
    assert status.intro_start_date == dt.date(2026, 1, 5)
    assert status.intro_deadline is not None and status.recorded_at == AT and status.as_of == AT.date()


@pytest.mark.django_db
def test_a_loss_decision_in_a_batch_closes_and_a_later_participation_decision_reopens(builder, actor):
    """The Regelmotor's closure (il. § 8 fourth paragraph) is registered and annulled within one batch,
    as the one-at-a-time path does, and the status is written once."""
    r = builder
    cecilie = r.person("Cecilie", "Dahl")
    n_status = m.DerivedStatus.objects.filter(person=cecilie).count()
    items = [
        (
            cecilie,
            m.Decision,
            {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 5)},
        ),
        (
            cecilie,
            m.Decision,
            {
                "scheme": "intro",
                "decision_type": "participation",
                "decision_date": dt.date(2026, 2, 2),
                "start_date": dt.date(2026, 2, 2),
            },
        ),
    ]
    assert_same(items, [cecilie], actor)
    out = services.register_many(items, actor, at=AT)
    assert all(o.accepted for o in out)
    closures = list(m.Termination.objects.filter(person=cecilie).order_by("id"))
    assert [(t.operation, t.registered_by_system) for t in closures] == [
        ("create", "Regelmotor"),
        ("annul", "Regelmotor"),
    ]
    assert closures[1].supersedes_id == closures[0].pk and closures[0].superseded_at == AT
    assert closures[0].follow_up_municipality == "5001"
    assert m.DerivedStatus.objects.filter(person=cecilie).count() == n_status + 1
    assert m.DerivedStatus.objects.current().get(person=cecilie).intro_closed_date is None


@pytest.mark.django_db
def test_a_termination_registered_by_the_user_first_stands_for_the_closure(builder, actor):
    """The Regelmotor registers no closure the user has registered already — and in the other order
    both stand (what the one-at-a-time path does, item by item)."""
    r = builder
    cecilie, david = r.person("Cecilie", "Dahl"), r.person("David", "Eng")
    loss = {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 1, 5)}
    closure = {
        "scheme": "intro",
        "termination_type": "aborted",
        "termination_reason": "loss_due_to_work",
        "hours_work_per_week": None,
        "termination_date": dt.date(2026, 1, 5),
        "follow_up_municipality": "",
    }
    items = [
        (cecilie, m.Termination, closure),
        (cecilie, m.Decision, loss),
        (david, m.Decision, loss),
        (david, m.Termination, closure),
    ]
    assert_same(items, [cecilie, david], actor)
    services.register_many(items, actor, at=AT)

    def by(p):
        return sorted(m.Termination.objects.current().filter(person=p).values_list("registered_by_kind", flat=True))

    assert by(cecilie) == ["user"] and by(david) == ["system", "user"]


@pytest.mark.django_db
def test_an_invalid_registration_time_refuses_every_item(builder, actor):
    anne = builder.person("Anne", "Aas")
    naive = dt.datetime(2026, 3, 2, 10)
    item = (
        anne,
        m.Absence,
        {"scheme": "intro", "kind": "leave", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 2)},
    )
    out = services.register_many([item, item], actor, at=naive)
    assert [[p.rule for p in o.problems] for o in out] == [["timezone_required"], ["timezone_required"]]
    assert services.register_many([], actor) == []


@pytest.mark.django_db
def test_current_rows_many_equals_current_rows_per_person(builder, actor):
    people = build_world(builder)
    models = m.ALL_REGISTRATION_MODELS
    many = current_rows_many([p.pk for p in people] + [people[0].pk], models)
    assert set(many) == {p.pk for p in people}
    for p in people:
        one = current_rows(p.pk, models)
        assert [(type(r), r.pk, r.fact_values(), r.recorded_at, r.operation) for r in many[p.pk]] == [
            (type(r), r.pk, r.fact_values(), r.recorded_at, r.operation) for r in one
        ]
    assert current_rows_many([], models) == {}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [11, 12])
def test_register_many_equals_register_one_at_a_time_on_a_synthetic_register(actor, seed):
    """PostgreSQL: the same equivalence over a synthetic population (varied histories, the
    Regelmotor's statuses from ``nir rules reevaluate``), many persons and items at once."""
    call_command("synth", persons=300, seed=seed, now="2026-11-20T12:00:00+01:00", quiet=True, stdout=io.StringIO())
    call_command("rules", "reevaluate", "--quiet", stdout=io.StringIO())
    rng = random.Random(seed)
    people = list(m.Person.objects.order_by("id"))
    chosen = rng.sample(people, 80)
    when = timezone.now() - dt.timedelta(minutes=1)
    items = [(rng.choice(chosen), *random_item(rng)) for _ in range(400)]
    outcomes = assert_same(items, chosen, actor, when)
    assert {o[0] for o in outcomes} == {"created", "refused"}


@pytest.mark.postgres
@pytest.mark.django_db
def test_register_many_equals_register_one_at_a_time_on_postgresql(builder, actor):
    people = build_world(builder)
    for seed in (21, 22, 23):
        assert_same(random_items(random.Random(seed), people, 70), people, actor)


@pytest.mark.django_db
def test_more_persons_than_one_statement_takes(actor):
    """Over a thousand persons in one batch (SQLite binds at most 999 parameters per statement):
    the same outcome as one at a time."""
    call_command("synth", persons=1050, seed=5, now="2026-11-20T12:00:00+01:00", quiet=True, stdout=io.StringIO())
    call_command("rules", "reevaluate", "--quiet", stdout=io.StringIO())
    people = list(m.Person.objects.order_by("id"))
    assert len(people) == 1050
    when = timezone.now() - dt.timedelta(minutes=1)
    items = [
        (
            p,
            m.Absence,
            {"scheme": "intro", "kind": "leave", "from_date": dt.date(2026, 11, 2), "to_date": dt.date(2026, 11, 3)},
        )
        for p in people
    ]
    outcomes = assert_same(items, people[::25], actor, when)  # every outcome; the rows of every 25th person
    assert sum(o[0] == "created" for o in outcomes) > 1000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_and_single_writes_of_the_same_persons_take_turns():
    """PostgreSQL, real transactions on separate connections: batches (locking their persons in id
    order) and single registrations (the rules guard locks its person) of the same persons at once
    lose nothing, refuse nothing, and leave each person one current status that has seen every fact."""
    from nir.register.actors import Actor
    from nir.register.derivation import evaluate_person, status_values
    from nir.testing.concurrency import run_concurrently

    actor = Actor.for_system("samtidighet", source_system="samtidighet")
    r = Register(actor)
    people = [r.person(f"Samtidig{i}", "Person") for i in range(4)]
    for p in people:
        r.participation(p, dt.date(2026, 1, 5), goal="complete_vgo_2025")
    before = m.Absence.objects.count()
    workers, per_worker = 6, 8

    def absence(k):
        day = dt.date(2026, 3, 2) + dt.timedelta(days=k)
        return {"scheme": "intro", "kind": "time_off", "from_date": day, "to_date": day}

    def work(w):
        order = people if w % 2 else people[::-1]  # different orders: the lock order is the ids'
        items = [(order[k % len(order)], m.Absence, absence(w * per_worker + k)) for k in range(per_worker)]
        if w < 4:
            with transaction.atomic():
                return [o.accepted for o in services.register_many(items, actor)]
        accepted = []
        for person, model, values in items:
            with transaction.atomic():
                services.register(person, model, values, actor)
            accepted.append(True)
        return accepted

    outcomes = [ok for done in run_concurrently(workers, work) for ok in done]
    assert outcomes == [True] * (workers * per_worker)
    assert m.Absence.objects.count() - before == workers * per_worker
    for person in people:
        current = m.DerivedStatus.objects.current().filter(person=person)
        assert current.count() == 1
        stored = current.get()
        fresh = status_values(evaluate_person(person, as_of=stored.as_of))
        assert {k: getattr(stored, k) for k in fresh} == fresh
