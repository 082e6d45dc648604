"""«Kontrollert» on the web: a caseworker acknowledges a plausibility warning (issue 16 § 3).

    GET  /personer/<duf>/advarsler/<id>/kontrollert/   the warning, and the form (a comment, the button)
    POST /personer/<duf>/advarsler/<id>/kontrollert/   comment (optional), next (where to return)

The button stands in the work list «Datakvalitet» (each row) and in the notice of open warnings on
the person page; the GET page is the same form on its own (from the work list's compact blocks, or
to write a longer comment), and says who checked the warning if it is checked. The action
(``nir.actions.acknowledge_warning``) checks access (``person.write`` on a person in scope), stores
the acknowledgement and records the audit event; the view answers with a redirect (303) back to the
page the form was on, with a message — a plain form, without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nir import actions
from nir.access import audit
from nir.access.persons import PersonNotFound, ReadOnly, find_person_and_follow_ups
from nir.actions.warnings import COMMENT_MAX, WarningRefused, warning_is_open
from nir.register import models as m
from nir.reports.worklist import REGISTRATION_LABELS, person_warnings
from nir.web.persons.moves import elsewhere_or_not_found


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def warning_acknowledge(request, duf: str, pk: int):
    if request.method == "GET":
        return _form(request, duf, pk)
    comment = str(request.POST.get("comment", ""))[: COMMENT_MAX + 1]
    target = str(request.POST.get("next", ""))
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("person", args=[duf])
    try:
        actions.acknowledge_warning(actions.Acting.from_request(request), duf, pk, comment)
    except PersonNotFound as e:
        return elsewhere_or_not_found(request, duf, e)
    except ReadOnly as e:
        raise PermissionDenied(str(e)) from None
    except WarningRefused as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("The warning is marked as checked and has left the data-quality work list."))
    response = HttpResponseRedirect(target)
    response.status_code = 303
    return response


def _form(request, duf: str, pk: int):
    try:
        person, _follow_ups = find_person_and_follow_ups(request.user, duf, write=True)
    except PersonNotFound as e:
        return elsewhere_or_not_found(request, duf, e)
    except ReadOnly as e:
        raise PermissionDenied(str(e)) from None
    warning = m.PlausibilityWarning.objects.filter(pk=pk, person=person).first()
    if warning is None:
        raise Http404(_("No such plausibility warning of this person"))
    ack = m.WarningAcknowledgement.objects.filter(warning=warning).first()
    details = m.PersonDetails.objects.current().filter(person=person).only("first_name", "last_name").first()
    ctx = {
        "person": person,
        "name": f"{details.first_name} {details.last_name}" if details else "",
        "person_url": reverse("person", args=[person.duf]),
        "warning": warning,
        "registration": REGISTRATION_LABELS.get(warning.kind, warning.kind),
        "open": warning_is_open(warning),
        "ack": ack,
        "comment_max": COMMENT_MAX,
    }
    response = render(request, "web/persons/warning_acknowledge.html", ctx)
    audit.record(
        request=request, actor_user=request.user, action="read", channel="web", what="warning", persons=[person.pk]
    )
    return response


def open_warnings_of(person: m.Person, may_register: bool, back: str) -> list[dict]:
    """The person page's notice: the person's open plausibility warnings not yet checked, each with the
    registration it is about and, for a user who may register, the «Kontrollert» form (returning to
    ``back``). One statement (``worklist.person_warnings``)."""
    return [
        {
            "id": w["pk"],
            "message": w["message"],
            "registration": REGISTRATION_LABELS.get(w["kind"], w["kind"]),
            "recorded_at": w["recorded_at"],
            "url": reverse("warning_acknowledge", args=[person.duf, w["pk"]]) if may_register else "",
            "next": back,
        }
        for w in person_warnings(person.pk)
        if w["ack_at"] is None
    ]
