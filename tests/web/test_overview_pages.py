"""Bosetting (/bosetting/) and Kommuner (/kommuner/, /kommuner/<nr>/): settlements of persons in scope
with filters, counts per municipality and month and a paginated list; every municipality with key
figures only within the user's scope; one municipality's figures by category and district, with links."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.cache import cache
from django.utils import timezone

from nir.access.models import AuditEvent
from nir.register import models as m
from nir.register.actors import Actor
from nir.reports import worklist
from nir.testing import builders as b
from nir.testing.builders import make_user
from nir.web import views_overview


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "imdi-pages", "imdi"),
        "trondheim": make_user(django_user_model, "kommune-5001", "k-5001"),
        "bergen": make_user(django_user_model, "kommune-4601", "k-4601"),
    }


@pytest.fixture
def world(users):
    """This year (Y): Sara (5001, 15.01.Y by agreement, in the programme), Siri (5001, 02.05.Y, also a
    settlement without agreement 20.05.Y), Hanne (4601, 10.02.Y). Last year: Per (5001, 01.11.Y-1,
    participation without final goal: a deviation)."""
    year = timezone.localdate().year
    now = timezone.now() - dt.timedelta(hours=1)  # registered now: the Regelmotor derives as of today
    r = b.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    p = {}
    p["sara"] = r.person(
        "Sara",
        "Bosatt",
        permit=dt.date(year, 1, 10),
        settled=dt.date(year, 1, 15),
        follow_up_from=dt.date(year, 1, 15),
        when=now,
    )
    r.participation(p["sara"], dt.date(year, 1, 20), goal="work_no_vgo_2026", when=now)
    p["siri"] = r.person(
        "Siri",
        "Uavtale",
        permit=dt.date(year, 1, 10),
        settled=dt.date(year, 5, 2),
        follow_up_from=dt.date(year, 5, 2),
        when=now,
    )
    r.add(
        p["siri"],
        m.Settlement,
        {"municipality": "5001", "district": "", "settlement_date": dt.date(year, 5, 20), "by_agreement": False},
        now,
    )
    p["hanne"] = r.person(
        "Hanne",
        "Ild",
        municipality="4601",
        permit=dt.date(year, 1, 10),
        settled=dt.date(year, 2, 10),
        follow_up_from=dt.date(year, 2, 10),
        when=now,
    )
    p["per"] = r.person(
        "Per",
        "Fjor",
        permit=dt.date(year - 1, 9, 1),
        settled=dt.date(year - 1, 11, 1),
        follow_up_from=dt.date(year - 1, 11, 1),
        when=now,
    )
    r.participation(p["per"], dt.date(year, 1, 5), when=now)
    return p


def login(client, user):
    client.force_login(user)
    return client


def dufs(html: str) -> set[str]:
    return set(re.findall(r'href="/personer/(\d+)/"', html))


# --- Bosetting --------------------------------------------------------------------------------------


def test_settlements_this_year_of_persons_in_scope(client, users, world):
    year = timezone.localdate().year
    html = login(client, users["trondheim"]).get("/bosetting/").content.decode()
    assert dufs(html) == {world["sara"].duf, world["siri"].duf}
    assert "Bosetting" in html and "Bosettingsdato" in html and "Bosatt etter avtale med IMDi" in html
    assert f"15.01.{year}" in html and f"20.05.{year}" in html
    assert "3 bosettinger, av dem 2 etter avtale med IMDi." in html
    assert world["hanne"].duf not in html and world["per"].duf not in html


def test_imdi_sees_every_municipality(client, users, world):
    html = login(client, users["imdi"]).get("/bosetting/").content.decode()
    assert {world["sara"].duf, world["siri"].duf, world["hanne"].duf} <= dufs(html)
    assert "4601 Bergen" in html and "5001 Trondheim" in html


def test_counts_per_municipality_and_month(client, users, world):
    html = login(client, users["imdi"]).get("/bosetting/").content.decode()
    table = html.split('id="counts-caption"', 1)[1].split("</table>", 1)[0]
    rows = {
        re.search(r">(\d{4}) ", tr).group(1): re.findall(r'<td class="num">(?:<strong>)?(\d+)', tr)
        for tr in table.split("<tr>")[1:]
        if re.search(r'scope="row"><a', tr)
    }
    # Jan..Dec, total, by agreement
    assert rows["5001"] == ["1", "0", "0", "0", "2", "0", "0", "0", "0", "0", "0", "0", "3", "2"]
    assert rows["4601"] == ["0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1", "1"]


def test_settlement_filters(client, users, world):
    year = timezone.localdate().year
    c = login(client, users["imdi"])
    html = c.get("/bosetting/?kommune=4601").content.decode()
    assert dufs(html) == {world["hanne"].duf}
    html = c.get("/bosetting/?avtale=nei").content.decode()
    assert dufs(html) == {world["siri"].duf} and f"20.05.{year}" in html and f"02.05.{year}" not in html
    html = c.get(f"/bosetting/?aar={year - 1}").content.decode()
    assert dufs(html) == {world["per"].duf}
    assert c.get("/bosetting/?aar=tjue").status_code == 400


def test_a_municipality_outside_the_scope_is_refused_as_a_filter(client, users, world):
    response = login(client, users["trondheim"]).get("/bosetting/?kommune=4601")
    assert response.status_code == 400
    html = response.content.decode()
    assert world["hanne"].duf not in html
    assert 'value="4601"' not in html  # not offered either


def test_settlement_list_pages_and_sorts(client, users, world, monkeypatch):
    monkeypatch.setattr(views_overview, "PAGE_SIZE", 2)
    c = login(client, users["imdi"])
    first = c.get("/bosetting/").content.decode()
    assert "Side 1 av 2" in first and dufs(first.split('id="list-heading"')[1]) == {world["siri"].duf}  # 20.05, 02.05
    second = c.get("/bosetting/?page=2").content.decode()
    assert "Side 2 av 2" in second
    by_date = c.get("/bosetting/?sort=settlement_date").content.decode()
    assert dufs(by_date.split('id="list-heading"')[1]) == {world["hanne"].duf, world["sara"].duf}


def test_settlements_are_audited_with_the_persons_shown(client, users, world):
    login(client, users["trondheim"]).get("/bosetting/")
    event = AuditEvent.objects.filter(what="settlements").latest("id")
    assert set(event.person_links.values_list("person_id", flat=True)) == {world["sara"].pk, world["siri"].pk}


def test_settlements_page_is_a_few_queries(client, users, world, django_assert_max_num_queries):
    login(client, users["trondheim"])
    with django_assert_max_num_queries(14):
        assert client.get("/bosetting/").status_code == 200


# --- Kommuner ---------------------------------------------------------------------------------------


def _row(html: str, number: str) -> str:
    return re.search(rf'<th scope="row">{number}</th>(.*?)</tr>', html, re.S).group(1)


def test_every_municipality_figures_only_within_scope(client, users, world):
    """Issue 16 § 4: the caseworker's own municipality first; the 356 others (no figures) are not listed
    until searched for or a county is chosen, and the page says so."""
    cache.clear()
    html = login(client, users["trondheim"]).get("/kommuner/").content.decode()
    trondheim = _row(html, "5001")
    assert re.findall(r'<td class="num">(\d+)</td>', trondheim) == ["3", "2", "3", "1", "3"]
    assert "Din kommune" in html and '<th scope="row">4601</th>' not in html
    assert re.findall(r'<th scope="row">(\d{4})</th>', html) == ["5001"]  # one row, not 357
    assert "De 356 andre kommunene vises ikke" in html
    assert "Personer som følges opp" in html and "Bosatt i år" in html
    # A county: its municipalities, the own one first with figures, the others with «–».
    html = client.get("/kommuner/", {"fylke": "46"}).content.decode()
    bergen = _row(html, "4601")
    assert "–" in bergen and not re.findall(r'<td class="num">(\d+)</td>', bergen)


def test_imdi_pages_and_filters_the_municipalities_by_county(client, users, world):
    cache.clear()
    c = login(client, users["imdi"])
    html = c.get("/kommuner/").content.decode()
    numbers = re.findall(r'<th scope="row">(\d{4})</th>', html)
    assert len(numbers) == views_overview.MUNICIPALITY_PAGE_SIZE and numbers[0] == "0301"
    assert "Side 1 av 8" in html and 'href="/kommuner/?page=2"' in html
    assert "357 kommuner, rad 1–50" in html
    last = c.get("/kommuner/", {"page": "8"}).content.decode()
    assert len(re.findall(r'<th scope="row">(\d{4})</th>', last)) == 357 - 7 * 50
    trondelag = c.get("/kommuner/", {"fylke": "50"}).content.decode()
    found = re.findall(r'<th scope="row">(\d{4})</th>', trondelag)
    assert found and all(n.startswith("50") for n in found) and "5001" in found
    assert 'href="/kommuner/eksport.csv?fylke=50"' in trondelag


def test_the_whole_municipality_table_is_a_download(client, users, world):
    cache.clear()
    c = login(client, users["trondheim"])
    r = c.get("/kommuner/eksport.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Kommunenummer;Kommune;Fylke;Personer som følges opp")
    assert len(lines) == 1 + 357
    by_number = {line.split(";")[0]: line.split(";") for line in lines[1:]}
    assert by_number["5001"][3:] == ["3", "2", "3", "1", "3"]
    assert by_number["4601"][1] == "Bergen" and by_number["4601"][3:] == ["", "", "", "", ""]
    book = openpyxl.load_workbook(io.BytesIO(c.get("/kommuner/eksport.xlsx", {"fylke": "50"}).content))
    sheet = list(book["Kommuner"].iter_rows(values_only=True))
    assert all(str(row[0]).startswith("50") for row in sheet[1:]) and len(sheet) > 2
    assert book.sheetnames == ["Kommuner", "Om tabellen"], book.sheetnames
    about = {row[0]: row[1] for row in book["Om tabellen"].iter_rows(values_only=True)}
    assert about["Område"] == "Trondheim - Tråante kommune"
    events = AuditEvent.objects.filter(what="municipalities", action="export")
    assert events.count() == 2 and events.latest("id").person_count == 0
    assert c.get("/kommuner/eksport.pdf").status_code == 404


def test_municipality_search(client, users, world):
    c = login(client, users["trondheim"])

    def numbers(q):
        html = c.get("/kommuner/", {"q": q}).content.decode()
        return html, re.findall(r'<th scope="row">(\d{4})</th>', html)

    html, found = numbers("bergen")
    assert "1 kommune" in html and found == ["4601"]
    assert numbers("50")[1][0] == "5001" and "4601" not in numbers("50")[1]
    assert "4601" in numbers("Vestland")[1]  # county name
    assert numbers("finnes ikke")[1] == []


def test_one_municipality_in_scope(client, users, world, django_assert_max_num_queries):
    c = login(client, users["trondheim"])
    with django_assert_max_num_queries(14):
        response = c.get("/kommuner/5001/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trondheim" in html and "Trøndelag" in html
    by_label = {
        label: int(n)
        for n, label in re.findall(
            r'<span class="nir-figure">(\d+)</span> <span class="ov-figure-label">([^<]+)</span>', html
        )
    }
    assert by_label["Personer som følges opp"] == 3
    assert by_label["I introduksjonsprogram"] == 2  # Sara and Per (no final goal, no deadline)
    assert by_label["Rett og plikt til introduksjonsprogram"] == 3
    assert by_label["Avvik i sluttmål"] == 1  # Per
    assert by_label["Bosatt i år"] == 3
    assert by_label["Fullført introduksjonsprogram i år"] == 0
    assert "Etter NIR - Kategori (introduksjonsprogram)" in html
    assert 'href="/rapporter/avvik-sluttmaal/?municipality=5001&amp;law=integreringsloven"' in html
    assert 'href="/personer/?kommune=5001&amp;lov=integreringsloven"' in html
    assert 'href="/bosetting/?kommune=5001"' in html
    event = AuditEvent.objects.filter(what="municipality:5001").latest("id")
    assert event.action == "statistics" and event.person_count == 0


def test_one_municipality_outside_scope_shows_reference_data_only(client, users, world):
    html = login(client, users["trondheim"]).get("/kommuner/4601/").content.decode()
    assert "Bergen" in html and "4601" in html and "Vestland" in html
    assert "Du har ikke tilgang til personer i denne kommunen" in html
    main = html.split("<main", 1)[1]
    assert "nir-figure" not in main and "/rapporter/" not in main


def test_oslo_has_its_districts(client, users, world):
    html = login(client, users["imdi"]).get("/kommuner/0301/").content.decode()
    assert "Bydeler" in html and "030101" in html and "Gamle Oslo" in html


def test_unknown_municipality_is_404(client, users, world):
    c = login(client, users["trondheim"])
    assert c.get("/kommuner/9999/").status_code == 404
    assert c.get("/kommuner/abc/").status_code == 404


def test_figures_are_counted_in_the_database_by_municipality(users, world):
    ctx = worklist.Context.for_user(users["imdi"])
    rows = worklist.person_figures(ctx, ["5001", "4601"])
    totals = {}
    for r in rows:
        totals[r["municipality"]] = totals.get(r["municipality"], 0) + r["followed"]
    assert totals == {"5001": 3, "4601": 1}
    assert worklist.settled_figures(ctx, ["5001", "4601"]) == {("5001", ""): 3, ("4601", ""): 1}
    trondheim = worklist.Context.for_user(users["trondheim"])
    assert worklist.person_figures(trondheim, worklist.visible_municipalities(trondheim.scope, ["5001", "4601"]))
    assert worklist.visible_municipalities(trondheim.scope, ["5001", "4601"]) == ["5001"]


def test_the_municipality_page_says_why_its_count_differs_from_the_person_list(client, users, world):
    """Issue 16 § 4: the key figures count both acts, the person list one at a time. Ola, settled in 2019,
    is followed up under introduksjonsloven: 4 persons on the municipality page, 3 in the person list
    (integreringsloven, the default) and 1 with «Introduksjonsloven» — and the page says so, with links."""
    cache.clear()  # the key figures are cached per scope and day
    r = b.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    r.person(
        "Ola",
        "Gammel",
        permit=dt.date(2019, 5, 1),
        settled=dt.date(2019, 6, 1),
        follow_up_from=dt.date(2019, 6, 1),
        when=timezone.now() - dt.timedelta(hours=1),
    )
    c = login(client, users["trondheim"])
    html = c.get("/kommuner/5001/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert re.search(r'<span class="nir-figure">4</span> <span class="ov-figure-label">Personer som følges opp', html)
    assert "4 personer følges opp av kommunen i dag, etter begge lovene" in text
    assert "3 etter integreringsloven" in text and "1 etter introduksjonsloven" in text
    assert "Personlisten og rapportene viser én lov om gangen" in text
    assert "En NIR-kategori (for eksempel «Rett og plikt til introduksjonsprogram», 4 personer)" in text
    assert 'href="/personer/?kommune=5001&amp;lov=integreringsloven"' in html
    assert 'href="/personer/?kommune=5001&amp;lov=introduksjonsloven"' in html
    assert 'href="/rapporter/avvik-sluttmaal/?municipality=5001&amp;law=introduksjonsloven"' in html
    # The lists the links lead to: 3 and 1, and each says which act it shows.
    listing = c.get("/personer/", {"kommune": "5001", "lov": "integreringsloven"}).content.decode()
    assert "3 personer etter integreringsloven" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", listing))
    listing = c.get("/personer/", {"kommune": "5001", "lov": "introduksjonsloven"}).content.decode()
    assert "1 person etter introduksjonsloven" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", listing))


def test_the_municipality_download_is_rate_limited_like_the_other_exports(client, users, world, settings):
    cache.clear()
    settings.NIR_EXPORT_RATE_LIMIT = "1/h"
    c = login(client, users["trondheim"])
    assert c.get("/kommuner/eksport.csv").status_code == 200
    r = c.get("/kommuner/eksport.xlsx")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    cache.clear()
