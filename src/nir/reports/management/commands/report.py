"""nir report NAME — the NIR reports on the command line (the same implementation as the pages and the API)."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from nir.access.scope import person_scope
from nir.register.interchange import parse_date
from nir.reports import exports, registry
from nir.cli_options import known_at_option


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except (ValueError, TypeError):
        raise CommandError(f"{option} må være en dato (ÅÅÅÅ-MM-DD), ikke {value!r}") from None




class Command(BaseCommand):
    help = (
        "Run one of the NIR reports (docs/reports.md): avsluttet-intro, avvik-sluttmaal, bortfall-arbeid. "
        "--list lists them. Without --user the command is an administrator's command line and sees every "
        "person; with --user it sees what that user may see (a municipality user: its own persons)."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", nargs="?", metavar="NAME", help="report id (see --list)")
        parser.add_argument("--list", action="store_true", help="list the reports with their titles")
        parser.add_argument("--law", default=registry.DEFAULT_LAW, choices=registry.LAWS)
        parser.add_argument("--municipality", help="follow-up municipality (4 digits) or Oslo district (6 digits)")
        parser.add_argument("--category", choices=registry.INTRO_CATEGORIES, help="NIR category (introduction programme)")
        parser.add_argument("--duf", help="one person's DUF number")
        parser.add_argument("--name", dest="name_filter", help="first or last name contains (case-insensitive)")
        parser.add_argument("--as-of", help="domain date (YYYY-MM-DD; default today)")
        parser.add_argument("--known-at", help="the register as known at this time (ISO 8601 with time zone, or a date: end of that day)")
        parser.add_argument("--from", dest="date_from", help="avsluttet-intro: termination date from (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", help="avsluttet-intro: termination date to (YYYY-MM-DD)")
        parser.add_argument("--termination-type", help="avsluttet-intro: termination type code")
        parser.add_argument("--reason", help="avsluttet-intro: termination reason code")
        parser.add_argument("--avvik", help="avvik-sluttmaal: final_goal_missing, final_goal_2026_before_2026_start or final_goal_expired")
        parser.add_argument("--sort", help="column key to sort by; --sort=-key for descending (default: last name, first name, DUF)")
        parser.add_argument("--format", default="csv", choices=["csv", "json", "xlsx"])
        parser.add_argument("--out", help="output file (default: standard output; required for xlsx)")
        parser.add_argument("--user", help="run as this user (their access applies); default: every person")

    def handle(self, *args, **o):
        if o["list"]:
            for d in registry.REPORTS.values():
                self.stdout.write(f"{d.id:<18} {d.title}")
            return
        if not o["report"]:
            raise CommandError("oppgi en rapport (nir report --list viser dem)")
        if o["format"] == "xlsx" and not o["out"]:
            raise CommandError("xlsx krever --out FIL")
        scope = None
        if o["user"]:
            try:
                user = get_user_model().objects.select_related("organisation").get(username=o["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"ukjent bruker {o['user']!r}") from None
            scope = person_scope(user)
        params = registry.ReportParams(
            law=o["law"], municipality=o["municipality"], category=o["category"], duf=o["duf"], name=o["name_filter"],
            as_of=_date(o["as_of"], "--as-of"), known_at=known_at_option(o["known_at"]),
            date_from=_date(o["date_from"], "--from"), date_to=_date(o["date_to"], "--to"),
            termination_type=o["termination_type"], reason=o["reason"], avvik=o["avvik"], sort=o["sort"],
        )
        try:
            result = registry.run(o["report"], params, scope=scope)
        except registry.ReportError as e:
            raise CommandError(str(e)) from None
        self._write(result, o["format"], o["out"])
        self.stderr.write(f"{result.count} rader")

    def _write(self, result, fmt, out):
        if fmt == "xlsx":
            exports.write_xlsx(result, out)
            return
        writer = exports.write_json if fmt == "json" else exports.write_csv
        if out:
            # A BOM in CSV files so that spreadsheets read the Norwegian letters as UTF-8.
            with open(out, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as fh:
                writer(result, fh)
        else:
            buf = io.StringIO()
            writer(result, buf)
            self.stdout.write(buf.getvalue(), ending="")
