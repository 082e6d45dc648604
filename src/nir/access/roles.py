"""The kinds of organisation and the roles a user holds in one.

Their own module, below both ``nir.access.models`` (which stores them) and ``nir.access.policy``
(which gives each role its permissions), so neither has to import the other to know them.
"""

from __future__ import annotations

from django.db import models


class OrganisationKind(models.TextChoices):
    IMDI = "imdi", "IMDi"
    MUNICIPALITY = "municipality", "Kommune"
    DISTRICT = "district", "Bydel"
    COUNTY = "county", "Fylkeskommune"
    COUNTY_GOVERNOR = "county_governor", "Statsforvalter"
    RESEARCH = "research", "Forskningsinstitusjon"
    # Bosetting (issue 17): who registers households ready for settlement and their mapping
    RECEPTION = "reception", "Mottak/UDI"
    BUFETAT = "bufetat", "Bufetat"


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Saksbehandler"
    MUNICIPALITY_ADMIN = "municipality_admin", "Lokal administrator"
    CAREER_COUNSELLOR = "career_counsellor", "Karriereveileder"
    COUNTY_GOVERNOR = "county_governor", "Statsforvalter (tilsyn)"
    IMDI_ADMIN = "imdi_admin", "IMDi administrator"
    IMDI_ANALYST = "imdi_analyst", "IMDi analytiker"
    SETTLEMENT_CASEWORKER = "settlement_caseworker", "IMDi bosettingssaksbehandler"
    RESEARCHER = "researcher", "Forsker"
    # Bosetting (issue 17, settlement.md § 2)
    SETTLEMENT_NATIONAL = "settlement_national", "IMDi bosetting nasjonalt"
    SETTLEMENT_COORDINATOR = "settlement_coordinator", "Bosettingskoordinator (kommune)"
    RECEPTION_CASEWORKER = "reception_caseworker", "Saksbehandler mottak/UDI/Bufetat"
    COUNTY_OFFICER = "county_officer", "Fylkeskommunen (bosettingstall)"
