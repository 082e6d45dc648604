"""OpenID Connect login (ID-porten style; nir.access.oidc, docs/security.md).

The provider is never called: the token endpoint (``get_token``) and the JWKS endpoint
(``retrieve_matching_jwk``) are patched on the backend; ID tokens are really signed (RS256) with a
key made here, so the library's signature, algorithm and nonce checks run for real.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from nir import identity
from nir.access.oidc import NirOIDCBackend
from nir.logging import RedactIdentityNumbers

CLIENT_ID = "nir-test-klient"
AUTHORIZE = "https://idporten.example.test/authorize"
PID = identity.make_synthetic_national_id(dt.date(1990, 1, 15), 0) or identity.make_synthetic_national_id(
    dt.date(1990, 1, 15), 1
)
SUB = "Hx0ht7kTyQ3cJ5mQ2bN6rL9pW1sV4uY8zA-dE_fGiK0="
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SRC = Path(__file__).resolve().parents[2] / "src"

OIDC_SETTINGS = {
    "NIR_OIDC_ENABLED": True,
    "AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend", "nir.access.oidc.NirOIDCBackend"],
    "OIDC_RP_CLIENT_ID": CLIENT_ID,
    "OIDC_RP_CLIENT_SECRET": "hemmelig-test",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": AUTHORIZE,
    "OIDC_OP_TOKEN_ENDPOINT": "https://idporten.example.test/token",
    "OIDC_OP_USER_ENDPOINT": "https://idporten.example.test/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idporten.example.test/jwks",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_RP_SCOPES": "openid profile",
}


@pytest.fixture
def oidc_on(settings):
    for name, value in OIDC_SETTINGS.items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def security_log():
    """Lines written to the ``nir`` loggers (which do not propagate to pytest's caplog)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactIdentityNumbers())
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger("nir"), logging.getLogger("mozilla_django_oidc")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture
def linked_user(db):
    return get_user_model().objects.create_user("saksbehandler-oidc", password=None, oidc_subject=SUB)


def id_token(nonce, *, sub=SUB, aud=CLIENT_ID, key=KEY, **extra):
    now = int(time.time())
    claims = {
        "iss": "https://idporten.example.test/",
        "sub": sub,
        "aud": aud,
        "iat": now,
        "exp": now + 120,
        "nonce": nonce,
        "pid": PID,
        "acr": "idporten-loa-high",
        **extra,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "test"})


def public_jwk():
    return jwt.PyJWK(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())) | {"kid": "test"}, "RS256")


def start_login(client, next_url="/"):
    r = client.get("/oidc/authenticate/", {"next": next_url})
    assert r.status_code == 302
    query = parse_qs(urlsplit(r["Location"]).query)
    return r, {k: v[0] for k, v in query.items()}


def callback(client, state, token, *, code="kode-123"):
    """The provider's redirect back, with the token endpoint answering ``token`` (an ID token)."""
    with (
        mock.patch.object(NirOIDCBackend, "get_token", return_value={"id_token": token, "access_token": "at"}) as gt,
        mock.patch.object(NirOIDCBackend, "retrieve_matching_jwk", return_value=public_jwk()),
        mock.patch.object(NirOIDCBackend, "get_userinfo") as userinfo,
    ):
        r = client.get("/oidc/callback/", {"code": code, "state": state})
    userinfo.assert_not_called()  # the userinfo endpoint would only add the pid
    return r, gt


# --- switched off (the default) ---------------------------------------------------------------------


@pytest.mark.django_db
def test_off_by_default_no_button_and_404(client):
    from django.conf import settings

    assert settings.NIR_OIDC_ENABLED is False
    assert "nir.access.oidc.NirOIDCBackend" not in settings.AUTHENTICATION_BACKENDS
    assert "mozilla_django_oidc" not in settings.INSTALLED_APPS
    page = client.get("/login/").content.decode()
    assert "ID-porten" not in page and "/oidc/" not in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert client.post("/oidc/logout/").status_code == 404


@pytest.mark.django_db
def test_backend_refuses_everything_while_off(rf, linked_user, settings):
    for name, value in OIDC_SETTINGS.items():
        setattr(settings, name, value)
    backend = NirOIDCBackend()
    settings.NIR_OIDC_ENABLED = False
    request = rf.get("/oidc/callback/", {"code": "c", "state": "s"})
    with mock.patch.object(NirOIDCBackend, "get_token") as get_token:
        assert backend.authenticate(request, nonce="n", code_verifier="v") is None
    get_token.assert_not_called()


