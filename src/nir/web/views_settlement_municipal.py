"""Bosetting: a municipality's request, decision and capacity; IMDi's overview (issue 17 § 2,
``settlement.md`` § 1.2–1.4). No JavaScript needed: plain forms, re-shown with the input and each
field's message when refused.

    /bosetting/kommune/                 the municipality's request of the year (the latest sent round,
                                        read-only), its decision (kommunalt vedtak) with the form to
                                        register or change it, and the decision's history
    /bosetting/kapasitet/               capacity per period and kind with places used by agreements and
                                        left; the form to report a new line
    /bosetting/kapasitet/<id>/          one line: change it (with a reason), close it («fullt»), reopen
                                        it; its history
    /bosetting/vedtak/                  IMDi (and within their area county governors and county
                                        municipalities): requested, decided, agreed, settled and the
                                        capacity per kind of every municipality; county totals
    /bosetting/vedtak/eksport.<fmt>     the same table as CSV or XLSX (``nir.spreadsheet``)

Access: ``policy.WEB_RULES``; whose municipality: ``nir.access.settlement`` — a municipality's
settlement coordinator its own, IMDi's administrators any (chosen with ?kommune=NNNN); the overview
shows ``settlement_area``. Every write is a settlement action (``nir.settlement.actions.municipal``:
access, validation, append-only storage, audit event); the reads are counts of places, no persons.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from nir import spreadsheet
from nir.access import audit
from nir.access.policy import AccessDenied
from nir.access.settlement import acts_for_municipality, own_municipality, settlement_area
from nir.actions.acting import Acting
from nir.isodates import parse_typed_date
from nir.reference.models import County, Municipality
from nir.settlement import capacity
from nir.settlement.actions import municipal
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import CapacityKind, CapacityLine, DecisionStatus
from nir.settlement.store import ChangedMeanwhile
from nir.web.limits import export_rate_limited

MONTHS = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)
NEEDS = (
    ("accessible_housing", "tilrettelagt bolig"),
    ("mental_health_services", "psykisk helse"),
    ("specialist_health_services", "spesialisthelsetjeneste"),
)
MAX_TEXT = 2000


def _today() -> dt.date:
    return timezone.localdate()


def _year(raw: str | None, default: int) -> int:
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and municipal.FIRST_YEAR <= int(raw) <= default + 1:
        return int(raw)
    return default


def _years(today: dt.date) -> list[int]:
    return list(range(today.year + 1, municipal.FIRST_YEAR - 1, -1))


def _municipality_names() -> dict[str, str]:
    return dict(Municipality.objects.valid_on(_today()).order_by("number").values_list("number", "name"))


def _chosen_municipality(request) -> tuple[str | None, bool, dict[str, str]]:
    """The municipality the page is about: the user's own, or (IMDi's administrators, who act for
    every municipality) the one chosen with ?kommune= / the form's kommune. Also whether the user
    chooses, and the municipalities' names."""
    names = _municipality_names()
    own = own_municipality(request.user)
    if own is not None and acts_for_municipality(request.user, own):
        return own, False, names
    raw = (request.POST.get("kommune") or request.GET.get("kommune") or "").strip()[:4]
    if raw in names and acts_for_municipality(request.user, raw):
        return raw, True, names
    # no own municipality: IMDi's administrators, who act for every one, choose (any number answers alike)
    return None, acts_for_municipality(request.user, next(iter(names), "")), names


def _int(raw: str | None) -> Any:
    """A whole number typed into a form, or the raw text (the action then names the field)."""
    raw = (raw or "").strip().replace(" ", "").replace("\u00a0", "")
    if raw.lstrip("-").isdigit() and len(raw) < 10:
        return int(raw)
    return raw if raw else None


def _date(raw: str | None) -> dt.date | None | str:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return parse_typed_date(raw)
    except ValueError:
        return raw


def _refusal_errors(e: SettlementRefused) -> dict[str, str]:
    return dict(getattr(e, "errors", None) or {e.field: e.message})


