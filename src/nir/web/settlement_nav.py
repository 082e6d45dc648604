"""The Bosetting sub-navigation: every Bosetting page, in the order of the process (need → request →
decisions and capacity → cases → assignment → proposals → agreements → the municipality's own pages →
figures → the register's settled), each shown only to a user who may open it.

One list (``PAGES``) and one include (``web/settlements/_nav.html``, rendered by the template tag
``{% settlement_nav %}`` of ``nir_web``) used by every page under ``/bosetting/``: the current page
(and its sub-pages, e.g. a case under «Saker») is marked with ``aria-current``. Whether a user may
open a page is ``nir.access.policy.page_allowed`` — the access middleware's own decision — plus the
two decisions the case pages make themselves (a case list with no cases at all, an assignment area
with no counties), so the navigation never offers a page that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nir.access import policy
from nir.access.settlement import assign_area, case_scope, sees_settlement_landing


@dataclass(frozen=True)
class Page:
    url_name: str
    label: Any
    # the pages under this one (marked as the current section)
    section: frozenset[str] = frozenset()


PAGES: tuple[Page, ...] = (
    Page("settlement_need", _("Need")),
    Page("settlement_requests", _("Request"), frozenset({"settlement_request_round", "settlement_request_line"})),
    Page("settlement_decisions", _("Decisions and capacity")),
    Page("settlement_cases", _("Cases"), frozenset({"settlement_case", "settlement_case_new"})),
    Page("settlement_assignment", _("Assignment")),
    Page("settlement_proposals", _("Proposals")),
    Page("settlement_agreements", _("Agreements")),
    Page("settlement_municipal", _("The municipality's settlement")),
    Page("settlement_capacity", _("Capacity"), frozenset({"settlement_capacity_line"})),
    Page("settlement_figures", _("Figures")),
    Page("settlement_weekly_list", _("Weekly list")),
    Page("settlements", _("Settled persons")),
)

# every page of the Bosetting section (the main menu marks «Bosetting» as current on each)
SECTION: frozenset[str] = frozenset().union(*({p.url_name} | p.section for p in PAGES))


def may_open(user, url_name: str) -> bool:
    """Whether ``user`` may open the Bosetting page ``url_name`` (it would not answer 403)."""
    if not policy.page_allowed(user, url_name):
        return False
    if url_name == "settlements":  # the landing page: nir.access.settlement.sees_settlement_landing
        return sees_settlement_landing(user)
    if url_name == "settlement_cases":
        return case_scope(user)[0] != "none"
    if url_name == "settlement_assignment":
        area = assign_area(user)
        return area is None or not area.empty
    return True


def settlement_nav(request, current: str | None) -> list[dict[str, Any]]:
    """The Bosetting pages this user may open, in process order; ``current`` is the page's URL name."""
    out = []
    for page in PAGES:
        if not may_open(request.user, page.url_name):
            continue
        state = "page" if current == page.url_name else "true" if current in page.section else None
        out.append({"url": reverse(page.url_name), "label": page.label, "current": state, "name": page.url_name})
    return out
