"""nir grants — Tilskudd on the command line (issue 20, docs/grants.md).

nir grants check FILE_OR_DIR...   run worked examples in the format of grant-examples.json;
                                  exit 0 only if every expected line and total holds
nir grants calculate --year Y --round R [--known-at T] [--user U]
                                  compute payment round R (1–4) of grant year Y from the register as
                                  known at T (default: the round's cut-off, grants.round_cutoffs) and
                                  store it as a draft (a draft is replaced; an approved round is refused)
nir grants approve --year Y --round R [--user U]
                                  IMDi approves the round: frozen, later rounds count it as paid
nir grants statement --municipality K --year Y --round R --format csv|xlsx|json [--out F] [--user U]
                                  one recipient's statement (K: a municipality number, a county's two
                                  digits, or municipality:NNNN / county:NN), audited as an export

Without ``--user`` the operator's command line acts (the register's own system actor); with it, that
user's permissions and area apply (nir.access.grants).
"""

from __future__ import annotations

import io
import json
import re

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from nir.access.audit import COMMAND_LINE
from nir.access.models import AuditAction
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.cli_options import known_at_option
from nir.grants import actions, selectors
from nir.grants.engine import examples
from nir.grants.models import PaymentRound
from nir.spreadsheet import Sheet, write_csv, write_xlsx

ROUND = re.compile(r"^(?:(\d{4})?Q)?([1-4])$", re.IGNORECASE)


def _round(year: int, text: str) -> int:
    m = ROUND.match(str(text).strip())
    if not m or (m.group(1) and int(m.group(1)) != year):
        raise CommandError(f"--round: {text!r} er ikke en termin 1–4 i {year}")
    return int(m.group(2))


class Command(BaseCommand):
    help = "Tilskudd: per-capita grants computed from the register. See docs/grants.md."

    def add_arguments(self, parser):
        subs = parser.add_subparsers(dest="verb", required=True)
        chk = subs.add_parser("check", help="run grant examples (grant-examples.json format)")
        chk.add_argument("paths", nargs="+", help="JSON files or folders of them")

        calc = subs.add_parser("calculate", help="compute a payment round and store it as a draft")
        appr = subs.add_parser("approve", help="approve a payment round (IMDi): frozen from then on")
        st = subs.add_parser("statement", help="one recipient's statement of a round (csv, xlsx, json)")
        for p in (calc, appr, st):
            p.add_argument("--year", type=int, required=True, help="grant year")
            p.add_argument("--round", required=True, help="the quarter: 1–4 (or 2025Q1)")
            p.add_argument("--user", help="act as this user (their permissions and area apply)")
        calc.add_argument("--known-at", help="the register as known at (ISO 8601 with zone, or a date)")
        st.add_argument("--municipality", required=True, help="municipality number, county number, or recipient")
        st.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
        st.add_argument("--out", help="output file (default: standard output)")

    def handle(self, *args, **opts):
        verb = opts["verb"]
        if verb == "check":
            status = examples.run(opts["paths"], self.stdout)
            if status:
                raise CommandError("ikke alle tilskuddseksempler stemmer", returncode=status)
            return
        year = opts["year"]
        quarter = _round(year, opts["round"])
        acting = self._acting(opts.get("user"), f"nir grants {verb}")
        try:
            if verb == "calculate":
                self._calculate(acting, year, quarter, known_at_option(opts.get("known_at")))
            elif verb == "approve":
                self._approve(acting, year, quarter)
            else:
                self._statement(acting, year, quarter, opts["municipality"], opts["format"], opts.get("out"))
        except (AccessDenied, actions.GrantsRefused) as e:
            raise CommandError(str(e)) from None

    @staticmethod
    def _acting(username: str | None, endpoint: str) -> Acting:
        if not username:
            return Acting.system(COMMAND_LINE, channel="command", endpoint=endpoint)
        user = get_user_model().objects.select_related("organisation").filter(username=username).first()
        if user is None:
            raise CommandError(f"ukjent bruker {username!r}")
        return Acting.for_user(user, channel="command", endpoint=endpoint)

    def _find(self, acting: Acting, year: int, quarter: int) -> PaymentRound:
        if acting.unrestricted:
            row = PaymentRound.objects.filter(grant_year=year, quarter=quarter).first()
        else:
            row = selectors.find_round(acting.principal, year, quarter)
        if row is None:
            raise CommandError(f"terminen {year}Q{quarter} er ikke beregnet (nir grants calculate)")
        return row

    def _calculate(self, acting, year, quarter, known_at):
        row = actions.calculate_round(acting, year, quarter, known_at)
        s = row.summary
        self.stdout.write(
            f"Termin {row.label} beregnet (utkast), registeret kjent {row.cutoff_known_at.isoformat()}: "
            f"{row.persons} personer lest, {s.get('lines', 0)} linjer til {s.get('recipients', 0)} mottakere, "
            f"sum {s.get('total', '0')} kr"
            + (f"; forhåndsvarsel: {', '.join(s['requires_notice'])}" if s.get("requires_notice") else "")
        )

    def _approve(self, acting, year, quarter):
        row = actions.approve_round(acting, self._find(acting, year, quarter))
        self.stdout.write(f"Termin {row.label} godkjent {row.approved_at.isoformat()} av {row.approved_by_label}")

    def _statement(self, acting, year, quarter, municipality, fmt, out):
        if fmt == "xlsx" and not out:
            raise CommandError("--format xlsx krever --out FIL")
        row = self._find(acting, year, quarter)
        st = selectors.statement(acting, row, selectors.recipient_of(municipality), action=str(AuditAction.EXPORT))
        if fmt == "json":
            data = (json.dumps(selectors.statement_json(st), ensure_ascii=False, indent=2) + "\n").encode()
        elif fmt == "csv":
            buf = io.StringIO()
            write_csv(buf, selectors.statement_rows(st))
            data = buf.getvalue().encode("utf-8-sig")
        else:
            bbuf = io.BytesIO()
            write_xlsx(bbuf, [Sheet(row.label, selectors.statement_rows(st))])
            data = bbuf.getvalue()
        if out:
            with open(out, "wb") as fh:
                fh.write(data)
            self.stderr.write(f"{selectors.statement_title(st)}: {len(st.lines)} linjer, sum {st.total} kr → {out}")
        else:
            self.stdout.write(data.decode("utf-8-sig"), ending="")
