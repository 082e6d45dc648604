"""Arbeidsflate, Bosetting and Kommuner: the overview pages of persons in the user's scope.

    /arbeidsflate/                  the work list: one block per section of ``nir.reports.worklist``,
                                    each loaded by htmx (hx-trigger="load"); ?inline=1 (and every
                                    browser without JavaScript, through <noscript>) renders them all
    /arbeidsflate/<section>/        with HX-Request: one block (count + first rows) as a fragment;
                                    without: the section's full list, sortable, 50 rows a page
    /bosetting/                     settlements of the persons in scope: filters, counts per
                                    municipality and month, the list of persons settled
    /kommuner/                      every municipality (reference data), searchable; key figures
                                    only for those in the user's scope
    /kommuner/<nr>/                 one municipality: key figures by category and district, links

Every list of persons is one or two bounded statements (``nir.reports.worklist``) and one audit
event with the persons shown; the key figures are GROUP BY counts in the database (an audit event
of kind «statistics», no persons).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import math
import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nir import codes, spreadsheet
from nir.access import audit, policy
from nir.access.settlement import sees_settlement_landing
from nir.reference.models import County, District, Municipality
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS, LAW_LABELS
from nir.reports import worklist
from nir.reports.areas import AreaLabels
from nir.reports.charts import format_number
from nir.reports.registry import REPORTS, SCHEMES
from nir.reports.worklist import FIGURE_LABELS, GROUPS, LIST_FIGURES, PERSON_FIGURES, SECTIONS
from nir.rules import plausibility
from nir.web import settlement_landing
from nir.web.limits import export_rate_limited

BLOCK_ROWS = 5
PAGE_SIZE = 50
_DIGITS = re.compile(r"^\d{4}$")


# --- shared helpers ---------------------------------------------------------------------------------


def person_url(duf: str) -> str:
    """The person page (``person``, built by the Personer pages)."""
    return reverse("person", args=[duf])


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    items = [(k, v) for k, v in query.items() if v not in (None, "")]
    return url + ("?" + urlencode(items) if items else "")


def reference_names(today: dt.date) -> dict:
    """{"municipalities": {nr: (name, county nr, county name)}, "districts": {nr: (name, municipality)}},
    the reference data valid today (cached: 357 municipalities change once a year)."""
    key = f"nir:overview:names:{today.isoformat()}"
    names = cache.get(key)
    if names is None:
        counties = dict(County.objects.valid_on(today).values_list("number", "name"))
        munis = {}
        for number, name, county in (
            Municipality.objects.valid_on(today).order_by("number").values_list("number", "name", "county__number")
        ):
            munis[number] = (name, county, counties.get(county, ""))
        districts = {
            number: (name, muni)
            for number, name, muni in District.objects.valid_on(today)
            .order_by("number")
            .values_list("number", "name", "municipality_number")
        }
        names = {"municipalities": munis, "districts": districts}
        cache.set(key, names, 3600)
    return names


def _place(names: dict, municipality: str | None, district: str | None = "") -> str:
    if not municipality:
        return "–"
    text = f"{municipality} {names['municipalities'].get(municipality, ('',))[0]}".strip()
    if district:
        text += f", {district} {names['districts'].get(district, ('',))[0]}".rstrip()
    return text


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _pager(url: str, query: dict, page: int, pages: int) -> dict:
    def link(n):
        return (
            url
            + "?"
            + urlencode([(k, v) for k, v in {**query, "page": n if n > 1 else ""}.items() if v not in (None, "")])
        )

    return {
        "page": page,
        "pages": pages,
        "prev_url": link(page - 1) if page > 1 else "",
        "next_url": link(page + 1) if page < pages else "",
    }


def _sort_headers(columns, sort: str, url: str, query: dict) -> list[dict]:
    """Table headers: a link that sorts by the column (again: the other way), aria-sort on the sorted one."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    out = []
    for c in columns:
        h = {"key": c["key"], "header": c["header"], "url": "", "aria_sort": "", "indicator": "", "action": ""}
        if c.get("sortable"):
            here = c["key"] == key
            next_sort = f"-{c['key']}" if here and not descending else c["key"]
            params = {k: v for k, v in query.items() if k not in ("sort", "page") and v not in (None, "")}
            params["sort"] = next_sort
            h.update(
                url=url + "?" + urlencode(params),
                aria_sort=("descending" if descending else "ascending") if here else "",
                indicator=("▼" if descending else "▲") if here else "",
                action=_("sort descending") if next_sort.startswith("-") else _("sort ascending"),
            )
        out.append(h)
    return out


