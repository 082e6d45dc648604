"""The API of a municipality's decision and capacity (/settlement/…; nir.api.settlement_municipal):
201 with the new version, 403 without the scope, 404 for another municipality, 409 for a stale
version, 422 with every field's problem and nothing stored."""

from __future__ import annotations

import json

import pytest
from api_helpers import API, assert_problem
from django.core.cache import cache
from django.utils import timezone

from nir.access.models import AuditEvent, Role
from nir.settlement.models import CapacityLine, MunicipalDecision
from nir.testing.builders import make_client, make_user

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
DECISION = {"year": YEAR, "status": "decided", "persons": 30, "um_persons": 4, "decision_date": f"{YEAR}-01-20"}
LINE = {"kind": "families", "period_from": f"{YEAR}-01-01", "period_to": f"{YEAR}-03-31", "places": 12}


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    settings.NIR_API_RATE_LIMITS = {"client": None, "user": None}
    cache.clear()


@pytest.fixture
def system():
    """A municipal case system of Trondheim with the scope nir:settlement.municipality."""
    return make_client("k-5001", "bosetting-5001", ["nir:settlement.municipality"]).headers()


def post(client, path, body, headers=None):
    return client.post(f"{API}{path}", json.dumps(body), content_type="application/json", headers=headers or {})


def test_a_case_system_registers_and_changes_the_decision(client, system):
    r = post(client, "/settlement/municipalities/5001/decisions", DECISION, system)
    assert r.status_code == 201, r.content
    first = r.json()
    assert first["persons"] == 30 and first["operation"] == "create" and first["registered_by"]
    r = post(
        client,
        "/settlement/municipalities/5001/decisions",
        {**DECISION, "persons": 35, "reason": "Bystyret endret", "expected": first["id"]},
        system,
    )
    assert r.status_code == 201 and r.json()["key"] == first["key"] and r.json()["change_reason"] == "Bystyret endret"
    r = client.get(f"{API}/settlement/municipalities/5001/decisions", {"year": YEAR}, headers=system)
    body = r.json()
    assert body["status"] == "decided" and body["current"]["persons"] == 35
    assert [d["persons"] for d in body["history"]] == [35, 30]
    # the first version again, stale: someone changed it meanwhile
    r = post(
        client,
        "/settlement/municipalities/5001/decisions",
        {**DECISION, "reason": "gammel", "expected": first["id"]},
        system,
    )
    assert_problem(r, 409, rule="changed_meanwhile", field="expected")
    assert AuditEvent.objects.filter(what="settlement.decision").count() == 2


def test_not_answered(client, system):
    body = client.get(f"{API}/settlement/municipalities/5001/decisions", headers=system).json()
    assert body["status"] == "not_answered" and body["current"] is None and body["history"] == []


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"persons": -3}, "persons"),
        ({"um_persons": 31}, "um_persons"),
        ({"status": "kanskje"}, "status"),
        ({"year": 1999}, "year"),
        ({"decision_date": "2999-01-01"}, "decision_date"),
    ],
)
def test_bad_decisions_are_422_and_nothing_is_stored(client, system, changes, field):
    r = post(client, "/settlement/municipalities/5001/decisions", {**DECISION, **changes}, system)
    assert_problem(r, 422, field=field)
    assert not MunicipalDecision.objects.exists()


def test_a_malformed_date_is_422(client, system):
    r = post(client, "/settlement/municipalities/5001/decisions", {**DECISION, "decision_date": "20.01"}, system)
    assert_problem(r, 422, field="decision_date")


