"""/personer/: find a person, and the person lists (NIR Personlister).

    GET  /personer/?duf=…            DUF-nummer: straight to the person page (or «ingen treff»)
    GET  /personer/?navn=…           first or last name, case-insensitive prefix (every word typed)
    POST /personer/  fnr=…           fødselsnummer/D-nummer, posted so that the number never appears in
                                     a URL, the browser's history or a server log; one hit: 303 to the
                                     person page (its URL has the DUF number only)
    GET  /personer/?lov=…&kategori=…&kommune=…&status=…&sort=…&side=…
                                     the person list: the report ``personliste`` (``nir.reports.registry``,
                                     the same query as the report pages and ``GET /api/v1/persons``)

Every search and list sees only the persons in the user's scope (``person_scope``) followed up by it
today (``nir.access.scope.persons_followed_up``, as the reports apply it); a person outside it is
never found. Each list
or search result shown is recorded in the audit log (action «search»), with the persons of the page.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Q, Subquery, Window
from django.db.models.functions import Lower
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nir import identity
from nir.access import audit
from nir.access.models import AuditOutcome
from nir.access.persons import PersonElsewhere, PersonNotFound, find_person, person_in_scope
from nir.access.read import place_label
from nir.access.scope import person_scope, persons_followed_up
from nir.reference.models import District, Municipality
from nir.register import models as m
from nir.register.explain import CATEGORY_LABELS, LAW_LABELS
from nir.reports import queries, registry
from nir.reports.charts import format_number

PAGE_SIZE = 50
# The person list counts its rows up to this many and says «more than» beyond (a large
# municipality's list is read a page at a time, not counted whole).
COUNT_LIMIT = 1000
NAME_MAX = 100
NAME_WORDS = 4
# National-identity-number hits looked at (a number belongs to one person; a few duplicates at most).
NATIONAL_ID_HITS = 20

LIST_COLUMNS = (
    ("duf", gettext_lazy("DUF number")),
    ("last_name", gettext_lazy("Name")),
    ("follow_up_municipality", gettext_lazy("Follow-up municipality/district")),
    ("category", gettext_lazy("NIR category, introduction programme")),
    ("norwegian_category", gettext_lazy("NIR category, Norwegian")),
    ("status", gettext_lazy("Status")),
    ("intro_deadline", gettext_lazy("Deadline, introduction programme")),
    ("norwegian_deadline", gettext_lazy("Deadline, Norwegian")),
)
LIST_FILTERS = ("lov", "kategori", "kommune", "status")


def _clean(value: str, limit: int = NAME_MAX) -> str:
    return "".join(ch for ch in str(value or "") if ch.isprintable())[:limit].strip()


# --- searching ---------------------------------------------------------------------------------


def name_search(user, text: str, page: int = 1) -> tuple[list[dict], int]:
    """Persons in ``user``'s scope whose first or last name starts with every word of ``text``
    (case-insensitive), one page by last name, first name; and how many there are."""
    words = text.split()[:NAME_WORDS]
    scope = person_scope(user)
    if not words or (scope is not None and scope.empty):
        return [], 0
    params = SimpleNamespace(as_of=timezone.localdate(), known_at=None)
    cols = queries.person_columns(params)
    qs = m.PersonDetails.objects.current()
    for w in words:
        qs = qs.filter(Q(first_name__istartswith=w) | Q(last_name__istartswith=w))
    qs = qs.annotate(
        duf=cols["duf"],
        **{queries.FU_MUNICIPALITY: cols[queries.FU_MUNICIPALITY], queries.FU_DISTRICT: cols[queries.FU_DISTRICT]},
    )
    if scope is not None:
        qs = qs.filter(persons_followed_up(scope, today=params.as_of))
    status = m.DerivedStatus.objects.current().filter(person_id=OuterRef("person_id"))
    qs = (
        qs.annotate(
            intro_category=Subquery(status.values("intro_category")[:1]),
            norwegian_category=Subquery(status.values("norwegian_category")[:1]),
            law=Subquery(status.values("law")[:1]),
            _total=Window(Count("*")),
        )
        .order_by(Lower("last_name"), Lower("first_name"), "person_id")
        .values(
            "person_id",
            "duf",
            "first_name",
            "last_name",
            "birth_date",
            queries.FU_MUNICIPALITY,
            queries.FU_DISTRICT,
            "intro_category",
            "norwegian_category",
            "law",
            "_total",
        )
    )
    start = (page - 1) * PAGE_SIZE
    recs = list(qs[start : start + PAGE_SIZE])
    total = recs[0]["_total"] if recs else (0 if page == 1 else qs.count())
    return [_person_row(r) for r in recs], total


def _person_row(r: dict) -> dict:
    return {
        "person_id": r.get("person_id"),
        "duf": r["duf"],
        "first_name": r["first_name"],
        "last_name": r["last_name"],
        "birth_date": r.get("birth_date"),
        "url": reverse("person", args=[r["duf"]]),
        "place": place_label(r.get(queries.FU_MUNICIPALITY) or "", r.get(queries.FU_DISTRICT) or ""),
        "intro_category": CATEGORY_LABELS["intro"].get(r.get("intro_category"), r.get("intro_category") or ""),
        "norwegian_category": CATEGORY_LABELS["norwegian"].get(
            r.get("norwegian_category"), r.get("norwegian_category") or ""
        ),
        "law": LAW_LABELS.get(r.get("law"), r.get("law") or ""),
    }


def national_id_search(user, number: str) -> list[m.Person]:
    """The persons in ``user``'s scope registered with this fødselsnummer/D-nummer (usually one)."""
    ids = list(
        m.PersonDetails.objects.current()
        .filter(national_id=number)
        .values_list("person_id", flat=True)[:NATIONAL_ID_HITS]
    )
    found = m.Person.objects.filter(pk__in=ids).order_by("duf") if ids else []
    return [p for p in found if person_in_scope(user, p)]


