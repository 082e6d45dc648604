"""OAuth2 client credentials for machine clients (issue 5, Maskinporten model): the token endpoint,
its refusals (RFC 6749 § 5.2), replay protection, scopes, and rotation of client and NIR keys."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from django.core.management import call_command
from django.utils import timezone

from nir.access import oauth
from nir.access.models import ApiClientKey
from nir.testing.builders import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "oauth-keys"
    return settings.NIR_OAUTH_KEY_DIR


@pytest.fixture
def trondheim(db):
    return make_client("k-5001", "fagsystem-trondheim", ["nir:persons.read", "nir:registrations.write"])


def token_request(client, assertion, grant_type=oauth.JWT_BEARER):
    return client.post("/oauth/token", {"grant_type": grant_type, "assertion": assertion})


def test_token_endpoint_issues_a_short_lived_signed_token(client, trondheim):
    r = token_request(client, trondheim.grant(["nir:persons.read"]))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 120 and body["scope"] == "nir:persons.read"
    assert r["Cache-Control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == "fagsystem-trondheim" and claims["org"] == "k-5001"
    assert claims["exp"] - claims["iat"] == 120 and claims["aud"] == oauth.audience()
    principal = oauth.verify_token(body["access_token"])
    assert principal.client == trondheim.client and principal.scopes == {"nir:persons.read"}
    assert principal.organisation.code == "k-5001"


def test_jwks_and_metadata_publish_the_public_keys(client, trondheim):
    oauth.current_key()
    keys = client.get("/oauth/jwks").json()["keys"]
    assert keys and all(k["kty"] == "EC" and "d" not in k for k in keys)
    meta = client.get("/.well-known/oauth-authorization-server").json()
    assert meta["grant_types_supported"] == [oauth.JWT_BEARER]
    assert meta["token_endpoint"].endswith("/oauth/token") and "nir:registrations.write" in meta["scopes_supported"]


@pytest.mark.parametrize(
    "case, error, status",
    [
        ("wrong grant type", "unsupported_grant_type", 400),
        ("not a jwt", "invalid_grant", 400),
        ("unknown kid", "invalid_client", 401),
        ("wrong audience", "invalid_grant", 400),
        ("wrong issuer", "invalid_grant", 400),
        ("expired", "invalid_grant", 400),
        ("too long lived", "invalid_grant", 400),
        ("scope not granted to the client", "invalid_scope", 400),
        ("unknown scope", "invalid_scope", 400),
        ("no scope", "invalid_scope", 400),
        ("signed with another key", "invalid_grant", 400),
        ("alg none", "invalid_grant", 400),
    ],
)
def test_bad_grants_are_refused_with_the_rfc_error(client, trondheim, case, error, status):
    t = trondheim
    if case == "wrong grant type":
        r = token_request(client, t.grant(), grant_type="client_credentials")
    else:
        past = timezone.now() - dt.timedelta(minutes=10)
        assertion = {
            "not a jwt": lambda: "abc.def",
            "unknown kid": lambda: oauth.make_grant(t.client.client_id, "nope", t.private_pem, t.client.scopes),
            "wrong audience": lambda: t.grant(aud="https://example.org"),
            "wrong issuer": lambda: t.grant(iss="someone-else"),
            "expired": lambda: oauth.make_grant(t.client.client_id, t.kid, t.private_pem, t.client.scopes, now=past),
            "too long lived": lambda: oauth.make_grant(
                t.client.client_id, t.kid, t.private_pem, t.client.scopes, lifetime=600
            ),
            "scope not granted to the client": lambda: t.grant(["nir:reports.read"]),
            "unknown scope": lambda: t.grant(["nir:everything"]),
            "no scope": lambda: t.grant([]),
            "signed with another key": lambda: oauth.make_grant(
                t.client.client_id, t.kid, oauth.generate_client_key()[0], t.client.scopes
            ),
            "alg none": lambda: jwt.encode(
                {
                    "iss": t.client.client_id,
                    "aud": oauth.issuer(),
                    "scope": "nir:persons.read",
                    "iat": 1,
                    "exp": 2,
                    "jti": "x",
                },
                None,
                algorithm="none",
                headers={"kid": t.kid},
            ),
        }[case]()
        r = token_request(client, assertion)
    assert r.status_code == status, r.content
    assert r.json()["error"] == error and r.json()["error_description"]


def test_a_grant_is_used_once(client, trondheim):
    grant = trondheim.grant()
    assert token_request(client, grant).status_code == 200
    r = token_request(client, grant)
    assert r.status_code == 400 and "allerede brukt" in r.json()["error_description"]


def test_client_key_rotation_and_revocation(client, trondheim):
    private_pem, public_pem = oauth.generate_client_key("RS256")
    new_key = oauth.add_client_key(trondheim.client, public_pem, algorithm="RS256")
    new_grant = oauth.make_grant(
        trondheim.client.client_id, new_key.kid, private_pem, ["nir:persons.read"], algorithm="RS256"
    )
    assert token_request(client, new_grant).status_code == 200
    assert token_request(client, trondheim.grant()).status_code == 200  # both keys work during the rotation
    call_command("clients", "revoke-key", trondheim.kid)
    r = token_request(client, trondheim.grant())
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert ApiClientKey.objects.get(kid=trondheim.kid).revoked_at is not None


def test_an_expired_key_or_deactivated_client_gets_no_token(client, trondheim):
    ApiClientKey.objects.filter(kid=trondheim.kid).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert token_request(client, trondheim.grant()).status_code == 401
    ApiClientKey.objects.filter(kid=trondheim.kid).update(expires_at=None)
    token = trondheim.token()
    trondheim.client.active = False
    trondheim.client.save()
    assert token_request(client, trondheim.grant()).status_code == 401
    with pytest.raises(oauth.OAuthError, match="ikke aktiv"):  # a token already issued stops working too
        oauth.verify_token(token)


def test_signing_key_rotation_keeps_issued_tokens_valid_until_retired(trondheim, key_dir):
    old = trondheim.token()
    old_kid = jwt.get_unverified_header(old)["kid"]
    new_kid = oauth.rotate_key()
    fresh = trondheim.token()
    assert jwt.get_unverified_header(fresh)["kid"] == new_kid != old_kid
    assert oauth.verify_token(old).client == trondheim.client  # the old key still verifies
    assert {k["kid"] for k in oauth.jwks()["keys"]} == {old_kid, new_kid}
    assert oauth.retire_keys() == []  # the new key is younger than a token's lifetime: keep the old
    import os
    import time

    later = time.time() - 3600
    os.utime(key_dir / f"{new_kid}.pem", (later, later))
    os.utime(key_dir / f"{old_kid}.pem", (later - 10, later - 10))
    assert oauth.retire_keys() == [old_kid]
    with pytest.raises(oauth.OAuthError):
        oauth.verify_token(old)
    assert oauth.verify_token(fresh).client == trondheim.client


def test_a_key_retired_by_another_process_is_refused_within_the_check_interval(trondheim, key_dir, monkeypatch):
    """A process looks at the key directory at most every KEY_DIR_CHECK_SECONDS: a key another
    process (``nir oauth``) removed verifies no token once that time has passed."""
    token = trondheim.token()
    kid = jwt.get_unverified_header(token)["kid"]
    oauth.rotate_key()  # a successor, so that removing the old key leaves a ring
    clock = [oauth.time.monotonic()]
    monkeypatch.setattr(oauth.time, "monotonic", lambda: clock[0])
    oauth.forget_clients()  # no verified-token cache: look at the keys
    assert oauth.verify_token(token).client == trondheim.client
    (key_dir / f"{kid}.pem").unlink()  # as another process retiring it, a while later
    import os
    import time

    os.utime(key_dir, (time.time() + 60, time.time() + 60))  # (mtime is coarser than this test)
    oauth.forget_clients()
    clock[0] += oauth.KEY_DIR_CHECK_SECONDS / 2
    assert oauth.verify_token(token).client == trondheim.client  # not looked at again yet
    oauth.forget_clients()
    clock[0] += oauth.KEY_DIR_CHECK_SECONDS
    with pytest.raises(oauth.OAuthError):
        oauth.verify_token(token)


def test_tokens_expire(trondheim, settings):
    settings.NIR_OAUTH_TOKEN_LIFETIME = -60  # already expired beyond the leeway
    token = trondheim.token()
    with pytest.raises(oauth.OAuthError, match="utløpt"):
        oauth.verify_token(token)


def test_a_verified_token_is_checked_again_for_expiry_key_and_client(trondheim, monkeypatch):
    """The signature of a token is verified once per process; a later use of the same token is
    still refused once it has expired, once NIR no longer holds the key that signed it, and once
    the client is deactivated."""
    token = trondheim.token()
    assert oauth.verify_token(token).client == trondheim.client
    calls = []
    real = oauth._verify_signed
    monkeypatch.setattr(oauth, "_verify_signed", lambda t: calls.append(t) or real(t))
    assert oauth.verify_token(token).client == trondheim.client
    assert calls == []  # the cached verification
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    # past its expiry the cached verification no longer counts: the token is verified in full again
    # (and PyJWT refuses it then: test_tokens_expire)
    monkeypatch.setattr(
        oauth,
        "_verify_signed",
        lambda t: calls.append(t) or (_ for _ in ()).throw(oauth.OAuthError("invalid_token", "tokenet er utløpt", 401)),
    )
    monkeypatch.setattr(oauth.time, "time", lambda: exp + oauth.LEEWAY + 1)
    with pytest.raises(oauth.OAuthError, match="utløpt"):
        oauth.verify_token(token)
    assert calls == [token]
    monkeypatch.undo()
    assert oauth.verify_token(token).client == trondheim.client
    kid = jwt.get_unverified_header(token)["kid"]
    keys = dict(oauth.signing_keys())
    monkeypatch.setattr(oauth, "signing_keys", lambda reload=False: {k: v for k, v in keys.items() if k != kid})
    with pytest.raises(oauth.OAuthError, match="ukjent nøkkel"):
        oauth.verify_token(token)
    monkeypatch.undo()
    trondheim.client.active = False
    trondheim.client.save()
    oauth.forget_clients()
    with pytest.raises(oauth.OAuthError, match="ikke aktiv"):
        oauth.verify_token(token)


def test_tokens_from_another_issuer_are_refused(trondheim):
    forged = jwt.encode(
        {
            "iss": "urn:other",
            "aud": oauth.audience(),
            "client_id": trondheim.client.client_id,
            "scope": "nir:persons.read",
            "iat": int(timezone.now().timestamp()),
            "exp": int(timezone.now().timestamp()) + 60,
            "jti": "x",
        },
        oauth.current_key().private,
        algorithm="ES256",
        headers={"kid": oauth.current_key().kid},
    )
    with pytest.raises(oauth.OAuthError):
        oauth.verify_token(forged)
    self_signed = jwt.encode(
        {
            "iss": oauth.issuer(),
            "aud": oauth.audience(),
            "client_id": "x",
            "scope": "",
            "iat": 1,
            "exp": 2**31,
            "jti": "x",
        },
        trondheim.private_pem,
        algorithm="ES256",
        headers={"kid": trondheim.kid},
    )
    with pytest.raises(oauth.OAuthError, match="ukjent nøkkel"):
        oauth.verify_token(self_signed)


def test_clients_command_creates_clients_and_keys(tmp_path, capsys):
    out = tmp_path / "privat.pem"
    call_command(
        "clients",
        "create",
        "fagsystem-bergen",
        "--organisation",
        "k-4601",
        "--name",
        "Bergen",
        "--source-system",
        "Visma Flyktning",
        "--scope",
        "nir:persons.read",
    )
    call_command("clients", "add-key", "fagsystem-bergen", "--generate", "--private-key-out", str(out))
    assert out.stat().st_mode & 0o777 == 0o600 and "PRIVATE KEY" in out.read_text()
    kid = ApiClientKey.objects.get(client__client_id="fagsystem-bergen").kid
    call_command(
        "clients", "grant", "fagsystem-bergen", "--kid", kid, "--private-key", str(out), "--scope", "nir:persons.read"
    )
    grant = capsys.readouterr().out.strip().splitlines()[-1]
    assert oauth.exchange_grant(grant).scope == "nir:persons.read"
    call_command("clients", "list")
    assert "fagsystem-bergen" in capsys.readouterr().out
