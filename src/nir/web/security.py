"""Content-Security-Policy for every HTML response; docs/security.md.

The policy allows scripts, styles, images, fonts and connections from the application's own
origin only, no plugins, no framing, and forms that post back to the application:

    default-src 'self'; img-src 'self' data:; style-src 'self' 'nonce-…'; script-src 'self' 'nonce-…';
    style-src-attr 'unsafe-hashes' 'sha256-…'; object-src 'none'; base-uri 'self';
    frame-ancestors 'none'; form-action 'self'

Inline ``<style>`` and ``<script>`` elements: the pages keep their CSS (and the yearly report its
print script) inline — the standalone yearly report is meant to be saved and printed as one file,
and there is no static-file server in front of NIR yet. Each such element carries the request's
nonce, ``<style nonce="{{ request.csp_nonce }}">``, a fresh random value per response that an
injected element cannot know. Without the nonce an inline element is refused.

Inline ``style="…"`` attributes cannot carry a nonce. The templates have none (classes instead);
the SVG charts (``nir.reports.charts``) put ``style="max-width:100%;height:auto"`` on their
``<svg>``. That one exact value is allowed by its hash (``style-src-attr 'unsafe-hashes'``), not
with ``'unsafe-inline'``; a browser without ``'unsafe-hashes'`` ignores the attribute and the
stylesheet's ``.nir-chart`` rule gives the same result. Any other style attribute is refused.

The API docs page ``/api/v1/docs`` is Django Ninja's Swagger UI page from cdn.jsdelivr.net, with
its inline start-up script; it gets its own policy (``docs_policy``): Swagger UI's script and
stylesheet from exactly ``https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/`` (not the whole CDN, which
serves any npm package), Ninja's favicons, and the start-up script by the hash of the script in
that very response (it holds the CSRF token, so it differs per session).

JSON and file responses get no CSP (nothing is rendered); Django's SecurityMiddleware gives every
response ``X-Content-Type-Options: nosniff`` (SECURE_CONTENT_TYPE_NOSNIFF).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from django.conf import settings

HEADER = "Content-Security-Policy"

# Exact values of the style attributes the application emits (the charts' <svg>).
ALLOWED_STYLE_ATTRIBUTES = ("max-width:100%;height:auto",)

DOCS_VIEW = "api-v1:openapi-view"
SWAGGER_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
NINJA_FAVICONS = "https://django-ninja.dev/img/"

_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


_STYLE_ATTR_HASHES = " ".join(sha256_source(value) for value in ALLOWED_STYLE_ATTRIBUTES)


def page_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            f"style-src 'self' 'nonce-{nonce}'",
            f"style-src-attr 'unsafe-hashes' {_STYLE_ATTR_HASHES}",
            f"script-src 'self' 'nonce-{nonce}'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def inline_script_hashes(html: str) -> list[str]:
    """Hash sources of the executable inline scripts in ``html`` (not those with src, not JSON data)."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        attrs = match.group("attrs").lower()
        if "src=" in attrs or "application/json" in attrs:
            continue
        hashes.append(sha256_source(match.group("body")))
    return hashes


def docs_policy(html: str) -> str:
    """The Swagger UI page of Django Ninja (template ``ninja/swagger_cdn.html``)."""
    scripts = " ".join([f"'self' {SWAGGER_CDN}", *inline_script_hashes(html)])
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src 'self' data: {NINJA_FAVICONS}",
            f"style-src 'self' {SWAGGER_CDN}",
            f"script-src {scripts}",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        if HEADER in response or not response.get("Content-Type", "").startswith("text/html"):
            return response
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django's technical debug pages are inline styles and scripts
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name == DOCS_VIEW and not response.streaming:
            response[HEADER] = docs_policy(response.content.decode(response.charset or "utf-8", "replace"))
        else:
            response[HEADER] = page_policy(request.csp_nonce)
        return response
