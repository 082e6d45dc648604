"""nir rules — the regelmotor on the command line (regelmotor.md § 7).

    nir rules evaluate CASE.json     # the full result as JSON, with explanations
    nir rules check PATH...          # check every case; exit status 1 on any failure
    nir rules explain DUF            # one person's derived values and the rules and facts behind them
    nir rules reevaluate             # re-evaluate the whole register (after a rule change)
    nir rules docs [--check]         # write (or check) the rule documents generated from the declarations

The case logic is in ``nir.rules.cli`` (pure functions); register access in
``nir.register.derivation``. ``explain`` reads one person's data and records it in the audit log
(``nir.access.audit``); ``reevaluate`` writes, through the action ``nir.actions.reevaluate``: an
``actions`` command.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nir.cli_options import known_at_option
from nir.rules import cli


class Command(BaseCommand):
    help = "Regelmotoren: evaluer og kontroller regelcaser, forklar én person, revurder hele registeret."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="Skriv ut hele resultatet for én case som JSON, med forklaringer")
        ev.add_argument("case", help="casefil (JSON)")
        ch = sub.add_parser("check", help="Kontroller forventningene i alle caser (filer eller mapper)")
        ch.add_argument("paths", nargs="+", help="casefiler eller mapper (søkes rekursivt etter *.json)")
        ex = sub.add_parser("explain", help="Forklar avledede verdier for én person (DUF-nummer)")
        ex.add_argument("duf", help="personens DUF-nummer")
        ex.add_argument("--as-of", help="vurderingsdato (standard: i dag)")
        ex.add_argument("--known-at", help="registeret slik det var kjent på dette tidspunktet")
        ex.add_argument("--json", action="store_true", help="skriv hele resultatet som JSON")
        dc = sub.add_parser(
            "docs", help="Skriv regeldokumentasjonen (docs/rules.md sine regeltabeller, docs/regler/*.md)"
        )
        dc.add_argument("--check", action="store_true", help="bare kontroller at dokumentene er oppdatert")
        rv = sub.add_parser("reevaluate", help="Revurder hele registeret og lagre det som endret seg")
        rv.add_argument("--as-of", help="vurderingsdato (standard: i dag)")
        rv.add_argument("--chunk", type=int, default=50_000, help="personer per transaksjon")
        rv.add_argument("--dry-run", action="store_true", help="vis hva som ville endret seg, lagre ingenting")
        rv.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, action: str, **opts: Any) -> None:
        if action == "evaluate":
            status = cli.evaluate_case_file(opts["case"], self.stdout)
        elif action == "check":
            status = cli.check(opts["paths"], self.stdout)
        elif action == "docs":
            status = cli.docs(self.stdout, check_only=opts["check"])
        elif action == "explain":
            status = self._explain(opts)
        elif action == "reevaluate":
            status = self._reevaluate(opts)
        else:  # pragma: no cover - argparse restricts the choices
            raise CommandError(f"ukjent handling {action!r}")
        if status:
            sys.exit(status)  # the summary line already says what failed

    def _explain(self, opts: dict[str, Any]) -> int:
        from nir.access import audit
        from nir.isodates import parse_date
        from nir.register.derivation import evaluate_person
        from nir.register.explain import explain_lines
        from nir.register.models import Person

        try:
            person = Person.objects.get(duf=opts["duf"])
        except Person.DoesNotExist:
            raise CommandError(f"fant ingen person med DUF-nummer {opts['duf']}") from None
        known = known_at_option(opts.get("known_at"))
        as_of = parse_date(opts["as_of"]) if opts.get("as_of") else timezone.localdate()
        result = evaluate_person(person, as_of=as_of, known_at=known)
        if opts["json"]:
            text = json.dumps(result.to_json(), ensure_ascii=False, indent=2)
        else:
            text = "\n".join(explain_lines(person, result))
        # Audit log: one read of one person, recorded before it is shown; a failure fails the command.
        audit.record(
            system=audit.COMMAND_LINE,
            action="read",
            channel="command",
            what="person:explain",
            persons=[person],
            endpoint="nir rules explain",
            filters={"as_of": as_of, "known_at": known or timezone.now()},
        )
        self.stdout.write(text)
        return 0

    def _reevaluate(self, opts: dict[str, Any]) -> int:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from nir.actions import Acting, reevaluate
        from nir.isodates import parse_date
        from nir.register.actors import REGELMOTOR
        from nir.register.models import Person

        as_of = parse_date(opts["as_of"]) if opts.get("as_of") else None
        total = Person.objects.count()
        started = timezone.now()
        with Progress(
            TextColumn("Revurderer"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            disable=opts["quiet"],
            transient=True,
        ) as bar:
            task = bar.add_task("persons", total=total)
            report = reevaluate(
                Acting.system(REGELMOTOR, channel="command", endpoint="nir rules reevaluate"),
                as_of=as_of,
                chunk=opts["chunk"],
                dry_run=opts["dry_run"],
                progress=lambda n: bar.advance(task, n),
            )
        secs = (timezone.now() - started).total_seconds()
        for line in report.lines():
            self.stdout.write(line)
        rate = report.persons / secs if secs else 0
        self.stdout.write(
            f"{'(tørrkjøring: ingenting lagret) ' if opts['dry_run'] else ''}"
            f"{secs:.1f} s, {rate:,.0f} personer/s".replace(",", " ")
        )
        return 0
