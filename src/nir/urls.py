from django.contrib import admin
from django.urls import include, path

from nir.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("nir.web.urls")),
]
