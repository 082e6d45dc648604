"""nir export facts — write the register in the interchange format, as known at any time."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from nir.register.history import iter_register
from nir.register.interchange import parse_date
from nir.cli_options import known_at_option


class Command(BaseCommand):
    help = "Export the register. 'facts': one person per line in the interchange format (regelmotor.md § 8)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["facts"], help="what to export")
        parser.add_argument("--out", help="output file (default: standard output)")
        parser.add_argument("--known-at", help="the register as known at this time (ISO 8601 with time zone, or a date: end of that day)")
        parser.add_argument("--as-of", help="domain date deciding the follow-up municipality shown (default: today)")
        parser.add_argument("--chunk", type=int, default=2000)

    def handle(self, *args, what, out, known_at, as_of, chunk, **opts):
        known = known_at_option(known_at) if known_at else None
        on = parse_date(as_of) if as_of else timezone.localdate()
        fh = open(out, "w", encoding="utf-8") if out else self.stdout
        n = 0
        try:
            for _person, line in iter_register(known, chunk=chunk, on=on):
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                n += 1
        finally:
            if out:
                fh.close()
        self.stderr.write(f"{n} personer eksportert")


