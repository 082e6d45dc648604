"""Tilskudd pages (issue 20 § 4): the rates with source and verified flag, a grant type's page, the menu,
and one person's grants, which are a read of the person and audited."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
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
    rates = yaml.safe_load((tmp_path / "rates.yaml").read_text(encoding="utf-8"))
    rates["rates"]["AR-2"]["values"] = [
        {
            "value": 123456,
            "valid_from": "2027-01-01",
            "valid_to": "2027-12-31",
            "source": "Rundskriv 2027",
            "verified": True,
        }
    ]
    (tmp_path / "rates.yaml").write_text(yaml.safe_dump(rates, allow_unicode=True), encoding="utf-8")
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


def test_a_settled_refugee_shows_the_year_1_line_with_its_rate_and_source(caseworker_client, users):
    """grants.md A.2.3 / IT-01: a single adult settled by agreement in 2024 with a Folkeregister address and an
    effectuated permit triggers AR-1 EV at the 2024 rate; the page names the rule and the rate's source."""
    from nir.register import models as m
    from nir.register import services

    actor = Actor.for_user(users["imdi"], source_system="NIR-test")
    r = builders.Register(actor)
    per = r.person("Per", "Enslig", permit=dt.date(2024, 1, 20), settled=dt.date(2024, 3, 15))
    permit = m.ResidencePermit.objects.current().get(person=per)
    services.correct(permit, {"effectuation_date": dt.date(2024, 2, 1)}, "iverksatt", actor, at=builders.T0)
    r.add(per, m.Residence, {"municipality": "5001", "valid_from": dt.date(2024, 3, 15), "source": "folkeregisteret"})
    html = caseworker_client.get(reverse("person_grants", args=[per.duf])).content.decode()
    assert 'data-grant-type="AR-1 EV"' in html
    assert "241" in html and "Samarbeidsdesken" in html
