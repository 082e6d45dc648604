"""``/grants/rates`` and ``/persons/{duf}/grants`` (issue 20): rates with source and verified flag; a person's
grants in the caller's scope, audited."""

from __future__ import annotations

import datetime as dt

import pytest

from nir.access.models import AuditEvent
from nir.register.actors import Actor
from nir.testing import builders
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "api-grants-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "api-grants-5001", "k-5001"),
        "bergen": make_user(django_user_model, "api-grants-4601", "k-4601"),
    }


def test_rates_list_every_grant_type_with_each_years_rate_source_and_flag(client, users):
    client.force_login(users["trondheim"])
    body = client.get("/api/v1/grants/rates").json()
    by_code = {t["code"]: t for t in body}
    assert by_code["AR-1 EV"]["scheme"] == "integration_grant" and by_code["AR-1 EV"]["budget_post"] == "0671.60"
    (r,) = [r for r in by_code["AR-1 EV"]["rates"] if r["grant_year"] == 2024]
    assert float(r["value"]) == 241100 and r["verified"] is False and "Samarbeidsdesken" in r["source"]
    assert by_code["AR-2"]["rates"] == []  # no rate found: nothing invented
    assert [r["verified"] for r in by_code["MAPPING"]["rates"]] == [True, True]


def test_a_persons_grants_in_scope_audited_and_not_found_outside(client, users):
    r = builders.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    anne = r.person("Anne", "Aas", settled=dt.date(2025, 11, 1))
    client.force_login(users["trondheim"])
    res = client.get(f"/api/v1/persons/{anne.duf}/grants")
    assert res.status_code == 200
    body = res.json()
    assert body["duf"] == anne.duf
    assert body["years"][-1]["grant_year"] == 2025  # from the first fact's year, newest first
    assert AuditEvent.objects.filter(what="person:tilskudd", channel="api").exists()
    client.force_login(users["bergen"])
    assert client.get(f"/api/v1/persons/{anne.duf}/grants").status_code == 404
