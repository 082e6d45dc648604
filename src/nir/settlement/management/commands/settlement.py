"""nir settlement — Bosetting on the command line.

    nir settlement indicators load [DIR] [--name N] [--user U]
    nir settlement request show YEAR [--round N] [--format csv|json] [--out FILE]
    nir settlement figures --year 2025 [--known-at T] [--area 50|5001|region-vest] [--format csv|xlsx|json] [--out F]
                           [--user U]
    nir settlement weekly-list --year 2025 --week 48 [--known-at T] [--area …] [--format …] [--out F] [--user U]
    nir settlement train|recommend|backtest …   the recommendation tool on a world's files (recommend_cli.py)

``indicators load`` reads a settlement world's ``municipalities.csv`` and its data dictionary
``municipalities.columns.csv`` (``DIR``; default: the public world's copy kept in the repository,
``nir/settlement/data/``) into an ``IndicatorDataset`` through the planning action
(``nir.settlement.actions.planning.load_indicators``: audited). A bad file is refused whole, naming
the file, line and column (exit status 1). Without ``--user`` the command acts as the command line
(a system actor for IMDi); with ``--user`` as that user, who must be allowed to plan.

``request show`` prints a year's request (default: the latest sent round; ``--round`` any round, drafts
included — the command line is IMDi's operator): per municipality the computed and requested figures
(EM separately), the reason of an adjustment, the score and each criterion's contribution; the first
line says when the indicators are synthetic. Audited as statistics (no person).

``figures`` and ``weekly-list``: the figures of settlement.md § 3 (``nir.settlement.figures``) and the weekly
list of settled persons by age group, as the pages /bosetting/tall/ and /bosetting/ukeliste/ and the API
show them (docs/settlement.md «Tall og lister»). Without ``--user`` everything; with ``--user`` what that
user may read (``nir.access.settlement.settlement_area``). One audit event of kind «statistics» per run.
"""

from __future__ import annotations

import io
import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nir import spreadsheet
from nir.access import audit, policy
from nir.access.policy import AccessDenied
from nir.access.settlement import settlement_area
from nir.actions.acting import Acting
from nir.cli_options import known_at_option
from nir.settlement import figures as fg
from nir.settlement import figures_export as ex
from nir.settlement import indicators, planning_reads, recommend_cli
from nir.settlement.actions import planning


