"""nir history DUF — every registration ever made about one person, in registration order."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nir.access import audit
from nir.register.history import person_history
from nir.register.models import Operation, Person


class Command(BaseCommand):
    help = "Show the whole registration history of one person (who, when, source, corrections with reasons)."

    def add_arguments(self, parser):
        parser.add_argument("duf", help="the person's DUF number")

    def handle(self, *args, duf, **opts):
        try:
            person = Person.objects.get(duf=duf)
        except Person.DoesNotExist:
            raise CommandError(f"fant ingen person med DUF-nummer {duf}") from None
        self.stdout.write(
            f"DUF {person.duf} – registrert {timezone.localtime(person.recorded_at):%d.%m.%Y %H:%M} fra "
            f"{person.source_system}"
        )
        for row in person_history(person):
            when = timezone.localtime(row.recorded_at).strftime("%d.%m.%Y %H:%M")
            status = (
                "gjeldende"
                if row.superseded_at is None and row.operation != Operation.ANNUL
                else (
                    "annullering"
                    if row.operation == Operation.ANNUL
                    else f"erstattet {timezone.localtime(row.superseded_at):%d.%m.%Y %H:%M}"
                )
            )
            values = ", ".join(
                f"{k}={v}" for k, v in row.fact_values().items() if v not in (None, "") and k != "national_id"
            )
            line = (
                f"{when}  #{row.pk:<8} {row._meta.verbose_name:<22} {row.get_operation_display():<10} "
                f"{values}  [registrert av {row.registered_by_label or '-'}, {row.source_system}; {status}]"
            )
            if row.change_reason:
                line += f"  begrunnelse: {row.change_reason}"
            self.stdout.write(line)
        # Audit log (issue 5): one read of one person; a failure fails the command.
        audit.record(
            system=audit.COMMAND_LINE,
            action="read",
            channel="command",
            what="person:history",
            persons=[person],
            endpoint="nir history",
        )
