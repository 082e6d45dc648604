"""Who may see or do what in Bosetting (``settlement.md`` § 2) — decided here and nowhere else.

The permissions are in ``nir.access.policy`` (``SETTLEMENT_*``); this module answers the
questions about *which* municipalities and cases, from plain values (municipality numbers,
organisation ids), so ``nir.settlement`` (a layer above) applies them to its rows on every read
path (pages, API, exports, commands) and every write:

* ``settlement_area(principal)``: the municipalities whose settlement figures and lists a
  principal may read — ``None`` all (IMDi), a county governor or county municipality its counties,
  a municipality itself;
* ``assign_area(principal)``: where an IMDi caseworker may propose cases — its regional office's
  counties (``Organisation.county_numbers`` of the IMDi office), ``None`` everywhere (a national
  IMDi organisation); reading is national;
* ``acts_for_municipality(principal, municipality)``: the municipality's own decision, capacity,
  answers and settled (its settlement coordinator; IMDi's administrators on its behalf);
* ``case_access(principal, …)``: what a principal may see of one case — nothing, the summary
  (composition, dates, where), the special needs and health (special-category data), the mapping.

A municipality sees a case only once it is proposed to it (never others'), its special needs then
(it must judge whether it can meet them), and the mapping only after it has accepted (avtale om
bosetting): ``issues show 17`` § 3. A reception centre, UDI or Bufetat sees the cases its own
organisation registered.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from nir.access.policy import Permission, allows
from nir.access.roles import OrganisationKind

P = Permission


def county_of(municipality: str) -> str:
    """The county number of a municipality number (2024 numbering: its first two digits)."""
    return municipality[:2]


@dataclass(frozen=True)
class Area:
    """Municipalities (by number) and counties (by number); a municipality is in the area when it or
    its county is listed. Empty: nothing."""

    municipalities: frozenset[str] = frozenset()
    counties: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.municipalities and not self.counties

    def __contains__(self, municipality: object) -> bool:
        return isinstance(municipality, str) and (
            municipality in self.municipalities or county_of(municipality) in self.counties
        )


NOWHERE = Area()


def active_organisation(principal):
    """The principal's organisation, if the principal is an active, logged-in user or client of an active one."""
    if principal is None or not getattr(principal, "is_authenticated", False) or not principal.is_active:
        return None
    org = getattr(principal, "organisation", None)
    if org is None or not org.active:
        return None
    return org


_organisation = active_organisation


def _is_imdi(principal) -> bool:
    if getattr(principal, "is_superuser", False):
        return True
    org = _organisation(principal)
    return org is not None and org.kind == OrganisationKind.IMDI


def settlement_area(principal) -> Area | None:
    """The municipalities whose settlement figures and lists ``principal`` may read (``None``: all)."""
    if not allows(principal, P.SETTLEMENT_READ):
        return NOWHERE
    if _is_imdi(principal):
        return None
    org = _organisation(principal)
    if org is None:
        return NOWHERE
    if org.kind == OrganisationKind.MUNICIPALITY and org.municipality_number:
        return Area(municipalities=frozenset({org.municipality_number}))
    if org.kind in (OrganisationKind.COUNTY_GOVERNOR, OrganisationKind.COUNTY) and org.county_numbers:
        return Area(counties=frozenset(str(c) for c in org.county_numbers))
    return NOWHERE


def assign_area(principal) -> Area | None:
    """Where ``principal`` may propose cases and register on IMDi's side (``None``: everywhere):
    an IMDi regional office the counties of its region, a national IMDi organisation everywhere."""
    if not allows(principal, P.SETTLEMENT_ASSIGN):
        return NOWHERE
    if getattr(principal, "is_superuser", False):
        return None
    org = _organisation(principal)
    if org is None or org.kind != OrganisationKind.IMDI:
        return NOWHERE
    if org.county_numbers:
        return Area(counties=frozenset(str(c) for c in org.county_numbers))
    return None


def may_assign_in(principal, municipality: str) -> bool:
    area = assign_area(principal)
    return area is None or municipality in area


def sees_settlement_landing(principal) -> bool:
    """The Bosetting landing page (``/bosetting/``): whoever reads the register's persons (its list of
    the settled in the user's area) or takes part in Bosetting (its «what needs doing» and the
    sub-navigation to the pages the user may open). Not a researcher, not a user without roles."""
    return any(
        allows(principal, p)
        for p in (
            P.PERSON_READ,
            P.SETTLEMENT_READ,
            P.SETTLEMENT_PLAN,
            P.SETTLEMENT_ASSIGN,
            P.SETTLEMENT_MUNICIPALITY,
            P.SETTLEMENT_CASES,
        )
    )


def may_plan(principal) -> bool:
    """The need and the request distribution: IMDi's national settlement staff and administrators."""
    return allows(principal, P.SETTLEMENT_PLAN) and _is_imdi(principal)


def may_manage_models(principal) -> bool:
    """Register a trained recommendation model for use (issue 18): IMDi's national settlement staff and
    administrators, as for the need and the request (``may_plan``)."""
    return may_plan(principal)


