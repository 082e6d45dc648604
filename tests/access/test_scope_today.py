"""Issue 15 § 3.2: who a user may see is decided by the follow-up *today*, on every read path.

A report's ``as_of`` decides what its rows describe (the follow-up municipality, status and
deadlines on that day), never whom the user may see: a person who moved away is not listed to
their former municipality with an earlier ``as_of`` — not in the report pages, their downloads,
the API or ``nir report --user``; their person page shows the former municipality only what was
registered until the transfer (issue 16 § 2), never in a list or report. The new municipality sees
them, with the rows as of the earlier day. Historical *figures* (the yearly statistics, which
count by the follow-up at the reference date and show no person) stay available to the former
municipality (docs/access.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from nir.access.scope import person_scope
from nir.register import models as m
from nir.register.actors import Actor
from nir.reports import registry, statistics
from nir.testing import builders as helpers
from nir.testing.builders import make_user

API = "/api/v1"
BEFORE_MOVE = dt.date(2026, 5, 1)  # Mona was followed up by Trondheim then
MOVED = dt.date(2026, 6, 1)  # … and by Bergen from this day


@pytest.fixture
def users(db, django_user_model):
    return {
        "trondheim": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
        "bergen": make_user(django_user_model, "saksbehandler-4601", "k-4601"),
        "imdi": make_user(django_user_model, "analytiker-imdi", "imdi"),
    }


@pytest.fixture
def world(users):
    """Mona Flytt: Trondheim 01.11.2025–31.05.2026, Bergen from 01.06.2026 (no final goal: in
    avvik-sluttmaal). Stig Stein: Trondheim throughout (no final goal)."""
    r = helpers.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    p = {
        "mona": r.person("Mona", "Flytt", follow_up_to=MOVED - dt.timedelta(days=1)),
        "stig": r.person("Stig", "Stein"),
    }
    r.add(p["mona"], m.FollowUp, {"municipality": "4601", "valid_from": MOVED}, helpers.at(2026, 6, 1))
    for person in p.values():
        r.participation(person, dt.date(2026, 1, 5))
    assert timezone.localdate() > MOVED  # the test is about a move in the past
    return p


def dufs(rows) -> set[str]:
    return {r["duf"] for r in rows}


@pytest.mark.parametrize("report_id", ["personliste", "avvik-sluttmaal"])
def test_report_with_past_as_of_lists_only_persons_followed_up_today(world, users, report_id):
    mona, stig = world["mona"].duf, world["stig"].duf
    params = registry.ReportParams(as_of=BEFORE_MOVE)
    trondheim = registry.run(report_id, params, scope=person_scope(users["trondheim"]))
    assert dufs(trondheim.rows) == {stig} and trondheim.count == 1
    # The municipality filter on the earlier day does not widen the scope either.
    assert dufs(
        registry.run(
            report_id,
            registry.ReportParams(as_of=BEFORE_MOVE, municipality="5001"),
            scope=person_scope(users["trondheim"]),
        ).rows
    ) == {stig}
    # Bergen follows Mona up today: it sees her, and the row describes the earlier day.
    bergen = registry.run(report_id, params, scope=person_scope(users["bergen"])).rows
    assert [(r["duf"], r["follow_up_municipality"]) for r in bergen] == [(mona, "5001")]
    # Today the report shows each where they are followed up now.
    assert dufs(registry.run(report_id, registry.ReportParams(), scope=person_scope(users["bergen"])).rows) == {mona}


def test_persons_in_scope_is_the_person_page_rule(world, users):
    """The set-based rule (reports, lists) and the one-person rule (person page) agree."""
    from nir.access.persons import person_in_scope
    from nir.access.scope import persons_followed_up

    for user in users.values():
        scope = person_scope(user)
        listed = (
            set(m.Person.objects.all().values_list("pk", flat=True))
            if scope is None
            else set(m.Person.objects.filter(persons_followed_up(scope, field="pk")).values_list("pk", flat=True))
        )
        assert listed == {p.pk for p in world.values() if person_in_scope(user, p)}


def test_web_report_page_and_downloads(world, users, client):
    mona, stig = world["mona"].duf, world["stig"].duf
    client.force_login(users["trondheim"])
    person_page = client.get(f"/personer/{mona}/")  # what was registered until the transfer (issue 16 § 2)
    assert person_page.status_code == 200 and 'id="tidligere-oppfolging"' in person_page.content.decode()
    page = client.get("/rapporter/personliste/", {"as_of": "01.05.2026"})
    assert page.status_code == 200
    html = page.content.decode()
    assert stig in html and mona not in html and "Flytt" not in html
    csv_ = client.get("/rapporter/personliste/eksport.csv", {"as_of": "2026-05-01"})
    assert csv_.status_code == 200
    text = b"".join(csv_.streaming_content).decode("utf-8-sig") if csv_.streaming else csv_.content.decode("utf-8-sig")
    assert stig in text and mona not in text and "Flytt" not in text
    xlsx = client.get("/rapporter/personliste/eksport.xlsx", {"as_of": "2026-05-01"})
    assert xlsx.status_code == 200
    import openpyxl

    data = b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content
    cells = {str(c.value) for row in openpyxl.load_workbook(io.BytesIO(data))["Rapport"].iter_rows() for c in row}
    assert stig in cells and mona not in cells and "Flytt" not in cells
    client.force_login(users["bergen"])
    assert mona in client.get("/rapporter/personliste/", {"as_of": "01.05.2026"}).content.decode()


def test_api_report(world, users, client):
    mona, stig = world["mona"].duf, world["stig"].duf
    client.force_login(users["trondheim"])
    assert client.get(f"{API}/persons/{mona}").json()["transferred"]["moved_on"] == MOVED.isoformat()
    for report_id in ("personliste", "avvik-sluttmaal"):
        r = client.get(f"{API}/reports/{report_id}", {"as_of": "2026-05-01"})
        assert r.status_code == 200, r.content
        assert dufs(r.json()["rows"]) == {stig} and r.json()["count"] == 1
    client.force_login(users["bergen"])
    assert dufs(client.get(f"{API}/reports/personliste", {"as_of": "2026-05-01"}).json()["rows"]) == {mona}


def test_report_command_with_user(world, users):
    mona, stig = world["mona"].duf, world["stig"].duf
    out = io.StringIO()
    call_command(
        "report",
        "personliste",
        "--as-of",
        "2026-05-01",
        "--user",
        users["trondheim"].username,
        "--format",
        "json",
        stdout=out,
    )
    assert dufs(json.loads(out.getvalue())["rows"]) == {stig}
    out = io.StringIO()
    call_command(
        "report", "avvik-sluttmaal", "--as-of", "2026-05-01", "--user", users["trondheim"].username, stdout=out
    )
    text = out.getvalue()
    assert stig in text and mona not in text
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[1:]  # the CSV still has its row


def test_former_municipality_gets_historical_figures_without_names(world, users, client):
    """The yearly statistics count by the follow-up at the reference date: Trondheim's figures for
    a date before the move count Mona, but no path from them shows who she is."""
    figures = ("deltakere",)
    before = statistics.yearly(
        statistics.StatsParams(year=2026, as_of=BEFORE_MOVE, area="5001", figures=figures),
        scope=person_scope(users["trondheim"]),
    )
    assert before.value("deltakere", "right_and_duty", "5001") == 2  # Mona and Stig
    now = statistics.yearly(
        statistics.StatsParams(year=2026, area="5001", figures=figures), scope=person_scope(users["trondheim"])
    )
    assert now.value("deltakere", "right_and_duty", "5001") == 1  # Stig
    client.force_login(users["trondheim"])
    r = client.get(f"{API}/statistics", {"year": "2026", "area": "5001", "as_of": "2026-05-01"})
    assert r.status_code == 200, r.content
    body = r.content.decode()
    assert world["mona"].duf not in body and "Flytt" not in body
    page = client.get("/rapporter/aarsstatistikk/", {"year": "2026", "area": "5001", "as_of": "01.05.2026"})
    assert page.status_code == 200
    assert world["mona"].duf not in page.content.decode() and "Flytt" not in page.content.decode()
