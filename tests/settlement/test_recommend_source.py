"""The recommendation tool's production path (issue 18): the engine's inputs read from a small register
built through the action layer — settled households with their programme results and moves two years
later, ready cases, capacity left, the municipality table — and nothing that identifies a person."""

import csv
import datetime as dt
import json
import shutil

import numpy as np
import pytest
from django.utils import timezone

from nir import actions
from nir.access.models import AuditEvent, Role
from nir.actions.acting import Acting
from nir.register import models as rm
from nir.register.actors import REGELMOTOR, Actor
from nir.settlement import indicators, recommend_source
from nir.settlement.actions import assignment, cases, planning
from nir.settlement.models import CaseMember, SettlementCase
from nir.settlement.recommend.data import DataError, households
from nir.testing import settlement_cases as sc
from nir.testing.builders import Register, make_user

pytestmark = pytest.mark.django_db

SYSTEM = Acting.system("Test")


def years_ago(n: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - n, day=min(today.day, 28)) - dt.timedelta(days=days)


@pytest.fixture
def people(django_user_model):
    sc.imdi_region("imdi-midt", ("50", "46"))
    sc.reception("mottak-test")
    planning.load_indicators(SYSTEM)
    return {
        "imdi": make_user(django_user_model, "bs-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "kommune": make_user(django_user_model, "bs-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
        "mottak": make_user(django_user_model, "bs-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
    }


def web(user):
    return Acting.for_user(user, channel="web")


def settle_case(people, members, *, settled: dt.date, kind: str, mapping=None, **details):
    case = cases.register_case(
        web(people["mottak"]),
        details=sc.details(
            permit_date=settled - dt.timedelta(days=90), ready_date=settled - dt.timedelta(days=60), **details
        ),
        members=members,
    )
    for first_name, content in (mapping or {}).items():
        member = CaseMember.objects.current().get(case=case, first_name=first_name)
        cases.register_mapping(
            web(people["mottak"]),
            case.number,
            member.key,
            {
                "kind": "settlement_info",
                "assessed_on": settled - dt.timedelta(days=70),
                "assessed_by": "Mottaksansatt",
                "content": content,
            },
        )
    p = assignment.propose(web(people["imdi"]), case.number, "5001")
    assignment.answer(web(people["kommune"]), p.pk, accept=True, planned_date=timezone.localdate())
    assignment.settle(web(people["kommune"]), case.number, settlement_date=settled)
    return case


def duf_of(case, first_name):
    member = CaseMember.objects.current().get(case=case, first_name=first_name)
    return rm.Person.objects.get(pk=case.settlement.members.get(member_key=member.key).person_id).duf


def programme(duf, start, *, reason, ended):
    actions.register(
        SYSTEM,
        duf,
        rm.Decision,
        {"scheme": "intro", "decision_type": "participation", "decision_date": start, "start_date": start},
    )
    actions.register(
        SYSTEM,
        duf,
        rm.Termination,
        {
            "scheme": "intro",
            "termination_type": "completed",
            "termination_reason": reason,
            "hours_work_per_week": None,
            "termination_date": ended,
        },
    )


@pytest.fixture
def register(people):
    """Three years ago: a family (mother into work after a year, father not, a child) that stayed; a
    couple of whom the husband moved to Bergen after a year (education only after 2.5 years); a year
    ago: a single adult (too recent for outcomes). A register settlement by agreement without a case."""
    settled = years_ago(3)
    sc.capacity("5001", "families", 20)
    sc.capacity("5001", "single_adults", 5)
    family = settle_case(
        people,
        [
            sc.adult("Amal", birth_date=dt.date(1990, 3, 4), citizenship="SYR"),
            sc.adult("Omar", sex="male", birth_date=dt.date(1988, 5, 6), citizenship="SYR"),
            sc.child("Sami"),
        ],
        settled=settled,
        kind="families",
        connection_municipality="5001",
        connection_kind="family",
        mapping={"Amal": {"education": "higher", "work_experience_years": 6, "languages": ["arabisk", "engelsk"]}},
    )
    programme(
        duf_of(family, "Amal"), settled + dt.timedelta(days=30), reason="work", ended=settled + dt.timedelta(days=365)
    )
    programme(
        duf_of(family, "Omar"),
        settled + dt.timedelta(days=30),
        reason="deadline_reached",
        ended=settled + dt.timedelta(days=600),
    )
    couple = settle_case(
        people,
        [
            sc.adult("Zahra", "Nybo", birth_date=dt.date(1996, 1, 2), citizenship="AFG"),
            sc.adult("Ali", "Nybo", sex="male", birth_date=dt.date(1994, 7, 8), citizenship="AFG"),
        ],
        settled=settled,
        kind="families",
    )
    programme(
        duf_of(couple, "Ali"),
        settled + dt.timedelta(days=30),
        reason="education",
        ended=settled + dt.timedelta(days=900),
    )
    actions.move(SYSTEM, duf_of(couple, "Ali"), {"move_date": settled + dt.timedelta(days=365), "municipality": "4601"})
    recent = settle_case(
        people, [sc.adult("Nadia", "Ny", citizenship="ERI")], settled=years_ago(1), kind="single_adults"
    )
    alone = Register(Actor.for_system(REGELMOTOR, source_system="test")).person(
        "Kari",
        "Alene",
        municipality="5001",
        permit=years_ago(4),
        settled=years_ago(4, -30),
        follow_up_from=years_ago(4, -30),
    )
    return {"family": family, "couple": couple, "recent": recent, "alone": alone, "settled": settled}


def by_names(records):
    return {tuple(sorted((p["age"], p["sex"]) for p in r["persons"])): r for r in records}


def test_history_households_outcomes_and_stay(register):
    settled = register["settled"]
    ext = recommend_source.extract_history(timezone.localdate())
    records = ext.records
    assert len(records) == 3  # family, couple, the register's lone settlement; not the recent one
    family = next(r for r in records if len(r["persons"]) == 3)
    couple = next(r for r in records if len(r["persons"]) == 2)
    alone = next(r for r in records if len(r["persons"]) == 1)
    assert family["settled_municipality"] == "5001" and family["settlement_date"] == settled.isoformat()
    assert family["connection_municipality"] == "5001" and family["resettlement"] is False
    amal, omar, child = family["persons"]  # adults first, eldest first: Omar (1988) before Amal (1990)
    amal, omar = (omar, amal) if amal["sex"] == "M" else (amal, omar)
    assert (amal["sex"], amal["country_group"], amal["education"], amal["work_experience_years"]) == (
        "F",
        "syria",
        "higher",
        6,
    )
    assert amal["english_level"] == 1 and amal["norwegian_level"] == 0
    assert amal["age"] == settled.year - 1990 - ((settled.month, settled.day) < (3, 4))
    assert amal["outcomes"] == {"work_or_education_2y": True, "stayed_2y": True}
    assert omar["outcomes"] == {"work_or_education_2y": False, "stayed_2y": True}
    assert child["role"] == "child" and child["outcomes"]["work_or_education_2y"] is None
    # the husband moved to Bergen after a year: the household did not stay; his education came too late;
    # his wife has no programme record: not observed
    zahra, ali = sorted(couple["persons"], key=lambda p: p["sex"])
    assert zahra["country_group"] == ali["country_group"] == "afghanistan"
    assert ali["outcomes"] == {"work_or_education_2y": False, "stayed_2y": False}
    assert zahra["outcomes"] == {"work_or_education_2y": None, "stayed_2y": False}
    # the register's own settlement: one person, education from the register, no residence registered
    assert alone["persons"][0]["education"] == "primary" and alone["persons"][0]["country_group"] == "other"
    assert alone["persons"][0]["outcomes"] == {"work_or_education_2y": None, "stayed_2y": None}
    assert ext.summary()["filled_person_fields"]["education"] >= 4
    # the engine reads them
    hh = households(records, recommend_source.municipality_table())
    assert hh.has_outcomes and hh.nh == 3
    assert np.nansum(hh.p_work) == 1 and int(np.sum(~np.isnan(hh.p_work))) == 3


def test_history_until_leaves_out_households_without_two_years(register):
    ext = recommend_source.extract_history(register["settled"] + dt.timedelta(days=365 * 2 + 1))
    assert {len(r["persons"]) for r in ext.records} == {3, 2, 1}
    # 700 days after: only the register's own settlement (a year earlier) has its two years
    early = recommend_source.extract_history(register["settled"] + dt.timedelta(days=700)).records
    assert [len(r["persons"]) for r in early] == [1]
    with pytest.raises(DataError, match="fram i tid"):
        recommend_source.extract_history(timezone.localdate() + dt.timedelta(days=1))


def test_history_holds_no_identities(register):
    records = recommend_source.history_records(timezone.localdate())
    text = json.dumps(records)
    for d in rm.PersonDetails.objects.current():
        assert d.first_name not in text and d.last_name not in text
        assert not d.national_id or d.national_id not in text
    for p in rm.Person.objects.all():
        assert p.duf not in text
    for case in SettlementCase.objects.all():
        assert case.number not in text
    recommend_source.assert_no_identities(records)
    with pytest.raises(DataError):
        recommend_source.assert_no_identities([{"household_id": "H1", "persons": [{"note": "12345678901"}]}])
    with pytest.raises(DataError):
        recommend_source.assert_no_identities([{"household_id": "H1", "persons": [{"first_name": "x"}]}])


def test_reading_the_history_is_one_audit_event(register):
    ext = recommend_source.extract_history(timezone.localdate())
    before = AuditEvent.objects.count()
    recommend_source.audit_history_read(SYSTEM, ext, purpose="trening av anbefalingsmodell", endpoint="test")
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("pk")
    assert event.what == "settlement.recommendation.history" and event.purpose == "trening av anbefalingsmodell"
    assert event.person_count == ext.persons == 6 and event.action == "export"


def test_case_records_and_capacity(people):
    sc.capacity("5001", "families", 10, accessible_housing=True)
    sc.capacity("5001", "um", 3)
    sc.capacity("4601", "single_adults", 4)
    ready = cases.register_case(
        web(people["mottak"]),
        details=sc.details(
            special_need_level="minor",
            special_need_kinds=["mobility"],
            connection_municipality="4601",
            connection_kind="family",
        ),
        members=[sc.adult(citizenship="UKR"), sc.child()],
    )
    um = cases.register_case(web(people["mottak"]), details=sc.details(), members=[sc.minor(citizenship="SOM")])
    rows = recommend_source.case_records([ready, um])
    fam, minor = rows
    assert fam["household_id"] == ready.number and fam["connection_municipality"] == "4601"
    assert [p["special_need"] for p in fam["persons"]] == ["mobility", "none"]
    assert fam["persons"][0]["country_group"] == "ukraine" and fam["persons"][0]["role"] == "adult"
    assert minor["persons"][0]["unaccompanied_minor"] is True and minor["persons"][0]["country_group"] == "somalia"
    munis = recommend_source.municipality_table()
    hh = households(rows, munis)
    assert hh.h_um.tolist() == [False, True] and hh.h_conn[0] == munis.index["4601"]

    p = assignment.propose(web(people["imdi"]), ready.number, "5001")
    assignment.answer(web(people["kommune"]), p.pk, accept=True, planned_date=timezone.localdate())
    cap = recommend_source.current_capacity(munis=munis)
    t, b = munis.index["5001"], munis.index["4601"]
    assert (cap.places[t], cap.um_places[t], bool(cap.accepts_special_needs[t])) == (8, 3, True)
    assert (cap.places[b], cap.um_places[b], bool(cap.accepts_special_needs[b])) == (4, 0, False)
    assert cap.places.sum() == 12


def test_municipality_table_names_a_missing_column(tmp_path):
    with pytest.raises(DataError, match="ingen indikatorer"):
        recommend_source.municipality_table()
    folder = tmp_path / "world"
    folder.mkdir()
    with open(indicators.PUBLIC_WORLD / "municipalities.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(folder / "municipalities.csv", "w", encoding="utf-8", newline="") as f:
        names = [c for c in rows[0] if c != "living_conditions_index"]
        w = csv.DictWriter(f, names, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    shutil.copy(indicators.PUBLIC_WORLD / "municipalities.columns.csv", folder / "municipalities.columns.csv")
    planning.load_indicators(SYSTEM, folder)
    with pytest.raises(DataError, match="living_conditions_index"):
        recommend_source.municipality_table()
    planning.load_indicators(SYSTEM)  # the complete public world, loaded later: it is used
    table = recommend_source.municipality_table()
    assert table.n == len(rows) and table.numbers[0] == "0301"
    assert table.diaspora.shape == (len(rows), 8) and table.diaspora[0, 0] > 0


def test_country_groups():
    assert recommend_source.country_group("syr") == "syria"
    assert recommend_source.country_group("SSD") == "sudan"
    assert recommend_source.country_group("") == recommend_source.country_group("IRN") == "other"
