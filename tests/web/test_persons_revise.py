"""«Rett» and «Slett (annuller)» /personer/<duf>/rett|slett/<kind>/<id>/: every registration kind
corrected and annulled through the actions, without JavaScript (POST → 303, or the form again with
the errors and what was typed) and with htmx (the section and what the Regelmotor derives anew); a
reason required; a stale version refused (409); the county governor neither sees the links nor may
post (403); the history shows who, when and why."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from persons_support import HX, counts, events, text

from nir.register import kinds
from nir.register import models as m
from nir.web.persons.revisions import REVISION_KINDS, SLUG_BY_MODEL

pytestmark = pytest.mark.django_db


def url(what, person, row):
    return f"/personer/{person.duf}/{what}/{SLUG_BY_MODEL[type(row)]}/{row.pk}/"


def leave(person):
    return m.Absence.objects.current().get(person=person)


def test_every_kind_has_a_form():
    assert set(SLUG_BY_MODEL) == {k.model for k in kinds.REVISABLE}
    assert len(REVISION_KINDS) == len(kinds.REVISABLE) == len(kinds.KINDS) + 1  # and the person's details


def test_the_correction_form_is_prefilled_without_and_with_htmx(world, as_user):
    c = as_user("trondheim")
    row = leave(world["anne"])
    r = c.get(url("rett", world["anne"], row))
    html = text(r)
    assert r.status_code == 200 and "<html" in html and "Anne Aas" in html and "hx-post" not in html
    assert "Rett: Fravær/permisjon" in html or "Rett:" in html
    assert 'value="02.02.2026"' in html and 'value="27.02.2026"' in html
    assert re.search(r'<option value="leave" selected>', html)
    assert 'name="begrunnelse"' in html and "Lagre rettingen" in html
    r = c.get(url("rett", world["anne"], row), headers=HX)
    html = text(r)
    assert "<html" not in html and 'hx-target="#slot-fravaer-intro"' in html


def test_correcting_an_absence_moves_the_deadline_without_javascript(world, as_user, users):
    """20 workdays of leave 02.02–27.02.2026 corrected to 02.02–06.02.2026 (5 workdays): the
    completion deadline on the person page moves back by 15 workdays at once."""
    c = as_user("trondheim")
    anne = world["anne"]
    before = m.DerivedStatus.objects.current().get(person=anne).intro_deadline
    row = leave(anne)
    data = {"kind": "leave", "from": "02.02.2026", "to": "06.02.2026", "begrunnelse": "Feil sluttdato"}
    r = c.post(url("rett", anne, row), data)
    assert r.status_code == 303 and r["Location"] == f"/personer/{anne.duf}/#fravaer-intro"
    new = leave(anne)
    assert new.to_date == dt.date(2026, 2, 6) and new.supersedes_id == row.pk and new.change_reason == "Feil sluttdato"
    after = m.DerivedStatus.objects.current().get(person=anne).intro_deadline
    assert after < before
    page = text(c.get(r["Location"]))
    assert "Rettingen er lagret." in page and after.strftime("%d.%m.%Y") in page
    assert "5 virkedager" in page
    [event] = events(action="write", channel="web")
    assert event.what == "absences:correct" and event.user == users["trondheim"]


def test_correcting_with_htmx_rerenders_the_section_and_the_deadline(world, as_user):
    c = as_user("trondheim")
    anne = world["anne"]
    data = {"kind": "leave", "from": "02.02.2026", "to": "06.02.2026", "begrunnelse": "Feil sluttdato"}
    r = c.post(url("rett", anne, leave(anne)), data, headers=HX)
    assert r.status_code == 200 and r["HX-Retarget"] == "#fravaer-intro"
    html = text(r)
    assert "Rettingen er lagret." in html and "06.02.2026" in html
    assert re.search(r'<(section|div) id="frist-intro"[^>]*hx-swap-oob="true"', html)
    assert "5 virkedager" in html


def test_refused_correction_is_shown_again_with_what_was_typed(world, as_user):
    c = as_user("trondheim")
    anne = world["anne"]
    row = leave(anne)
    before = counts()
    r = c.post(url("rett", anne, row), {"kind": "leave", "from": "02.02.2026", "to": "31.02.2026", "begrunnelse": ""})
    assert r.status_code == 422
    html = text(r)
    assert "Rettingen ble ikke lagret" in html and 'value="31.02.2026"' in html
    assert 'id="rett-fravaer-' in html and "en retting må ha en begrunnelse" in html
    assert re.search(r'name="to"[^>]*aria-invalid="true"', html)
    # end before start: the register's rule, on the field
    r = c.post(url("rett", anne, row), {"kind": "leave", "from": "02.02.2026", "to": "01.02.2026", "begrunnelse": "x"})
    assert r.status_code == 422 and "sluttdato er før startdato" in text(r) and "x</textarea>" in text(r)
    assert "end_before_start" not in text(r)  # the rule id: only «for fagansvarlige»
    # nothing changed
    r = c.post(url("rett", anne, row), {"kind": "leave", "from": "02.02.2026", "to": "27.02.2026", "begrunnelse": "x"})
    assert r.status_code == 422 and "rettingen endrer ingenting" in text(r)
    assert counts() == before and not events(action="write")


def test_the_regelmotor_refuses_a_correction_with_its_rule(world, as_user):
    """tor: loss of the right due to work 02.03.2026, participation from 01.04.2026; moving the
    participation to 02.02.2026 is refused with the rule's message, nothing stored."""
    from nir.register.actors import Actor
    from nir.testing.builders import Register

    tor = world["tor"]
    r = Register(Actor.for_system("Test", source_system="NIR-test"))
    r.loss_due_to_work(tor, dt.date(2026, 3, 2))
    row = r.participation(tor, dt.date(2026, 4, 1))
    before = counts()
    data = {"type": "participation", "result": "made", "decision_date": "02.02.2026", "start_date": "02.02.2026"}
    resp = as_user("trondheim").post(url("rett", tor, row), {**data, "begrunnelse": "Feil dato"})
    assert resp.status_code == 422 and "kan kun registreres dersom" in text(resp)
    assert "loss_due_to_work_after_participation" not in text(resp)  # the rule id: only «for fagansvarlige»
    assert counts() == before


