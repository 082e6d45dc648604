"""The changes of a settlement case after registration, on its page (/bosetting/saker/<nr>/) and on the
municipality's agreements (/bosetting/avtaler/): issue 17, docs/settlement.md «Endringer».

    form=details            «Endre opplysninger»      cases.correct_details (reason)
    form=add_member         «Legg til person»         cases.add_member
    form=member             «Endre» a person          cases.correct_member (reason)
    form=remove_member      «Fjern» a person          cases.remove_member (reason)
    form=withdraw_case      «Trekk saken»             cases.withdraw_case (reason)
    form=withdraw_proposal  «Trekk forslaget» (IMDi)  assignment.withdraw_proposal (reason)
    form=planned_date       «Endre planlagt dato»     assignment.change_planned_date (reason)
    form=cancel_agreement   «Avbryt avtale»           assignment.cancel_agreement (reason)

Which forms a user is offered follows ``nir.access.settlement`` (``may_edit_case``; for the agreement
``acts_for_municipality`` or ``may_assign_in``); the actions decide again. Each form carries the version
it was shown with (``version``): when the case was changed meanwhile the form is refused (409) and shown
again; a refusal of the input is 422 with the form's values and the field errors; an action the user may
not do is 403 (a case it may not change, 404). Nothing works by JavaScript.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from nir.access.policy import AccessDenied, Permission, allows
from nir.access.settlement import acts_for_municipality, may_assign_in, may_edit_case
from nir.actions.acting import Acting
from nir.settlement import selectors
from nir.settlement.actions import assignment, cases
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import Proposal, SettlementCase
from nir.settlement.store import ChangedMeanwhile

FORMS = (
    "details",
    "add_member",
    "member",
    "remove_member",
    "withdraw_case",
    "withdraw_proposal",
    "planned_date",
    "cancel_agreement",
)
MEMBER_TEXT = ("first_name", "last_name", "sex", "role", "duf", "national_id", "citizenship", "permit_basis")
MEMBER_FLAGS = ("unaccompanied_minor", "companion", "collective_protection", "resettlement_refugee")
DETAIL_TEXT = (
    "location",
    "location_name",
    "location_municipality",
    "special_need_level",
    "special_need_note",
    "connection_municipality",
    "connection_kind",
    "wishes",
)
AGREEMENT_FORMS = ("planned_date", "cancel_agreement")
NEED_FIELDS = ("special_need_level", "special_need_kinds", "special_need_note")


def _date(raw: str) -> dt.date | None | str:
    """A date from a form (ISO from <input type=date>, or dd.mm.åååå); the raw text when invalid."""
    raw = (raw or "").strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return raw


def may_change_agreement(principal, municipality: str | None) -> bool:
    """Whether ``principal`` is offered «Endre planlagt dato» / «Avbryt avtale» for an agreement with
    ``municipality`` (the decision of ``assignment.change_planned_date`` / ``cancel_agreement``)."""
    if not municipality:
        return False
    if acts_for_municipality(principal, municipality):
        return True
    return allows(principal, Permission.SETTLEMENT_ASSIGN) and may_assign_in(principal, municipality)


@dataclass
class Outcome:
    """A posted change: ``done`` (a message key for the redirect) or the errors, status and input."""

    form: str = ""
    done: str = ""
    status: int = 200
    errors: dict[str, str] = field(default_factory=dict)
    posted: dict[str, Any] = field(default_factory=dict)
    target: str = ""  # the member key, proposal id or case number the form was about


def _errors(e: Exception) -> tuple[int, dict[str, str]]:
    if isinstance(e, cases.CaseInvalid):
        out: dict[str, str] = {}
        for f, m in e.errors:
            name = f.rsplit(".", 1)[-1] if f.startswith("members.") else f
            out[name] = f"{out[name]} {m}" if name in out else m
        return 422, out
    if isinstance(e, SettlementRefused):
        # the state of the case or proposal (settled, withdrawn, answered): as the API, 409
        return (409 if e.field in ("case", "proposal") else 422), {e.field: e.message}
    if isinstance(e, AccessDenied):
        return 403, {"": str(e)}
    if isinstance(e, ChangedMeanwhile):
        return 409, {"": _("Someone else changed this meanwhile. Reload the page and try again.")}
    if isinstance(e, SettlementCase.DoesNotExist | Proposal.DoesNotExist):
        return 404, {"": _("No such settlement case, or one you do not have access to.")}
    raise e


def _member_values(post) -> tuple[dict[str, Any], dict[str, Any]]:
    """The person's values from a form (for the action) and as typed (to show again)."""
    shown: dict[str, Any] = {f: post.get(f, "").strip() for f in (*MEMBER_TEXT, "birth_date")}
    shown.update({f: post.get(f) == "on" for f in MEMBER_FLAGS})
    values = {**shown, "birth_date": _date(shown["birth_date"])}
    return values, shown


