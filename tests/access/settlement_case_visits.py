"""Settlement cases in the access matrix and the audit coverage (issue 17 §§ 3–4, settlement.md § 2).

The matrix's world gets two cases registered by the reception centre ``mottak-test``: case A is
proposed to Trondheim (5001), case B is agreed with Trondheim. The visits leave the state as it is
(a refused write is as good as an accepted one for access: 409/422 mean access was granted).

Expectations, written out from settlement.md § 2 and the issue, not derived from the policy:
IMDi's administrators and clients do everything; IMDi's settlement caseworker registers cases and
mapping and proposes, reads every case with needs and mapping; IMDi's national staff and analysts read
every case without needs or mapping; the reception centre reads and writes its own cases with their
mapping; the municipality's coordinator (and client) reads the cases proposed to it (the mapping only
after agreement), answers and settles; everyone else gets 403 (no case at all), anonymous 401.
"""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone

from nir.access.models import Role
from nir.actions.acting import Acting
from nir.settlement.actions import assignment, cases
from nir.settlement.models import Proposal, SettlementCase
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user


def make_settlement_cases(django_user_model=None) -> None:
    """Case A (proposed to 5001) and case B (agreed with 5001), registered by mottak-test."""
    from django.contrib.auth import get_user_model

    if SettlementCase.objects.exists():
        return
    sc.reception("mottak-test")
    users = django_user_model or get_user_model()
    reception = make_user(users, "matrise-bs-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER])
    acting = Acting.for_user(reception, channel="web")
    system = Acting.system("Test")
    a = cases.register_case(acting, details=sc.details(), members=[sc.adult("Aida", "Matrise")])
    b = cases.register_case(acting, details=sc.details(), members=[sc.adult("Bilal", "Matrise")])
    sc.capacity("5001", "single_adults", 5)
    assignment.propose(system, a.number, "5001")
    p = assignment.propose(system, b.number, "5001")
    assignment.answer(system, p.pk, accept=True, planned_date=timezone.localdate())


def case_a() -> str:
    return SettlementCase.objects.order_by("pk").values_list("number", flat=True)[0]


def case_b() -> str:
    return SettlementCase.objects.order_by("pk").values_list("number", flat=True)[1]


def _post(c, path, body, h):
    return c.post(f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=h)


def _refused_case_body() -> dict:
    today = timezone.localdate()
    return {
        "location": "reception",
        "permit_date": str(today - dt.timedelta(days=10)),
        "ready_date": str(today - dt.timedelta(days=20)),  # before the permit date: 422 when allowed
        "members": [{"first_name": "X", "last_name": "Y", "birth_date": "1990-01-01", "role": "adult"}],
    }


def _member_a() -> str:
    from nir.settlement.models import CaseMember

    return str(CaseMember.objects.current().filter(case__number=case_a()).values_list("key", flat=True)[0])


def _open_proposal() -> int:
    return Proposal.objects.filter(case__number=case_a()).values_list("pk", flat=True)[0]


# How to call each settlement operation: (test client, headers, duf) -> response.
API_CALLS = {
    "POST /settlement/cases": lambda c, h, duf: _post(c, "/settlement/cases", _refused_case_body(), h),
    "GET /settlement/cases": lambda c, h, duf: c.get("/api/v1/settlement/cases", headers=h),
    "GET /settlement/cases/{number}": lambda c, h, duf: c.get(f"/api/v1/settlement/cases/{case_a()}", headers=h),
    "POST /settlement/cases/{number}/members": lambda c, h, duf: _post(
        c,
        f"/settlement/cases/{case_a()}/members",
        {"first_name": "Z", "last_name": "Z", "birth_date": "1970-01-01", "role": "child"},  # refused: 422
        h,
    ),
    "POST /settlement/cases/{number}/mappings": lambda c, h, duf: _post(
        c,
        f"/settlement/cases/{case_a()}/mappings",
        {
            "member_key": "00000000-0000-0000-0000-000000000000",
            "kind": "competence",
            "assessed_on": "2026-01-01",
            "assessed_by": "x",
        },  # an unknown member: 422 when allowed
        h,
    ),
    "GET /settlement/cases/{number}/mappings": lambda c, h, duf: c.get(
        f"/api/v1/settlement/cases/{case_a()}/mappings", headers=h
    ),
    # case A is proposed (not ready): 200 without a model, 409 with one, once access is granted
    "GET /settlement/cases/{number}/recommendation": lambda c, h, duf: c.get(
        f"/api/v1/settlement/cases/{case_a()}/recommendation", headers=h
    ),
    "POST /settlement/cases/{number}/proposals": lambda c, h, duf: _post(
        c,
        f"/settlement/cases/{case_a()}/proposals",
        {"municipality": "5001"},
        h,  # already proposed: 409
    ),
    "GET /settlement/proposals": lambda c, h, duf: c.get(
        "/api/v1/settlement/proposals", {"municipality": "5001"}, headers=h
    ),
    "POST /settlement/proposals/{proposal_id}/answer": lambda c, h, duf: _post(
        c,
        f"/settlement/proposals/{_open_proposal()}/answer",
        {"accept": True},
        h,  # no planned date: 422
    ),
    "POST /settlement/cases/{number}/settlement": lambda c, h, duf: _post(
        c,
        f"/settlement/cases/{case_b()}/settlement",
        {"settlement_date": str(timezone.localdate() + dt.timedelta(days=30))},  # in the future: 422
        h,
    ),
    # changes after registration: a blank reason is refused (422) once access is granted
    "POST /settlement/cases/{number}/corrections": lambda c, h, duf: _post(
        c, f"/settlement/cases/{case_a()}/corrections", {"reason": " ", "wishes": "x"}, h
    ),
    "POST /settlement/cases/{number}/members/{member_key}/corrections": lambda c, h, duf: _post(
        c, f"/settlement/cases/{case_a()}/members/{_member_a()}/corrections", {"reason": " ", "first_name": "Y"}, h
    ),
    "POST /settlement/cases/{number}/members/{member_key}/removals": lambda c, h, duf: _post(
        c, f"/settlement/cases/{case_a()}/members/{_member_a()}/removals", {"reason": " "}, h
    ),
    "POST /settlement/cases/{number}/withdrawals": lambda c, h, duf: _post(
        c, f"/settlement/cases/{case_a()}/withdrawals", {"reason": " "}, h
    ),
    "POST /settlement/proposals/{proposal_id}/withdrawals": lambda c, h, duf: _post(
        c, f"/settlement/proposals/{_open_proposal()}/withdrawals", {"reason": " "}, h
    ),
    "POST /settlement/cases/{number}/agreement/corrections": lambda c, h, duf: _post(
        c,
        f"/settlement/cases/{case_b()}/agreement/corrections",
        {"planned_date": str(timezone.localdate() + dt.timedelta(days=3)), "reason": " "},
        h,
    ),
    "POST /settlement/cases/{number}/agreement/cancellations": lambda c, h, duf: _post(
        c, f"/settlement/cases/{case_b()}/agreement/cancellations", {"reason": " "}, h
    ),
}

IMDI_ALL = {"imdi-administrator", "klient-imdi"}
IMDI_READERS = IMDI_ALL | {"imdi-analytiker", "imdi-bosetting", "imdi-bosetting-nasjonalt"}
MUNICIPALITY = {"bosettingskoordinator", "klient-kommune"}
CASE_WRITERS = IMDI_ALL | {"imdi-bosetting", "mottak"}
MAPPING_READERS = IMDI_ALL | {"imdi-bosetting", "mottak"}

_OK_FOR = {
    "POST /settlement/cases": CASE_WRITERS,
    "GET /settlement/cases": IMDI_READERS | MUNICIPALITY | {"mottak"},
    "GET /settlement/cases/{number}": IMDI_READERS | MUNICIPALITY | {"mottak"},
    "POST /settlement/cases/{number}/members": CASE_WRITERS,
    "POST /settlement/cases/{number}/mappings": CASE_WRITERS,
    # case A is proposed to 5001, not agreed: its mapping is not the municipality's yet (403)
    "GET /settlement/cases/{number}/mappings": MAPPING_READERS,
    "GET /settlement/cases/{number}/recommendation": IMDI_ALL | {"imdi-bosetting"},
    "POST /settlement/cases/{number}/proposals": IMDI_ALL | {"imdi-bosetting"},
    "GET /settlement/proposals": IMDI_ALL | MUNICIPALITY,
    # IMDi's administrators may act for a municipality; no client scope gives that (ADMINISTER)
    "POST /settlement/proposals/{proposal_id}/answer": {"imdi-administrator"} | MUNICIPALITY,
    "POST /settlement/cases/{number}/settlement": {"imdi-administrator"} | MUNICIPALITY,
    "POST /settlement/cases/{number}/corrections": CASE_WRITERS,
    "POST /settlement/cases/{number}/members/{member_key}/corrections": CASE_WRITERS,
    "POST /settlement/cases/{number}/members/{member_key}/removals": CASE_WRITERS,
    "POST /settlement/cases/{number}/withdrawals": CASE_WRITERS,
    "POST /settlement/proposals/{proposal_id}/withdrawals": IMDI_ALL | {"imdi-bosetting"},
    # the agreement (with 5001): its municipality, or IMDi's caseworker of the region (or administrator)
    "POST /settlement/cases/{number}/agreement/corrections": IMDI_ALL | {"imdi-bosetting"} | MUNICIPALITY,
    "POST /settlement/cases/{number}/agreement/cancellations": IMDI_ALL | {"imdi-bosetting"} | MUNICIPALITY,
}


def api_expected(name: str, op: str, anonymous: bool) -> str:
    if anonymous:
        return "401"
    return "ok" if name in _OK_FOR[op] else "403"


WEB_CALLS = {
    "settlement_cases": ("get", "/bosetting/saker/"),
    "settlement_case": ("get", "/bosetting/saker/{case}/"),
    "settlement_case_new": ("get", "/bosetting/saker/ny/"),
    "settlement_assignment": ("get", "/bosetting/fordeling/"),
    "settlement_proposals": ("get", "/bosetting/forslag/"),
    "settlement_agreements": ("get", "/bosetting/avtaler/"),
    "settlement_recommendation_model": ("get", "/bosetting/anbefaling/modell/"),
}
_WEB_OK_FOR = {
    "settlement_cases": IMDI_READERS | MUNICIPALITY | {"mottak"},
    "settlement_case": IMDI_READERS | MUNICIPALITY | {"mottak"},
    "settlement_case_new": CASE_WRITERS,
    "settlement_assignment": IMDI_ALL | {"imdi-bosetting"},
    "settlement_proposals": IMDI_ALL | MUNICIPALITY,
    "settlement_agreements": IMDI_ALL | MUNICIPALITY,
    # the recommendation model's card (issue 18): IMDi's settlement staff who assign
    "settlement_recommendation_model": IMDI_ALL | {"imdi-bosetting"},
}


def web_expected(name: str, page: str, spec) -> str:
    if spec is None or spec[0] == "client":
        return "login"
    return "ok" if name in _WEB_OK_FOR[page] else "403"


def web_url(path: str) -> str:
    return path.replace("{case}", case_a())


# The audit coverage: every settlement read, by IMDi's client with every scope, answered 200 and audited
# (the settlement's write event, naming the persons written: tests/settlement/test_assignment_workflow.py).
AUDIT_API_VISITS = {
    "GET /settlement/cases": API_CALLS["GET /settlement/cases"],
    "GET /settlement/cases/{number}": API_CALLS["GET /settlement/cases/{number}"],
    "GET /settlement/cases/{number}/mappings": API_CALLS["GET /settlement/cases/{number}/mappings"],
    "GET /settlement/proposals": API_CALLS["GET /settlement/proposals"],
    "GET /settlement/cases/{number}/recommendation": API_CALLS["GET /settlement/cases/{number}/recommendation"],
}
AUDIT_WEB_VISITS = {
    "settlement_cases": lambda duf: ["/bosetting/saker/", "/bosetting/saker/?status=ready&behov=nei"],
    "settlement_case": lambda duf: [f"/bosetting/saker/{case_a()}/"],
    "settlement_assignment": lambda duf: ["/bosetting/fordeling/", "/bosetting/fordeling/?alle=1"],
    "settlement_proposals": lambda duf: ["/bosetting/forslag/?kommune=5001"],
    "settlement_agreements": lambda duf: ["/bosetting/avtaler/?kommune=5001"],
}
