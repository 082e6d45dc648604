"""The outermost middleware of both chains for ``/api/`` (``settings.MIDDLEWARE``, and so also
``settings.API_BEARER_MIDDLEWARE``; ``nir.handlers``).

* **Body size.** A request body may be up to ``NIR_API_MAX_BODY_BYTES`` (16 MiB by default: the
  documented batch of 10,000 registrations is about 2.7 MB, well over Django's
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` of 2.5 MiB, which still holds for the web pages). A larger
  declared ``Content-Length`` is refused with ``413`` before anything is read.
* **Errors are problem+json.** Every error answer under ``/api/`` that is not already
  ``application/problem+json`` — Django's 404 for an unknown path, Ninja's 405, a 400 for a
  suspicious request, a 500 raised outside the API's own exception handlers — is replaced by the
  problem+json of its status, keeping ``Allow``, ``Retry-After`` and ``WWW-Authenticate``.
* **No caching.** Every ``/api/`` answer carries ``Cache-Control: no-store`` (they hold personal
  data, or refusals that depend on who asks).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from nir.api.errors import DEFAULTS, PROBLEM_CONTENT_TYPE, max_body_bytes, problem_response, too_large

API_PREFIX = "/api/"
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")

GENERIC_DETAIL = {
    400: "Forespørselen kan ikke behandles.",
    404: "Ressursen finnes ikke.",
    405: "Metoden er ikke tillatt for denne ressursen.",
    500: "En intern feil oppstod; den er logget.",
}


def as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    status = response.status_code
    detail = GENERIC_DETAIL.get(status) or DEFAULTS.get(status, ("error", "Feil"))[1]
    problem = problem_response(request, status, detail)
    for name in KEPT_HEADERS:
        if name in response:
            problem[name] = response[name]
    return problem


class ApiProblemMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        response = self._limited(request)
        if response is None:
            response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            response = as_problem(request, response)
        add_never_cache_headers(response)
        return response

    @staticmethod
    def _limited(request: HttpRequest) -> HttpResponse | None:
        """413 for a body over the API's limit; a body over Django's own limit but within the API's is
        read here (Django would refuse it when the view reads ``request.body``)."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(request, 400, "Content-Length er ikke et tall.")
        limit = max_body_bytes()
        if length > limit:
            return too_large(request, limit)
        django_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if django_limit is not None and length > django_limit:
            body = request.read()
            request._body = body  # what HttpRequest.body does itself, without Django's smaller limit
            request._stream = io.BytesIO(body)
        return None
