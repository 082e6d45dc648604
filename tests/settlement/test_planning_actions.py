"""The planning actions (nir.settlement.actions.planning): need versions, indicators, request rounds,
adjustment with a reason, sending once; who may plan; the audit events."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from nir.access.models import AuditEvent, Role
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.settlement import planning_reads, store
from nir.settlement.actions import planning
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import IndicatorDataset, MunicipalIndicators, MunicipalRequest, SettlementNeed
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    user = make_user(django_user_model, "plan-nasjonal", "imdi", roles=[Role.SETTLEMENT_NATIONAL])
    return Acting.for_user(user, channel="web")


@pytest.fixture
def planned(staff):
    need = planning.set_need(staff, year=2026, persons=18900, um_persons=752, decided_on=dt.date(2025, 12, 16))
    dataset, _ = planning.load_indicators(staff)
    return need, dataset


def events(what):
    return list(AuditEvent.objects.filter(what=what).order_by("pk"))


def test_need_revisions_keep_every_version_with_its_reason(staff):
    first = planning.set_need(staff, year=2025, persons=18900, um_persons=752, decided_on=dt.date(2024, 12, 1))
    with pytest.raises(SettlementRefused) as e:
        planning.set_need(staff, year=2025, persons=12640, um_persons=700, decided_on=dt.date(2025, 6, 1))
    assert e.value.field == "reason"
    june = planning.set_need(
        staff, year=2025, persons=12640, um_persons=700, decided_on=dt.date(2025, 6, 1), reason="Lavere prognose"
    )
    october = planning.set_need(
        staff, year=2025, persons=13150, um_persons=769, decided_on=dt.date(2025, 10, 1), reason="BGU oktober"
    )
    versions = planning_reads.need_versions(2025)
    assert [v.persons for v in versions] == [13150, 12640, 18900]
    assert {v.key for v in versions} == {first.key}
    assert planning_reads.current_need(2025).pk == october.pk
    assert planning_reads.current_need(2025, known_at=june.recorded_at).persons == 12640
    assert versions[1].change_reason == "Lavere prognose"
    assert [e.filters["persons"] for e in events("settlement.need")] == [18900, 12640, 13150]
    # the version the user saw has been revised meanwhile
    with pytest.raises(store.ChangedMeanwhile):
        planning.set_need(
            staff, year=2025, persons=1, um_persons=0, decided_on=dt.date(2025, 11, 1), reason="x", replaces=june.pk
        )


@pytest.mark.parametrize(
    "values, field",
    [
        ({"persons": 10, "um_persons": 11}, "um_persons"),
        ({"persons": -1, "um_persons": 0}, "persons"),
        ({"persons": "mange", "um_persons": 0}, "persons"),
        ({"persons": 10.5, "um_persons": 0}, "persons"),
        ({"persons": 10, "um_persons": 0, "year": 1800}, "year"),
        ({"persons": 10, "um_persons": 0, "decided_by": " "}, "decided_by"),
    ],
)
def test_a_bad_need_is_refused_by_field(staff, values, field):
    args = {"year": 2026, "decided_on": dt.date(2026, 1, 1), **values}
    with pytest.raises(SettlementRefused) as e:
        planning.set_need(staff, **args)
    assert e.value.field == field and e.value.message
    assert not SettlementNeed.objects.exists()


def test_indicators_load_once_and_are_audited(staff):
    dataset, created = planning.load_indicators(staff)
    assert created and dataset.synthetic and dataset.rows.count() == 357 and len(dataset.file_sha256) == 64
    again, created = planning.load_indicators(staff)
    assert again.pk == dataset.pk and not created
    assert IndicatorDataset.objects.count() == 1
    (event,) = events("settlement.indicators")
    assert event.filters["municipalities"] == 357 and event.filters["synthetic"] is True


def test_compute_adjust_and_send_a_round(staff, planned):
    need, dataset = planned
    rnd = planning.compute_round(staff, 2026, on=dt.date(2026, 1, 10))
    assert (rnd.year, rnd.number, rnd.need_id, rnd.dataset_id, rnd.parameters_version) == (
        2026,
        1,
        need.pk,
        dataset.pk,
        "2026-1",
    )
    lines = planning_reads.round_lines(rnd)
    assert len(lines) == 357 and sum(x.persons for x in lines) == 18900 and sum(x.um_persons for x in lines) == 752
    oslo = next(x for x in lines if x.municipality == "0301")
    assert oslo.breakdown["criteria"] and oslo.computed_persons == oslo.persons

    with pytest.raises(SettlementRefused) as e:
        planning.adjust_request(staff, oslo, persons=2000, um_persons=100, reason=" ")
    assert e.value.field == "reason"
    with pytest.raises(SettlementRefused) as e:
        planning.adjust_request(staff, oslo, persons=10, um_persons=100, reason="x")
    assert e.value.field == "um_persons"
    adjusted = planning.adjust_request(staff, oslo, persons=2000, um_persons=100, reason="Boligmangel i Oslo")
    assert (adjusted.persons, adjusted.um_persons) == (2000, 100)
    assert (adjusted.computed_persons, adjusted.computed_um, adjusted.breakdown) == (
        oslo.computed_persons,
        oslo.computed_um,
        oslo.breakdown,
    )
    assert adjusted.change_reason == "Boligmangel i Oslo" and adjusted.key == oslo.key
    assert [x.persons for x in planning_reads.line_history(rnd, "0301")] == [oslo.persons, 2000]
    with pytest.raises(store.ChangedMeanwhile):  # the old version is no longer current
        planning.adjust_request(staff, oslo, persons=1900, um_persons=100, reason="x")

    assert planning_reads.latest_sent_round(2026) is None
    sent = planning.send_round(staff, rnd)
    assert sent.sent_at is not None and sent.sent_by_user == staff.principal
    assert planning_reads.latest_sent_round(2026).pk == rnd.pk
    assert planning_reads.sent_request(2026, "0301").persons == 2000
    with pytest.raises(SettlementRefused, match="allerede sendt"):
        planning.send_round(staff, rnd)
    with pytest.raises(SettlementRefused) as e:
        planning.adjust_request(staff, adjusted, persons=1, um_persons=0, reason="for sent")
    assert e.value.field == "round"
    assert planning_reads.sent_request(2026, "0301").persons == 2000

    # a new round supersedes the sent one for the year; the old one is kept as it was sent
    second = planning.compute_round(staff, 2026, on=dt.date(2026, 2, 1))
    assert second.number == 2 and planning_reads.latest_sent_round(2026).pk == rnd.pk
    planning.send_round(staff, second)
    assert planning_reads.latest_sent_round(2026).pk == second.pk
    assert planning_reads.sent_request(2026, "0301").persons == oslo.computed_persons
    assert planning_reads.round_lines(rnd, "0301")[0].persons == 2000

    whats = [e.what for e in AuditEvent.objects.filter(what__startswith="settlement.").order_by("pk")]
    assert whats == [
        "settlement.need",
        "settlement.indicators",
        "settlement.request_round",
        "settlement.request_adjust",
        "settlement.request_send",
        "settlement.request_round",
        "settlement.request_send",
    ]
    (adjust,) = events("settlement.request_adjust")
    assert adjust.filters["municipality"] == "0301" and adjust.user == staff.principal


def test_an_older_draft_or_one_from_a_revised_need_is_not_sent(staff, planned):
    old = planning.compute_round(staff, 2026)
    new = planning.compute_round(staff, 2026)
    planning.send_round(staff, new)
    with pytest.raises(SettlementRefused, match="Runde 2"):
        planning.send_round(staff, old)
    third = planning.compute_round(staff, 2026)
    planning.set_need(staff, year=2026, persons=12640, um_persons=700, decided_on=dt.date(2026, 6, 1), reason="juni")
    with pytest.raises(SettlementRefused, match="endret"):
        planning.send_round(staff, third)
    fourth = planning.compute_round(staff, 2026)
    assert sum(x.persons for x in planning_reads.round_lines(fourth)) == 12640


def test_a_round_needs_a_need_and_indicators(staff):
    with pytest.raises(SettlementRefused) as e:
        planning.compute_round(staff, 2026)
    assert e.value.field == "year"
    planning.set_need(staff, year=2026, persons=10, um_persons=0, decided_on=dt.date(2026, 1, 1))
    with pytest.raises(SettlementRefused) as e:
        planning.compute_round(staff, 2026)
    assert e.value.field == "dataset"


@pytest.mark.parametrize(
    "org, role",
    [
        ("k-5001", Role.SETTLEMENT_COORDINATOR),
        ("imdi", Role.SETTLEMENT_CASEWORKER),
        ("imdi", Role.IMDI_ANALYST),
        ("k-5001", Role.CASEWORKER),
    ],
)
def test_only_imdi_planners_plan(django_user_model, staff, planned, org, role):
    other = Acting.for_user(make_user(django_user_model, "ikke-planlegger", org, roles=[role]), channel="web")
    rnd = planning.compute_round(staff, 2026)
    line = planning_reads.round_lines(rnd, "5001")[0]
    calls = [
        lambda: planning.set_need(other, year=2027, persons=1, um_persons=0, decided_on=dt.date(2026, 1, 1)),
        lambda: planning.load_indicators(other),
        lambda: planning.compute_round(other, 2026),
        lambda: planning.adjust_request(other, line, persons=1, um_persons=0, reason="x"),
        lambda: planning.send_round(other, rnd),
    ]
    for call in calls:
        with pytest.raises(AccessDenied):
            call()
    assert planning_reads.latest_sent_round(2026) is None and MunicipalRequest.objects.count() == 357


def test_the_imdi_administrator_plans(django_user_model, planned):
    admin = Acting.for_user(make_user(django_user_model, "plan-admin", "imdi", roles=[Role.IMDI_ADMIN]), channel="web")
    assert planning.compute_round(admin, 2026).number == 1


def test_the_command_loads_indicators_and_refuses_a_bad_file(tmp_path):
    out = io.StringIO()
    call_command("settlement", "indicators", "load", stdout=out)
    assert "357 kommuner" in out.getvalue() and "Syntetiske indikatorer" in out.getvalue()
    assert MunicipalIndicators.objects.count() == 357
    (event,) = events("settlement.indicators")
    assert event.channel == "command" and event.system == "kommandolinje"
    from nir.settlement import indicators

    text = (indicators.PUBLIC_WORLD / "municipalities.csv").read_text(encoding="utf-8")
    (tmp_path / "municipalities.csv").write_text(text.replace("0301,Oslo,03,717710", "0301,Oslo,03,-5"))
    (tmp_path / "municipalities.columns.csv").write_text(
        (indicators.PUBLIC_WORLD / "municipalities.columns.csv").read_text(encoding="utf-8")
    )
    with pytest.raises(CommandError, match=r"linje 2, kolonne population"):
        call_command("settlement", "indicators", "load", str(tmp_path), stdout=io.StringIO())
    assert IndicatorDataset.objects.count() == 1
    with pytest.raises(CommandError, match="ukjent bruker"):
        call_command("settlement", "indicators", "load", "--user", "ingen", stdout=io.StringIO())


def test_the_command_shows_the_request_in_force(staff, planned):
    import csv
    import json

    with pytest.raises(CommandError, match="ingen sendt anmodning"):
        call_command("settlement", "request", "show", "2026", stdout=io.StringIO())
    rnd = planning.compute_round(staff, 2026)
    planning.send_round(staff, rnd)
    out = io.StringIO()
    call_command("settlement", "request", "show", "2026", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert rows[0] == ["Syntetiske indikatorer – ikke offisiell statistikk"] and rows[1][:4] == [
        "kommune",
        "beregnet",
        "beregnet_em",
        "anmodet",
    ]
    assert len(rows) == 2 + 357 and sum(int(r[3]) for r in rows[2:]) == 18900
    out = io.StringIO()
    call_command("settlement", "request", "show", "2026", "--round", "1", "--format", "json", stdout=out)
    doc = json.loads(out.getvalue())
    assert doc["round"] == 1 and doc["parameters_sha256"] == rnd.parameters_sha256 and len(doc["lines"]) == 357
    event = AuditEvent.objects.filter(what="settlement.requests").order_by("pk").last()
    assert event.channel == "command" and event.filters["round"] == 1
