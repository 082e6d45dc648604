"""Builders for settlement cases in tests (and for the synthetic settlement world): organisations of
the roles of settlement.md § 2, capacity lines, households ready for settlement. Synthetic data only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from nir.access.models import Organisation, OrganisationKind
from nir.actions.acting import Acting
from nir.settlement import store
from nir.settlement.models import CapacityLine


def organisation(code: str, kind: str, name: str = "", **fields: Any) -> Organisation:
    org, _ = Organisation.objects.get_or_create(code=code, defaults={"kind": kind, "name": name or code, **fields})
    return org


def imdi_region(code: str = "imdi-midt-norge", counties: tuple[str, ...] = ("50",)) -> Organisation:
    """An IMDi regional office: proposes cases to the municipalities of its counties."""
    return organisation(code, OrganisationKind.IMDI, f"IMDi {code}", county_numbers=list(counties))


def reception(code: str = "mottak-test") -> Organisation:
    return organisation(code, OrganisationKind.RECEPTION, "Testmottak")


def bufetat(code: str = "bufetat-test") -> Organisation:
    return organisation(code, OrganisationKind.BUFETAT, "Bufetat omsorgssenter (test)")


def capacity(
    municipality: str,
    kind: str,
    places: int,
    *,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    **fields: Any,
) -> CapacityLine:
    """A capacity line (as the municipality would report it), written by a test system actor; a line for
    families takes households of up to 6 persons unless ``largest_household`` says otherwise."""
    today = timezone.localdate()
    if kind == "families":
        fields.setdefault("largest_household", 6)
    return store.create(
        CapacityLine,
        Acting.system("Test"),
        municipality=municipality,
        kind=kind,
        period_from=period_from or today.replace(day=1),
        period_to=period_to or today + dt.timedelta(days=180),
        places=places,
        **fields,
    )


def details(**changes: Any) -> dict[str, Any]:
    """A case's details: in an asylum reception centre in Trondheim, permit 60 days ago, ready 30 days ago."""
    today = timezone.localdate()
    return {
        "location": "reception",
        "location_name": "Testmottak",
        "location_municipality": "5001",
        "permit_date": today - dt.timedelta(days=60),
        "ready_date": today - dt.timedelta(days=30),
        **changes,
    }


def adult(first_name: str = "Amal", last_name: str = "Testesen", **changes: Any) -> dict[str, Any]:
    return {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": dt.date(1990, 3, 4),
        "sex": "female",
        "role": "adult",
        "permit_basis": "utl_28",
        **changes,
    }


def child(first_name: str = "Sami", last_name: str = "Testesen", **changes: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": today.replace(year=today.year - 8, day=1),
        "sex": "male",
        "role": "child",
        "permit_basis": "utl_28",
        **changes,
    }


def minor(first_name: str = "Yonas", last_name: str = "Testesen", age: int = 16, **changes: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": today.replace(year=today.year - age, day=1) - dt.timedelta(days=40),
        "sex": "male",
        "role": "child",
        "unaccompanied_minor": True,
        "permit_basis": "utl_28",
        **changes,
    }
