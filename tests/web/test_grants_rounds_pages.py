"""Tilskudd's payment-round pages (issue 20 § 4, grants.md A.1, A.8): IMDi calculates, approves and records a
round paid through the pages; a municipality sees only its own statement; the statement shows each line's
rule, rate (with source and verified flag) and the sum, and downloads as CSV and XLSX; «Meld feil i
grunnlag» opens a case IMDi sees and answers; bad input is refused with a clear message and stores nothing.

The rounds compute with a stand-in scheme (as in tests/grants/test_round_store.py): the pages are about
the rounds around the engine, whatever the scheme."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from nir import identity
from nir.access.models import AuditEvent
from nir.access.roles import Role
from nir.actions.acting import Acting
from nir.actions.imports import import_person
from nir.grants import engine
from nir.grants.engine.model import Line, Outcome
from nir.grants.engine.params import Version
from nir.grants.models import GrantErrorReport, PaymentRound, ReportStatus, RoundStatus
from nir.register.interchange import parse_line
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
SCHEME = "test_pages"
A = identity.make_duf("2025000101")  # Trondheim (5001)
B = identity.make_duf("2025000102")  # Bergen (4601)
IMPORTER = Acting.system("Testimport", channel="system")
RATE = Version("rates.AR-2", 120000, dt.date(2011, 1, 1), None, "Prøvesats for sidene", False)


def stand_in(ctx, person, grant_year):
    """120,000 kroner a grant year earned by month from the settlement, to the settlement municipality."""
    s = person.first_settlement
    out = Outcome()
    if s is None or not 0 <= grant_year - s.date.year <= 4:
        return out
    first = s.date.month if grant_year == s.date.year else 1
    earned = tuple(dt.date(grant_year, mo, 1) for mo in range(first, 13))
    out.lines.append(
        Line(
            person.id, "AR-2", grant_year, f"municipality:{s.municipality}", Decimal(120_000) * len(earned) / 12,
            "test.stand_in", RATE, f"Bosatt i {s.municipality} {s.date:%d.%m.%Y} (prøveordning).",
            grant_year - s.date.year + 1, (earned[0], dt.date(grant_year, 12, 31)), earned=earned,
            facts_used=(s.path,),
        )
    )  # fmt: skip
    return out


@pytest.fixture(autouse=True)
def _scheme(monkeypatch):
    monkeypatch.setattr(engine, "SCHEMES", {SCHEME: stand_in})


def register(duf, *, settled, municipality, when, update=False):
    line = {
        "duf": duf,
        "first_name": "Test",
        "last_name": f"Person {duf[-3:]}",
        "registered_at": when.isoformat(),
        "follow_up_municipality": municipality,
        "facts": {
            "birth_date": "1990-05-01",
            "permits": [{"basis": "utl_28", "decision_date": (settled - dt.timedelta(days=60)).isoformat()}],
            "settlements": [{"municipality": municipality, "date": settled.isoformat(), "by_agreement": True}],
        },
    }
    parsed = parse_line(line)
    assert not parsed.problems, parsed.problems
    return import_person(IMPORTER, parsed, at=when, update=update)


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "tp-imdi", "imdi", roles=[Role.IMDI_ADMIN]),
        "trondheim": make_user(django_user_model, "tp-5001", "k-5001", roles=[Role.CASEWORKER]),
        "bergen": make_user(django_user_model, "tp-4601", "k-4601", roles=[Role.CASEWORKER]),
    }


@pytest.fixture
def people(db):
    when = dt.datetime(2025, 1, 10, 12, tzinfo=OSLO)
    register(A, settled=dt.date(2024, 11, 1), municipality="5001", when=when)
    register(B, settled=dt.date(2024, 12, 1), municipality="4601", when=when)


def as_(client, user):
    client.force_login(user)
    return client


def calculate(client, **fields):
    data = {"aar": "2025", "termin": "1", "kjent_dato": "", "kjent_tid": "", **fields}
    return client.post(reverse("grants"), data)


@pytest.fixture
def approved(client, users, people):
    """IMDi calculates and approves 2025 round 1 through the pages."""
    as_(client, users["imdi"])
    assert calculate(client).status_code == 303
    r = client.post(reverse("grants_round", args=[2025, 1]), {"handling": "godkjenn"})
    assert r.status_code == 303
    client.logout()
    return PaymentRound.objects.get(grant_year=2025, quarter=1)


def test_imdi_calculates_approves_and_records_paid_through_the_pages(client, users, people):
    as_(client, users["imdi"])
    home = client.get(reverse("grants")).content.decode()
    assert 'id="beregn"' in home and "Ingen utbetalingstermin ennå" in home
    r = calculate(client)
    assert r.status_code == 303 and r["Location"] == reverse("grants_round", args=[2025, 1])
    rnd = PaymentRound.objects.get()
    assert rnd.status == RoundStatus.DRAFT
    page = client.get(r["Location"]).content.decode()
    assert (
        "Utkast" in page
        and 'data-recipient="municipality:5001"' in page
        and 'data-recipient="municipality:4601"' in page
    )
    assert 'data-post="0671.60"' in page and "17\xa0435\xa0182\xa0000" not in page  # 2025: no appropriation known
    assert "19\xa0402\xa0774\xa0229" in page.replace(" ", "\xa0")  # what was paid in 2025 (grants.md A.0)
    assert 'data-grant-type="AR-2"' in page and 'data-county="50"' in page
    home = client.get(reverse("grants")).content.decode()
    assert 'data-round="2025Q1"' in home and "Godkjenn 2025Q1" in home
    assert client.post(reverse("grants_round", args=[2025, 1]), {"handling": "godkjenn", "neste": "oversikt"})[
        "Location"
    ] == reverse("grants")
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.APPROVED and rnd.approved_by == users["imdi"]
    again = client.post(reverse("grants_round", args=[2025, 1]), {"handling": "godkjenn"})
    assert again.status_code == 422 and "allerede godkjent" in again.content.decode()
    assert calculate(client).status_code == 422  # an approved round is never recalculated
    assert client.post(reverse("grants_round", args=[2025, 1]), {"handling": "utbetalt"}).status_code == 303
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PAID
    assert AuditEvent.objects.filter(what__in=["grants:round", "grants:approve", "grants:paid"]).count() == 3


def test_bad_input_gives_a_clear_error_and_stores_nothing(client, users, people):
    as_(client, users["imdi"])
    r = calculate(client, termin="5")
    html = r.content.decode()
    assert r.status_code == 422 and "Terminen må være 1, 2, 3 eller 4." in html
    assert 'value="5"' in html and 'value="2025"' in html  # nothing typed is lost
    r = calculate(client, kjent_dato="31.02.2025")
    html = r.content.decode()
    assert r.status_code == 422 and "Skriv en gyldig dato (dd.mm.åååå)." in html and 'value="31.02.2025"' in html
    r = calculate(client, aar="25")
    assert r.status_code == 422 and "Skriv tilskuddsåret med fire sifre." in r.content.decode()
    r = calculate(client, kjent_dato="01.03.2025", kjent_tid="25:00")
    assert r.status_code == 422 and "tt:mm" in r.content.decode()
    assert not PaymentRound.objects.exists()
    # a known-at after which no register change matters: calculated as of then
    r = calculate(client, kjent_dato="01.03.2025", kjent_tid="08:00")
    assert r.status_code == 303
    assert PaymentRound.objects.get().cutoff_known_at == dt.datetime(2025, 3, 1, 8, tzinfo=OSLO)


def test_a_municipality_may_not_calculate_or_approve(client, users, people):
    as_(client, users["trondheim"])
    assert 'id="beregn"' not in client.get(reverse("grants")).content.decode()
    assert calculate(client).status_code == 403
    assert not PaymentRound.objects.exists()


def test_a_municipality_sees_only_its_own_statement_and_no_draft(client, users, people):
    as_(client, users["imdi"])
    calculate(client)
    as_(client, users["trondheim"])
    assert client.get(reverse("grants_round", args=[2025, 1])).status_code == 404  # a draft is IMDi's
    assert client.get(reverse("grants_statement", args=[2025, 1, "5001"])).status_code == 404
    assert 'data-round="2025Q1"' not in client.get(reverse("grants")).content.decode()
    as_(client, users["imdi"])
    client.post(reverse("grants_round", args=[2025, 1]), {"handling": "godkjenn"})
    as_(client, users["trondheim"])
    page = client.get(reverse("grants_round", args=[2025, 1])).content.decode()
    assert 'data-recipient="municipality:5001"' in page and "municipality:4601" not in page
    assert 'data-post="' not in page  # IMDi's overview only
    own = client.get(reverse("grants_statement", args=[2025, 1, "5001"]))
    assert own.status_code == 200 and A in own.content.decode() and B not in own.content.decode()
    assert client.get(reverse("grants_statement", args=[2025, 1, "4601"])).status_code == 404
    assert client.get(reverse("grants_statement_export", args=[2025, 1, "4601", "csv"])).status_code == 404
    assert client.get(reverse("grants_statement", args=[2025, 1, "50"])).status_code == 404
    assert client.get(reverse("grants_statement", args=[2025, 1, "x"])).status_code == 404


def test_the_statement_shows_rule_rate_explanation_and_the_sum_and_is_audited(client, users, approved):
    as_(client, users["trondheim"])
    before = AuditEvent.objects.count()
    r = client.get(reverse("grants_statement", args=[2025, 1, "5001"]))
    html = r.content.decode()
    assert r.status_code == 200
    assert "test.stand_in" in html and "AR-2" in html and "Bosatt i 5001 01.11.2024" in html
    assert "120000 (Prøvesats for sidene)" in html and "Ikke verifisert" in html  # the rate, its source and flag
    # 2024 Nov–Dec (20,000) and 2025 Jan–Mar (30,000)
    assert 'data-total="50000"' in html
    assert "Meld feil i grunnlag" in html
    event = AuditEvent.objects.filter(pk__gt=0).order_by("-pk").first()
    assert AuditEvent.objects.count() == before + 1 and event.what == "grants:statement" and event.action == "read"


def test_a_negative_total_says_varsel_kreves(client, users, approved):
    """A correction after payment (A was settled in Bergen, not Trondheim) is settled in the next round: a
    negative total for Trondheim, which must be notified first (grants.md A.8, fvl. § 16)."""
    register(
        A, settled=dt.date(2024, 11, 1), municipality="4601", when=dt.datetime(2025, 4, 2, tzinfo=OSLO), update=True
    )
    as_(client, users["imdi"])
    assert calculate(client, termin="2").status_code == 303
    client.post(reverse("grants_round", args=[2025, 2]), {"handling": "godkjenn"})
    as_(client, users["trondheim"])
    html = client.get(reverse("grants_statement", args=[2025, 2, "5001"])).content.decode()
    assert 'data-total="-50000"' in html and "Varsel kreves" in html
    assert "Varsel kreves" in client.get(reverse("grants_round", args=[2025, 2])).content.decode()


def test_the_statement_downloads_as_csv_and_xlsx(client, users, approved):
    as_(client, users["trondheim"])
    r = client.get(reverse("grants_statement_export", args=[2025, 1, "5001", "csv"]))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "DUF-nummer" and {row[0] for row in rows[1:-1]} == {A}
    assert rows[-1][0] == "Sum" and rows[-1][10] == "50000"
    r = client.get(reverse("grants_statement_export", args=[2025, 1, "5001", "xlsx"]))
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    sheet = wb.worksheets[0]
    assert sheet.cell(1, 1).value == "DUF-nummer" and sheet.cell(2, 1).value == A
    assert client.get(reverse("grants_statement_export", args=[2025, 1, "5001", "pdf"])).status_code == 404
    assert AuditEvent.objects.filter(what="grants:statement", action="export").count() == 2


def test_meld_feil_creates_a_case_imdi_sees_and_answers(client, users, approved):
    as_(client, users["trondheim"])
    url = reverse("grants_statement", args=[2025, 1, "5001"])
    line = approved.lines.filter(recipient="municipality:5001").order_by("pk").first()
    empty = client.post(url, {"linje": line.pk, "tekst": "  "})
    assert empty.status_code == 422 and "Feilen ble ikke meldt" in empty.content.decode()
    assert not GrantErrorReport.objects.exists()
    r = client.post(url, {"linje": line.pk, "tekst": "Personen flyttet til Bergen i desember."})
    assert r.status_code == 303
    report = GrantErrorReport.objects.get()
    assert (report.line, report.recipient, report.reported_by) == (line, "municipality:5001", users["trondheim"])
    # Bergen may neither see nor report on Trondheim's lines
    as_(client, users["bergen"])
    assert client.post(url, {"linje": line.pk, "tekst": "x"}).status_code == 404
    assert "Personen flyttet" not in client.get(reverse("grants_error_reports")).content.decode()
    as_(client, users["imdi"])
    page = client.get(reverse("grants_error_reports")).content.decode()
    assert "Personen flyttet til Bergen i desember." in page and A in page and 'name="svar"' in page
    bad = client.post(reverse("grants_error_reports"), {"sak": report.pk, "svar": ""})
    assert bad.status_code == 422 and "Svaret ble ikke lagret" in bad.content.decode()
    ok = client.post(reverse("grants_error_reports"), {"sak": report.pk, "svar": "Rettet i registeret."})
    assert ok.status_code == 303
    report.refresh_from_db()
    assert report.status == ReportStatus.ANSWERED and report.answer == "Rettet i registeret."
    as_(client, users["trondheim"])
    own = client.get(reverse("grants_error_reports") + "?vis=alle").content.decode()
    assert "Rettet i registeret." in own and 'name="svar"' not in own
    assert AuditEvent.objects.filter(what="grants:error-reports").exists()


def test_the_menu_marks_tilskudd_on_the_round_pages(client, users, approved):
    as_(client, users["trondheim"])
    html = client.get(reverse("grants_round", args=[2025, 1])).content.decode()
    assert f'href="{reverse("grants")}" aria-current="true"' in html or 'aria-current="true"' in html
