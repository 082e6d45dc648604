"""Suite-wide test configuration.

The suite runs twice (``python -m nir.testing.suite``): on SQLite, then on a
throwaway PostgreSQL. On the PostgreSQL pass only tests that use the database
run (plus those marked ``postgres``); on the SQLite pass the PostgreSQL-only
tests are reported as skipped with their reason.
"""

from __future__ import annotations

import pytest
from django.conf import settings

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _uses_db(item) -> bool:
    if item.get_closest_marker("django_db") or item.get_closest_marker("postgres"):
        return True
    names = set(getattr(item, "fixturenames", ()))
    return bool(
        names
        & {"db", "transactional_db", "django_db_setup", "django_user_model", "admin_user", "client", "admin_client"}
    )


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        keep, drop = [], []
        for item in items:
            (keep if _uses_db(item) else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    else:
        skip = pytest.mark.skip(reason="PostgreSQL-only: runs in the PostgreSQL pass of nir.testing.suite")
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_truncate_guard():
    """PostgreSQL: pytest-django empties the database after a transactional test with TRUNCATE,
    which the append-only tables refuse (nir.register.db). The test server's superuser lets that
    flush run with triggers off (``session_replication_role = replica``, superuser-only, for the
    flush's transaction alone); nothing else in the suite gets past the triggers."""
    if not ON_POSTGRES:
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    real = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = real(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements

    DatabaseOperations.sql_flush = sql_flush
    try:
        yield
    finally:
        DatabaseOperations.sql_flush = real


@pytest.fixture(autouse=True)
def _check_api_answers(monkeypatch):
    """Every directly rendered API answer is checked against its response schema (nir.api.render)."""
    monkeypatch.setattr(settings, "NIR_API_CHECK_ANSWERS", True)


@pytest.fixture(autouse=True)
def _no_export_rate_limit(monkeypatch):
    """Web downloads are not rate-limited in tests (their windows would carry over between tests in
    the process's cache) except where a test sets a limit (tests/web/test_hardening.py)."""
    monkeypatch.setattr(settings, "NIR_EXPORT_RATE_LIMIT", "", raising=False)