# --- Arbeidsflate -----------------------------------------------------------------------------------


def _cell(col: worklist.Column, rec: dict):
    """A section cell: {"kind", "value"} — dates as dates (the template writes dd.mm.yyyy), lists as lists."""
    kind = col.kind
    if kind == "deviations":
        return {
            "kind": "list",
            "value": [DEVIATION_LABELS.get(d, d) for d in worklist.m.DEVIATIONS if rec.get(f"deviation_{d}")],
        }
    if kind == "errors":
        return {"kind": "list", "value": [str(worklist.ERROR_LABELS.get(e, e)) for e in rec.get("errors") or []]}
    if kind == "schemes":
        items = []
        if rec.get("intro_due"):
            items.append((SCHEMES["intro"], rec["intro_due"]))
        if rec.get("norwegian_due"):
            items.append((SCHEMES["norwegian"], rec["norwegian_due"]))
        return {"kind": "schemes", "value": items}
    if kind == "category":
        return {"kind": "text", "value": CATEGORY_LABELS["intro"].get(rec.get(col.key), rec.get(col.key) or "–")}
    if kind.startswith("code:"):
        value = rec.get(col.key)
        return {"kind": "text", "value": codes.label(kind[5:], value) if value else "–"}
    if kind in ("date", "datetime"):
        return {"kind": kind, "value": rec.get(col.key)}
    if kind == "registration":
        # the registration a plausibility warning is about: its kind, linked to the person's history,
        # where every registration stands with who, when and why
        label = worklist.REGISTRATION_LABELS.get(rec.get(col.key) or "", rec.get(col.key) or "–")
        return {"kind": "link", "value": str(label), "url": reverse("person_history", args=[rec["duf"]])}
    if kind == "acknowledge":
        # «Kontrollert»: who checked the warning and when, or the button (nir.web.persons.warnings)
        return {
            "kind": "acknowledge",
            "value": rec.get("ack_at"),
            "by": rec.get("ack_by") or "",
            "comment": rec.get("ack_comment") or "",
            "id": rec["pk"],
            "what": rec.get("message") or "",
            "url": reverse("warning_acknowledge", args=[rec["duf"], rec["pk"]]),
        }
    return {"kind": "text", "value": rec.get(col.key) or "–"}


def _rows(page: worklist.Page, names: dict) -> list[dict]:
    return [
        {
            "duf": r["duf"],
            "url": person_url(r["duf"]),
            "name": " ".join(x for x in (r["first_name"], r["last_name"]) if x) or "–",
            "place": _place(names, r[worklist.FU_MUNICIPALITY], r[worklist.FU_DISTRICT]),
            "cells": [_cell(c, r) for c in page.section.columns],
        }
        for r in page.rows
    ]


def _columns(section: worklist.Section) -> list[dict]:
    return [{"key": c.key, "header": c.header, "sortable": bool(c.order)} for c in section.all_columns]


def count_text(n: int, noun: str = "persons") -> str:
    if noun == "terminations":
        return ngettext("%(n)s termination", "%(n)s terminations", n) % {"n": format_number(n)}
    if noun == "warnings":
        return ngettext("%(n)s warning", "%(n)s warnings", n) % {"n": format_number(n)}
    return ngettext("%(n)s person", "%(n)s persons", n) % {"n": format_number(n)}


