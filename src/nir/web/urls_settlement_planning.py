"""URL patterns of Bosetting's need and request pages for IMDi (included by nir.web.urls;
views_settlement_planning). Every name has its rule in ``nir.access.policy.WEB_RULES``."""

from django.urls import path

from nir.web import views_settlement_planning as v

urlpatterns = [
    path("bosetting/behov/", v.need_page, name="settlement_need"),
    path("bosetting/anmodning/", v.requests_page, name="settlement_requests"),
    path("bosetting/anmodning/<int:year>/<int:number>/", v.round_page, name="settlement_request_round"),
    path(
        "bosetting/anmodning/<int:year>/<int:number>/eksport.<slug:fmt>",
        v.round_export,
        name="settlement_request_export",
    ),
    path("bosetting/anmodning/<int:year>/<int:number>/<str:nr>/", v.line_page, name="settlement_request_line"),
]
