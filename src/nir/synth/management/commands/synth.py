"""nir synth — generate a synthetic population into the register or to a JSON Lines file."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from nir.synth.generator import BLOCK, default_now
from nir.synth.ids import MAX_PERSONS
from nir.synth.pipeline import run
from nir.synth.writers import DatabaseWriter, JsonlWriter, SynthConflict

OSLO = ZoneInfo("Europe/Oslo")

TABLE_LABELS = {
    "Person": "personer (anker)",
    "PersonDetails": "personopplysninger",
    "ResidencePermit": "oppholdstillatelser",
    "Residence": "adresser",
    "FollowUp": "oppfølging",
    "Settlement": "bosettinger",
    "Decision": "vedtak",
    "FinalGoal": "sluttmål",
    "Extension": "utvidelser",
    "Participation": "deltakelse",
    "Measure": "tiltak",
    "Absence": "fravær og permisjoner",
    "Termination": "avslutninger",
    "CareerGuidance": "karriereveiledning",
    "CompetenceMapping": "kompetansekartlegginger",
    "Exam": "prøver",
}


def _parse_now(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(
            f"--now må være et ISO-tidspunkt, f.eks. 2026-03-01T12:00:00+01:00 (fikk {value!r})"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=OSLO)
    return parsed


class Command(BaseCommand):
    help = (
        "Generate a synthetic population (deterministic for the same --persons, --seed and --now) "
        "into the database (PostgreSQL: COPY; SQLite: executemany) or, with --out, to a JSON Lines "
        "file in the interchange format."
    )

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=2000, help="number of persons (default 2000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--now",
            help="reference time; nothing is dated or registered after it "
            "(ISO 8601; default: the latest 12:00 Europe/Oslo not in the future)",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=25_000,
            help=f"persons per write transaction (default 25000; generated in blocks of {BLOCK})",
        )
        parser.add_argument(
            "--out", help="write JSON Lines to this file ('-' for standard output) instead of the database"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="generate in this process (default: a worker process for large populations)",
        )
        parser.add_argument(
            "--check-keys",
            choices=("auto", "triggers"),
            default="auto",
            help="PostgreSQL foreign keys: 'auto' checks them set-wise per chunk when the role may "
            "bypass the per-row triggers, 'triggers' always uses the per-row checks",
        )

    def handle(self, *args, persons, seed, now, chunk_size, out, quiet, in_process, check_keys, **opts):
        if persons < 0 or persons > MAX_PERSONS:
            raise CommandError(f"--persons må være mellom 0 og {MAX_PERSONS}")
        now_dt = _parse_now(now) if now else default_now()
        if now_dt > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
            raise CommandError("--now kan ikke være fram i tid (registreringer kan ikke ligge i framtiden)")
        worker = False if in_process else None

        fh = None
        if out:
            fh = self.stdout if out == "-" else open(out, "w", encoding="utf-8")
            writer = JsonlWriter(fh)
        else:
            writer = DatabaseWriter(check_keys=check_keys)

        show = not quiet and out != "-"
        try:
            if show:
                result = self._run_with_progress(persons, seed, now_dt, writer, chunk_size, worker)
            else:
                result = run(persons, seed, now_dt, writer, chunk_size=chunk_size, worker=worker)
        except SynthConflict as e:
            raise CommandError(str(e)) from None
        finally:
            if fh is not None and fh is not self.stdout:
                fh.close()

        if show:
            target = f"fil {out}" if out else "databasen"
            self.stdout.write(f"Syntetisk befolkning skrevet til {target} (seed {seed}, nå = {now_dt.isoformat()}):")
            counts = writer.rows_written
            for name, label in TABLE_LABELS.items():
                if counts.get(name):
                    self.stdout.write(f"  {label:<26} {counts[name]:>12,}".replace(",", " "))
            total = sum(v for k, v in counts.items() if k != "Person")
            self.stdout.write(f"  {'registreringer i alt':<26} {total:>12,}".replace(",", " "))
            self.stdout.write(
                f"{result.persons:,} personer på {result.elapsed:.1f} s: "
                f"{result.persons_per_second:,.0f} personer/s, "
                f"{(total + result.persons) / max(result.elapsed, 1e-9):,.0f} rader/s".replace(",", " ")
            )
        return None

    def _run_with_progress(self, persons, seed, now_dt, writer, chunk_size, worker):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        with Progress(
            TextColumn("[bold]Genererer personer"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("synth", total=persons)
            return run(
                persons,
                seed,
                now_dt,
                writer,
                chunk_size=chunk_size,
                worker=worker,
                progress=lambda done: bar.update(task, completed=done),
            )
