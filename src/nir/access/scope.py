"""Which persons a user may see — the one place this is decided (minimal version).

``person_scope(user)`` returns ``None`` when the user may see every person
(superusers and users of IMDi) and otherwise a ``Scope``: the follow-up
municipalities and districts (oppfølgingskommune/-bydel) whose persons the
user may see. A municipality user sees its municipality (Oslo: every
district), a district user its district, a county governor
(statsforvalter) the municipalities of the counties it supervises. Every
other user — no organisation, a county (fylkeskommune), a research
institution, an inactive organisation — gets an empty scope: nothing.

The callers (for now the reports) apply the scope to the follow-up
municipality on the date they report on. Roles and the rest of access
control arrive with the access-control issue; this function is where they
will be decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from nir.access.roles import OrganisationKind
from nir.reference.models import Municipality


@dataclass(frozen=True)
class Scope:
    """Persons followed up by one of ``municipalities`` or ``districts``; empty: nobody."""

    municipalities: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.municipalities and not self.districts

    def q(self, municipality_field: str, district_field: str) -> Q:
        """A filter on the given (annotated) follow-up municipality and district fields."""
        q = Q(pk__in=[])  # matches nothing
        if self.municipalities:
            q |= Q(**{f"{municipality_field}__in": sorted(self.municipalities)})
        if self.districts:
            q |= Q(**{f"{district_field}__in": sorted(self.districts)})
        return q


NOBODY = Scope()


def person_scope(user) -> Scope | None:
    """``None``: all persons; otherwise the ``Scope`` of persons the user may see."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    if user.is_superuser:
        return None
    org = user.organisation
    if org is None or not org.active:
        return NOBODY
    if org.kind == OrganisationKind.IMDI:
        return None
    if org.kind == OrganisationKind.MUNICIPALITY and org.municipality_number:
        return Scope(municipalities=frozenset({org.municipality_number}))
    if org.kind == OrganisationKind.DISTRICT and org.district_number:
        return Scope(districts=frozenset({org.district_number}))
    if org.kind == OrganisationKind.COUNTY_GOVERNOR and org.county_numbers:
        numbers = Municipality.objects.filter(county__number__in=org.county_numbers).values_list("number", flat=True)
        return Scope(municipalities=frozenset(numbers))
    return NOBODY
