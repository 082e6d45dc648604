"""URL patterns of Bosetting's municipal pages: request and decision, capacity, IMDi's overview
(included by nir.web.urls; views_settlement_municipal). Every name has its rule in
``nir.access.policy.WEB_RULES``."""

from django.urls import path

from nir.web import views_settlement_municipal as v

urlpatterns = [
    path("bosetting/kommune/", v.municipal_page, name="settlement_municipal"),
    path("bosetting/kapasitet/", v.capacity_page, name="settlement_capacity"),
    path("bosetting/kapasitet/<int:line_id>/", v.capacity_line_page, name="settlement_capacity_line"),
    path("bosetting/vedtak/", v.decisions_overview, name="settlement_decisions"),
    path("bosetting/vedtak/eksport.<slug:fmt>", v.decisions_export, name="settlement_decisions_export"),
]
