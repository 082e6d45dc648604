"""The grants' register facts (grants.md A.1.1) on the person page: the «Tilskuddsgrunnlag» section with its
«+ Legg til» forms in bokmål, a registration shown in the section and the history, and bad input refused on
its field with nothing stored and every value kept."""

from __future__ import annotations

import pytest
from persons_support import counts, text

from nir.register import models as m

pytestmark = pytest.mark.django_db

STAY = {"centre": "Mottak Lade", "host_municipality": "5001", "from": "01.05.2025", "to": ""}


def add(client, person, slug, data):
    return client.post(f"/personer/{person.duf}/ny/{slug}/", data)


def test_the_section_and_its_forms_are_in_bokmal(world, as_user):
    c = as_user("trondheim")
    html = text(c.get(f"/personer/{world['anne'].duf}/"))
    assert "Tilskuddsgrunnlag" in html and "Det er ikke registrert tilskuddsgrunnlag." in html
    form = text(c.get(f"/personer/{world['anne'].duf}/ny/familieinnvandring/"))
    assert "Referanseperson (DUF-nummer)" in form and "Referansepersonen er norsk eller nordisk borger" in form
    assert '<option value="true"' in form  # the yes/no choice
    form = text(c.get(f"/personer/{world['anne'].duf}/ny/ekstratilskudd/"))
    assert "Legg til søknad om ekstratilskudd" in form and "Tilskuddsår" in form


def test_a_reception_stay_is_registered_and_shown(world, as_user):
    c = as_user("trondheim")
    r = add(c, world["anne"], "mottaksopphold", STAY)
    assert r.status_code == 303, text(r)
    row = m.ReceptionStay.objects.current().get(person=world["anne"])
    assert (row.centre, row.host_municipality, row.to_date) == ("Mottak Lade", "5001", None)
    html = text(c.get(f"/personer/{world['anne'].duf}/"))
    assert "Mottaksopphold" in html and "Mottak Lade (5001)" in html
    history = text(c.get(f"/personer/{world['anne'].duf}/historikk/"))
    assert "Mottak Lade" in history


def test_bad_input_is_shown_on_the_field_and_nothing_is_stored(world, as_user):
    before = counts()
    r = add(as_user("trondheim"), world["anne"], "mottaksopphold", STAY | {"to": "01.01.2025"})
    assert r.status_code == 422
    html = text(r)
    assert "sluttdato er før startdato" in html and 'value="Mottak Lade"' in html
    r = add(
        as_user("trondheim"), world["anne"], "videregaende", {"from": "05.01.2026", "full_time": "true", "county": "99"}
    )
    assert r.status_code == 422 and "ukjent fylkesnummer" in text(r)
    assert counts() == before
