"""Moves on the web (issue 16 § 2): the form that registers a move, the page Flyttinger (moved in
with origin and deadlines, moved out, secondary migration), and what each municipality's person
pages show after the move."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from persons_support import HX, events, text

from nir.register import models as m

pytestmark = pytest.mark.django_db


def move_date(days_ago: int = 1) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days_ago)


def post_move(client, person, day: dt.date, municipality="4601", **extra):
    return client.post(
        f"/personer/{person.duf}/flytting/",
        {"move_date": day.strftime("%d.%m.%Y"), "municipality": municipality, **extra},
    )


def test_the_person_page_offers_a_move_to_whoever_may_register(world, as_user):
    assert f'href="/personer/{world["anne"].duf}/flytting/"' in text(
        as_user("trondheim").get(f"/personer/{world['anne'].duf}/")
    )
    assert "/flytting/" not in text(as_user("governor").get(f"/personer/{world['anne'].duf}/"))
    form = as_user("trondheim").get(f"/personer/{world['anne'].duf}/flytting/")
    assert form.status_code == 200 and "Registrer flytting" in text(form) and 'value="4601"' in text(form)
    assert as_user("governor").get(f"/personer/{world['anne'].duf}/flytting/").status_code == 403
    # the receiving municipality cannot move someone else's person into its area
    r = post_move(as_user("bergen"), world["anne"], move_date())
    assert r.status_code == 404 and 'id="person-elsewhere"' in text(r)
    assert m.FollowUp.objects.current().filter(person=world["anne"]).count() == 1


def test_a_refused_move_is_shown_with_its_errors_and_stores_nothing(world, as_user):
    c = as_user("trondheim")
    r = c.post(f"/personer/{world['anne'].duf}/flytting/", {"move_date": "31.02.2026", "municipality": ""})
    assert r.status_code == 422
    assert "Flyttedatoen må være en dato skrevet som dd.mm.åååå." in text(r) and "Velg kommunen" in text(r)
    r = post_move(c, world["anne"], move_date(), municipality="5001")
    assert r.status_code == 422 and "følges allerede opp av denne kommunen" in text(r)
    assert m.FollowUp.objects.current().filter(person=world["anne"]).count() == 1


def test_move_the_new_municipality_takes_over_and_the_old_reads_only_until_the_transfer(world, as_user):
    anne = world["anne"]
    r = post_move(as_user("trondheim"), anne, move_date(), address="Bryggen 3", postal_code="5003")
    assert r.status_code == 303 and r["Location"] == "/personer/flyttinger/"
    [event] = events(action="write", what="move")
    # Bergen: the person, the new address, and a registration of its own
    bergen = as_user("bergen")
    page = text(bergen.get(f"/personer/{anne.duf}/"))
    assert "Anne" in page and "Bryggen 3" in page and 'id="tidligere-oppfolging"' not in page
    r = bergen.post(
        f"/personer/{anne.duf}/ny/fravaer/?ordning=intro",
        {"kind": "leave", "from": "06.04.2026", "to": "07.04.2026"},
    )
    assert r.status_code in (302, 303), text(r)[:2000]
    # Bergen's Flyttinger: moved in from Trondheim, with the deadline
    moves = text(bergen.get("/personer/flyttinger/"))
    assert anne.duf in moves and "Trondheim" in moves and "Innflyttet" in moves
    deadline = m.DerivedStatus.objects.current().get(person=anne).intro_deadline
    assert deadline and deadline.strftime("%d.%m.%Y") in moves
    # Trondheim: the person as registered until the transfer, read only, without Bergen's registrations
    trondheim = as_user("trondheim")
    page = text(trondheim.get(f"/personer/{anne.duf}/"))
    assert 'id="tidligere-oppfolging"' in page and "Anne" in page
    assert "Bryggen 3" not in page and "Bergen" not in page and "/ny/" not in page and "/flytting/" not in page
    history = text(trondheim.get(f"/personer/{anne.duf}/historikk/"))
    assert "06.04.2026" not in history and "Bryggen 3" not in history and 'id="tidligere-oppfolging"' in history
    section = trondheim.get(f"/personer/{anne.duf}/seksjon/fravaer-intro/", headers=HX)
    assert section.status_code == 200 and "06.04.2026" not in text(section)
    # … cannot register any more
    r = trondheim.post(
        f"/personer/{anne.duf}/ny/fravaer/?ordning=intro",
        {"kind": "leave", "from": "13.04.2026", "to": "14.04.2026"},
    )
    assert r.status_code == 404
    # … and lists the person as moved out, without where to
    moves = text(trondheim.get("/personer/flyttinger/"))
    assert "Utflyttet" in moves and anne.duf in moves and "Bergen" not in moves
    assert event.organisation.code == "k-5001"
    # (one test client: log in again) Bergen's history has its own registration
    assert "06.04.2026" in text(as_user("bergen").get(f"/personer/{anne.duf}/historikk/"))


def test_the_persons_page_links_to_the_moves(world, as_user):
    assert 'href="/personer/flyttinger/"' in text(as_user("trondheim").get("/personer/"))


def test_search_for_a_person_who_moved_out_opens_what_was_registered_until_then(world, as_user):
    post_move(as_user("trondheim"), world["anne"], move_date())
    r = as_user("trondheim").get("/personer/", {"duf": world["anne"].duf})
    assert r.status_code == 302 and r["Location"] == f"/personer/{world['anne'].duf}/"


def test_the_moves_page_shows_secondary_migration_to_those_who_read_reports(world, as_user):
    post_move(as_user("trondheim"), world["anne"], move_date())  # settled by agreement 01.11.2025
    page = text(as_user("bergen").get("/personer/flyttinger/"))
    assert 'id="sekundaerflytting"' in page and "Sekundærflytting" in page
    row = page[page.index('id="sekundaerflytting"') :]
    assert "Trondheim" in row and "Bergen" in row
    imdi = text(as_user("imdi").get("/personer/flyttinger/"))
    assert world["anne"].duf in imdi and 'id="utflyttet"' not in imdi


def test_the_work_list_shows_who_moved_in_with_their_deadline(world, as_user):
    post_move(as_user("trondheim"), world["anne"], move_date())
    block = as_user("bergen").get("/arbeidsflate/innflyttet/")
    assert block.status_code == 200
    html = text(block)
    assert world["anne"].duf in html and "Trondheim" in html and "Innflyttet" in html
    deadline = m.DerivedStatus.objects.current().get(person=world["anne"]).intro_deadline
    assert deadline.strftime("%d.%m.%Y") in html
    assert world["anne"].duf not in text(as_user("trondheim").get("/arbeidsflate/innflyttet/"))
