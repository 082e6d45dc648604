"""Bosetting: settlement cases, the assignment work list, proposals and agreements (issue 17 §§ 3–4).

    /bosetting/saker/            IMDi (and a reception centre, UDI, Bufetat: their own; a municipality:
                                 those proposed to it): cases with filters
    /bosetting/saker/ny/         register a household ready for settlement
    /bosetting/saker/<nr>/       one case: household, needs and mapping where allowed, proposals,
                                 agreement, settled, history
    /bosetting/fordeling/        IMDi's caseworker: ready cases of its region, oldest first, with the free
                                 capacity per municipality and «Foreslå for kommune»; the place for the
                                 recommendation tool's ranked list («Anbefalinger», issue 18)
    /bosetting/forslag/          the municipality: proposals to accept (planned date) or decline (reason)
    /bosetting/avtaler/          the municipality: agreements and arrivals, «Bekreft bosatt»

Every read goes through ``nir.settlement.selectors`` (scoped by ``nir.access.settlement``; special
needs and mapping only where ``case_access`` allows) and is audited with the case numbers shown;
every write is a ``nir.settlement.actions`` action. Forms work without JavaScript and are shown
again with their input and the errors (422) when refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nir.access.policy import AccessDenied
from nir.access.settlement import assign_area, case_scope, may_assign_in, may_register_cases, own_municipality
from nir.actions.acting import Acting
from nir.settlement import recommend_service, selectors
from nir.settlement.actions import assignment, cases
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import (
    CaseLocation,
    ConnectionKind,
    MappingKind,
    MemberRole,
    Operation,
    Proposal,
    SettlementCase,
    SpecialNeedKind,
    SpecialNeedLevel,
)
from nir.settlement.store import ChangedMeanwhile
from nir.web import settlement_case_changes as changes
from nir.web.views_overview import reference_names

MEMBER_ROWS = 6  # rows for persons on the registration form (no JavaScript: empty rows are ignored)
FLAGS = ("unaccompanied_minor", "companion", "collective_protection", "resettlement_refugee")


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


def _audit(request, what: str, numbers: list[str], **filters: Any) -> None:
    selectors.audit_cases(request, request.user, channel="web", what=what, numbers=numbers, filters=filters)


def _muni_name(names: dict, nr: str | None) -> str:
    if not nr:
        return ""
    entry = names["municipalities"].get(nr)
    return f"{nr} {entry[0]}" if entry else nr


def _refusal(e: Exception) -> dict[str, str]:
    """An action's refusal as ``{field: message}`` for a form."""
    if isinstance(e, cases.CaseInvalid):
        out: dict[str, str] = {}
        for f, m in e.errors:
            out[f] = f"{out[f]} {m}" if f in out else m
        return out
    if isinstance(e, SettlementRefused):
        return {e.field: e.message}
    if isinstance(e, AccessDenied):
        return {"": str(e)}
    if isinstance(e, ChangedMeanwhile):
        return {"": _("Someone else changed this meanwhile. Reload the page and try again.")}
    return {"": str(e)}


def _decorate(rows: list[dict[str, Any]], names: dict) -> list[dict[str, Any]]:
    for r in rows:
        r["url"] = reverse("settlement_case", args=[r["number"]])
        r["location_label"] = CaseLocation(r["location"]).label if r.get("location") else ""
        r["location_place"] = _muni_name(names, r.get("location_municipality"))
        r["connection_place"] = _muni_name(names, r.get("connection_municipality"))
        r["proposed_place"] = _muni_name(names, r.get("proposed_to"))
        r["agreed_place"] = _muni_name(names, r.get("agreed_with") or r.get("settled_in"))
        if r.get("special_need_level"):
            r["need_label"] = SpecialNeedLevel(r["special_need_level"]).label
            r["need_kinds"] = ", ".join(SpecialNeedKind(k).label for k in r.get("special_need_kinds") or [])
    return rows


# --- the case list ---------------------------------------------------------------------------------------


