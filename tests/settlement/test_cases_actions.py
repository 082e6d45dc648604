"""Settlement cases and mapping (settlement.md §§ 1.5–1.6): registration, validation, who may, and what
each role sees of a case (nir.settlement.selectors)."""

import datetime as dt

import pytest
from django.utils import timezone

from nir.access.models import AuditEvent, Role
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.settlement import selectors
from nir.settlement.actions import assignment, cases
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import CaseDetails, CaseMember, Mapping, SettlementCase
from nir.testing import settlement_cases as sc
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    sc.imdi_region("imdi-midt", ("50",))
    sc.reception("mottak-test")
    sc.reception("mottak-annet")
    sc.bufetat("bufetat-test")
    u = {
        "imdi": make_user(django_user_model, "c-imdi", "imdi-midt", roles=[Role.SETTLEMENT_CASEWORKER]),
        "nasjonalt": make_user(django_user_model, "c-nasj", "imdi", roles=[Role.SETTLEMENT_NATIONAL]),
        "kommune": make_user(django_user_model, "c-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
        "bergen": make_user(django_user_model, "c-bergen", "k-4601", roles=[Role.SETTLEMENT_COORDINATOR]),
        "mottak": make_user(django_user_model, "c-mottak", "mottak-test", roles=[Role.RECEPTION_CASEWORKER]),
        "annet": make_user(django_user_model, "c-annet", "mottak-annet", roles=[Role.RECEPTION_CASEWORKER]),
        "bufetat": make_user(django_user_model, "c-buf", "bufetat-test", roles=[Role.RECEPTION_CASEWORKER]),
        "statsforvalter": make_user(django_user_model, "c-sf", "sf-trl", roles=[Role.COUNTY_GOVERNOR]),
    }
    return u


def web(user):
    return Acting.for_user(user, channel="web")


def test_register_case_and_numbers(people):
    a = cases.register_case(web(people["mottak"]), details=sc.details(), members=[sc.adult()])
    b = cases.register_case(web(people["imdi"]), details=sc.details(), members=[sc.adult("B", "B")])
    year = timezone.localdate().year
    assert (a.number, b.number) == (f"BS-{year}-000001", f"BS-{year}-000002")
    assert a.organisation.code == "mottak-test"
    assert CaseMember.objects.current().filter(case=a).count() == 1
    event = AuditEvent.objects.get(what="settlement.case.register", filters__case=a.number)
    assert event.user_id == people["mottak"].pk


@pytest.mark.parametrize(
    "details, members, field",
    [
        ({"ready_date": dt.date(2020, 1, 1)}, None, "ready_date"),  # before the permit date
        ({"permit_date": timezone.localdate() + dt.timedelta(days=3)}, None, "permit_date"),
        ({"location_municipality": "9999"}, None, "location_municipality"),
        ({"connection_municipality": "5001"}, None, "connection_kind"),
        ({"special_need_level": "minor"}, None, "special_need_kinds"),
        ({"location": "hotel"}, None, "location"),
        ({}, [], "members"),
        ({}, [sc.adult(duf="123")], "members.0.duf"),
        ({}, [sc.adult(national_id="12345678901")], "members.0.national_id"),
        ({}, [sc.child(birth_date=dt.date(1980, 1, 1))], "members.0.role"),
        ({}, [sc.adult(permit_basis="ukjent")], "members.0.permit_basis"),
        ({}, [sc.minor(), sc.minor("B"), sc.minor("C")], "members"),  # an EM household has 1–2 minors
        ({}, [sc.minor(), sc.adult()], "members"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_stored(people, details, members, field):
    with pytest.raises(cases.CaseInvalid) as e:
        cases.register_case(
            web(people["imdi"]), details=sc.details(**details), members=[sc.adult()] if members is None else members
        )
    assert field in [f for f, _ in e.value.errors], e.value.errors
    assert not SettlementCase.objects.exists() and not CaseMember.objects.exists()
    assert not AuditEvent.objects.filter(what__startswith="settlement.").exists()


def test_who_may_register(people):
    for name in ("kommune", "statsforvalter", "nasjonalt"):
        with pytest.raises(AccessDenied):
            cases.register_case(web(people[name]), details=sc.details(), members=[sc.adult()])
    # Bufetat: only unaccompanied minors under 15
    with pytest.raises(cases.CaseInvalid) as e:
        cases.register_case(web(people["bufetat"]), details=sc.details(location="bufetat"), members=[sc.minor(age=16)])
    assert "members.0.unaccompanied_minor" in [f for f, _ in e.value.errors]
    with pytest.raises(cases.CaseInvalid):
        cases.register_case(web(people["bufetat"]), details=sc.details(), members=[sc.adult()])
    assert cases.register_case(
        web(people["bufetat"]), details=sc.details(location="bufetat"), members=[sc.minor(age=13)]
    )


def test_a_duf_number_is_in_one_open_case_only(people):
    duf = "202600000195"
    from nir import identity

    duf = identity.make_duf("2026000001")
    cases.register_case(web(people["mottak"]), details=sc.details(), members=[sc.adult(duf=duf)])
    with pytest.raises(cases.CaseInvalid) as e:
        cases.register_case(web(people["imdi"]), details=sc.details(), members=[sc.adult(duf=duf)])
    assert e.value.errors[0][0] == "members.0.duf"


def test_correct_members_withdraw_and_mapping(people):
    case = cases.register_case(web(people["mottak"]), details=sc.details(), members=[sc.adult()])
    with pytest.raises(SettlementCase.DoesNotExist):  # another reception centre's case: not found
        cases.correct_details(web(people["annet"]), case.number, {"wishes": "Nord"}, "x")
    new = cases.correct_details(web(people["mottak"]), case.number, {"wishes": "Nær sjøen"}, "Ønske meldt")
    assert new.wishes == "Nær sjøen" and CaseDetails.objects.filter(case=case).count() == 2
    child = cases.add_member(web(people["imdi"]), case.number, sc.child())
    assert CaseMember.objects.current().filter(case=case).count() == 2
    with pytest.raises(cases.CaseInvalid):  # an EM cannot join a family
        cases.add_member(web(people["imdi"]), case.number, sc.minor())
    cases.correct_member(web(people["mottak"]), case.number, child.key, {"first_name": "Samir"}, "Skrivefeil")
    assert CaseMember.objects.current().get(case=case, key=child.key).first_name == "Samir"
    first = CaseMember.objects.current().filter(case=case).exclude(key=child.key).get()
    with pytest.raises(cases.CaseInvalid):
        cases.register_mapping(web(people["mottak"]), case.number, first.key, {"kind": "competence"})
    mapping = cases.register_mapping(
        web(people["mottak"]),
        case.number,
        first.key,
        {
            "kind": "competence",
            "assessed_on": timezone.localdate(),
            "assessed_by": "Kari Kartlegger, Testmottak",
            "content": {"education": "upper_secondary", "languages": ["ar", "en"]},
        },
    )
    assert mapping.member_key == first.key and Mapping.objects.current().filter(case=case).count() == 1
    cases.remove_member(web(people["mottak"]), case.number, child.key, "Flyttet til en annen husstand")
    with pytest.raises(cases.CaseInvalid):  # a household keeps one person
        cases.remove_member(web(people["mottak"]), case.number, first.key, "x")
    cases.withdraw_case(web(people["mottak"]), case.number, "Trukket: reist ut")
    assert selectors.case_status(case) == selectors.Status.WITHDRAWN
    with pytest.raises(SettlementRefused):
        cases.correct_details(web(people["mottak"]), case.number, {"wishes": "x"}, "x")


def _setup_proposed(people, **detail_changes):
    case = cases.register_case(
        web(people["mottak"]),
        details=sc.details(special_need_level="minor", special_need_kinds=["mental"], **detail_changes),
        members=[sc.adult()],
    )
    member = CaseMember.objects.current().get(case=case)
    cases.register_mapping(
        web(people["mottak"]),
        case.number,
        member.key,
        {
            "kind": "settlement_info",
            "assessed_on": timezone.localdate(),
            "assessed_by": "Testmottak",
            "assessed_special_needs": True,
            "health_note": "Trenger oppfølging",
        },
    )
    sc.capacity("5001", "single_adults", 3, mental_health_services=True)
    proposal = assignment.propose(web(people["imdi"]), case.number, "5001")
    return case, proposal


def test_what_each_role_sees(people):
    other = cases.register_case(web(people["annet"]), details=sc.details(), members=[sc.adult("Per", "Annen")])
    case, proposal = _setup_proposed(people)

    def numbers(name):
        return set(selectors.case_list(people[name]).numbers)

    assert numbers("imdi") == {case.number, other.number}
    assert numbers("nasjonalt") == {case.number, other.number}
    assert numbers("mottak") == {case.number}
    assert numbers("annet") == {other.number}
    assert numbers("kommune") == {case.number}  # proposed to it
    assert numbers("bergen") == set() and numbers("statsforvalter") == set()

    seen = selectors.case_detail(people["kommune"], case.number)
    assert seen["special_need_kinds"] == ["mental"]  # it must judge whether it can meet the needs
    assert "mappings" not in seen  # no mapping before agreement
    assert selectors.case_detail(people["kommune"], other.number) is None
    assert selectors.case_detail(people["bergen"], case.number) is None
    national = selectors.case_detail(people["nasjonalt"], case.number)
    assert "special_need_level" not in national and "mappings" not in national
    imdi = selectors.case_detail(people["imdi"], case.number)
    assert imdi["mappings"][0]["health_note"] == "Trenger oppfølging"

    assignment.answer(web(people["kommune"]), proposal.pk, accept=True, planned_date=timezone.localdate())
    seen = selectors.case_detail(people["kommune"], case.number)
    assert seen["mappings"][0]["kind"] == "settlement_info" and seen["agreement"]["municipality"] == "5001"


def test_work_list_region_capacity_and_order(people, django_user_model, django_assert_max_num_queries):
    today = timezone.localdate()
    old = cases.register_case(
        web(people["imdi"]), details=sc.details(ready_date=today - dt.timedelta(days=50)), members=[sc.adult()]
    )
    new = cases.register_case(web(people["imdi"]), details=sc.details(), members=[sc.adult("B", "B")])
    vest = cases.register_case(
        web(people["imdi"]), details=sc.details(location_municipality="4601"), members=[sc.adult("C", "C")]
    )
    for i in range(10):
        cases.register_case(web(people["imdi"]), details=sc.details(), members=[sc.adult(f"N{i}", "N"), sc.child()])
    sc.capacity("5001", "single_adults", 4)
    sc.capacity("4601", "single_adults", 4)
    with django_assert_max_num_queries(12):
        wl = selectors.work_list(people["imdi"])
    numbers = [r["number"] for r in wl.cases]
    assert numbers[0] == old.number and new.number in numbers and vest.number not in numbers
    assert wl.total == 12 and list(wl.capacity) == ["5001"] and wl.capacity["5001"]["single_adults"] == 4
    assert vest.number in [r["number"] for r in selectors.work_list(people["imdi"], all_regions=True).cases]
    assert selectors.municipalities_for(wl.cases[0], wl) == [("5001", 4)]
