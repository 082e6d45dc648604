"""The Bosetting pages of settlement cases (issue 17 §§ 3–4): IMDi's case list, case page, registration
form and assignment work list; the municipality's proposals and agreements. No-JS forms shown again
with their input and errors; access and audit per role."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.register import models as rm
from nir.settlement.actions import assignment, cases
from nir.settlement.models import Agreement, CaseDetails, Proposal, SettlementCase
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    return {
        "imdi": make_user(django_user_model, "w-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "kommune": make_user(django_user_model, "w-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
        "bergen": make_user(django_user_model, "w-bergen", "k-4601", roles=[Role.SETTLEMENT_COORDINATOR]),
        "mottak": make_user(django_user_model, "w-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
        "fylke": make_user(django_user_model, "w-fylke", "f-50", roles=[Role.COUNTY_OFFICER]),
    }


def a_case(user, **changes):
    return cases.register_case(
        Acting.for_user(user, channel="web"),
        details=sc.details(special_need_level="minor", special_need_kinds=["mental"], **changes),
        members=[sc.adult()],
    )


def text(r):
    return re.sub(r"\s+", " ", r.content.decode())


def test_register_form_reshows_input_and_errors_then_registers(people, client):
    client.force_login(people["mottak"])
    assert client.get("/bosetting/saker/ny/").status_code == 200
    today = timezone.localdate()
    form = {
        "location": "reception",
        "location_municipality": "5001",
        "permit_date": str(today - dt.timedelta(days=20)),
        "ready_date": str(today - dt.timedelta(days=40)),  # before the permit date
        "special_need_level": "none",
        "m0-first_name": "Amal",
        "m0-last_name": "Testesen",
        "m0-birth_date": "1990-03-04",
        "m0-role": "adult",
        "m0-permit_basis": "utl_28",
        "m1-first_name": "Barn",
        "m1-birth_date": "31.02.2020",
        "m1-role": "child",
    }
    r = client.post("/bosetting/saker/ny/", form)
    assert r.status_code == 422
    page = text(r)
    assert 'value="Amal"' in page and 'value="Barn"' in page  # the input is shown again
    assert "31.02.2020" in page and "dd.mm.yyyy" not in page  # errors in bokmål
    assert not SettlementCase.objects.exists()
    form["ready_date"] = str(today - dt.timedelta(days=10))
    form["m1-birth_date"] = "2020-02-01"
    r = client.post("/bosetting/saker/ny/", form)
    assert r.status_code == 422 and "Etternavn" in text(r) or "mangler" in text(r)  # the child's last name
    form["m1-last_name"] = "Testesen"
    r = client.post("/bosetting/saker/ny/", form)
    assert r.status_code == 302, text(r)[:2000]
    case = SettlementCase.objects.get()
    assert r["Location"].startswith(f"/bosetting/saker/{case.number}/")
    assert CaseDetails.objects.current().get(case=case).location_municipality == "5001"


def test_imdi_proposes_from_the_work_list_and_the_municipality_accepts_and_settles(people, client):
    case = a_case(people["mottak"])
    sc.capacity("5001", "single_adults", 3, mental_health_services=True)
    client.force_login(people["imdi"])
    r = client.get("/bosetting/fordeling/")
    page = text(r)
    assert r.status_code == 200 and case.number in page and "Anbefalinger" in page
    r = client.post("/bosetting/fordeling/", {"case": case.number, "municipality": "5001", "deadline": "31.02.2026"})
    assert r.status_code == 422 and not Proposal.objects.exists()
    r = client.post("/bosetting/fordeling/", {"case": case.number, "municipality": "5001", "deadline": ""})
    assert r.status_code == 302 and Proposal.objects.get().municipality == "5001"

    client.force_login(people["bergen"])
    assert case.number not in text(client.get("/bosetting/forslag/"))
    assert client.get(f"/bosetting/saker/{case.number}/").status_code == 404

    client.force_login(people["kommune"])
    page = text(client.get("/bosetting/forslag/"))
    assert case.number in page and "Psykisk helse" in page  # the special needs, to judge them
    case_page = text(client.get(f"/bosetting/saker/{case.number}/"))
    assert "Kartlegging" not in case_page  # no mapping before agreement
    proposal = Proposal.objects.get()
    r = client.post("/bosetting/forslag/", {"proposal": proposal.pk, "answer": "decline", "reason": ""})
    assert r.status_code == 422 and not Agreement.objects.exists()
    today = timezone.localdate()
    r = client.post("/bosetting/forslag/", {"proposal": proposal.pk, "answer": "accept", "planned_date": str(today)})
    assert r.status_code == 302 and Agreement.objects.current().get().municipality == "5001"
    assert "Kartlegging" in text(client.get(f"/bosetting/saker/{case.number}/"))

    page = text(client.get("/bosetting/avtaler/"))
    assert case.number in page and "Bekreft bosatt" in page
    r = client.post("/bosetting/avtaler/", {"case": case.number, "settlement_date": str(today + dt.timedelta(days=3))})
    assert r.status_code == 422 and not rm.Settlement.objects.exists()
    r = client.post("/bosetting/avtaler/", {"case": case.number, "settlement_date": str(today)})
    assert r.status_code == 302
    assert rm.Settlement.objects.current().get().by_agreement
    reads = AuditEvent.objects.filter(action="read", what__startswith="settlement.", user=people["kommune"])
    assert {"settlement.proposals", "settlement.case", "settlement.agreements"} <= set(
        reads.values_list("what", flat=True)
    )


def test_case_list_per_role(people, client):
    mine = a_case(people["mottak"])
    other = a_case(people["imdi"])
    client.force_login(people["imdi"])
    page = text(client.get("/bosetting/saker/"))
    assert mine.number in page and other.number in page and "Psykisk helse" in page
    page = text(client.get("/bosetting/saker/?behov=nei"))
    assert mine.number not in page
    client.force_login(people["mottak"])
    page = text(client.get("/bosetting/saker/"))
    assert mine.number in page and other.number not in page
    client.force_login(people["kommune"])
    assert mine.number not in text(client.get("/bosetting/saker/"))
    client.force_login(people["fylke"])
    assert client.get("/bosetting/saker/").status_code == 403
    assert client.get("/bosetting/fordeling/").status_code == 403
    assert client.get("/bosetting/forslag/").status_code == 403


def test_the_menu_leads_a_settlement_coordinator_to_its_proposals(people, client):
    client.force_login(people["kommune"])
    r = client.get("/bosetting/forslag/")
    assert 'href="/bosetting/forslag/"' in text(r) and 'href="/bosetting/avtaler/"' in text(r)
    client.force_login(people["imdi"])
    page = text(client.get("/bosetting/saker/"))
    assert 'href="/bosetting/fordeling/"' in page


def test_withdrawn_and_settled_cases_in_the_list(people, client):
    case = a_case(people["imdi"])
    cases.withdraw_case(Acting.for_user(people["imdi"], channel="web"), case.number, "Reist ut")
    client.force_login(people["imdi"])
    assert case.number not in text(client.get("/bosetting/saker/"))
    assert case.number in text(client.get("/bosetting/saker/?status=withdrawn"))
    assert assignment.DEFAULT_DEADLINE_DAYS == 14


def test_case_page_shows_household_mapping_and_history_in_bokmal(people, client):
    from nir.settlement.models import CaseMember

    case = a_case(people["mottak"])
    member = CaseMember.objects.current().get(case=case)
    cases.register_mapping(
        Acting.for_user(people["mottak"], channel="web"),
        case.number,
        member.key,
        {"kind": "competence", "assessed_on": timezone.localdate(), "assessed_by": "Kari, Testmottak"},
    )
    client.force_login(people["imdi"])
    page = text(client.get(f"/bosetting/saker/{case.number}/"))
    assert "Voksen" in page and "Kompetansekartlegging (il. § 6)" in page and "Opprettet" in page
    assert "Psykisk helse" in page  # IMDi's caseworker sees the special needs
    event = AuditEvent.objects.filter(what="settlement.case", user=people["imdi"]).get()
    assert event.filters["cases"] == [case.number]
