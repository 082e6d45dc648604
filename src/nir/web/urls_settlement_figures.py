"""URL patterns of Bosetting's figures and weekly list (included by nir.web.urls; views_settlement_figures).
Every name has its rule in ``nir.access.policy.WEB_RULES``."""

from django.urls import path

from nir.web import views_settlement_figures as v

urlpatterns = [
    path("bosetting/tall/", v.figures_page, name="settlement_figures"),
    path("bosetting/tall/eksport.<str:fmt>", v.figures_export, name="settlement_figures_export"),
    path("bosetting/ukeliste/", v.weekly_page, name="settlement_weekly_list"),
    path("bosetting/ukeliste/eksport.<str:fmt>", v.weekly_export, name="settlement_weekly_list_export"),
]
