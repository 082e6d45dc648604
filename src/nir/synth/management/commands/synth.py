"""nir synth — generate a synthetic population into the register or to a JSON Lines file, and the
settlement year (Bosetting) that goes with it.

    nir synth [--persons N] [--settlement]     the population (and with --settlement its settlement year)
    nir synth settlement [--settlement-year Y]  the settlement year, linked to the register's persons
    nir synth settlement-summary [--settlement-year Y]   the year's headline figures vs the 2025 targets
"""

from __future__ import annotations

import datetime as dt
import time
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
        parser.add_argument(
            "what",
            nargs="?",
            default="population",
            choices=("population", "settlement", "settlement-summary"),
            help="population (default); settlement: the settlement year (nir.synth.settlement) for the "
            "register already loaded; settlement-summary: the year's headline figures against the 2025 targets",
        )
        parser.add_argument(
            "--settlement",
            action="store_true",
            help="after the population, generate its settlement year (cases, proposals, agreements, settled)",
        )
        parser.add_argument("--settlement-year", type=int, help="the settlement year (default: the year of --now)")
        parser.add_argument(
            "--settlement-cases",
            type=int,
            help="size the settlement year to this many cases, every settled person a new register person "
            "(benchmarks); default: sized by the register's persons settled by agreement in the year",
        )
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
        what = opts.get("what") or "population"
        if what != "population":
            now_dt = _parse_now(now) if now else default_now()
            year = opts.get("settlement_year") or now_dt.astimezone(OSLO).year
            if what == "settlement":
                self.settlement(year, seed, now_dt, opts.get("settlement_cases"), quiet)
            else:
                self.settlement_summary(year, now_dt)
            return None
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
        if opts.get("settlement") and not out:
            year = opts.get("settlement_year") or now_dt.astimezone(OSLO).year
            self.settlement(year, seed, now_dt, opts.get("settlement_cases"), quiet)
        return None

    # --- the settlement year (nir.synth.settlement) ------------------------------------------------

    def settlement(self, year: int, seed: int, now_dt: dt.datetime, cases: int | None, quiet: bool) -> None:
        from nir.synth import settlement

        start = time.monotonic()
        try:
            if quiet:
                result = settlement.generate(year, seed, now_dt, cases=cases)
            else:
                result = self._settlement_with_progress(settlement, year, seed, now_dt, cases)
        except (settlement.SettlementYearExists, ValueError) as e:
            raise CommandError(str(e)) from None
        if not quiet:
            self.stdout.write(
                f"Syntetisk bosettingsår {year} skrevet på {time.monotonic() - start:.1f} s "
                f"({sum(result.rows.values()):,} rader):".replace(",", " ")
            )
            self._print_summary(result)

    def _settlement_with_progress(self, settlement, year, seed, now_dt, cases):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("[bold]Bosetting {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        ) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=max(total, 1))
                bar.update(tasks[stage], completed=done, total=max(total, 1))

            return settlement.generate(year, seed, now_dt, cases=cases, progress=progress)

    def settlement_summary(self, year: int, now_dt: dt.datetime) -> None:
        from nir.synth import settlement

        result = settlement.summary(year, now_dt)
        if not result.cases:
            raise CommandError(f"Ingen bosettingssaker for {year}: kjør «nir synth settlement» først")
        self.stdout.write(f"Bosettingsåret {year} (syntetisk), skala {result.scale:.3f} av 2025-tallene:")
        self._print_summary(result)

    def _print_summary(self, r) -> None:
        t = r.targets()

        def line(label: str, value: str, target: str = "") -> None:
            self.stdout.write(f"  {label:<44} {value:>10}   {target}")

        def n(x: float) -> str:
            return f"{round(x):,}".replace(",", " ")

        line("saker", n(r.cases))
        line("bosettingsbehov (siste versjon)", n(r.need))
        line(f"kommunale vedtak ({r.decided_municipalities} kommuner)", n(r.decided))
        line("bosatte personer (gir skalaen)", n(r.settled_persons), "2025: 12 596; fullt år ≈ 13 000")
        line("  i registeret: bosatt etter avtale i året", n(r.register_settled_by_agreement))
        line("bosatte husstander", n(r.settled_households))
        line("bosettingsklare ved årets slutt", n(r.ready_end_persons), f"mål ≈ {n(t['ready_end_persons'])}")
        line("  av dem med avtale", n(r.ready_end_with_agreement), "mål ≈ en tredjedel")
        line("andel bosatte med særlige behov", f"{r.special_share:.1%}", f"mål ≈ {t['special_share']:.0%}")
        line("bosatte enslige mindreårige", n(r.um_settled), f"mål ≈ {n(t['um_settled'])}")
        line("  av dem med følgeperson", n(r.um_with_companion))
        line("ventetid vedtak → bosetting (mnd)", f"{r.wait_months:.1f}", f"mål ≈ {t['wait_months']:.1f}")

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
