"""nir audit — search the audit log (IMDi) and export one person's own access log (GDPR art. 15).

    nir audit search [--user U] [--organisation CODE] [--duf DUF] [--action A] [--channel C]
                     [--since D] [--until D] [--limit N] [--with-persons] [--format json|csv]
    nir audit person DUF [--format json|csv]
    nir audit log-pseudonym DUF     # the pseudonym (duf-…) the logs write for this DUF number

``person`` shows when, which organisation, what, why and through which channel — not which
caseworker: the person learns the organisation (the controller's unit) that read their data,
not the employee's name (CJEU C-579/21, Pankki S, 22.6.2023: employees acting under the
controller's authority are not «recipients»; IMDi can name them when a complaint needs it, from
``nir audit search``). Both commands are themselves recorded in the audit log. See docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
import io
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nir import spreadsheet
from nir.access import audit
from nir.access.audit_labels import what_label
from nir.access.models import AuditAction, AuditChannel, AuditEvent, AuditPurpose
from nir.register.models import Person

SEARCH_COLUMNS = [
    "id",
    "when",
    "actor_kind",
    "actor",
    "organisation",
    "organisation_name",
    "action",
    "channel",
    "endpoint",
    "purpose",
    "what",
    "person_count",
    "persons_complete",
    "filters",
    "request_id",
    "outcome",
]
PERSON_COLUMNS = ["when", "organisation", "action", "what", "purpose", "channel", "concerns_you", "outcome"]

SYSTEM_ORGANISATION = "IMDi (NIR, systemoperasjon)"


def _when(event: AuditEvent) -> str:
    return timezone.localtime(event.when).isoformat(timespec="seconds")


def person_access_rows(person, *, when=_when, what=what_label) -> list[dict]:
    """A person's own access log (GDPR art. 15), one row per event with ``PERSON_COLUMNS``: for
    ``nir audit person`` and the administration page's CSV (which format time and ``what`` their way)."""
    events = list(audit.events_for_person(person))
    listed = set(audit.AuditEventPerson.objects.filter(person=person).values_list("event_id", flat=True))
    return [
        {
            "when": when(e),
            "organisation": e.organisation.name if e.organisation else SYSTEM_ORGANISATION,
            "action": e.get_action_display(),
            "what": what(e.what),
            "purpose": AuditPurpose(e.purpose).label if e.purpose in AuditPurpose.values else e.purpose,
            "channel": e.get_channel_display(),
            "concerns_you": "ja" if e.id in listed else "kan gjelde deg (uttrekk av mange personer)",
            "outcome": e.get_outcome_display(),
        }
        for e in events
    ]


def _date(value: str | None, option: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} må være en dato (ÅÅÅÅ-MM-DD), ikke {value!r}") from None


