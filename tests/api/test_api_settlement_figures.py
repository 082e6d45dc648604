"""GET /settlement/figures and GET /settlement/weekly-list: the numbers of nir.settlement.figures, the
caller's area only (an area outside it is not found), bad parameters as 400 problems, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import API, assert_problem
from django.core.cache import cache

from nir.access.models import AuditEvent
from nir.testing.builders import make_client
from nir.testing.settlement_builders import SettlementWorld, at

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def world(db, settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    settings.NIR_API_RATE_LIMITS = {"client": None, "user": None}
    cache.clear()
    w = SettlementWorld()
    a = w.case([w.adult(), w.child(D(2018, 1, 1))], permit=D(2025, 1, 10))
    w.settle(a, "5001", D(2025, 3, 5))
    b = w.case([w.um(D(2009, 1, 1), companion=True)], permit=D(2025, 1, 10))
    w.settle(b, "4601", D(2025, 3, 6), recorded=at(2025, 4, 1))  # recorded late
    w.decision("4601", 2025, 3, 1, at(2025, 2, 1))


def figures(client, headers, **query):
    return client.get(f"{API}/settlement/figures", query, headers=headers)


def value(doc, key):
    return next(f["value"] for f in doc["figures"] if f["key"] == key)


def test_imdi_reads_the_country_as_known_at_any_moment(world, client):
    h = make_client("imdi", "imdi-bosetting", ["nir:settlement.read"]).headers()
    r = figures(client, h, year="2025")
    assert r.status_code == 200, r.content
    doc = r.json()
    assert doc["area"] == {"code": "", "kind": "national", "label": "Hele landet"}
    assert (value(doc, "settled"), value(doc, "settled_um_companion"), value(doc, "decided")) == (3, 1, 3)
    counties = {c["code"]: c["settled"] for c in doc["counties"]}
    assert (counties["46"], counties["50"], counties["03"], len(counties)) == (1, 2, 0, 15)
    regions = {r["code"]: r["settled"] for r in doc["regions"]}
    assert doc["monthly"][2]["settled"] == 3 and regions["region-vest"] == 1 and regions["region-midt"] == 2
    before = figures(client, h, year="2025", known_at="2025-03-31").json()
    assert value(before, "settled") == 2  # Bergen's settlement was recorded 1.4.
    assert value(figures(client, h, year="2025", area="region-vest").json(), "settled") == 1
    event = AuditEvent.objects.filter(what="settlement:figures", channel="api").first()
    assert event.action == "statistics" and event.filters["year"] == 2025


def test_a_county_municipality_reads_its_county_only(world, client):
    h = make_client("f-46", "vestland-fk", ["nir:settlement.read"]).headers()
    doc = figures(client, h, year="2025").json()
    assert doc["area"]["label"] == "Vestland" and value(doc, "settled") == 1
    assert [m["code"] for m in doc["municipalities"]] == ["4601"] and doc["regions"] == []
    assert_problem(figures(client, h, year="2025", area="5001"), 404)
    assert_problem(figures(client, h, year="2025", area="region-midt"), 404)
    wl = client.get(f"{API}/settlement/weekly-list", {"year": "2025", "week": "10"}, headers=h).json()
    assert [m["code"] for m in wl["municipalities"]] == ["4601"]
    assert wl["municipalities"][0]["persons"]["16–17"] == 1 and wl["total"]["total"] == 1


def test_weekly_list(world, client):
    h = make_client("imdi", "imdi-bosetting", ["nir:settlement.read"]).headers()
    r = client.get(f"{API}/settlement/weekly-list", {"year": "2025", "week": "10"}, headers=h)
    doc = r.json()
    assert (doc["first"], doc["last"]) == ("2025-03-03", "2025-03-09")
    assert doc["age_groups"][0] == "0–5" and doc["total"]["total"] == 3
    assert {m["code"]: m["total"] for m in doc["municipalities"]} == {"4601": 1, "5001": 2}
    assert AuditEvent.objects.filter(what="settlement:weekly-list", channel="api").exists()


def test_bad_parameters_are_400_problems(world, client):
    h = make_client("imdi", "imdi-bosetting", ["nir:settlement.read"]).headers()
    assert_problem(figures(client, h, year="tjue"), 400, rule="settlement_figures")
    assert_problem(figures(client, h, area="9999"), 400, rule="settlement_figures")
    assert_problem(figures(client, h, known_at="2025-13-01"), 400, rule="settlement_figures")
    r = client.get(f"{API}/settlement/weekly-list", {"year": "2025", "week": "60"}, headers=h)
    assert r.status_code in (400, 422)
    r = client.get(f"{API}/settlement/weekly-list", {"year": "2021", "week": "53"}, headers=h)
    assert_problem(r, 400, rule="settlement_figures")  # 2021 has 52 ISO weeks


def test_without_the_scope_forbidden(world, client):
    h = make_client("k-5001", "fag-5001", ["nir:persons.read"]).headers()
    assert figures(client, h).status_code == 403
