"""The login forms: Django's username/password forms with the login throttle in front of the
password check (``nir.access.throttle``), for the application's login page (``nir.web.login``)
and the admin's (``admin.site.login_form``, ``nir.access.admin``).

See docs/security.md. Failed and refused logins are logged to ``nir.security`` (never the
password; the username only when it names an existing user, through ``redact``), not to the
audit table. The messages are English in the source and bokmål through the catalogue; the log
lines are for the operators and stay as they are.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy, ngettext

from nir.access import throttle
from nir.logging import redact

log = logging.getLogger("nir.security")


def _minutes_text(seconds: int) -> str:
    n = throttle.minutes(seconds)
    return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}


def _username_for_log(username: str) -> str:
    """The username as typed if it names a user (so the log shows whose account is tried), else a
    placeholder: an unknown «username» is often a password typed in the wrong field."""
    if get_user_model().objects.filter(username__iexact=username).exists():
        return redact(username)
    return "(ukjent brukernavn)"


class ThrottledLoginMixin:
    """``clean`` of Django's AuthenticationForm with the throttle in front of the password check."""

    throttle_message = gettext_lazy("Too many failed logins. Try again in %(minutes)s.")
    retry_after: int = 0  # seconds, when refused by the throttle

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        ip = throttle.client_ip(self.request)
        wait = throttle.blocked_for(username, ip)
        if wait:
            self.retry_after = wait
            log.warning(
                "Innlogging sperret (for mange feil): brukernavn %s fra %s, %d s igjen",
                _username_for_log(username),
                ip,
                wait,
            )
            raise forms.ValidationError(str(self.throttle_message) % {"minutes": _minutes_text(wait)}, code="throttled")
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            user_count, ip_count = throttle.record_failure(username, ip)
            log.warning(
                "Mislykket innlogging: brukernavn %s fra %s (%d for brukernavnet, %d fra adressen)",
                _username_for_log(username),
                ip,
                user_count,
                ip_count,
            )
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        throttle.record_success(username)
        return self.cleaned_data

    @property
    def throttled(self) -> bool:
        return bool(self.retry_after)


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """For ``admin.site.login_form``: the same limits on the admin's login page."""
