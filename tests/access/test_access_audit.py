"""The audit log (issue 5, part 5): nir.access.audit records one event per request or command —
who, which organisation, what, when, why, which channel, the persons by id — append-only in the
database; IMDi searches it and a person's own access log is exported (GDPR art. 15)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from nir.access import audit
from nir.access.models import AuditEvent, AuditEventPerson, Organisation
from nir.register import models as m
from nir.register.actors import Actor
from nir.reports import registry
from nir.testing import builders as helpers
from nir.testing.builders import make_user

ELEVEN = re.compile(r"(?<!\d)\d{11}(?!\d)")


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "analytiker-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
        "bergen": make_user(django_user_model, "saksbehandler-4601", "k-4601"),
    }


@pytest.fixture
def world(users):
    """Anne, Bjørn (5001) and Hanne (4601) with a participation decision and no/old final goal;
    David (5001) without deviation."""
    r = helpers.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    p = {}
    p["anne"] = r.person("Anne", "Aas")
    r.participation(p["anne"], dt.date(2026, 1, 5))
    p["bjorn"] = r.person("Bjørn", "Berg")
    r.participation(p["bjorn"], dt.date(2025, 12, 1), goal="work_no_vgo_2026")
    p["hanne"] = r.person("Hanne", "Ild", municipality="4601")
    r.participation(p["hanne"], dt.date(2026, 1, 5))
    p["david"] = r.person("David", "Eng")
    r.participation(p["david"], dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    return p


def national_id(person) -> str:
    return m.PersonDetails.objects.current().get(person=person).national_id


def ids(*persons) -> set[int]:
    return {p.pk for p in persons}


def event_persons(event) -> set[int]:
    return set(event.person_links.values_list("person_id", flat=True))


def only_event() -> AuditEvent:
    events = list(AuditEvent.objects.all())
    assert len(events) == 1, [str(e) for e in events]
    return events[0]


def refused(fn):
    with pytest.raises(DatabaseError) as exc:
        with transaction.atomic():
            fn()
    assert "append-only" in str(exc.value), str(exc.value)
    return exc.value


# --- record -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_user_event_with_organisation_purpose_and_request_id(users, world):
    request = RequestFactory().get(
        "/rapporter/x/?duf=1", HTTP_X_REQUEST_ID="req-123", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Firefox"
    )
    request.user = users["trondheim"]
    e = audit.record(
        request=request,
        action="read",
        channel="web",
        what="person",
        persons=[world["anne"], world["bjorn"].pk, world["anne"]],
    )
    e.refresh_from_db()
    assert e.actor_kind == "user" and e.user == users["trondheim"] and e.organisation.code == "k-5001"
    assert e.purpose == "saksbehandling" and e.request_id == "req-123"
    assert e.endpoint == "GET /rapporter/x/"  # no query string
    assert e.person_count == 2 and e.persons_complete and event_persons(e) == ids(world["anne"], world["bjorn"])
    stored = json.dumps([getattr(e, f.attname) for f in AuditEvent._meta.concrete_fields], default=str)
    assert "10.1.2.3" not in stored and "Firefox" not in stored
    assert e.outcome == "allowed" and e.when is not None


@pytest.mark.django_db
def test_record_system_and_client_actors(world, users):
    from nir.access.models import ApiClient

    e = audit.record(system=audit.COMMAND_LINE, action="export", channel="command", what="register:facts")
    assert (e.actor_kind, e.system, e.organisation, e.purpose) == ("system", "kommandolinje", None, "drift")
    client = ApiClient.objects.create(
        client_id="fs-5001", name="Fagsystem", source_system="FS", organisation=Organisation.objects.get(code="k-5001")
    )
    e = audit.record(
        api_client=client,
        action="write",
        channel="api",
        what="person",
        persons=[world["anne"]],
        purpose="saksbehandling",
        outcome="denied",
    )
    assert (e.actor_kind, e.organisation.code, e.outcome) == ("client", "k-5001", "denied")
    assert audit.record(actor_user=users["imdi"], action="statistics", channel="web", what="s").purpose == "statistikk"
    with pytest.raises(ValueError):
        audit.record(action="peek", channel="web", what="x")


@pytest.mark.django_db
def test_no_national_identity_number_is_stored(users, world):
    fnr = national_id(world["anne"])
    assert ELEVEN.fullmatch(fnr)
    e = audit.record(
        actor_user=users["imdi"],
        action="search",
        channel="web",
        what=f"person {fnr}",
        purpose=f"sjekk {fnr}",
        endpoint=f"GET /personer/{fnr}/",
        filters={
            "q": fnr,
            "spaced": fnr[:6] + " " + fnr[6:],
            "n": int(fnr),
            fnr: [fnr, {"x": fnr}],
            "duf": world["anne"].duf,
        },
    )
    e.refresh_from_db()
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {AuditEvent._meta.db_table} WHERE id = %s", [e.pk])
        raw = json.dumps(cur.fetchall(), default=str)
    assert fnr not in raw and fnr[6:] not in raw.replace(world["anne"].duf, "")
    assert not ELEVEN.search(raw)
    assert e.filters["duf"] == world["anne"].duf  # DUF numbers (case numbers) may be stored
    assert e.filters["n"] == audit.REDACTED


@pytest.mark.django_db
def test_identity_numbers_with_separators_are_not_stored(users, world):
    """248396-47022, 2483 9647022, dotted: masked too (issue 15 § 3.6); dates and amounts are kept."""
    fnr = national_id(world["anne"])
    forms = [
        f"{fnr[:6]}-{fnr[6:]}",
        f"{fnr[:4]} {fnr[4:]}",
        f"{fnr[:2]}.{fnr[2:4]}.{fnr[4:6]}.{fnr[6:]}",
        f"{fnr[:6]}+{fnr[6:]}",
    ]
    e = audit.record(
        actor_user=users["imdi"],
        action="search",
        channel="web",
        what="person",
        endpoint=f"GET /personer/?q={forms[3]}",
        filters={
            "q": forms[0],
            "spaced": forms[1],
            "dotted": [forms[2]],
            forms[0]: 1,
            "as_of": "24.08.1996",
            "amount": "1 234 567 890,50",
        },
    )
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {AuditEvent._meta.db_table} WHERE id = %s", [e.pk])
        raw = json.dumps(cur.fetchall(), default=str, ensure_ascii=False)
    assert fnr[6:] not in raw and fnr[4:] not in raw, raw
    e.refresh_from_db()
    assert e.filters == {
        "q": audit.REDACTED,
        "spaced": audit.REDACTED,
        "dotted": [audit.REDACTED],
        audit.REDACTED: 1,
        "as_of": "24.08.1996",
        "amount": "1 234 567 890,50",
    }
    assert e.endpoint == f"GET /personer/?q={audit.REDACTED}"


@pytest.mark.django_db
def test_log_pseudonym_command_finds_a_persons_log_lines_and_is_audited(world, capsys):
    from nir.logging import redact_log

    duf = world["anne"].duf
    call_command("audit", "log-pseudonym", duf)
    pseudonym = capsys.readouterr().out.strip()
    assert pseudonym.startswith("duf-") and redact_log(f"GET /personer/{duf}/") == f"GET /personer/{pseudonym}/"
    event = AuditEvent.objects.get(what="log-pseudonym")
    assert event.filters == {"duf": duf} and set(event.person_links.values_list("person_id", flat=True)) == {
        world["anne"].pk
    }
    with pytest.raises(CommandError):
        call_command("audit", "log-pseudonym", "123")


@pytest.mark.django_db
def test_person_set_caps_the_ids_and_always_counts(world, monkeypatch):
    qs = m.Person.objects.values_list("pk", flat=True)
    full = audit.person_set(qs)
    assert full.count == 4 and full.complete and set(full.ids) == set(qs)
    capped = audit.person_set(qs, limit=2)
    assert capped.count == 4 and len(capped.ids) == 2 and not capped.complete
    assert audit.person_set(m.Person.objects.all(), limit=3).count == 4
    monkeypatch.setattr(audit, "MAX_INLINE_PERSONS", 2)
    monkeypatch.setattr(audit.person_set, "__defaults__", (2,))
    e = audit.record(system="x", action="export", channel="command", what="many", persons=qs)
    assert e.person_count == 4 and not e.persons_complete and len(event_persons(e)) == 2
    with pytest.raises(TypeError):
        audit.person_set(m.Person.objects.values("pk"))


# --- append-only --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_update_and_delete_refused_by_the_database(users, world):
    e = audit.record(actor_user=users["imdi"], action="read", channel="web", what="person", persons=[world["anne"]])
    refused(lambda: AuditEvent.objects.filter(pk=e.pk).update(what="nothing"))
    bare = audit.record(actor_user=users["imdi"], action="statistics", channel="web", what="statistics")
    refused(lambda: AuditEvent.objects.filter(pk=bare.pk).delete())  # (with persons: PROTECT refuses first)
    refused(bare.delete)
    refused(lambda: AuditEventPerson.objects.filter(event=e).update(person=world["bjorn"]))
    refused(lambda: AuditEventPerson.objects.filter(event=e).delete())

    def raw(sql):
        with connection.cursor() as cur:
            cur.execute(sql, [e.pk])

    refused(lambda: raw(f"UPDATE {AuditEvent._meta.db_table} SET outcome = 'denied' WHERE id = %s"))
    refused(lambda: raw(f"DELETE FROM {AuditEventPerson._meta.db_table} WHERE event_id = %s"))
    refused(lambda: raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s"))
    e.refresh_from_db()
    assert e.what == "person" and event_persons(e) == ids(world["anne"])


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_audit_refusal_is_an_integrity_violation(users, world):
    from django.db import IntegrityError

    assert connection.vendor == "postgresql"
    e = audit.record(actor_user=users["imdi"], action="read", channel="web", what="person", persons=[world["anne"]])
    err = refused(lambda: AuditEvent.objects.filter(pk=e.pk).update(what="x"))
    assert isinstance(err, IntegrityError) and getattr(err.__cause__, "sqlstate", None) == "23000"
    refused(lambda: AuditEventPerson.objects.filter(event=e).delete())
    with connection.cursor() as cur:
        refused(lambda: cur.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [e.pk]))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'access_audit%%_immutable'")
        assert cur.fetchone()[0] == 2


# --- search and a person's log ------------------------------------------------------------------


@pytest.mark.django_db
def test_search_and_events_for_person(users, world):
    a = audit.record(
        actor_user=users["trondheim"], action="read", channel="web", what="person", persons=[world["anne"]]
    )
    b = audit.record(
        actor_user=users["bergen"], action="report", channel="web", what="report:x", persons=[world["hanne"]]
    )
    c = audit.record(actor_user=users["imdi"], action="statistics", channel="web", what="statistics:x")
    d = audit.record(
        system="kommandolinje",
        action="export",
        channel="command",
        what="research-extract",
        persons=audit.PersonSet((), 4),
    )
    assert list(audit.search(user=users["trondheim"])) == [a]
    assert list(audit.search(user="saksbehandler-4601")) == [b]
    assert list(audit.search(organisation="imdi")) == [c]
    assert list(audit.search(person=world["anne"])) == [a]
    assert list(audit.search(action="export")) == [d]
    today = dt.date.today()
    assert set(audit.search(since=today, until=today)) == {a, b, c, d}
    assert not audit.search(until=today - dt.timedelta(days=1)).exists()
    assert not audit.search(since=today + dt.timedelta(days=1)).exists()
    # Anne's log: her read and the extract that may concern everyone; not Hanne's, not statistics.
    assert list(audit.events_for_person(world["anne"])) == [d, a]
    assert audit.lists_person(a, world["anne"]) and not audit.lists_person(d, world["anne"])


# --- the read paths: one event each ------------------------------------------------------------


@pytest.fixture
def as_trondheim(client, users, world):
    client.force_login(users["trondheim"])
    return client


@pytest.mark.django_db
def test_report_page_records_the_persons_of_the_page(as_trondheim, world, users):
    r = as_trondheim.get("/rapporter/avvik-sluttmaal/?law=integreringsloven", HTTP_X_REQUEST_ID="abc")
    assert r.status_code == 200
    e = only_event()
    assert (e.action, e.channel, e.what, e.user, e.organisation.code) == (
        "report",
        "web",
        "report:avvik-sluttmaal",
        users["trondheim"],
        "k-5001",
    )
    assert event_persons(e) == ids(world["anne"], world["bjorn"])  # Hanne is Bergen's
    assert e.person_count == 2 and e.request_id == "abc" and e.purpose == "saksbehandling"
    assert e.filters["report"] == "avvik-sluttmaal" and e.filters["law"] == "integreringsloven"
    assert e.filters["page"] == 1 and "known_at" in e.filters


@pytest.mark.django_db
def test_report_page_records_only_the_rows_shown(as_trondheim, world, monkeypatch):
    from nir.web import views_reports

    monkeypatch.setattr(views_reports, "PAGE_SIZE", 1)
    r = as_trondheim.get("/rapporter/avvik-sluttmaal/?page=2")
    assert r.status_code == 200
    e = only_event()
    assert e.person_count == 1 and event_persons(e) <= ids(world["anne"], world["bjorn"])
    assert e.filters["page"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_report_download_records_every_person(as_trondheim, world, fmt, monkeypatch):
    from nir.web import views_reports

    monkeypatch.setattr(views_reports, "PAGE_SIZE", 1)  # the download is not paged
    r = as_trondheim.get(f"/rapporter/avvik-sluttmaal/eksport.{fmt}")
    assert r.status_code == 200
    b"".join(r.streaming_content)
    e = only_event()
    assert (e.action, e.channel, e.what) == ("export", "web", "report:avvik-sluttmaal")
    assert event_persons(e) == ids(world["anne"], world["bjorn"]) and e.filters["format"] == fmt


@pytest.mark.django_db
def test_bad_report_filter_records_nothing(as_trondheim, world):
    assert as_trondheim.get("/rapporter/avvik-sluttmaal/?as_of=igår").status_code == 400
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_statistics_page_and_download_record_aggregates_without_persons(as_trondheim, world):
    r = as_trondheim.get("/rapporter/aarsstatistikk/?year=2026&area=5001")
    assert r.status_code == 200
    e = only_event()
    assert (e.action, e.channel, e.what, e.person_count) == ("statistics", "web", "statistics:aarsstatistikk", 0)
    assert e.persons_complete and not e.person_links.exists() and e.filters["area"] == "5001"
    assert e.purpose == "statistikk"
    r = as_trondheim.get("/rapporter/aarsstatistikk/eksport.csv?year=2026&area=5001")
    assert r.status_code == 200
    e = AuditEvent.objects.exclude(pk=e.pk).get()
    assert (e.action, e.what, e.person_count, e.filters["format"]) == ("export", "statistics:aarsstatistikk", 0, "csv")


@pytest.mark.django_db
def test_audit_failure_fails_the_request(as_trondheim, world, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(DatabaseError):
        as_trondheim.get("/rapporter/avvik-sluttmaal/")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_report_command_records_the_user_or_the_command_line(world, users):
    run("report", "avvik-sluttmaal", "--user", "saksbehandler-5001")
    e = only_event()
    assert (e.action, e.channel, e.what, e.user, e.endpoint) == (
        "report",
        "command",
        "report:avvik-sluttmaal",
        users["trondheim"],
        "nir report",
    )
    assert event_persons(e) == ids(world["anne"], world["bjorn"]) and e.filters["format"] == "csv"
    run("report", "avvik-sluttmaal", "--format", "json")
    e = AuditEvent.objects.order_by("-id").first()
    assert (e.actor_kind, e.system, e.user) == ("system", "kommandolinje", None)
    assert event_persons(e) == ids(world["anne"], world["bjorn"], world["hanne"])
    run("report", "aarsstatistikk", "--year", "2026")
    e = AuditEvent.objects.order_by("-id").first()
    assert (e.action, e.what, e.person_count) == ("statistics", "statistics:aarsstatistikk", 0)
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db
def test_report_command_compare_records_the_changed_persons(world):
    run("report", "avvik-sluttmaal", "--known-at", "2020-01-01", "--compare-known-at", "now", "--format", "json")
    e = only_event()
    assert event_persons(e) == ids(world["anne"], world["bjorn"], world["hanne"])
    assert e.filters["compare_known_at"] == "now"


@pytest.mark.django_db
def test_export_facts_records_every_person(world, tmp_path):
    call_command("export", "facts", "--out", str(tmp_path / "f.jsonl"), stderr=io.StringIO())
    e = only_event()
    assert (e.action, e.channel, e.what, e.system) == ("export", "command", "register:facts", "kommandolinje")
    assert e.person_count == 4 and e.persons_complete and event_persons(e) == ids(*world.values())


@pytest.mark.django_db
def test_export_research_records_no_person_list(world, tmp_path):
    keyfile = tmp_path / "k.hex"
    keyfile.write_text(bytes(range(32)).hex())
    call_command(
        "export",
        "research",
        "--out",
        str(tmp_path / "x"),
        "--key-file",
        str(keyfile),
        "--quiet",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    e = only_event()
    assert (e.action, e.what, e.purpose) == ("export", "research-extract", "forskning")
    assert e.person_count == 4 and not e.persons_complete and not e.person_links.exists()
    assert "key_id" in e.filters


@pytest.mark.django_db
def test_history_records_one_read_of_one_person(world):
    out = run("history", world["anne"].duf)
    assert world["anne"].duf in out
    e = only_event()
    assert (e.action, e.channel, e.what, e.endpoint) == ("read", "command", "person:history", "nir history")
    assert event_persons(e) == ids(world["anne"]) and e.person_count == 1


# --- nir audit ----------------------------------------------------------------------------------


@pytest.fixture
def logged(users, world):
    audit.record(
        actor_user=users["trondheim"],
        action="read",
        channel="web",
        what="report:avvik-sluttmaal",
        persons=[world["anne"], world["bjorn"]],
        purpose="saksbehandling",
    )
    audit.record(
        actor_user=users["bergen"], action="read", channel="web", what="person:history", persons=[world["hanne"]]
    )
    audit.record(
        system="kommandolinje",
        action="export",
        channel="command",
        what="register:facts",
        persons=audit.PersonSet((world["bjorn"].pk,), 4),
    )
    return AuditEvent.objects.count()


@pytest.mark.django_db
def test_audit_person_command_json(world, logged, users):
    out = json.loads(run("audit", "person", world["anne"].duf))
    assert out["duf"] == world["anne"].duf
    rows = out["events"]
    # Newest first: the whole-register export (not every person listed: it may concern Anne), her read.
    assert [r["concerns_you"] for r in rows] == ["kan gjelde deg (uttrekk av mange personer)", "ja"]
    assert rows[0]["organisation"] == "IMDi (NIR, systemoperasjon)"
    assert rows[0]["what"] == "Uttrekk av hele registeret"
    mine = rows[-1]
    assert mine["organisation"] == Organisation.objects.get(code="k-5001").name
    assert mine["what"] == "Rapport: " + registry.REPORTS["avvik-sluttmaal"].title
    assert mine["purpose"] == "Saksbehandling og oppfølging" and mine["channel"] == "Nettløsningen"
    assert mine["concerns_you"] == "ja"
    text = json.dumps(out, ensure_ascii=False)
    assert "saksbehandler-5001" not in text  # the organisation, not the caseworker
    assert not ELEVEN.search(text)
    assert len(rows) == 2  # not Hanne's
    # The export is itself recorded, as the person's own access request.
    e = AuditEvent.objects.order_by("-id").first()
    assert (e.what, e.purpose, e.action) == ("audit-log:person", "innsyn", "export")
    assert event_persons(e) == ids(world["anne"]) and AuditEvent.objects.count() == logged + 1


@pytest.mark.django_db
def test_audit_person_command_csv_and_unknown_duf(world, logged):
    rows = list(csv.reader(io.StringIO(run("audit", "person", world["bjorn"].duf, "--format", "csv")), delimiter=";"))
    assert rows[0] == ["when", "organisation", "action", "what", "purpose", "channel", "concerns_you", "outcome"]
    assert len(rows) == 3 and all(r[6] == "ja" for r in rows[1:])  # listed in both
    with pytest.raises(CommandError, match="fant ingen person"):
        run("audit", "person", "000000000000")


@pytest.mark.django_db
def test_audit_search_command(world, logged, users):
    rows = json.loads(run("audit", "search", "--organisation", "k-5001"))
    assert len(rows) == 1 and rows[0]["actor"] == "saksbehandler-5001" and rows[0]["person_count"] == 2
    rows = json.loads(run("audit", "search", "--duf", world["hanne"].duf, "--with-persons"))
    assert len(rows) == 1 and rows[0]["persons"] == [world["hanne"].duf]
    rows = json.loads(run("audit", "search", "--user", "saksbehandler-4601", "--action", "read"))
    assert [r["what"] for r in rows] == ["person:history"]
    today = dt.date.today().isoformat()
    text = run("audit", "search", "--since", today, "--until", today, "--format", "csv")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0][:4] == ["id", "when", "actor_kind", "actor"] and len(table) >= 1 + logged
    assert json.loads(run("audit", "search", "--until", "2000-01-01")) == []
    with pytest.raises(CommandError, match="--since"):
        run("audit", "search", "--since", "i går")
    # Every search is recorded (the audit log is personal data too).
    assert AuditEvent.objects.filter(what="audit-log", endpoint="nir audit search").count() == 5


def test_cli_lists_the_audit_commands():
    from nir import cli

    names = [name for name, _ in cli.NIR_COMMANDS]
    assert "audit search" in names and "audit person DUF" in names
