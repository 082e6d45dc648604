"""«Kontrollert» (issue 16 § 3): a caseworker acknowledges a plausibility warning that is correct (a real
45-hour course). The action (``nir.actions.acknowledge_warning``) checks access, stores an append-only
``WarningAcknowledgement`` and records the audit event in one transaction; the warning leaves the work
list «Datakvalitet» (the filter «vis kontrollerte» shows it with who and when)."""

from __future__ import annotations

import datetime as dt

import pytest
from actions_support import fail_audit, persons_of, write_events

from nir import actions
from nir.access.persons import PersonNotFound, ReadOnly
from nir.actions import warnings as w
from nir.register import models as m
from nir.reports import worklist

pytestmark = pytest.mark.django_db

HOURS = {"scheme": "intro", "from_date": dt.date(2026, 11, 2), "to_date": dt.date(2026, 11, 6), "hours": 45}


def acting(user):
    return actions.Acting.for_user(user, channel="web")


@pytest.fixture
def warned(world, users):
    """Tor's 45-hour week in November: stored with a warning (above full time)."""
    outcome = actions.register(acting(users["trondheim"]), world["tor"].duf, m.Participation, dict(HOURS))
    assert outcome.warnings
    return m.PlausibilityWarning.objects.get(person=world["tor"])


def unchecked(user):
    return list(worklist.plausibility_warnings(worklist.Context.for_user(user)).values_list("pk", flat=True))


def test_acknowledge_stores_a_row_audits_and_the_warning_leaves_the_work_list(world, users, warned):
    assert unchecked(users["trondheim"]) == [warned.pk]
    before = len(write_events())
    ack = actions.acknowledge_warning(acting(users["trondheim"]), world["tor"].duf, warned.pk, " Kurset er 45 t. ")
    assert (ack.warning_id, ack.person_id, ack.comment) == (warned.pk, world["tor"].pk, "Kurset er 45 t.")
    assert ack.registered_by_user_id == users["trondheim"].pk and ack.registered_by_label == "saksbehandler-5001"
    events = write_events()[before:]
    assert [e.what for e in events] == ["warning:acknowledge"] and persons_of(events[0]) == {world["tor"].pk}
    assert unchecked(users["trondheim"]) == []
    # «vis kontrollerte»: the warning with who checked it, when and why
    ctx = worklist.Context.for_user(users["trondheim"], acknowledged=True)
    [row] = worklist.plausibility_warnings(ctx).values("pk", "ack_by", "ack_comment", "ack_at")
    assert (row["pk"], row["ack_by"], row["ack_comment"]) == (warned.pk, "saksbehandler-5001", "Kurset er 45 t.")
    # the counts per municipality count only the unchecked ones
    assert worklist.plausibility_counts(worklist.Context.for_user(users["imdi"])) == []


def test_a_second_acknowledgement_is_refused(world, users, warned):
    actions.acknowledge_warning(acting(users["trondheim"]), world["tor"].duf, warned.pk)
    with pytest.raises(w.AlreadyAcknowledged):
        actions.acknowledge_warning(acting(users["imdi"]), world["tor"].duf, warned.pk, "igjen")
    assert m.WarningAcknowledgement.objects.count() == 1


def test_out_of_scope_read_only_and_unknown_warnings_write_nothing(world, users, warned):
    before = len(write_events())
    with pytest.raises(PersonNotFound):
        actions.acknowledge_warning(acting(users["bergen"]), world["tor"].duf, warned.pk)
    with pytest.raises(ReadOnly):
        actions.acknowledge_warning(acting(users["governor"]), world["tor"].duf, warned.pk)
    with pytest.raises(w.WarningNotFound):  # the warning of another person
        actions.acknowledge_warning(acting(users["trondheim"]), world["anne"].duf, warned.pk)
    with pytest.raises(w.CommentTooLong):
        actions.acknowledge_warning(acting(users["trondheim"]), world["tor"].duf, warned.pk, "x" * 501)
    assert m.WarningAcknowledgement.objects.count() == 0 and len(write_events()) == before


