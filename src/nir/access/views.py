"""The OAuth2 endpoints for machine clients: ``/oauth/token``, ``/oauth/jwks`` and the metadata
(``/.well-known/oauth-authorization-server``). See ``nir.access.oauth`` and docs/api.md."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from nir.access import oauth

log = logging.getLogger("nir.security")


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@csrf_exempt  # a machine client authenticates with its signed grant, not a browser session
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    """RFC 6749 § 4 token endpoint for the JWT bearer grant (RFC 7523), as Maskinporten."""
    grant_type = request.POST.get("grant_type", "")
    assertion = request.POST.get("assertion", "")
    try:
        if not assertion:
            raise oauth.OAuthError("invalid_request", "assertion mangler")
        issued = oauth.exchange_grant(assertion, grant_type=grant_type)
    except oauth.OAuthError as e:
        log.info("oauth token refused: %s (%s)", e.error, e.description)
        response = JsonResponse({"error": e.error, "error_description": e.description}, status=e.status)
        if e.status == 401:
            response["WWW-Authenticate"] = 'Bearer error="invalid_client"'
        return _no_store(response)
    log.info("oauth token issued to client %s scope %s", issued.client.client_id, issued.scope)
    return _no_store(
        JsonResponse(
            {
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "scope": issued.scope,
            }
        )
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(oauth.jwks())


@require_GET
def metadata(request: HttpRequest) -> JsonResponse:
    data = oauth.metadata()
    for key in ("token_endpoint", "jwks_uri"):
        data[key] = request.build_absolute_uri(data[key])
    return JsonResponse(data)
