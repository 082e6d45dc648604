"""URL patterns of settlement cases, assignment, proposals and agreements (included by nir.web.urls;
views_settlement_cases). Every name has its rule in ``nir.access.policy.WEB_RULES``."""

from django.urls import path

from nir.web import views_settlement_cases as v
from nir.web import views_settlement_recommendation as rv

urlpatterns = [
    path("bosetting/saker/", v.case_list, name="settlement_cases"),
    path("bosetting/saker/ny/", v.case_new, name="settlement_case_new"),
    path("bosetting/saker/<str:nr>/", v.case_page, name="settlement_case"),
    path("bosetting/fordeling/", v.assignment_page, name="settlement_assignment"),
    path("bosetting/forslag/", v.proposals_page, name="settlement_proposals"),
    path("bosetting/avtaler/", v.agreements_page, name="settlement_agreements"),
    path("bosetting/anbefaling/modell/", rv.model_page, name="settlement_recommendation_model"),
]
