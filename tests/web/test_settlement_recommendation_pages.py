"""The recommendation on the Bosetting pages (issue 18): «Anbefalinger» on /bosetting/fordeling/ and on the
case page, «Foreslå» from the ranked list (a non-top choice needs «Begrunnelse for avvik fra
anbefalingen»; refused: 422, nothing stored), no model → a plain message, and IMDi's model page."""

import datetime as dt
import re

import pytest

from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.settlement.actions import cases
from nir.settlement.models import Proposal
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user
from settlement import recommend_fakes as fakes

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    return {
        "imdi": make_user(django_user_model, "wr-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "kommune": make_user(django_user_model, "wr-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
        "mottak": make_user(django_user_model, "wr-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
    }


def family(user, **details):
    return cases.register_case(
        Acting.for_user(user, channel="web"),
        details=sc.details(**details),
        members=[sc.adult(), sc.adult("Omar", "Testesen", sex="male", birth_date=dt.date(1988, 5, 6)), sc.child()],
    )


def text(r):
    return re.sub(r"\s+", " ", r.content.decode())


def test_work_list_shows_the_ranked_municipalities_and_audits_the_case(people, client, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    client.force_login(people["imdi"])
    r = client.get("/bosetting/fordeling/", {"sak": case.number})
    assert r.status_code == 200
    page = text(r)
    section = page[page.index('id="bs-recommendations"') : page.index('id="bs-work"')]
    assert section.index("5001 Trondheim") < section.index("5006 Steinkjer") < section.index("5035 Stjørdal")
    excluded = section[section.index("kommune utelukket") :]
    assert "5014 Frøya" in excluded and ("ikke nok ledige plasser" in excluded or "plasser" in excluded)
    assert "Forventet i arbeid/utdanning" in section and "Begrunnelse for avvik fra anbefalingen" in section
    assert fakes.VERSION in section and "Lavere arbeidsledighet i Trondheim" in section
    work = page[page.index('id="bs-work"') :]
    row = work[work.index(case.number) : work.index("</tr>", work.index(case.number))]
    assert row.index("5001 Trondheim") < row.index("5006 Steinkjer") < row.index("5007 Namsos")
    event = AuditEvent.objects.filter(what="settlement.assignment").latest("pk")
    assert event.filters["recommendation"] == case.number and case.number in event.filters["cases"]


def test_propose_other_than_top_needs_a_reason_then_is_stored_with_the_recommendation(people, client, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    sc.capacity("5006", "families", 10)
    client.force_login(people["imdi"])
    form = {"case": case.number, "recommended": "1", "municipality": "5006", "deadline": "", "override_reason": ""}
    r = client.post("/bosetting/fordeling/", form)
    assert r.status_code == 422
    page = text(r)
    assert 'aria-invalid="true"' in page and "begrunnelse for avvik fra anbefalingen" in page
    assert not Proposal.objects.filter(case=case).exists()
    r = client.post("/bosetting/fordeling/", {**form, "override_reason": "Nettverk i Steinkjer"})
    assert r.status_code == 302
    p = Proposal.objects.get(case=case)
    assert (p.municipality, p.model_version, p.override_reason) == ("5006", fakes.VERSION, "Nettverk i Steinkjer")
    assert [x["number"] for x in p.recommendation["ranked"]][:2] == ["5001", "5006"]


def test_propose_the_top_one_needs_no_reason(people, client, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    sc.capacity("5001", "families", 10)
    client.force_login(people["imdi"])
    r = client.post("/bosetting/fordeling/", {"case": case.number, "recommended": "1", "municipality": "5001"})
    assert r.status_code == 302
    p = Proposal.objects.get(case=case)
    assert p.override_reason == "" and p.recommendation["ranked"][0]["number"] == "5001"


def test_no_model_says_so_plainly(people, client, monkeypatch):
    fakes.install(monkeypatch, model=False)
    case = family(people["mottak"])
    client.force_login(people["imdi"])
    page = text(client.get("/bosetting/fordeling/"))
    assert "Ingen anbefalingsmodell er registrert" in page and "nir settlement train" in page
    assert "Trondheim</li>" not in page  # no «Anbefalt» column content without a model
    page = text(client.get(f"/bosetting/saker/{case.number}/"))
    assert "Ingen anbefalingsmodell er registrert" in page


def test_case_page_shows_it_to_the_caseworker_only(people, client, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    client.force_login(people["imdi"])
    page = text(client.get(f"/bosetting/saker/{case.number}/"))
    assert 'id="bs-recommendations"' in page and "5001 Trondheim" in page
    client.force_login(people["mottak"])  # sees its own case, not the recommendation
    r = client.get(f"/bosetting/saker/{case.number}/")
    assert r.status_code == 200 and 'id="bs-recommendations"' not in text(r)


def test_model_page_for_imdi_only(people, client, monkeypatch):
    fakes.install(monkeypatch)
    client.force_login(people["imdi"])
    r = client.get("/bosetting/anbefaling/modell/")
    assert r.status_code == 200
    page = text(r)
    assert fakes.VERSION in page and "Validering per år holdt utenfor" in page and "Kalibrering" in page
    assert "2022" in page and "HistGradientBoosting" in page and "bootstrap over households" in page
    for who in ("kommune", "mottak"):
        client.force_login(people[who])
        assert client.get("/bosetting/anbefaling/modell/").status_code == 403


def test_model_page_without_a_model(people, client, monkeypatch):
    fakes.install(monkeypatch, model=False)
    client.force_login(people["imdi"])
    r = client.get("/bosetting/anbefaling/modell/")
    assert r.status_code == 200 and "Ingen anbefalingsmodell er registrert" in text(r)


def test_the_model_card_renders_fairness_by_group_as_a_table() -> None:
    """IMDi's model page shows the card's fairness figures by group as a table with a named first column."""
    from nir.web.views_settlement_recommendation import _html

    html = str(_html({"groups": {"sex=F": {"n": 3, "work": 0.5}, "sex=M": {"n": 4, "work": 0.6}}}))
    assert "<table" in html and "<td>sex=F</td><td>3</td><td>0.5</td>" in html and '<th scope="col"></th>' not in html
