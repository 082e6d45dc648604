"""Authentication, access rules and rate limits of ``/api/v1/``.

Two ways in, tried in this order (``AUTH``):

1. ``ClientBearer``: a machine client's OAuth2 access token (``Authorization: Bearer …``,
   ``nir.access.oauth``). A bearer header that is present but invalid is refused (401); it never
   falls back to a session.
2. ``SessionLogin``: the web application's session, with Ninja's CSRF check on unsafe methods.

Both then apply the operation's rule from ``nir.access.policy.API_RULES`` (``enforce``): an
operation without a rule, or a principal without the rule's permission, is refused (403). Person
scope (which persons) is applied by the operation itself (``nir.api.access.person_for``).

``PrincipalRateThrottle`` limits requests per client (and per user) in fixed windows kept in
Django's cache (``NIR_API_RATE_LIMITS``); a refused request is 429 with ``Retry-After``.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth
from ninja.throttling import BaseThrottle

from nir.access import oauth, policy, throttle
from nir.api.errors import ApiProblem

_ROUTE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def operation_key(request: HttpRequest) -> str | None:
    """``"METHOD /path"`` of the operation being called, as in the OpenAPI document."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return None
    route = _ROUTE_PARAM.sub(r"{\1}", match.route)
    prefix = "api/v1/"
    if not route.startswith(prefix):
        return None
    return f"{request.method.upper()} /{route[len(prefix) :]}"


def enforce(request: HttpRequest, principal) -> None:
    """Apply the operation's rule to ``principal``; raise a 403 problem when it is refused."""
    key = operation_key(request)
    rule = policy.API_RULES.get(key) if key else None
    if rule is None:
        raise ApiProblem(
            403,
            "Endepunktet har ingen tilgangsregel og er derfor stengt.",
            slug="no-access-rule",
            errors=[{"field": "", "rule": "no_access_rule", "message": str(key)}],
        )
    if rule.permission is not None and not policy.allows(principal, rule.permission):
        if getattr(principal, "is_client", False):
            needed = sorted(s for s, perms in policy.SCOPE_PERMISSIONS.items() if rule.permission in perms)
            detail = f"Tokenet gir ikke tilgang til {rule.permission.label}: krever scope {' eller '.join(needed)}."
        else:
            detail = f"Du har ikke tilgang til {rule.permission.label}."
        raise ApiProblem(
            403,
            detail,
            slug="forbidden",
            errors=[{"field": "", "rule": rule.permission.value, "message": "mangler tilgang"}],
        )


class ClientBearer(HttpBearer):
    """OAuth2 access tokens of machine clients (JWT, ES256, from ``/oauth/token``)."""

    openapi_bearer_format = "JWT"

    def authenticate(self, request: HttpRequest, token: str):
        try:
            principal = oauth.verify_token(token)
        except oauth.OAuthError as e:
            raise ApiProblem(
                401,
                f"Ugyldig tilgangstoken: {e.description}.",
                slug="invalid-token",
                errors=[{"field": "Authorization", "rule": e.error, "message": e.description}],
            ) from None
        enforce(request, principal)
        return principal


class SessionLogin(SessionAuth):
    """The web application's session (logged-in users), CSRF-checked on unsafe methods."""

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        if user is not None:
            enforce(request, user)
        return user


AUTH = [ClientBearer(), SessionLogin()]


def principal_key(principal) -> str:
    """A stable key of the caller: ``client:<client_id>`` or ``user:<pk>``."""
    if getattr(principal, "is_client", False):
        return str(principal)
    return f"user:{principal.pk}"


def parse_rate(rate: str) -> tuple[int, int]:
    """``"3000/m"`` → (3000, 60)."""
    return throttle.parse_rate(rate)


class PrincipalRateThrottle(BaseThrottle):
    """At most N requests per window per client (``client``) or user (``user``).

    A fixed window counted in Django's cache by ``nir.access.throttle.fixed_window`` (also used for
    the web's exports): one small cache operation per request. With a cache shared by all workers
    (production) the limit is per client across workers; with the default local-memory cache it is
    per worker process.
    """

    def __init__(self) -> None:
        self._wait: float | None = None

    def limits(self, principal) -> tuple[int, int] | None:
        rates = getattr(settings, "NIR_API_RATE_LIMITS", {"client": "3000/m", "user": "600/m"})
        rate = rates.get("client" if getattr(principal, "is_client", False) else "user")
        return parse_rate(rate) if rate else None

    def allow_request(self, request: HttpRequest) -> bool:
        principal = getattr(request, "auth", None)
        if principal is None:
            return True
        limit = self.limits(principal)
        if limit is None:
            return True
        count, period = limit
        self._wait = throttle.fixed_window(principal_key(principal), count, period)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
