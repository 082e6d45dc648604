"""Option parsing shared by the ``nir`` management commands."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from nir.isodates import TimeOutOfRange, check_known_at, parse_date, parse_datetime


def known_at_option(value: str | None) -> dt.datetime | None:
    """``--known-at``: a timestamp with time zone, or a date meaning the end of that day (Norwegian time)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = parse_date(value)
            return check_known_at(timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59, 999999))))
        return check_known_at(parse_datetime(value))
    except TimeOutOfRange as e:
        raise CommandError(f"--known-at: {e}") from None
    except (ValueError, TypeError):
        raise CommandError("--known-at må være en dato (ÅÅÅÅ-MM-DD) eller et tidspunkt med tidssone") from None