def _base_query(municipality: str | None, choosing: bool, year: int | None = None) -> str:
    params = {}
    if choosing and municipality:
        params["kommune"] = municipality
    if year is not None:
        params["aar"] = str(year)
    return ("?" + urlencode(params)) if params else ""


# --- the municipality's request and decision ------------------------------------------------------


def _decision_form(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": values.get("status", DecisionStatus.DECIDED),
        "persons": values.get("persons", ""),
        "um_persons": values.get("um_persons", ""),
        "decision_date": values.get("decision_date", ""),
        "note": values.get("note", ""),
        "reason": values.get("reason", ""),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def municipal_page(request):
    today = _today()
    municipality, choosing, names = _chosen_municipality(request)
    source = request.POST if request.method == "POST" else request.GET
    year = _year(source.get("aar"), today.year)
    errors: dict[str, str] = {}
    form = _decision_form({})
    status = 200
    if request.method == "POST" and municipality is not None:
        form = _decision_form({k: request.POST.get(k, "") for k in _decision_form({})})
        expected = _int(request.POST.get("expected"))
        try:
            municipal.register_decision(
                Acting.from_request(request),
                municipality,
                year,
                status=form["status"],
                persons=_int(form["persons"]) if form["persons"] != "" else 0,
                um_persons=_int(form["um_persons"]) if form["um_persons"] != "" else 0,
                decision_date=_date(form["decision_date"]),  # type: ignore[arg-type]
                note=form["note"][: MAX_TEXT + 1],
                reason=form["reason"][: MAX_TEXT + 1],
                expected=expected if isinstance(expected, int) else None,
            )
        except SettlementRefused as e:
            errors, status = _refusal_errors(e), 422
        except ChangedMeanwhile:
            errors = {"expected": _("The decision was changed by someone else meanwhile; see the history below.")}
            status = 409
        except AccessDenied:
            raise Http404(_("Unknown municipality")) from None
        else:
            messages.success(request, _("The decision is registered."))
            return redirect(reverse("settlement_municipal") + _base_query(municipality, choosing, year))
    context: dict[str, Any] = {
        "municipality": municipality,
        "municipality_name": names.get(municipality or "", ""),
        "choosing": choosing,
        "municipalities": list(names.items()) if choosing else [],
        "year": year,
        "years": _years(today),
        "errors": errors,
        "form": form,
        "statuses": DecisionStatus.choices,
        "today": today,
    }
    if municipality is not None:
        current = capacity.current_decision(municipality, year)
        if request.method == "GET" and current is not None:
            form = _decision_form(
                {
                    "status": current.status,
                    "persons": current.persons,
                    "um_persons": current.um_persons,
                    "decision_date": current.decision_date.strftime("%d.%m.%Y"),
                    "note": current.note,
                }
            )
            context["form"] = form
        context.update(
            request_line=capacity.request_for(municipality, year),
            current=current,
            history=capacity.decision_history(municipality, year),
            capacity_url=reverse("settlement_capacity") + _base_query(municipality, choosing, year),
        )
    return render(request, "web/settlements/municipal.html", context, status=status)


# --- capacity ------------------------------------------------------------------------------------


def _capacity_form(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": values.get("kind", ""),
        "from_month": str(values.get("from_month", "")),
        "to_month": str(values.get("to_month", "")),
        "places": values.get("places", ""),
        "largest_household": values.get("largest_household", ""),
        "accessible_housing": bool(values.get("accessible_housing")),
        "mental_health_services": bool(values.get("mental_health_services")),
        "specialist_health_services": bool(values.get("specialist_health_services")),
        "note": values.get("note", ""),
        "reason": values.get("reason", ""),
    }


def _posted_capacity(request, year: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The capacity form as posted (to re-show), the action's fields, and the period's own errors."""
    form = _capacity_form(
        {
            **{k: request.POST.get(k, "") for k in ("kind", "from_month", "to_month", "places", "largest_household")},
            **{k: request.POST.get(k) == "on" for k, _label in NEEDS},
            "note": request.POST.get("note", "")[: MAX_TEXT + 1],
            "reason": request.POST.get("reason", "")[: MAX_TEXT + 1],
        }
    )
    errors: dict[str, str] = {}
    months: dict[str, int] = {}
    for field in ("from_month", "to_month"):
        m = _int(form[field])
        if isinstance(m, int) and 1 <= m <= 12:
            months[field] = m
        else:
            errors["period_from" if field == "from_month" else "period_to"] = _("Choose a month.")
    start = dt.date(year, months["from_month"], 1) if "from_month" in months else None
    end = None
    if "to_month" in months:
        m = months["to_month"]
        end = dt.date(year + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
    largest = _int(form["largest_household"])
    fields = {
        "kind": form["kind"],
        "period_from": start,
        "period_to": end,
        "places": _int(form["places"]),
        "largest_household": largest if form["kind"] == CapacityKind.FAMILIES or largest is not None else None,
        **{k: form[k] for k, _label in NEEDS},
        "note": form["note"],
    }
    return form, fields, errors


def _line_rows(uses: list[capacity.LineUse], query: str) -> list[dict[str, Any]]:
    rows = []
    for u in uses:
        line = u.line
        rows.append(
            {
                "line": line,
                "period": _period_label(line.period_from, line.period_to),
                "kind": CapacityKind(line.kind).label,
                "needs": ", ".join(label for field, label in NEEDS if getattr(line, field)),
                "used": u.used,
                "remaining": u.remaining,
                "over": u.over,
                "url": reverse("settlement_capacity_line", args=[line.pk]) + query,
            }
        )
    return rows


def _period_label(start: dt.date, end: dt.date) -> str:
    if start.month == end.month:
        return f"{MONTHS[start.month - 1]} {start.year}"
    return f"{MONTHS[start.month - 1]}–{MONTHS[end.month - 1]} {start.year}"


@never_cache
@require_http_methods(["GET", "POST"])
def capacity_page(request):
    today = _today()
    municipality, choosing, names = _chosen_municipality(request)
    source = request.POST if request.method == "POST" else request.GET
    year = _year(source.get("aar"), today.year)
    errors: dict[str, str] = {}
    form = _capacity_form({})
    status = 200
    if request.method == "POST" and municipality is not None:
        form, fields, errors = _posted_capacity(request, year)
        if not errors:
            try:
                municipal.add_capacity(Acting.from_request(request), municipality, **fields)
            except SettlementRefused as e:
                errors = _refusal_errors(e)
            except AccessDenied:
                raise Http404(_("Unknown municipality")) from None
            else:
                messages.success(request, _("The capacity is registered."))
                return redirect(reverse("settlement_capacity") + _base_query(municipality, choosing, year))
        status = 422
    query = _base_query(municipality, choosing)
    context: dict[str, Any] = {
        "municipality": municipality,
        "municipality_name": names.get(municipality or "", ""),
        "choosing": choosing,
        "municipalities": list(names.items()) if choosing else [],
        "year": year,
        "years": _years(today),
        "errors": errors,
        "form": form,
        "kinds": CapacityKind.choices,
        "months": list(enumerate(MONTHS, start=1)),
        "needs": NEEDS,
        "rows": _line_rows(capacity.capacity_lines(municipality, year=year), query) if municipality else [],
        "decision_url": reverse("settlement_municipal") + _base_query(municipality, choosing, year),
    }
    return render(request, "web/settlements/capacity.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def capacity_line_page(request, line_id: int):
    row = capacity.line_for(request.user, line_id)
    if row is None:
        raise Http404(_("Unknown capacity line"))
    own = own_municipality(request.user)
    choosing = own != row.municipality
    query = _base_query(row.municipality, choosing)
    if row.superseded_at is not None:  # an older version: the line as it is now
        current = CapacityLine.objects.current().filter(key=row.key).first()
        if current is None:
            raise Http404(_("Unknown capacity line"))
        return redirect(reverse("settlement_capacity_line", args=[current.pk]) + query)
    errors: dict[str, str] = {}
    status = 200
    form = _capacity_form(
        {
            "kind": row.kind,
            "from_month": row.period_from.month,
            "to_month": row.period_to.month,
            "places": row.places,
            "largest_household": row.largest_household if row.largest_household is not None else "",
            **{k: getattr(row, k) for k, _label in NEEDS},
            "note": row.note,
        }
    )
    if request.method == "POST":
        action = request.POST.get("handling", "")
        acting = Acting.from_request(request)
        reason = request.POST.get("reason", "")[: MAX_TEXT + 1]
        try:
            if action == "steng":
                municipal.close_capacity(acting, row.pk, reason=reason)
                done = _("The capacity is closed.")
            elif action == "gjenapne":
                municipal.reopen_capacity(acting, row.pk, reason=reason)
                done = _("The capacity is open again.")
            else:
                form, fields, errors = _posted_capacity(request, row.period_from.year)
                if errors:
                    raise municipal.MunicipalRefused(errors)
                municipal.change_capacity(acting, row.pk, reason=form["reason"], **fields)
                done = _("The capacity is changed.")
        except SettlementRefused as e:
            errors, status = _refusal_errors(e), 422
        except ChangedMeanwhile:
            errors = {"reason": _("The line was changed by someone else meanwhile; see the history below.")}
            status = 409
        except AccessDenied:
            raise Http404(_("Unknown capacity line")) from None
        else:
            messages.success(request, done)
            return redirect(
                reverse("settlement_capacity") + _base_query(row.municipality, choosing, row.period_from.year)
            )
    uses = {u.line.pk: u for u in capacity.capacity_lines(row.municipality, year=row.period_from.year)}
    use = uses.get(row.pk)
    names = _municipality_names()
    context = {
        "line": row,
        "municipality": row.municipality,
        "municipality_name": names.get(row.municipality, ""),
        "period": _period_label(row.period_from, row.period_to),
        "kind": CapacityKind(row.kind).label,
        "used": use.used if use else 0,
        "remaining": use.remaining if use else 0,
        "errors": errors,
        "form": form,
        "kinds": CapacityKind.choices,
        "months": list(enumerate(MONTHS, start=1)),
        "needs": NEEDS,
        "history": [
            {"row": v, "period": _period_label(v.period_from, v.period_to), "kind": CapacityKind(v.kind).label}
            for v in capacity.capacity_history(row.key)
        ],
        "back_url": reverse("settlement_capacity") + _base_query(row.municipality, choosing, row.period_from.year),
    }
    return render(request, "web/settlements/capacity_line.html", context, status=status)


# --- IMDi's overview -----------------------------------------------------------------------------


def _overview(request) -> dict[str, Any]:
    today = _today()
    year = _year(request.GET.get("aar"), today.year)
    area = settlement_area(request.user)
    munis = capacity.municipalities(year, area=area)
    counties_in = sorted({c for _n, c, _cn in munis.values()})
    county_names = dict(County.objects.valid_on(dt.date(year, 1, 1)).values_list("number", "name"))
    county = request.GET.get("fylke", "").strip()[:2]
    if county not in counties_in:
        county = ""
    rows = capacity.overview(year, area=area, county=county or None) if munis else []
    by_county, everything = capacity.totals(rows)
    return {
        "year": year,
        "years": _years(today),
        "county": county,
        "counties": [(c, county_names.get(c, "")) for c in counties_in],
        "rows": rows,
        "by_county": by_county,
        "total": everything,
        "kinds": CapacityKind.choices,
        "area": area,
        "round": capacity.latest_sent_round(year),
    }


def _share(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f} %"


@never_cache
@require_GET
def decisions_overview(request):
    data = _overview(request)
    query = urlencode({k: v for k, v in (("aar", data["year"]), ("fylke", data["county"])) if v})
    audit.record(
        request=request,
        action="statistics",
        channel="web",
        what="settlement.decisions",
        filters={"year": data["year"], "county": data["county"], "municipalities": len(data["rows"])},
    )
    rows = [
        {
            "r": r,
            "coverage": _share(r.coverage),
            "capacity": [r.capacity[k] for k, _label in CapacityKind.choices],
        }
        for r in data["rows"]
    ]
    counties = [
        {
            "t": t,
            "coverage": _share(t.coverage),
            "decided_share": _share(t.decided_share),
            "capacity": [t.capacity[k] for k, _label in CapacityKind.choices],
        }
        for t in [*data["by_county"], data["total"]]
    ]
    return render(
        request,
        "web/settlements/decisions.html",
        {
            **data,
            "table": rows,
            "county_totals": counties,
            "downloads": [
                ("CSV", reverse("settlement_decisions_export", args=["csv"]) + ("?" + query if query else "")),
                (
                    "Excel (xlsx)",
                    reverse("settlement_decisions_export", args=["xlsx"]) + ("?" + query if query else ""),
                ),
            ],
        },
    )


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@never_cache
@require_GET
@export_rate_limited
def decisions_export(request, fmt: str):
    """The overview's table, every municipality shown, as CSV or XLSX (``nir.spreadsheet``)."""
    if fmt not in EXPORT_TYPES:
        raise Http404(_("Unknown format"))
    data = _overview(request)
    kinds = CapacityKind.choices
    header = [
        _("Municipality number"),
        _("Municipality"),
        _("County"),
        _("Requested"),
        _("Requested, unaccompanied minors"),
        _("Decision"),
        _("Decided"),
        _("Decided, unaccompanied minors"),
        _("Decision date"),
        _("Agreements (persons)"),
        _("Settled (persons)"),
        *[f"{label}: {what}" for _k, label in kinds for what in (_("places"), _("used"), _("remaining"))],
        _("Capacity coverage of the request"),
    ]
    table: list[list[Any]] = [[spreadsheet.Header(h) for h in header]]
    for r in data["rows"]:
        table.append(
            [
                r.municipality,
                r.name,
                r.county_name,
                r.requested,
                r.requested_um,
                r.status_label,
                r.decided if r.status else None,
                r.decided_um if r.status else None,
                r.decision_date,
                r.agreed,
                r.settled,
                *[
                    v
                    for k, _label in kinds
                    for v in (r.capacity[k].places, r.capacity[k].used, r.capacity[k].remaining)
                ],
                spreadsheet.Share(r.coverage) if r.coverage is not None else None,
            ]
        )
    rnd = data["round"]
    about = [
        [_("Decisions and capacity"), ""],
        [_("Year"), data["year"]],
        [_("County"), data["county"] or _("All")],
        [
            _("Request"),
            _("Request round %(n)s, sent %(day)s") % {"n": rnd.number, "day": f"{rnd.sent_at:%d.%m.%Y}"}
            if rnd
            else _("No request sent yet"),
        ],
        [_("Computed"), timezone.now()],
    ]
    if fmt == "csv":
        buf = io.StringIO()
        spreadsheet.write_csv(buf, table)
        body = buf.getvalue().encode("utf-8-sig")
    else:
        out = io.BytesIO()
        spreadsheet.write_xlsx(
            out,
            [spreadsheet.Sheet(_("Decisions and capacity"), table), spreadsheet.Sheet(_("About the table"), about)],
        )
        body = out.getvalue()
    audit.record(
        request=request,
        action="export",
        channel="web",
        what="settlement.decisions",
        filters={"year": data["year"], "county": data["county"], "format": fmt, "municipalities": len(data["rows"])},
    )
    response = HttpResponse(body, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="vedtak-og-kapasitet-{data["year"]}.{fmt}"'
    return response
