"""Helpers of the API tests (imported by the test modules)."""

from __future__ import annotations

API = "/api/v1"


def assert_problem(response, status, *, rule=None, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance", "errors"}
    assert body["status"] == status and body["type"].startswith("https://")
    assert body["instance"] == response.wsgi_request.path
    if rule is not None:
        assert rule in [e["rule"] for e in body["errors"]], body
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body
