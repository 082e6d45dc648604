"""Strict ISO 8601 dates and timestamps, as the interchange format and the command options take them.

A date is exactly ``YYYY-MM-DD``; a timestamp must carry its time zone (``Z`` or an offset).
Both raise ``ValueError`` on anything else. Pure Python, below every other layer.
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