def _detail_values(post, sees_needs: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    shown: dict[str, Any] = {f: post.get(f, "").strip() for f in (*DETAIL_TEXT, "permit_date", "ready_date")}
    shown["special_need_kinds"] = post.getlist("special_need_kinds")
    values = {**shown, "permit_date": _date(shown["permit_date"]), "ready_date": _date(shown["ready_date"])}
    if not sees_needs:
        for f in NEED_FIELDS:
            values.pop(f, None)
    return values, shown


def _stale(state: selectors.EditState, form: str, version: str, target: str) -> bool:
    """Whether the version the form was shown with is no longer the current one."""
    current: int | None
    if form == "details":
        current = state.details
    elif form in ("member", "remove_member"):
        current = state.members.get(target)
        if current is None:
            return False  # an unknown person: the action names it
    elif form in ("planned_date", "cancel_agreement"):
        current = state.agreement
    else:
        return False
    return current is not None and version != str(current)


def handle(request, nr: str, *, sees_needs: bool) -> Outcome:
    """Run the change posted to case ``nr``'s page (or the agreements page) through its action."""
    post = request.POST
    form = post.get("form", "")
    out = Outcome(form=form, target=post.get("target", "").strip())
    if form not in FORMS:
        out.status, out.errors = 422, {"form": _("Unknown change.")}
        return out
    state = selectors.case_edit_state(nr)
    if state is None:
        out.status, out.errors = 404, {"": _("No such settlement case, or one you do not have access to.")}
        return out
    reason = post.get("reason", "").strip()
    out.posted = {"reason": reason, "version": post.get("version", "")}
    if _stale(state, form, post.get("version", ""), out.target):
        out.status, out.errors = 409, {"": _("Someone else changed this meanwhile. Reload the page and try again.")}
        return out
    acting = Acting.from_request(request)
    try:
        if form == "details":
            values, shown = _detail_values(post, sees_needs)
            out.posted.update(shown)
            bad = {
                k: _("Dates are written dd.mm.yyyy.")
                for k in ("permit_date", "ready_date")
                if isinstance(values[k], str)
            }
            if bad:
                out.status, out.errors = 422, bad
                return out
            cases.correct_details(acting, nr, values, reason)
        elif form in ("add_member", "member"):
            values, shown = _member_values(post)
            out.posted.update(shown)
            if isinstance(values["birth_date"], str):
                out.status, out.errors = 422, {"birth_date": _("Dates are written dd.mm.yyyy.")}
                return out
            if form == "add_member":
                cases.add_member(acting, nr, values)
            else:
                cases.correct_member(acting, nr, out.target, values, reason)
        elif form == "remove_member":
            cases.remove_member(acting, nr, out.target, reason)
        elif form == "withdraw_case":
            cases.withdraw_case(acting, nr, reason)
        elif form == "withdraw_proposal":
            proposal = int(out.target) if out.target.isdigit() else 0
            assignment.withdraw_proposal(acting, proposal, reason)
        elif form == "planned_date":
            out.posted["planned_date"] = post.get("planned_date", "").strip()
            day = _date(out.posted["planned_date"])
            if day is None or isinstance(day, str):
                out.status, out.errors = 422, {"planned_date": _("Give the new planned date (dd.mm.yyyy).")}
                return out
            assignment.change_planned_date(acting, nr, day, reason)
        elif form == "cancel_agreement":
            assignment.cancel_agreement(acting, nr, reason)
    except (SettlementRefused, AccessDenied, ChangedMeanwhile, SettlementCase.DoesNotExist, Proposal.DoesNotExist) as e:
        out.status, out.errors = _errors(e)
        return out
    out.done = form
    return out


def done_message(key: str) -> str:
    """The confirmation shown after the change ``key`` (the ``?endret=`` of the redirect)."""
    return {
        "details": _("The details are corrected."),
        "add_member": _("The person is added to the household."),
        "member": _("The person is corrected."),
        "remove_member": _("The person is taken out of the household."),
        "withdraw_case": _("The case is withdrawn."),
        "withdraw_proposal": _("The proposal is withdrawn; the case may be proposed again."),
        "planned_date": _("The planned settlement date is changed."),
        "cancel_agreement": _("The agreement is cancelled; the municipality's capacity is free again."),
    }.get(key, "")


def offers(principal, nr: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Which change forms ``principal`` is offered on case ``nr``'s page, with their versions."""
    state = selectors.case_edit_state(nr)
    if state is None:
        return {"edit": False, "agreement": False, "proposals": False}
    edit = state.open and may_edit_case(principal, state.organisation_id)
    return {
        "edit": edit,
        "details_version": state.details,
        "member_versions": state.members,
        "agreement": state.agreement is not None and may_change_agreement(principal, state.agreement_municipality),
        "agreement_version": state.agreement,
        # «Trekk forslaget»: IMDi's caseworker of the region of each open proposal's municipality
        "proposals": state.open and allows(principal, Permission.SETTLEMENT_ASSIGN),
        "withdrawable": {
            p["id"]
            for p in doc.get("proposals") or []
            if state.open
            and allows(principal, Permission.SETTLEMENT_ASSIGN)
            and may_assign_in(principal, p["municipality"])
        },
    }


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def shown(doc: dict[str, Any], outcome: Outcome, offered: dict[str, Any]) -> dict[str, Any]:
    """The values and errors of every change form of the page: the posted input and its errors for the
    form refused, the case's current values for the others."""

    def mine(form: str, target: str = "") -> bool:
        return outcome.form == form and bool(outcome.errors) and (not target or outcome.target == target)

    details = {f: _iso(doc.get(f)) for f in (*DETAIL_TEXT, "permit_date", "ready_date", "special_need_kinds")}
    details["special_need_kinds"] = details.get("special_need_kinds") or []
    versions = offered.get("member_versions") or {}
    for m in doc.get("members") or []:
        own = mine("member", m["key"]) or mine("remove_member", m["key"])
        base = {f: _iso(m.get(f)) for f in (*MEMBER_TEXT, *MEMBER_FLAGS, "birth_date")}
        m["form"] = outcome.posted if mine("member", m["key"]) else base
        m["form_errors"] = outcome.errors if own else {}
        m["form_reason"] = outcome.posted.get("reason", "") if own else ""
        m["open_form"] = outcome.form if own else ""
        m["version"] = versions.get(m["key"], "")
    for p in doc.get("proposals") or []:
        p["is_open"] = p["answer"] is None and not p["expired"] and p["id"] in (offered.get("withdrawable") or ())
        p["form_errors"] = outcome.errors if mine("withdraw_proposal", str(p["id"])) else {}
        p["form_reason"] = outcome.posted.get("reason", "") if p["form_errors"] else ""
    return {
        "details": outcome.posted if mine("details") else details,
        "details_errors": outcome.errors if mine("details") else {},
        "add_member": outcome.posted if mine("add_member") else {"role": "adult"},
        "add_member_errors": outcome.errors if mine("add_member") else {},
        "withdraw_errors": outcome.errors if mine("withdraw_case") else {},
        "withdraw_reason": outcome.posted.get("reason", "") if mine("withdraw_case") else "",
        "planned_date": outcome.posted.get("planned_date", "") if mine("planned_date") else "",
        "planned_date_errors": outcome.errors if mine("planned_date") else {},
        "planned_date_reason": outcome.posted.get("reason", "") if mine("planned_date") else "",
        "cancel_errors": outcome.errors if mine("cancel_agreement") else {},
        "cancel_reason": outcome.posted.get("reason", "") if mine("cancel_agreement") else "",
        "general": outcome.errors.get("", "") or outcome.errors.get("form", ""),
    }


def agreement_row(row: dict[str, Any], request, outcome: Outcome) -> None:
    """Offer «Endre planlagt dato» / «Avbryt avtale» on a row of the agreements page (not once settled)."""
    mine = bool(outcome.errors) and request.POST.get("case", "").strip() == row["case"]
    row["may_change"] = not row.get("settled_on") and may_change_agreement(request.user, row["municipality"])
    row["e_date"] = outcome.errors if mine and outcome.form == "planned_date" else {}
    row["e_cancel"] = outcome.errors if mine and outcome.form == "cancel_agreement" else {}
    row["r_date"] = outcome.posted.get("reason", "") if row["e_date"] else ""
    row["r_cancel"] = outcome.posted.get("reason", "") if row["e_cancel"] else ""
    row["new_date"] = outcome.posted.get("planned_date", "") if row["e_date"] else ""
