"""/bosetting/tall/ and /bosetting/ukeliste/: the settlement figures and the weekly list on the web —
the numbers of nir.settlement.figures, charts with their tables, downloads, each user's own area only,
bad input refused, every page and download audited."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from nir.access.models import AuditEvent, Role
from nir.testing.builders import make_user
from nir.testing.settlement_builders import SettlementWorld, at

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def world(db):
    cache.clear()
    w = SettlementWorld()
    a = w.case([w.adult(), w.adult(), w.child(D(2018, 1, 1))], permit=D(2025, 1, 10))
    w.settle(a, "5001", D(2025, 3, 5))  # Trondheim (Trøndelag), ISO week 10
    b = w.case([w.um(D(2009, 1, 1))], permit=D(2025, 1, 10))
    w.settle(b, "4601", D(2025, 3, 6))  # Bergen (Vestland)
    w.request_round(2025, {"5001": (10, 1), "4601": (4, 1)}, sent=at(2025, 2, 1))
    w.decision("5001", 2025, 7, 0, at(2025, 3, 1))


def login(client, django_user_model, org, roles):
    client.force_login(make_user(django_user_model, f"u-{org}-{roles[0]}", org, roles=roles))


def test_imdi_sees_the_whole_country_with_charts_and_tables(world, client, django_user_model):
    login(client, django_user_model, "imdi", [Role.SETTLEMENT_NATIONAL])
    r = client.get("/bosetting/tall/", {"year": "2025", "known_at": "2026-01-31"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Bosettingstall 2025 – Hele landet" in html
    assert 'data-key="settled"><th scope="row">Bosatte personer</th><td class="num">4</td>' in html
    # the three charts, each with the same numbers as a table
    for cid in ("tempo", "klare", "fylker"):
        assert f'id="{cid}-table"' in html and f"{cid}-title" in html
    assert "Vestland" in html and "Trøndelag" in html and "IMDi Midt-Norge" in html
    assert 'href="/bosetting/tall/eksport.csv?year=2025&amp;known_at=2026-01-31"' in html
    event = AuditEvent.objects.filter(what="settlement:figures", channel="web").get()
    assert event.action == "statistics" and event.filters["year"] == 2025


def test_a_county_municipality_sees_its_county_only(world, client, django_user_model):
    login(client, django_user_model, "f-46", [Role.COUNTY_OFFICER])
    html = client.get("/bosetting/tall/", {"year": "2025"}).content.decode()
    assert "Bosettingstall 2025 – Vestland" in html
    assert 'data-key="settled"><th scope="row">Bosatte personer</th><td class="num">1</td>' in html
    assert "5001 Trondheim" not in html and "IMDi Midt-Norge" not in html
    assert client.get("/bosetting/tall/", {"year": "2025", "area": "5001"}).status_code == 404
    assert client.get("/bosetting/tall/eksport.csv", {"year": "2025", "area": "50"}).status_code == 404
    r = client.get("/bosetting/ukeliste/", {"year": "2025", "week": "10"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "4601 Bergen" in html and "5001" not in html
    # the menu leads a user without the register's persons to the figures
    assert 'href="/bosetting/tall/"' in html


def test_a_municipality_sees_itself(world, client, django_user_model):
    login(client, django_user_model, "k-5001", [Role.SETTLEMENT_COORDINATOR])
    html = client.get("/bosetting/tall/", {"year": "2025"}).content.decode()
    assert "Bosettingstall 2025 – Trondheim" in html and "4601 Bergen" not in html
    assert 'data-key="settled"><th scope="row">Bosatte personer</th><td class="num">3</td>' in html
    assert (
        'data-key="coverage"><th scope="row">Vedtak i prosent av behovet/anmodningen</th><td class="num">70,0' in html
    )


def test_no_access_without_the_permission(world, client, django_user_model):
    login(client, django_user_model, "k-5001", [Role.CASEWORKER])
    assert client.get("/bosetting/tall/").status_code == 403
    assert client.get("/bosetting/ukeliste/").status_code == 403


def test_bad_input_gives_400_with_the_form(world, client, django_user_model):
    login(client, django_user_model, "imdi", [Role.SETTLEMENT_NATIONAL])
    r = client.get("/bosetting/tall/", {"year": "20x5"})
    assert r.status_code == 400 and "Ugyldig år" in r.content.decode()
    r = client.get("/bosetting/tall/", {"known_at": "i morgen"})
    assert r.status_code == 400 and "kjent per" in r.content.decode()
    assert client.get("/bosetting/tall/", {"area": "9999"}).status_code == 400
    r = client.get("/bosetting/ukeliste/", {"year": "2025", "week": "77"})
    assert r.status_code == 400 and "Ugyldig uke" in r.content.decode()
    assert client.get("/bosetting/tall/eksport.pdf").status_code == 404


@pytest.mark.parametrize(
    "url, params, field",
    [
        ("/bosetting/tall/", {"known_at": "i morgen"}, "sf-known_at"),
        ("/bosetting/tall/", {"year": "20x5"}, "sf-year"),
        ("/bosetting/tall/", {"area": "9999"}, "sf-area"),
        ("/bosetting/ukeliste/", {"year": "2025", "week": "77"}, "wl-week"),
    ],
)
def test_the_error_names_and_marks_the_field_at_fault(world, client, django_user_model, url, params, field):
    """The error summary links to the field at fault, which alone is marked invalid (WCAG 3.3.1)."""
    login(client, django_user_model, "imdi", [Role.SETTLEMENT_NATIONAL])
    html = client.get(url, params).content.decode()
    assert f'href="#{field}"' in html
    invalid = re.findall(r'id="([a-z]{2}-[a-z_]+)"[^>]*aria-invalid="true"', html)
    assert invalid == [field]


def test_downloads(world, client, django_user_model):
    login(client, django_user_model, "imdi", [Role.SETTLEMENT_NATIONAL])
    r = client.get("/bosetting/tall/eksport.csv", {"year": "2025"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert "settled;Bosatte personer;4" in text and "5001;Trondheim" in text
    r = client.get("/bosetting/tall/eksport.xlsx", {"year": "2025", "area": "46"})
    wb = load_workbook(io.BytesIO(r.content))
    rows = list(wb["Per kommune"].values)
    assert rows[1][:2] == ("4601", "Bergen") and len(rows) == 2
    r = client.get("/bosetting/ukeliste/eksport.csv", {"year": "2025", "week": "10"})
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Kommunenummer;Kommune;0–5;6–15")
    assert lines[-1] == ";Totalt;0;1;1;0;2;0;0;0;0;4"  # a child of 7, an EM of 16, two adults of 34
    r = client.get("/bosetting/ukeliste/eksport.xlsx", {"year": "2025", "week": "10"})
    assert load_workbook(io.BytesIO(r.content)).sheetnames == ["Uke 10 2025"]
    assert AuditEvent.objects.filter(what__startswith="settlement:", channel="web").count() == 4
