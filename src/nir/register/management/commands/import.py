"""nir import FILE.jsonl — load persons in the interchange format (regelmotor.md § 8)."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from nir.register.actors import Actor
from nir.register.errors import RegistrationRefused
from nir.register.interchange import parse_line
from nir.register.services import import_person


class Command(BaseCommand):
    help = (
        "Import persons from a JSON Lines file in the interchange format. Every line is validated; "
        "a refused line is reported with its line number and reason and nothing of it is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON Lines file ('-' for standard input)")
        parser.add_argument("--user", help="username of the importing user (registered as registrant)")
        parser.add_argument("--source", default="import", help="source system recorded on every row (default: import)")
        parser.add_argument("--update", action="store_true",
                            help="a line for an existing DUF number replaces that person's current facts (snapshot)")
        parser.add_argument("--dry-run", action="store_true", help="validate only; store nothing")
        parser.add_argument("--errors", help="write refused lines with their problems to this JSON Lines file")
        parser.add_argument("--batch", type=int, default=500, help="lines per database transaction (default 500)")
        parser.add_argument("--max-errors-shown", type=int, default=50)

    def handle(self, *args, file, user, source, update, dry_run, errors, batch, max_errors_shown, **opts):
        actor = self._actor(user, source)
        fh = sys.stdin if file == "-" else open(file, encoding="utf-8")
        err_fh = open(errors, "w", encoding="utf-8") if errors else None
        accepted = refused = warned = 0
        shown = 0
        try:
            pending: list[tuple[int, object, str]] = []
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as e:
                    problems = [{"field": "$", "rule": "json", "message": f"ugyldig JSON: {e.msg} (kolonne {e.colno})"}]
                    refused += 1
                    shown = self._report(lineno, problems, shown, max_errors_shown, err_fh, raw)
                    continue
                pending.append((lineno, obj, raw))
                if len(pending) >= batch:
                    a, r, w, shown = self._flush(pending, actor, update, dry_run, shown, max_errors_shown, err_fh)
                    accepted, refused, warned = accepted + a, refused + r, warned + w
                    pending = []
            a, r, w, shown = self._flush(pending, actor, update, dry_run, shown, max_errors_shown, err_fh)
            accepted, refused, warned = accepted + a, refused + r, warned + w
        finally:
            if fh is not sys.stdin:
                fh.close()
            if err_fh:
                err_fh.close()
        verb = "ville blitt lagret" if dry_run else "lagret"
        self.stdout.write(f"{accepted} personer {verb}, {refused} linjer avvist, {warned} med advarsler.")
        if refused:
            raise CommandError(f"{refused} linjer ble avvist", returncode=1)

    def _actor(self, username, source) -> Actor:
        if not username:
            return Actor.for_system(name=source, source_system=source)
        from django.contrib.auth import get_user_model

        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"ukjent bruker {username!r}") from None
        return Actor.for_user(user, source_system=source)

    def _flush(self, pending, actor, update, dry_run, shown, max_shown, err_fh):
        accepted = refused = warned = 0
        if not pending:
            return 0, 0, 0, shown
        with transaction.atomic():
            for lineno, obj, raw in pending:
                parsed = parse_line(obj)
                try:
                    with transaction.atomic():
                        result = import_person(parsed, actor, update=update)
                        if dry_run:
                            transaction.set_rollback(True)
                except RegistrationRefused as e:
                    refused += 1
                    shown = self._report(lineno, [p.as_dict() for p in e.problems], shown, max_shown, err_fh, raw)
                    continue
                accepted += 1
                if result.warnings:
                    warned += 1
                    if shown < max_shown:
                        for w in result.warnings:
                            self.stderr.write(f"linje {lineno}: advarsel: {w}")
        return accepted, refused, warned, shown

    def _report(self, lineno, problems, shown, max_shown, err_fh, raw):
        if shown < max_shown:
            for p in problems:
                self.stderr.write(f"linje {lineno}: {p['field']}: {p['message']} [{p['rule']}]")
        elif shown == max_shown:
            self.stderr.write("… (flere avviste linjer; se --errors)")
        if err_fh:
            err_fh.write(json.dumps({"line": lineno, "problems": problems}, ensure_ascii=False) + "\n")
        return shown + 1
