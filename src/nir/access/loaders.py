"""Organisations derived from reference data: IMDi, every municipality and
Oslo district, every county and county governor; and Bosetting's (issue 17,
``data/bosetting_organisasjoner.csv``): IMDi's six regional offices under IMDi, each
with the 2024 counties of its region (``county_numbers``: where its settlement
caseworkers assign, ``nir.access.settlement.assign_area``), UDI (kind reception)
and Bufetat. Idempotent."""

from __future__ import annotations

import csv
from pathlib import Path

from nir.access.models import Organisation
from nir.access.roles import OrganisationKind
from nir.reference.models import County, District, Municipality

DATA_DIR = Path(__file__).parent / "data"


def municipality_org_code(number: str) -> str:
    return f"k-{number}"


def district_org_code(number: str) -> str:
    return f"b-{number}"


def load_organisations(using="default") -> int:
    orgs = Organisation.objects.using(using)
    n = 0
    imdi, _ = orgs.update_or_create(
        code="imdi", defaults=dict(kind=OrganisationKind.IMDI, name="Integrerings- og mangfoldsdirektoratet (IMDi)")
    )
    n += 1
    county_orgs = {}
    for c in County.objects.using(using).all():
        county_orgs[c.number], _ = orgs.update_or_create(
            code=f"f-{c.number}",
            defaults=dict(kind=OrganisationKind.COUNTY, name=f"{c.name} fylkeskommune", county_numbers=[c.number]),
        )
        n += 1
    muni_orgs = {}
    for m in Municipality.objects.using(using).select_related("county"):
        muni_orgs[m.number], _ = orgs.update_or_create(
            code=municipality_org_code(m.number),
            defaults=dict(
                kind=OrganisationKind.MUNICIPALITY,
                name=f"{m.name} kommune",
                municipality_number=m.number,
                county_numbers=[m.county.number],
            ),
        )
        n += 1
    for d in District.objects.using(using).all():
        parent = muni_orgs.get(d.municipality_number)
        orgs.update_or_create(
            code=district_org_code(d.number),
            defaults=dict(
                kind=OrganisationKind.DISTRICT,
                name=f"Bydel {d.name}",
                parent=parent,
                municipality_number=d.municipality_number,
                district_number=d.number,
                county_numbers=parent.county_numbers if parent else [],
            ),
        )
        n += 1
    with open(DATA_DIR / "statsforvaltere.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            orgs.update_or_create(
                code=r["kode"],
                defaults=dict(
                    kind=OrganisationKind.COUNTY_GOVERNOR, name=r["navn"], county_numbers=r["fylker"].split(";")
                ),
            )
            n += 1
    n += load_settlement_organisations(orgs, imdi)
    return n


def load_settlement_organisations(orgs, imdi: Organisation) -> int:
    """IMDi's regional offices (children of IMDi, each with its counties), UDI and Bufetat."""
    n = 0
    with open(DATA_DIR / "bosetting_organisasjoner.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            kind = OrganisationKind(r["type"])
            orgs.update_or_create(
                code=r["kode"],
                defaults=dict(
                    kind=kind,
                    name=r["navn"],
                    parent=imdi if kind == OrganisationKind.IMDI else None,
                    county_numbers=[c for c in r["fylker"].split(";") if c],
                ),
            )
            n += 1
    return n