def _filters(get) -> tuple[selectors.CaseFilters, dict[str, str], list[str]]:
    raw = {
        k: get.get(k, "").strip()
        for k in ("status", "fra", "til", "sted", "behov", "em", "fylke", "tilknytning", "ventet")
    }
    errors = []
    f = selectors.CaseFilters(status=raw["status"] if raw["status"] in selectors.Status.__members__.values() else "")
    if raw["status"] and not f.status:
        raw["status"] = ""
    for key, attr in (("fra", "ready_from"), ("til", "ready_to")):
        value = _date(raw[key])
        if isinstance(value, str):
            errors.append(_("Dates are written dd.mm.yyyy."))
        else:
            setattr(f, attr, value)
    if raw["sted"] in CaseLocation.values:
        f.location = raw["sted"]
    f.special_needs = {"ja": True, "nei": False}.get(raw["behov"])
    f.um = {"ja": True, "nei": False}.get(raw["em"])
    f.county = raw["fylke"][:2] if raw["fylke"].isdigit() else ""
    f.connection_municipality = raw["tilknytning"][:4] if raw["tilknytning"].isdigit() else ""
    if raw["ventet"].isdigit():
        f.min_waiting_days = int(raw["ventet"])
    return f, raw, errors


@never_cache
@require_http_methods(["GET"])
def case_list(request):
    if case_scope(request.user)[0] == "none":
        return HttpResponseForbidden(_("You do not have access to settlement cases."))
    f, raw, errors = _filters(request.GET)
    page = selectors.case_list(request.user, f, limit=200)
    names = reference_names(timezone.localdate())
    _audit(request, "settlement.cases", page.numbers, **{k: v for k, v in raw.items() if v})
    return render(
        request,
        "web/settlement_cases/list.html",
        {
            "rows": _decorate(page.rows, names),
            "total": page.total,
            "shown": page.shown,
            "raw": raw,
            "errors": errors,
            "statuses": [(s.value, selectors.STATUS_LABELS[s]) for s in selectors.Status],
            "locations": CaseLocation.choices,
            "counties": sorted({(c, cn) for _n, (_name, c, cn) in names["municipalities"].items()}),
            "may_register": may_register_cases(request.user),
            "may_assign": assign_area(request.user) is None or not assign_area(request.user).empty,
        },
    )


# --- one case ----------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def case_page(request, nr: str):
    if case_scope(request.user)[0] == "none":
        return HttpResponseForbidden(_("You do not have access to settlement cases."))
    doc = selectors.case_detail(request.user, nr)
    if doc is None:
        raise Http404(_("No such settlement case, or one you do not have access to."))
    # the changes after registration (settlement_case_changes): the page shown again on a refusal
    outcome = changes.Outcome()
    if request.method == "POST":
        outcome = changes.handle(request, nr, sees_needs="special_need_level" in doc)
        if outcome.done:
            return HttpResponseRedirect(reverse("settlement_case", args=[nr]) + f"?endret={outcome.done}")
    names = reference_names(timezone.localdate())
    _decorate([doc], names)
    by_key = {m["key"]: f"{m['first_name']} {m['last_name']}" for m in doc["members"]}
    roles = dict(MemberRole.choices)
    for member in doc["members"]:
        member["role_label"] = roles.get(member["role"], member["role"])
    kinds = dict(MappingKind.choices)
    for m in doc.get("mappings") or []:
        m["member_name"] = by_key.get(m["member_key"], "")
        m["kind_label"] = kinds.get(m["kind"], m["kind"])
    operations = dict(Operation.choices)
    for h in doc.get("history") or []:
        h["operation_label"] = operations.get(h["operation"], h["operation"])
    for p in doc.get("proposals") or []:
        p["place"] = _muni_name(names, p["municipality"])
    _audit(request, "settlement.case", [nr])
    offers = changes.offers(request.user, nr, doc)
    recommendation = recommendation_context(request, nr) if doc.get("status") == selectors.Status.READY else None
    return render(
        request,
        "web/settlement_cases/case.html",
        {
            "case": doc,
            "roles": dict(MemberRole.choices),
            "sees_needs": "special_need_level" in doc,
            "sees_mapping": "mappings" in doc,
            "connection_label": dict(ConnectionKind.choices).get(doc.get("connection_kind") or "", ""),
            "offers": offers,
            "forms": changes.shown(doc, outcome, offers),
            "outcome": outcome,
            "changed": changes.done_message(request.GET.get("endret", "")),
            "locations": CaseLocation.choices,
            "levels": SpecialNeedLevel.choices,
            "need_kinds": SpecialNeedKind.choices,
            "connections": ConnectionKind.choices,
            "role_choices": MemberRole.choices,
            "today": timezone.localdate(),
            "recommendation": recommendation,
        },
        status=outcome.status,
    )


# --- register a case -------------------------------------------------------------------------------------


