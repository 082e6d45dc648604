"""The Bosetting landing page's «what needs doing» (``/bosetting/``, above the register's settled):
per role, the counts that call for action, each a link to the page where it is done. Computed with
the settlement module's own reads (``nir.settlement.selectors``, ``capacity``, ``planning_reads``) and
its access decisions (``nir.access.settlement``): no rule of its own.

- IMDi's caseworkers (they may open the assignment work list): ready cases not proposed in their
  region, open proposals whose deadline passes within ``DEADLINE_DAYS`` days, agreements (not yet
  settled) with the planned date this month — in their region.
- A municipality (its settlement coordinator): open proposals to answer (and the nearest deadline),
  arrivals planned this month not yet confirmed, the capacity remaining today.
- IMDi's planners: the year's need and whether a request round has been sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nir.access.settlement import assign_area, own_municipality
from nir.settlement import planning_reads, selectors
from nir.settlement.models import Agreement, CaseSettlement, Proposal
from nir.web.settlement_nav import may_open

DEADLINE_DAYS = 3


def _month(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def _item(label: str, count: int | None, url_name: str, *, detail: str = "", query: str = "") -> dict[str, Any]:
    return {"label": label, "count": count, "url": reverse(url_name) + query, "detail": detail}


def caseworker(user, today: dt.date) -> list[dict[str, Any]]:
    area = assign_area(user)
    ready = selectors.work_list(user, limit=1, today=today).total
    soon = Proposal.objects.filter(
        answer__isnull=True, deadline__gte=today, deadline__lte=today + dt.timedelta(days=DEADLINE_DAYS)
    ).values_list("municipality", flat=True)
    first, last = _month(today)
    agreed = (
        Agreement.objects.current()
        .filter(planned_date__gte=first, planned_date__lte=last)
        .exclude(case_id__in=CaseSettlement.objects.values("case_id"))
        .values_list("municipality", flat=True)
    )

    def in_area(munis) -> int:
        return sum(1 for m in munis if area is None or m in area)

    return [
        _item(_("Ready cases not proposed"), ready, "settlement_assignment"),
        _item(
            _("Proposals whose deadline passes within %(n)d days") % {"n": DEADLINE_DAYS},
            in_area(soon),
            "settlement_cases",
            query="?status=proposed",
        ),
        _item(
            _("Agreements with planned date this month"), in_area(agreed), "settlement_cases", query="?status=agreed"
        ),
    ]


def municipality(user, k: str, today: dt.date) -> list[dict[str, Any]]:
    proposals = selectors.municipality_proposals(user, k, open_only=True)
    deadlines = sorted(p["deadline"] for p in proposals)
    first, last = _month(today)
    arrivals = [
        a
        for a in selectors.municipality_agreements(user, k)
        if a["settled_on"] is None and first <= a["planned_date"] <= last
    ]
    free = sum(c.free for c in selectors.capacities(today, [k]).values())
    return [
        _item(
            _("Open proposals to answer"),
            len(proposals),
            "settlement_proposals",
            detail=_("Nearest deadline %(d)s") % {"d": deadlines[0].strftime("%d.%m.%Y")} if deadlines else "",
        ),
        _item(_("Arrivals planned this month"), len(arrivals), "settlement_agreements"),
        _item(_("Capacity remaining"), free, "settlement_capacity"),
    ]


def planner(today: dt.date) -> list[dict[str, Any]]:
    need = planning_reads.current_need(today.year)
    sent = planning_reads.latest_sent_round(today.year)
    return [
        _item(
            _("Settlement need %(year)d") % {"year": today.year},
            need.persons if need else None,
            "settlement_need",
            detail=_("of which %(n)d unaccompanied minors") % {"n": need.um_persons} if need else _("Not set"),
        ),
        _item(
            _("Request round sent"),
            None,
            "settlement_requests",
            detail=(
                _("Round %(n)d sent %(d)s")
                % {"n": sent.number, "d": timezone.localtime(sent.sent_at).strftime("%d.%m.%Y")}
                if sent and sent.sent_at
                else _("No request round sent yet")
            ),
        ),
    ]


def landing(user, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The groups of the landing page this user has: ``[{"heading": …, "items": [...]}]``."""
    today = today or timezone.localdate()
    groups = []
    if may_open(user, "settlement_need"):
        groups.append({"heading": _("Planning"), "items": planner(today)})
    if may_open(user, "settlement_assignment"):
        groups.append({"heading": _("Assignment"), "items": caseworker(user, today)})
    k = own_municipality(user)
    if k and may_open(user, "settlement_proposals"):
        groups.append({"heading": _("Your municipality"), "items": municipality(user, k, today)})
    return groups
