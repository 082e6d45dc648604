from django.contrib.auth import views as auth_views
from django.urls import path

from nir.web import views, views_reports

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("helse/", views.health, name="health"),
    path("rapporter/", views_reports.report_list, name="reports"),
    path("rapporter/<slug:report_id>/", views_reports.report, name="report"),
    path("rapporter/<slug:report_id>/eksport.<slug:fmt>", views_reports.report_export, name="report_export"),
]