def test_annul_confirms_then_deletes_and_the_history_shows_who_when_why(world, as_user, users):
    c = as_user("trondheim")
    anne = world["anne"]
    row = leave(anne)
    r = c.get(url("slett", anne, row) + "?fra=historikk")
    html = text(r)
    assert r.status_code == 200 and "Slett (annuller)" in html and "27.02.2026" in html and 'name="begrunnelse"' in html
    r = c.post(url("slett", anne, row) + "?fra=historikk", {"begrunnelse": ""})
    assert r.status_code == 422 and "en sletting må ha en begrunnelse" in text(r)
    r = c.post(url("slett", anne, row) + "?fra=historikk", {"begrunnelse": "Registrert på feil person"})
    assert r.status_code == 303 and r["Location"] == f"/personer/{anne.duf}/historikk/"
    assert not m.Absence.objects.current().filter(person=anne).exists()
    assert m.DerivedStatus.objects.current().get(person=anne).intro_absence_workdays == 0
    history = text(c.get(r["Location"]))
    assert "Registrert på feil person" in history and "Annullert" in history and "Tone Trondheim" in history
    [event] = events(action="write", channel="web")
    assert event.what == "absences:annul"
    # the old version again: a conflict, nothing stored
    r = c.post(url("slett", anne, row), {"begrunnelse": "Igjen"})
    assert r.status_code == 409 and "allerede korrigert eller slettet" in text(r)


def test_a_stale_correction_is_a_conflict(world, as_user):
    c = as_user("trondheim")
    anne = world["anne"]
    row = leave(anne)
    data = {"kind": "leave", "from": "02.02.2026", "to": "06.02.2026", "begrunnelse": "Feil"}
    assert c.post(url("rett", anne, row), data).status_code == 303
    before = counts()
    r = c.get(url("rett", anne, row))  # the old version's form says so before anything is typed
    assert r.status_code == 409 and "allerede korrigert eller slettet" in text(r)
    r = c.post(url("rett", anne, row), {**data, "to": "13.02.2026"})
    assert r.status_code == 409 and "allerede korrigert eller slettet" in text(r) and 'value="13.02.2026"' in text(r)
    assert counts() == before


def test_links_on_the_person_page_and_in_the_history_only_for_writers(world, as_user):
    anne = world["anne"]
    row = leave(anne)
    c = as_user("trondheim")
    page = text(c.get(f"/personer/{anne.duf}/"))
    assert url("rett", anne, row) in page and url("slett", anne, row) in page
    history = text(c.get(f"/personer/{anne.duf}/historikk/"))
    assert url("rett", anne, row) + "?fra=historikk" in history
    permit = m.ResidencePermit.objects.current().get(person=anne)
    assert url("slett", anne, permit) + "?fra=historikk" in history  # every kind, from the history
    g = as_user("governor")
    assert g.get(f"/personer/{anne.duf}/").status_code == 200
    assert "/rett/" not in text(g.get(f"/personer/{anne.duf}/")) and "/slett/" not in text(
        g.get(f"/personer/{anne.duf}/historikk/")
    )


