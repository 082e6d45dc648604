"""Bosetting's municipal pages (nir.web.views_settlement_municipal): the municipality's request and
decision (/bosetting/kommune/), its capacity (/bosetting/kapasitet/…) and IMDi's overview
(/bosetting/vedtak/) — plain forms that re-show the input with each field's message when refused,
only for one's own municipality (IMDi's administrators on its behalf), closed to county governors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.core.cache import cache

from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.settlement.actions import municipal
from nir.settlement.models import CapacityLine, MunicipalDecision
from nir.testing.builders import make_user
from settlement.municipal_support import YEAR, agreement, sent_round

pytestmark = pytest.mark.django_db

DAY = f"20.01.{YEAR}"


@pytest.fixture
def coordinator(client, django_user_model):
    cache.clear()
    user = make_user(django_user_model, "koordinator", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR])
    client.force_login(user)
    return user


def decision_body(**changes):
    return {"status": "decided", "persons": "30", "um_persons": "3", "decision_date": DAY, "note": "", **changes}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_request_page_before_anything_is_sent(client, coordinator):
    r = client.get("/bosetting/kommune/")
    assert r.status_code == 200
    page = text(r)
    assert "5001 Trondheim" in page and "Ingen anmodning sendt ennå." in page and "Ikke svart" in page


def test_the_request_of_the_latest_sent_round_is_shown(client, coordinator):
    sent_round({"5001": (40, 4)})
    page = text(client.get("/bosetting/kommune/"))
    assert f"IMDi anmoder kommunen om å bosette 40 flyktninger i {YEAR}, herav 4 enslige mindreårige." in page


def test_register_and_change_the_decision(client, coordinator):
    r = client.post("/bosetting/kommune/", decision_body(note="Bystyret"))
    assert r.status_code == 302
    first = MunicipalDecision.objects.get()
    assert (first.persons, first.um_persons, first.decision_date) == (30, 3, dt.date(YEAR, 1, 20))
    page = text(client.get(r["Location"]))
    assert "Vedtaket er registrert." in page and "Endre vedtaket" in page
    # a change without a reason: refused, the input shown again
    r = client.post("/bosetting/kommune/", decision_body(persons="35", expected=str(first.pk)))
    assert r.status_code == 422
    page = text(r)
    assert 'value="35"' in page and "begrunnelse kreves når et vedtak endres" in page
    r = client.post("/bosetting/kommune/", decision_body(persons="35", expected=str(first.pk), reason="Flere plasser"))
    assert r.status_code == 302
    page = text(client.get("/bosetting/kommune/"))
    assert "Flere plasser" in page and page.count("(gjeldende)") == 1
    # the first version, stale: someone changed it meanwhile
    r = client.post("/bosetting/kommune/", decision_body(persons="36", expected=str(first.pk), reason="x"))
    assert r.status_code == 409 and "endret av noen andre i mellomtiden" in text(r)
    assert MunicipalDecision.objects.count() == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"um_persons": "31"}, "enslige mindreårige er en del av personene"),
        ({"persons": "tretti"}, "må være et heltall"),
        ({"decision_date": "31.02.2026"}, "ikke en gyldig dato"),
        ({"decision_date": ""}, "mangler (påkrevd)"),
        ({"decision_date": f"01.01.{YEAR + 1}"}, "kan ikke være fram i tid"),
        ({"status": "declined"}, "et avslag har ingen personer"),
    ],
)
def test_bad_input_is_shown_again_with_its_message_and_nothing_is_stored(client, coordinator, changes, message):
    body = decision_body(**changes)
    r = client.post("/bosetting/kommune/", body)
    assert r.status_code == 422
    page = text(r)
    assert message in page and 'aria-invalid="true"' in page
    for field in ("persons", "um_persons", "decision_date"):
        assert f'value="{body[field]}"' in page
    assert not MunicipalDecision.objects.exists()


def test_capacity_reported_used_by_agreements_changed_closed_and_reopened(client, coordinator):
    body = {"kind": "families", "from_month": "1", "to_month": "3", "places": "12", "largest_household": "6"}
    r = client.post("/bosetting/kapasitet/", {**body, "accessible_housing": "on"})
    assert r.status_code == 302, text(r)
    line = CapacityLine.objects.get()
    assert (line.period_from, line.period_to, line.accessible_housing) == (
        dt.date(YEAR, 1, 1),
        dt.date(YEAR, 3, 31),
        True,
    )
    agreement("5001", "families", 5, dt.date(YEAR, 2, 1))
    page = text(client.get("/bosetting/kapasitet/"))
    assert "januar–mars" in page and "tilrettelagt bolig" in page
    assert re.search(r'<td class="num">5</td><td class="num">7</td>', page), page
    r = client.post(f"/bosetting/kapasitet/{line.pk}/", {**body, "places": "15", "handling": "endre"})
    assert r.status_code == 422 and "begrunnelse kreves" in text(r) and 'value="15"' in text(r)
    r = client.post(f"/bosetting/kapasitet/{line.pk}/", {**body, "places": "15", "handling": "endre", "reason": "Ny"})
    assert r.status_code == 302
    changed = CapacityLine.objects.current().get()
    assert changed.places == 15
    assert client.post(f"/bosetting/kapasitet/{changed.pk}/", {"handling": "steng"}).status_code == 302
    assert CapacityLine.objects.current().get().closed
    page = text(client.get(f"/bosetting/kapasitet/{line.pk}/", follow=True))  # an old version: the current
    assert "Åpne linjen igjen" in page and "Stengt (fullt)" in page
    closed = CapacityLine.objects.current().get()
    assert client.post(f"/bosetting/kapasitet/{closed.pk}/", {"handling": "gjenapne"}).status_code == 302
    assert not CapacityLine.objects.current().get().closed
    assert AuditEvent.objects.filter(what="settlement.capacity").count() == 4


def test_bad_capacity_is_shown_again(client, coordinator):
    r = client.post("/bosetting/kapasitet/", {"kind": "families", "from_month": "5", "to_month": "3", "places": "4"})
    assert r.status_code == 422
    page = text(r)
    assert "kan ikke være før «fra»" in page and "mangler (påkrevd for familier)" in page and 'value="4"' in page
    r = client.post("/bosetting/kapasitet/", {"kind": "um", "from_month": "", "to_month": "3", "places": "4"})
    assert r.status_code == 422 and "Velg en måned." in text(r)
    assert not CapacityLine.objects.exists()


def test_another_municipalitys_line_is_not_found(client, coordinator, django_user_model):
    bergen = Acting.for_user(
        make_user(django_user_model, "k-bergen", "k-4601", roles=[Role.SETTLEMENT_COORDINATOR]), channel="web"
    )
    line = municipal.add_capacity(
        bergen, "4601", kind="um", period_from=dt.date(YEAR, 1, 1), period_to=dt.date(YEAR, 1, 31), places=2
    )
    assert client.get(f"/bosetting/kapasitet/{line.pk}/").status_code == 404
    assert client.post(f"/bosetting/kapasitet/{line.pk}/", {"handling": "steng"}).status_code == 404
    assert not CapacityLine.objects.current().get().closed
    # ?kommune= does not let a municipality act for another
    client.post("/bosetting/kommune/", {**decision_body(), "kommune": "4601"})
    assert MunicipalDecision.objects.get().municipality == "5001"


def test_county_governors_see_none_of_the_forms_but_the_overview_of_their_counties(client, django_user_model):
    governor = make_user(django_user_model, "sf", "sf-trl", roles=[Role.COUNTY_GOVERNOR])
    client.force_login(governor)
    assert client.get("/bosetting/kommune/").status_code == 403
    assert client.get("/bosetting/kapasitet/").status_code == 403
    page = text(client.get("/bosetting/vedtak/"))
    assert "5001 Trondheim" in page and "4601 Bergen" not in page


def test_imdi_administrators_register_on_behalf_of_a_municipality(client, django_user_model):
    admin = make_user(django_user_model, "imdi-admin", "imdi", roles=[Role.IMDI_ADMIN])
    client.force_login(admin)
    page = text(client.get("/bosetting/kommune/"))
    assert "Velg kommunen du registrerer for." in page
    assert "4601 Bergen" in text(client.get("/bosetting/kommune/?kommune=4601"))
    r = client.post("/bosetting/kommune/", {**decision_body(), "kommune": "4601", "aar": str(YEAR)})
    assert r.status_code == 302 and "kommune=4601" in r["Location"]
    assert MunicipalDecision.objects.get().municipality == "4601"


def test_the_overview_and_its_downloads(client, coordinator, django_user_model):
    sent_round({"5001": (40, 4), "4601": (60, 6)})
    client.post("/bosetting/kommune/", decision_body())
    admin = make_user(django_user_model, "imdi-analytiker", "imdi", roles=[Role.IMDI_ANALYST])
    client.force_login(admin)
    page = text(client.get(f"/bosetting/vedtak/?aar={YEAR}"))
    assert "5001 Trondheim" in page and "4601 Bergen" in page and "Ikke svart" in page
    assert "Anmodning: anmodningsrunde" in page
    only = text(client.get(f"/bosetting/vedtak/?aar={YEAR}&fylke=46"))
    assert "4601 Bergen" in only and "5001 Trondheim" not in only
    r = client.get(f"/bosetting/vedtak/eksport.csv?aar={YEAR}&fylke=50")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    trondheim = next(row for row in rows if row[0] == "5001")
    assert trondheim[3:8] == ["40", "4", "Vedtatt", "30", "3"]
    x = client.get(f"/bosetting/vedtak/eksport.xlsx?aar={YEAR}")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert client.get("/bosetting/vedtak/eksport.pdf").status_code == 404
    assert AuditEvent.objects.filter(what="settlement.decisions", action="export").count() == 2


def test_the_menu_leads_a_coordinator_to_its_pages(client, coordinator):
    page = text(client.get("/bosetting/kapasitet/"))
    # the menu leads to Bosetting's landing page (what the municipality must do), the sub-navigation
    # to the municipality's pages (tests/web/test_settlement_navigation.py)
    assert re.search(r'href="/bosetting/"[^>]*>Bosetting<', page), page[:3000]
    assert 'href="/bosetting/kommune/"' in page
