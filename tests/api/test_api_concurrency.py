"""Many machine clients writing to the same persons at once on PostgreSQL (issue 5): no registration
is lost, none is created twice, and each person ends with exactly one current derived status that
agrees with all of its facts. Real transactions on separate connections (one per thread)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.test import Client

from nir.register import models as m
from nir.register.actors import REGELMOTOR, Actor
from nir.register.derivation import evaluate_person, status_values
from nir.testing.builders import Register, make_client
from nir.testing.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 12
WRITES_PER_CLIENT = 6


@pytest.fixture
def setup(settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    settings.NIR_API_RATE_LIMITS = {"client": None, "user": None}
    cache.clear()
    r = Register(Actor.for_system(REGELMOTOR, source_system="samtidighet"))
    persons = [r.person(f"Samtidig{i}", "Person") for i in range(3)]
    for p in persons:
        r.participation(p, dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    clients = [make_client("k-5001", f"fagsystem-{i}") for i in range(CLIENTS)]
    tokens = [c.token() for c in clients]
    return persons, clients, tokens


def test_concurrent_single_registrations_lose_nothing_and_duplicate_nothing(setup):
    persons, clients, tokens = setup
    before = m.Absence.objects.count()

    def work(i):
        c = Client()
        statuses = []
        for j in range(WRITES_PER_CLIENT):
            person = persons[(i + j) % len(persons)]
            day = dt.date(2026, 3, 2) + dt.timedelta(days=i * WRITES_PER_CLIENT + j)
            body = {"scheme": "intro", "kind": "time_off", "from": day.isoformat(), "to": day.isoformat()}
            r = c.post(
                f"/api/v1/persons/{person.duf}/absences",
                json.dumps(body),
                content_type="application/json",
                headers={"Authorization": f"Bearer {tokens[i]}"},
            )
            statuses.append((r.status_code, r.json().get("registration", {}).get("id")))
        return statuses

    results = run_concurrently(CLIENTS, work)
    codes = [s for rs in results for s, _ in rs]
    assert codes == [201] * (CLIENTS * WRITES_PER_CLIENT), codes
    ids = [rid for rs in results for _, rid in rs]
    assert len(set(ids)) == len(ids)
    rows = m.Absence.objects.filter(pk__in=ids)
    assert rows.count() == len(ids) == m.Absence.objects.count() - before
    assert len({(r.person_id, r.from_date) for r in rows}) == len(ids)  # each exactly once
    for person in persons:
        current = m.DerivedStatus.objects.current().filter(person=person)
        assert current.count() == 1
        stored = current.get()
        fresh = status_values(evaluate_person(person, as_of=stored.as_of))
        assert {k: getattr(stored, k) for k in fresh} == fresh  # the last write saw every earlier one


def test_the_same_batch_sent_at_once_by_retrying_workers_is_registered_once(setup):
    persons, clients, tokens = setup
    items = [
        {
            "id": f"x{k}",
            "duf": persons[k % 3].duf,
            "kind": "absences",
            "values": {
                "scheme": "intro",
                "kind": "time_off",
                "from": f"2026-04-{k + 1:02d}",
                "to": f"2026-04-{k + 1:02d}",
            },
        }
        for k in range(9)
    ]
    body = json.dumps({"mode": "atomic", "items": items})
    before = m.Absence.objects.count()

    def work(i):
        r = Client().post(
            "/api/v1/batches",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {tokens[0]}", "Idempotency-Key": "samme-batch"},
        )
        return r.status_code, r.json()

    results = run_concurrently(6, work)
    assert {s for s, _ in results} == {201}, results
    answers = {json.dumps(doc, sort_keys=True) for _, doc in results}
    assert len(answers) == 1  # every worker got the one answer
    assert m.Absence.objects.count() - before == len(items)


def test_different_batches_of_many_clients_on_the_same_persons(setup):
    persons, clients, tokens = setup
    before = m.Absence.objects.count()

    def work(i):
        items = [
            {
                "id": f"c{i}-{k}",
                "duf": persons[k % 3].duf,
                "kind": "absences",
                "values": {"scheme": "intro", "kind": "time_off", "from": day, "to": day},
            }
            for k in range(5)
            for day in [(dt.date(2026, 5, 4) + dt.timedelta(days=i * 5 + k)).isoformat()]
        ]
        r = Client().post(
            "/api/v1/batches",
            json.dumps({"mode": "partial", "items": items}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {tokens[i]}", "Idempotency-Key": f"batch-{i}"},
        )
        return r.status_code, r.json()

    results = run_concurrently(8, work)
    assert all(s == 201 and doc["accepted"] == 5 for s, doc in results), results
    assert m.Absence.objects.count() - before == 40
    for person in persons:
        assert m.DerivedStatus.objects.current().filter(person=person).count() == 1
