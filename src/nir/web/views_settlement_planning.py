"""Bosetting for IMDi: the need (bosettingsbehov) and the request (anmodning), ``settlement.md`` §§ 1.1–1.2.

    /bosetting/behov/?aar=YYYY                          the year's need, every version, a form to set/revise
    /bosetting/anmodning/?aar=YYYY                      the year's request rounds; compute a new round
    /bosetting/anmodning/<år>/<runde>/                  the distribution over the municipalities: sortable,
                                                        filterable by county; send the round
    /bosetting/anmodning/<år>/<runde>/eksport.csv|xlsx  the same with the score breakdown per criterion
    /bosetting/anmodning/<år>/<runde>/<kommune>/        one municipality: the breakdown by criterion, its
                                                        versions; adjust the figure with a reason

Access: ``policy.WEB_RULES`` (``settlement.plan``: IMDi's national settlement staff and administrators);
the writes go through ``nir.settlement.actions.planning`` (access check, storage, audit). No page shows a
person. While the indicators are synthetic every page and export that shows them says so.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from nir import spreadsheet
from nir.access import audit
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.isodates import parse_typed_date
from nir.reports.charts import format_number
from nir.settlement import indicators, planning_reads, store
from nir.settlement import request as rq
from nir.settlement.actions import planning
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import RequestRound
from nir.web.limits import export_rate_limited
from nir.web.views_overview import _sort_headers, reference_names

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NEED_FIELDS = ("year", "persons", "um_persons", "decided_on", "decided_by", "note", "reason")
ADJUST_FIELDS = ("persons", "um_persons", "reason")


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _year(request) -> int:
    raw = (request.POST.get("aar") or request.GET.get("aar") or "").strip()
    if raw.isdigit() and planning.MIN_YEAR <= int(raw) <= planning.MAX_YEAR:
        return int(raw)
    years = planning_reads.need_years()
    return years[0] if years else timezone.localdate().year


def _years(year: int) -> list[int]:
    this = timezone.localdate().year
    return sorted(set(planning_reads.need_years()) | {this, this + 1, year}, reverse=True)


def _int(raw: str) -> int | str:
    raw = raw.strip().replace(" ", "").replace("\u00a0", "")
    return int(raw) if raw.isdigit() else raw


def _fmt(value, decimals: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return f"{value:.{decimals}f}".replace(".", ",")


# --- /bosetting/behov/ ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def need_page(request):
    year = _year(request)
    errors: dict[str, str] = {}
    raw = {k: "" for k in NEED_FIELDS}
    status = 200
    if request.method == "POST":
        raw = {k: request.POST.get(k, "").strip() for k in NEED_FIELDS}
        decided_on = None
        try:
            decided_on = parse_typed_date(raw["decided_on"])
        except ValueError:
            errors["decided_on"] = _("Enter the date the need was set (dd.mm.yyyy).")
        replaces = request.POST.get("replaces", "").strip()
        if not errors:
            try:
                need = planning.set_need(
                    Acting.from_request(request),
                    year=year,
                    persons=_int(raw["persons"]),
                    um_persons=_int(raw["um_persons"]),
                    decided_on=decided_on,
                    decided_by=raw["decided_by"] or "Nasjonalt utvalg",
                    note=raw["note"],
                    reason=raw["reason"],
                    replaces=int(replaces) if replaces.isdigit() else None,
                )
            except AccessDenied as e:
                raise PermissionDenied(str(e)) from None
            except SettlementRefused as e:
                errors[e.field if e.field in NEED_FIELDS else "persons"] = e.message
            except store.ChangedMeanwhile:
                errors["persons"] = _("Someone else changed the need meanwhile. Look at the new version and try again.")
            else:
                messages.success(
                    request,
                    _("Need for %(year)s saved: %(persons)s persons, %(um)s of them unaccompanied minors.")
                    % {"year": year, "persons": format_number(need.persons), "um": format_number(need.um_persons)},
                )
                return _see_other(reverse("settlement_need") + f"?aar={year}")
        status = 422
    versions = planning_reads.need_versions(year)
    current = next((v for v in versions if v.superseded_at is None and v.operation != "annul"), None)
    if request.method == "GET" and current is not None:
        raw.update(
            persons=str(current.persons),
            um_persons=str(current.um_persons),
            decided_by=current.decided_by,
            decided_on="",
        )
    return render(
        request,
        "web/settlement_planning/need.html",
        {
            "year": year,
            "years": _years(year),
            "versions": versions,
            "current": current,
            "raw": raw,
            "errors": [(f"behov-{k}", v) for k, v in errors.items()],
            "error_of": errors,
            "requests_url": reverse("settlement_requests") + f"?aar={year}",
        },
        status=status,
    )


# --- /bosetting/anmodning/ -----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def requests_page(request):
    year = _year(request)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            rnd = planning.compute_round(Acting.from_request(request), year, note=request.POST.get("note", "")[:2000])
        except AccessDenied as e:
            raise PermissionDenied(str(e)) from None
        except SettlementRefused as e:
            error, status = e.message, 422
        else:
            messages.success(
                request,
                _("Round %(number)s is computed. Check it, adjust if needed, and send it.") % {"number": rnd.number},
            )
            return _see_other(reverse("settlement_request_round", args=[year, rnd.number]))
    dataset = planning_reads.latest_dataset()
    rounds = planning_reads.rounds(year)
    in_force = next((r for r in rounds if r.sent_at is not None), None)
    try:
        criteria = rq.criteria_for(timezone.localdate())
    except rq.RequestError:
        criteria = None
    return render(
        request,
        "web/settlement_planning/requests.html",
        {
            "year": year,
            "years": _years(year),
            "need": planning_reads.current_need(year),
            "need_url": reverse("settlement_need") + f"?aar={year}",
            "dataset": dataset,
            "synthetic_label": indicators.SYNTHETIC_LABEL,
            "criteria": criteria,
            "rounds": [
                {
                    "round": r,
                    "url": reverse("settlement_request_round", args=[year, r.number]),
                    "in_force": in_force is not None and r.pk == in_force.pk,
                }
                for r in rounds
            ],
            "error": error,
        },
        status=status,
    )


# --- /bosetting/anmodning/<år>/<runde>/ ----------------------------------------------------------

ROUND_SORTS = ("municipality", "name", "county", "population", "score", "computed", "persons", "um")


def _round(year: int, number: int) -> RequestRound:
    rnd = planning_reads.round_of(year, number)
    if rnd is None:
        raise Http404(_("Unknown request round"))
    return rnd


def _rows(rnd: RequestRound) -> list[dict]:
    """The round's current lines with the municipality's name and county (reference data, else the file)."""
    munis = reference_names(timezone.localdate())["municipalities"]
    extra = {r["municipality"]: r for r in planning_reads.dataset_records(rnd.dataset)}
    rows = []
    for line in planning_reads.round_lines(rnd):
        name, county, county_name = munis.get(line.municipality, ("", "", ""))
        rec = extra.get(line.municipality, {})
        b = line.breakdown or {}
        rows.append(
            {
                "line": line,
                "municipality": line.municipality,
                "name": name or rec.get("name", ""),
                "county": county or rec.get("county", line.municipality[:2]),
                "county_name": county_name,
                "population": b.get("population", rec.get("population")),
                "score": b.get("score", 0.0),
                "share": b.get("share", 0.0),
                "asked": b.get("asked", True),
                "not_asked_reason": b.get("not_asked_reason", ""),
                "computed": line.computed_persons,
                "computed_um": line.computed_um,
                "persons": line.persons,
                "um": line.um_persons,
                "adjusted": line.supersedes_id is not None,
                "reason": line.change_reason,
                "breakdown": b,
            }
        )
    return rows


def _sorted(rows: list[dict], sort: str) -> list[dict]:
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if key not in ROUND_SORTS:
        key = "municipality"
    return sorted(rows, key=lambda r: (r[key] if r[key] is not None else -1, r["municipality"]), reverse=descending)


@never_cache
@require_http_methods(["GET", "POST"])
def round_page(request, year: int, number: int):
    rnd = _round(year, number)
    error, status = "", 200
    if request.method == "POST":
        try:
            planning.send_round(Acting.from_request(request), rnd)
        except AccessDenied as e:
            raise PermissionDenied(str(e)) from None
        except SettlementRefused as e:
            error, status = e.message, 422
        except store.ChangedMeanwhile:
            error, status = _("Someone else sent the round meanwhile."), 409
        else:
            messages.success(request, _("Round %(number)s is sent to the municipalities.") % {"number": rnd.number})
            return _see_other(reverse("settlement_request_round", args=[year, number]))
        rnd = _round(year, number)
    rows = _rows(rnd)
    counties = sorted({(r["county"], r["county_name"]) for r in rows})
    county = request.GET.get("fylke", "").strip()[:2]
    if county not in {c for c, _n in counties}:
        county = ""
    shown = [r for r in rows if not county or r["county"] == county]
    sort = request.GET.get("sort", "municipality")[:20]
    shown = _sorted(shown, sort)
    columns = [
        {"key": "municipality", "header": _("Municipality"), "sortable": True},
        {"key": "county", "header": _("County"), "sortable": True},
        {"key": "population", "header": _("Population"), "sortable": True},
        {"key": "score", "header": _("Score"), "sortable": True},
        {"key": "computed", "header": _("Computed"), "sortable": True},
        {"key": "persons", "header": _("Requested"), "sortable": True},
        {"key": "um", "header": _("Of whom unaccompanied minors"), "sortable": True},
    ]
    base = reverse("settlement_request_round", args=[year, number])
    query = {"fylke": county, "sort": sort}
    later_sent = planning_reads.latest_sent_round(year)
    need = planning_reads.current_need(year)
    total = sum(r["persons"] for r in rows)
    total_um = sum(r["um"] for r in rows)
    return render(
        request,
        "web/settlement_planning/round.html",
        {
            "round": rnd,
            "year": year,
            "headers": _sort_headers(columns, sort, base, query),
            "rows": [
                dict(
                    r,
                    url=reverse("settlement_request_line", args=[year, number, r["municipality"]]),
                    score_text=_fmt(r["score"]),
                    population_text=format_number(r["population"] or 0),
                )
                for r in shown
            ],
            "counties": counties,
            "county": county,
            "shown_total": sum(r["persons"] for r in shown),
            "shown_um": sum(r["um"] for r in shown),
            "total": total,
            "total_um": total_um,
            "asked": sum(1 for r in rows if r["persons"] > 0),
            "asked_um": sum(1 for r in rows if r["um"] > 0),
            "adjusted": sum(1 for r in rows if r["adjusted"]),
            "need": rnd.need,
            "need_now": need,
            "need_changed": need is not None and need.pk != rnd.need_id,
            "difference": total - rnd.need.persons,
            "difference_um": total_um - rnd.need.um_persons,
            "in_force": later_sent is not None and later_sent.pk == rnd.pk,
            "superseded_by": later_sent if later_sent is not None and later_sent.number > rnd.number else None,
            "synthetic": rnd.dataset.synthetic,
            "synthetic_label": indicators.SYNTHETIC_LABEL,
            "export_csv": reverse("settlement_request_export", args=[year, number, "csv"])
            + ("?" + urlencode({"fylke": county}) if county else ""),
            "export_xlsx": reverse("settlement_request_export", args=[year, number, "xlsx"])
            + ("?" + urlencode({"fylke": county}) if county else ""),
            "requests_url": reverse("settlement_requests") + f"?aar={year}",
            "error": error,
        },
        status=status,
    )


@never_cache
@require_GET
@export_rate_limited
def round_export(request, year: int, number: int, fmt: str):
    """The distribution as CSV or XLSX (``nir.spreadsheet``): the figures and, per criterion, the
    indicator value, normalised value and contribution; a sheet about the round (need, criteria
    version and hash, the indicators' source, and that they are synthetic)."""
    if fmt not in EXPORT_TYPES:
        raise Http404(_("Unknown format"))
    rnd = _round(year, number)
    county = request.GET.get("fylke", "").strip()[:2]
    rows = [r for r in _rows(rnd) if not county or r["county"] == county]
    criteria = rows[0]["breakdown"].get("criteria", []) if rows else []
    header = [
        _("Municipality number"),
        _("Municipality"),
        _("County"),
        _("Population"),
        _("Is asked"),
        _("Score"),
        _("Share"),
        _("Computed"),
        _("Computed, unaccompanied minors"),
        _("Requested"),
        _("Of whom unaccompanied minors"),
        _("Reason for adjustment"),
    ]
    for c in criteria:
        header += [
            f"{c['label']}: {_('value')}",
            f"{c['label']}: {_('normalised')}",
            f"{c['label']}: {_('contribution')}",
        ]
    table: list[list] = [[spreadsheet.Header(h) for h in header]]
    for r in rows:
        cells = [
            r["municipality"],
            r["name"],
            r["county"],
            r["population"],
            _("Yes") if r["asked"] else _("No"),
            round(r["score"], 6),
            round(r["share"], 6),
            r["computed"],
            r["computed_um"],
            r["persons"],
            r["um"],
            r["reason"],
        ]
        for c in r["breakdown"].get("criteria", []):
            cells += [c["value"], round(c["normalised"], 6), round(c["contribution"], 6)]
        table.append(cells)
    about = [
        [_("Request round"), f"{rnd.year} / {rnd.number}"],
        [
            _("Status"),
            _("Sent %(when)s") % {"when": timezone.localtime(rnd.sent_at).strftime("%d.%m.%Y %H:%M")}
            if rnd.sent_at
            else _("Draft"),
        ],
        [_("Settlement need"), f"{rnd.need.persons} ({_('of whom unaccompanied minors')} {rnd.need.um_persons})"],
        [_("Criteria (version)"), rnd.parameters_version],
        [_("Criteria (SHA-256)"), rnd.parameters_sha256],
        [_("Indicators"), f"{rnd.dataset.name} ({rnd.dataset.file_sha256})"],
        [_("County"), county],
    ]
    if rnd.dataset.synthetic:
        about.insert(0, [indicators.SYNTHETIC_LABEL, ""])
        table.insert(0, [indicators.SYNTHETIC_LABEL])
    if fmt == "csv":
        buf = io.StringIO()
        spreadsheet.write_csv(buf, table)
        body = buf.getvalue().encode("utf-8-sig")
    else:
        out = io.BytesIO()
        spreadsheet.write_xlsx(
            out, [spreadsheet.Sheet(_("Request"), table), spreadsheet.Sheet(_("About the table"), about)]
        )
        body = out.getvalue()
    audit.record(
        request=request,
        action="export",
        channel="web",
        what="settlement.request_round",
        filters={"year": year, "round": number, "county": county, "format": fmt, "municipalities": len(rows)},
    )
    response = HttpResponse(body, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="anmodning-{year}-runde-{number}.{fmt}"'
    return response


# --- /bosetting/anmodning/<år>/<runde>/<kommune>/ ------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def line_page(request, year: int, number: int, nr: str):
    rnd = _round(year, number)
    lines = planning_reads.round_lines(rnd, nr)
    if not lines:
        raise Http404(_("Unknown municipality"))
    line = lines[0]
    errors: dict[str, str] = {}
    raw = {"persons": str(line.persons), "um_persons": str(line.um_persons), "reason": ""}
    status = 200
    if request.method == "POST":
        raw = {k: request.POST.get(k, "").strip() for k in ADJUST_FIELDS}
        replaces = request.POST.get("replaces", "").strip()
        try:
            if replaces.isdigit() and int(replaces) != line.pk:
                raise store.ChangedMeanwhile("line")
            planning.adjust_request(
                Acting.from_request(request),
                line,
                persons=_int(raw["persons"]),
                um_persons=_int(raw["um_persons"]),
                reason=raw["reason"],
            )
        except AccessDenied as e:
            raise PermissionDenied(str(e)) from None
        except SettlementRefused as e:
            errors[e.field if e.field in ADJUST_FIELDS else "persons"] = e.message
        except store.ChangedMeanwhile:
            errors["persons"] = _("Someone else changed the figure meanwhile. Look at the new version and try again.")
        else:
            messages.success(request, _("The request to %(nr)s is adjusted.") % {"nr": nr})
            return _see_other(reverse("settlement_request_line", args=[year, number, nr]))
        status = 422
    munis = reference_names(timezone.localdate())["municipalities"]
    name, county, county_name = munis.get(nr, ("", nr[:2], ""))
    b = line.breakdown or {}
    criteria = [
        dict(
            c,
            value_text=_fmt(c.get("value")),
            normalised_text=_fmt(c.get("normalised")),
            weight_text=_fmt(c.get("weight")),
            contribution_text=_fmt(c.get("contribution")),
            scope_text=_("BA region") if c.get("scope") == "ba_region" else _("Municipality"),
            better_text=_("higher is better") if c.get("better") == "higher" else _("lower is better"),
        )
        for c in b.get("criteria", [])
    ]
    um = b.get("um", {})
    return render(
        request,
        "web/settlement_planning/line.html",
        {
            "round": rnd,
            "year": year,
            "nr": nr,
            "name": name,
            "county_name": county_name,
            "line": line,
            "breakdown": b,
            "criteria": criteria,
            "score_text": _fmt(b.get("score")),
            "share_text": _fmt((b.get("share") or 0) * 100, 2),
            "quota_text": _fmt(b.get("quota"), 2),
            "um": um,
            "um_share_text": _fmt((um.get("share") or 0) * 100, 2),
            "um_quota_text": _fmt(um.get("quota"), 2),
            "history": planning_reads.line_history(rnd, nr),
            "raw": raw,
            "errors": [(f"justering-{k}", v) for k, v in errors.items()],
            "error_of": errors,
            "round_url": reverse("settlement_request_round", args=[year, number]),
            "synthetic": rnd.dataset.synthetic,
            "synthetic_label": indicators.SYNTHETIC_LABEL,
        },
        status=status,
    )
