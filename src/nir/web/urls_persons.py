"""URL patterns of Personer (included by nir.web.urls): search and person lists, the person page,
its sections (htmx), its history and the «+ Legg til» forms (nir.web.persons).

Every name has its rule in ``nir.access.policy.WEB_RULES``.
"""

from django.urls import path

from nir.web.persons import moves, search, views

urlpatterns = [
    path("personer/", search.persons, name="persons"),
    path("personer/flyttinger/", moves.person_moves, name="person_moves"),
    path("personer/<str:duf>/flytting/", moves.person_move, name="person_move"),
    path("personer/<str:duf>/", views.person, name="person"),
    path("personer/<str:duf>/seksjon/<slug:section>/", views.person_section, name="person_section"),
    path("personer/<str:duf>/historikk/", views.person_history, name="person_history"),
    path("personer/<str:duf>/ny/<slug:kind>/", views.person_add, name="person_add"),
]
