"""GET /api/v1/codes, /reports/{id}, /statistics and the OpenAPI schema."""

from __future__ import annotations

import pytest
from api_helpers import API, assert_problem

from nir import codes

pytestmark = pytest.mark.django_db


def test_code_lists(users, as_user):
    c = as_user("trondheim")
    lists = c.get(f"{API}/codes").json()
    assert {x["name"] for x in lists} == set(codes.all_lists())
    r = c.get(f"{API}/codes/decision_type")
    assert r.status_code == 200
    body = r.json()
    loss = next(x for x in body["codes"] if x["code"] == "loss_due_to_work")
    assert loss["valid_from"] == "2026-01-01" and loss["valid_to"] is None
    assert loss["label"].startswith("Bortfall") and isinstance(loss["verified"], bool) and loss["source"]
    assert_problem(c.get(f"{API}/codes/nope"), 404)


def test_report_in_scope(world, as_user):
    r = as_user("trondheim").get(f"{API}/reports/personliste")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["report"] == "personliste" and body["count"] == 3 and body["law"] == "integreringsloven"
    assert {row["duf"] for row in body["rows"]} == {world[k].duf for k in ("anne", "tor", "sara")}
    all_ = as_user("imdi").get(f"{API}/reports/personliste").json()
    assert all_["count"] == 4
    # A user of no organisation holds no role: no reports at all (nir.access.policy).
    assert_problem(as_user("none").get(f"{API}/reports/personliste"), 403, rule="report.read")


def test_report_bad_filters_are_400_in_norwegian(world, as_user):
    c = as_user("imdi")
    body = assert_problem(c.get(f"{API}/reports/avvik-sluttmaal", {"avvik": "nope"}), 400)
    assert "ukjent avvik" in body["detail"]
    assert "dato" in assert_problem(c.get(f"{API}/reports/personliste", {"as_of": "2026-02-30"}), 400)["detail"]
    assert_problem(c.get(f"{API}/reports/personliste", {"from": "2026-01-01"}), 400)
    assert_problem(c.get(f"{API}/reports/nope"), 404)


def test_statistics(world, as_user):
    r = as_user("imdi").get(f"{API}/statistics", {"year": "2026", "by": "county"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["statistics"] == "aarsstatistikk" and body["year"] == 2026 and body["figures"] and body["rows"]
    # What the figures count, as the caller may see it: «Hele landet» only for IMDi (issue 16 § 4).
    assert body["area_label"] == "Hele landet"
    assert as_user("trondheim").get(f"{API}/statistics", {"year": "2026"}).json()["area_label"] == (
        "Trondheim - Tråante kommune"
    )
    governor = as_user("governor").get(f"{API}/statistics", {"year": "2026"}).json()
    assert governor["area_label"] == "Trøndelag - Trööndelage (kommunene du har tilgang til)"
    assert governor["rows"][0]["name"] == governor["area_label"]
    assert_problem(as_user("imdi").get(f"{API}/statistics", {"year": "1900"}), 400)
    assert_problem(as_user("imdi").get(f"{API}/statistics", {"year": "2026", "by": "planet"}), 400)


def test_openapi_schema_documents_every_operation(users, client):
    r = client.get(f"{API}/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.") and schema["info"]["version"] == "1"
    assert "Problem" in schema["components"]["schemas"]
    expected = {
        "/api/v1/persons/{duf}",
        "/api/v1/persons",
        "/api/v1/codes",
        "/api/v1/codes/{name}",
        "/api/v1/reports/{report_id}",
        "/api/v1/statistics",
    } | {
        f"/api/v1/persons/{{duf}}/{k}"
        for k in (
            "decisions",
            "final-goals",
            "participation",
            "measures",
            "absences",
            "terminations",
            "career-guidance",
        )
    }
    assert expected <= set(schema["paths"])
    for path, item in schema["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            ok = [s for s in responses if s.startswith("2")]
            assert ok, (path, method)
            for status in ("400", "401", "403", "404", "422"):
                content = responses[status]["content"]
                assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem"), (path, method)
            assert op["security"], (path, method)
    assert client.get(f"{API}/docs").status_code == 200


def test_openapi_schema_is_valid(users, client):
    import schemathesis

    schema = schemathesis.openapi.from_dict(client.get(f"{API}/openapi.json").json())
    ops = [r.ok() for r in schema.get_all_operations()]
    # 13 single operations, POST /batches, a correction and an annulment per kind (28), the three of moves,
    # the two of supervision, the correction of the person's details, the two of plausibility warnings
    # (GET /persons/{duf}/warnings, POST …/acknowledgements); Bosetting: GET /settlement/requests/{year},
    # GET /settlement/figures, GET /settlement/weekly-list, the seven of a municipality's settlement decisions
    # and capacity (issue 17)
    # + the grants' facts (issue 20): 4 registrations, 8 corrections and annulments; the rates and a person's grants
    assert len(ops) == 92
    # + 10 of settlement cases (issue 17), the recommendation for a case (issue 18)
