"""nir import FILE.jsonl — load persons in the interchange format (regelmotor.md § 8).

What is stored, and when (docs/interchange-format.md, «What a file stores»):

- Each line is all or nothing (a savepoint per line): a refused line stores nothing, and the
  other lines are not affected by it.
- By default lines are committed in transactions of ``--batch`` lines: a refused line does not
  stop the import, and when the import stops for a reason that is not a line's fault (a lost
  database connection, Ctrl-C, a bug) the committed batches stay stored, the open batch is rolled
  back, and the summary says exactly which lines are stored.
- ``--atomic``: the whole file in one transaction: if any line is refused, nothing is stored.

The file is read as bytes, line by line (``nir.register.interchange_file``): a bad line — not
UTF-8, not JSON, nested too deeply, NUL or other control characters in text, a value the register
or the database refuses — gets ``linje N: FIELD: message [rule]`` and never a traceback. The
command ends with a summary of what was stored and exits with status 1 if any line was refused,
2 if the import stopped before the end of the file.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, fields
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError
from django.db import DataError, IntegrityError, transaction

from nir.actions import Acting, ImportResult, import_person
from nir.actions.imports import RefusedElsewhere, audit_refused_elsewhere
from nir.logging import redact
from nir.register.errors import Problem, RegistrationRefused
from nir.register.interchange import ParsedPerson, parse_line
from nir.register.interchange_file import FileEncodingError, Line, read_lines
from nir.register.models import Person


def store_line(parsed: ParsedPerson, acting: Acting, *, update: bool) -> ImportResult:
    """The one write of a line into the register: the person's facts, all or nothing, as the action
    ``nir.actions.import_person`` (``acting``'s access check, the write and its audit event)."""
    return import_person(acting, parsed, update=update)


@dataclass
class Tally:
    """What the accepted lines stored (or would store, with --dry-run)."""

    accepted: int = 0
    warned: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    created: int = 0
    corrected: int = 0
    annulled: int = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def count(self, result: ImportResult, *, existed: bool) -> None:
        self.accepted += 1
        self.warned += bool(result.warnings)
        self.created += result.created
        self.corrected += result.corrected
        self.annulled += result.annulled
        if not existed:
            self.new += 1
        elif result.created or result.corrected or result.annulled:
            self.updated += 1
        else:
            self.unchanged += 1


class _Stopped(Exception):
    """The import stopped at a line for a reason that is not the line's fault."""

    def __init__(self, lineno: int, first_open: int | None, cause: BaseException) -> None:
        self.lineno = lineno
        self.first_open = first_open
        self.cause = cause


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _first_line(error: BaseException) -> str:
    """An error's first line, without identity numbers (a database error may quote a value)."""
    lines = str(error).strip().splitlines()
    return redact(lines[0]) if lines else type(error).__name__


def printable(text: str) -> str:
    """Text for the terminal: control characters shown as escapes, never sent raw."""
    return _CONTROL.sub(lambda mo: f"\\x{ord(mo.group()):02x}", str(text))


class Command(BaseCommand):
    help = (
        "Import persons from a JSON Lines file (UTF-8) in the interchange format. Every line is validated; "
        "a refused line is reported with its line number, field and rule, and nothing of it is stored. "
        "Each line is all or nothing; with --atomic the whole file is."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="JSON Lines file in UTF-8 ('-' for standard input)")
        parser.add_argument(
            "--user",
            help="username of the importing user: registered as registrant, and the "
            "import acts with that user's permissions and scope (without it: the "
            "--source system)",
        )
        parser.add_argument("--source", default="import", help="source system recorded on every row (default: import)")
        parser.add_argument(
            "--update",
            action="store_true",
            help="a line for an existing DUF number replaces that person's current facts (snapshot)",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate only; store nothing")
        parser.add_argument(
            "--atomic",
            action="store_true",
            help="the whole file in one transaction: if any line is refused, nothing is stored",
        )
        parser.add_argument("--errors", help="write refused lines with their problems to this JSON Lines file")
        parser.add_argument("--batch", type=int, default=500, help="lines per database transaction (default 500)")
        parser.add_argument("--max-errors-shown", type=int, default=50)

    def handle(
        self,
        *args: Any,
        file: str,
        user: str | None,
        source: str,
        update: bool,
        dry_run: bool,
        atomic: bool,
        errors: str | None,
        batch: int,
        max_errors_shown: int,
        **opts: Any,
    ) -> None:
        actor = self._actor(user, source)
        self.update, self.dry_run, self.batch = update, dry_run, max(1, batch)
        self.max_shown, self.shown, self.refused = max_errors_shown, 0, 0
        self.stored = Tally()  # committed (or, with --dry-run, would be)
        self.elsewhere: set[int] = set()  # persons of lines refused as followed up elsewhere
        self.not_utf8: FileEncodingError | None = None
        fh = self._open(file)
        try:
            self.err_fh = open(errors, "w", encoding="utf-8") if errors else None
        except OSError as e:
            fh.close()
            raise CommandError(f"kan ikke skrive {errors}: {e.strerror}") from None
        stopped: _Stopped | None = None
        discarded: Tally | None = None
        try:
            with transaction.atomic() if atomic else nullcontext():
                whole = Tally()
                try:
                    self._run(read_lines(fh), actor, whole if atomic else self.stored)
                except FileEncodingError as e:
                    self._report(1, [e.problem().as_dict()])
                    self.not_utf8 = e
                except _Stopped as e:
                    stopped = e
                if atomic and (self.refused or stopped):
                    transaction.set_rollback(True)
                    discarded = whole
                elif atomic:
                    self.stored.add(whole)
        finally:
            if file != "-":
                fh.close()
            if self.err_fh:
                self.err_fh.close()
        if self.elsewhere:  # after the transactions: kept even when --atomic discards the file
            audit_refused_elsewhere(actor, self.elsewhere)
        self._summary(atomic, discarded, stopped)
        if stopped is not None:
            if opts.get("traceback"):
                raise stopped.cause
            if isinstance(stopped.cause, KeyboardInterrupt):
                raise CommandError("importen ble avbrutt", returncode=130)
            raise CommandError(f"importen stoppet ved linje {stopped.lineno}", returncode=2)
        if self.refused:
            raise CommandError(f"{self.refused} linjer ble avvist", returncode=1)

    def _open(self, file: str) -> BinaryIO:
        if file == "-":
            stdin = sys.stdin
            if hasattr(stdin, "buffer"):
                return stdin.buffer
            return io.BytesIO(stdin.read().encode("utf-8", "surrogateescape"))  # a text stream (tests)
        try:
            return open(file, "rb")
        except OSError as e:
            raise CommandError(f"kan ikke lese {file}: {e.strerror}") from None

    def _actor(self, username: str | None, source: str) -> Acting:
        """Who imports: the user ``--user`` (with their permissions and scope) or the system ``--source``."""
        if not username:
            return Acting.system(source, channel="command", endpoint="nir import")
        from django.contrib.auth import get_user_model

        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"ukjent bruker {username!r}") from None
        if not user.is_active:
            raise CommandError(f"brukeren {username!r} er deaktivert")
        return Acting.for_user(user, channel="command", source_system=source, endpoint="nir import")

    # --- reading and storing --------------------------------------------------------------------

    def _run(self, lines: Iterator[Line], actor: Acting, into: Tally) -> None:
        pending: list[Line] = []
        current = 0
        try:
            for line in lines:
                current = line.number
                if line.problems:
                    self._report(line.number, [p.as_dict() for p in line.problems])
                    continue
                pending.append(line)
                if len(pending) >= self.batch:
                    self._flush(pending, actor, into)
                    pending = []
            self._flush(pending, actor, into)
        except _Stopped:
            raise
        except FileEncodingError:
            raise
        except (Exception, KeyboardInterrupt) as e:  # reading the file itself failed, or Ctrl-C between batches
            raise _Stopped(current, pending[0].number if pending else None, e) from e

    def _flush(self, pending: list[Line], actor: Acting, into: Tally) -> None:
        if not pending:
            return
        batch = Tally()
        lineno = pending[0].number
        try:
            with transaction.atomic():
                for line in pending:
                    lineno = line.number
                    self._line(line, actor, batch)
        except (Exception, KeyboardInterrupt) as e:  # not the line's fault: the batch is rolled back
            raise _Stopped(lineno, pending[0].number, e) from e
        into.add(batch)

    def _line(self, line: Line, actor: Acting, batch: Tally) -> None:
        parsed = parse_line(line.obj)
        existed = False
        try:
            with transaction.atomic():  # the line: all or nothing
                if self.update and parsed.duf:  # without --update an existing person is refused
                    existed = Person.objects.filter(duf=parsed.duf).exists()
                result = store_line(parsed, actor, update=self.update)
                if self.dry_run:
                    transaction.set_rollback(True)
        except RegistrationRefused as e:
            if isinstance(e, RefusedElsewhere):
                self.elsewhere.add(e.person_id)
            self._report(line.number, [p.as_dict() for p in e.problems])
            return
        except (DataError, IntegrityError) as e:  # validation let through what the database refuses
            self._report(
                line.number, [Problem("$", "database_refused", f"databasen avviste linjen: {_first_line(e)}").as_dict()]
            )
            return
        batch.count(result, existed=existed)
        if result.warnings and self.shown < self.max_shown:
            for w in result.warnings:
                self.stderr.write(printable(f"linje {line.number}: advarsel: {w}"))

    # --- reporting ------------------------------------------------------------------------------

    def _report(self, lineno: int, problems: list[dict[str, str]]) -> None:
        self.refused += 1
        if self.shown < self.max_shown:
            for p in problems:
                self.stderr.write(printable(f"linje {lineno}: {p['field']}: {p['message']} [{p['rule']}]"))
        elif self.shown == self.max_shown:
            self.stderr.write("… (flere avviste linjer; se --errors)")
        self.shown += 1
        if self.err_fh:
            self.err_fh.write(json.dumps({"line": lineno, "problems": problems}, ensure_ascii=False) + "\n")

    def _summary(self, atomic: bool, discarded: Tally | None, stopped: _Stopped | None) -> None:
        t = self.stored
        verb = "ville blitt lagret" if self.dry_run else "lagret"
        self.stdout.write(f"{t.accepted} personer {verb}, {self.refused} linjer avvist, {t.warned} med advarsler.")
        self.stdout.write(
            f"Personer: {t.new} nye, {t.updated} oppdatert, {t.unchanged} uendret. "
            f"Registreringer: {t.created} opprettet, {t.corrected} korrigert, {t.annulled} annullert."
        )
        if self.not_utf8 is not None:
            self.stdout.write(f"Filen er avvist i sin helhet: den er {self.not_utf8.encoding}, ikke UTF-8.")
        if discarded is not None:
            why = f"{self.refused} linjer ble avvist" if not stopped else f"importen stoppet ved linje {stopped.lineno}"
            self.stdout.write(
                f"--atomic: ingenting er lagret fordi {why} ({discarded.accepted} godkjente linjer ble forkastet)."
            )
        if stopped is not None:
            cause = stopped.cause
            what = (
                "avbrutt (Ctrl-C)"
                if isinstance(cause, KeyboardInterrupt)
                else f"uventet feil ({type(cause).__name__}: {_first_line(cause)})"
            )
            lines = (
                f"linje {stopped.first_open}–{stopped.lineno}"
                if stopped.first_open != stopped.lineno
                else f"linje {stopped.lineno}"
            )
            rolled = (
                f"; {lines} er rullet tilbake og ikke lagret" if stopped.first_open is not None and not atomic else ""
            )
            self.stderr.write(printable(f"linje {stopped.lineno}: importen stoppet: {what}{rolled}"))
            self.stdout.write(
                f"Importen stoppet etter linje {stopped.lineno}; resten av filen er ikke lest. "
                "Tallene over er det som er lagret."
            )
