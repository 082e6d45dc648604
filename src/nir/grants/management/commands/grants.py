"""nir grants — Tilskudd on the command line (issue 20, docs/grants.md).

nir grants check FILE_OR_DIR...   run worked examples in the format of grant-examples.json;
                                  exit 0 only if every expected line and total holds
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from nir.grants.engine import examples


class Command(BaseCommand):
    help = "Tilskudd: per-capita grants computed from the register. See docs/grants.md."

    def add_arguments(self, parser):
        subs = parser.add_subparsers(dest="verb", required=True)
        chk = subs.add_parser("check", help="run grant examples (grant-examples.json format)")
        chk.add_argument("paths", nargs="+", help="JSON files or folders of them")

    def handle(self, *args, **opts):
        if opts["verb"] == "check":
            status = examples.run(opts["paths"], self.stdout)
            if status:
                raise CommandError("ikke alle tilskuddseksempler stemmer", returncode=status)
