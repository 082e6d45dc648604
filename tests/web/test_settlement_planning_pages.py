"""Bosetting's need and request pages for IMDi (/bosetting/behov/, /bosetting/anmodning/…): the forms
write through the planning actions, the distribution table filters and sorts, the breakdown adds up,
the synthetic label shows on every page and export, and only IMDi's planners get in."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.settlement import planning_reads
from nir.settlement.actions import planning
from nir.settlement.models import MunicipalRequest, SettlementNeed
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db
LABEL = "Syntetiske indikatorer – ikke offisiell statistikk"


@pytest.fixture
def planner(client, django_user_model):
    user = make_user(django_user_model, "side-nasjonal", "imdi", roles=[Role.SETTLEMENT_NATIONAL])
    client.force_login(user)
    return user


@pytest.fixture
def drafted(planner):
    acting = Acting.for_user(planner, channel="web")
    planning.set_need(acting, year=2026, persons=18900, um_persons=752, decided_on=dt.date(2025, 12, 16))
    planning.load_indicators(acting)
    return planning.compute_round(acting, 2026)


def text(r):
    return r.content.decode()


def test_set_and_revise_the_need_on_the_page(client, planner):
    r = client.get("/bosetting/behov/?aar=2026")
    assert r.status_code == 200 and "Ingen bosettingsbehov" in text(r) or "behov" in text(r)
    r = client.post(
        "/bosetting/behov/?aar=2026",
        {"aar": "2026", "persons": "18 900", "um_persons": "752", "decided_on": "16.12.2025"},
    )
    assert r.status_code == 303 and r["Location"].endswith("?aar=2026")
    first = SettlementNeed.objects.get()
    # a revision without a reason is refused at the field, nothing stored
    r = client.post(
        "/bosetting/behov/?aar=2026",
        {"aar": "2026", "persons": "12640", "um_persons": "700", "decided_on": "01.06.2026", "replaces": first.pk},
    )
    assert r.status_code == 422 and 'id="behov-reason-error"' in text(r) and SettlementNeed.objects.count() == 1
    r = client.post(
        "/bosetting/behov/?aar=2026",
        {"aar": "2026", "persons": "10", "um_persons": "11", "decided_on": "01.06.2026", "reason": "x"},
    )
    assert r.status_code == 422 and 'id="behov-um_persons-error"' in text(r)
    r = client.post(
        "/bosetting/behov/?aar=2026",
        {"aar": "2026", "persons": "12640", "um_persons": "700", "decided_on": "31.02.2026", "reason": "x"},
    )
    assert r.status_code == 422 and 'id="behov-decided_on-error"' in text(r)
    r = client.post(
        "/bosetting/behov/?aar=2026",
        {
            "aar": "2026",
            "persons": "12640",
            "um_persons": "700",
            "decided_on": "01.06.2026",
            "reason": "Lavere prognose fra BGU",
            "replaces": first.pk,
        },
    )
    assert r.status_code == 303
    page = text(client.get("/bosetting/behov/?aar=2026"))
    assert "Lavere prognose fra BGU" in page and "18900" in page and "12640" in page
    assert [v.persons for v in planning_reads.need_versions(2026)] == [12640, 18900]
    # a form opened before that revision: changed meanwhile
    r = client.post(
        "/bosetting/behov/?aar=2026",
        {
            "aar": "2026",
            "persons": "1",
            "um_persons": "0",
            "decided_on": "01.07.2026",
            "reason": "x",
            "replaces": first.pk,
        },
    )
    assert r.status_code == 422 and SettlementNeed.objects.count() == 2


def test_compute_a_round_on_the_requests_page(client, planner):
    acting = Acting.for_user(planner, channel="web")
    planning.set_need(acting, year=2026, persons=18900, um_persons=752, decided_on=dt.date(2025, 12, 16))
    planning.load_indicators(acting)
    r = client.get("/bosetting/anmodning/?aar=2026")
    assert r.status_code == 200 and LABEL in text(r) and "Arbeidsledighet i regionen" in text(r)
    r = client.post("/bosetting/anmodning/?aar=2026", {"aar": "2026", "note": "Første utkast"})
    assert r.status_code == 303 and r["Location"] == "/bosetting/anmodning/2026/1/"
    assert MunicipalRequest.objects.count() == 357
    r = client.post("/bosetting/anmodning/?aar=2027", {"aar": "2027"})
    assert r.status_code == 422 and "ikke satt" in text(r)


def test_the_distribution_table_filters_sorts_and_sends(client, drafted):
    r = client.get("/bosetting/anmodning/2026/1/")
    page = text(r)
    assert r.status_code == 200 and LABEL in page and "357 kommuner" in page and "0301 Oslo" in page
    r = client.get("/bosetting/anmodning/2026/1/?fylke=46&sort=-persons")
    page = text(r)
    assert "4601 Bergen" in page and "0301 Oslo" not in page
    assert page.index("4601 Bergen") < page.index("4602 Kinn")  # the largest request first
    r = client.post("/bosetting/anmodning/2026/1/")
    assert r.status_code == 303
    assert planning_reads.latest_sent_round(2026).pk == drafted.pk
    r = client.post("/bosetting/anmodning/2026/1/")
    assert r.status_code == 422 and "allerede sendt" in text(r)
    assert client.get("/bosetting/anmodning/2026/9/").status_code == 404


def test_the_municipality_detail_shows_the_breakdown_and_adjusts(client, drafted):
    line = planning_reads.round_lines(drafted, "4601")[0]
    r = client.get("/bosetting/anmodning/2026/1/4601/")
    page = text(r)
    assert r.status_code == 200 and LABEL in page and "Arbeidsledighet i regionen" in page
    assert "Sysselsetting blant innvandrere i regionen" in page and "Sekundærflytting" in page
    r = client.post("/bosetting/anmodning/2026/1/4601/", {"persons": "900", "um_persons": "40", "reason": ""})
    assert r.status_code == 422 and 'id="justering-reason-error"' in text(r)
    r = client.post(
        "/bosetting/anmodning/2026/1/4601/",
        {"persons": "900", "um_persons": "40", "reason": "Kommunen har meldt om boligmangel", "replaces": line.pk},
    )
    assert r.status_code == 303
    now = planning_reads.round_lines(drafted, "4601")[0]
    assert (now.persons, now.um_persons, now.computed_persons) == (900, 40, line.computed_persons)
    page = text(client.get("/bosetting/anmodning/2026/1/4601/"))
    assert "Kommunen har meldt om boligmangel" in page
    assert "justert" in text(client.get("/bosetting/anmodning/2026/1/?fylke=46"))
    client.post("/bosetting/anmodning/2026/1/")
    r = client.get("/bosetting/anmodning/2026/1/4601/")
    assert 'id="justering"' not in text(r)
    r = client.post("/bosetting/anmodning/2026/1/4601/", {"persons": "1", "um_persons": "0", "reason": "etter"})
    assert r.status_code == 422
    assert client.get("/bosetting/anmodning/2026/1/9999/").status_code == 404


def test_the_exports_carry_the_breakdown_and_the_synthetic_label(client, drafted):
    r = client.get("/bosetting/anmodning/2026/1/eksport.csv")
    assert r.status_code == 200 and r["Content-Disposition"].endswith('anmodning-2026-runde-1.csv"')
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [LABEL]
    header, body = rows[1], rows[2:]
    assert header[0] == "Kommunenummer" and any("Arbeidsledighet i regionen" in h for h in header)
    assert len(body) == 357 and sum(int(x[header.index("Anmodet")]) for x in body) == 18900
    r = client.get("/bosetting/anmodning/2026/1/eksport.xlsx?fylke=46")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    about = [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert LABEL in about
    assert client.get("/bosetting/anmodning/2026/1/eksport.pdf").status_code == 404
    event = AuditEvent.objects.filter(action="export", what="settlement.request_round").order_by("pk").last()
    assert event.filters["county"] == "46" and event.filters["format"] == "xlsx"


@pytest.mark.parametrize(
    "org, role",
    [
        ("k-5001", Role.SETTLEMENT_COORDINATOR),
        ("imdi", Role.SETTLEMENT_CASEWORKER),
        ("imdi", Role.IMDI_ANALYST),
        ("sf-trl", Role.COUNTY_GOVERNOR),
    ],
)
def test_only_imdi_planners_open_the_pages(client, django_user_model, drafted, org, role):
    client.force_login(make_user(django_user_model, "side-annen", org, roles=[role]))
    for url in (
        "/bosetting/behov/",
        "/bosetting/anmodning/",
        "/bosetting/anmodning/2026/1/",
        "/bosetting/anmodning/2026/1/0301/",
        "/bosetting/anmodning/2026/1/eksport.csv",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/bosetting/anmodning/2026/1/").status_code == 403
    assert planning_reads.latest_sent_round(2026) is None


def test_the_administrator_gets_in(client, django_user_model, drafted):
    client.force_login(make_user(django_user_model, "side-admin", "imdi", roles=[Role.IMDI_ADMIN]))
    assert client.get("/bosetting/anmodning/2026/1/").status_code == 200
