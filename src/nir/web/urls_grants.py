"""Tilskudd: the grants' pages (nir.web.views_grants) and the payment rounds' (nir.web.views_grants_rounds)."""

from django.urls import path

from nir.web import views_grants, views_grants_rounds

urlpatterns = [
    path("tilskudd/", views_grants.grants_home, name="grants"),
    path("tilskudd/satser/", views_grants.grants_rates, name="grants_rates"),
    path("tilskudd/satser/<str:code>/", views_grants.grants_rate, name="grants_rate"),
    # the payment rounds (issue 20 § 4): a round, one recipient's statement and its export, the error reports
    path("tilskudd/feil/", views_grants_rounds.error_reports_page, name="grants_error_reports"),
    path("tilskudd/termin/<int:year>/<int:quarter>/", views_grants_rounds.round_page, name="grants_round"),
    path(
        "tilskudd/termin/<int:year>/<int:quarter>/<str:recipient>/",
        views_grants_rounds.statement_page,
        name="grants_statement",
    ),
    path(
        "tilskudd/termin/<int:year>/<int:quarter>/<str:recipient>/eksport.<str:fmt>",
        views_grants_rounds.statement_export,
        name="grants_statement_export",
    ),
    # before personer/<duf>/… catch-alls: a person's grants (read of the person, audited)
    path("personer/<str:duf>/tilskudd/", views_grants.person_grants_page, name="person_grants"),
]