def _block(section: worklist.Section, page: worklist.Page, names: dict) -> dict:
    return {
        "section": section,
        "count": page.count,
        "count_text": count_text(page.count, section.noun),
        "count_number": format_number(page.count),
        "rows": _rows(page, names),
        "headers": [{"header": c["header"]} for c in _columns(section)],
        "caption_id": f"block-{section.id}-caption",
        "url": reverse("worklist_section", args=[section.id]),
    }


def _record(request, what: str, person_ids, filters: dict) -> None:
    audit.record(request=request, action="read", channel="web", what=what, persons=person_ids, filters=filters)


@never_cache
@login_required
@require_GET
def worklist_page(request):
    ctx = worklist.Context.for_user(request.user)
    inline = request.GET.get("inline") == "1"
    groups = []
    for group, label in GROUPS.items():
        groups.append({"id": group, "label": label, "sections": [s for s in SECTIONS.values() if s.group == group]})
    context = {
        "groups": groups,
        "inline": inline,
        "today": ctx.today,
        "no_access": ctx.sees_nobody,
        "inline_url": reverse("worklist") + "?inline=1",
        **_acknowledging(request, reverse("worklist") + "?inline=1"),
    }
    if inline:
        # Without JavaScript: every block rendered here (a few bounded statements each), one audit event.
        names = reference_names(ctx.today)
        blocks, persons = {}, []
        for s in SECTIONS.values():
            page = worklist.run(s.id, ctx, limit=BLOCK_ROWS)
            blocks[s.id] = _block(s, page, names)
            persons += page.person_ids
        for g in groups:
            g["blocks"] = [blocks[s.id] for s in g["sections"]]
        _record(request, "worklist", persons, {"sections": list(SECTIONS), "rows": BLOCK_ROWS})
    return render(request, "web/worklist/page.html", context)


