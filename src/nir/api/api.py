"""The API ``/api/v1/``: one NinjaAPI, its authentication and its problem+json errors.

Authentication (``nir.api.auth.AUTH``) is tried in order: a machine client's OAuth2 bearer
token, then the web application's session. Both apply the operation's access rule
(``nir.access.policy.API_RULES``); every operation is rate-limited per client and user.
Endpoints read the authenticated principal (a ``User`` or a ``ClientPrincipal``) from
``request.auth``.
"""

from __future__ import annotations

from ninja import NinjaAPI

from nir.access import policy
from nir.api import errors
from nir.api.auth import AUTH, PrincipalRateThrottle
from nir.api.schemas import PROBLEM_STATUSES


class NirAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Ninja's schema, with error responses documented as ``application/problem+json``."""
        schema = super().get_openapi_schema(*args, **kwargs)
        bearer = schema.get("components", {}).get("securitySchemes", {}).get("ClientBearer")
        if bearer is not None:  # Ninja writes the attribute name; OpenAPI spells it bearerFormat
            bearer["bearerFormat"] = bearer.pop("bearer_format", "JWT")
            bearer["description"] = (
                "OAuth2 access token from /oauth/token (JWT bearer grant, Maskinporten style); "
                "scopes: " + ", ".join(policy.SCOPES)
            )
        prefix = "/api/v1"
        for path, path_item in schema.get("paths", {}).items():
            for method, op in path_item.items():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                rule = policy.api_rule(method, path[len(prefix) :] if path.startswith(prefix) else path)
                if rule is not None and rule.permission is not None:
                    scopes = [s for s, perms in policy.SCOPE_PERMISSIONS.items() if rule.permission in perms]
                    op["x-nir-permission"] = rule.permission.value
                    op["x-oauth-scopes"] = scopes
                    op["description"] = (
                        op.get("description", "") + f"\n\nTilgang: {rule.permission.label} "
                        f"({rule.permission.value}); klienter: scope {' '.join(scopes)}."
                    ).strip()
                for status, response in op["responses"].items():
                    content = response.get("content") or {}
                    if int(status) >= 400 and "application/json" in content:
                        content[errors.PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


api = NirAPI(
    title="NIR API",
    version="1",
    description="Nasjonalt introduksjonsregister: persons, registrations, code lists and reports (docs/api.md). "
    f"Errors are RFC 9457 problem+json (statuses {', '.join(map(str, PROBLEM_STATUSES))}).",
    auth=AUTH,
    throttle=[PrincipalRateThrottle()],
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

from nir.api import (  # noqa: E402
    batches,
    codes_api,
    grants_api,
    moves,
    persons,
    reports_api,
    revisions,
    settlement_cases,
    settlement_figures,
    settlement_municipal,
    settlement_requests_api,
    supervision_api,
    warnings_api,
)

api.add_router("", persons.router)
api.add_router("", moves.router)
api.add_router("", codes_api.router)
api.add_router("", reports_api.router)
api.add_router("", batches.router)
api.add_router("", revisions.router)
api.add_router("", supervision_api.router)
api.add_router("", settlement_requests_api.router)
api.add_router("", warnings_api.router)
api.add_router("", settlement_figures.router)
api.add_router("", settlement_municipal.router)
api.add_router("", settlement_cases.router)
api.add_router("", grants_api.router)
