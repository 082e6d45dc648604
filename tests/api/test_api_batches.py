"""POST /api/v1/batches (issue 5, part 3): idempotent (Idempotency-Key), atomic or partial, every item
through the one write path, refused items reported with their index, nothing half-written."""

from __future__ import annotations

import json

import pytest
from api_helpers import API, assert_problem

from nir.api.models import Batch
from nir.register import models as m

pytestmark = pytest.mark.django_db


def absence(item_id, duf, day):
    return {
        "id": item_id,
        "duf": duf,
        "kind": "absences",
        "values": {"scheme": "intro", "kind": "time_off", "from": day, "to": day},
    }


def send(client, body, key="batch-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(f"{API}/batches", json.dumps(body), content_type="application/json", **headers)


def counts():
    return {model.__name__: model.objects.count() for model in m.ALL_REGISTRATION_MODELS}


def test_atomic_batch_registers_every_item(world, as_user):
    c = as_user("trondheim")
    before = m.Absence.objects.count()
    body = {
        "items": [
            absence("a1", world["anne"].duf, "2026-03-02"),
            absence("a2", world["anne"].duf, "2026-03-03"),
            absence("t1", world["tor"].duf, "2026-03-04"),
        ]
    }
    r = send(c, body)
    assert r.status_code == 201, r.content
    doc = r.json()
    assert (doc["mode"], doc["items"], doc["accepted"], doc["refused"]) == ("atomic", 3, 3, 0)
    assert [x["id"] for x in doc["results"]] == ["a1", "a2", "t1"]
    assert all(x["status"] == "created" and x["registration_id"] for x in doc["results"])
    assert m.Absence.objects.count() == before + 3
    row = m.Absence.objects.get(pk=doc["results"][0]["registration_id"])
    assert row.registered_by_user.username == "saksbehandler-5001" and row.source_system == "NIR API"


def test_resending_the_same_batch_creates_nothing_twice(world, as_user):
    c = as_user("trondheim")
    body = {"items": [absence("a1", world["anne"].duf, "2026-03-02")]}
    first = send(c, body, key="k-42")
    before = counts()
    again = send(c, body, key="k-42")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert counts() == before
    assert Batch.objects.filter(idempotency_key="k-42").count() == 1


def test_same_key_with_another_body_is_refused(world, as_user):
    c = as_user("trondheim")
    send(c, {"items": [absence("a1", world["anne"].duf, "2026-03-02")]}, key="k-1")
    before = counts()
    r = send(c, {"items": [absence("a1", world["anne"].duf, "2026-03-09")]}, key="k-1")
    assert_problem(r, 422, rule="idempotency_key_reused")
    assert counts() == before


def test_keys_belong_to_their_sender(world, as_user, client, users):
    body_t = {"items": [absence("a1", world["anne"].duf, "2026-03-02")]}
    assert send(as_user("trondheim"), body_t, key="same").status_code == 201
    client.force_login(users["bergen"])
    r = send(client, {"items": [absence("b1", world["berit"].duf, "2026-03-02")]}, key="same")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r


def test_atomic_batch_with_one_bad_item_stores_nothing_and_names_the_item(world, as_user):
    c = as_user("trondheim")
    before = counts()
    body = {
        "items": [
            absence("ok", world["anne"].duf, "2026-03-02"),
            {
                "id": "bad-date",
                "duf": world["anne"].duf,
                "kind": "absences",
                "values": {"scheme": "intro", "kind": "time_off", "from": "2026-02-30", "to": "2026-03-01"},
            },
            {
                "id": "rule",
                "duf": world["anne"].duf,
                "kind": "decisions",
                "values": {"scheme": "intro", "type": "loss_due_to_work", "decision_date": "2026-03-01"},
            },
            absence("elsewhere", world["berit"].duf, "2026-03-02"),
        ]
    }
    r = send(c, body)
    problem = assert_problem(r, 422)
    fields = {e["field"].split(".")[0] for e in problem["errors"]}
    assert fields == {"items[1]", "items[2]", "items[3]"}
    rules = {e["rule"] for e in problem["errors"]}
    assert "loss_due_to_work_after_participation" in rules and "not_found" in rules
    assert counts() == before  # not even the valid first item
    # The answer is remembered: resending gives the same refusal, still nothing stored.
    again = send(c, body)
    assert again.status_code == 422 and again["Idempotent-Replayed"] == "true"
    assert counts() == before


def test_partial_batch_accepts_the_valid_items(world, as_user):
    c = as_user("trondheim")
    before = m.Absence.objects.count()
    body = {
        "mode": "partial",
        "items": [
            absence("ok1", world["anne"].duf, "2026-03-02"),
            {
                "id": "bad",
                "duf": world["anne"].duf,
                "kind": "absences",
                "values": {"scheme": "intro", "kind": "nope", "from": "2026-03-03", "to": "2026-03-03"},
            },
            absence("ok2", world["tor"].duf, "2026-03-04"),
        ],
    }
    r = send(c, body)
    assert r.status_code == 201
    doc = r.json()
    assert (doc["accepted"], doc["refused"]) == (2, 1)
    bad = doc["results"][1]
    assert bad["status"] == "refused" and bad["registration_id"] is None
    assert bad["errors"][0]["field"].startswith("items[1].values.kind")
    assert m.Absence.objects.count() == before + 2


@pytest.mark.parametrize(
    "body, key, status",
    [
        ({"items": []}, "k", 422),
        ({"items": [{"id": "x", "duf": "1", "kind": "weddings", "values": {}}]}, "k", 422),
        ({"mode": "sometimes", "items": [{"id": "x", "duf": "1", "kind": "absences", "values": {}}]}, "k", 422),
        ({"items": [{"id": "x", "duf": "1", "kind": "absences", "values": {}}]}, None, 422),
    ],
)
def test_bad_batches_are_problems(world, as_user, body, key, status):
    r = send(as_user("trondheim"), body, key=key)
    assert_problem(r, status)


def test_duplicate_item_ids_are_refused(world, as_user):
    body = {
        "items": [absence("same", world["anne"].duf, "2026-03-02"), absence("same", world["anne"].duf, "2026-03-03")]
    }
    assert_problem(send(as_user("trondheim"), body), 422, rule="duplicate_item_id")


def test_limit_of_ten_thousand_items(world, as_user):
    body = {"items": [absence(str(i), world["anne"].duf, "2026-03-02") for i in range(10_001)]}
    assert_problem(send(as_user("trondheim"), body), 422)


def test_unauthenticated_batch_is_401(world, client):
    assert_problem(send(client, {"items": [absence("a", world["anne"].duf, "2026-03-02")]}), 401)


def test_nul_characters_and_bad_keys_are_refused_not_crashed(world, as_user):
    c = as_user("trondheim")
    before = counts()
    assert_problem(
        send(c, {"items": [absence("a", "2026\x000001", "2026-03-02")]}),
        422,
        rule="nul_character",
        field="items[0].duf",
    )
    assert_problem(
        send(c, {"items": [absence("a\x00", world["anne"].duf, "2026-03-02")]}),
        422,
        rule="nul_character",
        field="items[0].id",
    )
    # also in partial mode the whole batch is refused: its answer (ids, refusals) is stored as well
    item = absence("b", world["anne"].duf, "2026-03-02")
    item["values"]["kind"] = "leave\x1b"
    assert_problem(
        send(c, {"mode": "partial", "items": [absence("a", world["anne"].duf, "2026-03-02"), item]}),
        422,
        rule="control_character",
        field="items[1].values.kind",
    )
    item = absence("c", world["anne"].duf, "2026-03-02")
    item["values"]["colour\x00"] = "red"  # a key: named escaped
    assert_problem(
        send(c, {"mode": "partial", "items": [item]}), 422, rule="nul_character", field="items[0].values.colour\\x00"
    )
    r = send(c, {"mode": "partial", "items": [absence("a", "ABC", "2026-03-02")]})
    assert r.status_code == 201 and r.json()["results"][0]["errors"][0]["rule"] == "not_found"
    assert counts() == before
