"""Moves in the API (issue 16 § 2): POST /persons/{duf}/moves, GET /moves, GET /moves/secondary-migration,
and the answers about a person followed up elsewhere or moved away."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from api_helpers import API, assert_problem
from django.utils import timezone

from nir.access.models import AuditEvent
from nir.register import models as m

pytestmark = pytest.mark.django_db


def day(days_ago: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()


def move(client, duf, body):
    return client.post(f"{API}/persons/{duf}/moves", json.dumps(body), content_type="application/json")


def test_register_a_move_and_the_new_municipality_takes_over(world, as_user):
    anne = world["anne"]
    r = move(as_user("trondheim"), anne.duf, {"move_date": day(2), "municipality": "4601", "address": "Bryggen 3"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["move"]["from"] == {"municipality": "5001", "district": ""}
    assert body["move"]["to"] == {"municipality": "4601", "district": ""}
    # the sending municipality is answered with the person as registered until the transfer
    assert body["person"]["transferred"]["moved_on"] == day(2)
    assert (
        body["person"]["follow_up"]["municipality"] == "5001" and body["person"]["address"]["address"] == "Storgata 1"
    )
    # the receiving municipality reads the person, with the new follow-up and address
    got = as_user("bergen").get(f"{API}/persons/{anne.duf}").json()
    assert got["follow_up"]["municipality"] == "4601" and got["address"]["address"] == "Bryggen 3"
    assert got["transferred"] is None and got["status"]["intro"]["deadline"]
    # the sending municipality reads the historical person, and may not register
    old = as_user("trondheim").get(f"{API}/persons/{anne.duf}")
    assert old.status_code == 200 and old.json()["transferred"]["moved_on"] == day(2)
    r = as_user("trondheim").post(
        f"{API}/persons/{anne.duf}/absences",
        json.dumps({"scheme": "intro", "kind": "leave", "from": "2026-09-07", "to": "2026-09-11"}),
        content_type="application/json",
    )
    body = assert_problem(r, 404, rule="moved_away")
    assert body["type"].endswith("/person-followed-up-elsewhere") and "Bergen" not in r.content.decode()


def test_moves_are_listed_in_and_out(world, as_user):
    anne = world["anne"]
    move(as_user("trondheim"), anne.duf, {"move_date": day(2), "municipality": "4601"})
    got = as_user("bergen").get(f"{API}/moves").json()
    assert got["direction"] == "in" and got["count"] == 1
    [row] = got["rows"]
    assert (row["duf"], row["from_municipality"], row["to_municipality"], row["move_date"]) == (
        anne.duf,
        "5001",
        "4601",
        day(2),
    )
    assert row["intro_deadline"]
    out = as_user("trondheim").get(f"{API}/moves", {"direction": "out"}).json()
    assert [(r["duf"], r["to_municipality"], r["first_name"]) for r in out["rows"]] == [(anne.duf, None, "Anne")]
    assert as_user("trondheim").get(f"{API}/moves").json()["count"] == 0
    assert AuditEvent.objects.filter(what="moves:out", channel="api").exists()
    assert_problem(as_user("bergen").get(f"{API}/moves", {"since": day(1), "until": day(3)}), 400, rule="period")


def test_secondary_migration_counts(world, as_user):
    move(as_user("trondheim"), world["anne"].duf, {"move_date": day(2), "municipality": "4601"})
    got = as_user("imdi").get(f"{API}/moves/secondary-migration").json()
    assert got["count"] == 1
    assert got["rows"] == [
        {
            "year": int(day(2)[:4]),
            "from_municipality": "5001",
            "to_municipality": "4601",
            "moves": 1,
        }
    ]
    assert as_user("trondheim").get(f"{API}/moves/secondary-migration").json()["count"] == 0  # scoped


@pytest.mark.parametrize(
    "body, field, rule",
    [
        ({"move_date": "2025-11-01", "municipality": "4601"}, "move_date", "move_before_period_start"),
        ({"move_date": "2026-03-01", "municipality": "5001"}, "municipality", "same_municipality"),
        ({"move_date": "2026-03-01", "municipality": "9999"}, "municipality", "unknown_municipality"),
        (
            {"move_date": "2026-03-01", "municipality": "4601", "district": "030101"},
            "district",
            "district_not_in_municipality",
        ),
    ],
)
def test_refused_moves_are_problems_and_store_nothing(world, as_user, body, field, rule):
    before = m.FollowUp.objects.count()
    assert_problem(move(as_user("trondheim"), world["anne"].duf, body), 422, rule=rule, field=field)
    assert m.FollowUp.objects.count() == before


def test_who_may_register_a_move(world, as_user):
    body = {"move_date": day(2), "municipality": "4601"}
    # the receiving municipality: the person is followed up elsewhere (nothing about them)
    r = move(as_user("bergen"), world["anne"].duf, body)
    problem = assert_problem(r, 404, rule="followed_up_elsewhere")
    assert "Anne" not in r.content.decode() and "5001" not in problem["detail"]
    assert AuditEvent.objects.filter(what="move:elsewhere", outcome="denied").exists()
    assert_problem(move(as_user("governor"), world["anne"].duf, body), 403)
    assert_problem(move(as_user("trondheim"), "999999999999", body), 404)
    assert move(as_user("imdi"), world["berit"].duf, {"move_date": day(2), "municipality": "5001"}).status_code == 201


def test_unknown_duf_and_another_municipalitys_person_differ(world, as_user):
    c = as_user("trondheim")
    unknown = assert_problem(c.get(f"{API}/persons/999999999999"), 404)
    assert unknown["type"].endswith("/not-found")
    r = c.get(f"{API}/persons/{world['berit'].duf}")
    elsewhere = assert_problem(r, 404, rule="followed_up_elsewhere")
    assert elsewhere["type"].endswith("/person-followed-up-elsewhere")
    assert "Berit" not in r.content.decode() and "4601" not in r.content.decode() and "Bergen" not in r.content.decode()
    [event] = AuditEvent.objects.filter(what="person:elsewhere")
    assert event.outcome == "denied" and event.channel == "api"


@pytest.mark.parametrize("mode", ["atomic", "partial"])
def test_a_batch_item_of_another_municipalitys_person_is_audited(world, as_user, mode):
    absence = {"scheme": "intro", "kind": "leave", "from": "2026-09-07", "to": "2026-09-11"}
    body = {"mode": mode, "items": [{"id": "1", "duf": world["berit"].duf, "kind": "absences", "values": absence}]}
    r = as_user("trondheim").post(
        f"{API}/batches",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": f"flytt-{mode}"},
    )
    assert r.status_code in (201, 422), r.content
    assert "Berit" not in r.content.decode()
    [event] = AuditEvent.objects.filter(what="batch:elsewhere")
    assert event.outcome == "denied" and event.person_count == 1
