"""nir settlement — Bosetting on the command line.

    nir settlement indicators load [DIR] [--name N] [--user U]

``indicators load`` reads a settlement world's ``municipalities.csv`` and its data dictionary
``municipalities.columns.csv`` (``DIR``; default: the public world's copy kept in the repository,
``nir/settlement/data/``) into an ``IndicatorDataset`` through the planning action
(``nir.settlement.actions.planning.load_indicators``: audited). A bad file is refused whole, naming
the file, line and column (exit status 1). Without ``--user`` the command acts as the command line
(a system actor for IMDi); with ``--user`` as that user, who must be allowed to plan.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from nir.access import audit
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.settlement import indicators
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

    def handle(self, *args, **o):
        if (o["area"], o["verb"]) == ("indicators", "load"):
            self._load(o)

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
