"""Capacity (kapasitet, settlement.md § 1.4): reported by kind and period, used up by agreements,
changed with a reason, closed («fullt») and reopened; validated field by field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nir.access.models import AuditEvent
from nir.access.policy import AccessDenied
from nir.access.settlement import Area
from nir.actions.acting import Acting
from nir.settlement import capacity, store
from nir.settlement.actions import municipal
from nir.settlement.models import CapacityLine
from settlement.municipal_support import YEAR, agreement, coordinator, imdi_admin, month, sent_round

pytestmark = pytest.mark.django_db

Q1 = (dt.date(YEAR, 1, 1), dt.date(YEAR, 3, 31))


def add(a, municipality="5001", **changes):
    values = {"kind": "single_adults", "period_from": Q1[0], "period_to": Q1[1], "places": 10, **changes}
    return municipal.add_capacity(a, municipality, **values)


def test_agreements_use_up_the_places_of_their_kind_and_period(django_user_model):
    a = coordinator(django_user_model)
    singles = add(a, places=10)
    families = add(a, kind="families", places=12, largest_household=6, accessible_housing=True)
    agreement("5001", "single_adults", 3, dt.date(YEAR, 2, 10))
    agreement("5001", "single_adults", 2, dt.date(YEAR, 4, 10))  # another period
    agreement("5001", "families", 5, dt.date(YEAR, 3, 31))
    agreement("4601", "single_adults", 4, dt.date(YEAR, 2, 10))  # another municipality
    uses = {u.line.pk: u for u in capacity.capacity_lines("5001", year=YEAR)}
    assert (uses[singles.pk].used, uses[singles.pk].remaining) == (3, 7)
    assert (uses[families.pk].used, uses[families.pk].remaining) == (5, 7)
    free = capacity.free_places("single_adults", dt.date(YEAR, 2, 1))
    assert [u.remaining for u in free["5001"]] == [7]


def test_free_places_for_a_household_with_needs(django_user_model):
    a = coordinator(django_user_model)
    add(a, kind="families", places=10, largest_household=4, accessible_housing=True)
    b = coordinator(django_user_model, "k-4601")
    add(b, "4601", kind="families", places=10, largest_household=7)
    agreement("4601", "families", 8, dt.date(YEAR, 1, 10))
    day = dt.date(YEAR, 2, 1)
    assert set(capacity.free_places("families", day)) == {"5001", "4601"}
    assert set(capacity.free_places("families", day, household=5)) == {"4601"}
    assert set(capacity.free_places("families", day, persons=3)) == {"5001"}  # Bergen has 2 left
    assert set(capacity.free_places("families", day, needs=["mobility"])) == {"5001"}
    assert capacity.free_places("families", day, needs=["mental"]) == {}
    assert capacity.free_places("families", dt.date(YEAR, 5, 1)) == {}  # outside the period
    with pytest.raises(ValueError):
        capacity.free_places("families", day, needs=["x"])


def test_an_annulled_agreement_gives_the_places_back(django_user_model):
    a = coordinator(django_user_model)
    line = add(a, places=4)
    agr = agreement("5001", "single_adults", 4, dt.date(YEAR, 1, 20))
    assert capacity.capacity_lines("5001")[0].remaining == 0
    assert capacity.free_places("single_adults", dt.date(YEAR, 1, 20)) == {}
    store.annul(agr, Acting.system("Test"), "avlyst")
    assert capacity.capacity_lines("5001")[0].remaining == 4
    assert capacity.capacity_lines("5001")[0].line == line


def test_change_close_and_reopen_keep_the_history(django_user_model):
    a = coordinator(django_user_model)
    line = add(a)
    changed = municipal.change_capacity(a, line.pk, reason="flere boliger", places=15)
    closed = municipal.close_capacity(a, changed.pk, reason="fullt")
    assert closed.closed and closed.places == 15 and closed.key == line.key
    assert capacity.capacity_lines("5001")[0].remaining == 0
    reopened = municipal.reopen_capacity(a, closed.pk)
    assert not reopened.closed
    assert [v.pk for v in capacity.capacity_history(line.key)] == [reopened.pk, closed.pk, changed.pk, line.pk]
    assert [e.filters["change"] for e in AuditEvent.objects.filter(what="settlement.capacity").order_by("pk")] == [
        "add",
        "change",
        "close",
        "reopen",
    ]
    with pytest.raises(store.ChangedMeanwhile):
        municipal.change_capacity(a, line.pk, reason="gammel versjon", places=1)
    with pytest.raises(municipal.MunicipalRefused):
        municipal.reopen_capacity(a, reopened.pk)
    with pytest.raises(municipal.MunicipalRefused) as e:
        municipal.change_capacity(a, reopened.pk, reason="", places=3)
    assert "reason" in e.value.errors


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"period_from": dt.date(YEAR, 1, 2)}, "period_from"),
        ({"period_to": dt.date(YEAR, 3, 30)}, "period_to"),
        ({"period_to": dt.date(YEAR - 1, 12, 31)}, "period_to"),
        ({"period_from": dt.date(YEAR, 12, 1), "period_to": dt.date(YEAR + 1, 1, 31)}, "period_to"),
        ({"period_from": dt.date(2019, 1, 1), "period_to": dt.date(2019, 3, 31)}, "period_from"),
        ({"period_from": None}, "period_from"),
        ({"places": -1}, "places"),
        ({"places": "mange"}, "places"),
        ({"kind": "pets"}, "kind"),
        ({"largest_household": 4}, "largest_household"),
        ({"kind": "families"}, "largest_household"),
        ({"kind": "families", "largest_household": 1}, "largest_household"),
        ({"kind": "families", "largest_household": 11}, "largest_household"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_capacity_is_refused_by_field_and_nothing_is_stored(django_user_model, changes, field):
    a = coordinator(django_user_model)
    with pytest.raises(municipal.MunicipalRefused) as e:
        add(a, **changes)
    assert field in e.value.errors, e.value.errors
    assert not CapacityLine.objects.exists()
    assert not AuditEvent.objects.filter(what="settlement.capacity").exists()


def test_no_overlapping_open_line_of_the_same_kind(django_user_model):
    a = coordinator(django_user_model)
    line = add(a)
    with pytest.raises(municipal.MunicipalRefused) as e:
        add(a, period_from=dt.date(YEAR, 3, 1), period_to=dt.date(YEAR, 5, 31))
    assert "overlapper" in e.value.errors["period_from"]
    add(a, kind="um", places=2)  # another kind: fine
    add(a, period_from=dt.date(YEAR, 4, 1), period_to=dt.date(YEAR, 6, 30))  # the next quarter: fine
    closed = municipal.close_capacity(a, line.pk)
    overlapping = add(a, period_from=dt.date(YEAR, 2, 1), period_to=dt.date(YEAR, 2, 28))  # the line is closed
    with pytest.raises(municipal.MunicipalRefused):
        municipal.reopen_capacity(a, closed.pk)  # it would overlap the open one now
    assert overlapping.pk


def test_capacity_only_for_ones_own_municipality(django_user_model):
    a = coordinator(django_user_model)
    line = add(a)
    other = coordinator(django_user_model, "k-4601")
    with pytest.raises(AccessDenied):
        add(other)
    with pytest.raises(AccessDenied):
        municipal.close_capacity(other, line.pk)
    assert capacity.line_for(other.principal, line.pk) is None
    assert capacity.line_for(a.principal, line.pk) == line
    admin = imdi_admin(django_user_model)
    assert municipal.change_capacity(admin, line.pk, reason="på vegne av kommunen", places=2).places == 2


def test_the_overview_adds_up_request_decision_agreements_and_capacity(django_user_model):
    sent_round({"5001": (50, 5), "4601": (80, 8)})
    sent_round({"5001": (40, 4), "4601": (60, 6)})  # the latest sent round counts
    a = coordinator(django_user_model)
    municipal.register_decision(
        a, "5001", YEAR, status="decided", persons=30, um_persons=3, decision_date=dt.date(YEAR, 1, 15)
    )
    start, end = month(12)
    add(a, places=20, period_from=dt.date(YEAR, 1, 1), period_to=end)
    add(a, kind="um", places=4, period_from=start, period_to=end)
    agreement("5001", "single_adults", 6, dt.date(YEAR, 5, 1))
    rows = {r.municipality: r for r in capacity.overview(YEAR)}
    trd = rows["5001"]
    assert (trd.requested, trd.requested_um, trd.status, trd.decided, trd.decided_um) == (40, 4, "decided", 30, 3)
    assert trd.capacity["single_adults"].places == 20 and trd.capacity["single_adults"].used == 6
    assert trd.capacity["single_adults"].remaining == 14 and trd.agreed == 6
    assert trd.coverage == pytest.approx(24 / 40)
    assert rows["4601"].status_label == "Ikke svart" and rows["4601"].requested == 60
    counties, everything = capacity.totals(list(rows.values()))
    assert everything.requested == sum(r.requested or 0 for r in rows.values()) == 100
    assert everything.decided == 30 and everything.answered == 1
    assert {c.label[:2] for c in counties} >= {"50", "46"}
    # a county governor's area: its counties only
    only_trl = capacity.overview(YEAR, area=Area(counties=frozenset({"50"})))
    assert {r.county for r in only_trl} == {"50"}
    assert {r.municipality for r in capacity.overview(YEAR, county="46")} >= {"4601"}


def test_the_overview_as_known_at_a_moment(django_user_model):
    a = coordinator(django_user_model)
    first = municipal.register_decision(
        a, "5001", YEAR, status="decided", persons=30, um_persons=3, decision_date=dt.date(YEAR, 1, 15)
    )
    municipal.register_decision(
        a, "5001", YEAR, status="declined", persons=0, um_persons=0, decision_date=dt.date(YEAR, 2, 1), reason="endret"
    )
    now = {r.municipality: r for r in capacity.overview(YEAR)}["5001"]
    then = {r.municipality: r for r in capacity.overview(YEAR, known_at=first.recorded_at)}["5001"]
    assert (now.status, then.status, then.decided) == ("declined", "decided", 30)


def test_the_overview_takes_a_fixed_number_of_queries(django_user_model):
    a = coordinator(django_user_model)
    add(a)
    with CaptureQueriesContext(connection) as few:
        capacity.overview(YEAR)
    for k in ("k-4601", "k-0301", "k-1103"):
        b = coordinator(django_user_model, k)
        add(b, k[2:])
        municipal.register_decision(
            b, k[2:], YEAR, status="decided", persons=3, um_persons=0, decision_date=dt.date(YEAR, 1, 2)
        )
        agreement(k[2:], "single_adults", 1, dt.date(YEAR, 1, 5))
    with CaptureQueriesContext(connection) as more:
        rows = capacity.overview(YEAR)
    assert len(more) == len(few) <= 8
    assert sum(r.capacity["single_adults"].used for r in rows) == 3
