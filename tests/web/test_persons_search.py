"""/personer/: search by DUF-nummer, by fødselsnummer/D-nummer (POSTed: never in a URL) and by name
(case-insensitive prefix), and the person lists (NIR Personlister) — all within the user's scope, audited."""

from __future__ import annotations

import pytest
from persons_support import events, national_id, text

from nir import identity
from nir.access.models import AuditEvent, AuditEventPerson

pytestmark = pytest.mark.django_db


def test_search_page_in_bokmal(world, as_user):
    r = as_user("trondheim").get("/personer/")
    assert r.status_code == 200
    html = text(r)
    for label in (
        "Finn en person",
        "DUF-nummer",
        "Fornavn eller etternavn",
        "Fødselsnummer eller D-nummer",
        "NIR Personlister",
        "Oppf.kommune/bydel",
        "Søk",
    ):
        assert label in html, label
    fnr_form = html[html.rindex("<form", 0, html.index('name="fnr"')) : html.index('name="fnr"')]
    assert 'method="post"' in fnr_form


def test_search_by_duf_opens_the_person_page(world, as_user):
    c = as_user("trondheim")
    duf = world["anne"].duf
    r = c.get("/personer/", {"duf": duf})
    assert r.status_code == 302 and r["Location"] == f"/personer/{duf}/"


def test_search_by_duf_outside_scope_says_elsewhere_and_unknown_finds_nothing(world, as_user):
    c = as_user("trondheim")
    unknown = identity.make_duf("2099000001")
    r = c.get("/personer/", {"duf": unknown})
    assert r.status_code == 200
    assert "Ingen personer du har tilgang til, passer med søket." in text(r) and 'id="person-elsewhere"' not in text(r)
    r = c.get("/personer/", {"duf": world["berit"].duf})
    assert r.status_code == 200 and 'id="person-elsewhere"' in text(r)
    assert "Berit" not in text(r) and "4601" not in text(r)
    r = c.get("/personer/", {"duf": "123"})
    assert r.status_code == 200 and 'href="#sok-duf"' in text(r)
    assert as_user("imdi").get("/personer/", {"duf": world["berit"].duf}).status_code == 302


def test_search_by_national_id_is_posted_and_never_in_a_url(world, as_user):
    c = as_user("trondheim")
    number = national_id(world["anne"])
    r = c.post("/personer/", {"fnr": number})
    assert r.status_code == 303 and r["Location"] == f"/personer/{world['anne'].duf}/"
    assert number not in r["Location"]
    page = c.get(r["Location"])
    assert page.status_code == 200 and "Anne Aas" in text(page)
    [event] = events(action="search", what="person:fødselsnummer")
    assert event.filters == {"national_id": "***********"} and event.person_count == 1
    for e in AuditEvent.objects.all():
        assert number not in e.endpoint and number not in str(e.filters) and number not in e.what
    # spaces typed are ignored
    assert c.post("/personer/", {"fnr": f"{number[:6]} {number[6:]}"}).status_code == 303


def test_search_by_national_id_outside_scope_finds_nothing_and_does_not_echo(world, as_user):
    c = as_user("trondheim")
    number = national_id(world["berit"])
    r = c.post("/personer/", {"fnr": number})
    assert r.status_code == 200
    assert "Ingen personer du har tilgang til, passer med søket." in text(r) and number not in text(r)
    r = c.post("/personer/", {"fnr": "12345678901"})
    assert r.status_code == 200 and "kontrollsiffer" in text(r) and "12345678901" not in text(r)
    r = c.post("/personer/", {"fnr": "123"})
    assert "11 siffer" in text(r)
    assert as_user("imdi").post("/personer/", {"fnr": number}).status_code == 303


@pytest.mark.parametrize(
    "query, expected",
    [
        ("ann", {"Anne"}),
        ("AAS", {"Anne"}),
        ("anne aa", {"Anne"}),
        ("t", {"Tor"}),
        ("s", {"Sara"}),
        ("tor tangen", {"Tor"}),
        ("tangen tor", {"Tor"}),
        ("nne", set()),
        ("ber", set()),
    ],
)
def test_search_by_name_is_a_case_insensitive_prefix_within_scope(world, as_user, query, expected):
    r = as_user("trondheim").get("/personer/", {"navn": query})
    assert r.status_code == 200
    html = text(r)
    results = html[html.index('id="treff-h"') : html.index("</section>", html.index('id="treff-h"'))]
    found = {name for name in ("Anne", "Tor", "Sara", "Berit") if f", {name}</a>" in results}
    assert found == expected


