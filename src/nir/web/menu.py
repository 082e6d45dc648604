"""The main menu of NIR og Bosetting, as in today's NIR (``004``, the webinar):

    Arbeidsflate | Bosetting | Personer | Kommuner | Organisasjoner | Rapporter | Regelmotor |
    Hjelpetekster | Administrering

Each item is shown only to a user who may open its page (``nir.access.policy.page_allowed``, the
same decision the access middleware makes): the menu never offers a page that would answer 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nir.access import policy
from nir.web import settlement_nav


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    # URL names of the pages that belong to this item (marked as the current section).
    section: frozenset[str]
    # Pages the item leads to when the user may not open ``url_name`` (the first allowed one).
    fallbacks: tuple[str, ...] = ()
    # Whether the user may open a page of the item, when more than ``page_allowed`` decides it.
    may_open: Callable[[Any, str], bool] = policy.page_allowed


MENU = (
    MenuItem(_("Work area"), "worklist", frozenset({"worklist", "worklist_section", "home"})),
    # The county governor's supervision view (also its Arbeidsflate); IMDi chooses a county.
    MenuItem(_("Supervision"), "supervision", frozenset({"supervision", "supervision_municipality"})),
    # Bosetting: its landing page (what needs doing, the register's settled) to every user who takes part
    # in Bosetting or reads persons; its pages in the sub-navigation (nir.web.settlement_nav)
    MenuItem(_("Settlement"), "settlements", settlement_nav.SECTION, may_open=settlement_nav.may_open),
    MenuItem(
        _("Persons"),
        "persons",
        frozenset(
            {"persons", "person", "person_section", "person_history", "person_add", "person_moves", "person_move"}
        ),
    ),
    MenuItem(_("Municipalities"), "municipalities", frozenset({"municipalities", "municipality"})),
    MenuItem(_("Organisations"), "organisations", frozenset({"organisations", "organisation"})),
    MenuItem(_("Reports"), "reports", frozenset({"reports", "report", "statistics", "yearly_report"})),
    MenuItem(
        _("Grants"),
        "grants",
        frozenset(
            {
                "grants",
                "grants_rates",
                "grants_rate",
                "grants_round",
                "grants_statement",
                "grants_statement_export",
                "grants_error_reports",
            }
        ),
    ),
    MenuItem(_("Rules engine"), "rules", frozenset({"rules", "rules_explain"})),
    MenuItem(_("Help texts"), "help_texts", frozenset({"help_texts", "help_text_edit"})),
    MenuItem(
        _("Administration"),
        "administration",
        frozenset({"administration", "admin_users", "admin_user", "admin_user_new", "admin_clients", "audit_search"}),
        fallbacks=("audit_search", "admin_users"),
    ),  # IMDi's analysts search the audit log, administer nothing; a local administrator: its users
)


def menu_for(user, current: str | None) -> list[dict]:
    items = []
    for item in MENU:
        target = next((name for name in (item.url_name, *item.fallbacks) if item.may_open(user, name)), None)
        if target is None:
            continue
        items.append(
            {
                "label": item.label,
                "url": reverse(target),
                "current": "page" if current == target else "true" if current in item.section else None,
            }
        )
    return items
