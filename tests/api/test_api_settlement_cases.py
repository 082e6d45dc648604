"""The settlement cases API (issue 17 §§ 3–4): a reception centre's client registers a case and its
mapping, IMDi proposes, the municipality's client answers and settles; access, audit and errors."""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from nir.access.models import AuditEvent, Role
from nir.register import models as rm
from nir.settlement.models import CaseMember, Mapping, SettlementCase
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db, settings, tmp_path, django_user_model):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    settings.NIR_API_RATE_LIMITS = {"client": None, "user": None}
    cache.clear()
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    sc.reception("mottak-annet")
    return {
        "mottak": make_client("mottak-test", "mottak-klient", ["nir:settlement.cases", "nir:settlement.sensitive"]),
        "annet": make_client("mottak-annet", "annet-klient", ["nir:settlement.cases", "nir:settlement.sensitive"]),
        "kommune": make_client(
            "k-5001",
            "kommune-klient",
            ["nir:settlement.municipality", "nir:settlement.sensitive", "nir:settlement.read"],
        ),
        "bergen": make_client("k-4601", "bergen-klient", ["nir:settlement.municipality", "nir:settlement.sensitive"]),
        "imdi": make_user(django_user_model, "api-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "statsforvalter": make_user(django_user_model, "api-sf", "sf-trl", roles=[Role.COUNTY_GOVERNOR]),
    }


def call(client, who, method, path, body=None, **params):
    headers = who.headers() if hasattr(who, "headers") else {}
    if not hasattr(who, "headers"):
        client.force_login(who)
    if method == "get":
        return client.get(f"/api/v1{path}", params, headers=headers)
    return client.post(
        f"/api/v1{path}", json.dumps(body, default=str), content_type="application/json", headers=headers
    )


def case_body(**changes):
    today = timezone.localdate()
    body = {
        "location": "reception",
        "location_name": "Testmottak",
        "location_municipality": "5001",
        "permit_date": str(today - dt.timedelta(days=60)),
        "ready_date": str(today - dt.timedelta(days=30)),
        "special_need_level": "minor",
        "special_need_kinds": ["mental"],
        "members": [
            {
                "first_name": "Amal",
                "last_name": "Testesen",
                "birth_date": "1990-03-04",
                "role": "adult",
                "sex": "female",
                "permit_basis": "utl_28",
            },
        ],
    }
    return {**body, **changes}


def test_case_to_settled_through_the_api(api, client):
    today = timezone.localdate()
    r = call(client, api["mottak"], "post", "/settlement/cases", case_body())
    assert r.status_code == 201, r.content
    case = r.json()
    number, member = case["number"], case["members"][0]["key"]
    assert case["status"] == "ready" and case["special_need_kinds"] == ["mental"]
    r = call(
        client,
        api["mottak"],
        "post",
        f"/settlement/cases/{number}/mappings",
        {
            "member_key": member,
            "kind": "competence",
            "assessed_on": str(today),
            "assessed_by": "Kari, Testmottak",
            "content": {"languages": ["ar"]},
        },
    )
    assert r.status_code == 201, r.content

    # the other reception centre does not see it; the municipality not before it is proposed to it
    assert call(client, api["annet"], "get", f"/settlement/cases/{number}").status_code == 404
    assert call(client, api["kommune"], "get", f"/settlement/cases/{number}").status_code == 404
    assert call(client, api["statsforvalter"], "get", "/settlement/cases").status_code == 403

    sc.capacity("5001", "single_adults", 2, mental_health_services=True)
    r = call(client, api["imdi"], "post", f"/settlement/cases/{number}/proposals", {"municipality": "5001"})
    assert r.status_code == 201, r.content
    proposal = r.json()["id"]
    r = call(client, api["imdi"], "post", f"/settlement/cases/{number}/proposals", {"municipality": "5001"})
    assert r.status_code == 409  # already proposed
    r = call(client, api["imdi"], "post", f"/settlement/cases/{number}/proposals", {"municipality": "4601"})
    assert r.status_code == 403  # outside the office's region

    r = call(client, api["kommune"], "get", "/settlement/proposals")
    assert r.status_code == 200 and [p["id"] for p in r.json()["rows"]] == [proposal]
    detail = r.json()["rows"][0]["case_detail"]
    assert detail["special_need_kinds"] == ["mental"] and "mappings" not in detail
    assert call(client, api["kommune"], "get", f"/settlement/cases/{number}/mappings").status_code == 403
    assert call(client, api["bergen"], "get", f"/settlement/cases/{number}").status_code == 404
    assert call(client, api["bergen"], "get", "/settlement/proposals").json()["rows"] == []

    r = call(client, api["kommune"], "post", f"/settlement/proposals/{proposal}/answer", {"accept": True})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "planned_date"
    r = call(
        client,
        api["kommune"],
        "post",
        f"/settlement/proposals/{proposal}/answer",
        {"accept": True, "planned_date": str(today)},
    )
    assert r.status_code == 201 and r.json()["agreement"]["persons"] == 1
    r = call(client, api["kommune"], "get", f"/settlement/cases/{number}/mappings")
    assert r.status_code == 200 and r.json()["mappings"][0]["content"] == {"languages": ["ar"]}

    r = call(client, api["bergen"], "post", f"/settlement/cases/{number}/settlement", {"settlement_date": str(today)})
    assert r.status_code == 403
    r = call(client, api["kommune"], "post", f"/settlement/cases/{number}/settlement", {"settlement_date": str(today)})
    assert r.status_code == 201, r.content
    done = r.json()
    assert done["status"] == "settled"
    duf = done["settlement"]["persons"][0]["duf"]
    person = rm.Person.objects.get(duf=duf)
    assert rm.Settlement.objects.current().get(person=person).by_agreement
    assert rm.DerivedStatus.objects.current().filter(person=person).exists()
    r = call(client, api["kommune"], "post", f"/settlement/cases/{number}/settlement", {"settlement_date": str(today)})
    assert r.status_code == 409

    reads = AuditEvent.objects.filter(action="read", what__startswith="settlement.")
    assert reads.filter(what="settlement.mappings", filters__cases=[number]).exists()
    assert AuditEvent.objects.filter(what="settlement.settle", api_client__client_id="kommune-klient").exists()


def test_bad_input_is_422_and_nothing_stored(api, client):
    body = case_body(ready_date="2000-01-01")
    body["members"].append({"first_name": "", "last_name": "X", "birth_date": "2090-01-01", "role": "child"})
    r = call(client, api["mottak"], "post", "/settlement/cases", body)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"ready_date", "members.1.first_name", "members.1.birth_date"} <= fields
    r = call(client, api["mottak"], "post", "/settlement/cases", case_body(location="hotel"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location"
    assert not SettlementCase.objects.exists() and not CaseMember.objects.exists()
    # a municipality's client may not register cases
    assert call(client, api["kommune"], "post", "/settlement/cases", case_body()).status_code == 403
    assert not Mapping.objects.exists()


def test_list_filters_and_scope(api, client):
    for i in range(3):
        call(client, api["mottak"], "post", "/settlement/cases", case_body(wishes=f"{i}"))
    call(client, api["annet"], "post", "/settlement/cases", case_body(special_need_level="none", special_need_kinds=[]))
    r = call(client, api["mottak"], "get", "/settlement/cases")
    assert r.json()["count"] == 3
    r = call(client, api["imdi"], "get", "/settlement/cases", special_needs="false")
    assert r.json()["count"] == 1
    r = call(client, api["imdi"], "get", "/settlement/cases", status="ready", limit=2)
    assert r.json()["count"] == 4 and r.json()["shown"] == 2
    assert call(client, api["imdi"], "get", "/settlement/cases", status="settled").json()["count"] == 0
    event = AuditEvent.objects.filter(what="settlement.cases").order_by("-pk").first()
    assert event.action == "read" and len(event.filters["cases"]) == 0
