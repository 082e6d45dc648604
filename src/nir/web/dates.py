"""Dates typed into the web application's forms and filters: dd.mm.yyyy as NIR shows them, or
ISO yyyy-mm-dd (what a browser's date field sends)."""

from __future__ import annotations

import datetime as dt

FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def parse_date(raw: str) -> dt.date:
    """The date ``raw`` stands for; raises ValueError for anything else."""
    for fmt in FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            pass
    raise ValueError(raw)
