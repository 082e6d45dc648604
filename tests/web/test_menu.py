"""The main menu (004): each item only for the roles whose users may open its page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from nir.access.models import Organisation, OrganisationKind, Role
from nir.testing.builders import make_user
from nir.web.menu import MENU, menu_for

pytestmark = pytest.mark.django_db

ALL = [
    "Arbeidsflate",
    "Tilsyn",
    "Bosetting",
    "Personer",
    "Kommuner",
    "Organisasjoner",
    "Rapporter",
    "Tilskudd",
    "Regelmotor",
    "Hjelpetekster",
    "Administrering",
]


def test_every_menu_item_has_its_page():
    for item in MENU:
        for name in (item.url_name, *item.fallbacks):
            reverse(name)


def _labels(user) -> list[str]:
    return [str(i["label"]) for i in menu_for(user, None)]


@pytest.mark.parametrize(
    ("org", "roles", "expected"),
    [
        ("imdi", [Role.IMDI_ADMIN], ALL),
        (
            "k-5001",
            [Role.CASEWORKER],
            ["Arbeidsflate", "Bosetting", "Personer", "Kommuner", "Rapporter", "Tilskudd", "Regelmotor"],
        ),
        (
            "sf-trl",
            [Role.COUNTY_GOVERNOR],
            ["Arbeidsflate", "Tilsyn", "Bosetting", "Personer", "Kommuner", "Rapporter", "Tilskudd", "Regelmotor"],
        ),
        (  # a local administrator: its municipality's users under Administrering
            "k-5001",
            [Role.MUNICIPALITY_ADMIN],
            [
                "Arbeidsflate",
                "Bosetting",
                "Personer",
                "Kommuner",
                "Rapporter",
                "Tilskudd",
                "Regelmotor",
                "Administrering",
            ],
        ),
        ("k-5001", [Role.CAREER_COUNSELLOR], ["Arbeidsflate", "Bosetting", "Personer", "Tilskudd", "Regelmotor"]),
        (
            "imdi",
            [Role.IMDI_ANALYST],
            [
                "Arbeidsflate",
                "Tilsyn",
                "Bosetting",
                "Personer",
                "Kommuner",
                "Rapporter",
                "Tilskudd",
                "Regelmotor",
                "Administrering",
            ],
        ),
        ("k-5001", [], []),
        ("forsk-test", [Role.RESEARCHER], []),
    ],
)
def test_menu_per_role(org, roles, expected, django_user_model):
    Organisation.objects.get_or_create(
        code="forsk-test", defaults={"kind": OrganisationKind.RESEARCH, "name": "Forskningsinstitutt"}
    )
    user = make_user(django_user_model, f"meny-{org}-{len(roles)}", org, roles=roles)
    assert _labels(user) == expected


def test_menu_on_the_page_marks_the_current_section(client, django_user_model):
    client.force_login(make_user(django_user_model, "meny-saksbehandler", "k-5001"))
    html = client.get("/rapporter/").content.decode()
    assert 'aria-label="Hovedmeny"' in html
    assert 'href="/rapporter/" aria-current="page"' in html
    assert "Administrering" not in html
