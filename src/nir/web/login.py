"""The login page: username/password with throttling (the form is
``nir.access.forms.ThrottledAuthenticationForm``), and ID-porten (OIDC) when switched on.

See docs/security.md.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import LoginView, PasswordResetConfirmView
from django.db import transaction
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from nir.access import oidc, users
from nir.access.forms import ThrottledAuthenticationForm


class NirLoginView(LoginView):
    template_name = "web/login.html"
    authentication_form = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = oidc.enabled()
        context["oidc_failed"] = oidc.enabled() and self.request.GET.get("oidc") == "feil"
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


class PasswordSetView(PasswordResetConfirmView):
    """The one-time link an administrator gave a user (``nir.access.users``): the user chooses a
    password (Django's password validators), once; the link then no longer works. Audited with the
    user as the actor."""

    template_name = "web/password_set.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            users.record_password_set(self.request, form.user)
        messages.success(self.request, _("Your password is set. Log in with it."))
        return response
