"""Tilsyn (/tilsyn/): the county governor's supervision view — figures per municipality of its county
(persons followed up, in the programme, deviations, deadlines passed, missing decisions), each the
count of the registry's report behind it; only the county's municipalities; the county governor's
Arbeidsflate; closed to caseworkers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.utils import timezone

from nir.access.models import AuditEvent
from nir.access.scope import person_scope
from nir.register.actors import Actor
from nir.reports import registry, supervision
from nir.testing import builders as b
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db, django_user_model):
    cache.clear()
    return {
        "imdi": make_user(django_user_model, "imdi-tilsyn", "imdi"),
        "trondheim": make_user(django_user_model, "saksbehandler-tilsyn", "k-5001"),
        "governor": make_user(django_user_model, "statsforvalter-tilsyn", "sf-trl"),
    }


@pytest.fixture
def world(users):
    """Trondheim (5001, Trøndelag): Dina (in the programme, deadline in a year), Anne (participation
    without final goal: a deviation), Mona (right and duty, settled over three months ago, no
    participation decision), Ola (deadline passed 40 days ago, not ended). Steinkjer (5006,
    Trøndelag): Kari (no participation decision). Bergen (4601, Vestland): Berit (a deviation)."""
    today = timezone.localdate()
    r = b.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))

    def in_programme(first, last, deadline, municipality="5001"):
        start = deadline + dt.timedelta(days=1) - relativedelta(months=24)
        person = r.person(
            first,
            last,
            municipality=municipality,
            permit=start - dt.timedelta(days=90),
            settled=start - dt.timedelta(days=60),
            follow_up_from=start - dt.timedelta(days=60),
        )
        r.participation(person, start, goal="work_no_vgo_old")
        return person

    p = {
        "dina": in_programme("Dina", "Due", today + dt.timedelta(days=365)),
        "ola": in_programme("Ola", "Over", today - dt.timedelta(days=40)),
        "anne": r.person("Anne", "Aas"),
        "mona": r.person("Mona", "Mangel"),
        "kari": r.person("Kari", "Korsvik", municipality="5006"),
        "berit": r.person("Berit", "Berg", municipality="4601"),
    }
    r.participation(p["anne"], dt.date(2026, 1, 5))
    r.participation(p["berit"], dt.date(2026, 1, 5))
    return p


def test_figures_per_municipality_of_the_county(users, world):
    today = timezone.localdate()
    got = supervision.figures(person_scope(users["governor"]), ["5001", "5006", "4601"], today)
    assert set(got) == {"5001", "5006"}  # Bergen is not the Trøndelag county governor's
    assert got["5001"] == {
        "followed": 4,
        "in_programme": 2,  # Dina, and Anne (started, no deadline without a final goal)
        "deviations": 1,  # Anne
        "deadline_passed": 1,  # Ola
        "missing_decision": 1,  # Mona
    }
    assert got["5006"] == {
        "followed": 1,
        "in_programme": 0,
        "deviations": 0,
        "deadline_passed": 0,
        "missing_decision": 1,
    }
    # IMDi sees everybody: Bergen's deviation too
    assert supervision.figures(None, ["4601"], today)["4601"]["deviations"] == 1


def test_each_figure_is_the_count_of_the_report_behind_it(users, world):
    """The drill-down lists exactly the persons counted (one definition: the registry's report)."""
    today = timezone.localdate()
    scope = person_scope(users["governor"])
    got = supervision.figures(scope, ["5001"], today)["5001"]
    for f in supervision.FIGURES:
        d = registry.get(f.report)
        values = {d.filters.get(k, k): v for k, v in f.report_query("5001").items()}
        result = registry.run(f.report, registry.ReportParams(**values), scope=scope)
        assert result.count == got[f.key], f.key
    persons = registry.run(
        "personliste", registry.ReportParams(municipality="5001", missing="participation_decision"), scope=scope
    )
    assert [r["duf"] for r in persons.rows] == [world["mona"].duf]


def test_the_county_governor_lands_on_the_supervision_view(client, users, world):
    client.force_login(users["governor"])
    for url in ("/tilsyn/", "/arbeidsflate/"):
        r = client.get(url)
        assert r.status_code == 200
        html = r.content.decode()
        assert "Tilsyn med kommunene" in html
        assert "5001 Trondheim" in html and "5006 Steinkjer" in html and "Bergen" not in html
        assert 'href="/tilsyn/5001/"' in html
        assert "Avvik som må rettes" not in html  # not the caseworker's to-do list (its groups)
        assert 'href="/arbeidsflate/datakvalitet/"' in html  # the open plausibility warnings, per municipality
    assert AuditEvent.objects.filter(what="supervision", action="statistics", user=users["governor"]).exists()


def test_a_municipality_with_its_lists(client, users, world):
    client.force_login(users["governor"])
    html = client.get("/tilsyn/5001/").content.decode()
    assert "Trondheim" in html
    links = re.findall(r'href="(/rapporter/[^"]+)"', html)
    assert "/rapporter/personliste/?municipality=5001&amp;missing=participation_decision" in links
    assert "/rapporter/avvik-sluttmaal/?municipality=5001" in links
    # the list behind «missing decision»: Mona only
    listing = client.get("/rapporter/personliste/?municipality=5001&missing=participation_decision").content.decode()
    assert world["mona"].duf in listing and world["dina"].duf not in listing
    assert AuditEvent.objects.filter(what="supervision:5001", user=users["governor"]).exists()
    # another county's municipality: not found, as an unknown one
    assert client.get("/tilsyn/4601/").status_code == 404
    assert client.get("/tilsyn/9999/").status_code == 404


def test_imdi_chooses_a_county(client, users, world):
    client.force_login(users["imdi"])
    html = client.get("/tilsyn/").content.decode()
    assert "Velg et fylke" in html and "Trondheim" not in html
    html = client.get("/tilsyn/?fylke=46").content.decode()
    assert "4601 Bergen" in html and "Trondheim" not in html
    assert client.get("/tilsyn/4601/").status_code == 200
    # IMDi's Arbeidsflate stays the work list
    html = client.get("/arbeidsflate/").content.decode()
    assert "Tilsyn med kommunene" not in html and "Avvik som må rettes" in html


def test_a_caseworker_cannot_open_it_and_keeps_its_work_list(client, users, world):
    client.force_login(users["trondheim"])
    assert client.get("/tilsyn/").status_code == 403
    assert client.get("/tilsyn/5001/").status_code == 403
    html = client.get("/arbeidsflate/").content.decode()
    assert "Tilsyn med kommunene" not in html and "Avvik som må rettes" in html


# --- the same figures through the API (GET /api/v1/supervision, /supervision/{municipality}) ---------


def test_the_api_gives_the_page_s_figures(client, users, world):
    client.force_login(users["governor"])
    page = client.get("/tilsyn/")
    page_rows = {row["number"]: {c["key"]: c["n"] for c in row["cells"]} for row in page.context["rows"]}
    page_total = {c["key"]: c["n"] for c in page.context["totals"]}
    r = client.get("/api/v1/supervision")
    assert r.status_code == 200, r.content
    body = r.json()
    assert {m["municipality"]: m["figures"] for m in body["municipalities"]} == page_rows
    assert body["total"] == page_total and body["total"]["followed"] == 5
    assert [c["county"] for c in body["counties"]] == ["50"]
    assert [f["key"] for f in body["figures"]] == list(supervision.FIGURE_KEYS)
    assert client.get("/api/v1/supervision", {"county": "50"}).json() == body
    assert AuditEvent.objects.filter(what="supervision", channel="api", action="statistics").exists()

    one = client.get("/api/v1/supervision/5001")
    assert one.status_code == 200, one.content
    got = {f["key"]: f["value"] for f in one.json()["figures"]}
    assert got == page_rows["5001"] and one.json()["name"].startswith("Trondheim")
    missing = next(f for f in one.json()["figures"] if f["key"] == "missing_decision")
    assert missing["report"] == "personliste"
    assert missing["report_query"] == {"municipality": "5001", "missing": "participation_decision"}
    assert AuditEvent.objects.filter(what="supervision:5001", channel="api", user=users["governor"]).exists()


def test_the_api_hides_other_counties_from_a_county_governor(client, users, world):
    client.force_login(users["governor"])
    for url, query in (("/api/v1/supervision/4601", {}), ("/api/v1/supervision", {"county": "46"})):
        r = client.get(url, query)
        assert r.status_code == 404 and r["Content-Type"].startswith("application/problem+json"), r.content
    assert client.get("/api/v1/supervision/9999").status_code == 404
    # IMDi chooses any county
    client.force_login(users["imdi"])
    body = client.get("/api/v1/supervision", {"county": "46"}).json()
    bergen = next(m for m in body["municipalities"] if m["municipality"] == "4601")
    assert bergen["figures"]["deviations"] == 1 and all(m["county"] == "46" for m in body["municipalities"])
    assert client.get("/api/v1/supervision/4601").status_code == 200


def test_a_caseworker_gets_403_from_the_api(client, users, world):
    client.force_login(users["trondheim"])
    for url in ("/api/v1/supervision", "/api/v1/supervision/5001"):
        r = client.get(url)
        assert r.status_code == 403 and "supervision.read" in r.content.decode(), r.content


# --- nir supervision: the same document on the command line ------------------------------------------


def _command(*args) -> str:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("supervision", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_gives_the_api_s_document(client, users, world):
    import json

    client.force_login(users["governor"])
    api = client.get("/api/v1/supervision").json()
    governor = users["governor"].username
    assert json.loads(_command("--format", "json", "--user", governor)) == api
    event = AuditEvent.objects.filter(what="supervision", channel="command").get()
    assert event.user == users["governor"] and event.filters["counties"] == ["50"]
    csv = _command("--county", "50", "--user", governor).splitlines()
    assert csv[0].startswith("Kommunenummer;Kommune;Fylke;Personer som følges opp")
    assert ";".join(["5001", api["municipalities"][0]["name"], "50", "4", "2", "1", "1", "1"]) in csv
    assert csv[-1] == ";Totalt;;5;2;1;1;2"
    # without --user: every person (the administrator's command line), any county
    assert json.loads(_command("--format", "json", "--county", "46"))["total"]["deviations"] == 1


def test_the_command_applies_the_user_s_scope(users, world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="utenfor tilsynsområdet"):
        _command("--county", "46", "--user", users["governor"].username)
    with pytest.raises(CommandError, match="ikke tilgang til tilsyn"):
        _command("--user", users["trondheim"].username)