def test_capacity_reported_changed_closed_and_reopened(client, system):
    r = post(client, "/settlement/municipalities/5001/capacity", {**LINE, "largest_household": 6}, system)
    assert r.status_code == 201, r.content
    line = r.json()
    assert (line["places"], line["used"], line["remaining"], line["closed"]) == (12, 0, 12, False)
    r = post(client, f"/settlement/capacity/{line['id']}/corrections", {"reason": "flere", "places": 14}, system)
    assert r.status_code == 201 and r.json()["places"] == 14 and r.json()["largest_household"] == 6
    changed = r.json()
    assert_problem(
        post(client, f"/settlement/capacity/{line['id']}/closures", {}, system), 409, rule="changed_meanwhile"
    )
    r = post(client, f"/settlement/capacity/{changed['id']}/closures", {"reason": "fullt"}, system)
    assert r.status_code == 201 and r.json()["closed"] and r.json()["remaining"] == 0
    closed = r.json()
    assert_problem(post(client, f"/settlement/capacity/{closed['id']}/closures", {}, system), 422, field="closed")
    r = post(client, f"/settlement/capacity/{closed['id']}/reopenings", {}, system)
    assert r.status_code == 201 and not r.json()["closed"]
    lines = client.get(f"{API}/settlement/municipalities/5001/capacity", {"year": YEAR}, headers=system).json()
    assert [ln["places"] for ln in lines["lines"]] == [14]
    assert [e.filters["change"] for e in AuditEvent.objects.filter(what="settlement.capacity").order_by("pk")] == [
        "add",
        "change",
        "close",
        "reopen",
    ]


@pytest.mark.parametrize(
    "body, field",
    [
        (LINE, "largest_household"),
        ({**LINE, "kind": "single_adults", "largest_household": 3}, "largest_household"),
        ({**LINE, "period_from": f"{YEAR}-01-15", "largest_household": 4}, "period_from"),
        ({**LINE, "period_to": f"{YEAR + 1}-01-31", "largest_household": 4}, "period_to"),
        ({**LINE, "places": -1, "largest_household": 4}, "places"),
        ({**LINE, "kind": "x"}, "kind"),
    ],
)
def test_bad_capacity_is_422_and_nothing_is_stored(client, system, body, field):
    assert_problem(post(client, "/settlement/municipalities/5001/capacity", body, system), 422, field=field)
    assert not CapacityLine.objects.exists()


def test_another_municipality_is_not_found(client, system):
    bergen = make_client("k-4601", "bosetting-4601", ["nir:settlement.municipality"]).headers()
    line = post(client, "/settlement/municipalities/5001/capacity", {**LINE, "largest_household": 3}, system).json()
    assert_problem(post(client, "/settlement/municipalities/5001/decisions", DECISION, bergen), 404, rule="not_found")
    assert_problem(client.get(f"{API}/settlement/municipalities/5001/capacity", headers=bergen), 404)
    assert_problem(post(client, f"/settlement/capacity/{line['id']}/closures", {}, bergen), 404, field="id")
    assert_problem(post(client, "/settlement/capacity/999999/closures", {}, system), 404)
    assert_problem(client.get(f"{API}/settlement/municipalities/9999/decisions", headers=system), 404)
    assert not MunicipalDecision.objects.exists()
    assert not CapacityLine.objects.current().filter(closed=True).exists()


def test_without_the_scope_or_role_it_is_403(client, django_user_model):
    reader = make_client("k-5001", "lesing-5001", ["nir:persons.read"]).headers()
    assert_problem(post(client, "/settlement/municipalities/5001/decisions", DECISION, reader), 403)
    governor = make_user(django_user_model, "sf", "sf-trl", roles=[Role.COUNTY_GOVERNOR])
    client.force_login(governor)
    assert_problem(client.get(f"{API}/settlement/municipalities/5001/decisions"), 403)


def test_imdi_administrators_act_on_behalf_of_the_municipality(client, django_user_model):
    admin = make_user(django_user_model, "imdi-admin", "imdi", roles=[Role.IMDI_ADMIN])
    client.force_login(admin)
    r = client.post(
        f"{API}/settlement/municipalities/4601/decisions",
        json.dumps(DECISION),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert MunicipalDecision.objects.get().registered_by_user == admin


def test_as_known_at_a_moment(client, system):
    first = post(client, "/settlement/municipalities/5001/decisions", DECISION, system).json()
    post(client, "/settlement/municipalities/5001/decisions", {**DECISION, "persons": 40, "reason": "x"}, system)
    then = MunicipalDecision.objects.get(pk=first["id"]).recorded_at
    r = client.get(
        f"{API}/settlement/municipalities/5001/decisions", {"year": YEAR, "known_at": then.isoformat()}, headers=system
    )
    body = r.json()
    assert body["current"]["persons"] == 30 and [d["persons"] for d in body["history"]] == [30]
