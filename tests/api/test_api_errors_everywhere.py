"""Every API error is problem+json, on both middleware chains (issue 15 § 3.3): a body over the API's
limit is 413 (not a 500 from Django's upload limit), a 10,000-item batch (the documented size, about
2.7 MB) is accepted, and 405, unknown ``/api/`` paths and 500s raised outside Ninja are problem+json,
never the web application's HTML pages."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from api_helpers import API
from django.core.handlers.wsgi import WSGIHandler

from nir.api.batches import MAX_ITEMS
from nir.handlers import BearerApiHandler
from nir.testing.builders import make_client

pytestmark = pytest.mark.django_db


def _call(handler, method, path, headers, body=b"", content_length=None):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body) if content_length is None else content_length),
        "CONTENT_TYPE": "application/json",
        "wsgi.errors": io.StringIO(),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = int(status[:3]), dict(response_headers)

    out = b"".join(handler(environ, start_response))
    return started["status"], started["headers"], out


def _assert_problem(answer, status):
    got, headers, body = answer
    assert got == status, (got, body[:300])
    assert headers["Content-Type"].startswith("application/problem+json"), (headers["Content-Type"], body[:200])
    doc = json.loads(body)
    assert doc["status"] == status and doc["type"].startswith("https://") and doc["title"], doc
    return doc, headers


@pytest.fixture
def chains(world, same_connection, client):
    """(name, handler, headers) for the short bearer chain and the whole chain with a session."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string

    from nir.access.models import User

    api_client = make_client("k-5001", "fagsystem-5001")
    client.force_login(User.objects.get(username="saksbehandler-5001"))
    csrf = _get_new_csrf_string()
    session_headers = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}",
        "X-CSRFToken": csrf,
    }
    return [("bearer", BearerApiHandler(), api_client.headers()), ("session", WSGIHandler(), session_headers)]


def test_unknown_api_paths_are_problem_404(chains):
    for _name, handler, headers in chains:
        for path in (f"{API}/nope", f"{API}/persons/1/nope/2", "/api/v2/persons", "/api/"):
            _assert_problem(_call(handler, "GET", path, headers), 404)


def test_method_not_allowed_is_problem_405_with_allow(chains):
    for name, handler, headers in chains:
        _doc, h = _assert_problem(_call(handler, "DELETE", f"{API}/codes", headers), 405)
        assert "GET" in h["Allow"], (name, h)


def test_a_body_over_the_limit_is_413(chains, settings):
    settings.NIR_API_MAX_BODY_BYTES = 100_000
    for name, handler, headers in chains:
        headers = {**headers, "Idempotency-Key": f"big-{name}"}
        body = json.dumps({"items": [{"id": "x" * 90, "duf": "1", "kind": "absences", "values": {}}] * 1000}).encode()
        assert len(body) > 100_000
        doc, _ = _assert_problem(_call(handler, "POST", f"{API}/batches", headers, body), 413)
        assert "100000" in doc["detail"].replace(" ", "").replace("\u00a0", "")
        # Refused by its declared length alone, before anything is read.
        _assert_problem(_call(handler, "POST", f"{API}/batches", headers, b"{}", content_length=10**9), 413)


def test_a_500_outside_ninja_is_problem_json(chains, monkeypatch):
    from django.urls import resolvers

    def broken(self, path):
        raise RuntimeError("boom")

    monkeypatch.setattr(resolvers.URLResolver, "resolve", broken)
    for _name, handler, headers in chains:
        doc, _ = _assert_problem(_call(handler, "GET", f"{API}/codes", headers), 500)
        assert "boom" not in json.dumps(doc)


def test_the_documented_batch_size_is_accepted(world, chains):
    """10,000 realistic items (≈ 2.7 MB, over Django's 2.5 MiB upload limit) on both chains. (They name
    a person outside the client's scope, so that each is refused quickly on SQLite: what is proved here
    is that the body is read and every item judged; tests/api/test_api_batches.py writes batches.)"""
    anne = world["berit"].duf
    start = dt.date(2026, 1, 5)
    for name, handler, headers in chains:
        items = [
            {
                "id": f"visma-flyktning-{name}-2026-03-02-kjoering-17-fravaer-{i:05d}",
                "duf": anne,
                "kind": "absences",
                "values": {
                    "scheme": "intro",
                    "kind": "time_off",
                    "from": (start + dt.timedelta(days=i)).isoformat(),
                    "to": (start + dt.timedelta(days=i)).isoformat(),
                },
            }
            for i in range(MAX_ITEMS)
        ]
        body = json.dumps({"mode": "partial", "items": items}, indent=2).encode()
        assert len(body) > 2.7e6
        status, _h, out = _call(handler, "POST", f"{API}/batches", {**headers, "Idempotency-Key": f"stor-{name}"}, body)
        assert status == 201, (name, status, out[:300])
        doc = json.loads(out)
        assert doc["items"] == MAX_ITEMS and doc["refused"] == MAX_ITEMS
        assert doc["results"][-1]["id"].endswith(f"{MAX_ITEMS - 1:05d}")
