"""Administrering › Tilgangslogg: searching the audit log (by user, organisation, person, action,
channel, period; newest first; paged) and a person's own access log as CSV (GDPR art. 15).
Both are themselves recorded in the log."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from nir.access import audit
from nir.access.models import AuditEvent, AuditEventPerson
from nir.register.actors import Actor
from nir.testing import builders
from nir.testing.builders import make_user
from nir.web import views_admin


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "logg-imdi", "imdi"),
        "analyst": make_user(django_user_model, "logg-analytiker", "imdi", roles=["imdi_analyst"]),
        "trondheim": make_user(django_user_model, "logg-5001", "k-5001"),
        "bergen": make_user(django_user_model, "logg-4601", "k-4601"),
    }


@pytest.fixture
def log(users):
    r = builders.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    anne = r.person("Anne", "Aas")
    bjorn = r.person("Bjørn", "Berg", municipality="4601")
    e1 = audit.record(actor_user=users["trondheim"], action="read", channel="web", what="person", persons=[anne])
    e2 = audit.record(actor_user=users["bergen"], action="search", channel="api", what="persons", persons=[bjorn])
    e3 = audit.record(
        actor_user=users["trondheim"], action="write", channel="web", what="person:decision", persons=[anne]
    )
    e4 = audit.record(
        system=audit.COMMAND_LINE,
        action="export",
        channel="command",
        what="register:facts",
        persons=[anne, bjorn],
        endpoint="nir export",
    )
    return {"anne": anne, "bjorn": bjorn, "events": [e1, e2, e3, e4]}


def _rows(html: str) -> int:
    body = html[html.index("<tbody>") : html.index("</tbody>")] if "<tbody>" in html else ""
    return body.count("<tr>")


def test_search_lists_events_newest_first(client, users, log):
    client.force_login(users["imdi"])
    html = client.get("/administrering/tilgangslogg/").content.decode()
    assert "Tilgangslogg" in html and "Hendelser, nyeste først" in html
    assert html.index("Uttrekk av hele registeret") < html.index("person:decision") < html.index("logg-4601")
    assert "Nettløsningen" in html and "API (fagsystem)" in html and "Saksbehandling og oppfølging" in html
    assert "Trondheim - Tråante kommune" in html and "kommandolinje" in html


def test_search_filters(client, users, log):
    client.force_login(users["imdi"])
    url = "/administrering/tilgangslogg/"
    html = client.get(url, {"user": "logg-5001"}).content.decode()
    assert _rows(html) == 2 and "logg-4601" not in html
    html = client.get(url, {"organisation": "k-4601"}).content.decode()
    assert _rows(html) == 1 and "logg-4601" in html
    html = client.get(url, {"action": "write"}).content.decode()
    assert _rows(html) == 1 and "person:decision" in html
    html = client.get(url, {"channel": "api"}).content.decode()
    assert _rows(html) == 1
    html = client.get(url, {"duf": log["anne"].duf, "channel": "web"}).content.decode()
    assert _rows(html) == 2
    assert f"/administrering/tilgangslogg/person/{log['anne'].duf}.csv" in html
    today = timezone.localdate()
    html = client.get(url, {"since": (today + dt.timedelta(days=1)).isoformat()}).content.decode()
    assert "Ingen hendelser med disse filtrene." in html
    html = client.get(url, {"until": today.strftime("%d.%m.%Y"), "user": "logg-4601"}).content.decode()
    assert _rows(html) == 1


def test_bad_filters_are_explained(client, users, log):
    client.force_login(users["imdi"])
    url = "/administrering/tilgangslogg/"
    r = client.get(url, {"since": "i går", "duf": "12x"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "Fra dato må være en dato (dd.mm.åååå), ikke «i går»." in html and "12 sifre" in html
    r = client.get(url, {"duf": "999999999999"})
    assert r.status_code == 400 and "Fant ingen person med DUF-nummer 999999999999" in r.content.decode()


def test_the_search_is_itself_recorded(client, users, log):
    client.force_login(users["analyst"])
    client.get("/administrering/tilgangslogg/", {"duf": log["anne"].duf, "action": "read"})
    event = AuditEvent.objects.filter(what="audit-log").latest("id")
    assert event.user == users["analyst"] and event.action == "search" and event.purpose == "tilsyn"
    assert event.filters["duf"] == log["anne"].duf and event.filters["action"] == "read"
    assert list(AuditEventPerson.objects.filter(event=event).values_list("person_id", flat=True)) == [log["anne"].pk]


def test_paging_without_counting_the_log(client, users, log, monkeypatch):
    monkeypatch.setattr(views_admin, "AUDIT_PAGE_SIZE", 2)
    client.force_login(users["imdi"])
    html = client.get("/administrering/tilgangslogg/", {"user": "logg-5001"}).content.decode()
    assert _rows(html) == 2 and 'rel="next"' not in html  # one page: no pager
    html = client.get("/administrering/tilgangslogg/", {"channel": "web"}).content.decode()
    assert 'rel="next"' in html and "Side 1" in html
    html = client.get("/administrering/tilgangslogg/", {"channel": "web", "page": "2"}).content.decode()
    assert "Side 2" in html and 'rel="prev"' in html


def test_person_export_csv(client, users, log):
    client.force_login(users["imdi"])
    anne = log["anne"]
    r = client.get(f"/administrering/tilgangslogg/person/{anne.duf}.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert f'filename="tilgangslogg-{anne.duf}.csv"' in r["Content-Disposition"]
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Tidspunkt", "Organisasjon", "Handling", "Hva", "Formål", "Kanal", "Gjelder deg", "Utfall"]
    body = rows[1:]
    # Anne's events: the caseworker's read and write, the register export (not Bergen's search for Bjørn)
    whats = [row[3] for row in body]
    assert "Uttrekk av hele registeret" in whats and "person:decision" in whats and "persons" not in whats
    read = next(row for row in body if row[2] == "Lesing")
    assert read[1] == "Trondheim - Tråante kommune" and read[5] == "Nettløsningen" and read[6] == "ja"
    assert read[4] == "Saksbehandling og oppfølging" and read[7] == "Tillatt"
    assert "logg-5001" not in text  # organisations, not employees
    assert next(row for row in body if row[3] == "Uttrekk av hele registeret")[1] == "IMDi (NIR, systemoperasjon)"
    dt.datetime.strptime(read[0], "%d.%m.%Y %H:%M:%S")
    # the export is recorded
    event = AuditEvent.objects.get(what="audit-log:person")
    assert event.action == "export" and event.purpose == "innsyn" and event.channel == "web"
    assert list(AuditEventPerson.objects.filter(event=event).values_list("person_id", flat=True)) == [anne.pk]


def test_person_export_of_an_unknown_person_is_404(client, users, log):
    client.force_login(users["imdi"])
    assert client.get("/administrering/tilgangslogg/person/999999999999.csv").status_code == 404
    client.force_login(users["trondheim"])
    assert client.get(f"/administrering/tilgangslogg/person/{log['anne'].duf}.csv").status_code == 403
