"""«Kontrollert» on the web: a caseworker acknowledges a plausibility warning (issue 16 § 3).

    POST /personer/<duf>/advarsler/<id>/kontrollert/   comment (optional), next (where to return)

The button stands in the work list «Datakvalitet» (each row) and in the notice of open warnings on
the person page. The action (``nir.actions.acknowledge_warning``) checks access (``person.write`` on a
person in scope), stores the acknowledgement and records the audit event; the view answers with a
redirect (303) back to the page the form was on, with a message — a plain form, without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from nir import actions
from nir.access.persons import PersonNotFound, ReadOnly
from nir.actions.warnings import COMMENT_MAX, WarningRefused
from nir.web.persons.moves import elsewhere_or_not_found


@never_cache
@login_required
@require_POST
def warning_acknowledge(request, duf: str, pk: int):
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
