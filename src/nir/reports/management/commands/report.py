"""nir report NAME — the NIR reports on the command line (the same implementation as the pages and the API).

The options are read by ``nir.reports.params`` as the pages and the API read their query string
(``--from`` is the filter ``from``, ``--name`` the filter ``name``, …), so a value means the same
everywhere; argparse checks only the choices it lists in ``--help``.
"""

from __future__ import annotations

import io
import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.datastructures import MultiValueDict

from nir import spreadsheet
from nir.access import audit, policy
from nir.access.scope import person_scope
from nir.reports import diff, exports, params, registry, statistics, stats_exports

# Option (argparse dest) → the filter's name in the query string (nir.reports.params).
REPORT_OPTIONS = {
    "law": "law",
    "municipality": "municipality",
    "category": "category",
    "duf": "duf",
    "name_filter": "name",
    "as_of": "as_of",
    "known_at": "known_at",
    "date_from": "from",
    "date_to": "to",
    "termination_type": "termination_type",
    "reason": "reason",
    "avvik": "avvik",
    "scheme": "scheme",
    "status": "status",
    "deadline_within": "deadline_within",
    "missing": "missing",
    "sort": "sort",
}


def _query(values: dict[str, object]) -> MultiValueDict:
    """Options as a query string: a list is a repeated parameter, None is absent."""
    return MultiValueDict(
        {
            k: [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]
            for k, v in values.items()
            if v is not None
        }
    )


