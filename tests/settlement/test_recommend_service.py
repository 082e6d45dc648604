"""One case's recommendation as IMDi's caseworker sees it (issue 18): the ranked allowed municipalities,
the excluded ones and why, the connection, no model → a plain message; who may see it; proposing
against the recommendation needs a reason (nir.settlement.actions.assignment.propose)."""

import datetime as dt

import pytest

from nir.access.models import Role
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.settlement import recommend_service
from nir.settlement.actions import assignment, cases
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import Proposal
from nir.settlement.recommend.data import DataError
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user
from settlement import recommend_fakes as fakes

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    sc.imdi_region("imdi-midt", ("50",))
    sc.imdi_region("imdi-vest", ("46",))
    sc.reception("mottak-test")
    return {
        "imdi": make_user(django_user_model, "rec-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "vest": make_user(django_user_model, "rec-vest", "imdi-vest", roles=[Role.SETTLEMENT_CASEWORKER]),
        "kommune": make_user(django_user_model, "rec-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
        "mottak": make_user(django_user_model, "rec-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
    }


def family(user, **details):
    return cases.register_case(
        Acting.for_user(user, channel="web"),
        details=sc.details(**details),
        members=[sc.adult(), sc.adult("Omar", "Testesen", sex="male", birth_date=dt.date(1988, 5, 6)), sc.child()],
    )


def test_ranked_list_is_the_allowed_municipalities_best_first_with_outcomes(people, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    rec = recommend_service.case_recommendation(people["imdi"], case.number)
    assert rec.available and rec.model_version == fakes.VERSION
    # Frøya has the best value but no places: not ranked, excluded with its reason
    assert [r.number for r in rec.ranked] == ["5001", "5006", "5007", "5025", "5035"]
    assert "5014" in {e.number for e in rec.excluded}
    assert all(e.reason for e in rec.excluded)
    top = rec.ranked[0]
    assert top.name == "Trondheim" and top.work == pytest.approx(2 * 0.70) and top.stay == pytest.approx(0.90)
    assert top.work_low < top.work < top.work_high <= 2 and 0 <= top.stay_low < top.stay < top.stay_high <= 1
    assert top.places_left == 20 and top.reasons and top.reasons[0]["text"]
    assert rec.connection_status == "none"
    stored = rec.record()
    assert [r["number"] for r in stored["ranked"]] == ["5001", "5006", "5007", "5025", "5035"]
    assert stored["ranked"][0]["joint"] == pytest.approx(top.joint)


def test_connection_honoured_only_there_and_the_rest_excluded(people, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"], connection_municipality="5038", connection_kind="family")
    rec = recommend_service.case_recommendation(people["imdi"], case.number)
    assert [r.number for r in rec.ranked] == ["5038"]
    assert rec.connection == "5038" and rec.connection_status == "honoured"
    assert {"5001", "5006", "4601"} <= {e.number for e in rec.excluded}


def test_no_model_says_so_and_how_to_train(people, monkeypatch):
    fakes.install(monkeypatch, model=False)
    case = family(people["mottak"])
    rec = recommend_service.case_recommendation(people["imdi"], case.number)
    assert not rec.available and not rec.ranked
    assert "nir settlement train" in rec.message


@pytest.mark.parametrize("who", ["kommune", "mottak", "vest"])
def test_only_a_caseworker_who_may_assign_in_the_area_sees_it(people, monkeypatch, who):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    with pytest.raises(AccessDenied):
        recommend_service.case_recommendation(people[who], case.number)


def test_a_case_not_ready_has_none(people, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    sc.capacity("5001", "families", 10)
    assignment.propose(Acting.for_user(people["imdi"], channel="web"), case.number, "5001")
    with pytest.raises(recommend_service.NotReady):
        recommend_service.case_recommendation(people["imdi"], case.number)


def test_batch_is_cached_until_cases_or_capacity_change(people, monkeypatch):
    model = fakes.install(monkeypatch)
    assert model is not None
    a = family(people["mottak"])
    recommend_service.case_recommendation(people["imdi"], a.number)
    recommend_service.case_recommendation(people["imdi"], a.number)
    assert model.predictions == 1
    b = family(people["mottak"])  # a new ready case: a new batch
    assert recommend_service.case_recommendation(people["imdi"], b.number).ranked
    assert model.predictions == 2
    sc.capacity("5006", "families", 3)  # new capacity: a new batch
    recommend_service.case_recommendation(people["imdi"], a.number)
    assert model.predictions == 3


def test_proposing_against_the_recommendation_needs_a_reason(people, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    sc.capacity("5006", "families", 10)
    rec = recommend_service.case_recommendation(people["imdi"], case.number)
    acting = Acting.for_user(people["imdi"], channel="web")
    with pytest.raises(SettlementRefused) as e:
        assignment.propose(acting, case.number, "5006", recommendation=rec.record(), model_version=rec.model_version)
    assert e.value.field == "override_reason"
    assert not Proposal.objects.filter(case=case).exists()
    p = assignment.propose(
        acting,
        case.number,
        "5006",
        recommendation=rec.record(),
        model_version=rec.model_version,
        override_reason="Familien har nettverk i Steinkjer",
    )
    p.refresh_from_db()
    assert p.model_version == fakes.VERSION and p.override_reason == "Familien har nettverk i Steinkjer"
    assert p.recommendation["ranked"][0]["number"] == "5001"


def test_proposing_the_top_one_needs_no_reason_and_a_bad_recommendation_is_refused(people, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    sc.capacity("5001", "families", 10)
    acting = Acting.for_user(people["imdi"], channel="web")
    with pytest.raises(SettlementRefused) as e:
        assignment.propose(acting, case.number, "5001", recommendation={"ranked": []})
    assert e.value.field == "recommendation"
    rec = recommend_service.case_recommendation(people["imdi"], case.number)
    p = assignment.propose(acting, case.number, "5001", recommendation=rec.record(), model_version=rec.model_version)
    assert p.override_reason == ""


def test_a_case_the_engine_cannot_read_is_said_not_a_failure(people, monkeypatch):
    fakes.install(monkeypatch)
    import nir.settlement

    def refuse(cases):
        raise DataError("sak X: kjønn mangler for en person i husstanden")

    monkeypatch.setattr(nir.settlement.recommend_source, "case_records", refuse)
    case = family(people["mottak"])
    rec = recommend_service.case_recommendation(people["imdi"], case.number)
    assert not rec.available and "kjønn mangler" in rec.message and rec.model_version == fakes.VERSION


def test_a_household_no_municipality_can_take_is_said_and_the_others_still_ranked(people, monkeypatch):
    fakes.install(monkeypatch)
    import nir.settlement

    munis = fakes.municipalities()
    tight = fakes.capacity(munis)
    tight.places[:] = 2  # a family of three fits nowhere, a single adult everywhere but Frøya
    tight.places[munis.index["5014"]] = 0
    monkeypatch.setattr(nir.settlement.recommend_source, "current_capacity", lambda known_at=None: tight)
    big = family(people["mottak"])
    single = cases.register_case(
        Acting.for_user(people["mottak"], channel="web"), details=sc.details(), members=[sc.adult("Sara", "Alene")]
    )
    rec = recommend_service.case_recommendation(people["imdi"], big.number)
    assert rec.available and not rec.ranked and rec.message.startswith(recommend_service.NO_ROOM)
    other = recommend_service.case_recommendation(people["imdi"], single.number)
    assert other.ranked and other.ranked[0].number == "5001"


def test_work_list_column_only_for_cases_in_the_area(people, monkeypatch):
    fakes.install(monkeypatch)
    case = family(people["mottak"])
    assert recommend_service.top_names(people["imdi"], [case.number]) == {
        case.number: ["5001 Trondheim", "5006 Steinkjer", "5007 Namsos"]
    }
    assert recommend_service.top_names(people["vest"], [case.number]) == {}
    assert recommend_service.top_names(people["kommune"], [case.number]) == {}


def test_connections_that_do_not_fit_together_still_rank_every_case(people, monkeypatch):
    fakes.install(monkeypatch)
    import nir.settlement

    munis = fakes.municipalities()
    cap = fakes.capacity(munis)
    cap.places[munis.index["5038"]] = 4  # one family of three fits Verdal, not two
    monkeypatch.setattr(nir.settlement.recommend_source, "current_capacity", lambda known_at=None: cap)
    first = family(people["mottak"], connection_municipality="5038", connection_kind="family")
    second = family(people["mottak"], connection_municipality="5038", connection_kind="family")
    plain = family(people["mottak"])
    for case in (first, second):
        rec = recommend_service.case_recommendation(people["imdi"], case.number)
        assert [r.number for r in rec.ranked] == ["5038"] and rec.connection_status == "honoured"
    assert recommend_service.case_recommendation(people["imdi"], plain.number).ranked[0].number == "5001"


def test_area_is_the_work_lists_region_a_household_abroad_is_in_every_region(people, monkeypatch):
    fakes.install(monkeypatch)
    abroad = family(
        people["mottak"],
        location="resettlement",
        location_name="",
        location_municipality="",
        connection_municipality="4601",
        connection_kind="family",
    )
    from nir.settlement import selectors

    assert abroad.number in [r["number"] for r in selectors.work_list(people["imdi"]).cases]
    assert recommend_service.case_recommendation(people["imdi"], abroad.number).ranked
    assert recommend_service.top_names(people["imdi"], [abroad.number])


def test_an_explanation_that_fails_leaves_the_ranking(people, monkeypatch):
    fakes.install(monkeypatch)
    import nir.settlement.recommend

    def broken(*args, **kwargs):
        raise ValueError("cannot reshape array of size 0")

    monkeypatch.setattr(nir.settlement.recommend.explain, "explain", broken)
    case = family(people["mottak"])
    rec = recommend_service.case_recommendation(people["imdi"], case.number)
    assert [r.number for r in rec.ranked][:2] == ["5001", "5006"] and all(r.reasons == [] for r in rec.ranked)


def test_reasons_are_computed_once_and_cached_by_household_content(people, monkeypatch):
    fakes.install(monkeypatch)
    import nir.settlement.recommend

    calls = []

    def counting(*args, **kwargs):
        calls.append(args[3:5])
        return fakes.explain(*args, **kwargs)

    monkeypatch.setattr(nir.settlement.recommend.explain, "explain", counting)
    case = family(people["mottak"])
    rec = recommend_service.case_recommendation(people["imdi"], case.number)
    assert all(r.reasons for r in rec.ranked) and len(calls) == len(rec.ranked)
    again = recommend_service.case_recommendation(people["imdi"], case.number)
    assert [r.reasons for r in again.ranked] == [r.reasons for r in rec.ranked] and len(calls) == len(rec.ranked)
