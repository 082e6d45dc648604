"""Bosetting's organisations as reference data (nir.access.loaders, data/bosetting_organisasjoner.csv):
IMDi's six regional offices cover every county once; UDI and Bufetat register cases."""

from __future__ import annotations

import pytest

from nir.access.models import Organisation, Role
from nir.access.roles import OrganisationKind
from nir.access.settlement import assign_area, may_assign_in
from nir.reference.models import County
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db

REGIONS = ("imdi-ost", "imdi-indre-ost", "imdi-sor", "imdi-vest", "imdi-midt", "imdi-nord")


def test_the_regional_offices_cover_every_county_once():
    offices = Organisation.objects.filter(code__in=REGIONS)
    assert offices.count() == 6
    assert {o.kind for o in offices} == {OrganisationKind.IMDI}
    assert {o.parent.code for o in offices} == {"imdi"}
    counties = [c for o in offices for c in o.county_numbers]
    assert sorted(counties) == sorted(set(County.objects.values_list("number", flat=True)))
    assert len(counties) == len(set(counties))


def test_a_regional_caseworker_assigns_in_its_region_only(django_user_model):
    vest = make_user(django_user_model, "imdi-vest-sb", "imdi-vest", roles=[Role.SETTLEMENT_CASEWORKER])
    assert assign_area(vest) is not None
    assert may_assign_in(vest, "4601") and may_assign_in(vest, "1103")  # Bergen, Stavanger
    assert not may_assign_in(vest, "5001")  # Trondheim: IMDi Midt-Norge
    national = make_user(django_user_model, "imdi-sb", "imdi", roles=[Role.SETTLEMENT_CASEWORKER])
    assert assign_area(national) is None


def test_udi_and_bufetat():
    assert Organisation.objects.get(code="udi").kind == OrganisationKind.RECEPTION
    assert Organisation.objects.get(code="bufetat").kind == OrganisationKind.BUFETAT
