"""RFC 9457 problem details (``application/problem+json``) for every error the API returns.

Every error response — refused registrations, request validation, authentication,
access, unknown resources, bad report filters — is one object::

    {"type": "https://nir.imdi.no/problems/registration-refused", "title": "…", "status": 422,
     "detail": "…", "instance": "/api/v1/persons/…/decisions",
     "errors": [{"field": "decision_date", "rule": "required", "message": "mangler (påkrevd)"}]}
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse

from nir.register.errors import Problem

logger = logging.getLogger("nir.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://nir.imdi.no/problems/"

# status -> (type slug, title)
DEFAULTS = {
    400: ("bad-request", "Ugyldig forespørsel"),
    401: ("unauthenticated", "Ikke innlogget"),
    403: ("forbidden", "Ingen tilgang"),
    404: ("not-found", "Finnes ikke"),
    405: ("method-not-allowed", "Metoden er ikke tillatt"),
    409: ("conflict", "Konflikt"),
    413: ("payload-too-large", "For stor forespørsel"),
    422: ("validation", "Ugyldige data"),
    429: ("too-many-requests", "For mange forespørsler"),
    500: ("server-error", "Intern feil"),
}


class ApiProblem(Exception):
    """Raised by an endpoint; rendered as problem+json by the API's exception handler."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: Iterable[Problem | dict] = (),
    ):
        default_slug, default_title = DEFAULTS.get(status, ("error", "Feil"))
        self.status = status
        self.detail = detail
        self.slug = slug or default_slug
        self.title = title or default_title
        self.errors = [e.as_dict() if isinstance(e, Problem) else dict(e) for e in errors]
        super().__init__(detail)


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: Iterable[Problem | dict] = (),
) -> HttpResponse:
    exc = ApiProblem(status, detail, slug=slug, title=title, errors=errors)
    return render(request, exc)


DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


def max_body_bytes() -> int:
    """The largest request body the API reads (``NIR_API_MAX_BODY_BYTES``; nir.api.middleware)."""
    from django.conf import settings

    return int(getattr(settings, "NIR_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return problem_response(
        request,
        413,
        f"Forespørselen er større enn API-ets grense på {limit} byte.",
        slug="payload-too-large",
        title="For stor forespørsel",
        errors=[{"field": "$", "rule": "max_body_bytes", "message": f"høyst {limit} byte"}],
    )


def render(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    body = {
        "type": TYPE_BASE + exc.slug,
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "instance": request.path,
        "errors": [
            {"field": str(e.get("field", "")), "rule": str(e.get("rule", "")), "message": str(e.get("message", ""))}
            for e in exc.errors
        ],
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=exc.status, content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8"
    )


def _field_from_loc(loc) -> str:
    """Ninja's error location (``("body", "payload", "decision_date")``) as the field the client sent."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        if source == "body" and len(parts) > 1:
            parts.pop(0)  # the view's parameter name
    return ".".join(parts) or "$"


_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _sent(body: Any, loc) -> Any:
    """The value the client sent at Ninja's error location ``loc`` (Ninja leaves pydantic's ``input`` out)."""
    parts = [p for p in loc][2:] if loc and loc[0] == "body" else []
    for p in parts:
        if isinstance(body, dict) and isinstance(p, str):
            body = body.get(p)
        elif isinstance(body, list) and isinstance(p, int) and 0 <= p < len(body):
            body = body[p]
        else:
            return None
    return body if parts else None


def validation_errors(errors: list[dict], body: Any = None) -> list[dict]:
    """Ninja's validation errors as ``errors[]``; ``body``: the request's JSON body (to name a date that
    does not exist: «31.02.2026 finnes ikke»)."""
    out = []
    for e in errors:
        rule, message = str(e.get("type", "invalid")), str(e.get("msg", "ugyldig verdi"))
        raw = e.get("input", _sent(body, e.get("loc", ())))
        if rule.startswith("date_") and isinstance(raw, str) and (day := _ISO_DAY.match(raw)):
            # written as a date, but no such day (2026-02-31): say so, as the web form and the import do
            y, mo, d = day.groups()
            rule, message = "date_not_exist", f"{d}.{mo}.{y} finnes ikke"
        out.append({"field": _field_from_loc(e.get("loc", ())), "rule": rule, "message": message})
    return out


def install(api) -> None:
    """Replace Ninja's default exception handlers by problem+json ones."""
    from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
    from django.http import Http404
    from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

    @api.exception_handler(ApiProblem)
    def _problem(request, exc: ApiProblem):
        return render(request, exc)

    @api.exception_handler(ValidationError)
    def _validation(request, exc: ValidationError):
        try:
            body = json.loads(request.body) if request.body else None
        except (ValueError, UnicodeDecodeError):
            body = None
        errors = validation_errors(exc.errors, body)
        return problem_response(
            request,
            422,
            "Forespørselen har ugyldige felt: " + ", ".join(sorted({e["field"] for e in errors})),
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return problem_response(request, 401, "Innlogging kreves (sesjon; API-klienter: bearer-token i neste versjon).")

    @api.exception_handler(AuthorizationError)
    def _forbidden(request, exc):
        return problem_response(request, 403, str(exc.message) if hasattr(exc, "message") else "Ingen tilgang")

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        status = exc.status_code
        detail = str(getattr(exc, "message", "") or exc)
        if status == 400 and "parse" in detail.lower():
            return problem_response(
                request,
                400,
                "Forespørselens innhold er ikke gyldig JSON.",
                slug="invalid-json",
                errors=[{"field": "$", "rule": "json_invalid", "message": "ikke gyldig JSON"}],
            )
        if status == 403 and "csrf" in detail.lower():
            return problem_response(
                request, 403, "CSRF-kontrollen feilet (send X-CSRFToken med sesjonsinnlogging).", slug="csrf"
            )
        return problem_response(request, status, detail)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem_response(request, 404, "Ressursen finnes ikke.")

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return too_large(request, max_body_bytes())

    @api.exception_handler(SuspiciousOperation)
    def _suspicious(request, exc):
        logger.warning("Suspicious API request on %s %s: %s", request.method, request.path, type(exc).__name__)
        return problem_response(request, 400, "Forespørselen kan ikke behandles.")

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        logger.exception("API error on %s %s", request.method, request.path)
        return problem_response(request, 500, "En intern feil oppstod; den er logget.")
