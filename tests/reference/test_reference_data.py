"""Reference data after ``migrate`` (overview.md, Identifiers; reference/data/README.md):
SSB's 357 municipalities and 15 counties (2024 numbering), Oslo's districts, the code
lists mirrored from ``nir/codes/data`` and the organisations derived from them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

import nir.access.loaders
import nir.reference.loaders
from nir import codes
from nir.access.models import Organisation, OrganisationKind
from nir.reference.models import CodeEntry, County, District, Municipality

REF_DATA = Path(nir.reference.loaders.__file__).parent / "data"
ACCESS_DATA = Path(nir.access.loaders.__file__).parent / "data"


def table_counts() -> dict[str, int]:
    return {
        "counties": County.objects.count(),
        "municipalities": Municipality.objects.count(),
        "districts": District.objects.count(),
        "codes": CodeEntry.objects.count(),
        "organisations": Organisation.objects.count(),
    }


@pytest.mark.django_db
def test_municipalities_and_counties():
    """SSB classification 131, valid from 2024-01-01: 357 municipalities in 15 counties."""
    assert Municipality.objects.count() == 357
    assert County.objects.count() == 15
    assert Municipality.objects.values("number").distinct().count() == 357
    assert set(Municipality.objects.values_list("county__number", flat=True)) == set(
        County.objects.values_list("number", flat=True)
    )
    assert all(len(n) == 4 and n.isdigit() for n in Municipality.objects.values_list("number", flat=True))
    oslo = Municipality.objects.get(number="0301")
    assert (oslo.name, oslo.county.number, oslo.county.name) == ("Oslo", "03", "Oslo")
    assert Municipality.objects.get(number="5001").name == "Trondheim - Tråante"
    assert Municipality.objects.get(number="4601").name == "Bergen"
    assert sum(Municipality.objects.values_list("population", flat=True)) > 5_000_000


@pytest.mark.django_db
def test_reference_rows_have_validity_windows():
    """Every row has a validity window; the 2024 numbering is not valid in 2023."""
    assert Municipality.objects.valid_on(dt.date(2026, 1, 1)).count() == 357
    assert Municipality.objects.valid_on(dt.date(2023, 12, 31)).count() == 0
    assert County.objects.valid_on(dt.date(2024, 1, 1)).count() == 15
    assert District.objects.valid_on(dt.date(2026, 1, 1)).count() == District.objects.count()


@pytest.mark.django_db
def test_oslo_districts():
    """Oslo's 15 districts plus Sentrum and Marka, SSB classification 103, codes 0301NN."""
    districts = list(District.objects.all())
    with open(REF_DATA / "bydeler-oslo.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(districts) == len(rows) == 17
    assert all(
        d.municipality_number == "0301" and d.number.startswith("0301") and len(d.number) == 6 for d in districts
    )
    names = {d.name for d in districts}
    assert {"Gamle Oslo", "Grünerløkka", "Sentrum", "Marka"} <= names


@pytest.mark.django_db
def test_code_lists_mirror_the_yaml_files():
    """CodeEntry mirrors nir/codes/data exactly: one row per code, same labels and windows."""
    lists = codes.all_lists()
    yaml_files = list(codes.DATA_DIR.glob("*.yaml"))
    assert len(lists) == len(yaml_files) >= 13
    assert CodeEntry.objects.count() == sum(len(cl.codes) for cl in lists.values())
    per_list = Counter(CodeEntry.objects.values_list("list", flat=True))
    assert per_list == {name: len(cl.codes) for name, cl in lists.items()}
    for cl in lists.values():
        for c in cl.codes:
            row = CodeEntry.objects.get(list=cl.name, code=c.code)
            assert (row.label, row.valid_from, row.valid_to, row.verified) == (
                c.label,
                c.valid_from,
                c.valid_to,
                c.verified,
            ), f"{cl.name}:{c.code}"


@pytest.mark.django_db
def test_organisations():
    """IMDi, every municipality and Oslo district, every county, and county governors
    covering each of the 15 counties exactly once; Bosetting's (issue 17): IMDi's six regional
    offices under IMDi, UDI and Bufetat (tests/settlement/test_municipal_organisations.py)."""
    assert Organisation.objects.filter(kind=OrganisationKind.IMDI, parent=None).count() == 1
    assert Organisation.objects.filter(kind=OrganisationKind.IMDI).count() == 1 + 6
    assert Organisation.objects.get(code="imdi").kind == OrganisationKind.IMDI

    munis = Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY)
    assert munis.count() == 357
    assert set(munis.values_list("municipality_number", flat=True)) == set(
        Municipality.objects.values_list("number", flat=True)
    )
    trondheim = Organisation.objects.get(code="k-5001")
    assert (trondheim.municipality_number, trondheim.county_numbers) == ("5001", ["50"])

    districts = Organisation.objects.filter(kind=OrganisationKind.DISTRICT)
    assert districts.count() == District.objects.count()
    assert set(districts.values_list("parent__code", flat=True)) == {"k-0301"}
    assert set(districts.values_list("district_number", flat=True)) == set(
        District.objects.values_list("number", flat=True)
    )

    counties = Organisation.objects.filter(kind=OrganisationKind.COUNTY)
    assert counties.count() == 15

    governors = Organisation.objects.filter(kind=OrganisationKind.COUNTY_GOVERNOR)
    with open(ACCESS_DATA / "statsforvaltere.csv", encoding="utf-8", newline="") as fh:
        assert governors.count() == len(list(csv.DictReader(fh))) == 10
    covered = Counter(n for g in governors for n in g.county_numbers)
    assert set(covered) == set(County.objects.values_list("number", flat=True))
    assert all(v == 1 for v in covered.values()), covered
    assert Organisation.objects.count() == 1 + 15 + 357 + 17 + 10 + 6 + 2


@pytest.mark.django_db
def test_loadrefdata_is_idempotent():
    """Running loadrefdata (twice) after migrate changes no count and no row identity."""
    before = table_counts()
    ids_before = (
        set(Municipality.objects.values_list("id", flat=True)),
        set(Organisation.objects.values_list("id", flat=True)),
    )
    out = io.StringIO()
    call_command("loadrefdata", stdout=out)
    assert "15 fylker, 357 kommuner, 17 bydeler" in out.getvalue()
    assert table_counts() == before
    call_command("loadrefdata", verbosity=0, stdout=io.StringIO())
    assert table_counts() == before
    ids_after = (
        set(Municipality.objects.values_list("id", flat=True)),
        set(Organisation.objects.values_list("id", flat=True)),
    )
    assert ids_after == ids_before


@pytest.mark.django_db
def test_loadrefdata_repairs_a_changed_label():
    """Reference data is configuration: a label changed in the database is put back from the files."""
    Municipality.objects.filter(number="5001").update(name="Nidaros")
    CodeEntry.objects.filter(list="final_goal", code="work_vgo_2026").update(label="x")
    call_command("loadrefdata", verbosity=0, stdout=io.StringIO())
    assert Municipality.objects.get(number="5001").name == "Trondheim - Tråante"
    assert CodeEntry.objects.get(list="final_goal", code="work_vgo_2026").label == codes.label(
        "final_goal", "work_vgo_2026"
    )
