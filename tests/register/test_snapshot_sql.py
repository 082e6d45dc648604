"""The one-round-trip reader used on every write returns exactly what the ORM's current() does
(on SQLite and, in the second pass, PostgreSQL: JSON types, decimals, time zones, nulls)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from nir.register import models as m
from nir.register.history import rows_for
from nir.register.snapshot_sql import current_rows


def _key(row):
    return (type(row).__name__, row.pk, row.fact_values(), row.recorded_at, row.superseded_at, row.operation,
            row.supersedes_id, row.change_reason, row.registered_by_kind, row.registered_by_user_id,
            row.registered_by_client_id, row.registered_by_system, row.source_system)


@pytest.mark.django_db
def test_current_rows_equal_orm_current_for_every_table():
    call_command("synth", persons=150, seed=3, quiet=True, stdout=io.StringIO())
    call_command("rules", "reevaluate", "--quiet", stdout=io.StringIO())
    ids = list(m.Person.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == 150
    orm = rows_for(ids, models=m.ALL_REGISTRATION_MODELS)
    seen_models = set()
    for pid in ids:
        fast = current_rows(pid, m.ALL_REGISTRATION_MODELS)
        assert [_key(r) for r in fast] == [_key(r) for r in orm[pid]], pid
        seen_models |= {type(r) for r in fast}
    # the sample exercises (nearly) every table, decimals and JSON included
    assert {m.Measure, m.Participation, m.DerivedStatus, m.Decision, m.Absence} <= seen_models
