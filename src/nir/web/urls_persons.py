"""URL patterns of Personer (included by nir.web.urls): search and person lists, the person page,
its sections (htmx), its history, the «+ Legg til» forms and the «Rett»/«Slett» forms (nir.web.persons).

Every name has its rule in ``nir.access.policy.WEB_RULES``.
"""

from django.urls import path

from nir.web.persons import moves, revision_views, search, views, warnings

urlpatterns = [
    path("personer/", search.persons, name="persons"),
    path("personer/flyttinger/", moves.person_moves, name="person_moves"),
    path("personer/<str:duf>/flytting/", moves.person_move, name="person_move"),
    path("personer/<str:duf>/", views.person, name="person"),
    path("personer/<str:duf>/seksjon/<slug:section>/", views.person_section, name="person_section"),
    path("personer/<str:duf>/historikk/", views.person_history, name="person_history"),
    path("personer/<str:duf>/ny/<slug:kind>/", views.person_add, name="person_add"),
    path("personer/<str:duf>/rett/<slug:kind>/<int:pk>/", revision_views.person_correct, name="person_correct"),
    path("personer/<str:duf>/slett/<slug:kind>/<int:pk>/", revision_views.person_annul, name="person_annul"),
    path(
        "personer/<str:duf>/advarsler/<int:pk>/kontrollert/", warnings.warning_acknowledge, name="warning_acknowledge"
    ),
]
