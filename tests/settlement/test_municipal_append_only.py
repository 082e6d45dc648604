"""The settlement tables are append-only at the database level (nir.settlement.db), on SQLite and,
in the suite's second pass, on PostgreSQL: a version is closed once (superseded_at), a request round
is sent once (sent_at), nothing is deleted or rewritten — whatever the code path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from nir.actions.acting import Acting
from nir.settlement import store
from nir.settlement.db import settlement_append_only_tables
from nir.settlement.models import (
    CapacityLine,
    IndicatorDataset,
    MunicipalDecision,
    Proposal,
    RequestRound,
    SettlementCase,
    SettlementNeed,
)

pytestmark = pytest.mark.django_db

SYSTEM = Acting.system("Test")


def refused(fn):
    with pytest.raises(DatabaseError) as exc:
        with transaction.atomic():
            fn()
    assert "append-only" in str(exc.value), str(exc.value)


def _decision():
    return store.create(
        MunicipalDecision,
        SYSTEM,
        municipality="5001",
        year=2026,
        status="decided",
        persons=10,
        um_persons=1,
        decision_date=dt.date(2026, 1, 5),
    )


def test_every_settlement_table_is_protected():
    from django.apps import apps

    tables = {t.table: t for t in settlement_append_only_tables()}
    assert set(tables) == {m._meta.db_table for m in apps.get_app_config("settlement").get_models()}
    assert tables[MunicipalDecision._meta.db_table].supersedable
    assert tables[CapacityLine._meta.db_table].once == ("superseded_at",)
    assert tables[RequestRound._meta.db_table].once == ("sent_at", "sent_by_user_id")
    assert not tables[Proposal._meta.db_table].supersedable
    assert tables[SettlementCase._meta.db_table].lockable and tables[Proposal._meta.db_table].lockable


def test_a_version_is_closed_once_and_never_rewritten_or_deleted():
    d = _decision()
    refused(lambda: MunicipalDecision.objects.filter(pk=d.pk).update(persons=99))
    refused(lambda: MunicipalDecision.objects.filter(pk=d.pk).update(superseded_at=timezone.now(), persons=99))
    refused(lambda: MunicipalDecision.objects.filter(pk=d.pk).delete())
    new = store.supersede(d, SYSTEM, "endret", persons=12)  # the one allowed UPDATE
    refused(lambda: MunicipalDecision.objects.filter(pk=d.pk).update(superseded_at=timezone.now()))
    refused(lambda: MunicipalDecision.objects.filter(pk=d.pk).update(superseded_at=None))
    with connection.cursor() as cur:
        cur.execute(f'SELECT persons FROM "{MunicipalDecision._meta.db_table}" ORDER BY id')
        assert [r[0] for r in cur.fetchall()] == [10, 12]
    assert new.supersedes_id == d.pk


def test_raw_sql_cannot_get_past_the_triggers():
    d = _decision()
    table = MunicipalDecision._meta.db_table

    def raw(sql):
        with connection.cursor() as cur:
            cur.execute(sql, [d.pk])

    refused(lambda: raw(f'UPDATE "{table}" SET note = %s WHERE id = %s'.replace("%s", "'x'", 1)))
    refused(lambda: raw(f'DELETE FROM "{table}" WHERE id = %s'))


def test_immutable_rows_and_the_round_sent_once():
    case = store.create(SettlementCase, SYSTEM, number="T-1")
    refused(lambda: SettlementCase.objects.filter(pk=case.pk).update(number="T-2"))
    refused(lambda: SettlementCase.objects.filter(pk=case.pk).delete())
    need = store.create(SettlementNeed, SYSTEM, year=2026, persons=1, um_persons=0, decided_on=dt.date(2026, 1, 1))
    data = store.create(IndicatorDataset, SYSTEM, name="x", synthetic=True, source="t")
    refused(lambda: IndicatorDataset.objects.filter(pk=data.pk).update(name="y"))
    rnd = store.create(
        RequestRound,
        SYSTEM,
        year=2026,
        number=1,
        need=need,
        dataset=data,
        parameters_version="v",
        parameters_sha256="0",
    )
    refused(lambda: RequestRound.objects.filter(pk=rnd.pk).update(note="endret"))
    refused(lambda: RequestRound.objects.filter(pk=rnd.pk).update(sent_at=timezone.now(), note="endret"))
    RequestRound.objects.filter(pk=rnd.pk).update(sent_at=timezone.now())  # sending: allowed once
    refused(lambda: RequestRound.objects.filter(pk=rnd.pk).update(sent_at=timezone.now()))
    refused(lambda: RequestRound.objects.filter(pk=rnd.pk).delete())


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    refused(lambda: connection.cursor().execute(f'TRUNCATE "{MunicipalDecision._meta.db_table}" CASCADE'))
