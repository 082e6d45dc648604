"""Moves between municipalities on the web (issue 16 § 2).

    GET      /personer/flyttinger/        Flyttinger: persons who moved in (with where from and their
                                          deadlines), persons who moved out (the sending side), and
                                          secondary migration counted by year, from and to municipality
    GET/POST /personer/<duf>/flytting/    register a move (the action ``nir.actions.move``)

And what the person pages show around a move: a person followed up elsewhere gets a 404 page that
says so (without where; audited as a refused read), and a former follow-up municipality reads the
person as registered until the transfer (``nir.access.read.find_person_for_reading``).
"""

from __future__ import annotations

import copy
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from nir import actions
from nir.access import audit, policy
from nir.access.models import AuditOutcome
from nir.access.persons import FormerFollowUp, PersonElsewhere, PersonNotFound, ReadOnly, find_person_and_follow_ups
from nir.access.read import place_label
from nir.access.scope import person_scope
from nir.isodates import parse_typed_date
from nir.reference.models import District, Municipality
from nir.register import models as m
from nir.register.errors import RegistrationRefused
from nir.register.explain import CATEGORY_LABELS
from nir.register.history import follow_up_on
from nir.reports import moves, registry

# How far back the Flyttinger page looks by default: two years (the horizon of secondary migration).
DEFAULT_DAYS = 730


def elsewhere_or_not_found(request, duf: str, refusal: PersonNotFound | None = None):
    """404: an unknown DUF number ("not found"); a person followed up in another area: a page that
    says the DUF number is registered and followed up elsewhere — no municipality, nothing about the
    person — and an audit event (a refused read naming the person: the answer tells that they exist)."""
    if isinstance(refusal, PersonElsewhere):
        audit.record(
            request=request,
            actor_user=request.user,
            action="read",
            channel="web",
            what="person:elsewhere",
            persons=[refusal.person_id],
            outcome=AuditOutcome.DENIED,
        )
        return render(request, "web/persons/not_found.html", {"duf": refusal.duf, "elsewhere": True}, status=404)
    return render(request, "web/persons/not_found.html", {"duf": str(duf)[:20]}, status=404)


def history_until(rows: list[m.Registration], former: FormerFollowUp) -> list[m.Registration]:
    """The history page of a former follow-up municipality: the versions registered until the transfer
    (``former.known_at``), as they stood then (a later correction is not shown, nor that there was
    one), without the receiving municipality's follow-up periods and residences."""
    out = []
    for r in rows:
        if r.recorded_at > former.known_at:
            continue
        if isinstance(r, (m.FollowUp, m.Residence)) and r.valid_from >= former.moved_on:
            continue
        if r.superseded_at is not None and r.superseded_at > former.known_at:
            r = copy.copy(r)
            r.superseded_at = None
        out.append(r)
    return out


# --- registering a move -----------------------------------------------------------------------------


def municipality_choices(day: dt.date) -> list[tuple[str, str]]:
    return [
        (n, f"{name} ({n})")
        for n, name in Municipality.objects.valid_on(day).order_by("name").values_list("number", "name")
    ]


def district_choices(day: dt.date) -> list[tuple[str, str]]:
    return [
        (n, f"{place_label(mn)}, {name} ({n})")
        for n, name, mn in District.objects.valid_on(day)
        .order_by("number")
        .values_list("number", "name", "municipality_number")
    ]


FIELD_IDS = {
    "move_date": "flytting-dato",
    "municipality": "flytting-kommune",
    "district": "flytting-bydel",
    "address": "flytting-adresse",
    "postal_code": "flytting-postnummer",
}


