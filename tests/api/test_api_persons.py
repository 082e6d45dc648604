"""GET /api/v1/persons/{duf} and /persons: the person with the Regelmotor's status, scope, skjermet address."""

from __future__ import annotations

import pytest
from api_helpers import API, assert_problem

pytestmark = pytest.mark.django_db


def test_person_with_derived_status_and_explanations(world, as_user):
    c = as_user("trondheim")
    r = c.get(f"{API}/persons/{world['anne'].duf}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["duf"] == world["anne"].duf and body["first_name"] == "Anne" and body["birth_date"] == "1990-01-15"
    assert body["national_id"]  # in scope: Trondheim follows her up
    assert body["follow_up"] == {"municipality": "5001", "district": "", "from": "2025-11-01", "to": None}
    assert body["address"]["address"] == "Storgata 1"
    assert body["permits"][0]["basis"] == "utl_28" and body["permits"][0]["basis_label"]
    assert body["settlements"][0] == {
        "municipality": "5001",
        "district": "",
        "date": "2025-11-01",
        "by_agreement": True,
    }
    st = body["status"]
    assert st["law"] == "integreringsloven"
    assert st["intro"]["category"] == "right_and_duty" and st["intro"]["category_label"].startswith("Rett og plikt")
    assert st["intro"]["start_date"] == "2026-01-05" and st["intro"]["deadline"]
    assert isinstance(st["intro"]["absence_workdays"], int) and isinstance(st["norwegian"]["leave_workdays"], int)
    assert st["deviations"] == [] and st["errors"] == []
    assert body["explanations"] and all(e["rule"] and e["source"] for e in body["explanations"])
    assert {"intro.category", "intro.deadline"} <= {e["key"] for e in body["explanations"]}


def test_unknown_person_is_404_problem(world, as_user):
    body = assert_problem(as_user("imdi").get(f"{API}/persons/999999999999"), 404)
    assert "999999999999" in body["detail"]


def test_person_outside_scope_is_not_found(world, as_user):
    assert_problem(as_user("trondheim").get(f"{API}/persons/{world['berit'].duf}"), 404)
    assert_problem(as_user("bergen").get(f"{API}/persons/{world['anne'].duf}"), 404)
    # A user of no organisation holds no role: refused before any person is looked up.
    assert_problem(as_user("none").get(f"{API}/persons/{world['anne'].duf}"), 403, rule="person.read")


def test_imdi_and_county_governor_read(world, as_user):
    c = as_user("imdi")
    for key in ("anne", "berit", "sara"):
        assert c.get(f"{API}/persons/{world[key].duf}").status_code == 200
    g = as_user("governor")  # Trøndelag: Trondheim yes, Bergen no
    assert g.get(f"{API}/persons/{world['anne'].duf}").status_code == 200
    assert_problem(g.get(f"{API}/persons/{world['berit'].duf}"), 404)


def test_protected_identity_hides_address_except_for_imdi(world, as_user):
    body = as_user("trondheim").get(f"{API}/persons/{world['sara'].duf}").json()
    assert body["protected_identity"] is True and body["address"] is None
    assert "Hemmeligveien" not in str(body)
    body = as_user("imdi").get(f"{API}/persons/{world['sara'].duf}").json()
    assert body["address"]["address"] == "Hemmeligveien 1"


def test_unauthenticated_is_401_problem(world, client):
    assert_problem(client.get(f"{API}/persons/{world['anne'].duf}"), 401)
    assert_problem(client.get(f"{API}/persons"), 401)
    assert_problem(
        client.post(f"{API}/persons/{world['anne'].duf}/decisions", {}, content_type="application/json"), 401
    )
    assert_problem(client.get(f"{API}/codes"), 401)


def test_person_list_in_scope_and_paged(world, as_user):
    r = as_user("trondheim").get(f"{API}/persons", {"page_size": 2})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 3 and len(body["rows"]) == 2 and body["page"] == 1
    assert {row["follow_up_municipality"] for row in body["rows"]} == {"5001"}
    page2 = as_user("trondheim").get(f"{API}/persons", {"page_size": 2, "page": 2}).json()
    assert len(page2["rows"]) == 1
    assert {row["duf"] for row in body["rows"] + page2["rows"]} == {world[k].duf for k in ("anne", "tor", "sara")}
    everyone = as_user("imdi").get(f"{API}/persons", {"municipality": "4601"}).json()
    assert [row["duf"] for row in everyone["rows"]] == [world["berit"].duf]
    assert as_user("bergen").get(f"{API}/persons", {"municipality": "5001"}).json()["count"] == 0


def test_person_list_bad_filters(world, as_user):
    c = as_user("imdi")
    body = assert_problem(c.get(f"{API}/persons", {"municipality": "50x"}), 400)
    assert "kommune" in body["detail"]
    assert_problem(c.get(f"{API}/persons", {"category": "nonsense"}), 400)
    assert_problem(c.get(f"{API}/persons", {"page": "abc"}), 422, field="page")
    assert_problem(c.get(f"{API}/persons", {"page_size": "0"}), 422, field="page_size")
