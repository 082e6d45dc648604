"""Every read of personal data is audited (issue 15 § 1; docs/audit.md, «Where it is recorded»).

Enumerated from the running application, so that a new read path fails here until it records:

* web: every named page whose access rule concerns persons (``policy.WEB_RULES``, ``Person.ONE`` or
  ``MANY``) — the person page, each of its htmx sections, its history, every «Legg til» form (as a
  page and as the htmx fragment), the Regelmotor's explanation, lists, reports, exports — leaves an
  audit event, and a page about one person names that person;
* API: every operation whose rule concerns persons leaves an event (naming the person for one);
* command line: every NIR command and sub-command is either a read of personal data that leaves an
  event (``CLI_READS``) or is listed with the reason it is not one (``CLI_NOT_READS``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io

import pytest
import settlement_case_visits as bs
from api_visits import (
    ABSENCE,
    MOVE,
    REVISION_VISITS,
    WARNING_VISITS,
    WRITE_BODIES,
    add_revision_rows,
    make_warning,
    post_json,
    write,
)
from django.core.cache import cache
from django.core.management import call_command, get_commands, load_command_class
from django.urls import URLPattern, URLResolver, get_resolver

from nir.access import policy
from nir.access.models import AuditEvent, AuditEventPerson, Role
from nir.api.api import api
from nir.register.actors import REGELMOTOR, Actor
from nir.reports import registry
from nir.testing.builders import Register, make_client, make_user
from nir.web.persons.forms import KINDS
from nir.web.persons.page import SECTION_IDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db, settings, tmp_path):
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    settings.NIR_API_RATE_LIMITS = {"client": None, "user": None}
    cache.clear()
    r = Register(Actor.for_system(REGELMOTOR, source_system="revisjon"))
    anne = r.person("Anne", "Aas")  # followed up by Trondheim (5001)
    r.participation(anne, dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    add_revision_rows(r, anne)
    bs.make_settlement_cases()
    return anne


def new_events(since: int):
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("pk"))


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def names(event, person) -> bool:
    return AuditEventPerson.objects.filter(event=event, person=person).exists()


# --- web ---------------------------------------------------------------------------------------------


def _patterns():
    """(name, route) of every named URL outside the self-guarded namespaces (API, admin)."""
    found = []

    def walk(patterns, prefix, namespaces):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespaces | ({p.namespace} if p.namespace else set())
                if not ns & policy.SELF_GUARDED_NAMESPACES:
                    walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                found.append((p.name, prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "", set())
    return found


def _form_urls(duf):
    return [
        f"/personer/{duf}/ny/{slug}/" + (f"?ordning={s}" if s else "")
        for slug, kind in KINDS.items()
        for s in (kind.schemes or (None,))
    ]


def _revise_urls(what):
    """The «Rett» or «Slett» form of the person's newest current registration of every kind."""

    def urls(duf):
        from nir.register import models as m
        from nir.web.persons.revisions import REVISION_KINDS

        out = []
        for slug, kind in REVISION_KINDS.items():
            if what == "slett" and not kind.registration.annullable:  # the person's details: «Rett» only
                continue
            row = kind.model.objects.current().filter(person__duf=duf).order_by("-pk").first()
            assert row is not None, slug
            out.append(f"/personer/{duf}/{what}/{slug}/{row.pk}/")
        assert m.ResidencePermit in {k.model for k in REVISION_KINDS.values()}
        assert what == "slett" or f"/personer/{duf}/rett/personopplysninger/" in " ".join(out)
        return out

    return urls


