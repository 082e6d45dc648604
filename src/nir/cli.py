"""The ``nir`` command: the entry point for every administrative task.

``nir COMMAND …`` runs a Django management command with NIR's settings, so
NIR's own commands (``import``, ``export``, ``synth``, ``demo``, …) and
Django's (``migrate``, ``createsuperuser``, ``runserver``, …) share one entry
point and honour ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import sys

NIR_COMMANDS = [
    ("demo", "Last inn demodata: syntetisk befolkning og demobrukere (skriver ut passord)"),
    ("import FILE.jsonl", "Importer personer i utvekslingsformatet, linje for linje med feilrapport"),
    ("export facts", "Eksporter registeret i utvekslingsformatet (--known-at for historisk tilstand)"),
    ("synth --persons N --seed S", "Generer en syntetisk befolkning i databasen eller til fil (--out)"),
    ("loadrefdata", "Last kommuner, fylker, bydeler, kodeverk og organisasjoner fra datafilene"),
    ("history DUF", "Vis all registreringshistorikk for én person"),
    ("rules check PATH...", "Kontroller regelcaser (JSON-filer eller mapper); avslutter med «N passed, M failed»"),
    ("rules evaluate CASE.json", "Evaluer én regelcase og skriv ut hele resultatet med forklaringer"),
    ("export research --out DIR", "Pseudonymisert forskningsuttrekk (Parquet + datakatalog), --known-at"),
    (
        "report NAVN",
        "Rapporter og årsstatistikk (avsluttet-intro, avvik-sluttmaal, bortfall-arbeid, personliste, "
        "aarsstatistikk) som csv, json eller xlsx; --compare-known-at; --list",
    ),
    ("supervision", "Tilsynstall per kommune i et fylke og fylkets sum (--county, --user; csv eller json)"),
    (
        "settlement figures|weekly-list",
        "Bosettingstall for et år (--year, --known-at, --area) og ukelisten over bosatte etter aldersgruppe "
        "(--week); csv, xlsx eller json",
    ),
    ("audit search", "Søk i tilgangsloggen (--user, --organisation, --duf, --action, --since, --until; json/csv)"),
    (
        "clients create|add-key|revoke-key|list",
        "API-klienter (fagsystemer): OAuth2-klienter, scope og nøkler (rotasjon)",
    ),
    ("oauth rotate-key|retire-keys", "NIRs signeringsnøkler for tilgangstokener"),
    ("audit person DUF", "Én persons innsynslogg (personvernforordningen art. 15): når, hvem, hva, hvorfor"),
    (
        "dbrole [ROLLE] [--create]",
        "PostgreSQL: applikasjonens databaserolle, som ikke eier noe, med bare de rettighetene den trenger",
    ),
    (
        "settlement indicators load [DIR]",
        "Bosetting: last kommuneindikatorer (municipalities.csv med datadefinisjon) for anmodningen",
    ),
    ("settlement request show ÅR", "Bosetting: årets anmodning per kommune med beregningen (csv eller json)"),
    (
        "settlement train|recommend|backtest",
        "Bosetting: anbefalingsverktøyet på en bosettingsverdens filer: tren modellen, anbefal kommune per "
        "husstand (assignment.csv, --explain, --one-at-a-time), tilbaketest med settlement_eval.py; "
        "train --from-register --until DATO: på registerets egen historikk (--register: ta i bruk)",
    ),
    ("grants check FILE...", "Tilskudd: kjør regneeksempler (grant-examples.json); avslutter med «N passed, M failed»"),
    (
        "grants calculate|approve|statement",
        "Tilskudd: beregn en termin (--year, --round, --known-at) som utkast, godkjenn den (IMDi), og "
        "termingrunnlaget for én kommune (--municipality, --format csv|xlsx|json, --out)",
    ),
    ("audit log-pseudonym DUF", "DUF-nummerets pseudonym i loggene (duf-…), for å finne personens logglinjer"),
]


def _help() -> str:
    lines = ["Bruk: nir KOMMANDO [valg]", "", "NIR-kommandoer:"]
    for name, text in NIR_COMMANDS:
        lines.append(f"  {name:<30} {text}")
    lines += [
        "",
        "Djangos kommandoer er også tilgjengelige, for eksempel:",
        "  migrate, createsuperuser, runserver, shell, dbshell, check",
        "",
        "Databasen velges med DATABASE_URL (standard: SQLite i var/nir.sqlite3).",
        "Alle kommandoer: nir help --commands.  Hjelp til én kommando: nir KOMMANDO --help",
    ]
    return "\n".join(lines)


# Commands that change the schema, grant, or load in bulk past the row-by-row write path: they
# connect as the schema's owner (NIR_MIGRATE_DATABASE_URL, when set); every other command, like the
# application, as DATABASE_URL's role, which owns nothing (nir.access.dbrole, docs/security.md).
OWNER_COMMANDS = frozenset({"migrate", "dbrole", "loadrefdata", "synth", "demo", "createcachetable", "flush"})


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nir.settings")
    if argv and argv[0] in OWNER_COMMANDS:
        os.environ["NIR_DB_AS_OWNER"] = "1"
    else:
        os.environ.pop("NIR_DB_AS_OWNER", None)
    if not argv or argv[0] in ("-h", "--help"):
        print(_help())
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["nir", *argv])


if __name__ == "__main__":
    main()
