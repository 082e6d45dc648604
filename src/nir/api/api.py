"""The API ``/api/v1/``: one NinjaAPI, its authentication and its problem+json errors.

Authentication is a list (``AUTH``), tried in order: for now the web application's
session (``django_auth``, with Ninja's CSRF check on unsafe methods). The OAuth2
client-credentials bearer auth of the next slice goes *first* in this list — no
endpoint changes. Endpoints read the authenticated principal from ``request.auth``.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from nir.api import errors
from nir.api.schemas import PROBLEM_STATUSES

AUTH = [django_auth]


class NirAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Ninja's schema, with error responses documented as ``application/problem+json``."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in schema.get("paths", {}).values():
            for op in path_item.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
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
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

from nir.api import batches, codes_api, persons, reports_api  # noqa: E402

api.add_router("", persons.router)
api.add_router("", codes_api.router)
api.add_router("", reports_api.router)
api.add_router("", batches.router)
