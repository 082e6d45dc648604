"""Load reference data and code lists from the files in the repository.

Idempotent: rows are matched on their natural key and updated in place when a
label or window changed in the data files (reference data is configuration,
not register history). Runs after every migrate (this app's ``post_migrate``) and as
``nir loadrefdata`` (``nir.access``'s command, which also loads the organisations).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from django.db import transaction

from nir import codes
from nir.reference.models import CodeEntry, County, District, Municipality

DATA_DIR = Path(__file__).parent / "data"
NUMBERING_2024 = dt.date(2024, 1, 1)


def _rows(name: str):
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def load_municipalities(using="default") -> tuple[int, int]:
    counties: dict[str, County] = {}
    rows = list(_rows("kommuner-2024.csv"))
    for r in rows:
        if r["fylkesnummer"] not in counties:
            c, _ = County.objects.using(using).update_or_create(
                number=r["fylkesnummer"], valid_from=NUMBERING_2024, defaults={"name": r["fylkesnavn"]}
            )
            counties[r["fylkesnummer"]] = c
    for r in rows:
        Municipality.objects.using(using).update_or_create(
            number=r["kommunenummer"],
            valid_from=NUMBERING_2024,
            defaults=dict(
                name=r["kommunenavn"],
                county=counties[r["fylkesnummer"]],
                population=int(r["folketall"]),
                population_date=dt.date.fromisoformat(r["folketall_dato"]),
                economic_region_number=r["okonomisk_region_nr"],
                economic_region_name=r["okonomisk_region_navn"],
                labour_region_number=r["ba_region_nr"],
                labour_region_name=r["ba_region_navn"],
            ),
        )
    return len(counties), len(rows)


def load_districts(using="default") -> int:
    n = 0
    for r in _rows("bydeler-oslo.csv"):
        District.objects.using(using).update_or_create(
            number=r["bydelsnummer"],
            valid_from=dt.date.fromisoformat(r["gyldig_fra"]),
            defaults=dict(name=r["bydelsnavn"], municipality_number=r["kommunenummer"]),
        )
        n += 1
    return n


def _attrs_json(attrs: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in attrs.items()}


def load_code_lists(using="default") -> int:
    n = 0
    for cl in codes.all_lists().values():
        for c in cl.codes:
            CodeEntry.objects.using(using).update_or_create(
                list=cl.name,
                code=c.code,
                defaults=dict(
                    label=c.label,
                    description=c.description,
                    group=c.group,
                    valid_from=c.valid_from,
                    valid_to=c.valid_to,
                    source=c.source[:300],
                    verified=c.verified,
                    sort=c.sort,
                    attrs=_attrs_json(c.attrs),
                ),
            )
            n += 1
    return n


def load_all(using="default") -> dict[str, int]:
    """Counties, municipalities, districts and code lists, in one transaction; the counts loaded.
    The organisations derived from them are loaded by the access app (``nir.access.loaders``)."""
    with transaction.atomic(using=using):
        n_counties, n_munis = load_municipalities(using)
        n_districts = load_districts(using)
        n_codes = load_code_lists(using)
    return dict(counties=n_counties, municipalities=n_munis, districts=n_districts, codes=n_codes)
