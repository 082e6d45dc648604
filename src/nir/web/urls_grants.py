"""Tilskudd: the grants' pages (nir.web.views_grants); the payment rounds' pages join them."""

from django.urls import path

from nir.web import views_grants

urlpatterns = [
    path("tilskudd/", views_grants.grants_home, name="grants"),
    path("tilskudd/satser/", views_grants.grants_rates, name="grants_rates"),
    path("tilskudd/satser/<str:code>/", views_grants.grants_rate, name="grants_rate"),
    # before personer/<duf>/… catch-alls: a person's grants (read of the person, audited)
    path("personer/<str:duf>/tilskudd/", views_grants.person_grants_page, name="person_grants"),
]