# --- switched on ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_shows_the_id_porten_link(client, oidc_on):
    page = client.get("/login/", {"next": "/rapporter/"}).content.decode()
    assert "Logg inn med ID-porten" in page
    assert 'href="/oidc/authenticate/?next=/rapporter/"' in page
    assert 'name="password"' in page  # username/password stays


@pytest.mark.django_db
def test_authenticate_redirects_to_the_provider_with_state_nonce_and_pkce(client, oidc_on):
    r, q = start_login(client, "/rapporter/")
    assert r["Location"].startswith(AUTHORIZE + "?")
    assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID and q["scope"] == "openid profile"
    assert q["redirect_uri"] == "http://testserver/oidc/callback/"
    assert len(q["state"]) >= 32 and len(q["nonce"]) >= 32 and q["state"] != q["nonce"]
    assert q["code_challenge_method"] == "S256" and q["code_challenge"]
    states = client.session["oidc_states"]
    assert states[q["state"]]["nonce"] == q["nonce"] and states[q["state"]]["code_verifier"]


@pytest.mark.django_db
def test_acr_values_are_asked_for_when_configured(client, oidc_on):
    oidc_on.OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"acr_values": "idporten-loa-high"}
    _, q = start_login(client)
    assert q["acr_values"] == "idporten-loa-high"


@pytest.mark.django_db
def test_login_by_sub_without_storing_or_logging_the_pid(client, oidc_on, linked_user, security_log):
    _, q = start_login(client, "/rapporter/")
    r, get_token = callback(client, q["state"], id_token(q["nonce"]))
    assert r.status_code == 302 and r["Location"] == "/rapporter/"
    session = client.session
    assert session["_auth_user_id"] == str(linked_user.pk)
    assert session["_auth_user_backend"] == "nir.access.oidc.NirOIDCBackend"
    # the code was exchanged with PKCE, the redirect URI and the client's credentials
    payload = get_token.call_args.args[0]
    assert payload["code"] == "kode-123" and payload["code_verifier"] and payload["client_id"] == CLIENT_ID
    # neither the pid nor the ID token (which carries it) is kept or logged
    stored = json.dumps(dict(session.items()))
    assert PID not in stored and "oidc_id_token" not in session and "oidc_access_token" not in session
    assert PID not in security_log.getvalue()
    linked_user.refresh_from_db()
    assert PID not in json.dumps(
        {f.name: str(getattr(linked_user, f.attname)) for f in linked_user._meta.concrete_fields}
    )
    # the state is used up: the same answer cannot be replayed
    assert q["state"] not in session.get("oidc_states", {})
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_unknown_subject_is_refused_and_no_user_created(client, oidc_on, linked_user, security_log):
    users_before = get_user_model().objects.count()
    _, q = start_login(client)
    r, _ = callback(client, q["state"], id_token(q["nonce"], sub="ukjent-subjekt"))
    assert r.status_code == 302 and r["Location"] == "/login/?oidc=feil"
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.count() == users_before
    assert "ingen bruker med subjekt ukjent-subjekt" in security_log.getvalue()
    page = client.get(r["Location"]).content.decode()
    assert "Innloggingen med ID-porten mislyktes" in page


@pytest.mark.django_db
def test_inactive_user_is_refused(client, oidc_on, linked_user):
    linked_user.is_active = False
    linked_user.save()
    _, q = start_login(client)
    r, _ = callback(client, q["state"], id_token(q["nonce"]))
    assert r["Location"] == "/login/?oidc=feil" and "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["aud", "key", "nonce", "acr"])
def test_tokens_that_do_not_check_out_are_refused(client, oidc_on, linked_user, change):
    oidc_on.NIR_OIDC_ACR_VALUES = "idporten-loa-high"
    _, q = start_login(client)
    token = {
        "aud": lambda: id_token(q["nonce"], aud="en-annen-klient"),
        "key": lambda: id_token(q["nonce"], key=OTHER_KEY),
        "nonce": lambda: id_token("en-annen-nonce"),
        "acr": lambda: id_token(q["nonce"], acr="idporten-loa-substantial"),
    }[change]()
    r, _ = callback(client, q["state"], token)
    if change in ("aud", "acr"):  # refused by NIR's backend: back to the login page
        assert r.status_code == 302 and r["Location"] == "/login/?oidc=feil"
    else:  # refused by the library's signature and nonce checks (SuspiciousOperation)
        assert r.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_callback_with_an_unknown_state_is_refused(client, oidc_on, linked_user):
    start_login(client)
    r, get_token = callback(client, "forfalsket-state", id_token("n"))
    assert r.status_code == 400 and "_auth_user_id" not in client.session
    get_token.assert_not_called()


