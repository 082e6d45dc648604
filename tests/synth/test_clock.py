"""The generator's registration clock (nir.synth.clock) against zoneinfo's Europe/Oslo."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from nir.rules.dates import date_of, day
from nir.synth.clock import datetime_to_us, local_to_utc_us, oslo_offset_seconds, utc_us_to_local_day, weekday

OSLO = ZoneInfo("Europe/Oslo")


def test_offset_and_local_day_agree_with_zoneinfo_2015_to_2030():
    days = np.arange(day(dt.date(2015, 1, 1)), day(dt.date(2030, 12, 31)) + 1)
    secs = np.full(len(days), 12 * 3600)
    offsets = oslo_offset_seconds(days)
    us = local_to_utc_us(days, secs)
    for n, off, u in zip(days[::7].tolist(), offsets[::7].tolist(), us[::7].tolist()):
        noon = dt.datetime.combine(date_of(n), dt.time(12), tzinfo=OSLO)
        assert off == noon.utcoffset().total_seconds()
        assert u == datetime_to_us(noon)
    assert (utc_us_to_local_day(us) == days).all()
    assert weekday(np.array([day(dt.date(2026, 12, 7))])).tolist() == [dt.date(2026, 12, 7).weekday()]