def _case_form_values(post) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    details: dict[str, Any] = {
        "location": post.get("location", ""),
        "location_name": post.get("location_name", ""),
        "location_municipality": post.get("location_municipality", "").strip(),
        "permit_date": _date(post.get("permit_date", "")),
        "ready_date": _date(post.get("ready_date", "")),
        "special_need_level": post.get("special_need_level", "none"),
        "special_need_kinds": post.getlist("special_need_kinds"),
        "special_need_note": post.get("special_need_note", ""),
        "connection_municipality": post.get("connection_municipality", "").strip(),
        "connection_kind": post.get("connection_kind", ""),
        "wishes": post.get("wishes", ""),
    }
    members = []
    rows = []
    for i in range(MEMBER_ROWS):
        row = {
            f: post.get(f"m{i}-{f}", "")
            for f in (
                "first_name",
                "last_name",
                "birth_date",
                "sex",
                "role",
                "duf",
                "national_id",
                "citizenship",
                "permit_basis",
            )
        }
        row.update({f: post.get(f"m{i}-{f}") == "on" for f in FLAGS})
        rows.append(row)
        if any(str(row[f]).strip() for f in ("first_name", "last_name", "birth_date")):
            members.append({**row, "birth_date": _date(row["birth_date"])})
    return (
        details,
        members,
        {
            "details": {
                **details,
                "permit_date": post.get("permit_date", ""),
                "ready_date": post.get("ready_date", ""),
            },
            "rows": rows,
        },
    )


def _member_errors(errors: dict[str, str], members_posted: list[int]) -> dict[int, dict[str, str]]:
    """``members.<i>.<field>`` errors by form row (the i-th person filled in is row members_posted[i])."""
    out: dict[int, dict[str, str]] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "members" and parts[1].isdigit() and int(parts[1]) < len(members_posted):
            out.setdefault(members_posted[int(parts[1])], {})[parts[2]] = message
    return out


@never_cache
@require_http_methods(["GET", "POST"])
def case_new(request):
    if not may_register_cases(request.user):
        return HttpResponseForbidden(_("You may not register settlement cases."))
    errors: dict[str, str] = {}
    shown: dict[str, Any] = {
        "details": {"special_need_level": "none", "special_need_kinds": []},
        "rows": [{} for _i in range(MEMBER_ROWS)],
    }
    status = 200
    if request.method == "POST":
        details, members, shown = _case_form_values(request.POST)
        for key in ("permit_date", "ready_date"):
            if isinstance(details[key], str):
                errors[key] = _("Dates are written dd.mm.yyyy.")
        posted = [
            i
            for i, r in enumerate(shown["rows"])
            if any(str(r[f]).strip() for f in ("first_name", "last_name", "birth_date"))
        ]
        for n in range(len(posted)):
            if isinstance(members[n]["birth_date"], str):
                errors[f"members.{n}.birth_date"] = _("Dates are written dd.mm.yyyy.")
        if not errors:
            try:
                case = cases.register_case(Acting.from_request(request), details=details, members=members)
            except (SettlementRefused, AccessDenied) as e:
                errors = _refusal(e)
            else:
                return HttpResponseRedirect(reverse("settlement_case", args=[case.number]) + "?registrert=1")
        for i, row_errors in _member_errors(errors, posted).items():
            shown["rows"][i]["errors"] = row_errors
        status = 422
    return render(
        request,
        "web/settlement_cases/new.html",
        {
            "errors": errors,
            "shown": shown,
            "locations": CaseLocation.choices,
            "levels": SpecialNeedLevel.choices,
            "need_kinds": SpecialNeedKind.choices,
            "connections": ConnectionKind.choices,
            "roles": MemberRole.choices,
        },
        status=status,
    )


# --- the recommendation (issue 18) ---------------------------------------------------------------------


def _recommendation_followed(request, posted: dict[str, str]) -> dict[str, Any]:
    """What ``propose`` records when the caseworker proposes from the ranked list: the list as shown
    (``recommend_service.followed``: computed again, never taken from the form), the model version and
    the override reason."""
    followed = recommend_service.followed(request.user, posted["case"])
    return {**followed, "override_reason": posted.get("override_reason", "")} if followed else {}


