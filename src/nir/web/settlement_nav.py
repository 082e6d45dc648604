"""The Bosetting sub-menu: the settlement pages a user may open (settlement cases, assignment,
proposals, agreements, and the register's settlements), shown on each of them."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from nir.access import policy
from nir.access.settlement import assign_area, case_scope

NAV = (
    "settlement_cases",
    "settlement_case_new",
    "settlement_assignment",
    "settlement_proposals",
    "settlement_agreements",
    "settlement_municipal",
    "settlement_requests",
    "settlement_decisions",
    "settlement_figures",
    "settlements",
)


def settlement_nav(request, current: str) -> list[dict[str, Any]]:
    """The Bosetting pages this user may open (the settlement sub-menu)."""
    labels = {
        "settlement_cases": _("Cases"),
        "settlement_case_new": _("Register a case"),
        "settlement_assignment": _("Assignment"),
        "settlement_proposals": _("Proposals"),
        "settlement_agreements": _("Agreements and arrivals"),
        "settlement_municipal": _("Request and decision"),
        "settlement_requests": _("Settlement planning"),
        "settlement_decisions": _("Decisions and capacity"),
        "settlement_figures": _("Settlement figures"),
        "settlements": _("Settled in the register"),
    }
    out = []
    for name in NAV:
        if not policy.page_allowed(request.user, name):
            continue
        if name == "settlement_cases" and case_scope(request.user)[0] == "none":
            continue
        if name == "settlement_assignment" and (area := assign_area(request.user)) is not None and area.empty:
            continue
        out.append({"url": reverse(name), "label": labels[name], "current": name == current})
    return out