def _rows_of_persons(persons: list[m.Person]) -> list[dict]:
    """Search-result rows for a few persons (a national-identity-number search)."""
    if not persons:
        return []
    params = SimpleNamespace(as_of=timezone.localdate(), known_at=None)
    cols = queries.person_columns(params)
    status = m.DerivedStatus.objects.current().filter(person_id=OuterRef("person_id"))
    recs = (
        m.PersonDetails.objects.current()
        .filter(person_id__in=[p.pk for p in persons])
        .annotate(
            duf=cols["duf"],
            **{queries.FU_MUNICIPALITY: cols[queries.FU_MUNICIPALITY], queries.FU_DISTRICT: cols[queries.FU_DISTRICT]},
            intro_category=Subquery(status.values("intro_category")[:1]),
            norwegian_category=Subquery(status.values("norwegian_category")[:1]),
            law=Subquery(status.values("law")[:1]),
        )
        .order_by(Lower("last_name"), Lower("first_name"), "person_id")
        .values(
            "person_id",
            "duf",
            "first_name",
            "last_name",
            "birth_date",
            queries.FU_MUNICIPALITY,
            queries.FU_DISTRICT,
            "intro_category",
            "norwegian_category",
            "law",
        )
    )
    return [_person_row(r) for r in recs]


# --- the person list ---------------------------------------------------------------------------


def _place_choices(scope) -> list[tuple[str, list[tuple[str, str]]]]:
    """The follow-up municipalities and districts the user may list: [(group, [(number, label)])]."""
    today = timezone.localdate()
    munis = Municipality.objects.valid_on(today)
    districts = District.objects.valid_on(today)
    if scope is not None:
        munis = munis.filter(number__in=sorted(scope.municipalities))
        districts = districts.filter(
            Q(number__in=sorted(scope.districts)) | Q(municipality_number__in=sorted(scope.municipalities))
        )
    out = []
    mun_rows = [(n, f"{n} {name}") for n, name in munis.order_by("name").values_list("number", "name")]
    dis_rows = [(n, f"{n} {name}") for n, name in districts.order_by("number").values_list("number", "name")]
    if mun_rows:
        out.append((_("Municipalities"), mun_rows))
    if dis_rows:
        out.append((_("Districts"), dis_rows))
    return out