# How to visit every page that concerns persons: url name -> the URLs to ask for (each without and
# with ``HX-Request``). A page about one person is asked for with the person's DUF number.
WEB_VISITS = {
    "person": lambda duf: [f"/personer/{duf}/", f"/personer/{duf}/?historikk=avslutning"],
    "person_section": lambda duf: [f"/personer/{duf}/seksjon/{s}/" for s in sorted(SECTION_IDS)],
    "person_history": lambda duf: [f"/personer/{duf}/historikk/", f"/personer/{duf}/historikk/?avledet=1"],
    "person_add": _form_urls,
    "person_correct": _revise_urls("rett"),
    "person_annul": _revise_urls("slett"),
    "person_move": lambda duf: [f"/personer/{duf}/flytting/"],
    "warning_acknowledge": lambda duf: [f"/personer/{duf}/advarsler/{make_warning(duf)}/kontrollert/"],
    "person_moves": lambda duf: ["/personer/flyttinger/", "/personer/flyttinger/?dager=30"],
    "rules_explain": lambda duf: [f"/regelmotor/forklar/{duf}/"],
    "person_grants": lambda duf: [f"/personer/{duf}/tilskudd/"],
    "audit_person_export": lambda duf: [f"/administrering/tilgangslogg/person/{duf}.csv"],
    # (without ?vis IMDi is asked to choose first, and the Arbeidsflate page without ?inline=1 is
    # a frame whose blocks come by htmx from worklist_section: neither shows a person)
    "persons": lambda duf: ["/personer/?vis=1", "/personer/?navn=Aas", "/personer/?navn=Aas&side=2"],
    "worklist": lambda duf: ["/arbeidsflate/?inline=1"],
    "worklist_section": lambda duf: ["/arbeidsflate/frister-30/"],
    "settlements": lambda duf: ["/bosetting/"],
    "municipalities": lambda duf: ["/kommuner/"],
    "municipality": lambda duf: ["/kommuner/5001/"],
    "supervision": lambda duf: ["/tilsyn/", "/tilsyn/?fylke=50"],
    "supervision_municipality": lambda duf: ["/tilsyn/5001/"],
    "settlement_figures": lambda duf: ["/bosetting/tall/?year=2025"],
    "settlement_figures_export": lambda duf: ["/bosetting/tall/eksport.csv?year=2025"],
    "settlement_weekly_list": lambda duf: ["/bosetting/ukeliste/?year=2025&week=10"],
    "settlement_weekly_list_export": lambda duf: ["/bosetting/ukeliste/eksport.xlsx?year=2025&week=10"],
    "municipality_export": lambda duf: ["/kommuner/eksport.csv", "/kommuner/eksport.xlsx?fylke=50"],
    "report": lambda duf: [f"/rapporter/{d.id}/" for d in registry.REPORTS.values()],
    "report_export": lambda duf: [f"/rapporter/{d.id}/eksport.csv" for d in registry.REPORTS.values()],
    "statistics": lambda duf: ["/rapporter/aarsstatistikk/?year=2025"],
    "statistics_export": lambda duf: ["/rapporter/aarsstatistikk/eksport.csv?year=2025"],
    "yearly_report": lambda duf: ["/rapporter/aarsrapport/5001/2025/"],
    # Tilskudd: a payment round's statement of Trondheim and its downloads, the «Meld feil» cases
    "grants_statement": lambda duf: _grants_round(["/tilskudd/termin/2025/1/5001/"]),
    "grants_statement_export": lambda duf: _grants_round(
        ["/tilskudd/termin/2025/1/5001/eksport.csv", "/tilskudd/termin/2025/1/5001/eksport.xlsx"]
    ),
    "grants_error_reports": lambda duf: ["/tilskudd/feil/", "/tilskudd/feil/?vis=alle"],
    # Bosetting: settlement cases (audited with their case numbers; issue 17)
    **bs.AUDIT_WEB_VISITS,
}


def _grants_round(urls):
    """The payment round 2025 round 1, calculated and approved (by the system) before its pages are visited."""
    from nir.actions.acting import Acting
    from nir.grants import actions
    from nir.grants.models import PaymentRound

    if not PaymentRound.objects.filter(grant_year=2025, quarter=1).exists():
        acting = Acting.system("revisjon")
        actions.approve_round(acting, actions.calculate_round(acting, 2025, 1))
    return urls


def test_every_web_page_about_persons_has_a_visit_and_every_duf_route_is_about_one_person():
    concerning = {name for name, _route in _patterns() if policy.WEB_RULES[name].persons != policy.Person.NONE}
    assert concerning == set(WEB_VISITS), (
        "a page that concerns persons must be visited here (WEB_VISITS) and audited: "
        f"missing {sorted(concerning - set(WEB_VISITS))}, gone {sorted(set(WEB_VISITS) - concerning)}"
    )
    for name, route in _patterns():
        if "<str:duf>" in route or "<duf>" in route:
            assert policy.WEB_RULES[name].persons == policy.Person.ONE, name


@pytest.mark.parametrize("page", sorted(WEB_VISITS))
def test_every_web_page_about_persons_is_audited(page, person, client, django_user_model):
    """IMDi's administrator may read every page; each visit leaves one event (the person's pages:
    naming the person), with and without htmx."""
    client.force_login(make_user(django_user_model, "revisjon-imdi", "imdi", roles=[Role.IMDI_ADMIN]))
    one = policy.WEB_RULES[page].persons == policy.Person.ONE
    for url in WEB_VISITS[page](person.duf):
        for headers in ({}, {"HX-Request": "true"}):
            before = last_event_id()
            r = client.get(url, headers=headers)
            assert r.status_code == 200, (url, headers, r.status_code)
            events = new_events(before)
            assert events, f"{url} {headers} read personal data without an audit event"
            assert all(e.channel == "web" and e.user.username == "revisjon-imdi" for e in events)
            if one:
                assert any(names(e, person) for e in events), f"{url} {headers}: the event does not name the person"


