"""The web form and the API register through the actions: the action's own access check refuses a
person outside the scope even where an entry point forgot to check, and the audit event is the
action's (exactly one per write, none for a refusal)."""

from __future__ import annotations

import json

import pytest
from actions_support import persons_of, write_events

from nir.register import models as m

pytestmark = pytest.mark.django_db

PARTICIPATION = {"type": "participation", "decision_date": "02.02.2026", "start_date": "02.02.2026"}
API_ABSENCE = {"scheme": "intro", "kind": "leave", "from": "2026-09-07", "to": "2026-09-11"}


def login(client, user):
    client.force_login(user)
    return client


def test_web_form_writes_and_audits_through_the_action(client, world, users):
    c = login(client, users["trondheim"])
    r = c.post(f"/personer/{world['tor'].duf}/ny/vedtak/?ordning=intro", PARTICIPATION)
    assert r.status_code == 303
    [event] = write_events()
    assert persons_of(event) == {world["tor"].pk} and (event.channel, event.what) == ("web", "decisions")
    assert event.endpoint.startswith("POST /personer/") and event.request_id


def test_web_form_that_forgot_its_access_check_still_cannot_write(client, world, users, monkeypatch):
    """The view's own look-up is replaced by one without the scope: the action refuses (404)."""
    from nir.web.persons import views

    def unchecked(user, duf, write=False):
        return m.Person.objects.get(duf=duf), []

    monkeypatch.setattr(views, "find_person_and_follow_ups", unchecked)
    before = m.Decision.objects.count()
    r = login(client, users["trondheim"]).post(
        f"/personer/{world['berit'].duf}/ny/vedtak/?ordning=intro", PARTICIPATION
    )
    assert r.status_code == 404 and "Berit" not in r.content.decode()
    assert m.Decision.objects.count() == before and write_events() == []


def test_api_write_outside_the_scope_is_not_found_and_not_audited(client, world, users):
    before = m.Absence.objects.count()
    r = login(client, users["trondheim"]).post(
        f"/api/v1/persons/{world['berit'].duf}/absences", json.dumps(API_ABSENCE), content_type="application/json"
    )
    assert r.status_code == 404 and r["Content-Type"].startswith("application/problem+json")
    assert m.Absence.objects.count() == before and write_events() == []


def test_api_write_is_audited_once_by_the_action(client, world, users):
    r = login(client, users["trondheim"]).post(
        f"/api/v1/persons/{world['anne'].duf}/absences", json.dumps(API_ABSENCE), content_type="application/json"
    )
    assert r.status_code == 201, r.content
    [event] = write_events()
    assert persons_of(event) == {world["anne"].pk} and (event.channel, event.what) == ("api", "absences")
    assert event.user_id == users["trondheim"].pk


def test_api_batch_is_audited_once_naming_the_persons_written(client, world, users):
    body = {
        "mode": "partial",
        "items": [
            {"id": "1", "duf": world["anne"].duf, "kind": "absences", "values": API_ABSENCE},
            {"id": "2", "duf": world["berit"].duf, "kind": "absences", "values": API_ABSENCE},
            {"id": "3", "duf": world["tor"].duf, "kind": "absences", "values": {"scheme": "intro"}},
        ],
    }
    r = login(client, users["trondheim"]).post(
        "/api/v1/batches", json.dumps(body), content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert r.status_code == 201, r.content
    assert [x["status"] for x in r.json()["results"]] == ["created", "refused", "refused"]
    [event] = write_events()
    assert persons_of(event) == {world["anne"].pk} and event.what == "batch"
    assert event.filters == {"mode": "partial", "items": 3, "registrations": 1}


def test_api_atomic_batch_refused_leaves_no_event(client, world, users):
    body = {
        "items": [
            {"id": "1", "duf": world["anne"].duf, "kind": "absences", "values": API_ABSENCE},
            {"id": "2", "duf": world["berit"].duf, "kind": "absences", "values": API_ABSENCE},
        ]
    }
    before = m.Absence.objects.count()
    r = login(client, users["trondheim"]).post(
        "/api/v1/batches", json.dumps(body), content_type="application/json", headers={"Idempotency-Key": "k2"}
    )
    assert r.status_code == 422
    assert m.Absence.objects.count() == before and write_events() == []