def recommendation_context(request, number: str, posted: dict[str, str] | None = None, errors=None):
    """The recommendation part of a page for case ``number``: ``None`` when the principal may not see
    it; otherwise a dict for ``_recommendation.html`` (the ranked list, excluded municipalities, or why
    there is none)."""
    names = reference_names(timezone.localdate())
    try:
        rec = recommend_service.case_recommendation(request.user, number)
    except (AccessDenied, SettlementCase.DoesNotExist):
        return None
    except recommend_service.NotReady:
        return {"case": number, "not_ready": True}
    posted = posted if posted and posted.get("case") == number and posted.get("recommended") else {}
    excluded: dict[str, list[str]] = {}
    for e in rec.excluded:  # grouped by reason: a few lines instead of one per municipality
        excluded.setdefault(e.reason, []).append(f"{e.number} {e.name}")
    return {
        "case": number,
        "rec": rec,
        "excluded": sorted(excluded.items(), key=lambda kv: -len(kv[1])),
        "connection_place": _muni_name(names, rec.connection),
        "posted": posted,
        "errors": errors if posted else {},
        "default_deadline": timezone.localdate() + dt.timedelta(days=assignment.DEFAULT_DEADLINE_DAYS),
        "model_url": reverse("settlement_recommendation_model"),
    }


# --- the assignment work list ----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def assignment_page(request):
    area = assign_area(request.user)
    if area is not None and area.empty:
        return HttpResponseForbidden(_("You may not assign settlement cases."))
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    status = 200
    done = request.GET.get("foreslatt", "")
    if request.method == "POST":
        posted = {
            k: request.POST.get(k, "").strip()
            for k in ("case", "municipality", "deadline", "note", "override_reason", "recommended")
        }
        deadline = _date(posted["deadline"])
        if isinstance(deadline, str):
            errors["deadline"] = _("Dates are written dd.mm.yyyy.")
        elif not posted["municipality"]:
            errors["municipality"] = _("Choose a municipality.")
        else:
            try:
                followed = _recommendation_followed(request, posted) if posted["recommended"] else {}
                assignment.propose(
                    Acting.from_request(request),
                    posted["case"],
                    posted["municipality"],
                    deadline=deadline,
                    note=posted["note"],
                    **followed,
                )
            except SettlementCase.DoesNotExist:
                errors["case"] = _("No such settlement case.")
            except (SettlementRefused, AccessDenied, ChangedMeanwhile) as e:
                errors = _refusal(e)
            else:
                return HttpResponseRedirect(reverse("settlement_assignment") + f"?foreslatt={posted['case']}")
        status = 422
    all_regions = request.GET.get("alle") == "1"
    wl = selectors.work_list(request.user, all_regions=all_regions)
    names = reference_names(timezone.localdate())
    rows = _decorate(wl.cases, names)
    default_deadline = timezone.localdate() + dt.timedelta(days=assignment.DEFAULT_DEADLINE_DAYS)
    for r in rows:
        r["choices"] = [(k, _muni_name(names, k), free) for k, free in selectors.municipalities_for(r, wl)]
        r["posted"] = posted if posted.get("case") == r["number"] else {}
        r["errors"] = errors if posted.get("case") == r["number"] and not posted.get("recommended") else {}
        r["recommendation_url"] = f"?sak={r['number']}" + ("&alle=1" if all_regions else "") + "#bs-recommendations"
    capacity = [
        {"place": _muni_name(names, k), **free, "may": may_assign_in(request.user, k)}
        for k, free in wl.capacity.items()
    ]
    numbers = [r["number"] for r in rows]
    tops = recommend_service.top_names(request.user, numbers)
    for r in rows:
        r["recommended"] = tops.get(r["number"], [])
    chosen = (request.POST.get("case") if posted.get("recommended") else request.GET.get("sak", "")) or ""
    first = next((r["number"] for r in rows if r["recommended"]), numbers[0] if numbers else "")
    chosen = chosen.strip() if chosen.strip() in numbers else first
    recommendation = recommendation_context(request, chosen, posted, errors) if chosen else None
    _audit(request, "settlement.assignment", numbers, all_regions=all_regions, recommendation=chosen)
    return render(
        request,
        "web/settlement_cases/assignment.html",
        {
            "rows": rows,
            "total": wl.total,
            "capacity": capacity,
            "all_regions": all_regions,
            "regional": area is not None,
            "default_deadline": default_deadline,
            "done": done,
            "errors": errors
            if errors and not any(r["errors"] for r in rows) and not (recommendation or {}).get("errors")
            else {},
            "recommendation": recommendation,
        },
        status=status,
    )


# --- the municipality: proposals and agreements ------------------------------------------------------------


def _municipality(request) -> str | None:
    own = own_municipality(request.user)
    if own:
        return own
    chosen = (request.GET.get("kommune") or request.POST.get("kommune") or "").strip()
    return chosen if chosen and selectors.may_see_proposals(request.user, chosen) else None


