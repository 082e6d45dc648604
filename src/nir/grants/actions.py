"""The payment rounds' action functions: the one write path of ``nir.grants.models`` (grants.md A.1, A.8).

Like ``nir.actions`` and ``nir.settlement.actions``: each function, in one transaction, checks access
for whoever acts (``nir.actions.Acting``; the decisions are in ``nir.access.grants``), stores, and
records the audit event.

* ``calculate_round(acting, year, quarter, known_at=None)``: reads the facts of every person who can
  trigger anything as known at the cut-off (``nir.grants.reads``), computes with the pure engine
  (``nir.grants.engine.rounds.run``), takes what was paid from the deltas of the earlier *approved*
  rounds, and stores a draft round. Recalculating a draft replaces it; an approved round is refused.
* ``approve_round(acting, round)``: IMDi approves; the round and its lines are frozen
  (``nir.grants.db``), later rounds count its deltas as paid.
* ``mark_paid(acting, round)``: IMDi records that an approved round has been paid out.
* ``report_error(acting, line, text)``: «Meld feil i grunnlag» — the recipient's own organisation
  opens a case for IMDi on a line of an approved round; ``answer_error_report``: IMDi answers it.

No payment is counted twice: a round records which approved round its «paid before» runs through
(``paid_through``); it can be approved only while that is still the latest approved round before it,
and no round is approved, or calculated, before a round already approved.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from nir.access.grants import may_manage_rounds, may_report_error
from nir.access.models import AuditAction
from nir.access.policy import AccessDenied, Permission
from nir.actions.acting import Acting
from nir.grants import reads
from nir.grants.engine import params as grant_params
from nir.grants.engine import rounds
from nir.grants.engine.facts import GrantFactsError, parse
from nir.grants.models import GrantErrorReport, PaymentRound, ReportStatus, RoundStatus, StatementLine
from nir.grants.version import grants_version
from nir.register.validation import text_problems
from nir.rules.version import RULES_VERSION

__all__ = [
    "GrantsRefused",
    "answer_error_report",
    "approve_round",
    "calculate_round",
    "mark_paid",
    "paid_before",
    "report_error",
]

MAX_TEXT = 4000
PAID = (RoundStatus.APPROVED, RoundStatus.PAID)


class GrantsRefused(Exception):
    """The action cannot be done (bokmål message): a frozen round, a stale draft, bad input."""

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message)


def _label(acting: Acting) -> str:
    if acting.principal is None:
        return acting.system_name
    if getattr(acting.principal, "is_client", False):
        return str(acting.principal.client.name)[:150]
    return str(acting.principal.get_username())[:150]


def _user(acting: Acting) -> Any:
    p = acting.principal
    return None if p is None or getattr(p, "is_client", False) else p


def _require_manage(acting: Acting, what: str) -> None:
    if acting.unrestricted or may_manage_rounds(acting.principal):
        return
    raise AccessDenied(Permission.GRANTS_MANAGE, f"Bare IMDi kan {what}.")


def _before(year: int, quarter: int) -> Q:
    return Q(grant_year__lt=year) | Q(grant_year=year, quarter__lt=quarter)


def _after(year: int, quarter: int) -> Q:
    return Q(grant_year__gt=year) | Q(grant_year=year, quarter__gt=quarter)


def _latest_approved_before(year: int, quarter: int) -> PaymentRound | None:
    return (
        PaymentRound.objects.filter(_before(year, quarter), status__in=PAID).order_by("-grant_year", "-quarter").first()
    )


def paid_before(year: int, quarter: int, dufs: set[str] | None = None) -> dict[rounds.Key, Decimal]:
    """Per (person's DUF, grant type, grant year, recipient): the sum of the deltas of the approved (or
    paid) rounds before ``year``/``quarter`` — one grouped query."""
    qs = StatementLine.objects.filter(
        Q(round__grant_year__lt=year) | Q(round__grant_year=year, round__quarter__lt=quarter),
        round__status__in=PAID,
    )
    out: dict[rounds.Key, Decimal] = {}
    for row in qs.values("person__duf", "grant_type", "grant_year", "recipient").annotate(paid=Sum("delta")).order_by():
        duf = row["person__duf"]
        if dufs is not None and duf not in dufs:
            continue
        if row["paid"]:
            out[(duf, row["grant_type"], row["grant_year"], row["recipient"])] = Decimal(row["paid"])
    return out


def _may_calculate(year: int, quarter: int, *, lock: bool) -> tuple[PaymentRound | None, PaymentRound | None]:
    """The round's row (None: not calculated yet) and the latest approved round before it; refuses an
    approved round and a round before one already approved."""
    qs = PaymentRound.objects.filter(grant_year=year, quarter=quarter)
    existing = (qs.select_for_update() if lock else qs).first()
    if existing is not None and existing.frozen:
        raise GrantsRefused(f"terminen {existing.label} er godkjent og kan ikke beregnes på nytt", "quarter")
    later = PaymentRound.objects.filter(_after(year, quarter), status__in=PAID).order_by("grant_year", "quarter")
    if (first_later := later.first()) is not None:
        raise GrantsRefused(
            f"terminen {first_later.label} er allerede godkjent: en tidligere termin kan ikke beregnes", "quarter"
        )
    return existing, _latest_approved_before(year, quarter)


def calculate_round(
    acting: Acting,
    year: int,
    quarter: int,
    known_at: dt.datetime | None = None,
    *,
    params: grant_params.ParameterSet | None = None,
    schemes: list[str] | None = None,
) -> PaymentRound:
    """Compute the round ``year``/``quarter`` from the register as known at ``known_at`` (default: the
    parameter ``grants.round_cutoffs``) and store it as a draft (replacing a draft of the same round)."""
    _require_manage(acting, "beregne tilskuddsterminer")
    if not isinstance(quarter, int) or not 1 <= quarter <= 4:
        raise GrantsRefused("terminen må være 1, 2, 3 eller 4", "quarter")
    ps = params or grant_params.default()
    try:
        rnd = rounds.Round.parse(f"{year:04d}Q{quarter}", known_at, ps)
    except (ValueError, grant_params.ParameterError) as e:
        raise GrantsRefused(str(e), "year") from None
    now = timezone.now()  # before reading: an approval needs a calculation begun after the cut-off
    _, last = _may_calculate(year, quarter, lock=False)
    # Read and compute outside the transaction (minutes for a whole register; SQLite would hold its one
    # writer's lock meanwhile): the register as known at a past cut-off does not change. What may change
    # meanwhile — another approval — is checked again below, under the round's lock.
    ids = reads.candidates(year, rnd.cutoff, last.cutoff_known_at if last else None, ps)
    known = reads.facts(ids, rnd.cutoff)
    paid = paid_before(year, quarter, set(known.by_duf))
    try:
        result = rounds.run(rnd, known.by_duf, paid, ps, schemes)
    except GrantFactsError as e:
        raise GrantsRefused(f"fakta for {_unreadable(known.by_duf, rnd.cutoff)} kan ikke leses: {e}") from None

    with transaction.atomic():
        existing, last_now = _may_calculate(year, quarter, lock=True)
        if (last_now.label if last_now else "") != (last.label if last else ""):
            raise GrantsRefused(
                f"terminen {last_now.label if last_now else ''} ble godkjent mens {rnd.id} ble beregnet: beregn på nytt"
            )
        fields = dict(
            cutoff_known_at=rnd.cutoff,
            period_end=rnd.period_end,
            status=RoundStatus.DRAFT,
            calculated_at=now,
            calculated_by=_user(acting),
            calculated_by_label=_label(acting),
            rules_version=RULES_VERSION,
            grants_version=grants_version(),
            paid_through=last.label if last else "",
            persons=len(known.by_duf),
            summary=_summary(result),
        )
        if existing is None:
            row = PaymentRound.objects.create(grant_year=year, quarter=quarter, **fields)
        else:
            with connection.cursor() as cur:  # a draft's lines (nir.grants.db lets only a draft's go)
                cur.execute(f'DELETE FROM "{StatementLine._meta.db_table}" WHERE round_id = %s', [existing.pk])
            for k, v in fields.items():
                setattr(existing, k, v)
            existing.save()
            row = existing
        StatementLine.objects.bulk_create(
            (_line(row, s, known.ids[s.person]) for s in result.lines if s.person in known.ids), batch_size=5000
        )
        acting.audit(
            what="grants:round",
            persons=sorted({known.ids[s.person] for s in result.lines if s.person in known.ids}),
            filters={
                "round": row.label,
                "known_at": rnd.cutoff,
                "persons": row.persons,
                "lines": len(result.lines),
                "recalculated": existing is not None,
            },
        )
    return row


def _unreadable(by_duf: dict[str, dict[str, Any]], cutoff: dt.datetime) -> str:
    """The DUF number of the first person whose facts the engine cannot read."""
    for duf, f in by_duf.items():
        try:
            parse(duf, f, cutoff)
        except GrantFactsError:
            return duf
    return "en person"


def _summary(result: rounds.RoundResult) -> dict[str, Any]:
    findings: dict[str, int] = defaultdict(int)
    for f in result.findings:
        findings[f.kind] += 1
    recipients = {s.recipient for s in result.lines}
    return {
        "lines": len(result.lines),
        "total": str(result.total()),
        "recipients": len(recipients),
        "requires_notice": sorted({s.recipient for s in result.lines if s.requires_notice}),
        "findings": dict(findings),
    }


def _line(row: PaymentRound, s: rounds.StatementLine, person_id: int) -> StatementLine:
    return StatementLine(
        round=row,
        recipient=s.recipient,
        person_id=person_id,
        grant_type=s.grant_type,
        grant_year=s.grant_year,
        due=s.due,
        paid_before=s.paid_before,
        delta=s.delta,
        year_index=s.year_index,
        period_from=s.period[0] if s.period else None,
        period_to=s.period[1] if s.period else None,
        rules=list(s.rules),
        explanation=s.explanation,
        rate=s.rate,
        verified=s.verified,
        requires_notice=s.requires_notice,
    )


def approve_round(acting: Acting, payment_round: PaymentRound) -> PaymentRound:
    """IMDi approves a draft round: it is frozen, and later rounds count its deltas as paid."""
    _require_manage(acting, "godkjenne tilskuddsterminer")
    now = timezone.now()
    with transaction.atomic():
        row = PaymentRound.objects.select_for_update().get(pk=payment_round.pk)
        if row.status != RoundStatus.DRAFT:
            raise GrantsRefused(f"terminen {row.label} er allerede godkjent")
        later = PaymentRound.objects.filter(_after(row.grant_year, row.quarter), status__in=PAID).first()
        if later is not None:
            raise GrantsRefused(
                f"terminen {later.label} er allerede godkjent: {row.label} kan ikke godkjennes etter den"
            )
        last = _latest_approved_before(row.grant_year, row.quarter)
        if (last.label if last else "") != row.paid_through:
            raise GrantsRefused(
                f"terminen {row.label} ble beregnet før {last.label if last else 'en tidligere termin'} ble godkjent "
                "(eller endret): beregn den på nytt før godkjenning"
            )
        if row.calculated_at < row.cutoff_known_at:
            raise GrantsRefused(
                f"terminen {row.label} ble beregnet før skjæringstidspunktet: beregn den på nytt etter "
                f"{timezone.localtime(row.cutoff_known_at):%d.%m.%Y %H:%M}"
            )
        row.status = RoundStatus.APPROVED
        row.approved_at = now
        row.approved_by = _user(acting)
        row.approved_by_label = _label(acting)
        row.save(update_fields=["status", "approved_at", "approved_by", "approved_by_label"])
        acting.audit(
            what="grants:approve",
            persons=[],
            filters={"round": row.label, "lines": row.summary.get("lines"), "total": row.summary.get("total")},
        )
    return row


def mark_paid(acting: Acting, payment_round: PaymentRound) -> PaymentRound:
    """IMDi records that an approved round's money has been paid out (the one change an approved round takes)."""
    _require_manage(acting, "registrere utbetaling av tilskuddsterminer")
    with transaction.atomic():
        row = PaymentRound.objects.select_for_update().get(pk=payment_round.pk)
        if row.status != RoundStatus.APPROVED:
            raise GrantsRefused(
                f"terminen {row.label} er {row.get_status_display().lower()}: bare en godkjent termin utbetales"
            )
        row.status = RoundStatus.PAID
        row.paid_at = timezone.now()
        row.save(update_fields=["status", "paid_at"])
        acting.audit(what="grants:paid", persons=[], filters={"round": row.label, "total": row.summary.get("total")})
    return row


