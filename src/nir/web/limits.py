"""Rate limits on the web's downloads: report, statistics and audit-log exports (CSV, XLSX, JSON).

Each download of a user counts against ``NIR_EXPORT_RATE_LIMIT`` (default ``30/h``: 30 per
clock hour, all export kinds together) in the fixed windows the API's limits use
(``nir.access.throttle.fixed_window``, in Django's cache: across processes only with a shared
cache). Over the limit the answer is ``429`` with ``Retry-After`` (seconds) and a short page that
says when to try again. Empty or ``0`` switches the limit off. docs/security.md.
"""

from __future__ import annotations

import math
from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from nir.access import throttle

DEFAULT_EXPORT_RATE_LIMIT = "30/h"


def export_limit() -> tuple[int, int] | None:
    rate = getattr(settings, "NIR_EXPORT_RATE_LIMIT", DEFAULT_EXPORT_RATE_LIMIT)
    if not rate or rate.strip() in ("0", ""):
        return None
    return throttle.parse_rate(rate)


def export_rate_limited(view):
    """Decorate a download view (inside ``login_required``)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        limit = export_limit()
        user = getattr(request, "user", None)
        if limit is not None and user is not None and user.is_authenticated:
            count, period = limit
            wait = throttle.fixed_window(f"web-export:user:{user.pk}", count, period)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                response = render(
                    request,
                    "web/too_many_exports.html",
                    {"minutes": max(1, math.ceil(seconds / 60)), "count": count},
                    status=429,
                )
                response["Retry-After"] = str(seconds)
                add_never_cache_headers(response)
                return response
        return view(request, *args, **kwargs)

    return wrapped
