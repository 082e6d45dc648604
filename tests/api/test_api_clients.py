"""Machine clients on /api/v1/ (issue 5): a case system with an OAuth2 access token acts for its
organisation only, within the scopes of its token; its registrations are registered by the client."""

from __future__ import annotations

import json

import pytest
from api_helpers import API, assert_problem
from django.core.cache import cache

from nir.access.models import AuditEvent
from nir.register import models as m
from nir.testing.builders import make_client

pytestmark = pytest.mark.django_db

ABSENCE = {"scheme": "intro", "kind": "leave", "from": "2026-09-07", "to": "2026-09-11"}


@pytest.fixture(autouse=True)
def fresh_cache(settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def trondheim(world):
    return make_client("k-5001", "fagsystem-5001", source_system="Visma Flyktning")


def post(client, path, body, headers):
    return client.post(f"{API}{path}", json.dumps(body), content_type="application/json", headers=headers)


def test_a_client_reads_and_registers_for_its_own_municipality(client, world, trondheim):
    h = trondheim.headers()
    r = client.get(f"{API}/persons/{world['anne'].duf}", headers=h)
    assert r.status_code == 200, r.content
    r = post(client, f"/persons/{world['anne'].duf}/absences", ABSENCE, h)
    assert r.status_code == 201, r.content
    row = m.Absence.objects.get(pk=r.json()["registration"]["id"])
    assert row.registered_by_kind == "client" and row.registered_by_client_id == trondheim.client.pk
    assert row.registered_by_user_id is None and row.source_system == "Visma Flyktning"
    assert r.json()["registration"]["registered_by"]["client_id"] == "fagsystem-5001"
    event = AuditEvent.objects.filter(action="write").latest("id")
    assert event.actor_kind == "client" and event.api_client_id == trondheim.client.pk
    assert event.organisation.code == "k-5001"


def test_a_client_sees_nothing_outside_its_municipality(client, world, trondheim):
    h = trondheim.headers()
    before = m.Absence.objects.count()
    assert_problem(client.get(f"{API}/persons/{world['berit'].duf}", headers=h), 404)
    assert_problem(post(client, f"/persons/{world['berit'].duf}/absences", ABSENCE, h), 404)
    assert m.Absence.objects.count() == before
    listed = client.get(f"{API}/persons", headers=h).json()
    assert world["berit"].duf not in {row["duf"] for row in listed["rows"]}


def test_scopes_limit_what_a_token_may_do(client, world, trondheim):
    read_only = trondheim.headers(["nir:persons.read"])
    body = assert_problem(
        post(client, f"/persons/{world['anne'].duf}/absences", ABSENCE, read_only), 403, rule="person.write"
    )
    assert "nir:registrations.write" in body["detail"]
    assert_problem(client.get(f"{API}/reports/personliste", headers=read_only), 403, rule="report.read")
    assert client.get(f"{API}/persons/{world['anne'].duf}", headers=read_only).status_code == 200


def test_a_county_governors_client_cannot_write_whatever_its_scopes(client, world):
    from nir.access.policy import SCOPES

    governor = make_client("sf-trl", "tilsyn-trl", SCOPES)  # every scope stored, but supervision reads only
    from nir.access import oauth

    with pytest.raises(oauth.OAuthError, match="nir:registrations.write"):  # issue 15 § 3.10
        governor.token()
    h = governor.headers(["nir:persons.read"])
    assert client.get(f"{API}/persons/{world['anne'].duf}", headers=h).status_code == 200
    assert_problem(post(client, f"/persons/{world['anne'].duf}/absences", ABSENCE, h), 403, rule="person.write")
    # the supervision figures of its county: the scope nir:supervision.read
    assert_problem(client.get(f"{API}/supervision/5001", headers=h), 403, rule="supervision.read")
    figures = client.get(f"{API}/supervision/5001", headers=governor.headers(["nir:supervision.read"]))
    assert figures.status_code == 200 and figures.json()["municipality"] == "5001"


def test_bad_tokens_are_401_and_never_fall_back_to_the_session(client, world, users, trondheim):
    client.force_login(users["trondheim"])
    for value in ("Bearer nonsense", "Bearer " + trondheim.grant()):
        r = client.get(f"{API}/persons/{world['anne'].duf}", headers={"Authorization": value})
        assert_problem(r, 401, rule="invalid_token")
    client.logout()
    assert_problem(client.get(f"{API}/persons/{world['anne'].duf}"), 401)


def test_batches_of_a_client_are_idempotent_per_client(client, world, trondheim):
    other = make_client("k-5001", "fagsystem-5001-b")
    body = {
        "items": [
            {
                "id": "x1",
                "duf": world["anne"].duf,
                "kind": "absences",
                "values": {"scheme": "intro", "kind": "time_off", "from": "2026-03-02", "to": "2026-03-02"},
            }
        ]
    }
    h = {**trondheim.headers(), "Idempotency-Key": "k1"}
    first = post(client, "/batches", body, h)
    assert first.status_code == 201, first.content
    again = post(client, "/batches", body, h)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    body2 = {
        "items": [
            {**body["items"][0], "values": {**body["items"][0]["values"], "from": "2026-03-03", "to": "2026-03-03"}}
        ]
    }
    assert post(client, "/batches", body2, {**other.headers(), "Idempotency-Key": "k1"}).status_code == 201
    assert m.Absence.objects.filter(person=world["anne"], registered_by_kind="client").count() == 2


def test_rate_limit_per_client(client, world, trondheim, settings):
    settings.NIR_API_RATE_LIMITS = {"client": "3/m", "user": "600/m"}
    other = make_client("k-5001", "fagsystem-5001-c")
    h = trondheim.headers()
    for _ in range(3):
        assert client.get(f"{API}/codes", headers=h).status_code == 200
    r = client.get(f"{API}/codes", headers=h)
    body = assert_problem(r, 429)
    assert int(r["Retry-After"]) >= 1 and body["title"]
    assert client.get(f"{API}/codes", headers=other.headers()).status_code == 200  # per client
