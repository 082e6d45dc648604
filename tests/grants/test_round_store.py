"""Payment rounds stored (issue 20 § 3, grants.md A.1, A.8): computed from the register as known at the
cut-off, approved and frozen, late registrations paid with arrears, corrections settled with notice,
nothing paid twice; who sees which lines; the statement command; «Meld feil i grunnlag»."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from openpyxl import load_workbook

from nir import identity
from nir.access.models import AuditEvent, Organisation
from nir.access.policy import AccessDenied
from nir.access.roles import OrganisationKind, Role
from nir.actions.acting import Acting
from nir.grants import actions, engine, selectors
from nir.grants.models import GrantErrorReport, PaymentRound, ReportStatus, RoundStatus, StatementLine
from nir.testing.builders import make_user

from .round_support import SCHEME, at, register, stand_in

pytestmark = pytest.mark.django_db

A = identity.make_duf("2025000001")
B = identity.make_duf("2025000002")
SYSTEM = Acting.system("Testberegning", channel="system")


@pytest.fixture(autouse=True)
def _scheme(monkeypatch):
    monkeypatch.setitem(engine.SCHEMES, SCHEME, stand_in)


def calc(year, quarter, acting=SYSTEM, **kw):
    return actions.calculate_round(acting, year, quarter, schemes=[SCHEME], **kw)


def lines(rnd, **filters):
    return {
        (ln.person.duf, ln.grant_year, ln.recipient): ln
        for ln in StatementLine.objects.filter(round=rnd, **filters).select_related("person")
    }


@pytest.fixture
def imdi(django_user_model):
    return Acting.for_user(
        make_user(django_user_model, "imdi-tilskudd", "imdi", roles=[Role.IMDI_ADMIN]), channel="web"
    )


@pytest.fixture
def trondheim(django_user_model):
    return Acting.for_user(make_user(django_user_model, "tk-5001", "k-5001", roles=[Role.CASEWORKER]), channel="web")


@pytest.fixture
def tromso(django_user_model):
    return Acting.for_user(make_user(django_user_model, "tk-5501", "k-5501", roles=[Role.CASEWORKER]), channel="web")


def test_a_round_is_computed_from_the_register_as_known_at_its_cutoff():
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    register(B, settled=dt.date(2025, 1, 15), municipality="5001", when=at(2025, 5, 1))
    rnd = calc(2025, 1)
    assert (rnd.status, rnd.label, rnd.period_end.isoformat()) == (RoundStatus.DRAFT, "2025Q1", "2025-03-31")
    assert rnd.cutoff_known_at == at(2025, 3, 28)  # grants.round_cutoffs, 12:00 Oslo time
    got = lines(rnd)
    # A: 2024 (Nov–Dec: 20,000) and 2025 Jan–Mar (30,000); B was registered after the cut-off
    assert {k: ln.delta for k, ln in got.items()} == {
        (A, 2024, "municipality:5001"): Decimal(20_000),
        (A, 2025, "municipality:5001"): Decimal(30_000),
    }
    ln = got[(A, 2025, "municipality:5001")]
    assert (ln.due, ln.paid_before, ln.grant_type, ln.year_index, ln.rules) == (30_000, 0, "AR-2", 2, ["test.stand_in"])
    assert (ln.period_from.isoformat(), ln.period_to.isoformat()) == ("2025-01-01", "2025-03-31")
    assert "Bosatt i 5001" in ln.explanation and not ln.requires_notice
    assert rnd.summary["total"] == "50000" and rnd.persons >= 1 and rnd.rules_version and rnd.grants_version
    event = AuditEvent.objects.filter(what="grants:round").latest("pk")
    assert event.filters["round"] == "2025Q1"


def test_recalculating_a_draft_replaces_it_and_an_approved_round_is_frozen(imdi):
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    first = calc(2025, 1)
    again = calc(2025, 1, known_at=at(2025, 3, 31))
    assert again.pk == first.pk and StatementLine.objects.filter(round=again).count() == 2
    assert again.cutoff_known_at == at(2025, 3, 31)

    approved = actions.approve_round(imdi, again)
    assert (approved.status, approved.approved_by_label) == (RoundStatus.APPROVED, "imdi-tilskudd")
    assert AuditEvent.objects.filter(what="grants:approve").exists()
    with pytest.raises(actions.GrantsRefused, match="godkjent"):
        calc(2025, 1)
    with pytest.raises(actions.GrantsRefused, match="allerede godkjent"):
        actions.approve_round(imdi, approved)
    # the database itself refuses: a line of an approved round is neither changed nor deleted, nor added
    line = StatementLine.objects.filter(round=approved).first()
    for sql, params in (
        ("UPDATE grants_statementline SET delta = 0 WHERE id = %s", [line.pk]),
        ("DELETE FROM grants_statementline WHERE id = %s", [line.pk]),
        ("UPDATE grants_paymentround SET persons = 0 WHERE id = %s", [approved.pk]),
        ("UPDATE grants_paymentround SET status = 'draft' WHERE id = %s", [approved.pk]),
        ("DELETE FROM grants_paymentround WHERE id = %s", [approved.pk]),
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementLine.objects.filter(pk=line.pk).update(delta=1)
    # … and the one change an approved round may take: to paid (IMDi records it, audited)
    approved = actions.mark_paid(imdi, approved)
    assert approved.status == RoundStatus.PAID and approved.paid_at is not None
    assert AuditEvent.objects.filter(what="grants:paid").exists()
    with pytest.raises(actions.GrantsRefused, match="bare en godkjent termin"):
        actions.mark_paid(imdi, approved)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE grants_paymentround SET status = 'approved' WHERE id = %s", [approved.pk])


def test_only_imdi_calculates_and_approves(imdi, trondheim):
    with pytest.raises(AccessDenied):
        calc(2025, 1, acting=trondheim)
    rnd = calc(2025, 1, acting=imdi)
    assert rnd.calculated_by_label == "imdi-tilskudd"
    with pytest.raises(AccessDenied):
        actions.approve_round(trondheim, rnd)


def test_late_registration_is_paid_with_arrears_and_nothing_is_paid_twice(imdi):
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    register(B, settled=dt.date(2025, 1, 15), municipality="5001", when=at(2025, 5, 1))  # after Q1's cut-off
    q1 = actions.approve_round(imdi, calc(2025, 1))
    assert {k[0] for k in lines(q1)} == {A}

    q2 = calc(2025, 2)
    assert q2.paid_through == "2025Q1"
    got = lines(q2)
    # B: January–June at once (arrears of Q1 with Q2); A: only Q2's quarter, its 2024 line already paid
    assert got[(B, 2025, "municipality:5001")].delta == 60_000
    assert got[(B, 2025, "municipality:5001")].period_from == dt.date(2025, 1, 1)
    assert got[(A, 2025, "municipality:5001")].delta == 30_000
    assert got[(A, 2025, "municipality:5001")].paid_before == 30_000
    assert (A, 2024, "municipality:5001") not in got  # fully paid in Q1: no new line
    q2 = actions.approve_round(imdi, q2)

    # Q2 again is frozen; a later round with unchanged facts pays only what is newly earned
    q3 = calc(2025, 3)
    assert {k: ln.delta for k, ln in lines(q3).items()} == {
        (A, 2025, "municipality:5001"): 30_000,
        (B, 2025, "municipality:5001"): 30_000,
    }
    # and computing the same round as Q2's cut-off (nothing new earned, nothing new known) pays nothing more:
    # the sum paid per key never exceeds what is due
    paid = actions.paid_before(2025, 3)
    assert paid[(A, "AR-2", 2024, "municipality:5001")] == 20_000
    assert paid[(A, "AR-2", 2025, "municipality:5001")] == 60_000


def test_an_earlier_round_is_not_approved_after_a_later_one(imdi):
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    q1 = calc(2025, 1)
    q2 = actions.approve_round(imdi, calc(2025, 2))
    assert q2.paid_through == ""
    with pytest.raises(actions.GrantsRefused, match="2025Q2 er allerede godkjent"):
        actions.approve_round(imdi, q1)
    with pytest.raises(actions.GrantsRefused, match="2025Q2 er allerede godkjent"):
        calc(2025, 1)


def test_a_draft_computed_before_an_earlier_approval_must_be_recalculated(imdi):
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    q1 = calc(2025, 1)
    q2 = calc(2025, 2)  # paid_through "": Q1 not approved yet
    actions.approve_round(imdi, q1)
    with pytest.raises(actions.GrantsRefused, match="beregn den på nytt"):
        actions.approve_round(imdi, q2)
    q2 = actions.approve_round(imdi, calc(2025, 2))
    total = sum(ln.delta for ln in StatementLine.objects.filter(person__duf=A, grant_year=2025))
    assert total == 60_000  # Jan–Jun, once


def test_a_correction_after_payment_settles_the_old_municipality_with_notice(imdi):
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    actions.approve_round(imdi, calc(2025, 1))
    # the settlement municipality was wrong: corrected after the payment (a new snapshot of the person)
    register(A, settled=dt.date(2024, 11, 1), municipality="5501", when=at(2025, 4, 15), update=True)
    q2 = calc(2025, 2)
    got = lines(q2)
    old_2024, old_2025 = got[(A, 2024, "municipality:5001")], got[(A, 2025, "municipality:5001")]
    assert (old_2024.delta, old_2025.delta) == (-20_000, -30_000)
    assert old_2024.requires_notice and old_2025.requires_notice and old_2025.due == 0
    assert "avregnes" in old_2025.explanation
    new = got[(A, 2025, "municipality:5501")]
    assert (new.delta, new.requires_notice) == (60_000, False)
    assert got[(A, 2024, "municipality:5501")].delta == 20_000
    assert q2.summary["requires_notice"] == ["municipality:5001"]


def test_a_municipality_sees_only_its_own_lines_and_only_approved_rounds(imdi, trondheim, tromso):
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    register(B, settled=dt.date(2024, 12, 1), municipality="5501", when=at(2025, 1, 10))
    draft = calc(2025, 1)
    assert selectors.find_round(trondheim.principal, 2025, 1) is None  # a draft is IMDi's
    assert selectors.lines_for(trondheim.principal, draft).count() == 0
    assert selectors.find_round(imdi.principal, 2025, 1) == draft
    rnd = actions.approve_round(imdi, draft)

    own = selectors.lines_for(trondheim.principal, rnd)
    assert {ln.recipient for ln in own} == {"municipality:5001"} and own.count() == 2
    assert {ln.recipient for ln in selectors.lines_for(tromso.principal, rnd)} == {"municipality:5501"}
    assert selectors.lines_for(imdi.principal, rnd).count() == 4
    st = selectors.statement(trondheim, rnd, "municipality:5001")
    assert st.total == 50_000 and [ln.person.duf for ln in st.lines] == [A, A]
    event = AuditEvent.objects.filter(what="grants:statement").latest("pk")
    assert event.person_count == 1 and event.action == "read"
    with pytest.raises(AccessDenied):
        selectors.statement(trondheim, rnd, "municipality:5501")


def test_a_county_municipality_sees_its_county_lines_only(django_user_model):
    county = next(
        o
        for o in Organisation.objects.filter(kind=OrganisationKind.COUNTY)
        if "50" in [str(c) for c in o.county_numbers]
    )
    user = make_user(django_user_model, "fk-50", county.code, roles=[Role.COUNTY_OFFICER])
    from nir.access.grants import grant_recipients, may_report_error

    assert grant_recipients(user) == frozenset({"county:50"})
    assert may_report_error(user, "county:50") and not may_report_error(user, "municipality:5001")


def test_the_statement_command_writes_csv_xlsx_and_json(imdi, tmp_path):
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    register(B, settled=dt.date(2024, 12, 1), municipality="5501", when=at(2025, 1, 10))
    out = io.StringIO()
    call_command("grants", "calculate", "--year", "2025", "--round", "1", stdout=out)
    assert "2025Q1 beregnet" in out.getvalue()
    # the command computes with every registered scheme: none on this branch but the stand-in (autouse)
    call_command("grants", "approve", "--year", "2025", "--round", "Q1", "--user", "imdi-tilskudd", stdout=out)
    assert PaymentRound.objects.get().status == RoundStatus.APPROVED

    out = io.StringIO()
    call_command("grants", "statement", "--municipality", "5001", "--year", "2025", "--round", "1", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert rows[0][:3] == ["DUF-nummer", "Tilskuddstype", "Tilskuddsår"]
    assert [r[0] for r in rows[1:-1]] == [A, A] and rows[-1][0] == "Sum" and rows[-1][10] == "50000"
    assert {r[6] for r in rows[1:-1]} == {"test.stand_in"}

    path = tmp_path / "grunnlag.json"
    with pytest.raises(CommandError, match="ukjent bruker"):
        call_command("grants", "statement", "--municipality", "5001", "--year", "2025", "--round", "1",
                     "--user", "ingen")  # fmt: skip
    call_command(
        "grants", "statement", "--municipality", "municipality:5001", "--year", "2025", "--round", "1",
        "--format", "json", "--out", str(path), stderr=io.StringIO(),
    )  # fmt: skip
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["round"], data["recipient"], data["total"], data["status"]) == (
        "2025Q1", "municipality:5001", "50000", "approved",
    )  # fmt: skip
    assert {ln["grant_year"]: ln["delta"] for ln in data["lines"]} == {2024: "20000", 2025: "30000"}
    assert data["lines"][0]["rules"] == ["test.stand_in"] and data["lines"][0]["period"]["from"]

    xlsx = tmp_path / "grunnlag.xlsx"
    call_command(
        "grants", "statement", "--municipality", "5001", "--year", "2025", "--round", "1", "--format", "xlsx",
        "--out", str(xlsx), stderr=io.StringIO(),
    )  # fmt: skip
    ws = load_workbook(xlsx).active
    values = list(ws.values)
    assert values[0][0] == "DUF-nummer" and values[-1][0] == "Sum" and values[-1][10] == 50_000
    assert AuditEvent.objects.filter(what="grants:statement", action="export").count() == 3


def test_the_statement_command_as_a_user_applies_their_area(imdi, trondheim):
    register(B, settled=dt.date(2024, 12, 1), municipality="5501", when=at(2025, 1, 10))
    actions.approve_round(imdi, calc(2025, 1))
    with pytest.raises(CommandError, match="kan ikke se"):
        call_command("grants", "statement", "--municipality", "5501", "--year", "2025", "--round", "1",
                     "--user", "tk-5001", stdout=io.StringIO())  # fmt: skip
    with pytest.raises(CommandError, match="Bare IMDi"):
        call_command("grants", "calculate", "--year", "2025", "--round", "2", "--user", "tk-5001")


def test_an_error_report_is_a_case_for_imdi(imdi, trondheim, tromso):
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    draft = calc(2025, 1)
    line = StatementLine.objects.filter(round=draft, grant_year=2025).get()
    with pytest.raises(actions.GrantsRefused, match="ikke godkjent"):
        actions.report_error(trondheim, line, "Personen flyttet i februar.")
    actions.approve_round(imdi, draft)
    with pytest.raises(AccessDenied):
        actions.report_error(tromso, line, "Ikke vår.")
    with pytest.raises(actions.GrantsRefused, match="påkrevd"):
        actions.report_error(trondheim, line, "   ")
    report = actions.report_error(trondheim, line, "Personen flyttet i februar.")
    assert (report.recipient, report.status, report.reported_by_label) == ("municipality:5001", "open", "tk-5001")
    event = AuditEvent.objects.filter(what="grants:error-report").latest("pk")
    assert event.person_count == 1
    assert list(selectors.error_reports_for(trondheim.principal)) == [report]
    assert list(selectors.error_reports_for(tromso.principal)) == []
    assert list(selectors.error_reports_for(imdi.principal)) == [report]

    with pytest.raises(AccessDenied):
        actions.answer_error_report(trondheim, report, "Svar")
    answered = actions.answer_error_report(imdi, report, "Rettet i neste termin.")
    assert (answered.status, answered.answer) == (ReportStatus.ANSWERED, "Rettet i neste termin.")
    with pytest.raises(actions.GrantsRefused, match="besvart"):
        actions.answer_error_report(imdi, answered, "Igjen")
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantErrorReport.objects.filter(pk=report.pk).update(answer="endret")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM grants_granterrorreport WHERE id = %s", [report.pk])


def _reading_years_back(n: int):
    """The shipped parameters with ``round_reads.years_back`` = ``n`` (the reference data knows only the
    2024 municipality numbers, so a person «settled long ago» is one settled in 2024 read for 2025 with 0)."""
    import dataclasses

    from nir.grants.engine import params

    ps = params.default()
    by_name = {n: ps.parameter(n) for n in ps.names()}
    old = by_name["round_reads.years_back"]
    by_name[old.name] = dataclasses.replace(old, versions=(dataclasses.replace(old.versions[0], value=n),))
    return params.ParameterSet(by_name)


def test_a_round_reads_only_the_persons_who_can_trigger_anything(imdi):
    """Settled before the years a round reads, nothing registered since: not read (their grant years are
    over and paid); a correction of such a person after the last approved round brings them back."""
    from nir.grants import reads

    ps = _reading_years_back(0)
    old = identity.make_duf("2025000003")
    register(A, settled=dt.date(2025, 1, 15), municipality="5001", when=at(2025, 2, 1))
    register(old, settled=dt.date(2024, 1, 15), municipality="5001", when=at(2024, 1, 20))
    ids = reads.candidates(2025, at(2025, 3, 28), params=ps)
    assert set(reads.facts(ids, at(2025, 3, 28)).by_duf) == {A}
    assert {A, old} <= set(reads.facts(reads.candidates(2025, at(2025, 3, 28)), at(2025, 3, 28)).by_duf)
    q1 = actions.approve_round(imdi, calc(2025, 1, params=ps))
    assert q1.persons == 1
    register(old, settled=dt.date(2024, 1, 15), municipality="0301", when=at(2025, 5, 2), update=True)
    ids = reads.candidates(2025, at(2025, 6, 20), since=q1.cutoff_known_at, params=ps)
    assert set(reads.facts(ids, at(2025, 6, 20)).by_duf) == {A, old}


def test_the_facts_read_are_those_known_at_the_cutoff():
    from nir.grants import reads

    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=at(2025, 1, 10))
    register(A, settled=dt.date(2024, 11, 1), municipality="5501", when=at(2025, 4, 15), update=True)
    person_id = reads.facts(reads.candidates(2025, at(2025, 6, 20)), at(2025, 6, 20)).ids[A]
    before = reads.facts([person_id], at(2025, 3, 28)).by_duf[A]
    after = reads.facts([person_id], at(2025, 6, 20)).by_duf[A]
    assert [s["municipality"] for s in before["settlements"]] == ["5001"]
    assert [s["municipality"] for s in after["settlements"]] == ["5501"]
    assert after["settlements"][0]["registered_at"].startswith("2025-04-15")
