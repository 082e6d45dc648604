"""Login throttling (nir.access.throttle, nir.access.forms, nir.web.login; docs/security.md)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
import types
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from nir import identity
from nir.access import forms as login_module
from nir.access import throttle
from nir.logging import RedactIdentityNumbers

PASSWORD = "et-langt-passord-1"
WRONG = "hemmelig-feil-passord-42"
PID = identity.make_synthetic_national_id(dt.date(1990, 1, 15), 0) or identity.make_synthetic_national_id(
    dt.date(1990, 1, 15), 1
)
BLOCKED = "For mange mislykkede innlogginger. Prøv igjen om"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    # the hasher only makes the many failed logins fast; the throttle does not depend on it
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("saksbehandler", password=PASSWORD)


@pytest.fixture
def security_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactIdentityNumbers())
    logger = logging.getLogger("nir")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def attempt(client, username, password, ip="192.0.2.10", **extra):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_five_failures_block_the_username_without_checking_the_password(client, user):
    for _ in range(5):
        r = attempt(client, "saksbehandler", WRONG)
        assert r.status_code == 200 and "Feil brukernavn eller passord" in r.content.decode()
    with mock.patch.object(login_module, "authenticate", wraps=login_module.authenticate) as auth:
        r = attempt(client, "saksbehandler", PASSWORD)
    auth.assert_not_called()  # refused before the password is looked at
    text = r.content.decode()
    assert r.status_code == 429 and f"{BLOCKED} 15 minutter." in text
    assert "Feil brukernavn eller passord" not in text
    assert r["Retry-After"] == "900" and not logged_in(client)


@pytest.mark.django_db
def test_username_is_case_insensitive_and_other_users_are_not_blocked(client, user, django_user_model):
    django_user_model.objects.create_user("annen", password=PASSWORD)
    for name in ("saksbehandler", "SAKSBEHANDLER", "Saksbehandler ", "saksBehandler", "SaksBehandler"):
        attempt(client, name, WRONG)
    assert attempt(client, "saksbehandler", PASSWORD).status_code == 429
    r = attempt(client, "annen", PASSWORD)
    assert r.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_success_clears_the_username_counter(client, user):
    for _ in range(4):
        attempt(client, "saksbehandler", WRONG)
    assert attempt(client, "saksbehandler", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "saksbehandler", WRONG).status_code == 200
    r = attempt(client, "saksbehandler", PASSWORD)
    assert r.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_twenty_failures_from_one_address_block_it(client, user):
    for i in range(20):
        assert attempt(client, f"gjett-{i}", WRONG, ip="198.51.100.7").status_code == 200
    assert attempt(client, "saksbehandler", PASSWORD, ip="198.51.100.7").status_code == 429
    # another address (the user themselves) is not blocked
    r = attempt(client, "saksbehandler", PASSWORD, ip="203.0.113.5")
    assert r.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_unless_a_proxy_is_trusted(client, user, settings):
    for i in range(20):
        attempt(client, f"gjett-{i}", WRONG, ip="198.51.100.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    assert (
        attempt(client, "saksbehandler", PASSWORD, ip="198.51.100.7", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code
        == 429
    )
    # behind one trusted proxy the client is the last X-Forwarded-For entry, not the proxy
    settings.NIR_LOGIN_TRUSTED_PROXIES = 1
    r = attempt(client, "saksbehandler", PASSWORD, ip="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert r.status_code == 302


def test_client_ip():
    rf = RequestFactory()
    assert throttle.client_ip(rf.get("/", REMOTE_ADDR="192.0.2.1")) == "192.0.2.1"
    # an IPv6 client counts as its /64 (one client usually has all of it)
    assert throttle.client_ip(rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert throttle.client_ip(rf.get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::/64"
    assert throttle.client_ip(rf.get("/", REMOTE_ADDR="::ffff:192.0.2.1")) == "192.0.2.1"
    assert throttle.client_ip(rf.get("/", REMOTE_ADDR="")) == "unknown"


@pytest.mark.django_db
def test_the_block_ends_when_the_window_has_passed(client, user, monkeypatch):
    start = time.time()
    clock = types.SimpleNamespace(time=lambda: start)
    monkeypatch.setattr(throttle, "time", clock)
    for _ in range(5):
        attempt(client, "saksbehandler", WRONG)
    clock.time = lambda: start + 14 * 60 + 1
    r = attempt(client, "saksbehandler", PASSWORD)
    assert r.status_code == 429 and f"{BLOCKED} 1 minutt." in r.content.decode()
    clock.time = lambda: start + 15 * 60 + 1
    r = attempt(client, "saksbehandler", PASSWORD)
    assert r.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_limits_come_from_settings(client, user, settings):
    settings.NIR_LOGIN_MAX_FAILURES_PER_USER = 2
    settings.NIR_LOGIN_WINDOW_SECONDS = 120
    attempt(client, "saksbehandler", WRONG)
    attempt(client, "saksbehandler", WRONG)
    r = attempt(client, "saksbehandler", PASSWORD)
    assert r.status_code == 429 and f"{BLOCKED} 2 minutter." in r.content.decode()


@pytest.mark.django_db
def test_failures_are_logged_without_password_or_identity_number(client, user, security_log):
    attempt(client, "saksbehandler", WRONG)
    attempt(client, PID, WRONG)
    attempt(client, "ikke-en-bruker", WRONG)
    for _ in range(5):  # the fifth failure for the username, then one refused attempt
        attempt(client, "saksbehandler", WRONG)
    log = security_log.getvalue()
    assert WRONG not in log and PASSWORD not in log
    assert PID not in log and "ikke-en-bruker" not in log
    assert "Mislykket innlogging: brukernavn saksbehandler fra 192.0.2.10" in log
    assert "Mislykket innlogging: brukernavn (ukjent brukernavn) fra 192.0.2.10" in log
    assert "Innlogging sperret (for mange feil): brukernavn saksbehandler" in log


@pytest.mark.django_db
def test_cache_keys_do_not_contain_the_username(user):
    throttle.record_failure(PID, "192.0.2.1")
    keys = list(cache._cache.keys())  # the local-memory cache of the test settings
    assert keys and not any(PID in k for k in keys)


@pytest.mark.django_db
def test_inactive_user_with_right_password_counts_as_a_failure(client, user):
    user.is_active = False
    user.save()
    r = attempt(client, "saksbehandler", PASSWORD)
    assert r.status_code == 200 and not logged_in(client)
    assert throttle._state(throttle._user_key("saksbehandler"))[0] == 1


@pytest.mark.django_db
def test_admin_login_form_is_throttled_too(user):
    for _ in range(5):
        throttle.record_failure("saksbehandler", "192.0.2.10")
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.10")
    form = login_module.ThrottledAdminAuthenticationForm(
        request, data={"username": "saksbehandler", "password": PASSWORD}
    )
    assert not form.is_valid() and form.throttled
    assert form.non_field_errors()[0].startswith(BLOCKED)
