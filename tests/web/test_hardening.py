"""Issue 15 § 3.10: answers with personal data are not stored by caches; a session lasts a working
day at most and ends after a while without requests; the SQLite database and var/ are private to
the application's user; web exports are rate-limited (429 with Retry-After)."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from nir.access import sessions
from nir.register.actors import Actor
from nir.testing.builders import Register, make_client, make_user

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def anne(db, django_user_model):
    user = make_user(django_user_model, "saksbehandler-5001", "k-5001")
    r = Register(Actor.for_user(user, source_system="NIR-test"))
    person = r.person("Anne", "Aas")
    r.participation(person, dt.date(2026, 1, 5))
    return user, person


def assert_no_store(response):
    assert "no-store" in response.get("Cache-Control", ""), (response.status_code, response.get("Cache-Control"))


# --- Cache-Control ----------------------------------------------------------------------------------


def test_pages_api_answers_and_exports_with_personal_data_are_no_store(client, anne, settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    user, person = anne
    client.force_login(user)
    for url in (
        f"/personer/{person.duf}/",
        "/personer/",
        "/",
        "/rapporter/personliste/",
        "/rapporter/personliste/eksport.csv",
        f"/api/v1/persons/{person.duf}",
        "/api/v1/nope",
    ):
        r = client.get(url)
        assert r.status_code in (200, 302, 404), (url, r.status_code)
        assert_no_store(r)
    client.logout()
    headers = make_client("k-5001", "fagsystem-5001").headers()
    assert_no_store(client.get(f"/api/v1/persons/{person.duf}", headers=headers))
    assert_no_store(client.get("/api/v1/persons", headers=headers))


# --- sessions --------------------------------------------------------------------------------------


class Clock:
    def __init__(self, monkeypatch):
        self.now = 1_800_000_000.0
        monkeypatch.setattr(sessions.time, "time", lambda: self.now)


def test_session_settings_are_a_working_day(settings):
    assert 8 * 3600 <= settings.NIR_SESSION_MAX_AGE <= 10 * 3600
    assert 30 * 60 <= settings.NIR_SESSION_IDLE_TIMEOUT <= 60 * 60
    assert settings.SESSION_COOKIE_AGE <= settings.NIR_SESSION_MAX_AGE


def test_an_idle_session_ends(client, anne, monkeypatch, settings):
    clock = Clock(monkeypatch)
    user, person = anne
    client.force_login(user)
    url = f"/personer/{person.duf}/"
    assert client.get(url).status_code == 200
    clock.now += settings.NIR_SESSION_IDLE_TIMEOUT - 120
    assert client.get(url).status_code == 200  # a request refreshes the idle time
    clock.now += settings.NIR_SESSION_IDLE_TIMEOUT - 120
    assert client.get(url).status_code == 200
    clock.now += settings.NIR_SESSION_IDLE_TIMEOUT + 1
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert client.get(f"/api/v1/persons/{person.duf}").status_code == 401  # logged out for the API too


def test_a_busy_session_ends_after_the_working_day(client, anne, monkeypatch, settings):
    clock = Clock(monkeypatch)
    user, person = anne
    client.force_login(user)
    url = f"/personer/{person.duf}/"
    assert client.get(url).status_code == 200
    step = settings.NIR_SESSION_IDLE_TIMEOUT // 2
    elapsed = 0
    while elapsed + step < settings.NIR_SESSION_MAX_AGE:
        clock.now += step
        elapsed += step
        assert client.get(url).status_code == 200, elapsed
    clock.now += step
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_session_limits_come_from_the_environment():
    env = {
        **os.environ,
        "NIR_SESSION_MAX_AGE": "3600",
        "NIR_SESSION_IDLE_TIMEOUT": "600",
        "DJANGO_SETTINGS_MODULE": "nir.settings",
    }
    code = (
        "from django.conf import settings as s; "
        "print(s.NIR_SESSION_MAX_AGE, s.NIR_SESSION_IDLE_TIMEOUT, s.SESSION_COOKIE_AGE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=SRC
    ).stdout.split()
    assert out == ["3600", "600", "3600"]


# --- the SQLite file and var/ ---------------------------------------------------------------------


def test_sqlite_database_and_var_are_private(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"NIR_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "nir.settings"})
    code = (
        "import os; os.umask(0o022); import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('CREATE TABLE t (x int)'); c.execute('INSERT INTO t VALUES (1)')"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=SRC, capture_output=True)
    assert stat.S_IMODE(var.stat().st_mode) & 0o077 == 0, oct(var.stat().st_mode)
    files = [p for p in var.iterdir() if p.name.startswith("nir.sqlite3")]
    assert var / "nir.sqlite3" in files
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p.name, oct(p.stat().st_mode))


# --- rate limits on web exports ---------------------------------------------------------------------


def test_web_exports_are_rate_limited(client, anne, settings, django_user_model):
    cache.clear()
    settings.NIR_EXPORT_RATE_LIMIT = "3/h"
    user, person = anne
    analyst = make_user(django_user_model, "admin-eksport", "imdi")
    client.force_login(analyst)
    urls = [
        "/rapporter/personliste/eksport.csv",
        "/rapporter/aarsstatistikk/eksport.xlsx?year=2026",
        f"/administrering/tilgangslogg/person/{person.duf}.csv",
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    for url in urls:
        r = client.get(url)
        assert r.status_code == 429, (url, r.status_code)
        assert 0 < int(r["Retry-After"]) <= 3600
        assert_no_store(r)
    client.force_login(user)  # per user: another user still exports
    assert client.get("/rapporter/personliste/eksport.csv").status_code == 200
    cache.clear()
