"""URL patterns of Tilsyn, the county governor's supervision view (included by nir.web.urls;
views_supervision). Every name has its rule in ``nir.access.policy.WEB_RULES``."""

from django.urls import path

from nir.web import views_supervision as v

urlpatterns = [
    path("tilsyn/", v.overview, name="supervision"),
    path("tilsyn/<str:nr>/", v.municipality, name="supervision_municipality"),
]
