"""nir rules — the regelmotor on the command line (regelmotor.md § 7).

    nir rules evaluate CASE.json     # the full result as JSON, with explanations
    nir rules check PATH...          # check every case; exit status 1 on any failure

The logic is in ``nir.rules.cli`` (pure functions taking paths and a stream);
this command only parses arguments. Room is left for ``explain`` and
``reevaluate`` subcommands.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from nir.rules import cli


class Command(BaseCommand):
    help = "Regelmotoren: evaluer og kontroller regelcaser (regelmotor.md § 7)."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="Skriv ut hele resultatet for én case som JSON, med forklaringer")
        ev.add_argument("case", help="casefil (JSON)")
        ch = sub.add_parser("check", help="Kontroller forventningene i alle caser (filer eller mapper)")
        ch.add_argument("paths", nargs="+", help="casefiler eller mapper (søkes rekursivt etter *.json)")

    def handle(self, *args, action, **opts):
        if action == "evaluate":
            status = cli.evaluate_case_file(opts["case"], self.stdout)
        elif action == "check":
            status = cli.check(opts["paths"], self.stdout)
        else:  # pragma: no cover - argparse restricts the choices
            raise CommandError(f"ukjent handling {action!r}")
        if status:
            sys.exit(status)  # the summary line already says what failed
