"""The recommendation in the API (issue 18): GET /settlement/cases/{number}/recommendation for IMDi's
caseworker (ranked municipalities, excluded ones, model version; audited), refused for others; the
proposal POST stores the recommendation and model version and refuses a non-top choice without an
override reason (422 problem+json, nothing stored)."""

import datetime as dt
import json

import pytest
from django.core.cache import cache

from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.settlement.actions import cases
from nir.settlement.models import Proposal
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_client, make_user
from settlement import recommend_fakes as fakes

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db, settings, tmp_path, django_user_model):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    settings.NIR_API_RATE_LIMITS = {"client": None, "user": None}
    cache.clear()
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    return {
        "imdi": make_user(django_user_model, "apir-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "mottak": make_user(django_user_model, "apir-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
        "kommune": make_client(
            "k-5001", "apir-kommune", ["nir:settlement.municipality", "nir:settlement.sensitive", "nir:settlement.read"]
        ),
    }


def family(user):
    return cases.register_case(
        Acting.for_user(user, channel="web"),
        details=sc.details(),
        members=[sc.adult(), sc.adult("Omar", "Testesen", sex="male", birth_date=dt.date(1988, 5, 6)), sc.child()],
    )


def call(client, who, method, path, body=None):
    headers = who.headers() if hasattr(who, "headers") else {}
    if not hasattr(who, "headers"):
        client.force_login(who)
    if method == "get":
        return client.get(f"/api/v1{path}", headers=headers)
    return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers)


def test_recommendation_for_the_caseworker_audited(api, client, monkeypatch):
    fakes.install(monkeypatch)
    case = family(api["mottak"])
    r = call(client, api["imdi"], "get", f"/settlement/cases/{case.number}/recommendation")
    assert r.status_code == 200, r.content
    doc = r.json()
    assert doc["available"] and doc["model_version"] == fakes.VERSION
    assert [m["municipality"] for m in doc["ranked"]] == ["5001", "5006", "5007", "5025", "5035"]
    top = doc["ranked"][0]
    assert top["work_interval"][0] < top["work"] < top["work_interval"][1] and top["reasons"][0]["text"]
    assert {"municipality": "5014", "name": "Frøya"}.items() <= next(
        e for e in doc["excluded"] if e["municipality"] == "5014"
    ).items()
    event = AuditEvent.objects.filter(what="settlement.recommendation").latest("pk")
    assert event.channel == "api" and event.filters["cases"] == [case.number]


def test_refused_for_a_municipality_and_a_reception_centre(api, client, monkeypatch):
    fakes.install(monkeypatch)
    case = family(api["mottak"])
    r = call(client, api["mottak"], "get", f"/settlement/cases/{case.number}/recommendation")
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("application/problem+json")
    # the municipality does not see a case not proposed to it: not found
    r = call(client, api["kommune"], "get", f"/settlement/cases/{case.number}/recommendation")
    assert r.status_code in (403, 404)
    assert not AuditEvent.objects.filter(what="settlement.recommendation").exists()


def test_unknown_case_404_not_ready_409_and_no_model_said(api, client, monkeypatch):
    fakes.install(monkeypatch)
    r = call(client, api["imdi"], "get", "/settlement/cases/BS-2026-999999/recommendation")
    assert r.status_code == 404
    case = family(api["mottak"])
    sc.capacity("5001", "families", 10)
    assert call(client, api["imdi"], "post", f"/settlement/cases/{case.number}/proposals", {"municipality": "5001"})
    r = call(client, api["imdi"], "get", f"/settlement/cases/{case.number}/recommendation")
    assert r.status_code == 409
    fakes.install(monkeypatch, model=False)
    other = family(api["mottak"])
    r = call(client, api["imdi"], "get", f"/settlement/cases/{other.number}/recommendation")
    assert r.status_code == 200 and not r.json()["available"] and "nir settlement train" in r.json()["message"]


def test_proposal_against_the_recommendation_needs_a_reason(api, client, monkeypatch):
    fakes.install(monkeypatch)
    case = family(api["mottak"])
    sc.capacity("5006", "families", 10)
    rec = call(client, api["imdi"], "get", f"/settlement/cases/{case.number}/recommendation").json()
    # the recommendation is the server's: one the client sends (here claiming 5006 is first) is ignored
    body = {"municipality": "5006", "recommendation": {"ranked": [{"number": "5006"}]}, "model_version": "x"}
    assert [m["municipality"] for m in rec["ranked"]][:2] == ["5001", "5006"]
    r = call(client, api["imdi"], "post", f"/settlement/cases/{case.number}/proposals", body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "override_reason"
    assert not Proposal.objects.filter(case=case).exists()
    r = call(
        client,
        api["imdi"],
        "post",
        f"/settlement/cases/{case.number}/proposals",
        {**body, "override_reason": "Nettverk i Steinkjer"},
    )
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["model_version"] == fakes.VERSION and out["override_reason"] == "Nettverk i Steinkjer"
    assert out["recommendation"]["ranked"][0]["number"] == "5001"
    assert Proposal.objects.get(case=case).recommendation["ranked"][1]["number"] == "5006"