def test_a_closed_warning_cannot_be_acknowledged(world, users, warned):
    row = m.Participation.objects.current().get(pk=warned.registration_id)
    actions.correct(acting(users["trondheim"]), row, {"hours": 30}, "skrivefeil")
    with pytest.raises(w.WarningNotOpen):
        actions.acknowledge_warning(acting(users["trondheim"]), world["tor"].duf, warned.pk)


def test_a_failing_audit_log_rolls_the_acknowledgement_back(world, users, warned, monkeypatch):
    fail_audit(monkeypatch)
    with pytest.raises(RuntimeError):
        actions.acknowledge_warning(acting(users["trondheim"]), world["tor"].duf, warned.pk)
    assert m.WarningAcknowledgement.objects.count() == 0


# --- web --------------------------------------------------------------------------------------------


def test_web_button_in_the_work_list_acknowledges_and_returns(client, world, users, warned):
    client.force_login(users["trondheim"])
    page = client.get("/arbeidsflate/datakvalitet/").content.decode()
    url = f"/personer/{world['tor'].duf}/advarsler/{warned.pk}/kontrollert/"
    assert f'action="{url}"' in page and "csrfmiddlewaretoken" in page
    r = client.post(url, {"comment": "Ekte kurs", "next": "/arbeidsflate/datakvalitet/"})
    assert r.status_code == 303 and r["Location"] == "/arbeidsflate/datakvalitet/"
    page = client.get("/arbeidsflate/datakvalitet/").content.decode()
    assert world["tor"].duf not in page and "Advarselen er kontrollert" in page
    checked = client.get("/arbeidsflate/datakvalitet/?kontrollert=1").content.decode()
    assert world["tor"].duf in checked and "Kontrollert av saksbehandler-5001" in checked and "Ekte kurs" in checked
    # again: refused with a message, nothing more stored
    r = client.post(url, {"next": "https://evil.example/"}, follow=True)
    assert r.redirect_chain[0][0] == f"/personer/{world['tor'].duf}/"
    assert "allerede kontrollert" in r.content.decode() and m.WarningAcknowledgement.objects.count() == 1


def test_web_csrf_is_required(world, users, warned):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(users["trondheim"])
    r = c.post(f"/personer/{world['tor'].duf}/advarsler/{warned.pk}/kontrollert/")
    assert r.status_code == 403 and m.WarningAcknowledgement.objects.count() == 0


def test_web_governor_sees_no_button_and_is_refused(client, world, users, warned):
    client.force_login(users["governor"])
    url = f"/personer/{world['tor'].duf}/advarsler/{warned.pk}/kontrollert/"
    assert f'action="{url}"' not in client.get("/arbeidsflate/datakvalitet/").content.decode()
    assert client.post(url).status_code == 403
    client.force_login(users["bergen"])
    assert client.post(url).status_code == 404
    assert m.WarningAcknowledgement.objects.count() == 0


# --- API --------------------------------------------------------------------------------------------