class Command(BaseCommand):
    help = "Bosetting: municipal indicators for the request (anmodning). See docs/settlement.md."

    def add_arguments(self, parser):
        subs = parser.add_subparsers(dest="area", required=True)
        ind = subs.add_parser("indicators", help="municipal indicators (kommuneindikatorer)")
        ind_subs = ind.add_subparsers(dest="verb", required=True)
        load = ind_subs.add_parser("load", help="load municipalities.csv and municipalities.columns.csv from DIR")
        load.add_argument("directory", nargs="?", help="a settlement world folder (default: the public world's copy)")
        load.add_argument("--name", default="", help="the dataset's name")
        load.add_argument("--user", help="act as this user (must be allowed to plan); default: the command line")
        req = subs.add_parser("request", help="the request (anmodning)")
        req_subs = req.add_subparsers(dest="verb", required=True)
        show = req_subs.add_parser("show", help="print a year's request per municipality")
        show.add_argument("year", type=int)
        show.add_argument("--round", type=int, help="a round number (default: the latest sent)")
        show.add_argument("--format", default="csv", choices=["csv", "json"])
        show.add_argument("--out", help="output file (default: standard output)")
        for name in ("figures", "weekly-list"):
            p = subs.add_parser(name, help="settlement figures" if name == "figures" else "settled per week and age")
            p.add_argument("--year", type=int, required=name == "weekly-list")
            if name == "weekly-list":
                p.add_argument("--week", type=int, required=True, help="ISO week (1–53)")
            p.add_argument("--known-at", help="as known at this time (ISO 8601 with time zone, or a date: end of day)")
            p.add_argument(
                "--area",
                dest="figures_area",
                default="",
                help="county (2 digits), municipality (4) or region-… (default: all)",
            )
            p.add_argument("--format", default="csv", choices=["csv", "xlsx", "json"])
            p.add_argument("--out", help="output file (default: standard output; xlsx needs --out)")
            p.add_argument("--user", help="run as this user (their access applies); default: everything")
        recommend_cli.add_parsers(subs)

    def handle(self, *args, **o):
        if o["area"] in ("train", "recommend", "backtest"):
            recommend_cli.handle(o, self.stdout, self.stderr)
        elif o["area"] in ("figures", "weekly-list"):
            self._figures(o)
        elif (o["area"], o["verb"]) == ("indicators", "load"):
            self._load(o)
        elif (o["area"], o["verb"]) == ("request", "show"):
            self._show(o)

    def _figures(self, o) -> None:
        user, allowed = None, None
        if o["user"]:
            try:
                user = get_user_model().objects.select_related("organisation").get(username=o["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"ukjent bruker {o['user']!r}") from None
            if not policy.allows(user, policy.Permission.SETTLEMENT_READ):
                raise CommandError(f"{user.username} har ikke tilgang til bosettingstall")
            allowed = settlement_area(user)
        if o["format"] == "xlsx" and not o["out"]:
            raise CommandError("--format xlsx krever --out FIL")
        known_at = known_at_option(o["known_at"])
        year = o["year"] or timezone.localdate().year
        area = o["figures_area"]
        try:
            if o["area"] == "figures":
                f = fg.compute(year, known_at=known_at, area=area, allowed=allowed)
                doc, text, data, label = (
                    ex.document(f),
                    ex.csv_text(f) if o["format"] == "csv" else "",
                    ex.xlsx_bytes(f) if o["format"] == "xlsx" else b"",
                    f"{f.values['settled']} bosatte i {year} ({f.area.label})",
                )
                what, filters = "settlement:figures", {"year": year, "area": f.area.code or f.area.kind}
            else:
                w = fg.weekly_list(year, o["week"], known_at=known_at, allowed=allowed, area=area)
                doc, text, data, label = (
                    ex.weekly_document(w),
                    ex.weekly_csv(w) if o["format"] == "csv" else "",
                    ex.weekly_xlsx(w) if o["format"] == "xlsx" else b"",
                    f"{w.total['total']} bosatte i uke {w.week} {year}",
                )
                what, filters = "settlement:weekly-list", {"year": year, "week": o["week"], "area": area}
        except fg.FiguresError as e:
            raise CommandError(str(e)) from None
        if o["format"] == "json":
            text = json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n"
        if o["format"] == "xlsx":
            with open(o["out"], "wb") as fh:
                fh.write(data)
        elif o["out"]:
            with open(o["out"], "w", encoding="utf-8-sig" if o["format"] == "csv" else "utf-8", newline="") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")
        audit.record(
            actor_user=user,
            system="" if user else audit.COMMAND_LINE,
            action="statistics",
            channel="command",
            endpoint=f"nir settlement {o['area']}",
            what=what,
            filters={**filters, "known_at": o["known_at"] or "", "format": o["format"]},
        )
        self.stderr.write(label)

    def _show(self, o) -> None:
        year = o["year"]
        rnd = planning_reads.round_of(year, o["round"]) if o["round"] else planning_reads.latest_sent_round(year)
        if rnd is None:
            raise CommandError(f"ingen {'runde ' + str(o['round']) if o['round'] else 'sendt anmodning'} for {year}")
        lines = planning_reads.round_lines(rnd)
        doc = {
            "year": rnd.year,
            "round": rnd.number,
            "sent_at": rnd.sent_at.isoformat() if rnd.sent_at else None,
            "need_persons": rnd.need.persons,
            "need_um_persons": rnd.need.um_persons,
            "parameters_version": rnd.parameters_version,
            "parameters_sha256": rnd.parameters_sha256,
            "synthetic": rnd.dataset.synthetic,
            "lines": [
                {
                    "municipality": x.municipality,
                    "computed_persons": x.computed_persons,
                    "computed_um": x.computed_um,
                    "persons": x.persons,
                    "um_persons": x.um_persons,
                    "adjustment_reason": x.change_reason,
                    "breakdown": x.breakdown,
                }
                for x in lines
            ],
        }
        if o["format"] == "json":
            text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        else:
            buf = io.StringIO()
            rows: list[list] = [[indicators.SYNTHETIC_LABEL]] if rnd.dataset.synthetic else []
            keys = [c["key"] for c in (lines[0].breakdown.get("criteria", []) if lines else [])]
            rows.append(
                [
                    "kommune",
                    "beregnet",
                    "beregnet_em",
                    "anmodet",
                    "anmodet_em",
                    "begrunnelse",
                    "poengsum",
                    *[f"bidrag_{k}" for k in keys],
                ]
            )
            for x in doc["lines"]:
                b = x["breakdown"]
                rows.append(
                    [
                        x["municipality"],
                        x["computed_persons"],
                        x["computed_um"],
                        x["persons"],
                        x["um_persons"],
                        x["adjustment_reason"],
                        round(b.get("score", 0.0), 6),
                        *[round(c["contribution"], 6) for c in b.get("criteria", [])],
                    ]
                )
            spreadsheet.write_csv(buf, rows)
            text = buf.getvalue()
        if o["out"]:
            with open(o["out"], "w", encoding="utf-8-sig" if o["format"] == "csv" else "utf-8", newline="") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")
        audit.record(
            system=audit.COMMAND_LINE,
            action="statistics",
            channel="command",
            endpoint="nir settlement request show",
            what="settlement.requests",
            filters={"year": year, "round": rnd.number, "municipalities": len(lines), "format": o["format"]},
        )

    def _acting(self, username: str | None) -> Acting:
        endpoint = "nir settlement indicators load"
        if not username:
            return Acting.system(
                audit.COMMAND_LINE, source_system="nir settlement", channel="command", endpoint=endpoint
            )
        try:
            user = get_user_model().objects.select_related("organisation").get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"ukjent bruker {username!r}") from None
        return Acting.for_user(user, channel="command", source_system="nir settlement", endpoint=endpoint)

    def _load(self, o) -> None:
        acting = self._acting(o["user"])
        try:
            dataset, created = planning.load_indicators(acting, o["directory"], name=o["name"])
        except indicators.IndicatorFileError as e:
            raise CommandError(str(e)) from None
        except AccessDenied as e:
            raise CommandError(str(e)) from None
        rows = dataset.rows.count()
        kind = "syntetiske" if dataset.synthetic else "ikke-syntetiske"
        if created:
            self.stdout.write(
                f"Lastet datasett {dataset.pk}: {rows} kommuner, {kind} indikatorer, sha256 {dataset.file_sha256}"
            )
        else:
            self.stdout.write(
                f"Allerede lastet som datasett {dataset.pk} ({rows} kommuner, sha256 {dataset.file_sha256})"
            )
        if dataset.synthetic:
            self.stdout.write(indicators.SYNTHETIC_LABEL)