class Command(BaseCommand):
    help = (
        "Run one of the NIR reports or the yearly statistics (docs/reports.md): avsluttet-intro, avvik-sluttmaal, "
        "bortfall-arbeid, personliste, aarsstatistikk. --list lists them. --compare-known-at T shows what changed "
        "between --known-at and T (late registrations and corrections). Without --user the command is an "
        "administrator's command line and sees every person; with --user it sees what that user may see "
        "(a municipality user: its own persons)."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", nargs="?", metavar="NAME", help="report id (see --list)")
        parser.add_argument("--list", action="store_true", help="list the reports with their titles")
        parser.add_argument("--law", default=registry.DEFAULT_LAW, choices=registry.LAWS)
        parser.add_argument("--municipality", help="follow-up municipality (4 digits) or Oslo district (6 digits)")
        parser.add_argument(
            "--category", choices=registry.INTRO_CATEGORIES, help="NIR category (introduction programme)"
        )
        parser.add_argument("--duf", help="one person's DUF number")
        parser.add_argument("--name", dest="name_filter", help="first or last name contains (case-insensitive)")
        parser.add_argument("--as-of", help="domain date (YYYY-MM-DD; default today)")
        parser.add_argument(
            "--known-at",
            help="the register as known at this time (ISO 8601 with time zone, or a date: end of that day)",
        )
        parser.add_argument("--from", dest="date_from", help="avsluttet-intro: termination date from (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", help="avsluttet-intro: termination date to (YYYY-MM-DD)")
        parser.add_argument("--termination-type", help="avsluttet-intro: termination type code")
        parser.add_argument("--reason", help="avsluttet-intro: termination reason code")
        parser.add_argument(
            "--avvik",
            help="avvik-sluttmaal: final_goal_missing, final_goal_2026_before_2026_start or final_goal_expired",
        )
        parser.add_argument(
            "--scheme", choices=list(registry.SCHEMES), help="personliste: intro (default) or norwegian"
        )
        parser.add_argument("--status", choices=list(registry.STATUS_LABELS), help="personliste: status in the scheme")
        parser.add_argument(
            "--deadline-within", type=int, metavar="DAYS", help="personliste: deadline within DAYS of --as-of"
        )
        parser.add_argument(
            "--missing", choices=list(registry.MISSING_LABELS), help="personliste: a missing registration"
        )
        parser.add_argument("--year", type=int, help="aarsstatistikk: the year (default: last year)")
        parser.add_argument("--county", help="aarsstatistikk: one county (2 digits)")
        parser.add_argument(
            "--by", choices=["municipality", "county"], help="aarsstatistikk: one row per municipality or county"
        )
        parser.add_argument(
            "--figure",
            action="append",
            dest="figures",
            metavar="ID",
            help=f"aarsstatistikk: only this figure (repeatable): {', '.join(statistics.FIGURES)}",
        )
        parser.add_argument(
            "--compare-known-at",
            metavar="T",
            help="show what changed between --known-at and T ('now' for the register today)",
        )
        parser.add_argument(
            "--sort", help="column key to sort by; --sort=-key for descending (default: last name, first name, DUF)"
        )
        parser.add_argument("--format", default="csv", choices=["csv", "json", "xlsx"])
        parser.add_argument("--out", help="output file (default: standard output; required for xlsx)")
        parser.add_argument("--user", help="run as this user (their access applies); default: every person")

    def handle(self, *args, **o):
        if o["list"]:
            for d in registry.REPORTS.values():
                self.stdout.write(f"{d.id:<18} {d.title}")
            self.stdout.write(f"{stats_exports.STATISTICS_ID:<18} Årsstatistikk (NIR-tallene i IMDis årsrapport)")
            for f in statistics.FIGURES.values():
                self.stdout.write(f"  --figure {f.id:<24} {f.title}")
            return
        if not o["report"]:
            raise CommandError("oppgi en rapport (nir report --list viser dem)")
        if o["format"] == "xlsx" and not o["out"]:
            raise CommandError("xlsx krever --out FIL")
        if o["compare_known_at"] and o["format"] == "xlsx":
            raise CommandError("sammenligning skrives som json eller csv")
        scope = None
        self.audit_user = None  # audit log (issue 5): the --user, else the system actor «kommandolinje»
        if o["user"]:
            try:
                user = get_user_model().objects.select_related("organisation").get(username=o["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"ukjent bruker {o['user']!r}") from None
            if not policy.allows(user, policy.Permission.REPORT_READ):
                raise CommandError(f"{user.username} har ikke tilgang til rapporter og statistikk")
            scope = person_scope(user)
            self.audit_user = user
        if o["report"] == stats_exports.STATISTICS_ID:
            return self._statistics(o, scope)
        for name in ("year", "county", "by", "figures"):
            if o[name]:
                raise CommandError(f"--{name.rstrip('s')} gjelder bare {stats_exports.STATISTICS_ID}")
        try:
            p = params.report_params(
                _query({name: o[dest] for dest, name in REPORT_OPTIONS.items()}), registry.REPORTS.get(o["report"])
            )
            if o["compare_known_at"]:
                return self._report_diff(o, p, scope)
            result = registry.run(o["report"], p, scope=scope)
        except registry.ReportError as e:
            raise CommandError(str(e)) from None
        self._write(result, o["format"], o["out"])
        self._audit(
            action="report",
            what=f"report:{result.definition.id}",
            persons=audit.report_all_persons(result),
            filters=audit.report_filters(result, format=o["format"]),
        )
        self.stderr.write(f"{result.count} rader")

    @staticmethod
    def _compare_times(o, before):
        """``--known-at`` (read already) and ``--compare-known-at`` (None: now)."""
        if before is None:
            raise CommandError("--compare-known-at krever --known-at (tidspunktet det sammenlignes fra)")
        raw = o["compare_known_at"].strip()
        after = None if raw.lower() in params.NOW else params.read_time(raw, "--compare-known-at")
        return before, after

    def _report_diff(self, o, p, scope):
        before, after = self._compare_times(o, p.known_at)
        d = diff.report_diff(o["report"], p, before, after, scope=scope)
        if o["format"] == "json":
            self._text(json.dumps(d.to_json(), ensure_ascii=False, indent=1) + "\n", o["out"])
        else:
            buf = io.StringIO()
            cols = d.report.columns
            w = spreadsheet.CsvWriter(buf, delimiter=exports.CSV_DELIMITER)
            w.writerow(["Endring", "Når", *[c.header for c in cols]])
            for c in d.changes:
                for label, rows in (("Før", c.before), ("Etter", c.after)):
                    for row in rows:
                        w.writerow(
                            [
                                diff.CHANGE_LABELS[c.change],
                                label,
                                *[exports.cell_value(col, row[col.key]) for col in cols],
                            ]
                        )
            self._text(buf.getvalue(), o["out"])
        self._audit(
            action="report",
            what=f"report:{d.report.id}",
            persons=audit.persons_by_duf(c.duf for c in d.changes),
            filters=audit.report_filters(d.before, compare_known_at=after or "now", format=o["format"]),
        )
        n = d.counts
        self.stderr.write(
            f"{d.before.count} rader før, {d.after.count} etter: {n['added']} personer nye, "
            f"{n['removed']} fjernet, {n['changed']} endret"
        )

    def _statistics(self, o, scope):
        for name in (
            "category",
            "duf",
            "name_filter",
            "date_from",
            "date_to",
            "termination_type",
            "reason",
            "avvik",
            "scheme",
            "status",
            "deadline_within",
            "missing",
            "sort",
        ):
            if o[name] is not None:
                raise CommandError(
                    f"filteret --{name.replace('_filter', '').replace('_', '-')} gjelder ikke "
                    f"{stats_exports.STATISTICS_ID}"
                )
        if o["municipality"] and o["county"]:
            raise CommandError("oppgi enten --municipality eller --county")
        try:
            p = params.stats_request(
                _query(
                    {
                        "year": o["year"],
                        "law": o["law"],
                        "area": o["municipality"] or o["county"],
                        "by": o["by"],
                        "as_of": o["as_of"],
                        "known_at": o["known_at"],
                        "figure": o["figures"],
                    }
                )
            ).params
            if o["compare_known_at"]:
                before, after = self._compare_times(o, p.known_at)
                d = diff.stats_diff(p, before, after, scope=scope)
                if o["format"] == "json":
                    self._text(json.dumps(d.to_json(), ensure_ascii=False, indent=1) + "\n", o["out"])
                else:
                    buf = io.StringIO()
                    w = spreadsheet.CsvWriter(buf, delimiter=exports.CSV_DELIMITER)
                    w.writerow(["Område-kode", "Område", "Tall", "Kolonne", "Før", "Etter", "Endring"])
                    for c in d.changes:
                        w.writerow([c.area, c.area_name, c.figure, c.column, c.before, c.after, c.delta])
                    self._text(buf.getvalue(), o["out"])
                self._audit(
                    action="statistics",
                    what="statistics:aarsstatistikk",
                    filters=audit.statistics_filters(p, compare_known_at=after or "now"),
                )
                self.stderr.write(f"{len(d.changes)} celler endret")
                return
            table = statistics.yearly(p, scope=scope)
        except registry.ReportError as e:
            raise CommandError(str(e)) from None
        if o["format"] == "xlsx":
            stats_exports.write_xlsx(table, o["out"])
        else:
            writer = stats_exports.write_json if o["format"] == "json" else stats_exports.write_csv
            buf = io.StringIO()
            writer(table, buf)
            self._text(buf.getvalue(), o["out"], bom=o["format"] == "csv")
        self._audit(
            action="statistics",
            what="statistics:aarsstatistikk",
            filters=audit.statistics_filters(table.params, format=o["format"]),
        )
        self.stderr.write(f"{len(table.areas)} områder")

    def _audit(self, **kwargs):
        """Audit log (issue 5): one event per run; a failure fails the command."""
        audit.record(
            actor_user=self.audit_user,
            system="" if self.audit_user else audit.COMMAND_LINE,
            channel="command",
            endpoint="nir report",
            **kwargs,
        )

    def _text(self, text, out, bom=False):
        if out:
            with open(out, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")

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