@never_cache
@login_required
@require_GET
def worklist_section(request, section: str):
    s = SECTIONS.get(section)
    if s is None:
        raise Http404(_("Unknown section of the work list"))
    rule = request.GET.get("regel", "").strip() if s.id == "datakvalitet" else ""
    rule = rule if rule in plausibility.BY_ID else ""
    checked = s.id == "datakvalitet" and request.GET.get("kontrollert") == "1"
    ctx = worklist.Context.for_user(request.user, rule=rule or None, acknowledged=checked)
    names = reference_names(ctx.today)
    if request.headers.get("HX-Request"):
        page = worklist.run(s.id, ctx, limit=BLOCK_ROWS)
        _record(request, f"worklist:{s.id}", page.person_ids, {"section": s.id, "rows": BLOCK_ROWS})
        response = render(
            request,
            "web/worklist/_block.html",
            {"block": _block(s, page, names), **_acknowledging(request, reverse("worklist"))},
        )
        patch_vary_headers(response, ("HX-Request",))
        return response

    sort = request.GET.get("sort", "").strip() or s.default_sort
    try:
        worklist.ordering(s, sort)
    except worklist.SortError:
        sort = s.default_sort
    number = _page_number(request)
    page = worklist.run(s.id, ctx, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, sort=sort)
    pages = max(1, math.ceil(page.count / PAGE_SIZE))
    if number > pages:
        number = pages
        page = worklist.run(s.id, ctx, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, sort=sort)
    _record(request, f"worklist:{s.id}", page.person_ids, {"section": s.id, "page": number, "sort": sort})
    url = reverse("worklist_section", args=[s.id])
    query = {"sort": sort if sort != s.default_sort else "", "regel": rule, "kontrollert": "1" if checked else ""}
    report_url = ""
    if s.report:
        report_url = _url("report", s.report[0], **s.report[1])
    context = {
        "section": s,
        "group_label": GROUPS[s.group],
        "count": page.count,
        "rows": _rows(page, names),
        "count_text": count_text(page.count, s.noun),
        "headers": _sort_headers(_columns(s), sort, url, {**query, "sort": sort}),
        "pager": _pager(url, query, number, pages),
        "first_row": page.offset + 1 if page.count else 0,
        "last_row": page.offset + len(page.rows),
        "report_url": report_url,
        "today": ctx.today,
        "no_access": ctx.sees_nobody,
        "data_quality": _data_quality(request, ctx, names) if s.id == "datakvalitet" else None,
        **_acknowledging(request, request.get_full_path()),
    }
    response = render(request, "web/worklist/section.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _acknowledging(request, back: str) -> dict:
    """The data-quality rows' «Kontrollert» button: shown to a user who may register (not the county
    governor), returning to ``back``."""
    return {"can_acknowledge": policy.page_allowed(request.user, "warning_acknowledge"), "ack_next": back}


def _data_quality(request, ctx: worklist.Context, names: dict) -> dict:
    """The data-quality list's filter by rule and, for a user who sees more than one municipality
    (IMDi, a county), the open warnings per follow-up municipality and rule (counts only; audited as
    statistics)."""
    # the unchecked warnings also under «Vis kontrollerte» (the table's title says «open»)
    counts = worklist.plausibility_counts(dataclasses.replace(ctx, acknowledged=False))
    municipalities = {r["municipality"] for r in counts}
    per_municipality = []
    if ctx.scope is None or len(municipalities) > 1:
        per_municipality = [
            {
                "municipality": _place(names, r["municipality"], "") if r["municipality"] else "–",
                "rule": plausibility.BY_ID[r["rule"]].title if r["rule"] in plausibility.BY_ID else r["rule"],
                "rule_url": reverse("worklist_section", args=["datakvalitet"]) + "?" + urlencode({"regel": r["rule"]}),
                "warnings": format_number(r["warnings"]),
                "persons": format_number(r["persons"]),
            }
            for r in counts
        ]
        audit.record(
            request=request,
            action="statistics",
            channel="web",
            what="worklist:datakvalitet:counts",
            filters={"rule": ctx.rule or "", "acknowledged": ctx.acknowledged},
        )
    return {
        "rules": [{"id": r.id, "title": r.title, "selected": r.id == ctx.rule} for r in plausibility.RULES],
        "rule": ctx.rule or "",
        "acknowledged": ctx.acknowledged,
        "per_municipality": per_municipality,
        "url": reverse("worklist_section", args=["datakvalitet"]),
    }


# --- Bosetting --------------------------------------------------------------------------------------


def _year(raw: str, default: int) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return default
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return None


@never_cache
@login_required
@require_GET
def settlements(request):
    """Bosetting's landing page: what needs doing for the user's Bosetting roles
    (``nir.web.settlement_landing``), and the register's settled in the user's area for whoever reads
    persons (``PERSON_READ``); who may open it: ``nir.access.settlement.sees_settlement_landing``."""
    if not sees_settlement_landing(request.user):
        raise PermissionDenied(_("You do not have access to Bosetting."))
    if not policy.allows(request.user, policy.Permission.PERSON_READ):
        landing = settlement_landing.landing(request.user)
        return render(request, "web/settlements/page.html", {"landing": landing, "landing_only": True})
    ctx = worklist.Context.for_user(request.user)
    names = reference_names(ctx.today)
    munis = names["municipalities"]
    allowed = worklist.visible_municipalities(ctx.scope, munis)
    errors = []
    year = _year(request.GET.get("aar", ""), ctx.today.year)
    if year is None:
        errors.append(_("The year must be a year between 2000 and 2100."))
        year = ctx.today.year
    municipality = request.GET.get("kommune", "").strip()
    if municipality and municipality not in allowed:
        errors.append(_("You do not have access to persons in that municipality, or it does not exist."))
        municipality = ""
    agreement_raw = request.GET.get("avtale", "").strip()
    by_agreement = {"ja": True, "nei": False}.get(agreement_raw)
    if by_agreement is None:
        agreement_raw = ""
    f = worklist.SettlementFilter(year=year, municipality=municipality or None, by_agreement=by_agreement)
    sort = request.GET.get("sort", "").strip() or "-settlement_date"
    if sort.removeprefix("-") not in worklist.SETTLEMENT_SORTS:
        sort = "-settlement_date"
    number = _page_number(request)

    counts = worklist.settlement_counts(ctx, f)
    total = sum(d["total"] for d in counts.values())
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(number, pages)
    recs = (
        worklist.settlement_page(ctx, f, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, sort=sort) if total else []
    )
    count = total
    audit.record(
        request=request,
        action="read",
        channel="web",
        what="settlements",
        persons=[r["person_id"] for r in recs],
        filters={
            "year": year,
            "municipality": municipality,
            "by_agreement": agreement_raw,
            "page": number,
            "sort": sort,
        },
    )

    count_rows = [
        {
            "number": nr,
            "name": munis.get(nr, ("",))[0],
            **d,
            "url": "?" + urlencode({"aar": year, "kommune": nr, "avtale": agreement_raw}),
        }
        for nr, d in sorted(counts.items())
    ]
    month_totals = [sum(d["months"][i] for d in counts.values()) for i in range(12)]
    rows = [
        {
            "duf": r["duf"],
            "url": person_url(r["duf"]),
            "name": " ".join(x for x in (r["first_name"], r["last_name"]) if x) or "–",
            "place": _place(names, r[worklist.FU_MUNICIPALITY], r[worklist.FU_DISTRICT]),
            "settled_in": _place(names, r["municipality"], r["district"]),
            "settlement_date": r["settlement_date"],
            "by_agreement": r["by_agreement"],
        }
        for r in recs
    ]
    url = reverse("settlements")
    query = {"aar": year if year != ctx.today.year else "", "kommune": municipality, "avtale": agreement_raw}
    columns = [
        {"key": "duf", "header": _("DUF number"), "sortable": True},
        {"key": "name", "header": _("Name"), "sortable": True},
        {"key": "place", "header": _("Follow-up municipality/district"), "sortable": False},
        {"key": "municipality", "header": _("Settled in"), "sortable": True},
        {"key": "settlement_date", "header": _("Settlement date"), "sortable": True},
        {"key": "by_agreement", "header": _("By agreement with IMDi"), "sortable": False},
    ]
    context = {
        # what needs doing in Bosetting, per role (issue 17): nir.web.settlement_landing
        "landing": settlement_landing.landing(request.user, ctx.today),
        "year": year,
        "years": list(range(ctx.today.year + 1, ctx.today.year - 11, -1)),
        "municipality": municipality,
        "agreement": agreement_raw,
        "municipality_choices": [(nr, munis[nr][0]) for nr in allowed],
        "errors": errors,
        "counts": count_rows,
        "month_totals": month_totals,
        "total": total,
        "by_agreement_total": sum(d["by_agreement"] for d in counts.values()),
        "total_text": format_number(total),
        "by_agreement_text": format_number(sum(d["by_agreement"] for d in counts.values())),
        "rows": rows,
        "count": count,
        "headers": _sort_headers(columns, sort, url, {**query, "sort": sort}),
        "pager": _pager(url, {**query, "sort": sort if sort != "-settlement_date" else ""}, number, pages),
        "first_row": (number - 1) * PAGE_SIZE + 1 if count else 0,
        "last_row": (number - 1) * PAGE_SIZE + len(rows),
        "months": MONTHS,
        "no_access": ctx.sees_nobody,
        "reset_url": url,
    }
    return render(request, "web/settlements/page.html", context, status=400 if errors else 200)


MONTHS = ("jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des")


# --- Kommuner ---------------------------------------------------------------------------------------

FIGURE_CACHE_SECONDS = 120
NATIONAL_CACHE_SECONDS = 600


def _scope_key(scope) -> str:
    if scope is None:
        return "all"
    return "m" + ",".join(sorted(scope.municipalities)) + "d" + ",".join(sorted(scope.districts))


def list_figures(ctx: worklist.Context, numbers: list[str]) -> dict[str, dict]:
    """{municipality: {figure: n}} for ``numbers`` (in scope): two GROUP BY statements, kept for
    ``FIGURE_CACHE_SECONDS`` per scope and day (the whole country is one large statement)."""
    digest = hashlib.sha1(f"{_scope_key(ctx.scope)}:{','.join(numbers)}".encode()).hexdigest()
    key = f"nir:overview:figures:{ctx.today.isoformat()}:{digest}"
    figures = cache.get(key)
    if figures is None:
        figures = {nr: {f: 0 for f in LIST_FIGURES} for nr in numbers}
        for r in worklist.person_figures(ctx, numbers):
            for f in LIST_FIGURES:
                if f != "settled":
                    figures[r["municipality"]][f] += r[f]
        for (nr, _district), n in worklist.settled_figures(ctx, numbers).items():
            figures[nr]["settled"] += n
        figures = {"values": figures, "at": timezone.now()}
        # The whole country is the largest statement (~0.7 s at 1,000,000 persons, docs/benchmarks.md): kept longer.
        cache.set(key, figures, FIGURE_CACHE_SECONDS if len(numbers) < 300 else NATIONAL_CACHE_SECONDS)
    return figures


MUNICIPALITY_PAGE_SIZE = 50


def _municipality_table(ctx: worklist.Context, q: str, county: str) -> dict:
    """Every municipality matching the search and county, with key figures for those in the user's
    scope: the rows of the page and of the download."""
    names = reference_names(ctx.today)
    munis = names["municipalities"]
    numbers = [
        nr
        for nr, (name, c, county_name) in munis.items()
        if (not q or nr.startswith(q) or q.lower() in name.lower() or q.lower() in county_name.lower())
        and (not county or c == county)
    ]
    visible = worklist.visible_municipalities(ctx.scope, numbers)
    figures = list_figures(ctx, visible) if visible else {"values": {}, "at": None}
    rows = [
        {
            "number": nr,
            "name": munis[nr][0],
            "county": f"{munis[nr][1]} {munis[nr][2]}".strip(),
            "url": reverse("municipality", args=[nr]),
            "values": [figures["values"][nr][f] for f in LIST_FIGURES] if nr in figures["values"] else None,
        }
        for nr in numbers
    ]
    for r in rows:
        r["figures"] = [format_number(v) for v in r["values"]] if r["values"] is not None else None
    counties = sorted({(c, cn) for _n, c, cn in munis.values() if c})
    return {"rows": rows, "visible": visible, "at": figures["at"], "total": len(munis), "counties": counties}


@never_cache
@login_required
@require_GET
def municipality_list(request):
    """The user's own municipalities first, with their key figures; the others (reference data, no
    figures) only when searched for or, for a user who sees everyone (IMDi), page by page and by county.
    The whole table is a download (``municipality_export``)."""
    ctx = worklist.Context.for_user(request.user)
    q = request.GET.get("q", "").strip()[:100]
    county = request.GET.get("fylke", "").strip()[:2]
    data = _municipality_table(ctx, q, county)
    rows, visible = data["rows"], set(data["visible"])
    audit.record(
        request=request,
        action="statistics",
        channel="web",
        what="municipalities",
        filters={"q": q, "county": county, "municipalities": len(visible)},
    )
    query = {"q": q, "fylke": county}
    scope_all = ctx.scope is None
    if scope_all:
        own, others = [], rows
    else:
        own = [r for r in rows if r["number"] in visible]
        # Outside the scope there are no figures: those rows are listed only when searched for.
        others = [r for r in rows if r["number"] not in visible] if (q or county) else []
    hidden = 0 if scope_all or q or county else len(rows) - len(own)
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    pages = max(1, math.ceil(len(others) / MUNICIPALITY_PAGE_SIZE))
    page = min(page, pages)
    url = reverse("municipalities")
    export_query = "?" + urlencode([(k, v) for k, v in query.items() if v]) if q or county else ""
    context = {
        "own": own,
        "rows": others[(page - 1) * MUNICIPALITY_PAGE_SIZE : page * MUNICIPALITY_PAGE_SIZE],
        "matching": len(rows),
        "others_count": len(others),
        "hidden": hidden,
        "q": q,
        "county": county,
        "counties": data["counties"],
        "figure_labels": [FIGURE_LABELS[f] for f in LIST_FIGURES],
        "computed_at": data["at"],
        "in_scope": len(visible),
        "total": data["total"],
        "scope_all": scope_all,
        "pager": _pager(url, query, page, pages),
        "first_row": (page - 1) * MUNICIPALITY_PAGE_SIZE + 1 if others else 0,
        "last_row": min(page * MUNICIPALITY_PAGE_SIZE, len(others)),
        "downloads": [
            ("CSV", reverse("municipality_export", args=["csv"]) + export_query),
            ("Excel (xlsx)", reverse("municipality_export", args=["xlsx"]) + export_query),
        ],
    }
    return render(request, "web/municipalities/list.html", context)


MUNICIPALITY_EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@never_cache
@login_required
@require_GET
@export_rate_limited
def municipality_export(request, fmt: str):
    """The whole Kommuner table (every municipality matching the search; key figures only within the
    user's scope, the others empty) as CSV or XLSX through the one writer, ``nir.spreadsheet``."""
    if fmt not in MUNICIPALITY_EXPORT_TYPES:
        raise Http404(_("Unknown format"))
    ctx = worklist.Context.for_user(request.user)
    q = request.GET.get("q", "").strip()[:100]
    county = request.GET.get("fylke", "").strip()[:2]
    data = _municipality_table(ctx, q, county)
    header = [_("Municipality number"), _("Municipality"), _("County"), *(str(FIGURE_LABELS[f]) for f in LIST_FIGURES)]
    table = [[spreadsheet.Header(h) for h in header]]
    for r in data["rows"]:
        table.append([r["number"], r["name"], r["county"], *(r["values"] or [None] * len(LIST_FIGURES))])
    about = [
        [_("Municipalities"), ""],
        [_("Area"), AreaLabels(ctx.scope).table(None)],
        [_("Key figures as of"), ctx.today.strftime("%d.%m.%Y")],
        [_("Search"), q],
        [_("County"), county],
        [_("Key figures are shown only for the municipalities you have access to; the others are empty."), ""],
    ]
    if fmt == "csv":
        buf = io.StringIO()
        spreadsheet.write_csv(buf, table)
        body = buf.getvalue().encode("utf-8-sig")
    else:
        out = io.BytesIO()
        spreadsheet.write_xlsx(
            out, [spreadsheet.Sheet(_("Municipalities"), table), spreadsheet.Sheet(_("About the table"), about)]
        )
        body = out.getvalue()
    # Audit log (issue 5): key figures only, no persons; a failure fails the request.
    audit.record(
        request=request,
        action="export",
        channel="web",
        what="municipalities",
        filters={"q": q, "county": county, "format": fmt, "municipalities": len(data["visible"])},
    )
    response = HttpResponse(body, content_type=MUNICIPALITY_EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="kommuner-{ctx.today:%Y-%m-%d}.{fmt}"'
    return response


@never_cache
@login_required
@require_GET
def municipality_detail(request, nr: str):
    ctx = worklist.Context.for_user(request.user)
    names = reference_names(ctx.today)
    munis = names["municipalities"]
    if not _DIGITS.match(nr) or nr not in munis:
        raise Http404(_("Unknown municipality"))
    name, county, county_name = munis[nr]
    visible = bool(worklist.visible_municipalities(ctx.scope, [nr]))
    districts = sorted((d, dn) for d, (dn, m_) in names["districts"].items() if m_ == nr)
    context = {
        "number": nr,
        "name": name,
        "county": county,
        "county_name": county_name,
        "visible": visible,
        "districts": districts,
        "today": ctx.today,
        "figure_labels": [(f, FIGURE_LABELS[f]) for f in (*PERSON_FIGURES, "settled")],
    }
    if visible:
        key = f"nir:overview:municipality-by-law:{ctx.today.isoformat()}:{_scope_key(ctx.scope)}:{nr}"
        cached = cache.get(key)
        if cached is None:
            cached = {
                "rows": worklist.person_figures(ctx, [nr], by_district=bool(districts), by_law=True),
                "settled": worklist.settled_figures(ctx, [nr], by_district=bool(districts)),
                "at": timezone.now(),
            }
            cache.set(key, cached, FIGURE_CACHE_SECONDS)
        rows, settled = cached["rows"], cached["settled"]
        context["computed_at"] = cached["at"]
        totals = {f: 0 for f in (*PERSON_FIGURES, "settled")}
        by_category = {c: {f: 0 for f in PERSON_FIGURES} for c in CATEGORY_LABELS["intro"]}
        by_district = {d: {f: 0 for f in (*PERSON_FIGURES, "settled")} for d, _n in districts}
        by_law = {law: {f: 0 for f in PERSON_FIGURES} for law in LAW_LABELS}
        for r in rows:
            for f in PERSON_FIGURES:
                by_law.setdefault(r["law"], {f: 0 for f in PERSON_FIGURES})[f] += r[f]
            cat = by_category.setdefault(r["category"], {f: 0 for f in PERSON_FIGURES})
            for f in PERSON_FIGURES:
                totals[f] += r[f]
                cat[f] += r[f]
                if r["district"] in by_district:
                    by_district[r["district"]][f] += r[f]
        for (_m, d), n in settled.items():
            totals["settled"] += n
            if d in by_district:
                by_district[d]["settled"] += n
        context.update(
            {
                "totals": [(f, FIGURE_LABELS[f], format_number(totals[f])) for f in (*PERSON_FIGURES, "settled")],
                "category_rows": [
                    {
                        "label": CATEGORY_LABELS["intro"].get(c, c),
                        "values": [format_number(v[f]) for f in PERSON_FIGURES],
                    }
                    for c, v in by_category.items()
                ],
                "category_headers": [FIGURE_LABELS[f] for f in PERSON_FIGURES],
                "district_rows": [
                    {
                        "number": d,
                        "name": n,
                        "values": [format_number(by_district[d][f]) for f in (*PERSON_FIGURES, "settled")],
                    }
                    for d, n in districts
                ],
                "district_headers": [FIGURE_LABELS[f] for f in (*PERSON_FIGURES, "settled")],
                "links": _municipality_links(nr, ctx.today),
                "count_notes": count_notes(nr, totals, by_law),
            }
        )
        audit.record(
            request=request, action="statistics", channel="web", what=f"municipality:{nr}", filters={"municipality": nr}
        )
    return render(request, "web/municipalities/detail.html", context)


def count_notes(nr: str, totals: dict[str, int], by_law: dict[str, dict[str, int]]) -> dict:
    """Why the municipality's figures differ from the lists they lead to, in plain words (issue 16 § 4):
    the key figures count the persons of both laws, the person list and the reports show one law at a
    time (default integreringsloven); a NIR category is kept after the programme, so «Rett og plikt» counts
    more persons than «I introduksjonsprogram» and than the yearly statistics' «rett og plikt per 31.12.»."""
    followed = totals["followed"]
    laws = [
        {
            "law": law,
            "label": label,
            "n": by_law.get(law, {}).get("followed", 0),
            "text": format_number(by_law.get(law, {}).get("followed", 0)),
            "url": _url("persons", kommune=nr, lov=law),
        }
        for law, label in LAW_LABELS.items()
    ]
    return {
        "followed": format_number(followed),
        "laws": laws,
        "right_and_duty": format_number(totals["right_and_duty"]),
        "in_programme": format_number(totals["in_programme"]),
    }


def _municipality_links(nr: str, today: dt.date) -> list[dict]:
    """The municipality's lists and reports, one group per law: the person list and the reports show
    one law at a time, so each link says which."""
    groups = [
        {
            "heading": "",
            "links": [
                {"label": _("Settlements in %(year)s") % {"year": today.year}, "url": _url("settlements", kommune=nr)}
            ],
        }
    ]
    for law, label in LAW_LABELS.items():
        links = [{"label": _("Persons followed up by the municipality"), "url": _url("persons", kommune=nr, lov=law)}]
        for d in REPORTS.values():
            if law in getattr(d, "laws", LAW_LABELS):
                links.append({"label": d.title, "url": _url("report", d.id, municipality=nr, law=law)})
        groups.append({"heading": label, "links": links})
    return groups
