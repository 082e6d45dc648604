"""Dates and timestamps read from text, below every other layer (pure Python).

``parse_date``/``parse_datetime``: strict ISO 8601, as the interchange format and the command
options take them: a date is exactly ``YYYY-MM-DD``; a timestamp must carry its time zone (``Z``
or an offset). ``parse_typed_date``: a date as a person types it into a form or a filter,
dd.mm.yyyy as NIR shows them, or ISO yyyy-mm-dd (what a browser's date field sends).
All raise ``ValueError`` on anything else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError
    return dt.date.fromisoformat(value)


def parse_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError
    if parsed.tzinfo is None:
        raise ValueError("timezone required")
    return parsed


TYPED_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def parse_typed_date(raw: str) -> dt.date:
    """The date ``raw`` stands for (dd.mm.yyyy or yyyy-mm-dd); raises ValueError for anything else."""
    for fmt in TYPED_DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            pass
    raise ValueError(raw)


# The registration times a query may ask about (``known_at``): the databases store UTC, and a time
# outside these years has no UTC value (0001-01-01T00:00 in Norwegian time is year 0 in UTC), or is
# no time the register can have known anything.
KNOWN_AT_MIN_YEAR, KNOWN_AT_MAX_YEAR = 1900, 9999


class TimeOutOfRange(ValueError):
    """A ``known_at`` outside ``KNOWN_AT_MIN_YEAR``–``KNOWN_AT_MAX_YEAR`` (or without a UTC value)."""

    def __init__(self, value: object):
        super().__init__(
            f"tidspunktet {value} er utenfor registerets tidsrom (år {KNOWN_AT_MIN_YEAR}–{KNOWN_AT_MAX_YEAR})"
        )


def check_known_at(value: dt.datetime) -> dt.datetime:
    """``value`` (aware) when the register can be read as known then; ``TimeOutOfRange`` otherwise."""
    try:
        utc = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise TimeOutOfRange(value) from None
    if not KNOWN_AT_MIN_YEAR <= utc.year <= KNOWN_AT_MAX_YEAR:
        raise TimeOutOfRange(value)
    return value