def test_access(world, as_user):
    anne = world["anne"]
    row = leave(anne)
    before = counts()
    data = {"kind": "leave", "from": "02.02.2026", "to": "06.02.2026", "begrunnelse": "Feil"}
    assert as_user("governor").get(url("rett", anne, row)).status_code == 403
    assert as_user("governor").post(url("rett", anne, row), data).status_code == 403
    assert as_user("governor").post(url("slett", anne, row), {"begrunnelse": "x"}).status_code == 403
    assert as_user("bergen").post(url("slett", anne, row), {"begrunnelse": "x"}).status_code == 404
    c = as_user("trondheim")
    assert c.get(f"/personer/{world['tor'].duf}/rett/fravaer/{row.pk}/").status_code == 404  # another's row
    assert c.get(f"/personer/{anne.duf}/rett/tiltak/{row.pk}/").status_code == 404  # no measure with that id
    assert c.get(f"/personer/{anne.duf}/rett/nonsense/{row.pk}/").status_code == 404
    assert c.get(f"/personer/{anne.duf}/rett/fravaer/{10**20}/").status_code == 404
    assert counts() == before


@pytest.mark.parametrize(
    "model, field, typed, expected",
    [
        (m.ResidencePermit, "arrival_date", "20.09.2025", dt.date(2025, 9, 20)),
        (m.Settlement, "by_agreement", "false", False),
        (m.FollowUp, "to", "31.12.2030", dt.date(2030, 12, 31)),
        (m.Residence, "address", "Storgata 2", "Storgata 2"),
        (m.FinalGoal, "final_goal", "work_vgo_2026", "work_vgo_2026"),
        (m.Decision, "end_date", "04.01.2028", dt.date(2028, 1, 4)),
    ],
)
def test_kinds_with_and_without_an_add_form_are_corrected(world, as_user, model, field, typed, expected):
    anne = world["anne"]
    row = model.objects.current().filter(person=anne).order_by("-pk").first()
    c = as_user("trondheim")
    html = text(c.get(url("rett", anne, row)))
    fields = dict(re.findall(r'name="(\w+)" type="text" value="([^"]*)"', html))
    selects = re.findall(r'<select[^>]*name="(\w+)"', html)
    data = {**fields, **{s: _selected(html, s) for s in selects}, field: typed, "begrunnelse": "Feil"}
    r = c.post(url("rett", anne, row), data)
    assert r.status_code == 303, text(r)[:3000]
    new = model.objects.current().filter(person=anne).order_by("-pk").first()
    fname = kinds.BY_MODEL[model].model_field(field)
    assert getattr(new, fname) == expected and new.supersedes_id == row.pk


def _selected(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    block = html[start : html.index("</select>", start)]
    match = re.search(r'<option value="([^"]*)" selected>', block)
    return match.group(1) if match else ""


def test_a_report_row_follows_a_correction_at_once(world, as_user):
    """«Deltagere som har avsluttet introduksjonsprogram»: the termination's hours of work per week,
    corrected on the person page, are the report's at once; annulled, the row is gone."""
    c = as_user("trondheim")
    anne = world["anne"]
    data = {"type": "completed", "reason": "work", "hours_work_per_week": "37,5", "date": "01.10.2026"}
    assert c.post(f"/personer/{anne.duf}/ny/avslutning/?ordning=intro", data).status_code == 303
    row = m.Termination.objects.current().get(person=anne, scheme="intro")

    def report_rows():
        r = c.get("/api/v1/reports/avsluttet-intro", {"from": "2026-01-01", "to": "2026-12-31"})
        assert r.status_code == 200, r.content
        return [x for x in r.json()["rows"] if x["duf"] == anne.duf]

    assert [x["hours_work_per_week"] for x in report_rows()] == [37.5]
    r = c.post(url("rett", anne, row), {**data, "hours_work_per_week": "20", "begrunnelse": "Feil timetall"})
    assert r.status_code == 303
    assert [x["hours_work_per_week"] for x in report_rows()] == [20]
    new = m.Termination.objects.current().get(person=anne, scheme="intro")
    assert c.post(url("slett", anne, new), {"begrunnelse": "Feil person"}).status_code == 303
    assert report_rows() == []
