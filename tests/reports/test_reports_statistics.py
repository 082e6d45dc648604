"""Yearly statistics (issue 4, part 3; figures-2025.md § 1B): exact counts per figure on a hand-made
register, by municipality and county, as known before and after a late registration and a correction."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from nir.access.scope import Scope
from nir.register import models as m
from nir.register import services
from nir.reports import diff, statistics, stats_exports
from nir.reports.registry import ReportError
from nir.reports.statistics import StatsParams
from nir.testing.builders import at

pytestmark = pytest.mark.django_db

T = at(2026, 1, 10, 9)  # when most of the register was registered
CUT = at(2026, 1, 19, 23, 59)  # «tall per 19.01.2026»


@pytest.fixture
def stats_world(register):
    """2025 in three municipalities (registered 10.01.2026 unless said otherwise).

    Trondheim 5001: Aslak (rett og plikt, started 2024, goal work_no_vgo_old → deadline 30.04.2026; Norwegian
    participation 2025; passed test), Berit (started 03.03.2025, no goal), Carl (settled 01.06.2025, not
    started), Jonas (work permit: Norwegian duty only, deadline in 2025, failed a test), Kari (Norwegian
    deadline 2025, passed a test), Lars (Norwegian deadline 2025, no test).
    Bergen 4601: Dina (started 2022, deadline passed 2022), Erik (started 2024, completed 30.06.2025 with reason
    «work»; corrected on 10.02.2026 to 15.01.2026), Frode (started 2024, terminated 01.08.2025 without a reason).
    Oslo 0301 / Grünerløkka 030102: Gro (collective protection, right, started 2024), Hans (collective protection,
    60 at the permit: may be offered, started 06.01.2025), Ida (started 01.10.2025, registered late: 01.02.2026).
    """
    r = register
    p = {}
    p["aslak"] = r.person(
        "Aslak",
        "Aune",
        when=T,
        permit=dt.date(2024, 1, 15),
        settled=dt.date(2024, 3, 1),
        follow_up_from=dt.date(2024, 3, 1),
    )
    r.participation(p["aslak"], dt.date(2024, 5, 1), goal="work_no_vgo_old", when=T)
    r.add(
        p["aslak"],
        m.Participation,
        {
            "scheme": "norwegian",
            "from_date": dt.date(2025, 1, 1),
            "to_date": dt.date(2025, 6, 30),
            "hours": Decimal("100"),
        },
        T,
    )
    r.add(
        p["aslak"],
        m.Exam,
        {
            "scheme": "norwegian",
            "exam_type": "norwegian_oral",
            "exam_date": dt.date(2025, 6, 1),
            "result": "passed",
            "level": "A2",
        },
        T,
    )
    p["berit"] = r.person(
        "Berit",
        "Bakke",
        when=T,
        permit=dt.date(2025, 1, 2),
        settled=dt.date(2025, 2, 1),
        follow_up_from=dt.date(2025, 2, 1),
    )
    r.participation(p["berit"], dt.date(2025, 3, 3), when=T)
    p["carl"] = r.person(
        "Carl",
        "Cappelen",
        when=T,
        permit=dt.date(2025, 5, 2),
        settled=dt.date(2025, 6, 1),
        follow_up_from=dt.date(2025, 6, 1),
    )
    p["jonas"] = r.person(
        "Jonas",
        "Juul",
        when=T,
        basis="work",
        permit=dt.date(2022, 3, 1),
        settled=dt.date(2022, 4, 1),
        follow_up_from=dt.date(2022, 4, 1),
    )
    r.add(
        p["jonas"],
        m.Exam,
        {
            "scheme": "norwegian",
            "exam_type": "norwegian_reading",
            "exam_date": dt.date(2025, 2, 10),
            "result": "failed",
        },
        T,
    )
    p["kari"] = r.person(
        "Kari",
        "Krog",
        when=T,
        permit=dt.date(2022, 5, 2),
        settled=dt.date(2022, 6, 1),
        follow_up_from=dt.date(2022, 6, 1),
    )
    r.add(
        p["kari"],
        m.Exam,
        {
            "scheme": "norwegian",
            "exam_type": "norwegian_writing",
            "exam_date": dt.date(2025, 4, 1),
            "result": "passed",
            "level": "B1",
        },
        T,
    )
    r.add(
        p["kari"],
        m.Exam,
        {"scheme": "norwegian", "exam_type": "social_studies", "exam_date": dt.date(2025, 4, 2), "result": "passed"},
        T,
    )
    p["lars"] = r.person(
        "Lars",
        "Lie",
        when=T,
        permit=dt.date(2022, 9, 1),
        settled=dt.date(2022, 10, 1),
        follow_up_from=dt.date(2022, 10, 1),
    )
    r.add(
        p["lars"],
        m.Exam,
        {"scheme": "norwegian", "exam_type": "norwegian_oral", "exam_date": dt.date(2025, 5, 5), "result": "absent"},
        T,
    )

    bergen = {"municipality": "4601", "when": T}
    p["dina"] = r.person(
        "Dina",
        "Dahl",
        permit=dt.date(2021, 11, 1),
        settled=dt.date(2022, 1, 1),
        follow_up_from=dt.date(2022, 1, 1),
        **bergen,
    )
    r.participation(p["dina"], dt.date(2022, 3, 1), goal="work_vgo_old", when=T)
    p["erik"] = r.person(
        "Erik",
        "Eide",
        permit=dt.date(2024, 6, 3),
        settled=dt.date(2024, 7, 1),
        follow_up_from=dt.date(2024, 7, 1),
        **bergen,
    )
    r.participation(p["erik"], dt.date(2024, 9, 2), goal="work_no_vgo_old", when=T)
    r.termination(p["erik"], dt.date(2025, 6, 30), type_="completed", reason="work", when=T)
    p["frode"] = r.person(
        "Frode",
        "Foss",
        permit=dt.date(2024, 6, 3),
        settled=dt.date(2024, 7, 1),
        follow_up_from=dt.date(2024, 7, 1),
        **bergen,
    )
    r.participation(p["frode"], dt.date(2024, 9, 2), goal="work_no_vgo_old", when=T)
    r.termination(p["frode"], dt.date(2025, 8, 1), type_="aborted", reason="", when=T)

    oslo = {"municipality": "0301", "district": "030102", "when": T}
    p["gro"] = r.person(
        "Gro",
        "Grande",
        basis="utl_34",
        permit=dt.date(2024, 3, 1),
        settled=dt.date(2024, 4, 1),
        follow_up_from=dt.date(2024, 4, 1),
        **oslo,
    )
    r.participation(p["gro"], dt.date(2024, 6, 3), goal="complete_primary_old", when=T)
    p["hans"] = r.person(
        "Hans",
        "Hauge",
        basis="utl_34",
        birth=dt.date(1964, 2, 1),
        permit=dt.date(2024, 10, 1),
        settled=dt.date(2024, 11, 1),
        follow_up_from=dt.date(2024, 11, 1),
        **oslo,
    )
    r.participation(p["hans"], dt.date(2025, 1, 6), when=T)
    p["ida"] = r.person(
        "Ida",
        "Isaksen",
        permit=dt.date(2025, 6, 2),
        settled=dt.date(2025, 7, 1),
        follow_up_from=dt.date(2025, 7, 1),
        **oslo,
    )
    # Late: the participation decision of 01.10.2025 registered on 01.02.2026.
    r.participation(p["ida"], dt.date(2025, 10, 1), goal="work_no_vgo_2026", when=at(2026, 2, 1))
    # Correction on 10.02.2026: Erik ended on 15.01.2026, not on 30.06.2025.
    erik_end = m.Termination.objects.current().get(person=p["erik"])
    services.correct(erik_end, {"termination_date": dt.date(2026, 1, 15)}, "Feil dato", r.actor, at=at(2026, 2, 10))
    return p


def yearly(**kw):
    return statistics.yearly(StatsParams(**{"year": 2025, **kw}), scope=None)


def test_every_figure_has_title_definition_and_source():
    assert list(statistics.FIGURES) == [
        "rett-og-plikt-31-12",
        "rett-31-12",
        "deltakere",
        "begynt",
        "avsluttet",
        "sluttmaal-rett-og-plikt",
        "sluttmaal-rett",
        "norsk-deltakere",
        "norsk-frist-proever",
    ]
    for f in statistics.FIGURES.values():
        assert f.title and len(f.definition) > 40 and f.source.startswith("IMDi årsrapport 2025")
        assert len({c.key for c in f.columns}) == len(f.columns)


def test_categories_as_the_regelmotor_derived_them(stats_world):
    cats = {k: m.DerivedStatus.objects.current().get(person=v) for k, v in stats_world.items()}
    assert cats["gro"].intro_category == "right"  # utl. § 34 permit before 2026
    assert cats["hans"].intro_category == "may_be_offered"  # 60 at the permit's decision date
    assert cats["jonas"].norwegian_category == "duty"
    assert cats["dina"].intro_deadline == dt.date(2022, 8, 31)
    assert cats["aslak"].intro_deadline == dt.date(2026, 4, 30)


def test_national_figures_now(stats_world):
    t = yearly()
    assert t.params.as_of == dt.date(2025, 12, 31)
    assert [a.name for a in t.areas] == ["Hele landet"]
    # Stock per 31.12.2025 — rett og plikt: Aslak, Berit, Carl (not started, settled 2025), Erik (ended 2026
    # after the correction), Ida; not Dina (deadline 2022), Frode (terminated), Kari/Lars (settled 2022, never
    # started). Rett: Gro.
    assert t.value("rett-og-plikt-31-12", "total") == 5
    assert t.value("rett-31-12", "total") == 1
    # Participants in 2025: Aslak, Berit, Erik, Frode, Ida (rett og plikt), Gro (rett), Hans (kan få tilbud,
    # kollektiv beskyttelse). Dina's deadline passed in 2022.
    assert {c.key: t.value("deltakere", c.key) for c in statistics.FIGURES["deltakere"].columns} == {
        "right_and_duty": 5,
        "may_be_offered": 0,
        "right": 1,
        "may_be_offered_collective": 1,
        "none": 0,
    }
    assert t.total("deltakere") == 7
    assert t.value("begynt", "right_and_duty") == 2  # Berit, Ida
    assert t.value("begynt", "may_be_offered_collective") == 1  # Hans
    assert t.total("begynt") == 3
    # Ended in 2025 with a reason: nobody — Frode has no reason, Erik's end was corrected to 2026.
    assert t.total("avsluttet") == 0
    goals = statistics.FIGURES["sluttmaal-rett-og-plikt"]
    got = {c.key: t.value(goals.id, c.key) for c in goals.columns if t.value(goals.id, c.key)}
    assert got == {"work_no_vgo_old": 3, "work_no_vgo_2026": 1, "missing": 1}  # Aslak, Erik, Frode; Ida; Berit
    assert {c.key: t.value("sluttmaal-rett", c.key) for c in goals.columns if t.value("sluttmaal-rett", c.key)} == {
        "complete_primary_old": 1
    }
    assert t.value("norsk-deltakere", "right_and_duty") == 1  # Aslak (100 hours in 2025)
    assert t.total("norsk-deltakere") == 1
    # Norwegian deadline in 2025: Jonas (duty), Kari, Lars; tests: Jonas failed, Kari passed, Lars absent.
    assert t.value("norsk-frist-proever", "deadline") == 3
    assert t.value("norsk-frist-proever", "exam_taken") == 2
    assert t.value("norsk-frist-proever", "exam_passed") == 1
    assert t.share("norsk-frist-proever", "exam_passed", "exam_taken") == 0.5
    assert t.total("norsk-frist-proever") is None  # the columns do not split the figure


def test_figures_as_registered_on_the_cut_date(stats_world):
    """«Tallene slik de var registrert 19.01.2026»: before Ida's late decision and Erik's correction."""
    t = yearly(known_at=CUT)
    assert t.value("deltakere", "right_and_duty") == 4  # without Ida
    assert t.value("begynt", "right_and_duty") == 1  # Berit
    assert t.value("avsluttet", "right_and_duty") == 1  # Erik, 30.06.2025 with reason «work»
    # Aslak, Berit, Carl, Ida (settled 2025, not started as then known); not Erik (ended 30.06.2025 as then known)
    assert t.value("rett-og-plikt-31-12", "total") == 4
    assert t.value("sluttmaal-rett-og-plikt", "work_no_vgo_2026") == 0


def test_difference_between_two_known_at_dates(stats_world):
    d = diff.stats_diff(StatsParams(year=2025), CUT, None, scope=None)
    changed = {(c.figure, c.column): (c.before, c.after) for c in d.changes}
    assert changed[("deltakere", "right_and_duty")] == (4, 5)
    assert changed[("begynt", "right_and_duty")] == (1, 2)
    assert changed[("avsluttet", "right_and_duty")] == (1, 0)
    assert changed[("rett-og-plikt-31-12", "total")] == (4, 5)  # Erik
    assert ("norsk-frist-proever", "deadline") not in changed
    out = d.to_json()
    assert out["known_at_before"].startswith("2026-01-19T23:59")


def test_by_municipality_and_county_and_areas(stats_world):
    t = yearly(by="municipality")
    assert [a.code for a in t.areas] == ["0301", "4601", "5001"]
    assert [a.name for a in t.areas] == ["Oslo", "Bergen", "Trondheim - Tråante"]
    assert t.total("deltakere", "5001") == 2  # Aslak, Berit
    assert t.total("deltakere", "4601") == 2  # Erik, Frode
    assert t.total("deltakere", "0301") == 3  # Gro, Hans, Ida
    c = yearly(by="county")
    assert [(a.code, a.name) for a in c.areas] == [
        ("03", "Oslo"),
        ("46", "Vestland"),
        ("50", "Trøndelag - Trööndelage"),
    ]
    assert c.total("deltakere", "50") == 2
    one = yearly(area="4601")
    assert [a.code for a in one.areas] == ["4601"] and one.total("deltakere", "4601") == 2
    assert yearly(area="030102").total("deltakere", "030102") == 3
    assert yearly(area="50").value("norsk-frist-proever", "deadline", "50") == 3
    # A municipality without persons gives zeros, not an error.
    assert yearly(area="1108").total("deltakere", "1108") == 0


def test_scope_limits_the_statistics(stats_world):
    t = statistics.yearly(StatsParams(year=2025, by="municipality"), scope=Scope(municipalities=frozenset({"4601"})))
    assert [a.code for a in t.areas] == ["4601"]
    nobody = statistics.yearly(StatsParams(year=2025), scope=Scope())
    assert nobody.total("deltakere") == 0


def test_reference_date_in_the_current_year_is_today_and_bad_parameters_are_refused(stats_world):
    t = statistics.yearly(StatsParams(year=2025, as_of=dt.date(2025, 6, 30)), scope=None)
    assert t.params.as_of == dt.date(2025, 6, 30)
    assert t.value("avsluttet", "right_and_duty") == 0  # Frode ended 01.08, without reason anyway
    for bad, message in [
        (dict(year=2025, area="12"), None),
        (dict(year=2025, area="123"), "område"),
        (dict(year=2025, by="fylke"), "inndeling"),
        (dict(year=2025, figures=("x",)), "ukjent tall"),
        (dict(year=2025, as_of=dt.date(2024, 1, 1)), "ikke i året"),
        (dict(year=2025, law="x"), "ukjent lov"),
    ]:
        if message is None:
            statistics.yearly(StatsParams(**bad), scope=None)  # a county with no persons: fine
            continue
        with pytest.raises(ReportError, match=message):
            statistics.yearly(StatsParams(**bad), scope=None)


def test_exports_json_csv_xlsx(stats_world):
    t = yearly(by="county", figures=("deltakere", "norsk-frist-proever"))
    doc = stats_exports.to_json(t)
    assert doc["statistics"] == "aarsstatistikk" and doc["year"] == 2025 and doc["as_of"] == "2025-12-31"
    assert [f["id"] for f in doc["figures"]] == ["deltakere", "norsk-frist-proever"]
    trond = next(r for r in doc["rows"] if r["area"] == "50")
    assert trond["values"]["deltakere"] == {
        "right_and_duty": 2,
        "may_be_offered": 0,
        "right": 0,
        "may_be_offered_collective": 0,
        "none": 0,
        "total": 2,
    }
    assert trond["shares"]["norsk-frist-proever"] == {"exam_taken": 2 / 3, "exam_passed": 0.5}
    csv_text = stats_exports.to_csv(t)
    header, *lines = csv_text.strip().split("\r\n")
    assert header.startswith(
        "Område-kode;Område;Personer som deltok i introduksjonsprogram i løpet av året: Rett og plikt"
    )
    assert lines[2].startswith("50;Trøndelag - Trööndelage;2;0;0;0;0;2;3;2;1;66,7;50,0")
    wb = load_workbook(io.BytesIO(stats_exports.to_xlsx(t)))
    assert wb.sheetnames == ["Statistikk", "Definisjoner"]
    rows = list(wb["Statistikk"].values)
    assert rows[3][:3] == ("50", "Trøndelag - Trööndelage", 2)


def test_command_prints_the_statistics_and_the_difference(stats_world):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "report", "aarsstatistikk", "--year", "2025", "--by", "municipality", "--format", "json", stdout=out, stderr=err
    )
    doc = json.loads(out.getvalue())
    assert [r["area"] for r in doc["rows"]] == ["0301", "4601", "5001"]
    out = io.StringIO()
    call_command(
        "report",
        "aarsstatistikk",
        "--year",
        "2025",
        "--known-at",
        "2026-01-19",
        "--compare-known-at",
        "now",
        "--format",
        "json",
        stdout=out,
        stderr=io.StringIO(),
    )
    changes = json.loads(out.getvalue())["changes"]
    assert {"figure": "avsluttet", "column": "right_and_duty", "before": 1, "after": 0, "delta": -1}.items() <= next(
        c for c in changes if c["figure"] == "avsluttet"
    ).items()
