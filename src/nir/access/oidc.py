"""OpenID Connect login (ID-porten style) with mozilla-django-oidc; docs/security.md.

Off unless ``settings.NIR_OIDC_ENABLED`` (env ``NIR_OIDC_ENABLED=1``). Then:

- users are never created by a login (no self-provisioning): an administrator links an existing
  user to the provider's ``sub`` claim by setting ``User.oidc_subject``;
- the user is found by the ``sub`` of the signed, nonce-checked ID token; unknown subjects and
  inactive users are refused;
- the ``pid`` claim (the fødselsnummer) is never read, stored or logged: the userinfo endpoint
  (which would only add the pid) is not called, and the ID token is not kept in the session.

The ``/oidc/`` URLs (``oidc_urlpatterns``) are always mounted but answer 404 while OIDC is off, so
a test can switch OIDC on and off with ``override_settings`` and a misconfigured switch cannot
expose half-configured views.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.urls import URLPattern
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from nir.logging import redact

log = logging.getLogger("nir.security")


def enabled() -> bool:
    return bool(getattr(settings, "NIR_OIDC_ENABLED", False))


class NirOIDCBackend(OIDCAuthenticationBackend):
    """Authorization code flow; the user is the one whose ``oidc_subject`` is the token's ``sub``."""

    def authenticate(self, request, **kwargs):
        # Only the callback view's call (it always passes the nonce kept in the session) may get here:
        # never a username/password call, even on a request that happens to carry ?code=&state=.
        if not enabled() or "username" in kwargs or "password" in kwargs or kwargs.get("nonce") is None:
            return None
        return super().authenticate(request, **kwargs)

    def get_or_create_user(self, access_token, id_token, payload):
        """``payload`` is the ID token's claims, signature and nonce already verified."""
        self._check_id_token(payload)
        subject = payload["sub"]
        user = get_user_model().objects.filter(oidc_subject=subject).first()
        if user is None:
            log.warning("OIDC-innlogging avvist: ingen bruker med subjekt %s", redact(subject))
            return None
        if not self.user_can_authenticate(user):
            log.warning("OIDC-innlogging avvist: brukeren %s er deaktivert", redact(user.username))
            return None
        log.info("OIDC-innlogging: %s", redact(user.username))
        return user

    def _check_id_token(self, payload: dict) -> None:
        """What mozilla-django-oidc leaves out: subject present, audience, issuer and level of assurance."""
        subject = payload.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise SuspiciousOperation("ID token without a usable sub claim")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token not issued to this client (aud)")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token with several audiences and another azp")
        issuer = getattr(settings, "NIR_OIDC_ISSUER", "")
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("ID token from another issuer (iss)")
        acr_values = getattr(settings, "NIR_OIDC_ACR_VALUES", "").split()
        if acr_values and payload.get("acr") not in acr_values:
            raise SuspiciousOperation("ID token with too low a level of assurance (acr)")

    def get_userinfo(self, access_token, id_token, payload):  # pragma: no cover - guard
        # Never called by get_or_create_user: the userinfo answer would only add the pid.
        raise SuspiciousOperation("NIR does not read the userinfo endpoint")

    def get_user(self, user_id):
        # The session's user, as ModelBackend: an inactive user is logged out on the next request.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def _only_when_enabled(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not enabled():
            raise Http404("OIDC er ikke slått på")
        return view(request, *args, **kwargs)

    return wrapper


def oidc_urlpatterns() -> list[URLPattern]:
    """mozilla-django-oidc's URLs (``mozilla_django_oidc.urls``, same names), each answering 404 while
    OIDC is off. Mounted at ``/oidc/`` by ``nir.urls``."""
    from mozilla_django_oidc import urls as oidc_urls

    return [
        URLPattern(p.pattern, _only_when_enabled(p.callback), p.default_args, p.name) for p in oidc_urls.urlpatterns
    ]