def test_a_refused_add_form_shown_again_is_audited(person, client, django_user_model):
    """The form shown again with its errors (422) shows the person as the empty form does."""
    client.force_login(make_user(django_user_model, "revisjon-kommune", "k-5001", roles=[Role.CASEWORKER]))
    before = last_event_id()
    r = client.post(f"/personer/{person.duf}/ny/fravaer/?ordning=intro", {"from": "31.02.2026"})
    assert r.status_code == 422
    assert any(names(e, person) and e.action == "read" for e in new_events(before))


def test_a_refused_correction_form_shown_again_is_audited(person, client, django_user_model):
    """The correction form shown again with its errors (422) shows the person and the registration."""
    from nir.register import models as m

    client.force_login(make_user(django_user_model, "revisjon-kommune", "k-5001", roles=[Role.CASEWORKER]))
    row = m.Absence.objects.current().filter(person=person).first()
    before = last_event_id()
    r = client.post(f"/personer/{person.duf}/rett/fravaer/{row.pk}/", {"from": "31.02.2026", "begrunnelse": "x"})
    assert r.status_code == 422
    assert any(names(e, person) and e.action == "read" for e in new_events(before))


# --- API ---------------------------------------------------------------------------------------------

API_VISITS = {
    "GET /persons": lambda c, h, duf: c.get("/api/v1/persons", headers=h),
    "GET /persons/{duf}": lambda c, h, duf: c.get(f"/api/v1/persons/{duf}", headers=h),
    "GET /persons/{duf}/grants": lambda c, h, duf: c.get(f"/api/v1/persons/{duf}/grants", headers=h),
    **{f"POST /persons/{{duf}}/{seg}": write(seg) for seg in WRITE_BODIES},
    **REVISION_VISITS,
    **WARNING_VISITS,
    "POST /batches": lambda c, h, duf: post_json(
        c,
        "/batches",
        {"items": [{"id": "1", "duf": duf, "kind": "absences", "values": ABSENCE}]},
        {**h, "Idempotency-Key": "revisjon-1"},
    ),
    "GET /reports/{report_id}": lambda c, h, duf: c.get("/api/v1/reports/personliste", headers=h),
    "GET /statistics": lambda c, h, duf: c.get("/api/v1/statistics", {"year": "2025"}, headers=h),
    "GET /supervision": lambda c, h, duf: c.get("/api/v1/supervision", {"county": "50"}, headers=h),
    "GET /supervision/{municipality}": lambda c, h, duf: c.get("/api/v1/supervision/5001", headers=h),
    "GET /settlement/figures": lambda c, h, duf: c.get("/api/v1/settlement/figures", {"year": "2025"}, headers=h),
    "GET /settlement/weekly-list": lambda c, h, duf: c.get(
        "/api/v1/settlement/weekly-list", {"year": "2025", "week": "10"}, headers=h
    ),
    "POST /persons/{duf}/moves": lambda c, h, duf: post_json(c, f"/persons/{duf}/moves", MOVE, h),
    "GET /moves": lambda c, h, duf: c.get("/api/v1/moves", headers=h),
    "GET /moves/secondary-migration": lambda c, h, duf: c.get("/api/v1/moves/secondary-migration", headers=h),
    **bs.AUDIT_API_VISITS,
}


def _api_operations():
    schema = api.get_openapi_schema()
    return sorted(
        f"{method.upper()} {path.removeprefix('/api/v1')}" for path, item in schema["paths"].items() for method in item
    )


def test_every_api_operation_about_persons_is_audited(person):
    concerning = [op for op in _api_operations() if policy.API_RULES[op].persons != policy.Person.NONE]
    assert set(concerning) == set(API_VISITS), "an operation about persons must be called here and audited"
    from django.test import Client

    c = Client()
    headers = make_client("imdi", "revisjon-imdi", list(policy.SCOPES)).headers()
    for op in concerning:
        before = last_event_id()
        r = API_VISITS[op](c, headers, person.duf)
        assert r.status_code in (200, 201), (op, r.status_code, r.content[:300])
        events = new_events(before)
        assert events and all(e.channel == "api" for e in events), f"{op} without an audit event"
        if policy.API_RULES[op].persons == policy.Person.ONE:
            assert any(names(e, person) for e in events), f"{op}: the event does not name the person"