def test_name_search_links_to_the_person_and_is_audited(world, as_user, users):
    r = as_user("imdi").get("/personer/", {"navn": "ber"})
    assert f'href="/personer/{world["berit"].duf}/"' in text(r) and "Bergen" in text(r)
    [event] = events(action="search", what="person:navn")
    assert event.user == users["imdi"] and event.filters["name"] == "ber"
    assert list(AuditEventPerson.objects.filter(event=event).values_list("person_id", flat=True)) == [world["berit"].pk]


def list_rows(html: str) -> set[str]:
    if 'id="personliste-caption"' not in html:
        return set()
    table = html[
        html.index('id="personliste-caption"') : html.index("</table>", html.index('id="personliste-caption"'))
    ]
    return {name for name in ("Anne", "Tor", "Sara", "Berit") if f", {name}</a>" in table}


def test_person_list_is_scoped(world, as_user):
    assert list_rows(text(as_user("trondheim").get("/personer/"))) == {"Anne", "Tor", "Sara"}
    assert list_rows(text(as_user("bergen").get("/personer/"))) == {"Berit"}
    assert list_rows(text(as_user("governor").get("/personer/"))) == {"Anne", "Tor", "Sara"}
    # a Bergen person is not listed for Trondheim, even when asked for Bergen
    assert list_rows(text(as_user("trondheim").get("/personer/", {"kommune": "4601"}))) == set()
    # IMDi sees everyone, but chooses what to list first
    imdi = as_user("imdi")
    html = text(imdi.get("/personer/"))
    assert list_rows(html) == set() and "Velg oppfølgingskommune" in html
    assert list_rows(text(imdi.get("/personer/", {"kommune": "4601"}))) == {"Berit"}
    assert list_rows(text(imdi.get("/personer/", {"vis": "1"}))) == {"Anne", "Tor", "Sara", "Berit"}


def test_person_list_filters_sorting_and_links(world, as_user):
    c = as_user("trondheim")
    html = text(c.get("/personer/", {"kategori": "intro:right_and_duty"}))
    assert list_rows(html) == {"Anne", "Tor", "Sara"} and "Rett og plikt til introduksjonsprogram" in html
    assert f'href="/personer/{world["anne"].duf}/"' in html and "01.02.2028" in html
    assert list_rows(text(c.get("/personer/", {"kategori": "intro:none"}))) == set()
    assert list_rows(text(c.get("/personer/", {"lov": "introduksjonsloven"}))) == set()
    assert list_rows(text(c.get("/personer/", {"status": "active"}))) == {"Anne"}
    html = text(c.get("/personer/", {"sort": "-last_name"}))
    assert html.index(", Tor</a>") < html.index(", Sara</a>") < html.index(", Anne</a>")
    assert 'aria-sort="descending"' in html
    r = c.get("/personer/", {"kategori": "intro:nonsense"})
    assert r.status_code == 400 and "ukjent kategori" in text(r)


def test_person_list_read_is_audited_with_the_persons_shown(world, as_user, users):
    as_user("trondheim").get("/personer/")
    [event] = events(action="search", what="personliste")
    assert event.channel == "web" and event.user == users["trondheim"] and event.person_count == 3
    assert event.filters["report"] == "personliste"
    assert set(AuditEventPerson.objects.filter(event=event).values_list("person_id", flat=True)) == {
        world["anne"].pk,
        world["tor"].pk,
        world["sara"].pk,
    }


def test_user_without_persons_sees_no_list(world, as_user):
    assert as_user("none").get("/personer/").status_code == 403  # no person.read at all


def test_person_list_counts_up_to_a_limit_and_pages_on(world, as_user, monkeypatch):
    """A large list is counted only up to COUNT_LIMIT («Mer enn …»); the pager still reaches every row."""
    from nir.web.persons import search

    monkeypatch.setattr(search, "PAGE_SIZE", 1)
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    c = as_user("trondheim")
    seen, page = [], 1
    while True:
        html = text(c.get("/personer/", {"side": page}))
        rows = list_rows(html)
        assert len(rows) == 1
        seen += rows
        if page == 1:
            assert "Mer enn 2 personer" in html and "Side 1" in html and "Side 1 av" not in html
        if 'rel="next"' not in html:
            break
        page += 1
    assert sorted(seen) == ["Anne", "Sara", "Tor"]
    assert "3 personer" in html and "Side 3 av 3" in html  # the last page knows the total
