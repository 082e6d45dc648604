"""URL patterns of Arbeidsflate, Bosetting and Kommuner (included by nir.web.urls; views_overview)."""

from django.urls import path

from nir.web import views_overview as v
from nir.web import views_supervision

urlpatterns = [
    # the work list; a county governor's Arbeidsflate is its supervision view (views_supervision)
    path("arbeidsflate/", views_supervision.worklist_or_supervision, name="worklist"),
    path("arbeidsflate/<slug:section>/", v.worklist_section, name="worklist_section"),
    path("bosetting/", v.settlements, name="settlements"),
    path("kommuner/", v.municipality_list, name="municipalities"),
    path("kommuner/eksport.<slug:fmt>", v.municipality_export, name="municipality_export"),
    path("kommuner/<str:nr>/", v.municipality_detail, name="municipality"),
]