class Command(BaseCommand):
    help = (
        "The audit log (tilgangslogg): 'search' (IMDi) lists events by user, organisation, person, action "
        "and time; 'person DUF' exports one person's own access log (GDPR art. 15). docs/audit.md."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        s = sub.add_parser("search", help="Søk i tilgangsloggen (IMDi)")
        s.add_argument("--user", help="username")
        s.add_argument("--organisation", help="organisation code (e.g. k-5001, imdi)")
        s.add_argument("--duf", help="events that list this person (DUF number)")
        s.add_argument("--action", choices=AuditAction.values)
        s.add_argument("--channel", choices=AuditChannel.values)
        s.add_argument("--since", help="from this date (YYYY-MM-DD)")
        s.add_argument("--until", help="to and including this date (YYYY-MM-DD)")
        s.add_argument("--limit", type=int, default=1000, help="at most N events, newest first (0: all)")
        s.add_argument("--with-persons", action="store_true", help="list the DUF numbers of the persons of each event")
        s.add_argument("--format", default="json", choices=["json", "csv"])
        p = sub.add_parser("person", help="Én persons innsynslogg (personvernforordningen art. 15)")
        p.add_argument("duf", help="the person's DUF number")
        p.add_argument("--format", default="json", choices=["json", "csv"])
        k = sub.add_parser(
            "log-pseudonym", help="DUF-nummerets pseudonym i loggene (duf-…), for å finne personens linjer"
        )
        k.add_argument("duf", help="the DUF number")

    def handle(self, *args, sub, **o):
        if sub == "search":
            return self._search(o)
        if sub == "log-pseudonym":
            return self._log_pseudonym(o)
        return self._person(o)

    def _log_pseudonym(self, o):
        """The keyed pseudonym the logs write for a DUF number (nir.logging); recorded as a search."""
        from nir.identity import IdentifierError, validate_duf
        from nir.logging import duf_pseudonym
        from nir.register.models import Person

        try:
            duf = validate_duf(o["duf"])
        except IdentifierError as e:
            raise CommandError(e.message) from None
        audit.record(
            system=audit.COMMAND_LINE,
            action="search",
            channel="command",
            what="log-pseudonym",
            persons=Person.objects.filter(duf=duf).values_list("pk", flat=True),
            purpose=AuditPurpose.OPERATIONS,
            endpoint="nir audit log-pseudonym",
            filters={"duf": duf},
        )
        self.stdout.write(duf_pseudonym(duf))

    def _person_of(self, duf):
        try:
            return Person.objects.get(duf=duf)
        except Person.DoesNotExist:
            raise CommandError(f"fant ingen person med DUF-nummer {duf}") from None

    # --- search ---------------------------------------------------------------------------------

    def _search(self, o):
        person = self._person_of(o["duf"]) if o["duf"] else None
        since, until = _date(o["since"], "--since"), _date(o["until"], "--until")
        qs = audit.search(
            user=o["user"],
            organisation=o["organisation"],
            person=person,
            action=o["action"],
            channel=o["channel"],
            since=since,
            until=until,
        )
        if o["limit"]:
            qs = qs[: o["limit"]]
        events = list(qs.prefetch_related("person_links__person") if o["with_persons"] else qs)
        rows = [self._search_row(e, o["with_persons"]) for e in events]
        columns = SEARCH_COLUMNS + (["persons"] if o["with_persons"] else [])
        self._output(rows, columns, o["format"])
        # --with-persons prints the DUF numbers of every listed event's persons: those are read too.
        shown = {link.person_id for e in events for link in e.person_links.all()} if o["with_persons"] else set()
        audit.record(
            system=audit.COMMAND_LINE,
            action="search",
            channel="command",
            what="audit-log",
            persons=shown | ({person.pk} if person else set()),
            purpose=AuditPurpose.SUPERVISION,
            endpoint="nir audit search",
            filters={k: o[k] for k in ("user", "organisation", "duf", "action", "channel", "since", "until") if o[k]},
        )
        self.stderr.write(f"{len(rows)} hendelser")

    @staticmethod
    def _search_row(e: AuditEvent, with_persons: bool) -> dict:
        row = {
            "id": e.id,
            "when": _when(e),
            "actor_kind": e.actor_kind,
            "actor": e.actor_label,
            "organisation": e.organisation.code if e.organisation else "",
            "organisation_name": e.organisation.name if e.organisation else "",
            "action": e.action,
            "channel": e.channel,
            "endpoint": e.endpoint,
            "purpose": e.purpose,
            "what": e.what,
            "person_count": e.person_count,
            "persons_complete": e.persons_complete,
            "filters": e.filters,
            "request_id": e.request_id,
            "outcome": e.outcome,
        }
        if with_persons:
            row["persons"] = sorted(link.person.duf for link in e.person_links.all())
        return row

    # --- one person's access log ----------------------------------------------------------------

    def _person(self, o):
        person = self._person_of(o["duf"])
        rows = person_access_rows(person)
        if o["format"] == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "duf": person.duf,
                        "generated": timezone.localtime().isoformat(timespec="seconds"),
                        "events": rows,
                    },
                    ensure_ascii=False,
                    indent=1,
                )
            )
        else:
            self._output(rows, PERSON_COLUMNS, "csv")
        audit.record(
            system=audit.COMMAND_LINE,
            action="export",
            channel="command",
            what="audit-log:person",
            persons=[person],
            purpose=AuditPurpose.ACCESS_REQUEST,
            endpoint="nir audit person",
        )
        self.stderr.write(f"{len(rows)} hendelser")

    # --- output ---------------------------------------------------------------------------------

    def _output(self, rows, columns, fmt):
        if fmt == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        buf = io.StringIO()
        w = spreadsheet.CsvWriter(buf)  # the one CSV writer: no text becomes a formula
        w.writerow(columns)
        for row in rows:
            w.writerow(
                [
                    json.dumps(row[c], ensure_ascii=False) if isinstance(row[c], (dict, list)) else row[c]
                    for c in columns
                ]
            )
        self.stdout.write(buf.getvalue(), ending="")
