"""Who may see or do what in Tilskudd (issue 20, grants.md A.1, A.8) — decided here and nowhere else.

The permissions are in ``nir.access.policy`` (``GRANTS_READ``, ``GRANTS_MANAGE``); this module answers
*which* recipients' statement lines, from plain values (recipient strings ``municipality:NNNN`` and
``county:NN``), so ``nir.grants`` (a layer above) applies them on every read (pages, API, exports,
commands) and every write:

* ``grant_recipients(principal)``: the recipients whose statement lines a principal may read —
  ``None`` all (IMDi), a municipality its own (``municipality:NNNN``), a county municipality its
  counties' (``county:NN``: the Norwegian grant's months in upper-secondary education). A county
  governor supervises, it is paid nothing: no lines.
* ``sees_drafts(principal)``: a round's lines before IMDi approves it (IMDi only: a draft is not yet
  the basis of a payment, and is published to the municipalities once approved, grants.md A.8).
* ``may_manage_rounds(principal)``: calculate and approve payment rounds, answer error reports (IMDi).
* ``may_report_error(principal, recipient)``: «Meld feil i grunnlag» on a line — the recipient's own
  organisation (its municipality; a county municipality for its county's lines).
"""

from __future__ import annotations

from nir.access.policy import Permission, allows
from nir.access.roles import OrganisationKind
from nir.access.settlement import active_organisation as _organisation
from nir.access.settlement import is_imdi as _is_imdi

P = Permission
NOWHERE: frozenset[str] = frozenset()


def own_recipients(principal) -> frozenset[str]:
    """The recipients a principal's organisation *is*: a municipality, a county municipality's counties."""
    org = _organisation(principal)
    if org is None:
        return NOWHERE
    if org.kind == OrganisationKind.MUNICIPALITY and org.municipality_number:
        return frozenset({f"municipality:{org.municipality_number}"})
    if org.kind == OrganisationKind.COUNTY and org.county_numbers:
        return frozenset(f"county:{c}" for c in org.county_numbers)
    return NOWHERE


def grant_recipients(principal) -> frozenset[str] | None:
    """The recipients whose statement lines ``principal`` may read (``None``: all)."""
    if not allows(principal, P.GRANTS_READ):
        return NOWHERE
    if _is_imdi(principal):
        return None
    return own_recipients(principal)


def sees_recipient(principal, recipient: str) -> bool:
    area = grant_recipients(principal)
    return area is None or recipient in area


def sees_drafts(principal) -> bool:
    """A round not yet approved (its draft lines): IMDi only."""
    return allows(principal, P.GRANTS_READ) and _is_imdi(principal)


def may_manage_rounds(principal) -> bool:
    """Calculate and approve payment rounds, answer «Meld feil i grunnlag»: IMDi with grants.manage."""
    return allows(principal, P.GRANTS_MANAGE) and _is_imdi(principal)


def may_report_error(principal, recipient: str) -> bool:
    """«Meld feil i grunnlag» on a line of ``recipient``: the recipient's own organisation."""
    return allows(principal, P.GRANTS_READ) and recipient in own_recipients(principal)