def _text(text: Any, field: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise GrantsRefused("mangler (påkrevd)", field)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise GrantsRefused(f"høyst {MAX_TEXT} tegn", field)
    for p in text_problems(text, field):
        raise GrantsRefused(p.message, field)
    return text


def report_error(acting: Acting, line: StatementLine, text: str) -> GrantErrorReport:
    """«Meld feil i grunnlag»: the line's recipient (its municipality, a county municipality for its county's
    lines) reports an error in a line of an approved round; a case for IMDi."""
    if not acting.unrestricted and not may_report_error(acting.principal, line.recipient):
        raise AccessDenied(Permission.GRANTS_READ, "Bare mottakeren av linjen kan melde feil i grunnlaget.")
    body = _text(text, "text")
    with transaction.atomic():
        current = StatementLine.objects.select_related("round").get(pk=line.pk)
        if current.round.status == RoundStatus.DRAFT:
            raise GrantsRefused("terminen er ikke godkjent ennå: feil meldes i et godkjent grunnlag")
        report = GrantErrorReport.objects.create(
            line=current,
            recipient=current.recipient,
            text=body,
            reported_at=timezone.now(),
            reported_by=_user(acting),
            reported_by_label=_label(acting),
        )
        acting.audit(
            what="grants:error-report",
            persons=[current.person_id],
            filters={"round": current.round.label, "recipient": current.recipient, "report": report.pk},
        )
    return report


def answer_error_report(acting: Acting, report: GrantErrorReport, answer: str) -> GrantErrorReport:
    """IMDi answers a «Meld feil i grunnlag» case (once)."""
    _require_manage(acting, "svare på feil i grunnlaget")
    body = _text(answer, "answer")
    with transaction.atomic():
        row = GrantErrorReport.objects.select_for_update().select_related("line").get(pk=report.pk)
        if row.status != ReportStatus.OPEN:
            raise GrantsRefused("saken er allerede besvart")
        row.status = ReportStatus.ANSWERED
        row.answer = body
        row.answered_at = timezone.now()
        row.answered_by = _user(acting)
        row.answered_by_label = _label(acting)
        row.save(update_fields=["status", "answer", "answered_at", "answered_by", "answered_by_label"])
        acting.audit(
            what="grants:error-answer",
            persons=[row.line.person_id],
            action=str(AuditAction.WRITE),
            filters={"recipient": row.recipient, "report": row.pk},
        )
    return row
