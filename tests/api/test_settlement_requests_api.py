"""GET /api/v1/settlement/requests/{year}: the request in force with its breakdown; a municipality sees its
own line only, IMDi every line; drafts only for IMDi's planners; audited."""

from __future__ import annotations

import datetime as dt

import pytest

from nir.access import policy
from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.settlement import planning_reads
from nir.settlement.actions import planning
from nir.testing.builders import make_client, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/settlement/requests/2026"


@pytest.fixture
def rounds(settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    settings.NIR_API_RATE_LIMITS = {"client": None, "user": None}
    acting = Acting.system("test")
    planning.set_need(acting, year=2026, persons=18900, um_persons=752, decided_on=dt.date(2025, 12, 16))
    planning.load_indicators(acting)
    first = planning.compute_round(acting, 2026)
    line = planning_reads.round_lines(first, "5001")[0]
    planning.adjust_request(acting, line, persons=line.persons + 10, um_persons=line.um_persons, reason="Ny skole")
    planning.send_round(acting, first)
    draft = planning.compute_round(acting, 2026)
    return first, draft


def login(client, django_user_model, org, role):
    client.force_login(make_user(django_user_model, f"api-{org}-{role}", org, roles=[role]))


def test_a_municipality_sees_its_own_line_with_the_breakdown(client, django_user_model, rounds):
    first, _draft = rounds
    login(client, django_user_model, "k-5001", Role.SETTLEMENT_COORDINATOR)
    r = client.get(URL)
    assert r.status_code == 200
    doc = r.json()
    assert (doc["round"], doc["synthetic"]) == (1, True) and "Syntetiske indikatorer" in doc["notice"]
    (line,) = doc["lines"]
    expected = planning_reads.round_lines(first, "5001")[0]
    assert line["municipality"] == "5001" and line["persons"] == expected.persons
    assert line["adjusted"] and line["adjustment_reason"] == "Ny skole"
    assert line["persons"] == line["computed_persons"] + 10
    parts = line["breakdown"]["criteria"]
    assert sum(p["contribution"] for p in parts) == pytest.approx(line["breakdown"]["score"])
    # the draft (round 2) is not for the municipality
    assert client.get(URL, {"round": 2}).status_code == 404
    assert client.get(URL, {"round": 1}).json()["lines"][0]["municipality"] == "5001"
    event = AuditEvent.objects.filter(what="settlement.requests").order_by("pk").last()
    assert event.filters == {"year": 2026, "round": 1, "municipalities": 1} and event.channel == "api"


def test_imdi_sees_every_line_and_its_planners_the_draft(client, django_user_model, rounds):
    login(client, django_user_model, "imdi", Role.SETTLEMENT_NATIONAL)
    doc = client.get(URL).json()
    assert len(doc["lines"]) == 357 and sum(x["persons"] for x in doc["lines"]) == 18900 + 10
    draft = client.get(URL, {"round": 2}).json()
    assert draft["round"] == 2 and draft["sent_at"] is None and sum(x["persons"] for x in draft["lines"]) == 18900


def test_imdi_caseworker_reads_but_sees_no_draft(client, django_user_model, rounds):
    login(client, django_user_model, "imdi", Role.SETTLEMENT_CASEWORKER)
    assert len(client.get(URL).json()["lines"]) == 357
    assert client.get(URL, {"round": 2}).status_code == 404


def test_a_county_governor_sees_its_county(client, django_user_model, rounds):
    login(client, django_user_model, "sf-trl", Role.COUNTY_GOVERNOR)
    lines = {x["municipality"] for x in client.get(URL).json()["lines"]}
    assert "5001" in lines and all(m.startswith("50") for m in lines)


def test_nothing_sent_is_not_found_and_no_read_permission_is_forbidden(client, django_user_model, rounds):
    login(client, django_user_model, "imdi", Role.SETTLEMENT_NATIONAL)
    assert client.get("/api/v1/settlement/requests/2027").status_code == 404
    assert client.get("/api/v1/settlement/requests/1800").status_code == 404
    client.logout()
    login(client, django_user_model, "k-5001", Role.CASEWORKER)
    assert client.get(URL).status_code == 403


def test_a_municipal_client_with_the_settlement_scope(rounds):
    from django.test import Client

    headers = make_client("k-5001", "fagsystem-bosetting", ["nir:settlement.read"]).headers()
    r = Client().get(URL, headers=headers)
    assert r.status_code == 200 and [x["municipality"] for x in r.json()["lines"]] == ["5001"]
    assert policy.API_RULES["GET /settlement/requests/{year}"].permission == policy.Permission.SETTLEMENT_READ
