"""The login page: username/password with throttling (the form is
``nir.access.forms.ThrottledAuthenticationForm``), and ID-porten (OIDC) when switched on.

See docs/security.md.
"""

from __future__ import annotations

from django.contrib.auth.views import LoginView

from nir.access import oidc
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
