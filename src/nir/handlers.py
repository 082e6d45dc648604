"""The WSGI application's two request paths (``nir.wsgi``).

Machine clients call ``/api/`` with ``Authorization: Bearer …`` (OAuth2 access tokens,
``nir.access.oauth``) and use no session, no CSRF token, no language negotiation, no messages
and no page access rules (the API applies its own, ``nir.api.auth``). Their requests go through
a handler whose middleware chain leaves those out (``settings.API_BEARER_MIDDLEWARE``); the
security headers stay. Every other request — web pages, and the API called with a session — goes
through the whole chain (``settings.MIDDLEWARE``).

What the short chain saves is ~5 % of an API registration's CPU; what it must not change is any
answer: the API's schema run (tests/api/test_api_fuzz.py) fuzzes the API both ways.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler


def is_bearer_api(environ: dict) -> bool:
    """A request to ``/api/`` carrying a bearer token (the scheme name is case-insensitive)."""
    if not environ.get("PATH_INFO", "").startswith("/api/"):
        return False
    scheme, _, _ = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer"


class BearerApiHandler(WSGIHandler):
    """Django's WSGI handler with the middleware of ``settings.API_BEARER_MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; swap it in for the duration of the
        # build only (start-up, before any request is served).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_BEARER_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def application_for(full: WSGIHandler, bearer: WSGIHandler):
    """The WSGI callable that sends bearer API requests to ``bearer`` and the rest to ``full``."""

    def application(environ, start_response):
        return (bearer if is_bearer_api(environ) else full)(environ, start_response)

    return application
