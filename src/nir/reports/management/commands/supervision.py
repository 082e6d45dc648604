"""nir supervision — the county governor's supervision figures (tilsyn) on the command line.

The same document as ``GET /api/v1/supervision`` and the figures of the page /tilsyn/
(``nir.reports.supervision.overview``): per municipality of a county and the county's total. Without
``--user`` the command is an administrator's command line and counts every person; with ``--user`` it
counts what that user may see (a county governor: its counties), as ``nir report`` does.
"""

from __future__ import annotations

import io
import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nir import spreadsheet
from nir.access import audit, policy
from nir.access.scope import person_scope
from nir.reports import exports, supervision


class Command(BaseCommand):
    help = (
        "The supervision figures (tilsyn, docs/web.md): per municipality of a county — persons followed up, "
        "in the introduction programme, deviations in final goals, completion deadline passed, participation "
        "decision missing — and the county's total. Without --county: every county the user supervises (without "
        "--user: the whole country)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", help="county number (2 digits)")
        parser.add_argument("--format", default="csv", choices=["csv", "json"])
        parser.add_argument("--out", help="output file (default: standard output)")
        parser.add_argument("--user", help="run as this user (their access applies); default: every person")

    def handle(self, *args, **o):
        scope, user = None, None
        if o["user"]:
            try:
                user = get_user_model().objects.select_related("organisation").get(username=o["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"ukjent bruker {o['user']!r}") from None
            if not policy.allows(user, policy.Permission.SUPERVISE):
                raise CommandError(f"{user.username} har ikke tilgang til tilsyn")
            scope = person_scope(user)
        try:
            doc = supervision.overview(scope, o["county"], timezone.localdate())
        except supervision.UnknownCounty as e:
            raise CommandError(f"ukjent fylke {str(e)[:10]!r}, eller utenfor tilsynsområdet") from None
        if o["format"] == "json":
            text = json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n"
        else:
            text = _csv(doc)
        if o["out"]:
            with open(o["out"], "w", encoding="utf-8-sig" if o["format"] == "csv" else "utf-8", newline="") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")
        audit.record(
            actor_user=user,
            system="" if user else audit.COMMAND_LINE,
            action="statistics",
            channel="command",
            endpoint="nir supervision",
            what="supervision",
            filters={
                "counties": [c["county"] for c in doc["counties"]],
                "municipalities": len(doc["municipalities"]),
                "format": o["format"],
            },
        )
        self.stderr.write(f"{len(doc['municipalities'])} kommuner")


def _csv(doc: dict) -> str:
    buf = io.StringIO()
    w = spreadsheet.CsvWriter(buf, delimiter=exports.CSV_DELIMITER)
    keys = [f["key"] for f in doc["figures"]]
    w.writerow(["Kommunenummer", "Kommune", "Fylke", *[f["label"] for f in doc["figures"]]])
    for row in doc["municipalities"]:
        w.writerow([row["municipality"], row["name"], row["county"], *[row["figures"][k] for k in keys]])
    w.writerow(["", "Totalt", "", *[doc["total"][k] for k in keys]])
    return buf.getvalue()
