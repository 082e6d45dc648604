"""The changes of a settlement case after registration on its pages (issue 17; docs/settlement.md
«Endringer»): «Endre opplysninger», «Legg til person», «Endre»/«Fjern», «Trekk saken», «Trekk forslaget»,
«Endre planlagt dato» and «Avbryt avtale» — without JavaScript, a required reason, the form shown again
with its input and field errors (422), 409 when the case was changed meanwhile, 403/404 for those who may
not, nothing stored when refused; the history shows who/when/why."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.settlement.actions import assignment, cases
from nir.settlement.models import Agreement, CaseDetails, CaseMember, ProposalAnswer
from nir.settlement.selectors import free_capacity
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db
SYSTEM = Acting.system("Test")


@pytest.fixture
def people(django_user_model):
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    sc.reception("mottak-annet")
    return {
        "imdi": make_user(django_user_model, "e-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "kommune": make_user(django_user_model, "e-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
        "bergen": make_user(django_user_model, "e-bergen", "k-4601", roles=[Role.SETTLEMENT_COORDINATOR]),
        "mottak": make_user(django_user_model, "e-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
        "annet": make_user(django_user_model, "e-annet", "mottak-annet", roles=[Role.RECEPTION_CASEWORKER]),
    }


def a_case(user):
    return cases.register_case(
        Acting.for_user(user, channel="web"),
        details=sc.details(),
        members=[sc.adult(), sc.adult("Bashir", "Testesen", birth_date=dt.date(1988, 1, 2), sex="male")],
    ).number


def text(r):
    return re.sub(r"\s+", " ", r.content.decode())


def details_form(nr, **changes):
    d = CaseDetails.objects.current().get(case__number=nr)
    form = {
        "form": "details",
        "version": str(d.pk),
        "location": d.location,
        "location_name": d.location_name,
        "location_municipality": d.location_municipality,
        "permit_date": str(d.permit_date),
        "ready_date": str(d.ready_date),
        "special_need_level": d.special_need_level,
        "connection_municipality": "",
        "connection_kind": "",
        "wishes": d.wishes,
        "reason": "Feil i registreringen",
    }
    return {**form, **changes}


def test_the_case_page_offers_the_changes_to_those_who_may(people, client):
    nr = a_case(people["mottak"])
    client.force_login(people["mottak"])
    page = text(client.get(f"/bosetting/saker/{nr}/"))
    for label in ("Endre opplysninger", "Legg til person", "Endre <span", "Fjern <span", "Trekk saken"):
        assert label in page, label
    assert "Trekk forslaget" not in page  # IMDi's
    sc.capacity("5001", "single_adults", 5)
    sc.capacity("5001", "families", 5)
    assignment.propose(SYSTEM, nr, "5001")
    client.force_login(people["imdi"])
    page = text(client.get(f"/bosetting/saker/{nr}/"))
    assert "Trekk forslaget" in page and "Endre opplysninger" in page
    client.force_login(people["kommune"])  # the municipality sees the case, changes none of it
    page = text(client.get(f"/bosetting/saker/{nr}/"))
    assert "Endre opplysninger" not in page and "Trekk saken" not in page and "Trekk forslaget" not in page


def test_correct_details_reshows_errors_then_keeps_a_new_version(people, client):
    nr = a_case(people["mottak"])
    client.force_login(people["mottak"])
    before = CaseDetails.objects.count()
    r = client.post(f"/bosetting/saker/{nr}/", details_form(nr, wishes="Nær sjøen", reason=""))
    assert r.status_code == 422
    page = text(r)
    assert "Nær sjøen" in page and "oppgi hvorfor opplysningene rettes" in page and 'aria-invalid="true"' in page
    r = client.post(f"/bosetting/saker/{nr}/", details_form(nr, ready_date="31.02.2026"))
    assert r.status_code == 422 and "31.02.2026" in text(r)
    assert CaseDetails.objects.count() == before
    r = client.post(f"/bosetting/saker/{nr}/", details_form(nr, wishes="Nær sjøen"))
    assert r.status_code == 302 and r["Location"].endswith("?endret=details")
    current = CaseDetails.objects.current().get(case__number=nr)
    assert current.wishes == "Nær sjøen" and current.change_reason == "Feil i registreringen"
    assert AuditEvent.objects.filter(what="settlement.case.correct", filters__case=nr, channel="web").exists()
    page = text(client.get(r["Location"]))
    assert "Opplysningene er rettet." in page
    assert "Feil i registreringen" in page  # the history: who/when/why


def test_a_form_shown_before_a_change_meanwhile_is_refused_with_409(people, client):
    nr = a_case(people["mottak"])
    client.force_login(people["mottak"])
    stale = details_form(nr, wishes="A")
    cases.correct_details(Acting.for_user(people["imdi"], channel="web"), nr, {"wishes": "B"}, "Endret av IMDi")
    r = client.post(f"/bosetting/saker/{nr}/", stale)
    assert r.status_code == 409 and "endret dette i mellomtiden" in text(r)
    assert CaseDetails.objects.current().get(case__number=nr).wishes == "B"


def test_who_may_not_change_gets_403_or_404_and_nothing_is_stored(people, client):
    nr = a_case(people["mottak"])
    form = details_form(nr, wishes="X")
    before = (CaseDetails.objects.count(), CaseMember.objects.count())
    client.force_login(people["annet"])  # another reception centre: not its case
    assert client.post(f"/bosetting/saker/{nr}/", form).status_code == 404
    sc.capacity("5001", "families", 5)
    assignment.propose(SYSTEM, nr, "5001")
    client.force_login(people["kommune"])  # sees it (proposed), may not change it
    assert client.post(f"/bosetting/saker/{nr}/", form).status_code == 403
    assert (CaseDetails.objects.count(), CaseMember.objects.count()) == before


def test_add_correct_and_remove_a_person(people, client):
    nr = a_case(people["mottak"])
    client.force_login(people["mottak"])
    add = {
        "form": "add_member",
        "first_name": "Cia",
        "last_name": "Testesen",
        "birth_date": "2016-04-05",
        "role": "adult",
    }
    r = client.post(f"/bosetting/saker/{nr}/", add)  # a child as adult: refused, shown again
    assert r.status_code == 422 and 'value="Cia"' in text(r) and "en voksen må være 18 år" in text(r)
    r = client.post(f"/bosetting/saker/{nr}/", {**add, "role": "child"})
    assert r.status_code == 302
    child = CaseMember.objects.current().get(case__number=nr, first_name="Cia")
    r = client.post(
        f"/bosetting/saker/{nr}/",
        {
            **add,
            "role": "child",
            "form": "member",
            "target": str(child.key),
            "version": str(child.pk),
            "first_name": "Kia",
            "reason": "Skrivefeil",
        },
    )
    assert r.status_code == 302, text(r)[:2000]
    kia = CaseMember.objects.current().get(case__number=nr, first_name="Kia")
    assert kia.key == child.key and kia.change_reason == "Skrivefeil"
    remove = {"form": "remove_member", "target": str(kia.key), "version": str(kia.pk), "reason": ""}
    r = client.post(f"/bosetting/saker/{nr}/", remove)
    assert r.status_code == 422 and "oppgi hvorfor personen tas ut" in text(r)
    r = client.post(f"/bosetting/saker/{nr}/", {**remove, "reason": "Bor hos far"})
    assert r.status_code == 302
    assert not CaseMember.objects.current().filter(case__number=nr, key=kia.key).exists()
    assert AuditEvent.objects.filter(what="settlement.case.member.remove", filters__case=nr).exists()
    assert "Bor hos far" in text(client.get(f"/bosetting/saker/{nr}/"))


def test_withdraw_proposal_then_case_leaves_the_work_list(people, client):
    nr = a_case(people["mottak"])
    sc.capacity("5001", "families", 5)
    p = assignment.propose(SYSTEM, nr, "5001")
    client.force_login(people["mottak"])
    r = client.post(f"/bosetting/saker/{nr}/", {"form": "withdraw_case", "reason": "Flyttet selv"})
    assert r.status_code == 409 and "forslaget må trekkes først" in text(r)
    client.force_login(people["imdi"])
    r = client.post(f"/bosetting/saker/{nr}/", {"form": "withdraw_proposal", "target": str(p.pk), "reason": ""})
    assert r.status_code == 422 and not ProposalAnswer.objects.filter(proposal=p).exists()
    r = client.post(f"/bosetting/saker/{nr}/", {"form": "withdraw_proposal", "target": str(p.pk), "reason": "Feil"})
    assert r.status_code == 302 and ProposalAnswer.objects.get(proposal=p).answer == "withdrawn"
    assert nr in text(client.get("/bosetting/fordeling/"))  # ready to be proposed again
    assert free_capacity("5001", "families", timezone.localdate()) == 5
    r = client.post(f"/bosetting/saker/{nr}/", {"form": "withdraw_case", "reason": "Flyttet selv"})
    assert r.status_code == 302
    assert nr not in text(client.get("/bosetting/fordeling/"))
    assert AuditEvent.objects.filter(what="settlement.case.withdraw", filters__case=nr).exists()


def test_agreement_date_and_cancellation_on_the_agreements_page(people, client):
    nr = a_case(people["mottak"])
    sc.capacity("5001", "families", 5)
    p = assignment.propose(SYSTEM, nr, "5001")
    today = timezone.localdate()
    assignment.answer(SYSTEM, p.pk, accept=True, planned_date=today + dt.timedelta(days=5))
    agreement = Agreement.objects.current().get(case__number=nr)
    client.force_login(people["kommune"])
    page = text(client.get("/bosetting/avtaler/"))
    assert "Endre planlagt dato" in page and "Avbryt avtale" in page
    form = {
        "form": "planned_date",
        "case": nr,
        "version": str(agreement.pk),
        "planned_date": "2000-01-01",
        "reason": "Bolig",
    }
    r = client.post("/bosetting/avtaler/", form)
    assert r.status_code == 422 and "kan ikke være før i dag" in text(r) and 'value="Bolig"' not in text(r)
    new = str(today + dt.timedelta(days=20))
    r = client.post("/bosetting/avtaler/", {**form, "planned_date": new})
    assert r.status_code == 302
    versions = Agreement.objects.filter(case__number=nr).order_by("pk")
    assert str(versions[1].planned_date) == new and versions[1].change_reason == "Bolig"
    r = client.post("/bosetting/avtaler/", form)  # the version shown is no longer current
    assert r.status_code == 409
    client.force_login(people["bergen"])
    assert "Avbryt avtale" not in text(client.get("/bosetting/avtaler/?kommune=5001"))
    # IMDi's caseworker cancels from the case page; the capacity is free again
    assert free_capacity("5001", "families", today) == 3
    client.force_login(people["imdi"])
    page = text(client.get(f"/bosetting/saker/{nr}/"))
    assert "Avbryt avtale" in page and "Bolig" in page  # the agreement's versions in the history
    current = Agreement.objects.current().get(case__number=nr)
    cancel = {"form": "cancel_agreement", "version": str(current.pk), "reason": "Familien takket nei"}
    r = client.post(f"/bosetting/saker/{nr}/", cancel)
    assert r.status_code == 302
    assert not Agreement.objects.current().filter(case__number=nr).exists()
    assert free_capacity("5001", "families", today) == 5
    assert AuditEvent.objects.filter(what="settlement.agreement.cancel", filters__case=nr).exists()


def test_imdi_of_another_region_may_not_withdraw_the_proposal(people, client, django_user_model):
    sc.imdi_region("imdi-vest", ("46",))
    vest = make_user(django_user_model, "e-vest", "imdi-vest", roles=[Role.SETTLEMENT_CASEWORKER])
    nr = a_case(people["mottak"])
    sc.capacity("5001", "families", 5)
    p = assignment.propose(SYSTEM, nr, "5001")
    client.force_login(vest)
    assert "Trekk forslaget" not in text(client.get(f"/bosetting/saker/{nr}/"))
    r = client.post(f"/bosetting/saker/{nr}/", {"form": "withdraw_proposal", "target": str(p.pk), "reason": "x"})
    assert r.status_code == 403 and not ProposalAnswer.objects.filter(proposal=p).exists()
