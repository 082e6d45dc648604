"""A machine client's scopes are those it holds now (issue 15 § 3.9 and § 3.10): removing a scope
from a client (or deactivating it) takes effect on access tokens already issued within
``oauth.CLIENT_CACHE_SECONDS``; a county governor's client can never hold a write scope — refused by
``nir clients create`` and ``grant``, the admin, the token endpoint and the API."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from nir.access import oauth
from nir.access.models import ApiClient, Organisation
from nir.testing.builders import make_client, make_user

pytestmark = pytest.mark.django_db

READ, WRITE = "nir:persons.read", "nir:registrations.write"


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "oauth-keys"
    oauth.forget_clients()
    yield
    oauth.forget_clients()


class Clock:
    """time.monotonic as oauth's client cache reads it, moved forward by hand."""

    def __init__(self, monkeypatch):
        self.now = 1000.0
        monkeypatch.setattr(oauth.time, "monotonic", lambda: self.now)


def test_a_removed_scope_stops_working_for_issued_tokens_within_the_cache_time(monkeypatch):
    clock = Clock(monkeypatch)
    t = make_client("k-5001", "fagsystem-scope", [READ, WRITE])
    token = t.token([READ, WRITE])
    assert oauth.verify_token(token).scopes == {READ, WRITE}
    t.client.scopes = [READ]
    t.client.save()
    clock.now += oauth.CLIENT_CACHE_SECONDS + 0.1
    principal = oauth.verify_token(token)
    assert principal.scopes == {READ}
    from nir.access import policy

    assert not policy.allows(principal, policy.Permission.PERSON_WRITE)
    assert policy.allows(principal, policy.Permission.PERSON_READ)


def test_a_removed_scope_is_refused_by_the_api(client, monkeypatch):
    clock = Clock(monkeypatch)
    t = make_client("k-5001", "fagsystem-scope-api", [READ, "nir:codes.read"])
    headers = {"Authorization": f"Bearer {t.token([READ, 'nir:codes.read'])}"}
    assert client.get("/api/v1/codes", headers=headers).status_code == 200
    ApiClient.objects.filter(pk=t.client.pk).update(scopes=[READ])
    clock.now += oauth.CLIENT_CACHE_SECONDS + 0.1
    r = client.get("/api/v1/codes", headers=headers)
    assert r.status_code == 403 and r["Content-Type"].startswith("application/problem+json"), r.content


def test_county_governor_client_cannot_be_created_with_a_write_scope():
    with pytest.raises(CommandError, match="Statsforvalter.*nir:registrations.write"):
        call_command(
            "clients",
            "create",
            "sf-system",
            "--organisation",
            "sf-trl",
            "--name",
            "Tilsyn",
            "--source-system",
            "X",
            "--scope",
            READ,
            "--scope",
            WRITE,
        )
    assert not ApiClient.objects.filter(client_id="sf-system").exists()
    call_command(
        "clients",
        "create",
        "sf-system",
        "--organisation",
        "sf-trl",
        "--name",
        "Tilsyn",
        "--source-system",
        "X",
        "--scope",
        READ,
    )


def test_county_governor_write_scope_is_refused_at_every_step(tmp_path):
    # A client stored with a write scope before this rule (or behind the commands' back).
    t = make_client("sf-trl", "sf-legacy", [READ, WRITE])
    with pytest.raises(oauth.OAuthError, match="nir:registrations.write") as e:
        oauth.exchange_grant(t.grant([READ, WRITE]))
    assert e.value.error == "invalid_scope"
    key = tmp_path / "k.pem"
    key.write_text(t.private_pem)
    with pytest.raises(CommandError, match="nir:registrations.write"):
        call_command("clients", "grant", "sf-legacy", "--kid", t.kid, "--private-key", str(key), "--scope", WRITE)
    # A token that somehow carries it still gives no write scope.
    claims = {"client_id": "sf-legacy", "scope": f"{READ} {WRITE}", "jti": "x"}
    assert oauth._principal(claims).scopes == {READ}


def test_the_admin_refuses_a_write_scope_for_a_county_governor_client(client, django_user_model):
    admin = make_user(django_user_model, "superbruker", "imdi", is_staff=True, is_superuser=True)
    client.force_login(admin)
    org = Organisation.objects.get(code="sf-trl")
    data = {
        "client_id": "sf-admin",
        "name": "Tilsyn",
        "organisation": org.pk,
        "source_system": "X",
        "scopes": json.dumps([READ, WRITE]),
        "active": "on",
        "keys-TOTAL_FORMS": "0",
        "keys-INITIAL_FORMS": "0",
        "keys-MIN_NUM_FORMS": "0",
        "keys-MAX_NUM_FORMS": "1000",
    }
    r = client.post("/admin/access/apiclient/add/", data)
    assert r.status_code == 200 and "nir:registrations.write" in r.content.decode()
    assert not ApiClient.objects.filter(client_id="sf-admin").exists()
    data["scopes"] = json.dumps(["nir:persons.nope"])
    r = client.post("/admin/access/apiclient/add/", data)
    assert r.status_code == 200 and not ApiClient.objects.filter(client_id="sf-admin").exists()
    data["scopes"] = json.dumps([READ])
    r = client.post("/admin/access/apiclient/add/", data)
    assert r.status_code == 302 and ApiClient.objects.get(client_id="sf-admin").scopes == [READ]