def test_api_lists_and_acknowledges_warnings(client, world, users, warned):
    import json

    client.force_login(users["trondheim"])
    base = f"/api/v1/persons/{world['tor'].duf}/warnings"
    r = client.get(base)
    assert r.status_code == 200, r.content
    doc = r.json()
    assert doc["count"] == 1 and doc["warnings"][0]["id"] == warned.pk
    assert doc["warnings"][0]["rule"] == "participation_hours_above_full_time"
    assert doc["warnings"][0]["acknowledgement"] is None
    url = f"{base}/{warned.pk}/acknowledgements"
    r = client.post(url, json.dumps({"comment": "Ekte kurs"}), content_type="application/json")
    assert r.status_code == 201, r.content
    ack = r.json()["warning"]["acknowledgement"]
    assert (ack["acknowledged_by"], ack["comment"]) == ("saksbehandler-5001", "Ekte kurs")
    assert client.get(base).json()["warnings"][0]["acknowledgement"]["comment"] == "Ekte kurs"
    # again: 409, problem+json
    r = client.post(url, "{}", content_type="application/json")
    assert r.status_code == 409 and r["Content-Type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["rule"] == "already_acknowledged"
    # an unknown warning of the person: 404
    r = client.post(f"{base}/999999/acknowledgements", "{}", content_type="application/json")
    assert r.status_code == 404
    assert m.WarningAcknowledgement.objects.count() == 1


def test_api_refuses_out_of_scope_and_read_only(client, world, users, warned):
    url = f"/api/v1/persons/{world['tor'].duf}/warnings"
    client.force_login(users["bergen"])
    assert client.get(url).status_code == 404
    r = client.post(f"{url}/{warned.pk}/acknowledgements", "{}", content_type="application/json")
    assert r.status_code == 404
    client.force_login(users["governor"])
    assert client.get(url).status_code == 200  # the county governor reads …
    r = client.post(f"{url}/{warned.pk}/acknowledgements", "{}", content_type="application/json")
    assert r.status_code == 403 and r["Content-Type"].startswith("application/problem+json")  # … but does not write
    client.force_login(users["trondheim"])
    r = client.post(f"{url}/{warned.pk}/acknowledgements", json_comment("x" * 501), content_type="application/json")
    assert r.status_code == 422
    assert m.WarningAcknowledgement.objects.count() == 0


def json_comment(text: str) -> str:
    import json

    return json.dumps({"comment": text})


def test_person_page_shows_open_warnings_with_the_button_until_checked(client, world, users, warned):
    client.force_login(users["trondheim"])
    person_url = f"/personer/{world['tor'].duf}/"
    url = f"/personer/{world['tor'].duf}/advarsler/{warned.pk}/kontrollert/"
    html = client.get(person_url).content.decode()
    assert 'id="plausibilitetsadvarsler"' in html and warned.message in html and f'action="{url}"' in html
    # the county governor sees the notice, without the button
    governor = client.__class__()
    governor.force_login(users["governor"])
    html = governor.get(person_url).content.decode()
    assert warned.message in html and f'action="{url}"' not in html
    # a person without warnings: no notice
    assert 'id="plausibilitetsadvarsler"' not in client.get(f"/personer/{world['anne'].duf}/").content.decode()
    r = client.post(url, {"next": person_url}, follow=True)
    assert r.redirect_chain == [(person_url, 303)]
    assert 'id="plausibilitetsadvarsler"' not in r.content.decode()


def test_the_form_page_shows_the_warning_and_then_who_checked_it(client, world, users, warned):
    client.force_login(users["trondheim"])
    url = f"/personer/{world['tor'].duf}/advarsler/{warned.pk}/kontrollert/"
    html = client.get(url).content.decode()
    assert warned.message in html and 'name="comment"' in html and "Deltakelse" in html
    client.post(url, {"comment": "Sjekket med kursleder"})
    html = client.get(url).content.decode()
    assert 'name="comment"' not in html and "Kontrollert av saksbehandler-5001" in html
    assert "Sjekket med kursleder" in html
    assert client.get(f"/personer/{world['anne'].duf}/advarsler/{warned.pk}/kontrollert/").status_code == 404


def test_imdi_counts_per_municipality_are_of_unchecked_warnings_also_under_the_filter(client, world, users, warned):
    client.force_login(users["imdi"])
    html = client.get("/arbeidsflate/datakvalitet/?kontrollert=1").content.decode()
    assert "per oppfølgingskommune og regel" in html and "5001 Trondheim" in html  # the open, unchecked one
    assert world["tor"].duf not in html.split("per oppfølgingskommune og regel")[1]  # and no row: none checked
    actions.acknowledge_warning(acting(users["trondheim"]), world["tor"].duf, warned.pk)
    html = client.get("/arbeidsflate/datakvalitet/?kontrollert=1").content.decode()
    assert "per oppfølgingskommune og regel" not in html and world["tor"].duf in html