# --- the backend on its own -------------------------------------------------------------------------


@pytest.mark.django_db
def test_backend_matches_by_sub_and_never_creates(oidc_on, linked_user):
    backend = NirOIDCBackend()
    claims = {"sub": SUB, "aud": CLIENT_ID, "pid": PID}
    with mock.patch.object(NirOIDCBackend, "get_userinfo") as userinfo:
        assert backend.get_or_create_user("at", "it", claims) == linked_user
        n = get_user_model().objects.count()
        assert backend.get_or_create_user("at", "it", claims | {"sub": "noen-andre"}) is None
        assert get_user_model().objects.count() == n
    userinfo.assert_not_called()
    linked_user.is_active = False
    linked_user.save()
    assert backend.get_or_create_user("at", "it", claims) is None
    assert backend.get_user(linked_user.pk) is None  # a session of a deactivated user ends


@pytest.mark.django_db
def test_backend_ignores_password_logins(oidc_on, linked_user):
    """A username/password login on a URL that carries ?code=&state= never reaches the provider."""
    request = RequestFactory().post("/login/?code=c&state=s")
    with mock.patch.object(NirOIDCBackend, "get_token") as get_token:
        assert NirOIDCBackend().authenticate(request, username="saksbehandler-oidc", password="x") is None
        assert NirOIDCBackend().authenticate(request) is None  # no nonce from the session
    get_token.assert_not_called()


@pytest.mark.django_db
def test_oidc_subject_is_unique(linked_user):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        get_user_model().objects.create_user("en-annen", oidc_subject=SUB)
    # several users without a subject are fine (NULL, not "")
    get_user_model().objects.create_user("uten-1")
    get_user_model().objects.create_user("uten-2")
    assert get_user_model()._meta.get_field("oidc_subject").verbose_name == "OIDC-subjekt"


# --- the settings from the environment --------------------------------------------------------------


def _settings_in_subprocess(env_extra, tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'apps': s.INSTALLED_APPS, 'backends': s.AUTHENTICATION_BACKENDS, "
        "'algo': s.OIDC_RP_SIGN_ALGO, 'scopes': s.OIDC_RP_SCOPES, 'client': s.OIDC_RP_CLIENT_ID, "
        "'create': s.OIDC_CREATE_USER, 'store_id_token': s.OIDC_STORE_ID_TOKEN}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "NIR_OIDC"))}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "nir.settings", "NIR_VAR_DIR": str(tmp_path), "PYTHONPATH": str(SRC)}, **env_extra
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_settings_switch_oidc_on_from_the_environment(tmp_path):
    env = {
        "NIR_OIDC_ENABLED": "1",
        "OIDC_RP_CLIENT_ID": "nir",
        "OIDC_RP_CLIENT_SECRET": "s",
        **{
            name: "https://op.example.test/x"
            for name in (
                "OIDC_OP_AUTHORIZATION_ENDPOINT",
                "OIDC_OP_TOKEN_ENDPOINT",
                "OIDC_OP_USER_ENDPOINT",
                "OIDC_OP_JWKS_ENDPOINT",
            )
        },
    }
    done = _settings_in_subprocess(env, tmp_path)
    assert done.returncode == 0, done.stderr
    s = json.loads(done.stdout)
    assert "mozilla_django_oidc" in s["apps"]
    assert s["backends"] == ["django.contrib.auth.backends.ModelBackend", "nir.access.oidc.NirOIDCBackend"]
    assert s["algo"] == "RS256" and s["scopes"] == "openid profile" and s["client"] == "nir"
    assert s["create"] is False and s["store_id_token"] is False

    missing = _settings_in_subprocess({"NIR_OIDC_ENABLED": "1", "OIDC_RP_CLIENT_ID": "nir"}, tmp_path)
    assert missing.returncode != 0 and "OIDC_OP_TOKEN_ENDPOINT" in missing.stderr