def _read_form(post) -> tuple[dict, dict[str, str], dict[str, str]]:
    raw = {k: str(post.get(k, "")).strip()[:300] for k in FIELD_IDS}
    errors: dict[str, str] = {}
    values: dict = {k: raw[k] for k in ("municipality", "district", "address", "postal_code")}
    if not raw["move_date"]:
        errors["move_date"] = _("Enter the moving date.")
    else:
        try:
            values["move_date"] = parse_typed_date(raw["move_date"])
        except ValueError:
            errors["move_date"] = _("The moving date must be a date written as dd.mm.yyyy.")
    if not raw["municipality"]:
        errors["municipality"] = _("Choose the municipality the person moves to.")
    return values, errors, raw


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def person_move(request, duf: str):
    try:
        found, follow_ups = find_person_and_follow_ups(request.user, duf, write=True)
    except PersonNotFound as e:
        return elsewhere_or_not_found(request, duf, e)
    except ReadOnly as e:
        raise PermissionDenied(str(e)) from None
    errors: dict[str, str] = {}
    raw = {k: "" for k in FIELD_IDS}
    status = 200
    if request.method == "POST":
        values, errors, raw = _read_form(request.POST)
        if not errors:
            try:
                done = actions.move(actions.Acting.from_request(request), found.duf, values)
            except PersonNotFound as e:
                return elsewhere_or_not_found(request, duf, e)
            except ReadOnly as e:
                raise PermissionDenied(str(e)) from None
            except RegistrationRefused as e:
                for p in e.problems:
                    key = p.field.rpartition(".")[2]
                    errors.setdefault(key if key in FIELD_IDS else "move_date", p.message)
            else:
                messages.success(
                    request,
                    _("The move is registered: from %(date)s the person is followed up by %(place)s.")
                    % {
                        "date": done.follow_up.valid_from.strftime("%d.%m.%Y"),
                        "place": place_label(done.follow_up.municipality, done.follow_up.district),
                    },
                )
                # the sending municipality no longer follows the person up (from a past date): its moves list
                target = reverse("person", args=[found.duf])
                if done.follow_up.valid_from <= timezone.localdate() and person_scope(request.user) is not None:
                    target = reverse("person_moves")
                response = HttpResponseRedirect(target)
                response.status_code = 303
                return response
        status = 422
    today = timezone.localdate()
    details = m.PersonDetails.objects.current().filter(person=found).only("first_name", "last_name").first()
    current = follow_up_on(list(follow_ups), today)
    ctx = {
        "person": found,
        "name": f"{details.first_name} {details.last_name}" if details else "",
        "person_url": reverse("person", args=[found.duf]),
        "current_place": place_label(current.municipality, current.district) if current else "",
        "current_from": current.valid_from if current else None,
        "municipalities": municipality_choices(today),
        "districts": district_choices(today),
        "raw": raw,
        "errors": [(FIELD_IDS[k], v) for k, v in errors.items()],
        "error_of": errors,
        "ids": FIELD_IDS,
    }
    response = render(request, "web/persons/move.html", ctx, status=status)
    audit.record(
        request=request,
        actor_user=request.user,
        action="read",
        channel="web",
        what="person:flytting",
        persons=[found.pk],
    )
    return response


# --- Flyttinger ------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def person_moves(request):
    user = request.user
    scope = person_scope(user)
    today = timezone.localdate()
    try:
        days = max(1, min(int(request.GET.get("dager", DEFAULT_DAYS)), 3650))
    except ValueError:
        days = DEFAULT_DAYS
    since = today - dt.timedelta(days=days)
    moved_in = moves.moved_in(scope, since=since)
    moved_out = moves.moved_out(scope, since=since) if scope is not None else []
    params = registry.ReportParams(date_from=dt.date(today.year - 4, 1, 1), date_to=today)
    reports = policy.allows(user, policy.Permission.REPORT_READ)
    secondary = moves.secondary_migration(params, scope=scope) if reports else None
    ctx = {
        "days": days,
        "since": since,
        "moved_in": [
            {
                "url": reverse("person", args=[r.duf]),
                "duf": r.duf,
                "name": f"{r.first_name} {r.last_name}".strip(),
                "from_place": r.from_place,
                "to_place": r.to_place,
                "move_date": r.move_date,
                "category": CATEGORY_LABELS["intro"].get(r.intro_category, r.intro_category),
                "intro_deadline": r.intro_deadline,
                "norwegian_deadline": r.norwegian_deadline,
            }
            for r in moved_in
        ],
        "moved_out": [
            {
                "url": reverse("person", args=[r.duf]),
                "duf": r.duf,
                "name": f"{r.first_name} {r.last_name}".strip(),
                "from_place": r.from_place,
                "move_date": r.move_date,
            }
            for r in moved_out
        ],
        "sending": scope is not None,
        "secondary": secondary,
        "secondary_from": params.date_from,
        "everyone": scope is None,
        "report_url": reverse("report", args=["sekundaerflytting"]),
    }
    response = render(request, "web/persons/moves.html", ctx)
    audit.record(
        request=request,
        actor_user=user,
        action="search",
        channel="web",
        what="person:flyttinger",
        persons={r.person_id for r in moved_in} | {r.person_id for r in moved_out},
        filters={"days": days},
    )
    return response
