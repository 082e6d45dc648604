"""Append-only storage of settlement rows (nir.settlement.store): a change supersedes, history is kept."""

import datetime as dt

import pytest

from nir.actions.acting import Acting
from nir.settlement import store
from nir.settlement.models import MunicipalDecision, Operation

pytestmark = pytest.mark.django_db


def test_supersede_and_annul_keep_history():
    a = Acting.system("Test")
    d = store.create(
        MunicipalDecision,
        a,
        municipality="5001",
        year=2026,
        status="decided",
        persons=100,
        um_persons=5,
        decision_date=dt.date(2026, 2, 1),
    )
    d2 = store.supersede(d, a, "endret", persons=120)
    assert d2.key == d.key and d2.persons == 120 and d2.um_persons == 5 and d2.supersedes_id == d.pk
    with pytest.raises(store.ChangedMeanwhile):
        store.supersede(d, a, "igjen", persons=1)
    x = store.annul(d2, a, "trukket")
    assert x.operation == Operation.ANNUL
    assert not MunicipalDecision.objects.current().exists()
    assert MunicipalDecision.objects.known_at(d2.recorded_at).get().persons == 120
