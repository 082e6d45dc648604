"""reports.md: access rules apply to every path — a municipality user sees only the persons it follows
up today (``nir.access.scope.person_scope`` and ``persons_followed_up``, applied by the report layer)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from nir.access.models import Organisation
from nir.access.scope import Scope, person_scope
from nir.reports import registry
from nir.reports.registry import ReportParams

pytestmark = pytest.mark.django_db


_serial = itertools.count()


def user_of(django_user_model, org_code, **extra):
    org = Organisation.objects.get(code=org_code) if org_code else None
    return django_user_model.objects.create_user(
        username=f"u-{org_code}-{next(_serial)}", password=None, organisation=org, **extra
    )


def last_names(report_id, user, **params):
    result = registry.run(report_id, ReportParams(**params), scope=person_scope(user))
    assert result.count == len(result.rows)
    return [r["last_name"] for r in result.rows]


def test_person_scope_by_organisation(django_user_model):
    assert person_scope(user_of(django_user_model, "imdi")) is None
    assert person_scope(user_of(django_user_model, None, is_superuser=True)) is None
    assert person_scope(user_of(django_user_model, "k-5001")) == Scope(municipalities=frozenset({"5001"}))
    assert person_scope(user_of(django_user_model, "b-030101")) == Scope(districts=frozenset({"030101"}))
    trl = person_scope(user_of(django_user_model, "sf-trl"))
    assert "5001" in trl.municipalities and "4601" not in trl.municipalities and not trl.districts
    assert person_scope(user_of(django_user_model, None)).empty
    assert person_scope(user_of(django_user_model, "f-50")).empty  # a county: not (yet) given persons
    assert person_scope(None).empty


@pytest.mark.parametrize(
    "org_code, expected",
    [
        ("imdi", ["Aas", "Bergh", "Gran", "Ild"]),
        ("k-5001", ["Bergh", "Gran"]),
        ("k-4601", ["Aas", "Ild"]),
        ("sf-trl", ["Bergh", "Gran"]),
        ("sf-vl", ["Aas", "Ild"]),
        ("k-0301", []),
        (None, []),
    ],
)
def test_avvik_sluttmaal_scoped(world, django_user_model, org_code, expected):
    assert last_names("avvik-sluttmaal", user_of(django_user_model, org_code)) == expected


def test_scope_follows_the_follow_up_municipality_today_and_districts(world, django_user_model):
    # Anne was followed up by Trondheim until 31.05.2026, by Bergen since: an earlier as_of does not
    # show her to Trondheim (access is decided by the follow-up today), and Bergen sees her row as of then
    assert last_names("avvik-sluttmaal", user_of(django_user_model, "k-5001"), as_of=dt.date(2026, 5, 1)) == [
        "Bergh",
        "Gran",
    ]
    assert last_names("avvik-sluttmaal", user_of(django_user_model, "k-4601"), as_of=dt.date(2026, 5, 1)) == [
        "Aas",
        "Ild",
    ]
    # Oslo sees every district; a district only its own
    assert last_names("bortfall-arbeid", user_of(django_user_model, "k-0301")) == ["Fjell"]
    assert last_names("bortfall-arbeid", user_of(django_user_model, "b-030101")) == ["Fjell"]
    assert last_names("bortfall-arbeid", user_of(django_user_model, "b-030102")) == []
    # a filter cannot widen the scope
    assert last_names("bortfall-arbeid", user_of(django_user_model, "k-5001"), municipality="0301") == []