def own_municipality(principal) -> str | None:
    """The municipality a principal's organisation is (a municipality's users and clients)."""
    org = _organisation(principal)
    if org is None or org.kind != OrganisationKind.MUNICIPALITY or not org.municipality_number:
        return None
    return org.municipality_number


def acts_for_municipality(principal, municipality: str) -> bool:
    """Whether ``principal`` may register the decision and capacity of ``municipality``, answer the
    proposals made to it and confirm its arrivals: the municipality itself (``SETTLEMENT_MUNICIPALITY``)
    or IMDi's administrators on its behalf (``ADMINISTER``)."""
    if allows(principal, P.SETTLEMENT_MUNICIPALITY) and own_municipality(principal) == municipality:
        return True
    return allows(principal, P.ADMINISTER) and _is_imdi(principal)


def may_register_cases(principal) -> bool:
    """Register households ready for settlement and their mapping: reception centres, UDI and
    Bufetat (their own cases), and IMDi's settlement caseworkers."""
    return allows(principal, P.SETTLEMENT_CASES)


class CaseView(enum.IntEnum):
    """How much of a case a principal may see; each level includes those below it."""

    NONE = 0
    SUMMARY = 1  # composition, dates, where it is, connection, wishes, proposals and answers
    SENSITIVE = 2  # + special needs and health (special-category data, GDPR art. 9)
    MAPPING = 3  # + the mapping of each person (kartlegging)


def case_access(
    principal,
    *,
    registered_by_organisation: int | None,
    proposed_to: Collection[str] = (),
    agreed_with: str | None = None,
    settled_in: str | None = None,
) -> CaseView:
    """What ``principal`` may see of one case.

    ``registered_by_organisation``: the organisation that registered the case; ``proposed_to``: the
    municipalities it has been proposed to (any answer); ``agreed_with``: the municipality of the
    current agreement (or the one it was settled in, ``settled_in``).
    """
    org = _organisation(principal)
    sensitive = allows(principal, P.SETTLEMENT_SENSITIVE)
    if _is_imdi(principal) and (allows(principal, P.SETTLEMENT_ASSIGN) or allows(principal, P.ADMINISTER)):
        # IMDi's settlement caseworkers read every case nationally (settlement.md § 2)
        return CaseView.MAPPING if sensitive else CaseView.SUMMARY
    if _is_imdi(principal) and allows(principal, P.SETTLEMENT_READ):
        return CaseView.SUMMARY  # national staff and analysts: no special-category data
    if (
        org is not None
        and org.kind in (OrganisationKind.RECEPTION, OrganisationKind.BUFETAT)
        and allows(principal, P.SETTLEMENT_CASES)
        and registered_by_organisation == org.pk
    ):
        return CaseView.MAPPING if sensitive else CaseView.SUMMARY
    municipality = own_municipality(principal)
    if municipality is not None and allows(principal, P.SETTLEMENT_MUNICIPALITY):
        if municipality in (agreed_with, settled_in):
            return CaseView.MAPPING if sensitive else CaseView.SUMMARY
        if municipality in proposed_to:
            return CaseView.SENSITIVE if sensitive else CaseView.SUMMARY
    return CaseView.NONE


def may_edit_case(principal, registered_by_organisation: int | None) -> bool:
    """Correct a case's details, household and mapping, or withdraw it: IMDi's settlement caseworkers
    any case, a reception centre, UDI or Bufetat the cases its own organisation registered."""
    if not may_register_cases(principal):
        return False
    if _is_imdi(principal):
        return True
    org = _organisation(principal)
    return (
        org is not None
        and org.kind in (OrganisationKind.RECEPTION, OrganisationKind.BUFETAT)
        and registered_by_organisation == org.pk
    )


def registers_for_bufetat(principal) -> bool:
    """Bufetat registers only unaccompanied minors under 15 in its care centres (settlement.md § 2)."""
    org = _organisation(principal)
    return org is not None and org.kind == OrganisationKind.BUFETAT


def is_imdi(principal) -> bool:
    """A user or client of IMDi (or a superuser): reads every case nationally if it may read settlement."""
    return _is_imdi(principal)


def case_scope(principal) -> tuple[str, int | str | None]:
    """Which cases ``principal`` may see at all, for a list's query (each case then by ``case_access``):
    ``("all", None)`` IMDi's settlement users; ``("organisation", pk)`` a reception centre, UDI or
    Bufetat its own; ``("municipality", k)`` a municipality those proposed to it; ``("none", None)``."""
    if _is_imdi(principal) and (
        allows(principal, P.SETTLEMENT_READ)
        or allows(principal, P.SETTLEMENT_ASSIGN)
        or allows(principal, P.ADMINISTER)
    ):
        return ("all", None)
    org = _organisation(principal)
    if (
        org is not None
        and org.kind in (OrganisationKind.RECEPTION, OrganisationKind.BUFETAT)
        and allows(principal, P.SETTLEMENT_CASES)
    ):
        return ("organisation", org.pk)
    municipality = own_municipality(principal)
    if municipality is not None and allows(principal, P.SETTLEMENT_MUNICIPALITY):
        return ("municipality", municipality)
    return ("none", None)