def _category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (str(_("Introduction programme")), [(f"intro:{k}", v) for k, v in CATEGORY_LABELS["intro"].items()]),
        (
            str(_("Training in Norwegian and social studies")),
            [(f"norwegian:{k}", v) for k, v in CATEGORY_LABELS["norwegian"].items()],
        ),
    ]


def _list_values(query) -> dict[str, str]:
    return {k: _clean(query.get(k, ""), 40) for k in (*LIST_FILTERS, "sort")}


def _list_params(values: dict[str, str], page: int) -> registry.ReportParams:
    scheme, _sep, category = values["kategori"].partition(":") if values["kategori"] else ("", "", "")
    if values["kategori"] and scheme not in registry.SCHEMES:
        raise registry.ReportError(_("Unknown NIR category."))
    return registry.ReportParams(
        law=values["lov"] or registry.DEFAULT_LAW,
        municipality=values["kommune"] or None,
        category=category or None,
        scheme=scheme or None,
        status=values["status"] or None,
        sort=values["sort"] or None,
        page=page,
        page_size=PAGE_SIZE,
        count_limit=COUNT_LIMIT,
    )


def _qs(values: dict[str, str], **changes) -> str:
    merged = {k: v for k, v in {**values, **changes}.items() if v not in ("", None)}
    return "?" + urlencode({"vis": "1", **merged})


def _headers(values: dict[str, str]) -> list[dict]:
    sort = values["sort"] or "last_name"
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    out = []
    for col, label in LIST_COLUMNS:
        here = col == key
        next_sort = f"-{col}" if here and not descending else col
        out.append(
            {
                "key": col,
                "label": label,
                "url": _qs(values, sort=next_sort, side=""),
                "aria_sort": ("descending" if descending else "ascending") if here else "",
                "indicator": ("▼" if descending else "▲") if here else "",
                "action": _("sort descending") if next_sort.startswith("-") else _("sort ascending"),
            }
        )
    return out


def person_list(request, scope) -> dict:
    """The person list of the request's filters (``personliste``), audited; or why there is none."""
    query = request.GET
    values = _list_values(query)
    try:
        page = max(1, min(int(query.get("side") or 1), 100_000))
    except ValueError:
        page = 1
    out = {
        "values": values,
        "places": _place_choices(scope),
        "categories": _category_choices(),
        "laws": list(LAW_LABELS.items()),
        "statuses": list(registry.STATUS_LABELS.items()),
        "columns": _headers(values),
        "reset_url": reverse("persons"),
    }
    asked = "vis" in query or any(values[k] for k in LIST_FILTERS)
    if scope is not None and scope.empty:
        out["no_access"] = True
        return out
    if not asked and scope is None:
        out["choose"] = True  # IMDi: the whole country is not listed until asked for
        return out
    try:
        result = registry.run("personliste", _list_params(values, page), scope=scope)
        rows = result.rows
        count = result.count
    except registry.ReportError as e:
        out["error"] = str(e)
        return out
    audit.record(
        request=request,
        actor_user=request.user,
        action="search",
        channel="web",
        what="personliste",
        persons=audit.report_page_persons(result),
        filters=audit.report_filters(result),
    )
    # pages: None when there are more rows than counted (the pager then only says the page number)
    pages = max(1, math.ceil(count / PAGE_SIZE)) if result.count_exact else None
    out.update(
        {
            "shown": True,
            "count": count,
            "count_exact": result.count_exact,
            "count_limit": format_number(COUNT_LIMIT),
            "page": page,
            "pages": pages,
            "as_of": result.params.as_of,
            # the list shows one act at a time: the count says which (Kommuner counts both)
            "law_label": LAW_LABELS.get(result.params.law, result.params.law),
            "rows": [
                {
                    "duf": r["duf"],
                    "url": reverse("person", args=[r["duf"]]),
                    "name": f"{r['last_name']}, {r['first_name']}",
                    "place": place_label(r["follow_up_municipality"], r["follow_up_district"]),
                    "category": CATEGORY_LABELS["intro"].get(r["category"], r["category"] or ""),
                    "norwegian_category": CATEGORY_LABELS["norwegian"].get(
                        r["norwegian_category"], r["norwegian_category"] or ""
                    ),
                    "status": registry.STATUS_LABELS.get(r["status"], r["status"] or ""),
                    "intro_deadline": r["intro_deadline"],
                    "norwegian_deadline": r["norwegian_deadline"],
                }
                for r in rows
            ],
            "prev_url": _qs(values, side=str(page - 1)) if page > 1 else "",
            "next_url": _qs(values, side=str(page + 1)) if result.has_next else "",
        }
    )
    return out


