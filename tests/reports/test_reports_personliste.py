"""NIR Personlister (issue 4, part 2) and the known_at difference of a report (part 4), on the
hand-made register of the ``world`` fixture (conftest.py)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import at
from nir.access.scope import Scope
from nir.reports import diff, exports, registry
from nir.reports.registry import ReportError, ReportParams

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def run(**params):
    return registry.run("personliste", ReportParams(**{"as_of": TODAY, **params}), scope=None)


def names(result):
    return [r["last_name"] for r in result.rows]


@pytest.fixture
def kjell(register, world):
    """Settled 01.01.2026 in Trondheim with the right and duty, no participation decision."""
    return register.person(
        "Kjell", "Kvam", permit=dt.date(2025, 11, 3), settled=dt.date(2026, 1, 1), follow_up_from=dt.date(2026, 1, 1)
    )


def test_person_list_rows_and_status(world):
    result = run()
    assert names(result) == ["Aas", "Bergh", "Dahl", "Eng", "Fjell", "Gran", "Ild", "Jensen"]  # not Holm (intro.loven)
    status = {r["last_name"]: r["status"] for r in result.rows}
    assert status == {
        "Aas": "active",
        "Bergh": "active",
        "Dahl": "active",
        "Eng": "ended",
        "Fjell": "ended",
        "Gran": "active",
        "Ild": "active",
        "Jensen": "ended",
    }
    bergh = result.rows[1]
    assert bergh["intro_deadline"] == dt.date(2027, 11, 30) and bergh["norwegian_category"] == "right_and_duty"
    assert run(law="introduksjonsloven").rows[0]["last_name"] == "Holm"


def test_status_filters(world, kjell):
    assert names(run(status="ended")) == ["Eng", "Fjell", "Jensen"]
    assert names(run(status="active")) == ["Aas", "Bergh", "Dahl", "Gran", "Ild"]
    assert names(run(status="not_started")) == ["Kvam"]
    # After Bjorn's deadline (30.11.2027) without a termination:
    later = run(status="deadline_passed", as_of=dt.date(2027, 12, 15))
    assert names(later) == ["Bergh"]


def test_municipality_follows_the_follow_up_on_as_of(world):
    assert names(run(municipality="5001")) == ["Bergh", "Eng", "Gran", "Jensen"]
    assert names(run(municipality="5001", as_of=dt.date(2026, 3, 1))) == ["Aas", "Bergh", "Eng", "Gran", "Jensen"]
    assert names(run(municipality="030101")) == ["Fjell"]


def test_deadline_within_days_per_scheme(world):
    assert names(run(deadline_within=400)) == ["Bergh"]  # 30.11.2027; Dahl's 04.01.2028 is 407 days away
    assert names(run(deadline_within=407)) == ["Bergh", "Dahl", "Eng"]
    assert run(scheme="norwegian", deadline_within=1100).count == 8
    assert run(scheme="norwegian", deadline_within=30).count == 0


def test_missing_registrations(world, kjell):
    assert names(run(missing="final_goal")) == ["Aas", "Gran", "Ild"]
    assert names(run(missing="participation_decision")) == ["Kvam"]
    assert names(run(missing="participation_decision", as_of=dt.date(2026, 3, 1))) == []  # not 3 months yet
    assert names(run(missing="termination", as_of=dt.date(2027, 12, 15))) == ["Bergh"]
    assert names(run(missing="termination")) == []


def test_category_filter_follows_the_scheme(world):
    assert run(scheme="norwegian", category="right_and_duty").count == 8
    assert run(scheme="norwegian", category="duty").count == 0
    assert names(run(category="none")) == ["Fjell", "Jensen"]
    with pytest.raises(ReportError, match="ukjent kategori"):
        run(category="duty")  # a Norwegian-training category, but the scheme is the programme


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(scheme="x"), "ukjent ordning"),
        (dict(status="x"), "ukjent status"),
        (dict(missing="x"), "manglende"),
        (dict(deadline_within=-1), "frist innen"),
    ],
)
def test_bad_filters_are_refused_in_norwegian(world, params, message):
    with pytest.raises(ReportError, match=message):
        run(**params)


def test_person_list_filters_belong_to_the_person_list(world):
    with pytest.raises(ReportError, match="gjelder ikke"):
        registry.run("avvik-sluttmaal", ReportParams(status="active"), scope=None)


def test_scope_and_exports(world):
    mine = registry.run("personliste", ReportParams(as_of=TODAY), scope=Scope(municipalities=frozenset({"4601"})))
    assert names(mine) == ["Aas", "Ild"]
    csv_text = exports.to_csv(mine)
    header = csv_text.splitlines()[0]
    assert header.endswith(
        "NIR-kategori norskopplæring;Status;Startdato introduksjonsprogram;"
        "Gjennomføringsfrist introduksjonsprogram;Gjennomføringsfrist norskopplæring"
    )
    assert ";Rett og plikt til opplæring i norsk og samfunnskunnskap;Pågår;05.01.2026;" in csv_text


def test_command(world):
    out = io.StringIO()
    call_command(
        "report",
        "personliste",
        "--missing",
        "final_goal",
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
        stdout=out,
        stderr=io.StringIO(),
    )
    doc = json.loads(out.getvalue())
    assert doc["count"] == 3 and doc["filters"]["missing"] == "final_goal"
    with pytest.raises(CommandError, match="gjelder bare aarsstatistikk"):
        call_command("report", "personliste", "--year", "2025", stdout=io.StringIO(), stderr=io.StringIO())


# --- the difference between two registration times -----------------------------------


def test_report_diff_shows_late_registrations_and_corrections(world):
    d = diff.report_diff("avvik-sluttmaal", ReportParams(as_of=dt.date(2026, 4, 17)), at(2026, 2, 1), None, scope=None)
    got = {c.duf: c.change for c in d.changes}
    assert got == {
        world["frida"].duf: "added",  # participation registered late (01.03.2026)
        world["cecilie"].duf: "removed",  # final goal corrected 01.03.2026
        world["bjorn"].duf: "changed",
    }  # renamed Berg → Bergh 01.04.2026
    bjorn = next(c for c in d.changes if c.change == "changed")
    assert bjorn.before[0]["last_name"] == "Berg" and bjorn.after[0]["last_name"] == "Bergh"
    assert d.counts == {"added": 1, "removed": 1, "changed": 1}
    assert (d.before.count, d.after.count) == (4, 4)


def test_report_diff_command(world):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "report",
        "avvik-sluttmaal",
        "--as-of",
        "2026-04-17",
        "--known-at",
        "2026-02-01",
        "--compare-known-at",
        "now",
        "--format",
        "csv",
        stdout=out,
        stderr=err,
    )
    lines = out.getvalue().strip().split("\r\n")
    assert lines[0].startswith("Endring;Når;DUF-nummer")
    assert sum(1 for line in lines if line.startswith("Ny;Etter;")) == 1
    assert sum(1 for line in lines if line.startswith("Fjernet;Før;")) == 1
    assert "1 personer nye, 1 fjernet, 1 endret" in err.getvalue()
    with pytest.raises(CommandError, match="krever --known-at"):
        call_command("report", "avvik-sluttmaal", "--compare-known-at", "now", stdout=io.StringIO())
