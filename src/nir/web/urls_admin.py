"""URL patterns of one area of the web application (included by nir.web.urls):
Regelmotor, Organisasjoner, Hjelpetekster and Administrering (users, API clients, the audit log).

Every name has its rule in ``nir.access.policy.WEB_RULES``.
"""

from django.urls import path

from nir.web import views_admin, views_rules
from nir.web.login import PasswordSetView

urlpatterns: list = [
    # Regelmotor: rules, parameters, code lists, re-evaluation status; one person explained
    path("regelmotor/", views_rules.rules_page, name="rules"),
    path("regelmotor/forklar/<str:duf>/", views_rules.explain_person, name="rules_explain"),
    # Organisasjoner
    path("organisasjoner/", views_admin.organisations, name="organisations"),
    path("organisasjoner/<str:code>/", views_admin.organisation, name="organisation"),
    # Administrering
    path("administrering/", views_admin.administration, name="administration"),
    path("administrering/brukere/", views_admin.users, name="admin_users"),
    path("administrering/brukere/ny/", views_admin.user_new, name="admin_user_new"),
    path("administrering/brukere/<int:pk>/", views_admin.user_detail, name="admin_user"),
    # The first password: the one-time link an administrator gave the user (nir.access.users)
    path("passord/<uidb64>/<token>/", PasswordSetView.as_view(), name="password_set"),
    path("administrering/klienter/", views_admin.clients, name="admin_clients"),
    path("administrering/tilgangslogg/", views_admin.audit_search, name="audit_search"),
    path(
        "administrering/tilgangslogg/person/<str:duf>.csv", views_admin.audit_person_export, name="audit_person_export"
    ),
    # Hjelpetekster
    path("hjelpetekster/", views_admin.help_texts, name="help_texts"),
    path("hjelpetekster/<str:key>/", views_admin.help_text_edit, name="help_text_edit"),
]
