"""The person page /personer/<duf>/: sections and labels in bokmål, the Regelmotor's categories and
deadline with its explanation, scope (404), the skjermet address, read-only users, audit, the number of
queries; its sections as htmx fragments; «Vis all avslutningshistorikk»; the history page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from persons_support import HX, at, counts, events, text

from nir.access.models import AuditEventPerson
from nir.register import models as m
from nir.register import services
from nir.register.actors import Actor

pytestmark = pytest.mark.django_db
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def page(client, person, query=""):
    return client.get(f"/personer/{person.duf}/{query}")


def section_html(html: str, section_id: str) -> str:
    """The HTML of one <section id=…> (sections are not nested)."""
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def test_person_page_has_the_sections_of_nir_in_bokmal(world, as_user):
    r = page(as_user("trondheim"), world["anne"])
    assert r.status_code == 200
    html = text(r)
    for section_id in (
        "grunndata",
        "kategori",
        "frist-intro",
        "vedtak-intro",
        "sluttmaal-intro",
        "avslutning-intro",
        "deltakelse-intro",
        "fravaer-intro",
        "frist-norwegian",
        "vedtak-norwegian",
        "avslutning-norwegian",
        "deltakelse-norwegian",
        "fravaer-norwegian",
        "karriereveiledning",
    ):
        assert f'id="{section_id}"' in html, section_id
    for label in (
        "Grunndata",
        "NIR - Kategori",
        "Introduksjonsprogram",
        "Opplæring i norsk og samfunnskunnskap",
        "Oppholdstillatelse",
        "Hjemmel",
        "Vedtaksdato",
        "Ankomst Norge",
        "Effektueringsdato",
        "Vedtak",
        "Resultat",
        "Startdato",
        "Sluttdato",
        "Registrert av",
        "Oppf.kommune/bydel",
        "Handling",
        "Sluttmål",
        "Avslutning",
        "Gjennomføringsfrist",
        "Deltakelse og tiltak",
        "Fravær og permisjon",
        "Karriereveiledning",
        "+ Legg til",
        "Vis all avslutningshistorikk",
        "DUF-nummer",
    ):
        assert label in html, label
    assert "<h1" in html and "Anne Aas" in html and world["anne"].duf in html
    vedtak = section_html(html, "vedtak-intro")
    assert "Deltakelse i introduksjonsprogram" in vedtak and "Vedtak fattet" in vedtak and "05.01.2026" in vedtak
    # Registrert av: the caseworker's name and organisation
    assert "Tone Trondheim, " in vedtak
    assert "Utlendingsloven 2008 § 28" in section_html(html, "grunndata")
    assert "Storgata 1" in section_html(html, "grunndata")
    # No English left on the page
    for english in ("Decision", "Registered by", "Completion deadline", "+ Add", "Basic data"):
        assert english not in html, english


def test_categories_and_deadline_with_the_rules_behind_them(world, as_user):
    html = text(page(as_user("trondheim"), world["anne"]))
    kategori = section_html(html, "kategori")
    assert "Rett og plikt til introduksjonsprogram" in kategori
    assert "Rett og plikt til opplæring i norsk og samfunnskunnskap" in kategori
    # the law in plain words (the rule ids only for IMDi's fagansvarlige: tests/web/test_caseworker_pages.py)
    assert "Integreringsloven § 8 første ledd" in kategori and "s08_right_and_duty" not in kategori
    frist = section_html(html, "frist-intro")
    # 05.01.2026 + 24 months − 1 day = 04.01.2028, extended by 20 workdays of leave: 01.02.2028
    assert 'data-deadline="2028-02-01"' in frist and "01.02.2028" in frist and "04.01.2028" in frist
    assert "20 virkedager" in frist and "24 måneder" in frist
    assert "Integreringsloven § 14" in frist and "Integreringsforskriften §§ 10 og 19" in frist
    assert "s13_14_deadline" not in frist and "if_s10_s19_absence_extension" not in frist
    assert "Slik er fristen beregnet" in frist
    assert "30.09.2028" in section_html(html, "frist-norwegian")


def test_add_links_are_real_links_with_htmx(world, as_user):
    html = text(page(as_user("trondheim"), world["anne"]))
    duf = world["anne"].duf
    link = re.search(rf'<a [^>]*href="/personer/{duf}/ny/vedtak/\?ordning=intro"[^>]*>', html).group(0)
    assert f'hx-get="/personer/{duf}/ny/vedtak/?ordning=intro"' in link
    assert 'aria-controls="slot-vedtak-intro"' in link and 'hx-target="#slot-vedtak-intro"' in link
    assert 'id="slot-vedtak-intro"' in html
    for kind, scheme in (
        ("sluttmaal", "intro"),
        ("avslutning", "norwegian"),
        ("deltakelse", "intro"),
        ("tiltak", "intro"),
        ("fravaer", "norwegian"),
        ("utvidelse", "intro"),
    ):
        assert f'href="/personer/{duf}/ny/{kind}/?ordning={scheme}"' in html, kind
    assert f'href="/personer/{duf}/ny/karriereveiledning/"' in html


def test_unknown_is_not_found_and_another_municipalitys_person_is_said_to_be_followed_up_elsewhere(world, as_user):
    """Issue 16 § 2: both 404, but a DUF number that exists in another area says so — with nothing about
    the person, not even which municipality follows them up."""
    c = as_user("trondheim")
    outside = page(c, world["berit"])
    unknown = c.get("/personer/999999999999/")
    assert outside.status_code == unknown.status_code == 404
    assert 'id="person-elsewhere"' in text(outside) and 'id="person-elsewhere"' not in text(unknown)
    assert "følges opp av en annen kommune eller bydel" in text(outside)
    assert "Fant ingen person med DUF-nummer 999999999999 som du har tilgang til." in text(unknown)
    main = text(outside)[text(outside).index("<main") : text(outside).index("</main>")]
    main = main.replace(world["berit"].duf, "DUF")  # (a synthetic DUF number may itself contain «4601»)
    assert "Berit" not in main and "Berg" not in main and "4601" not in main
    assert c.get("/personer/abc/").status_code == 404
    assert as_user("bergen").get(f"/personer/{world['anne'].duf}/").status_code == 404
    for path in ("historikk/", "seksjon/vedtak-intro/", "ny/vedtak/?ordning=intro"):
        assert as_user("trondheim").get(f"/personer/{world['berit'].duf}/{path}", headers=HX).status_code == 404


def test_skjermet_address_only_for_imdi(world, as_user):
    html = text(page(as_user("trondheim"), world["sara"]))
    assert "Hemmeligveien" not in html and "7010" not in html
    assert "Adressen er skjermet og vises bare for IMDi." in html
    html = text(page(as_user("imdi"), world["sara"]))
    assert "Hemmeligveien 1" in html
    assert "Hemmeligveien" not in text(as_user("governor").get(f"/personer/{world['sara'].duf}/"))


def test_county_governor_reads_but_may_not_register(world, as_user):
    g = as_user("governor")
    r = page(g, world["anne"])
    assert r.status_code == 200
    html = text(r)
    assert "+ Legg til" not in html and "/ny/" not in html
    before = counts()
    duf = world["anne"].duf
    assert g.get(f"/personer/{duf}/ny/vedtak/?ordning=intro").status_code == 403
    r = g.post(f"/personer/{duf}/ny/vedtak/?ordning=intro", {"type": "participation", "decision_date": "02.02.2026"})
    assert r.status_code == 403
    assert counts() == before


def test_user_without_organisation_is_refused(world, as_user):
    assert page(as_user("none"), world["anne"]).status_code == 403


def test_reading_the_page_is_audited(world, as_user, users):
    page(as_user("trondheim"), world["anne"])
    [event] = events(action="read", channel="web", what="person")
    assert event.user == users["trondheim"] and event.person_count == 1
    assert AuditEventPerson.objects.filter(event=event, person=world["anne"]).exists()
    page(as_user("trondheim"), world["berit"])  # followed up elsewhere: nothing read, the refused lookup recorded
    assert len(events(action="read", channel="web", outcome="allowed")) == 1
    [refused] = events(action="read", channel="web", what="person:elsewhere")
    assert (
        refused.outcome == "denied" and AuditEventPerson.objects.filter(event=refused, person=world["berit"]).exists()
    )
    as_user("trondheim").get("/personer/999999999999/")  # unknown: nobody to name, nothing recorded
    assert len(events(action="read", channel="web")) == 2


def test_person_page_does_a_bounded_number_of_queries(world, as_user, django_assert_max_num_queries):
    c = as_user("trondheim")
    page(c, world["anne"])  # caches: help texts, place names
    # session, user, the organisation, role assignments (the menu), the person, every current row (one
    # statement), the registering users (one), the person's open plausibility warnings (one: a table of
    # its own, not a registration, read through the plaus_person index with an EXISTS per warning on
    # its registration's primary key — a bounded, usually empty read; folding it into the rows' UNION
    # would give that statement columns no registration has), the audit event and its person
    with django_assert_max_num_queries(10) as captured:
        assert page(c, world["anne"]).status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    # Every registration of the person in one statement (on PostgreSQL a prepared statement on the
    # connection itself, which Django's query log does not see), no table read on its own but the warnings
    assert sum("UNION ALL" in s for s in sql) == (0 if ON_POSTGRES else 1)
    own = [s for s in sql if '"register_' in s and "UNION ALL" not in s and '"register_person"' not in s]
    assert len(own) == 1 and 'FROM "register_plausibilitywarning"' in own[0], own


def test_rules_are_evaluated_once_per_page(world, as_user, monkeypatch):
    from nir import rules

    calls = []
    real = rules.evaluate
    monkeypatch.setattr(rules, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k))
    page(as_user("trondheim"), world["anne"])
    assert len(calls) == 1


def test_section_fragment_for_htmx(world, as_user):
    c = as_user("trondheim")
    duf = world["anne"].duf
    r = c.get(f"/personer/{duf}/seksjon/vedtak-intro/", headers=HX)
    assert r.status_code == 200
    html = text(r)
    assert "<html" not in html and "Deltakelse i introduksjonsprogram" in html and 'id="vedtak-intro-h"' in html
    # without JavaScript the links lead to the page itself, with the same content
    html = text(c.get(f"/personer/{duf}/"))
    assert f'href="/personer/{duf}/?historikk=avslutning-intro#avslutning-intro"' in html
    assert f'hx-get="/personer/{duf}/seksjon/avslutning-intro/?historikk=1"' in html
    assert c.get(f"/personer/{duf}/seksjon/nonsense/", headers=HX).status_code == 404
    assert events(action="read", what="person:vedtak-intro")


def test_all_termination_history_shows_superseded_versions(world, as_user, users):
    actor = Actor.for_user(users["trondheim"], source_system="NIR-test")
    person = world["anne"]
    row = services.register(
        person,
        m.Termination,
        {
            "scheme": "intro",
            "termination_type": "completed",
            "termination_reason": "work",
            "hours_work_per_week": None,
            "termination_date": dt.date(2026, 6, 30),
            "follow_up_municipality": "5001",
        },
        actor,
        at=at(2026, 7, 1),
    ).row
    services.correct(row, {"termination_reason": "education"}, "Feil årsak", actor, at=at(2026, 7, 2))
    c = as_user("trondheim")
    current = section_html(text(page(c, person)), "avslutning-intro")
    assert "Overgang til utdanning" in current and "Overgang til arbeid" not in current
    assert f'href="/personer/{person.duf}/?historikk=avslutning-intro#avslutning-intro"' in current
    everything = section_html(text(page(c, person, "?historikk=avslutning-intro")), "avslutning-intro")
    assert "Overgang til utdanning" in everything and "Overgang til arbeid" in everything
    assert "Erstattet 02.07.2026" in everything and "Feil årsak" in everything
    assert "Vis bare gjeldende avslutninger" in everything
    fragment = text(c.get(f"/personer/{person.duf}/seksjon/avslutning-intro/?historikk=1", headers=HX))
    assert "Overgang til arbeid" in fragment and "Erstattet" in fragment
    both = text(page(c, person, "?historikk=avslutning"))
    assert "Overgang til arbeid" in section_html(both, "avslutning-intro")


def test_history_page_lists_every_version_with_who_and_why(world, as_user, users):
    person = world["sara"]  # her details were corrected (skjermet)
    c = as_user("trondheim")
    r = c.get(f"/personer/{person.duf}/historikk/")
    assert r.status_code == 200
    html = text(r)
    assert "Alle registreringer" in html and "Personopplysninger" in html
    assert "Korrigert" in html and "Skjermet" in html and "Erstattet 11.01.2026" in html
    assert "Tone Trondheim" in html and "NIR-test" in html
    decision = m.Decision.objects.filter(person=world["anne"]).first()
    html = text(c.get(f"/personer/{world['anne'].duf}/historikk/?avledet=1"))
    assert f'id="reg-decision-{decision.pk}"' in html and "Regelmotor" in html and "Avledet status" in html
    assert events(action="read", what="person:historikk")
