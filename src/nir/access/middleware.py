"""Applies ``nir.access.policy.WEB_RULES`` to every page of the web application.

Deny by default: a page whose URL has no name, or a name without a rule, is refused (403)
— and fails the access-matrix test. An anonymous visitor to a page that needs a login is
sent to the login page; a logged-in user without the page's permission gets 403. The API
(``/api/v1/``, its own authentication) and Django's admin (staff and ``administer``) guard
themselves (``policy.SELF_GUARDED_NAMESPACES``). Which *persons* a page shows is decided by
the page with ``person_scope``.
"""

from __future__ import annotations

import logging

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from nir.access import policy

log = logging.getLogger("nir.security")


def page_rule(resolver_match) -> policy.Rule | None:
    if resolver_match is None:
        return None
    return policy.WEB_RULES.get(resolver_match.url_name or "")


def self_guarded(resolver_match) -> bool:
    return resolver_match is not None and bool(set(resolver_match.namespaces) & policy.SELF_GUARDED_NAMESPACES)


class AccessPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if self_guarded(match):
            return None
        rule = page_rule(match)
        if rule is None:
            log.warning("page without an access rule refused: %s", getattr(match, "url_name", None))
            raise PermissionDenied("Siden har ingen tilgangsregel.")
        if rule.public:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if rule.permission is not None and not policy.allows(user, rule.permission):
            raise PermissionDenied(f"Du har ikke tilgang til {rule.permission.label}.")
        return None
