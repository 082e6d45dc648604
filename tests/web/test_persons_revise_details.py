"""«Rett» of the person's own details (personopplysninger, /personer/<duf>/rett/personopplysninger/<id>/):
the form pre-filled, errors on the right field, saved with a reason and shown in the history; no
«Slett»; skjermet changed by IMDi only; the county governor refused (403)."""

from __future__ import annotations

import re

import pytest
from persons_support import counts, events, text

from nir.register import models as m

pytestmark = pytest.mark.django_db


def details(person) -> m.PersonDetails:
    return m.PersonDetails.objects.current().get(person=person)


def url(person, what="rett"):
    return f"/personer/{person.duf}/{what}/personopplysninger/{details(person).pk}/"


def form(row: m.PersonDetails, **changes) -> dict[str, str]:
    data = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "birth_date": row.birth_date.strftime("%d.%m.%Y"),
        "sex": row.sex,
        "education": row.education,
        "national_id": row.national_id,
        "protected_identity": "true" if row.protected_identity else "false",
        "begrunnelse": "Skrivefeil i navnet",
    }
    return data | changes


def test_the_person_page_and_the_history_link_to_the_details_form_and_never_to_a_deletion(world, as_user):
    c = as_user("trondheim")
    anne = world["anne"]
    page = text(c.get(f"/personer/{anne.duf}/"))
    assert f'href="{url(anne)}"' in page
    assert url(anne, "slett") not in page
    history = text(c.get(f"/personer/{anne.duf}/historikk/"))
    assert f'href="{url(anne)}?fra=historikk"' in history and url(anne, "slett") not in history
    assert c.get(url(anne, "slett")).status_code == 404
    assert c.post(url(anne, "slett"), {"begrunnelse": "x"}).status_code == 404


def test_the_form_is_prefilled(world, as_user):
    anne = world["anne"]
    row = details(anne)
    html = text(as_user("trondheim").get(url(anne)))
    assert 'value="Anne"' in html and 'value="Aas"' in html
    assert f'value="{row.birth_date:%d.%m.%Y}"' in html and f'value="{row.national_id}"' in html
    assert re.search(rf'<option value="{row.sex}" selected>', html)
    assert 'name="begrunnelse"' in html


def test_a_surname_is_corrected_and_the_history_shows_why(world, as_user, users):
    c = as_user("trondheim")
    anne = world["anne"]
    old = details(anne)
    r = c.post(url(anne), form(old, last_name="Aasen"))
    assert r.status_code == 303 and r["Location"] == f"/personer/{anne.duf}/"
    new = details(anne)
    assert (new.last_name, new.supersedes_id, new.change_reason) == ("Aasen", old.pk, "Skrivefeil i navnet")
    assert "Anne Aasen" in text(c.get(r["Location"]))
    history = text(c.get(f"/personer/{anne.duf}/historikk/"))
    assert "Skrivefeil i navnet" in history and "Aasen" in history
    [event] = events(action="write", channel="web")
    assert event.what == "details:correct" and event.user == users["trondheim"]


def test_errors_are_shown_on_their_field_and_nothing_is_stored(world, as_user):
    c = as_user("trondheim")
    anne = world["anne"]
    row = details(anne)
    before = counts()
    bad_id = row.national_id[:-1] + str((int(row.national_id[-1]) + 1) % 10)
    r = c.post(url(anne), form(row, national_id=bad_id))
    assert r.status_code == 422
    html = text(r)
    assert re.search(r'name="national_id"[^>]*aria-invalid="true"', html)
    assert not re.search(r'name="last_name"[^>]*aria-invalid="true"', html)
    r = c.post(url(anne), form(row, birth_date="31.02.1990"))
    assert r.status_code == 422 and re.search(r'name="birth_date"[^>]*aria-invalid="true"', text(r))
    r = c.post(url(anne), form(row, last_name="", begrunnelse=""))
    html = text(r)
    assert r.status_code == 422 and re.search(r'name="last_name"[^>]*aria-invalid="true"', html)
    assert "en retting må ha en begrunnelse" in html
    assert counts() == before and details(anne).pk == row.pk and not events(action="write")


def test_skjermet_is_refused_for_a_municipality_and_saved_for_imdi(world, as_user):
    anne = world["anne"]
    row = details(anne)
    r = as_user("trondheim").post(url(anne), form(row, protected_identity="true", begrunnelse="Trusler"))
    assert r.status_code == 403
    html = text(r)
    assert "Bare IMDi kan endre om en person er skjermet." in html
    assert re.search(r'name="protected_identity"[^>]*aria-invalid="true"', html)
    assert details(anne).pk == row.pk and not details(anne).protected_identity
    r = as_user("imdi").post(url(anne), form(row, protected_identity="true", begrunnelse="Trusler"))
    assert r.status_code == 303 and details(anne).protected_identity


def test_the_county_governor_may_not_correct_details(world, as_user):
    anne = world["anne"]
    row = details(anne)
    g = as_user("governor")
    assert url(anne) not in text(g.get(f"/personer/{anne.duf}/"))
    assert g.get(url(anne)).status_code == 403
    assert g.post(url(anne), form(row, last_name="X")).status_code == 403
    assert details(anne).pk == row.pk
