"""Tilskudd pages (issue 20 § 4): the rates with source and verified flag, a grant type's page, the menu,
and one person's grants, which are a read of the person and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from nir.access.models import AuditEvent
from nir.grants.engine import params as grant_params
from nir.register.actors import Actor
from nir.testing import builders
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "grants-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "grants-5001", "k-5001"),
        "bergen": make_user(django_user_model, "grants-4601", "k-4601"),
    }


@pytest.fixture
def caseworker_client(client, users):
    client.force_login(users["trondheim"])
    return client


@pytest.fixture
def anne(users):
    r = builders.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    return r.person("Anne", "Aas", settled=dt.date(2025, 11, 1))


def test_rates_page_shows_each_rate_with_its_source_and_verified_flag(caseworker_client):
    res = caseworker_client.get(reverse("grants_rates"))
    assert res.status_code == 200
    html = res.content.decode()
    assert "AR-1 EV" in html and "241" in html
    assert "Samarbeidsdesken" in html  # the rate's source
    assert "Ikke verifisert" in html  # …and its flag


def test_a_grant_type_page_lists_its_years_and_says_when_no_rate_is_known(caseworker_client):
    res = caseworker_client.get(reverse("grants_rate", args=["MAPPING"]))
    html = res.content.decode()
    assert res.status_code == 200 and "1344" in html.replace("\xa0", "").replace(" ", "") and "Verifisert" in html
    res = caseworker_client.get(reverse("grants_rate", args=["AR-2"]))
    assert res.status_code == 200 and "Ingen sats funnet" in res.content.decode()
    assert caseworker_client.get(reverse("grants_rate", args=["NOPE"])).status_code == 404


def test_the_menu_offers_tilskudd(caseworker_client):
    assert reverse("grants") in caseworker_client.get(reverse("grants")).content.decode()


def test_a_rate_for_a_new_year_is_data_not_code(tmp_path):
    """grants.md A.9: each January the year's rates are copied in; one more version in rates.yaml."""
    src = grant_params.DATA_DIR
    for f in src.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    text = (tmp_path / "rates.yaml").read_text(encoding="utf-8")
    text = text.replace(
        '  "AR-2":\n    description: "Integreringstilskudd år 2 (årlig sats, opptjenes per måned)"\n    unit: NOK\n'
        "    values: []  # no rate found for any year (grants.md A.9)\n",
        '  "AR-2":\n    description: "Integreringstilskudd år 2"\n    unit: NOK\n    values:\n'
        "      - value: 123456\n        valid_from: 2027-01-01\n        valid_to: 2027-12-31\n"
        '        source: "Rundskriv 2027"\n        verified: true\n',
    )
    ps = grant_params.load(tmp_path)
    r = grant_params.rate(ps, "AR-2", 2027)
    assert r is not None and (r.value, r.source, r.verified) == (123456, "Rundskriv 2027", True)
    assert grant_params.rate(ps, "AR-2", 2026) is None
    assert grant_params.rate(grant_params.default(), "AR-2", 2027) is None


def test_a_persons_grants_page_shows_each_year_and_is_audited(caseworker_client, anne):
    res = caseworker_client.get(reverse("person_grants", args=[anne.duf]))
    html = res.content.decode()
    assert res.status_code == 200
    assert "Tilskuddsår 2025" in html  # from the year of the person's first fact to this year
    assert AuditEvent.objects.filter(what="person:tilskudd").exists()


def test_a_persons_grants_are_not_shown_outside_the_users_scope(client, users, anne):
    client.force_login(users["bergen"])
    assert client.get(reverse("person_grants", args=[anne.duf])).status_code == 404
