"""Out-of-range registration times (issue 15 § 3.8): ``known_at=0001-01-01T00:00`` (year 0 in UTC) or
a time past year 9999 in UTC gave 500 on SQLite. Every such parameter — the API's reports and
statistics, the report and statistics pages and their downloads, ``nir report``/``nir rules explain``/
``nir export`` — now answers a clear 400, form error or command error."""

from __future__ import annotations

import pytest
from api_helpers import API, assert_problem
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = ["0001-01-01T00:00", "9999-12-31T23:59:59-01:00", "1899-12-31T12:00:00+00:00"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_api_reports_and_statistics(world, as_user, value):
    c = as_user("imdi")
    body = assert_problem(c.get(f"{API}/reports/avsluttet-intro", {"known_at": value}), 400)
    assert "1900" in body["detail"] and "9999" in body["detail"]
    assert_problem(c.get(f"{API}/statistics", {"year": "2026", "known_at": value}), 400)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("name", ["known_at", "compare_known_at"])
def test_pages_and_downloads(world, as_user, value, name):
    c = as_user("imdi")
    extra = {"known_at": "2026-01-01"} if name == "compare_known_at" else {}
    for url in (
        "/rapporter/avsluttet-intro/",
        "/rapporter/avsluttet-intro/eksport.csv",
        "/rapporter/aarsstatistikk/",
        "/rapporter/aarsstatistikk/eksport.xlsx",
    ):
        if name == "compare_known_at" and ("eksport" in url or "avsluttet" in url):
            continue  # only the statistics page compares two times
        r = c.get(url, {**extra, name: value, "year": "2026"})
        assert r.status_code == 400, (url, r.status_code)
        assert "1900" in r.content.decode(), url


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_commands(world, value, tmp_path):
    value = value if value[-6] in "+-" else value + "+01:00"  # the commands want a time zone
    for args in (
        ["report", "avsluttet-intro", "--known-at", value],
        ["report", "aarsstatistikk", "--year", "2026", "--known-at", value],
        ["report", "avsluttet-intro", "--known-at", "2026-01-01", "--compare-known-at", value],
        ["rules", "explain", world["anne"].duf, "--known-at", value],
        ["export", "facts", "--known-at", value, "--out", str(tmp_path / "f.jsonl")],
    ):
        with pytest.raises(CommandError, match="1900"):
            call_command(*args)


def test_edges_still_work(world, as_user):
    c = as_user("imdi")
    assert c.get(f"{API}/reports/avsluttet-intro", {"known_at": "1900-01-01T00:00:00+00:00"}).status_code == 200
    assert c.get(f"{API}/reports/avsluttet-intro", {"known_at": "9999-12-31"}).status_code == 200
