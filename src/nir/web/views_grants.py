"""Tilskudd: the per-capita grants (issue 20, docs/grants.md).

    /tilskudd/                        the schemes (budget chapter and post), their grant types and rules;
                                      the payment rounds (nir.web.views_grants_rounds: a round, a statement)
    /tilskudd/satser/                 every rate per grant type and grant year, with its source and whether
                                      it is verified, and the grants' other parameters
    /tilskudd/satser/<code>/          one grant type: its rates year by year, source, verified, note; the
                                      rules of its scheme
    /personer/<duf>/tilskudd/         one person's grants year by year as the register knows them now: each
                                      line with rule, rate and explanation; why nothing is triggered (audited)

The rates and rules are public law and circulars (like the Regelmotor's parameters): every user who may
read the code lists sees them. A person's grants are a read of the person (``PERSON_READ``, the person in
the user's scope), audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from nir.access import audit
from nir.access.persons import PersonNotFound
from nir.access.read import find_person_for_reading
from nir.grants import person_grants
from nir.grants.engine import params as grant_params
from nir.grants.engine.model import GRANT_TYPES, RULES, SCHEMES
from nir.register import models as m
from nir.web import explanations, views_grants_rounds
from nir.web.persons.moves import elsewhere_or_not_found


def _versions(name: str, today: dt.date) -> list[dict[str, Any]]:
    params = grant_params.default()
    if name not in params:
        return []
    p = params.parameter(name)
    in_force = p.at(today)
    return [
        {
            "value": explanations.value_text(v.value),
            "year": v.valid_from.year if v.valid_from else None,
            "valid_from": v.valid_from,
            "valid_to": v.valid_to,
            "source": v.source,
            "verified": v.verified,
            "note": v.note,
            "in_force": v is in_force,
        }
        for v in sorted(p.versions, key=lambda v: v.valid_from or dt.date.min, reverse=True)
    ]


def _grant_types(today: dt.date) -> list[dict[str, Any]]:
    out = []
    for code, t in GRANT_TYPES.items():
        versions = _versions(grant_params.rate_name(code), today)
        out.append(
            {
                "code": code,
                "name": t.name,
                "scheme": SCHEMES[t.scheme][0],
                "latest": versions[0] if versions else None,
                "years": len(versions),
            }
        )
    return out


def _rules(scheme: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "scheme": SCHEMES.get(r.scheme, (r.scheme,))[0],
            "title": r.title,
            "sources": r.sources,
            "verified": r.verified,
        }
        for r in sorted(RULES.values(), key=lambda r: (r.scheme, r.id))
        if scheme is None or r.scheme == scheme
    ]


def _other_parameters(today: dt.date) -> list[dict[str, Any]]:
    params = grant_params.default()
    return [
        {"name": n, "description": params.parameter(n).description, "versions": _versions(n, today)}
        for n in params.names()
        if not n.startswith("rates.")
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def grants_home(request):
    """The schemes and rules; the payment rounds the user may see (``nir.web.views_grants_rounds``), and
    for IMDi the form that calculates a round (posted here, shown again with its errors)."""
    raw, errors, status = None, None, 200
    if request.method == "POST":
        raw, errors, done = views_grants_rounds.calculate_from_post(request)
        if done is not None:
            return done
        status = 422
    today = timezone.localdate()
    schemes = [
        {
            "code": code,
            "name": name,
            "post": post,
            "types": [t for t in _grant_types(today) if GRANT_TYPES[t["code"]].scheme == code],
        }
        for code, (name, post) in SCHEMES.items()
    ]
    ctx = {"schemes": schemes, "rules": _rules(), **views_grants_rounds.rounds_context(request, raw, errors)}
    return render(request, "web/grants/home.html", ctx, status=status)


@never_cache
@require_GET
def grants_rates(request):
    today = timezone.localdate()
    return render(
        request,
        "web/grants/rates.html",
        {"grant_types": _grant_types(today), "parameters": _other_parameters(today), "today": today},
    )


@never_cache
@require_GET
def grants_rate(request, code: str):
    grant_type = GRANT_TYPES.get(code)
    if grant_type is None:
        raise Http404
    today = timezone.localdate()
    name = grant_params.rate_name(code)
    params = grant_params.default()
    ctx = {
        "code": code,
        "grant_type": grant_type,
        "scheme": SCHEMES[grant_type.scheme],
        "description": params.parameter(name).description if name in params else "",
        "versions": _versions(name, today),
        "rules": _rules(grant_type.scheme),
    }
    return render(request, "web/grants/rate.html", ctx)


@never_cache
@require_GET
def person_grants_page(request, duf: str):
    try:
        found, _rows, _former = find_person_for_reading(request.user, duf, (m.PersonDetails, m.FollowUp))
    except PersonNotFound as e:
        return elsewhere_or_not_found(request, duf, e)
    years = person_grants.grants_of(found, timezone.now())
    ctx = {
        "person": found,
        "person_url": reverse("person", args=[found.duf]),
        "years": years,
        "grant_types": GRANT_TYPES,
        "rules": RULES,
    }
    response = render(request, "web/grants/person.html", ctx)
    audit.record(
        request=request, actor_user=request.user, action="read", channel="web", what="person:tilskudd",
        persons=[found.pk],
    )  # fmt: skip
    return response
