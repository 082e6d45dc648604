"""The person page, its sections (htmx), its history and the «+ Legg til» forms.

    GET      /personer/<duf>/                     the page (?historikk=avslutning-intro: every version)
    GET      /personer/<duf>/seksjon/<id>/        one section, re-rendered (an htmx fragment; without
                                                  JavaScript the page's links lead to the page itself)
    GET      /personer/<duf>/historikk/           every registration, all versions (?avledet=1: and the
                                                  Regelmotor's derived status)
    GET/POST /personer/<duf>/ny/<kind>/?ordning=  a registration form; saved through the action
                                                  ``nir.actions.register`` (access, write, audit)

A person outside the user's scope and an unknown DUF number get the same 404 page. Writing needs
``person.write`` (the middleware refuses others with 403; ``find_person(write=True)`` again).

Queries of the person page: the person (1), every current row the page shows (1,
``snapshot_sql.current_rows``), the users who registered them (1, when any registered by a
user), the audit event and its person (2); with «Vis all avslutningshistorikk» one more (every
version of the terminations). One evaluation by the Regelmotor.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from nir import actions, codes
from nir.access import audit, policy
from nir.access.persons import PersonNotFound, ReadOnly, find_person_and_follow_ups
from nir.access.read import (
    PAGE_MODELS,
    find_person_for_reading,
    place_label,
    read_former,
    read_person,
    registered_by,
    registering_users,
)
from nir.register import history
from nir.register import models as m
from nir.register.errors import RegistrationRefused
from nir.register.explain import CATEGORY_LABELS
from nir.register.interchange import FIELD_KINDS
from nir.register.snapshot_sql import current_rows
from nir.web import explanations
from nir.web.persons.forms import KINDS, Kind, Submission, error_for, field_context, read_submission
from nir.web.persons.moves import elsewhere_or_not_found, history_until
from nir.web.persons.page import DERIVED_SECTIONS, SCHEME_TITLES, SECTION_IDS, PersonPage, row_anchor, version_status
from nir.web.persons.revisions import revise_urls
from nir.web.persons.warnings import open_warnings_of


def _htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def not_found(request, duf: str, refusal: PersonNotFound | None = None):
    """404: an unknown DUF number; or a person followed up elsewhere (``PersonElsewhere``), said so
    without naming where, and audited (``nir.web.persons.moves.elsewhere``)."""
    return elsewhere_or_not_found(request, duf, refusal)


def _history_sections(value: str) -> frozenset[str]:
    """?historikk=avslutning (both schemes) or avslutning-intro / avslutning-norwegian."""
    value = (value or "").strip()
    if value == "avslutning":
        return frozenset({"avslutning-intro", "avslutning-norwegian"})
    return frozenset({value}) if value in ("avslutning-intro", "avslutning-norwegian") else frozenset()


def _audit_read(request, person: m.Person, what: str) -> None:
    audit.record(request=request, actor_user=request.user, action="read", channel="web", what=what, persons=[person.pk])


# --- the page and its sections ------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def person(request, duf: str):
    try:
        found, rows, former = find_person_for_reading(request.user, duf, PAGE_MODELS)
    except PersonNotFound as e:
        return not_found(request, duf, e)
    page = PersonPage(
        request,
        read_former(request.user, found, rows, former) if former else read_person(request.user, found, rows=rows),
        history=_history_sections(request.GET.get("historikk", "")),
        former=former,
    )
    context = page.context()
    # The person's open plausibility warnings not yet checked: a notice near the top, each with
    # «Kontrollert» (not for a former follow-up municipality, which reads the person until the transfer)
    context["warnings"] = [] if former else open_warnings_of(found, page.may_register, request.get_full_path())
    response = render(request, "web/persons/person.html", context)
    _audit_read(request, found, "person")
    return response


@never_cache
@login_required
@require_GET
def person_section(request, duf: str, section: str):
    if section not in SECTION_IDS:
        raise Http404
    # The fragment, with or without htmx: the page's own links (href) lead to the person page with the
    # same content (?historikk=…#section), so this URL is only ever asked for by htmx.
    shows_history = bool(request.GET.get("historikk")) and section.startswith("avslutning-")
    try:
        found, rows, former = find_person_for_reading(request.user, duf, PAGE_MODELS)
    except PersonNotFound as e:
        return not_found(request, duf, e)
    page = PersonPage(
        request,
        read_former(request.user, found, rows, former) if former else read_person(request.user, found, rows=rows),
        history=frozenset({section}) if shows_history else frozenset(),
        former=former,
    )
    response = render(
        request, "web/persons/section_fragment.html", {"page": page, "main": page.section(section), "oob": []}
    )
    _audit_read(request, found, f"person:{section}")
    return response


# --- history ------------------------------------------------------------------------------------


def _value_text(model, fname: str, value) -> str:
    kind = FIELD_KINDS.get(model, {}).get(fname, "")
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.date):
        return formats.date_format(value, "d.m.Y")
    if isinstance(value, Decimal):
        return formats.number_format(int(value) if value == value.to_integral_value() else value)
    if kind.startswith("code:"):
        return codes.label(kind[5:], value)
    if kind in ("municipality", "district") or fname in (
        "municipality",
        "district",
        "follow_up_municipality",
        "follow_up_district",
    ):
        name = place_label("", value) if len(value) == 6 else place_label(value)
        return value if name == value else f"{value} {name}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


DERIVED_SUMMARY = (
    "as_of",
    "law",
    "intro_category",
    "intro_start_date",
    "intro_deadline",
    "intro_closed_date",
    "norwegian_category",
    "norwegian_deadline",
    "errors",
)


def _entry(row: m.Registration, users: dict) -> dict:
    model = type(row)
    names = DERIVED_SUMMARY if model is m.DerivedStatus else row.FACT_FIELDS
    values = []
    for fname in names:
        text = _value_text(model, fname, getattr(row, fname))
        if model is m.DerivedStatus and fname.endswith("_category"):
            text = CATEGORY_LABELS["intro" if fname.startswith("intro") else "norwegian"].get(text, text)
        if model is m.DerivedStatus and (plain := explanations.derived_status_text(fname, getattr(row, fname))):
            text = plain
        if text:
            values.append((capfirst(model._meta.get_field(fname).verbose_name), text))
    return {
        "id": row_anchor(row),
        "recorded_at": row.recorded_at,
        "what": capfirst(model._meta.verbose_name),
        "values": values,
        "operation": row.get_operation_display(),
        "status": version_status(row),
        "current": row.superseded_at is None and row.operation != m.Operation.ANNUL,
        "by": registered_by(row, users),
        "source": row.source_system,
        "reason": row.change_reason,
    }


def _revise_from_history(duf: str, row: m.Registration, may_register: bool) -> dict[str, str]:
    """«Rett» and «Slett» of a current registration, returning to the history when saved."""
    if not may_register or isinstance(row, m.DerivedStatus):
        return {}
    return {k: f"{v}?fra=historikk" if k != "label" else v for k, v in revise_urls(duf, row).items()}


@never_cache
@login_required
@require_GET
def person_history(request, duf: str):
    try:
        found, _rows, former = find_person_for_reading(request.user, duf, (m.FollowUp,))
    except PersonNotFound as e:
        return not_found(request, duf, e)
    rows = history.person_history(found)
    derived = bool(request.GET.get("avledet"))
    if derived:
        rows += list(m.DerivedStatus.objects.filter(person=found))
    if former is not None:
        rows = history_until(rows, former)
    rows.sort(key=lambda r: (r.recorded_at, type(r).__name__, r.pk), reverse=True)
    users = registering_users(rows)
    # a former follow-up municipality reads the history until the transfer, and changes nothing
    may_register = former is None and policy.allows(request.user, policy.Permission.PERSON_WRITE)
    details = next(
        (
            r
            for r in rows
            if isinstance(r, m.PersonDetails) and r.superseded_at is None and r.operation != m.Operation.ANNUL
        ),
        None,
    )
    ctx = {
        "person": found,
        "name": f"{details.first_name} {details.last_name}" if details else "",
        "person_url": reverse("person", args=[found.duf]),
        "entries": [_entry(r, users) | {"revise": _revise_from_history(found.duf, r, may_register)} for r in rows],
        "derived": derived,
        "may_register": may_register,
        "former": former,
    }
    response = render(request, "web/persons/history.html", ctx)
    _audit_read(request, found, "person:historikk")
    return response


# --- registering --------------------------------------------------------------------------------


def _kind_and_scheme(kind_slug: str, request) -> tuple[Kind, str | None]:
    kind = KINDS.get(kind_slug)
    if kind is None:
        raise Http404
    scheme = request.GET.get("ordning") or None
    if kind.schemes:
        if scheme not in kind.schemes:
            raise Http404
    else:
        scheme = None
    return kind, scheme


def _form_response(request, found: m.Person, kind: Kind, scheme: str | None, sub: Submission | None, status: int = 200):
    inline = _htmx(request)
    section_id = kind.section_id(scheme)
    form_id = f"ny-{kind.slug}" + (f"-{scheme}" if scheme else "")
    action = reverse("person_add", args=[found.duf, kind.slug]) + (f"?ordning={scheme}" if scheme else "")
    person_url = reverse("person", args=[found.duf])
    ctx = {
        "kind": kind,
        "scheme": scheme,
        "scheme_title": SCHEME_TITLES.get(scheme, ""),
        "person": found,
        "form_id": form_id,
        "action": action,
        "slot": f"slot-{section_id}",
        "inline": inline,
        "fields": field_context(kind, scheme, sub, form_id),
        "errors": sub.errors if sub is not None else [],
        "cancel_url": f"{person_url}#{section_id}",
        "person_url": person_url,
        # in its section: below the section's heading (h3 in a scheme, h2 otherwise); a page of its own: h2
        "heading_level": (4 if scheme else 3) if inline else 2,
    }
    if inline:
        response = render(request, "web/persons/_add_form.html", ctx, status=200)  # htmx swaps 2xx only
    else:
        details = m.PersonDetails.objects.current().filter(person=found).only("first_name", "last_name").first()
        ctx["name"] = f"{details.first_name} {details.last_name}" if details else ""
        response = render(request, "web/persons/add.html", ctx, status=status)
    # The form shows the person (DUF number, name, follow-up periods to choose from): a read, also
    # when it is shown again with the errors of a refused registration.
    _audit_read(request, found, f"person:ny:{kind.slug}")
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def person_add(request, duf: str, kind: str):
    k, scheme = _kind_and_scheme(kind, request)
    try:
        found, follow_ups = find_person_and_follow_ups(request.user, duf, write=True)
    except PersonNotFound as e:
        return not_found(request, duf, e)
    except ReadOnly as e:
        raise PermissionDenied(str(e)) from None
    if request.method == "GET":
        return _form_response(request, found, k, scheme, None)

    sub = read_submission(k, scheme, request.POST, follow_ups)
    if sub.errors:
        return _form_response(request, found, k, scheme, sub, status=422)
    try:  # the access check, the registration and its audit event, in one transaction
        outcome = actions.register(actions.Acting.from_request(request), found.duf, k.model, sub.values, what=k.key)
    except PersonNotFound:
        return not_found(request, duf)
    except ReadOnly as e:
        raise PermissionDenied(str(e)) from None
    except RegistrationRefused as e:
        sub.errors = [error_for(k, p) for p in e.problems]
        return _form_response(request, found, k, scheme, sub, status=422)

    section_id = k.section_id(scheme)
    saved = str(k.saved)
    warnings = [w.message for w in outcome.warnings]
    if not _htmx(request):
        messages.success(request, saved)
        for w in warnings:
            messages.warning(request, w)
        response = HttpResponseRedirect(reverse("person", args=[found.duf]) + f"#{section_id}")
        response.status_code = 303
        return response
    # htmx: the section with the new row, and (out of band) what the Regelmotor derived anew —
    # categories, deviations, deadlines and its own avslutning — from the write's own evaluation.
    read = read_person(request.user, found, judged=outcome, rows=current_rows(found.pk, PAGE_MODELS))
    page = PersonPage(request, read, saved={section_id: saved}, warnings={section_id: warnings})
    response = render(
        request,
        "web/persons/section_fragment.html",
        {
            "page": page,
            "main": page.section(section_id),
            "oob": [page.section(s) for s in DERIVED_SECTIONS if s != section_id],
        },
    )
    response["HX-Retarget"] = f"#{section_id}"
    response["HX-Reswap"] = "innerHTML"
    return response