# --- command line ------------------------------------------------------------------------------------


def _report_args(report_id):
    return ["report", report_id, "--format", "json"] + (["--year", "2025"] if report_id == "aarsstatistikk" else [])


# "command sub-command": how to run it (the person's DUF, a scratch directory) -> call_command args.
CLI_READS = {
    "history": lambda duf, tmp: ["history", duf],
    "rules explain": lambda duf, tmp: ["rules", "explain", duf],
    "export facts": lambda duf, tmp: ["export", "facts", "--out", str(tmp / "facts.jsonl")],
    "export research": lambda duf, tmp: [
        "export",
        "research",
        "--out",
        str(tmp / "research"),
        "--quiet",
        "--key-file",
        str(tmp / "key"),
    ],
    "report": None,  # every report of the registry, below
    "supervision": lambda duf, tmp: ["supervision", "--format", "json"],  # counts (statistics)
    # Bosetting's figures and weekly list (counts, no person; statistics)
    "settlement figures": lambda duf, tmp: ["settlement", "figures", "--year", "2025", "--format", "json"],
    "settlement weekly-list": lambda duf, tmp: ["settlement", "weekly-list", "--year", "2025", "--week", "10"],
    "audit person": lambda duf, tmp: ["audit", "person", duf],
    "audit search": lambda duf, tmp: ["audit", "search", "--duf", duf],
    # links a person to their log lines (the pseudonym of their DUF number): recorded as a search
    "audit log-pseudonym": lambda duf, tmp: ["audit", "log-pseudonym", duf],
    # Tilskudd: one recipient's statement of a payment round (the round computed first), an export
    "grants statement": lambda duf, tmp: _grants_statement(tmp),
}


def _grants_statement(tmp):
    call_command("grants", "calculate", "--year", "2025", "--round", "1", stdout=io.StringIO())
    return ["grants", "statement", "--municipality", "5001", "--year", "2025", "--round", "1", "--format", "json",
            "--out", str(tmp / "grunnlag.json")]  # fmt: skip


# Commands that read no person's data for anyone to see, with the reason.
CLI_NOT_READS = {
    "import": "writes (the action layer audits every write)",
    "demo": "writes a synthetic population and demo users",
    "synth population": "writes a synthetic population (database or file); reads no person",
    "synth settlement": "writes a synthetic settlement year from the register's persons; prints counts only",
    "synth settlement-summary": "counts of the settlement year against targets; no person",
    "loadrefdata": "reference data: municipalities, code lists, organisations",
    "rules check": "conformance case files, not the register",
    "grants check": "worked grant examples (files), not the register",
    "rules evaluate": "one case file, not the register",
    "rules docs": "the rule declarations, parameters and case files; writes docs/, not the register",
    "rules reevaluate": "writes derived status (the action layer audits it); prints counts only",
    "clients create": "API clients",
    "clients add-key": "API clients",
    "clients revoke-key": "API clients",
    "clients list": "API clients",
    "clients grant": "API clients",
    "oauth rotate-key": "signing keys",
    "oauth retire-keys": "signing keys",
    "oauth purge-grants": "used grant ids",
    "oauth jwks": "public keys",
    "dbrole": "PostgreSQL grants to the application's role; reads no person",
    "settlement indicators": "loads municipal indicators (no person; the planning action audits the load)",
    "settlement request": "the request per municipality (no person; audited as statistics)",
    "settlement train": "a settlement world's history file, not the register; prints the model's validation only; "
    "--from-register audits its read of the history as one export event "
    "(tests/settlement/test_recommend_registry.py::test_train_command_line)",
    "settlement recommend": "a settlement world's batch file, not the register; writes the recommendation file",
    "settlement backtest": "a settlement world's files, not the register; prints scores only",
    "grants calculate": "writes a payment round (the action audits it, naming the persons with lines); prints "
    "counts and sums only",
    "grants approve": "approves a payment round (audited); prints the round only",
}
# Single-person reads name the person.
CLI_ONE_PERSON = {"history", "rules explain", "audit person", "audit search", "audit log-pseudonym"}


def _nir_commands() -> set[str]:
    """Every NIR management command, with its sub-commands (sub-parsers, or a positional's choices)."""
    found = set()
    for name, app in get_commands().items():
        if not app.startswith("nir."):
            continue
        parser = load_command_class(app, name).create_parser("nir", name)
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        positional_choices = [
            a
            for a in parser._actions
            if not a.option_strings and a.choices and not isinstance(a, argparse._SubParsersAction)
        ]
        if subs:
            found |= {f"{name} {s}" for s in subs[0].choices}
        elif positional_choices:
            found |= {f"{name} {c}" for c in positional_choices[0].choices}
        else:
            found.add(name)
    return found


