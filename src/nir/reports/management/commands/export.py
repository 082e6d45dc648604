"""nir export facts|research — the register in the interchange format, or the pseudonymised research extract.

    nir export facts [--known-at T] [--out FILE]
    nir export research --out DIR [--known-at T] [--key-file F] [--quiet]   # docs/research-extract.md

A ``reports`` command because the research extract is ``nir.reports.research``; the facts come
from the register's interchange format (``nir.register.history.iter_register``).
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nir.access import audit, policy
from nir.cli_options import known_at_option
from nir.isodates import parse_date
from nir.register.history import iter_register, persons_known_at
from nir.reports import research


class Command(BaseCommand):
    help = (
        "Export the register. 'facts': one person per line in the interchange format (regelmotor.md § 8). "
        "'research': the pseudonymised research extract, Parquet files with a data dictionary in --out "
        "(docs/research-extract.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["facts", "research"], help="what to export")
        parser.add_argument("--out", help="facts: output file (default: standard output); research: output directory")
        parser.add_argument(
            "--known-at",
            help="the register as known at this time (ISO 8601 with time zone, or a date: end of that day)",
        )
        parser.add_argument(
            "--as-of", help="facts: domain date deciding the follow-up municipality shown (default: today)"
        )
        parser.add_argument("--chunk", type=int, default=2000)
        parser.add_argument(
            "--key-file",
            help="research: the pseudonym key (raw bytes or hex); default $NIR_RESEARCH_KEY, "
            "else var/research-pseudonym.key (created on first use)",
        )
        parser.add_argument("--quiet", action="store_true", help="research: no progress bar")
        parser.add_argument(
            "--user",
            help="research: made for this user, who must hold research.extract "
            "(a researcher or IMDi; nir.access.policy); default: the operator's command line",
        )

    def handle(self, *args, what, out, known_at, as_of, chunk, key_file=None, quiet=False, user=None, **opts):
        if what == "research":
            return self._research(out, known_at, key_file, quiet, self._research_user(user))
        if key_file or user:
            raise CommandError("--key-file og --user gjelder bare 'nir export research'")
        known = known_at_option(known_at) if known_at else None
        on = parse_date(as_of) if as_of else timezone.localdate()
        fh = open(out, "w", encoding="utf-8") if out else self.stdout
        n = 0
        ids = []  # audit log (issue 5): the first MAX_INLINE_PERSONS persons, and the count
        try:
            for person, line in iter_register(known, chunk=chunk, on=on):
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                n += 1
                if len(ids) < audit.MAX_INLINE_PERSONS:
                    ids.append(person.pk)
        finally:
            if out:
                fh.close()
        audit.record(
            system=audit.COMMAND_LINE,
            action="export",
            channel="command",
            what="register:facts",
            persons=audit.PersonSet(tuple(ids), n),
            endpoint="nir export facts",
            filters={"known_at": known, "as_of": on},
        )
        self.stderr.write(f"{n} personer eksportert")

    @staticmethod
    def _research_user(username):
        """The user the extract is made for: a researcher gets *only* this (nir.access.policy)."""
        if not username:
            return None
        user = get_user_model().objects.select_related("organisation").filter(username=username).first()
        if user is None:
            raise CommandError(f"ukjent bruker {username!r}")
        if not policy.allows(user, policy.Permission.RESEARCH_EXTRACT):
            raise CommandError(f"{username} har ikke tilgang til forskningsuttrekket")
        return user

    def _research(self, out, known_at, key_file, quiet, user=None):
        if not out:
            raise CommandError("'nir export research' krever --out MAPPE")
        known = known_at_option(known_at) if known_at else None
        try:
            resolved = research.resolve_key(key_file)
        except research.ResearchExtractError as e:
            raise CommandError(str(e)) from None
        if resolved.message:
            self.stderr.write(resolved.message)
        try:
            if quiet:
                summary = research.write_research_extract(out, key=resolved.key, known_at=known)
            else:
                summary = self._with_progress(out, resolved.key, known)
        except research.ResearchExtractError as e:
            raise CommandError(str(e)) from None
        # Audit log (issue 5): a pseudonymised extract of every person, no person list.
        audit.record(
            actor_user=user,
            system=audit.COMMAND_LINE,
            action="export",
            channel="command",
            what="research-extract",
            persons=audit.PersonSet((), persons_known_at(known).count()),
            purpose="forskning",
            endpoint="nir export research",
            filters={"known_at": known, "key_id": summary.key_id},
        )
        files = summary.parquet_files
        when = f"kjent {timezone.localtime(known).isoformat()}" if known else "gjeldende"
        self.stderr.write(f"Forskningsuttrekk ({when}) skrevet til {summary.out_dir}:")
        for f in files:
            self.stderr.write(f"  {f.name:<28} {_n(f.rows):>12} rader {f.bytes / 1e6:>9.1f} MB")
        rate = summary.rows / summary.seconds if summary.seconds else 0
        self.stderr.write(
            f"{len(files)} filer, {_n(summary.rows)} rader, {summary.bytes / 1e6:.1f} MB på {summary.seconds:.1f} s "
            f"({_n(round(rate))} rader/s); pseudonymnøkkel-id {summary.key_id}; "
            "datakatalog og manifest.json i samme mappe"
        )

    def _with_progress(self, out, key, known):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        with Progress(
            TextColumn("[bold]Forskningsuttrekk"),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=None)

            def progress(label, done, total):
                bar.update(task, description=label, completed=done, total=total)

            return research.write_research_extract(out, key=key, known_at=known, progress=progress)


def _n(value: int) -> str:
    """A whole number with spaces between thousands, as Norwegian text has it."""
    return f"{value:,}".replace(",", " ")
