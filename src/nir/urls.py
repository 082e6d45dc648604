from django.contrib import admin
from django.urls import include, path

from nir.access import views as access_views
from nir.access.oidc import oidc_urlpatterns
from nir.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # mozilla_django_oidc.urls, always mounted; 404 unless NIR_OIDC_ENABLED (docs/security.md)
    path("oidc/", include(oidc_urlpatterns())),
    path("oauth/token", access_views.token, name="oauth_token"),
    path("oauth/jwks", access_views.jwks, name="oauth_jwks"),
    path(".well-known/oauth-authorization-server", access_views.metadata, name="oauth_metadata"),
    path("", include("nir.web.urls")),
]
