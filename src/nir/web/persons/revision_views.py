"""The «Rett» and «Slett (annuller)» pages of a registration (``nir.web.persons.revisions``).

    GET/POST /personer/<duf>/rett/<slug>/<id>/    the correction form, pre-filled; saved through the
                                                  action ``nir.actions.correct_registration``
    GET/POST /personer/<duf>/slett/<slug>/<id>/   the annulment's confirmation, with a reason; saved
                                                  through ``nir.actions.annul_registration``

Both need ``person.write`` (the middleware refuses others with 403, the action again) on a person in
the user's scope (404 otherwise, as for an unknown DUF number or id). Without JavaScript a form is a
page of its own: saved, it redirects (303) to the person page's section (or, from the history page,
``?fra=historikk``, to the history); refused, it is shown again with the errors and what was typed
(422; 409 when the registration was corrected or annulled meanwhile). With htmx (from the person
page) the form opens in the section and, saved, the section and what the Regelmotor derives are
re-rendered, as after «+ Legg til».
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nir import actions
from nir.access.persons import PersonNotFound, ProtectedIdentityRefused, ReadOnly, find_person
from nir.access.read import PAGE_MODELS, read_person
from nir.register import models as m
from nir.register.errors import ConcurrentChange, RegistrationNotFound, RegistrationRefused
from nir.register.snapshot_sql import current_rows
from nir.web.persons.forms import FormError, Kind
from nir.web.persons.page import DERIVED_SECTIONS, SCHEME_TITLES, PersonPage
from nir.web.persons.revisions import (
    REASON,
    REVISION_KINDS,
    Correction,
    current_raw,
    field_context,
    read_correction,
    reason_error,
    refusal_errors,
    section_id,
)
from nir.web.persons.views import _audit_read, _htmx, _value_text, not_found

CORRECT, ANNUL = "correct", "annul"


def _row(found: m.Person, kind: Kind, pk: int) -> m.Registration:
    row = kind.model.objects.filter(pk=pk, person=found).first()
    if row is None:
        raise Http404
    return row


def _values(row: m.Registration) -> list[tuple[str, str]]:
    out = []
    for fname in row.FACT_FIELDS:
        text = _value_text(type(row), fname, getattr(row, fname))
        if text:
            out.append((capfirst(row._meta.get_field(fname).verbose_name), text))
    return out


def _back(request, found: m.Person, kind: Kind, row: m.Registration) -> str:
    if request.GET.get("fra") == "historikk":
        return reverse("person_history", args=[found.duf])
    section = section_id(kind, row)
    return reverse("person", args=[found.duf]) + (f"#{section}" if section else "")


def _form(request, found, kind: Kind, slug: str, row, what: str, sub: Correction | None, errors, status=200):
    inline = _htmx(request)
    scheme = getattr(row, "scheme", None) or None
    form_id = f"{'rett' if what == CORRECT else 'slett'}-{slug}-{row.pk}"
    section = section_id(kind, row)
    query = "?fra=historikk" if request.GET.get("fra") == "historikk" else ""
    action = reverse(f"person_{what}", args=[found.duf, slug, row.pk]) + query
    raw = sub.raw if sub is not None else current_raw(kind, row)
    what_label = capfirst(row._meta.verbose_name)
    ctx = {
        "what": what,
        "kind": kind,
        "title": (_("Correct: %(what)s") if what == CORRECT else _("Delete (annul): %(what)s")) % {"what": what_label},
        "scheme_title": SCHEME_TITLES.get(scheme, "") if kind.schemes else "",
        "person": found,
        "form_id": form_id,
        "action": action,
        "slot": f"slot-{section}" if section else "",
        "inline": inline and bool(section),
        "fields": field_context(kind, scheme, raw, errors, form_id) if what == CORRECT else [],
        "values": _values(row),
        "reason": sub.reason if sub is not None else "",
        "reason_name": REASON,
        "reason_errors": [e.message for e in errors if e.field == REASON],
        "errors": errors,
        "cancel_url": _back(request, found, kind, row),
        "person_url": reverse("person", args=[found.duf]),
        "heading_level": (4 if scheme and kind.schemes else 3) if inline else 2,
    }
    if ctx["inline"]:
        response = render(request, "web/persons/_revise_form.html", ctx, status=200)  # htmx swaps 2xx only
    else:
        details = m.PersonDetails.objects.current().filter(person=found).only("first_name", "last_name").first()
        ctx["name"] = f"{details.first_name} {details.last_name}" if details else ""
        response = render(request, "web/persons/revise.html", ctx, status=status)
    # The form shows the person and the registration: a read, also when shown again with errors.
    _audit_read(request, found, f"person:{'rett' if what == CORRECT else 'slett'}:{slug}")
    return response


def _saved(request, found: m.Person, kind: Kind, row: m.Registration, message: str, warnings: list[str]):
    section = section_id(kind, row)
    if not _htmx(request) or not section:
        messages.success(request, message)
        for w in warnings:
            messages.warning(request, w)
        url = _back(request, found, kind, row)
        if _htmx(request):  # a form opened by htmx outside a section: the page it belongs to
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        response = HttpResponseRedirect(url)
        response.status_code = 303
        return response
    read = read_person(request.user, found, rows=current_rows(found.pk, PAGE_MODELS))
    page = PersonPage(request, read, saved={section: " ".join([message, *warnings])})
    response = render(
        request,
        "web/persons/section_fragment.html",
        {
            "page": page,
            "main": page.section(section),
            "oob": [page.section(s) for s in DERIVED_SECTIONS if s != section],
        },
    )
    response["HX-Retarget"] = f"#{section}"
    response["HX-Reswap"] = "innerHTML"
    return response


def _revise(request, duf: str, slug: str, pk: int, what: str):
    kind = REVISION_KINDS.get(slug)
    if kind is None or pk >= 2**63:  # (no id of the register's is that large)
        raise Http404
    if what == ANNUL and not kind.registration.annullable:  # the person's details: corrected only
        raise Http404
    try:
        found = find_person(request.user, duf, write=True)
    except PersonNotFound:
        return not_found(request, duf)
    except ReadOnly as e:
        raise PermissionDenied(str(e)) from None
    row = _row(found, kind, pk)
    if request.method == "GET":
        if row.superseded_at is not None or row.operation == m.Operation.ANNUL:  # a stale link: say so at once
            errors = refusal_errors(kind, ConcurrentChange.already_superseded().problems)
            return _form(request, found, kind, slug, row, what, None, errors, status=409)
        return _form(request, found, kind, slug, row, what, None, [])

    acting = actions.Acting.from_request(request)
    sub: Correction | None = None
    try:  # the access check, the write judged by the Regelmotor and its audit event, in one transaction
        if what == CORRECT:
            sub = read_correction(kind, row, request.POST)
            if sub.errors:
                return _form(request, found, kind, slug, row, what, sub, sub.errors, status=422)
            assert sub.changes is not None
            outcome = actions.correct_registration(acting, found.duf, kind.model, row.pk, sub.changes, sub.reason)
        else:
            reason = str(request.POST.get(REASON, "")).strip()
            sub = Correction(kind, {}, reason)
            if not reason:
                errors = [reason_error(_("a deletion must have a reason"))]
                return _form(request, found, kind, slug, row, what, sub, errors, status=422)
            outcome = actions.annul_registration(acting, found.duf, kind.model, row.pk, reason)
    except PersonNotFound:
        return not_found(request, duf)
    except ProtectedIdentityRefused as e:  # the field on the form, and 403: not the user's to change
        label = next((str(f.label) for f in kind.fields if f.name == e.field), "")
        errors = [FormError(e.field, label, str(e), e.rule)]
        return _form(request, found, kind, slug, row, what, sub, errors, status=403)
    except ReadOnly as e:
        raise PermissionDenied(str(e)) from None
    except RegistrationNotFound:
        raise Http404 from None
    except RegistrationRefused as e:
        errors: list[FormError] = refusal_errors(kind, e.problems)
        status = 409 if isinstance(e, ConcurrentChange) else 422
        return _form(request, found, kind, slug, row, what, sub, errors, status=status)
    if what == CORRECT:
        message = _("The correction is saved.")
    else:
        message = _("The registration is deleted (annulled).")
    return _saved(request, found, kind, row, message, [w.message for w in outcome.warnings])


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def person_correct(request, duf: str, kind: str, pk: int):
    return _revise(request, duf, kind, pk, CORRECT)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def person_annul(request, duf: str, kind: str, pk: int):
    return _revise(request, duf, kind, pk, ANNUL)
