"""One Bosetting navigation (issue 17 § 7): every Bosetting page is in the sub-navigation of a user who
may open it — and in no other's — in the order of the process, on every Bosetting page, with
``aria-current`` on the page shown; the main menu's «Bosetting» leads each role to a page it may open;
and the landing page (``/bosetting/``) counts what needs doing per role."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from nir.access.models import Organisation, OrganisationKind, Role
from nir.actions.acting import Acting
from nir.settlement.actions import assignment, cases, planning
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user
from nir.web import settlement_landing
from nir.web.menu import menu_for
from nir.web.settlement_nav import PAGES

pytestmark = pytest.mark.django_db

# The process order the navigation shows (settlement.md § 1): url name, label in bokmål.
ORDER = [
    ("settlement_need", "Behov"),
    ("settlement_requests", "Anmodning"),
    ("settlement_decisions", "Vedtak og kapasitet"),
    ("settlement_cases", "Saker"),
    ("settlement_assignment", "Fordeling"),
    ("settlement_proposals", "Forslag"),
    ("settlement_agreements", "Avtaler"),
    ("settlement_municipal", "Kommunens bosetting"),
    ("settlement_capacity", "Kapasitet"),
    ("settlement_figures", "Tall"),
    ("settlement_weekly_list", "Ukeliste"),
    ("settlements", "Bosatte"),
]

# The demo's roles (nir demo, settlement.md § 2) and which Bosetting pages each may open, written out.
EVERY = {name for name, _ in ORDER}
ROLES = {
    "imdi-admin": ("imdi", [Role.IMDI_ADMIN], EVERY),
    "imdi-region": (
        "imdi-midt",
        [Role.SETTLEMENT_CASEWORKER],
        {
            "settlement_decisions",
            "settlement_cases",
            "settlement_assignment",
            "settlement_figures",
            "settlement_weekly_list",
            "settlements",
        },
    ),
    "imdi-planner": (
        "imdi",
        [Role.SETTLEMENT_NATIONAL],
        {
            "settlement_need",
            "settlement_requests",
            "settlement_decisions",
            "settlement_cases",
            "settlement_figures",
            "settlement_weekly_list",
            "settlements",
        },
    ),
    "imdi-analyst": (
        "imdi",
        [Role.IMDI_ANALYST],
        {"settlement_decisions", "settlement_cases", "settlement_figures", "settlement_weekly_list", "settlements"},
    ),
    "coordinator": (
        "k-5001",
        [Role.SETTLEMENT_COORDINATOR],
        {
            "settlement_decisions",
            "settlement_cases",
            "settlement_proposals",
            "settlement_agreements",
            "settlement_municipal",
            "settlement_capacity",
            "settlement_figures",
            "settlement_weekly_list",
            "settlements",
        },
    ),
    "reception": ("mottak-test", [Role.RECEPTION_CASEWORKER], {"settlement_cases", "settlements"}),
    "county-officer": (
        "f-50",
        [Role.COUNTY_OFFICER],
        {"settlement_decisions", "settlement_figures", "settlement_weekly_list", "settlements"},
    ),
    "county-governor": (
        "sf-trl",
        [Role.COUNTY_GOVERNOR],
        {"settlement_decisions", "settlement_figures", "settlement_weekly_list", "settlements"},
    ),
    "municipal-caseworker": ("k-5001", [Role.CASEWORKER], {"settlements"}),
    "researcher": ("forsk-test", [Role.RESEARCHER], set()),
    "no-role": ("k-5001", [], set()),
}

NAV = re.compile(r'<nav aria-label="Bosetting" class="ov-breadcrumbs bs-subnav">(.*?)</nav>', re.S)
LINK = re.compile(r'<a class="ds-link" href="([^"]+)"(?: aria-current="(\w+)")?>([^<]+)</a>')


@pytest.fixture
def orgs():
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    Organisation.objects.get_or_create(
        code="forsk-test", defaults={"kind": OrganisationKind.RESEARCH, "name": "Forskningsinstitutt"}
    )


def nav_of(html: str) -> list[tuple[str, str | None, str]]:
    navs = NAV.findall(html)
    assert len(navs) <= 1
    return LINK.findall(navs[0]) if navs else []


def test_the_navigation_lists_every_bosetting_page_in_process_order():
    assert [(p.url_name, p.label) for p in PAGES] == [(n, p.label) for (n, _), p in zip(ORDER, PAGES, strict=True)]
    from django.utils import translation

    with translation.override("nb"):
        assert [str(p.label) for p in PAGES] == [label for _, label in ORDER]


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_reachable_from_the_navigation_and_none_shown_that_may_not_be_opened(
    role, orgs, client, django_user_model
):
    org, roles, allowed = ROLES[role]
    user = make_user(django_user_model, f"nav-{role}", org, roles=roles)
    client.force_login(user)
    opened = set()
    for name, _label in ORDER:
        r = client.get(reverse(name))
        assert r.status_code in (200, 403), (name, r.status_code)
        if r.status_code == 403:
            continue
        opened.add(name)
        links = nav_of(r.content.decode())
        # the page's own navigation: every page the user may open, in process order, this one current
        assert [text for _, _, text in links] == [lbl for n, lbl in ORDER if n in allowed], name
        assert [(href, cur) for href, cur, text in links if cur] == [(reverse(name), "page")], name
    assert opened == allowed
    # the main menu's «Bosetting» leads to a page the user may open, and only when there is one
    item = [i for i in menu_for(user, None) if str(i["label"]) == "Bosetting"]
    if allowed:
        assert client.get(item[0]["url"]).status_code == 200
    else:
        assert item == []


def test_sub_pages_mark_their_section_and_registering_a_case_is_reached_from_cases(orgs, client, django_user_model):
    reception = make_user(django_user_model, "nav-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER])
    client.force_login(reception)
    html = client.get(reverse("settlement_cases")).content.decode()
    assert f'href="{reverse("settlement_case_new")}"' in html
    links = nav_of(client.get(reverse("settlement_case_new")).content.decode())
    assert [(t, cur) for _, cur, t in links] == [("Saker", "true"), ("Bosatte", "")]
    case = cases.register_case(Acting.for_user(reception, channel="web"), details=sc.details(), members=[sc.adult()])
    links = nav_of(client.get(reverse("settlement_case", args=[case.number])).content.decode())
    assert ("Saker", "true") in [(t, cur) for _, cur, t in links]


# --- the landing page ---------------------------------------------------------------------------


@pytest.fixture
def world(orgs, django_user_model):
    """Three ready cases in Trondheim's region (one in Bergen's), two proposed to Trondheim (one
    answering within 3 days), one agreed for this month; Trondheim's capacity; the year's need."""
    today = timezone.localdate()
    people = {
        "imdi": make_user(django_user_model, "l-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "kommune": make_user(django_user_model, "l-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
        "planner": make_user(django_user_model, "l-plan", "imdi", roles=[Role.SETTLEMENT_NATIONAL]),
        "mottak": make_user(django_user_model, "l-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
    }
    reg = Acting.for_user(people["mottak"], channel="api")
    new = [cases.register_case(reg, details=sc.details(), members=[sc.adult()]) for _ in range(5)]
    cases.register_case(reg, details=sc.details(location_municipality="4601"), members=[sc.adult()])
    sc.capacity("5001", "single_adults", 5)
    imdi = Acting.for_user(people["imdi"], channel="web")
    assignment.propose(imdi, new[0].number, "5001", deadline=today + dt.timedelta(days=2))
    assignment.propose(imdi, new[1].number, "5001", deadline=today + dt.timedelta(days=10))
    agreed = assignment.propose(imdi, new[2].number, "5001", deadline=today + dt.timedelta(days=1))
    assignment.answer(Acting.for_user(people["kommune"], channel="web"), agreed.pk, accept=True, planned_date=today)
    return people


def _counts(groups) -> dict[str, object]:
    return {str(i["label"]): i["count"] for g in groups for i in g["items"]}


def test_landing_counts_for_imdi_the_municipality_and_the_planner(world, client):
    today = timezone.localdate()
    imdi = _counts(settlement_landing.landing(world["imdi"], today))
    assert imdi == {
        "Bosettingsklare saker som ikke er foreslått": 2,  # Trondheim's two left (Bergen's is not in the region)
        "Forslag med svarfrist innen 3 dager": 1,
        "Avtaler med planlagt bosettingsdato denne måneden": 1,
    }
    kommune = settlement_landing.landing(world["kommune"], today)
    assert _counts(kommune) == {
        "Åpne forslag å svare på": 2,
        "Planlagte ankomster denne måneden": 1,
        "Ledig kapasitet": 4,  # five places, one used by the agreement
    }
    assert kommune[0]["items"][0]["detail"] == f"Nærmeste svarfrist {(today + dt.timedelta(days=2)):%d.%m.%Y}"

    planner = settlement_landing.landing(world["planner"], today)
    assert _counts(planner) == {f"Bosettingsbehov {today.year}": None, "Anmodningsrunde sendt": None}
    assert [i["detail"] for i in planner[0]["items"]] == ["Ikke fastsatt", "Ingen anmodningsrunde er sendt ennå"]
    planning.set_need(
        Acting.for_user(world["planner"], channel="web"),
        year=today.year,
        persons=1200,
        um_persons=100,
        decided_on=today,
    )
    planner = settlement_landing.landing(world["planner"], today)
    assert _counts(planner)[f"Bosettingsbehov {today.year}"] == 1200

    # on the page, in bokmål, each a link to where it is done
    client.force_login(world["kommune"])
    html = re.sub(r"\s+", " ", client.get("/bosetting/").content.decode())
    assert "Dette må gjøres" in html
    assert (
        '<a class="ds-link" href="/bosetting/forslag/"><strong class="bs-landing__count">2</strong> Åpne forslag'
        in html
    )
    assert 'href="/bosetting/kapasitet/"><strong class="bs-landing__count">4</strong> Ledig kapasitet' in html
    assert "Bosatte personer" not in html  # no register list for a role that reads no persons
    client.force_login(world["imdi"])
    html = re.sub(r"\s+", " ", client.get("/bosetting/").content.decode())
    assert 'href="/bosetting/fordeling/"><strong class="bs-landing__count">2</strong>' in html
    assert "Bosatte personer" in html  # IMDi's caseworker reads persons: the register's settled too
