"""The language of the pages: bokmål unless the user has chosen English with the switch in the page
header (docs/web.md «Language»).

Django's ``LocaleMiddleware`` follows the browser's Accept-Language when nothing is chosen; NIR does
not: a caseworker whose browser is set to English still gets the register's bokmål until they choose.
The choice is Django's language cookie (``settings.LANGUAGE_COOKIE_NAME``), set by Django's own
``set_language`` view (POST ``/sprak/`` with ``language`` and ``next``; CSRF-protected) and kept for a
year. A cookie naming a language NIR does not offer counts as no choice.
"""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers


def chosen_language(request) -> str:
    """The language the user has chosen (the language cookie), else ``settings.LANGUAGE_CODE``."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    offered = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in offered else settings.LANGUAGE_CODE


class ChosenLanguageMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` that activates the chosen language, never the browser's."""

    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # The answer depends on the language cookie, not on Accept-Language (no URL language prefixes).
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