# --- the view ----------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def persons(request):
    user = request.user
    ctx: dict = {"duf": "", "navn": ""}
    status = 200
    if request.method == "POST":
        response = _national_id(request, ctx)
        if response is not None:
            return response
    else:
        duf = _clean(request.GET.get("duf", ""), 20).replace(" ", "")
        name = _clean(request.GET.get("navn", ""))
        if duf:
            ctx["duf"] = duf
            response = _duf(request, duf, ctx)
            if response is not None:
                return response
        elif name:
            ctx["navn"] = name
            try:
                page = max(1, min(int(request.GET.get("side") or 1), 100_000))
            except ValueError:
                page = 1
            rows, total = name_search(user, name, page)
            audit.record(
                request=request,
                actor_user=user,
                action="search",
                channel="web",
                what="person:navn",
                persons=[r["person_id"] for r in rows],
                filters={"name": name, "page": page},
            )
            pages = max(1, math.ceil(total / PAGE_SIZE))
            base = {"navn": name}
            ctx["results"] = {
                "kind": "name",
                "rows": rows,
                "count": total,
                "page": page,
                "pages": pages,
                "prev_url": "?" + urlencode({**base, "side": page - 1}) if page > 1 else "",
                "next_url": "?" + urlencode({**base, "side": page + 1}) if page < pages else "",
            }
    # The person list, unless a search was made: its results take the list's place.
    searched = bool(ctx.get("results") or ctx.get("search_error"))
    ctx["list"] = None if searched else person_list(request, person_scope(user))
    if ctx["list"] and ctx["list"].get("error"):
        status = 400
    return render(request, "web/persons/persons.html", ctx, status=status)


def _duf(request, duf: str, ctx: dict):
    """A DUF number typed: the person page, or why not: an unknown number is "no match"; a person
    followed up in another area is said to be registered and followed up elsewhere (nothing more;
    audited), and a person who moved out of the user's area opens on what was registered until then."""
    try:
        identity.validate_duf(duf)
    except identity.IdentifierError as e:
        ctx["search_error"] = {"field": "sok-duf", "message": e.message}
        return None
    try:
        person = find_person(request.user, duf)
    except PersonElsewhere as e:
        if e.former is not None:  # the area followed the person up: what was registered until the transfer
            return redirect("person", duf=e.duf)
        audit.record(
            request=request,
            actor_user=request.user,
            action="search",
            channel="web",
            what="person:elsewhere",
            persons=[e.person_id],
            outcome=AuditOutcome.DENIED,
        )
        ctx["results"] = {"kind": "duf", "rows": [], "count": 0, "elsewhere": e.duf}
        return None
    except PersonNotFound:
        ctx["results"] = {"kind": "duf", "rows": [], "count": 0}
        return None
    return redirect("person", duf=person.duf)


def _national_id(request, ctx: dict):
    """A fødselsnummer/D-nummer posted: one hit → 303 to the person page; never echoed back."""
    number = "".join(str(request.POST.get("fnr", "")).split())[:20]
    try:
        identity.validate_national_id(number, allow_synthetic=True)  # a search, not a registration
    except identity.IdentifierError as e:
        ctx["search_error"] = {"field": "sok-fnr", "message": e.message}
        return None
    found = national_id_search(request.user, number)
    audit.record(
        request=request,
        actor_user=request.user,
        action="search",
        channel="web",
        what="person:fødselsnummer",
        persons=found,
        filters={"national_id": audit.REDACTED},
    )
    if len(found) == 1:
        return _see_other(found[0])
    ctx["results"] = {"kind": "national_id", "rows": _rows_of_persons(found), "count": len(found)}
    return None


def _see_other(person: m.Person) -> HttpResponseRedirect:
    response = HttpResponseRedirect(reverse("person", args=[person.duf]))
    response.status_code = 303  # after a POST: the browser GETs the person page
    return response
