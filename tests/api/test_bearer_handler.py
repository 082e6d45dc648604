"""nir.handlers: machine clients' bearer requests to /api/ take the shorter middleware chain, and
get the same answers and security headers as through the whole chain."""

from __future__ import annotations

import io
import json

import pytest
from api_helpers import API
from django.core.handlers.wsgi import WSGIHandler

from nir.handlers import BearerApiHandler, is_bearer_api
from nir.testing.builders import make_client


@pytest.mark.parametrize(
    "path, authorization, expected",
    [
        ("/api/v1/persons", "Bearer abc", True),
        ("/api/v1/persons", "bearer abc", True),  # the scheme name is case-insensitive (RFC 9110 § 11.1)
        ("/api/v1/persons", "", False),  # a session user: the whole chain (CSRF, session)
        ("/api/v1/persons", "Basic dXNlcg==", False),
        ("/personer/", "Bearer abc", False),  # web pages always take the whole chain
    ],
)
def test_which_requests_take_the_short_chain(path, authorization, expected):
    environ = {"PATH_INFO": path}
    if authorization:
        environ["HTTP_AUTHORIZATION"] = authorization
    assert is_bearer_api(environ) is expected


def test_short_chain_keeps_the_security_middleware_and_drops_the_session_ones(settings):
    chain = settings.API_BEARER_MIDDLEWARE
    assert "django.middleware.security.SecurityMiddleware" in chain
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in chain
    assert not {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    } & set(chain)
    assert [mw for mw in settings.MIDDLEWARE if mw in chain] == chain  # same order as the whole chain
    BearerApiHandler()
    assert settings.MIDDLEWARE != chain  # restored after the build


def _call(handler, method, path, headers, body=b""):
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
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.errors": io.StringIO(),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = status, dict(response_headers)

    body = b"".join(handler(environ, start_response))
    return started["status"], started["headers"], body


def test_answers_and_headers_are_those_of_the_whole_chain(world, same_connection):
    """A read, a refused write and an unknown person, through both chains: same status, same body,
    the same security headers (nosniff, X-Frame-Options, Referrer-Policy)."""
    headers = make_client("k-5001", "fagsystem-5001").headers()
    full, short = WSGIHandler(), BearerApiHandler()
    bad = json.dumps({"scheme": "intro", "kind": "leave", "from": "2026-09-11", "to": "2026-09-07"}).encode()
    statuses = []
    for method, path, body in [
        ("GET", f"{API}/persons/{world['anne'].duf}", b""),
        ("POST", f"{API}/persons/{world['anne'].duf}/absences", bad),
        ("GET", f"{API}/persons/{world['berit'].duf}", b""),
        ("GET", f"{API}/codes", b""),
    ]:
        a = _call(full, method, path, headers, body)
        b = _call(short, method, path, headers, body)
        assert a[0] == b[0], (path, a[0], b[0])
        assert json.loads(a[2]) == json.loads(b[2]), path
        for name in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Type"):
            assert a[1].get(name) == b[1].get(name), name
        assert "Set-Cookie" not in b[1]
        statuses.append(b[0][:3])
    assert statuses == ["200", "422", "404", "200"]
