"""Arbeidsflate (/arbeidsflate/): the blocks of the work list over a small synthetic register —
deadlines within 30 and 90 days, deviations, rule errors, missing registrations and the Regelmotor's
automatic terminations — scoped to the user's municipality (IMDi sees all), as htmx fragments and
as full, sortable, paginated lists; bokmål labels, dates dd.mm.yyyy, bounded queries, audit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from nir.access.models import AuditEvent
from nir.register import derivation, services
from nir.register import models as m
from nir.register.actors import Actor
from nir.reports import worklist
from nir.testing import builders as b
from nir.testing.builders import make_user
from nir.web import views_overview

HX = {"HX-Request": "true"}


def fmt(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def start_for(deadline: dt.date, months: int = 24) -> dt.date:
    """The programme start that gives ``deadline`` with a final goal of ``months`` (start + N months − 1 day)."""
    return deadline + dt.timedelta(days=1) - relativedelta(months=months)


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "imdi-overview", "imdi"),
        "trondheim": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
        "bergen": make_user(django_user_model, "saksbehandler-4601", "k-4601"),
        "governor": make_user(django_user_model, "statsforvalter-trl", "sf-trl"),
    }


@pytest.fixture
def world(users):
    """Trondheim (5001) unless said otherwise:

    Dina Due (intro deadline in 20 days), Erik Sekstí (intro deadline in 60 days), Tina Terminert
    (deadline in 25 days, but terminated yesterday), Nora Norsk (Norwegian deadline within 90 days),
    Anne Aas (participation without final goal: deviation), Mona Mangel (right and duty, settled a year
    ago, no participation decision), Mats Sein (the same, settled 01.03.2022), Ola Over (deadline passed 40
    days ago, no termination), Olav Gammel (the same, 14 months ago), Ivar Jensen (loss of
    right and duty due to work 5 days ago: the Regelmotor's closure, registered 2 days ago), Eva Fjell
    (the same, long ago), Rolf Regel (a loss decision after participation, registered without the
    guard: a rule error). Bergen (4601): Hanne Ild (deadline in 20 days), Hilde Hav (no final goal).
    """
    today = timezone.localdate()
    now = timezone.now()
    r = b.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    p = {}

    def in_programme(first, last, deadline, *, municipality="5001", goal="work_no_vgo_old"):
        start = start_for(deadline)
        person = r.person(
            first,
            last,
            municipality=municipality,
            permit=start - dt.timedelta(days=90),
            settled=start - dt.timedelta(days=60),
            follow_up_from=start - dt.timedelta(days=60),
        )
        r.participation(person, start, goal=goal)
        return person

    p["dina"] = in_programme("Dina", "Due", today + dt.timedelta(days=20))
    p["erik"] = in_programme("Erik", "Seksti", today + dt.timedelta(days=60))
    p["tina"] = in_programme("Tina", "Terminert", today + dt.timedelta(days=25))
    r.termination(
        p["tina"], today - dt.timedelta(days=1), type_="completed", reason="work", when=now - dt.timedelta(hours=1)
    )
    p["hanne"] = in_programme("Hanne", "Ild", today + dt.timedelta(days=20), municipality="4601")
    p["hilde"] = r.person("Hilde", "Hav", municipality="4601")
    r.participation(p["hilde"], dt.date(2026, 1, 5))
    # Norwegian: 18 months from the permit (upper secondary education); no intro deadline near.
    permit = today + dt.timedelta(days=45) - relativedelta(months=18)
    p["nora"] = r.person(
        "Nora",
        "Norsk",
        permit=permit,
        settled=permit + dt.timedelta(days=20),
        follow_up_from=permit + dt.timedelta(days=20),
        education="upper_secondary_or_higher",
    )
    p["anne"] = r.person("Anne", "Aas")
    r.participation(p["anne"], dt.date(2026, 1, 5))
    p["mona"] = r.person("Mona", "Mangel")
    p["mats"] = r.person(
        "Mats", "Sein", permit=dt.date(2022, 1, 10), settled=dt.date(2022, 3, 1), follow_up_from=dt.date(2022, 3, 1)
    )
    p["ola"] = in_programme("Ola", "Over", today - dt.timedelta(days=40))
    p["olav"] = in_programme("Olav", "Gammel", today - relativedelta(months=14))
    p["ivar"] = r.person("Ivar", "Jensen")
    r.loss_due_to_work(
        p["ivar"], max(dt.date(2026, 1, 1), today - dt.timedelta(days=5)), when=now - dt.timedelta(days=2)
    )
    p["eva"] = r.person("Eva", "Fjell")
    r.loss_due_to_work(p["eva"], dt.date(2026, 1, 5))
    p["rolf"] = r.person("Rolf", "Regel")
    r.participation(p["rolf"], dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    services.register(
        p["rolf"],
        m.Decision,
        {"scheme": "intro", "decision_type": "loss_due_to_work", "decision_date": dt.date(2026, 2, 2)},
        r.actor,
        at=b.T0,
        evaluate=False,
    )
    services.store_result(p["rolf"], derivation.evaluate_person(p["rolf"]), now)
    return p


def derived(person) -> m.DerivedStatus:
    return m.DerivedStatus.objects.current().get(person=person)


def block(client, section: str) -> str:
    response = client.get(f"/arbeidsflate/{section}/", headers=HX)
    assert response.status_code == 200
    return response.content.decode()


def dufs(html: str) -> set[str]:
    return set(re.findall(r'href="/personer/(\d+)/"', html))


def login(client, user):
    client.force_login(user)
    return client


# --- the world is what the tests think it is ---------------------------------------------------


def test_the_world_has_the_derived_values_the_blocks_use(world):
    today = timezone.localdate()
    assert 18 <= (derived(world["dina"]).intro_deadline - today).days <= 22
    assert 58 <= (derived(world["erik"]).intro_deadline - today).days <= 62
    assert 31 <= (derived(world["nora"]).norwegian_deadline - today).days <= 90
    assert derived(world["anne"]).deviation_final_goal_missing
    assert derived(world["rolf"]).errors == ["loss_due_to_work_after_participation"]
    closure = m.Termination.objects.current().get(person=world["ivar"])
    assert closure.registered_by_system == "Regelmotor" and closure.termination_reason == "loss_due_to_work"


# --- each block's content -------------------------------------------------------------------------


def test_deadline_in_20_days_is_within_30_and_90_days(client, users, world):
    login(client, users["trondheim"])
    duf = world["dina"].duf
    assert duf in dufs(block(client, "frister-30"))
    assert duf in dufs(block(client, "frister-90"))


def test_deadline_in_60_days_is_within_90_days_only(client, users, world):
    login(client, users["trondheim"])
    duf = world["erik"].duf
    assert duf not in dufs(block(client, "frister-30"))
    html = block(client, "frister-90")
    assert duf in dufs(html)
    assert fmt(derived(world["erik"]).intro_deadline) in html
    assert "Introduksjonsprogram" in html


def test_a_terminated_programme_has_no_deadline_to_watch(client, users, world):
    login(client, users["trondheim"])
    assert world["tina"].duf not in dufs(block(client, "frister-30"))


def test_norwegian_deadline_shows_with_its_scheme(client, users, world):
    login(client, users["trondheim"])
    html = block(client, "frister-90")
    assert world["nora"].duf in dufs(html)
    assert f"Opplæring i norsk og samfunnskunnskap: {fmt(derived(world['nora']).norwegian_deadline)}" in html


def test_a_deviation_shows_with_its_label(client, users, world):
    login(client, users["trondheim"])
    html = block(client, "avvik")
    assert world["anne"].duf in dufs(html)
    assert "Med vedtak om introduksjonsprogram, men ikke registrert sluttmål" in html
    assert "05.01.2026" in html  # the programme's start date, dd.mm.yyyy


def test_the_deviation_block_is_the_deviation_report(users, world):
    """The block and the report avvik-sluttmaal select the same persons (one definition)."""
    from nir.access.scope import person_scope
    from nir.reports import registry

    ctx = worklist.Context.for_user(users["imdi"])
    block_ids = set(worklist.queryset(worklist.SECTIONS["avvik"], ctx).values_list("person_id", flat=True))
    report = registry.run("avvik-sluttmaal", registry.ReportParams(), scope=person_scope(users["imdi"]))
    assert {r["duf"] for r in report.rows} == set(
        m.Person.objects.filter(pk__in=block_ids).values_list("duf", flat=True)
    )


def test_a_registration_the_regelmotor_did_not_accept_shows(client, users, world):
    login(client, users["trondheim"])
    html = block(client, "regelbrudd")
    assert world["rolf"].duf in dufs(html)
    assert "Bortfall av rett og plikt pga. arbeid etter vedtak om deltakelse" in html
    assert world["anne"].duf not in dufs(html)


def test_missing_participation_decision_and_missing_termination(client, users, world):
    login(client, users["trondheim"])
    html = block(client, "mangler-vedtak")
    assert world["mona"].duf in dufs(html)
    assert world["mats"].duf not in dufs(html)  # settled more than two years ago: the right has lapsed
    assert world["anne"].duf not in dufs(html)  # has a participation decision
    assert world["ivar"].duf not in dufs(html)  # the Regelmotor closed the programme
    assert "Rett og plikt til introduksjonsprogram" in html
    assert "01.11.2025" in html  # settled
    html = block(client, "mangler-avslutning")
    assert world["ola"].duf in dufs(html)
    assert world["olav"].duf not in dufs(html)  # more than 12 months ago: in the report Personliste
    assert world["dina"].duf not in dufs(html)


def test_a_recent_regelmotor_closure_shows_an_old_one_does_not(client, users, world):
    login(client, users["trondheim"])
    html = block(client, "regelmotor")
    assert world["ivar"].duf in dufs(html)
    assert world["eva"].duf not in dufs(html)  # closed 10.01.2026, more than 30 days ago
    assert "Avbrutt" in html and "Vedtak om bortfall av rett og plikt pga. arbeid" in html
    assert "1 avslutning" in html


# --- scope ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["frister-30", "frister-90", "avvik"])
def test_a_bergen_person_never_shows_for_trondheim_imdi_sees_both(client, users, world, section):
    trondheim, bergen = {"frister-30": ("dina", "hanne"), "frister-90": ("dina", "hanne"), "avvik": ("anne", "hilde")}[
        section
    ]
    trondheim, bergen = world[trondheim].duf, world[bergen].duf
    html = block(login(client, users["trondheim"]), section)
    assert bergen not in dufs(html) and trondheim in dufs(html)
    html = block(login(client, users["bergen"]), section)
    assert bergen in dufs(html) and trondheim not in dufs(html)
    html = block(login(client, users["imdi"]), section)
    assert {bergen, trondheim} <= dufs(html)


def test_full_lists_are_scoped_too(client, users, world):
    login(client, users["trondheim"])
    for section in worklist.SECTIONS:
        html = client.get(f"/arbeidsflate/{section}/").content.decode()
        assert world["hanne"].duf not in html and world["hilde"].duf not in html


def test_the_county_governor_sees_the_county(client, users, world):
    html = block(login(client, users["governor"]), "frister-30")
    assert world["dina"].duf in dufs(html) and world["hanne"].duf not in dufs(html)


# --- the page, the fragment and the full list ---------------------------------------------------


def test_the_page_loads_each_block_by_htmx_and_links_the_lists(client, users, world, django_assert_max_num_queries):
    login(client, users["trondheim"])
    with django_assert_max_num_queries(12):
        response = client.get("/arbeidsflate/")
    html = response.content.decode()
    assert response.status_code == 200
    for section in worklist.SECTIONS:
        assert f'hx-get="/arbeidsflate/{section}/"' in html
        assert f'href="/arbeidsflate/{section}/"' in html  # works without JavaScript
    assert 'hx-trigger="load"' in html
    assert '<noscript><meta http-equiv="refresh" content="0; url=/arbeidsflate/?inline=1"></noscript>' in html
    assert "Arbeidsflate" in html and "Frister" in html and "Avvik som må rettes" in html
    assert world["dina"].duf not in html  # no persons until the blocks load


def test_without_javascript_every_block_is_on_the_page(client, users, world, django_assert_max_num_queries):
    login(client, users["trondheim"])
    with django_assert_max_num_queries(30):
        html = client.get("/arbeidsflate/?inline=1").content.decode()
    assert "hx-get" not in html and "<noscript><meta" not in html
    assert {world["dina"].duf, world["anne"].duf, world["mona"].duf, world["ivar"].duf, world["rolf"].duf} <= dufs(html)
    assert world["hanne"].duf not in html


def test_a_fragment_is_one_block_and_the_full_page_is_the_list(client, users, world):
    login(client, users["trondheim"])
    fragment = client.get("/arbeidsflate/frister-90/", headers=HX)
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section class="ds-card ov-block" id="block-frister-90"')
    assert "<html" not in html and "Vis alle (" in html
    assert "HX-Request" in fragment["Vary"]
    page = client.get("/arbeidsflate/frister-90/").content.decode()
    assert page.lstrip().startswith("<!doctype html>")
    assert "Gjennomføringsfrist innen 90 dager" in page
    assert 'aria-sort="ascending"' in page  # sorted by the deadline, soonest first
    assert "/rapporter/personliste/?deadline_within=90" in page


@pytest.mark.parametrize("section", list(worklist.SECTIONS))
def test_each_fragment_is_a_few_bounded_queries(client, users, world, section, django_assert_max_num_queries):
    login(client, users["trondheim"])
    with django_assert_max_num_queries(9):
        assert client.get(f"/arbeidsflate/{section}/", headers=HX).status_code == 200


def test_the_full_list_pages_and_sorts(client, users, world, monkeypatch):
    monkeypatch.setattr(views_overview, "PAGE_SIZE", 1)
    login(client, users["trondheim"])
    first = client.get("/arbeidsflate/frister-90/").content.decode()
    assert "Side 1 av 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    # soonest first: Dina (20 days), then Nora, then Erik (60 days)
    assert dufs(first) == {world["dina"].duf}
    last = client.get("/arbeidsflate/frister-90/?page=3").content.decode()
    assert "Side 3 av 3" in last and dufs(last) == {world["erik"].duf}
    beyond = client.get("/arbeidsflate/frister-90/?page=99").content.decode()
    assert "Side 3 av 3" in beyond
    by_name = client.get("/arbeidsflate/frister-90/?sort=-name").content.decode()
    assert dufs(by_name) == {world["erik"].duf}  # Seksti, Norsk, Due: descending last name
    assert 'aria-sort="descending"' in by_name
    unknown = client.get("/arbeidsflate/frister-90/?sort=nonsense")
    assert unknown.status_code == 200


def test_unknown_section_is_404(client, users, world):
    login(client, users["trondheim"])
    assert client.get("/arbeidsflate/ukjent/").status_code == 404
    assert client.get("/arbeidsflate/ukjent/", headers=HX).status_code == 404


def test_labels_are_bokmal_and_dates_dd_mm_yyyy(client, users, world):
    login(client, users["trondheim"])
    html = client.get("/arbeidsflate/regelmotor/").content.decode()
    for label in (
        "DUF-nummer",
        "Navn",
        "Oppf.kommune/bydel",
        "Avslutning",
        "Avslutningsårsak",
        "Avslutningsdato",
        "Registrert",
        "5001 Trondheim",
    ):
        assert label in html
    assert re.search(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", html)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", html.split("<main", 1)[1])
    html = client.get("/arbeidsflate/").content.decode()
    for label in (
        "Gjennomføringsfrist innen 30 dager",
        "Manglende registreringer",
        "Automatiske registreringer fra Regelmotor",
    ):
        assert label in html


# --- audit and access ------------------------------------------------------------------------------


def test_the_persons_shown_are_audited(client, users, world):
    login(client, users["trondheim"])
    block(client, "avvik")
    event = AuditEvent.objects.filter(what="worklist:avvik").latest("id")
    assert event.action == "read" and event.channel == "web" and event.user == users["trondheim"]
    assert set(event.person_links.values_list("person_id", flat=True)) == {world["anne"].pk}
    client.get("/arbeidsflate/?inline=1")
    event = AuditEvent.objects.filter(what="worklist").latest("id")
    assert world["dina"].pk in set(event.person_links.values_list("person_id", flat=True))


def test_login_required_and_a_user_without_persons_sees_nothing(client, db, django_user_model, world):
    assert client.get("/arbeidsflate/").status_code in (302, 403)
    county = make_user(django_user_model, "fylke-uten-personer", "imdi")
    county.organisation = None
    county.save()
    client.force_login(county)
    assert client.get("/arbeidsflate/frister-30/", headers=HX).status_code in (200, 403)


def test_an_empty_scope_gives_empty_blocks(users, world):
    from nir.access.scope import NOBODY

    ctx = worklist.Context(NOBODY, timezone.localdate(), timezone.now())
    for section in worklist.SECTIONS:
        page = worklist.run(section, ctx, limit=5)
        assert page.count == 0 and page.rows == []
