"""How long a login lasts, and that pages for a logged-in user are never stored by caches
(docs/security.md).

``SessionLimitsMiddleware`` (after Django's ``AuthenticationMiddleware``) ends a session

* ``NIR_SESSION_MAX_AGE`` seconds after the login (default 9 hours: a working day), however busy
  it is, and
* after ``NIR_SESSION_IDLE_TIMEOUT`` seconds without a request (default 45 minutes).

The login time and the last request are kept in the session (``nir:auth_at``, ``nir:seen_at``).
The last request is written at most once per ``SEEN_RESOLUTION`` seconds (not on every request: a
session write is a database write), so the idle timeout holds to within that; each such write also
moves the session cookie's and the stored session's expiry to the end of the idle time (never past
the end of the working day), so a browser left alone drops the cookie by itself. An ended session
is flushed: a page then sends the user to the login page, the API answers 401.

``PrivateAnswersMiddleware`` marks every answer to a logged-in user ``Cache-Control: no-store``
(with Django's ``add_never_cache_headers``) unless the view set its own caching: the pages show
personal data, and a shared or browser cache must not keep them. ``/api/`` answers get the same
from ``nir.api.middleware``, for machine clients too.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.utils.cache import add_never_cache_headers

AUTH_AT = "nir:auth_at"
SEEN_AT = "nir:seen_at"
SEEN_RESOLUTION = 60  # seconds


def max_age() -> int:
    return int(getattr(settings, "NIR_SESSION_MAX_AGE", 9 * 3600))


def idle_timeout() -> int:
    return int(getattr(settings, "NIR_SESSION_IDLE_TIMEOUT", 45 * 60))


def _touch(session, now: float, auth_at: float) -> None:
    session[SEEN_AT] = now
    remaining = max_age() - (now - auth_at)
    session.set_expiry(max(1, int(min(idle_timeout(), remaining))))


def _logged_in(sender, request=None, **kwargs) -> None:
    """A login (password, OpenID Connect) starts a new working day, also in a kept session."""
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[AUTH_AT] = now
        _touch(session, now, now)


user_logged_in.connect(_logged_in, dispatch_uid="nir-session-limits")


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) is not None:
            now = time.time()
            auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
            if auth_at is None:  # a session from before these limits: counted from now
                _touch(session, now, now)
                session[AUTH_AT] = now
            elif now - auth_at >= max_age() or (seen_at is not None and now - seen_at >= idle_timeout()):
                logout(request)
            elif seen_at is None or now - seen_at >= SEEN_RESOLUTION:
                _touch(session, now, auth_at)
        response = self.get_response(request)
        # Just logged in (the login view, or OpenID Connect's callback): the working day starts now.
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) is not None and AUTH_AT not in session:
            now = time.time()
            session[AUTH_AT] = now
            _touch(session, now, now)
        return response


class PrivateAnswersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response
