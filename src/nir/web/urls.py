from django.contrib.auth import views as auth_views
from django.urls import path

from nir.web import views, views_reports, views_statistics
from nir.web.login import NirLoginView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", NirLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("helse/", views.health, name="health"),
    path("rapporter/", views_reports.report_list, name="reports"),
    # Before rapporter/<report_id>/, which would take «aarsstatistikk» for a report id.
    path("rapporter/aarsstatistikk/", views_statistics.statistics_page, name="statistics"),
    path("rapporter/aarsstatistikk/eksport.<slug:fmt>", views_statistics.statistics_export, name="statistics_export"),
    path("rapporter/aarsrapport/<str:area>/<str:year>/", views_statistics.yearly_report, name="yearly_report"),
    path("rapporter/<slug:report_id>/", views_reports.report, name="report"),
    path("rapporter/<slug:report_id>/eksport.<slug:fmt>", views_reports.report_export, name="report_export"),
]
