"""The Regelmotor's actions: re-evaluating the whole register (``nir rules reevaluate``).

The re-evaluation stores the derived statuses that changed and the automatic closures
(avslutninger) that must change, chunk by chunk, each chunk in one transaction with one audit
event naming the persons whose derived data was written (the first 10,000 listed, all counted).
The closures a single registration makes are part of that registration's own action and event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from nir import rules
from nir.access.persons import AccessRefused
from nir.access.scope import person_scope
from nir.actions.acting import Acting
from nir.register import bulk, services
from nir.register import models as m
from nir.register.actors import REGELMOTOR
from nir.register.derivation import ReevaluationReport, person_facts


class MayNotReevaluate(AccessRefused):
    def __init__(self) -> None:
        super().__init__("Bare en systemaktør eller en bruker som ser hele registeret kan revurdere det.")


def reevaluate(
    acting: Acting | None = None,
    *,
    as_of: dt.date | None = None,
    chunk: int = 50_000,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
) -> ReevaluationReport:
    """Re-evaluate every person (after a rule change or the passing of time) and store what changed.

    Bulk and vectorised (``nir.register.bulk``): persons are read by id range straight into columns
    (the next range while this one is evaluated, when not called inside a transaction), evaluated by
    ``nir.rules.vector`` and compared with their current DerivedStatus in columns; only changes are
    written (``bulk.write_statuses``). Automatic closures that must change go through the
    per-person path (``services.store_closures``). Registered facts are never touched. ``acting``: the
    ``Regelmotor`` system actor by default; a user must see the whole register.
    """
    acting = acting or Acting.system(REGELMOTOR)
    if not acting.unrestricted and person_scope(acting.principal) is not None:
        raise MayNotReevaluate()
    as_of = as_of or timezone.localdate()
    at = timezone.now()
    report = ReevaluationReport(as_of=as_of)
    for data in bulk.read_ahead(bulk.person_id_bounds(chunk)):
        lo, hi = data.lo, data.hi
        with transaction.atomic():
            out = bulk.reevaluate_range(lo, hi, as_of, at, dry_run=dry_run, data=data)
            report.persons += out.persons
            report.unchanged += out.unchanged
            report.changed += out.changed
            report.created += out.created
            report.with_errors += out.with_errors
            report.field_changes.update(out.field_changes)
            report.category_moves.update(out.category_moves)
            closed = []
            for person in m.Person.objects.filter(pk__in=out.closure_mismatch):
                result = rules.evaluate(person_facts(person), as_of)
                c, a = services.store_closures(person, result, at)
                report.closures_created += c
                report.closures_annulled += a
                if c or a:
                    closed.append(person.pk)
            written = set(out.person_ids) | set(closed)
            if written:
                acting.audit(
                    what="rules:reevaluate",
                    persons=written,
                    filters={
                        "as_of": as_of,
                        "persons_from": lo,
                        "persons_to": hi,
                        "statuses": len(out.person_ids),
                        "closures": len(closed),
                    },
                )
            if dry_run:
                transaction.set_rollback(True)
        if progress is not None:
            progress(out.persons)
    return report
