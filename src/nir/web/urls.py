from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from nir.web import (
    urls_admin,
    urls_grants,
    urls_overview,
    urls_persons,
    urls_settlement_cases,
    urls_settlement_figures,
    urls_settlement_municipal,
    urls_settlement_planning,
    urls_supervision,
    views,
    views_reports,
    views_statistics,
)
from nir.web.login import NirLoginView

# Every named page has a rule in nir.access.policy.WEB_RULES (tests/access/test_access_matrix.py).
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", NirLoginView.as_view(), name="login"),
    # POST only (the header's «Logg ut»); the application's own page after, not Django admin's
    path("logout/", auth_views.LogoutView.as_view(template_name="web/logged_out.html"), name="logout"),
    # the language switch in the page header (POST language, next; nir.web.language)
    path("sprak/", set_language, name="set_language"),
    path("helse/", views.health, name="health"),
    path("rapporter/", views_reports.report_list, name="reports"),
    # Before rapporter/<report_id>/, which would take «aarsstatistikk» for a report id.
    path("rapporter/aarsstatistikk/", views_statistics.statistics_page, name="statistics"),
    path("rapporter/aarsstatistikk/eksport.<slug:fmt>", views_statistics.statistics_export, name="statistics_export"),
    path("rapporter/aarsrapport/<str:area>/<str:year>/", views_statistics.yearly_report, name="yearly_report"),
    path("rapporter/<slug:report_id>/", views_reports.report, name="report"),
    path("rapporter/<slug:report_id>/eksport.<slug:fmt>", views_reports.report_export, name="report_export"),
    # Arbeidsflate, Bosetting, Kommuner
    path("", include(urls_overview)),
    # Bosetting for IMDi: the need and the request (anmodning)
    path("", include(urls_settlement_planning)),
    # Tilskudd: grants, rates, a person's grants (before the person pages' patterns)
    path("", include(urls_grants)),
    # Personer: search, lists, the person page and its registrations
    path("", include(urls_persons)),
    # Bosetting: settlement cases, assignment, proposals, agreements (issue 17)
    path("", include(urls_settlement_cases)),
    # Tilsyn: the county governor's supervision view
    path("", include(urls_supervision)),
    # Bosetting: the settlement figures and the weekly list
    path("", include(urls_settlement_figures)),
    # Bosetting: a municipality's request, decision and capacity; IMDi's overview of them (issue 17 § 2)
    path("", include(urls_settlement_municipal)),
    # Regelmotor, Organisasjoner, Hjelpetekster, Administrering
    path("", include(urls_admin)),
]
