"""Municipal decisions (kommunalt vedtak, settlement.md § 1.3): registered and changed with history,
validated field by field, only for one's own municipality (IMDi's administrators on its behalf)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from nir.access.models import AuditEvent, Role
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.settlement import capacity, store
from nir.settlement.actions import municipal
from nir.settlement.models import MunicipalDecision
from nir.testing.builders import make_user
from settlement.municipal_support import YEAR, coordinator, imdi_admin

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
GOOD = {"status": "decided", "persons": 40, "um_persons": 5, "decision_date": TODAY - dt.timedelta(days=30)}


def test_register_then_change_keeps_the_history(django_user_model):
    a = coordinator(django_user_model)
    first = municipal.register_decision(a, "5001", YEAR, **GOOD, note="Bystyret")
    assert capacity.current_decision("5001", YEAR) == first
    second = municipal.register_decision(
        a, "5001", YEAR, **{**GOOD, "persons": 50, "um_persons": 10}, reason="Flere EM-plasser", expected=first.pk
    )
    assert second.key == first.key and second.supersedes_id == first.pk and second.change_reason == "Flere EM-plasser"
    history = capacity.decision_history("5001", YEAR)
    assert [d.persons for d in history] == [50, 40]
    assert capacity.current_decision("5001", YEAR).persons == 50
    # as known before the change: the first version
    assert capacity.current_decision("5001", YEAR, known_at=first.recorded_at).persons == 40
    events = AuditEvent.objects.filter(what="settlement.decision").order_by("pk")
    assert [e.filters["municipality"] for e in events] == ["5001", "5001"]


def test_not_answered_is_no_current_row():
    assert capacity.current_decision("5001", YEAR) is None
    assert capacity.decision_history("5001", YEAR) == []


def test_a_change_needs_a_reason_and_a_stale_version_is_a_conflict(django_user_model):
    a = coordinator(django_user_model)
    first = municipal.register_decision(a, "5001", YEAR, **GOOD)
    with pytest.raises(municipal.MunicipalRefused) as e:
        municipal.register_decision(a, "5001", YEAR, **GOOD)
    assert e.value.errors == {"reason": "begrunnelse kreves når et vedtak endres"}
    second = municipal.register_decision(a, "5001", YEAR, **GOOD, reason="ny", expected=first.pk)
    with pytest.raises(store.ChangedMeanwhile):
        municipal.register_decision(a, "5001", YEAR, **GOOD, reason="igjen", expected=first.pk)
    assert MunicipalDecision.objects.current().get() == second


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"persons": -1}, "persons"),
        ({"persons": "ti"}, "persons"),
        ({"persons": 10**6}, "persons"),
        ({"um_persons": 41}, "um_persons"),
        ({"status": "maybe"}, "status"),
        ({"status": "declined"}, "persons"),
        ({"persons": 0, "um_persons": 0}, "persons"),
        # two days ahead: TODAY is read when the module is imported, and a run that passes midnight (Oslo time)
        # would otherwise ask about what has become today
        ({"decision_date": TODAY + dt.timedelta(days=2)}, "decision_date"),
        ({"decision_date": dt.date(YEAR - 3, 1, 1)}, "decision_date"),
        ({"decision_date": None}, "decision_date"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_stored(django_user_model, changes, field):
    a = coordinator(django_user_model)
    with pytest.raises(municipal.MunicipalRefused) as e:
        municipal.register_decision(a, "5001", YEAR, **{**GOOD, **changes})
    assert field in e.value.errors and e.value.errors[field]
    assert not MunicipalDecision.objects.exists()
    assert not AuditEvent.objects.filter(what="settlement.decision").exists()


@pytest.mark.parametrize("year", [2019, YEAR + 2, "2026"])
def test_the_year_must_be_in_range(django_user_model, year):
    with pytest.raises(municipal.MunicipalRefused) as e:
        municipal.register_decision(coordinator(django_user_model), "5001", year, **GOOD)
    assert "year" in e.value.errors


def test_a_declined_decision_has_no_persons(django_user_model):
    d = municipal.register_decision(
        coordinator(django_user_model), "5001", YEAR, **{**GOOD, "status": "declined", "persons": 0, "um_persons": 0}
    )
    assert d.status == "declined"


def test_only_the_municipality_itself_or_imdi_administrators(django_user_model):
    other = coordinator(django_user_model, "k-4601")
    with pytest.raises(AccessDenied):
        municipal.register_decision(other, "5001", YEAR, **GOOD)
    governor = Acting.for_user(
        make_user(django_user_model, "sf", "sf-trl", roles=[Role.COUNTY_GOVERNOR]), channel="web"
    )
    with pytest.raises(AccessDenied):
        municipal.register_decision(governor, "5001", YEAR, **GOOD)
    caseworker = Acting.for_user(
        make_user(django_user_model, "imdi-sb", "imdi", roles=[Role.SETTLEMENT_CASEWORKER]), channel="web"
    )
    with pytest.raises(AccessDenied):
        municipal.register_decision(caseworker, "5001", YEAR, **GOOD)
    assert not MunicipalDecision.objects.exists()
    d = municipal.register_decision(imdi_admin(django_user_model), "5001", YEAR, **GOOD)
    assert d.registered_by_user.username == "imdi-admin"


def test_an_unknown_municipality_is_refused(django_user_model):
    with pytest.raises(municipal.MunicipalRefused) as e:
        municipal.register_decision(imdi_admin(django_user_model), "9999", YEAR, **GOOD)
    assert "municipality" in e.value.errors