def test_every_nir_command_is_classified_as_an_audited_read_or_not_a_read():
    commands = _nir_commands()
    classified = set(CLI_READS) | set(CLI_NOT_READS)
    assert commands == classified, (
        f"commands to classify (CLI_READS or CLI_NOT_READS): {sorted(commands - classified)}; "
        f"gone: {sorted(classified - commands)}"
    )


@pytest.mark.parametrize("command", sorted(c for c in CLI_READS if c != "report"))
def test_every_command_that_reads_personal_data_is_audited(command, person, tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    (tmp_path / "key").write_bytes(b"k" * 32)
    before = last_event_id()
    call_command(*CLI_READS[command](person.duf, tmp_path), stdout=io.StringIO(), stderr=io.StringIO())
    events = new_events(before)
    assert events, f"nir {command} read personal data without an audit event"
    assert all(e.channel == "command" for e in events)
    if command in CLI_ONE_PERSON:
        assert any(names(e, person) for e in events), f"nir {command}: the event does not name the person"


@pytest.mark.parametrize("report_id", sorted(registry.REPORTS) + ["aarsstatistikk"])
def test_every_report_on_the_command_line_is_audited(report_id, person):
    before = last_event_id()
    call_command(*_report_args(report_id), stdout=io.StringIO(), stderr=io.StringIO())
    events = new_events(before)
    assert events and all(e.channel == "command" for e in events), f"nir report {report_id} without an audit event"


def test_rules_explain_records_what_was_explained(person):
    """The explanation names the person and the as_of/known_at it was computed for."""
    before = last_event_id()
    call_command(
        "rules", "explain", person.duf, "--as-of", "2026-06-01", "--known-at", "2026-05-01", stdout=io.StringIO()
    )
    (event,) = new_events(before)
    assert (event.action, event.channel, event.what, event.system) == (
        "read",
        "command",
        "person:explain",
        "kommandolinje",
    )
    assert event.endpoint == "nir rules explain" and names(event, person)
    assert event.filters["as_of"] == "2026-06-01" and event.filters["known_at"].startswith("2026-05-01")


def test_audit_search_with_persons_names_every_person_it_prints(person):
    """``--with-persons`` prints the DUF numbers of the events' persons: the search event lists them."""
    call_command("history", person.duf, stdout=io.StringIO())  # an event naming the person
    before = last_event_id()
    out = io.StringIO()
    call_command("audit", "search", "--with-persons", stdout=out, stderr=io.StringIO())
    assert person.duf in out.getvalue()
    (event,) = new_events(before)
    assert event.what == "audit-log" and names(event, person)


def test_the_django_admin_view_of_an_audit_event_is_audited(person, client, django_user_model):
    """The admin's page of one audit event lists its persons (DUF numbers): a read of them."""
    call_command("history", person.duf, stdout=io.StringIO())
    viewed = AuditEvent.objects.order_by("-pk").first()
    staff = make_user(
        django_user_model, "revisjon-drift", "imdi", roles=[Role.IMDI_ADMIN], is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    before = last_event_id()
    r = client.get(f"/admin/access/auditevent/{viewed.pk}/change/")
    assert r.status_code == 200 and person.duf in r.content.decode()
    (event,) = new_events(before)
    assert (event.what, event.user, event.filters) == ("audit-log:event", staff, {"event": viewed.pk})
    assert names(event, person)


def test_the_explanation_page_shown_with_an_error_is_audited(person, client, django_user_model, monkeypatch):
    """A refused assessment date (400) or facts the Regelmotor cannot evaluate still show the person's
    name and DUF number: the page is a read of the person either way."""
    from nir import rules
    from nir.web import views_rules

    client.force_login(make_user(django_user_model, "revisjon-kommune", "k-5001", roles=[Role.CASEWORKER]))
    before = last_event_id()
    r = client.get(f"/regelmotor/forklar/{person.duf}/?as_of=31.02.2026")
    assert r.status_code == 400 and "Aas" in r.content.decode()
    assert any(names(e, person) for e in new_events(before))

    def refuse(*args, **kwargs):
        raise rules.InvalidFacts("ugyldige fakta")

    monkeypatch.setattr(views_rules, "evaluate_person", refuse)
    before = last_event_id()
    r = client.get(f"/regelmotor/forklar/{person.duf}/")
    assert r.status_code == 200 and "Aas" in r.content.decode()
    assert any(names(e, person) for e in new_events(before))
