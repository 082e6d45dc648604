"""Browser: every main page of the menu opens for a user who has it, passes axe-core (no serious or
critical violations, WCAG 2.1 A/AA), has no CSP violation or script error, and is photographed to
test-artifacts/screenshots/side-<name>.png. A page not yet in the URL configuration is skipped."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from playwright.sync_api import expect

TRONDHEIM, IMDI = "saksbehandler-trondheim", "admin-imdi"

# (screenshot name, URL name, user, URL arguments[, query]); an argument "@key" is the DUF-nummer of
# the world's person «key», "#key" the id of its user «key», anything else is taken as it is.
PAGES = [
    ("arbeidsflate", "worklist", TRONDHEIM, ()),
    ("bosetting", "settlements", IMDI, ()),
    ("personer", "persons", TRONDHEIM, ()),
    ("person-med-avvik", "person", TRONDHEIM, ("@avvik",)),
    ("person-historikk", "person_history", TRONDHEIM, ("@deltaker",)),
    # All 357 municipalities make axe take ~12 s; the county's (same template, same rows) are enough.
    ("kommuner", "municipalities", TRONDHEIM, (), {"q": "Trøndelag"}),
    ("kommune-trondheim", "municipality", TRONDHEIM, ("5001",)),
    ("organisasjoner", "organisations", IMDI, ()),
    ("organisasjon-trondheim", "organisation", IMDI, ("k-5001",)),
    ("regelmotor", "rules", TRONDHEIM, ()),
    ("regelmotor-forklar-person", "rules_explain", TRONDHEIM, ("@deltaker",)),
    ("hjelpetekster", "help_texts", IMDI, ()),
    ("hjelpetekst-rediger", "help_text_edit", IMDI, ("person.grunndata",)),
    ("administrering", "administration", IMDI, ()),
    ("administrering-brukere", "admin_users", IMDI, ()),
    ("administrering-bruker", "admin_user", IMDI, ("#trondheim",)),
    ("administrering-ny-bruker", "admin_user_new", IMDI, ()),
    ("administrering-klienter", "admin_clients", IMDI, ()),
    ("tilsyn", "supervision", IMDI, (), {"fylke": "50"}),
    ("tilsyn-kommune", "supervision_municipality", IMDI, ("5001",)),
    ("tilgangslogg", "audit_search", IMDI, ()),
    ("bosettingstall", "settlement_figures", IMDI, (), {"year": "2025"}),
    ("bosetting-ukeliste", "settlement_weekly_list", IMDI, (), {"year": "2025", "week": "10"}),
    # Bosetting (issue 17 § 2): the municipality's pages (IMDi's administrator on its behalf) and the overview
    ("bosetting-kommune", "settlement_municipal", IMDI, (), {"kommune": "5001"}),
    ("bosetting-kapasitet", "settlement_capacity", IMDI, (), {"kommune": "5001"}),
    ("bosetting-vedtak", "settlement_decisions", IMDI, (), {"fylke": "50"}),
    # Bosetting's other pages of its sub-navigation (issue 17 § 7: every Bosetting page axe-checked)
    ("bosetting-behov", "settlement_need", IMDI, ()),
    ("bosetting-anmodning", "settlement_requests", IMDI, ()),
    ("bosetting-saker", "settlement_cases", IMDI, ()),
    ("bosetting-ny-sak", "settlement_case_new", IMDI, ()),
    ("bosetting-fordeling", "settlement_assignment", IMDI, ()),
    ("bosetting-forslag", "settlement_proposals", IMDI, (), {"kommune": "5001"}),
    ("bosetting-avtaler", "settlement_agreements", IMDI, (), {"kommune": "5001"}),
]


@pytest.mark.parametrize(
    ("name", "url_name", "username", "args", "query"),
    [pytest.param(*p[:4], p[4] if len(p) > 4 else {}, id=p[0], marks=pytest.mark.browser(urls=(p[1],))) for p in PAGES],
)
def test_main_page(page, world, login, check_page, name, url_name, username, args, query):
    url = reverse(
        url_name,
        args=[
            world.duf(a[1:]) if a.startswith("@") else world.users[a[1:]].pk if a.startswith("#") else a for a in args
        ],
    )
    if query:
        url += "?" + urlencode(query)
    response = login(page, username, next=url)
    assert page.url.endswith(url), f"login led to {page.url}, not {url}"
    assert response.status == 200, f"{url}: {response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    check_page(page, f"side-{name}")