@never_cache
@require_http_methods(["GET", "POST"])
def proposals_page(request):
    municipality = _municipality(request)
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    status = 200
    if request.method == "POST" and municipality:
        posted = {k: request.POST.get(k, "").strip() for k in ("proposal", "answer", "planned_date", "reason")}
        planned = _date(posted["planned_date"])
        if isinstance(planned, str):
            errors["planned_date"] = _("Dates are written dd.mm.yyyy.")
        elif posted["answer"] not in ("accept", "decline"):
            errors["answer"] = _("Choose accept or decline.")
        else:
            try:
                assignment.answer(
                    Acting.from_request(request),
                    int(posted["proposal"]) if posted["proposal"].isdigit() else 0,
                    accept=posted["answer"] == "accept",
                    planned_date=planned,
                    reason=posted["reason"],
                )
            except Proposal.DoesNotExist:
                errors["proposal"] = _("No such proposal.")
            except (SettlementRefused, AccessDenied, ChangedMeanwhile) as e:
                errors = _refusal(e)
            else:
                return HttpResponseRedirect(reverse("settlement_proposals") + "?besvart=1")
        status = 422
    rows = selectors.municipality_proposals(request.user, municipality) if municipality else []
    names = reference_names(timezone.localdate())
    for r in rows:
        r["case_url"] = reverse("settlement_case", args=[r["case"]])
        if r["case_row"]:
            _decorate([r["case_row"]], names)
        r["posted"] = posted if posted.get("proposal") == str(r["id"]) else {}
        r["errors"] = errors if posted.get("proposal") == str(r["id"]) else {}
        r["open"] = r["answer"] is None and not r["expired"]
    _audit(request, "settlement.proposals", [r["case"] for r in rows], municipality=municipality or "")
    return render(
        request,
        "web/settlement_cases/proposals.html",
        {
            "rows": rows,
            "municipality": _muni_name(names, municipality),
            "no_municipality": municipality is None,
            "today": timezone.localdate(),
            "answered": request.GET.get("besvart") == "1",
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def agreements_page(request):
    municipality = _municipality(request)
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    status = 200
    outcome = changes.Outcome()
    if request.method == "POST" and municipality and request.POST.get("form") in changes.AGREEMENT_FORMS:
        # «Endre planlagt dato» / «Avbryt avtale» (settlement_case_changes)
        outcome = changes.handle(request, request.POST.get("case", "").strip(), sees_needs=False)
        if outcome.done:
            query = f"?endret={outcome.done}" + ("" if own_municipality(request.user) else f"&kommune={municipality}")
            return HttpResponseRedirect(reverse("settlement_agreements") + query)
        status = outcome.status
    elif request.method == "POST" and municipality:
        posted = {k: request.POST.get(k, "").strip() for k in ("case", "settlement_date", "district")}
        day = _date(posted["settlement_date"])
        if day is None or isinstance(day, str):
            errors["settlement_date"] = _("Give the date the household moved in (dd.mm.yyyy).")
        else:
            try:
                assignment.settle(
                    Acting.from_request(request), posted["case"], settlement_date=day, district=posted["district"]
                )
            except SettlementCase.DoesNotExist:
                errors["case"] = _("No such settlement case.")
            except (SettlementRefused, AccessDenied, ChangedMeanwhile) as e:
                errors = _refusal(e)
            else:
                return HttpResponseRedirect(reverse("settlement_case", args=[posted["case"]]) + "?bosatt=1")
        status = 422
    rows = selectors.municipality_agreements(request.user, municipality) if municipality else []
    names = reference_names(timezone.localdate())
    for r in rows:
        r["case_url"] = reverse("settlement_case", args=[r["case"]])
        if r["case_row"]:
            _decorate([r["case_row"]], names)
        r["posted"] = posted if posted.get("case") == r["case"] else {}
        r["errors"] = errors if posted.get("case") == r["case"] else {}
        changes.agreement_row(r, request, outcome)
    _audit(request, "settlement.agreements", [r["case"] for r in rows], municipality=municipality or "")
    return render(
        request,
        "web/settlement_cases/agreements.html",
        {
            "rows": rows,
            "municipality": _muni_name(names, municipality),
            "no_municipality": municipality is None,
            "today": timezone.localdate(),
            "kommune": "" if own_municipality(request.user) else municipality or "",
            "changed": changes.done_message(request.GET.get("endret", "")),
            "general": outcome.errors.get("", "") if outcome.errors else "",
        },
        status=status,
    )
