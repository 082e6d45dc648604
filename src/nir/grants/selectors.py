"""Every read of the payment rounds, with access applied (``nir.access.grants``) — pages, API, exports and
commands read through here.

* ``rounds_for(principal)``: the rounds a principal sees (a draft only IMDi: ``sees_drafts``);
* ``find_round(principal, year, quarter)``: one of them, or None (not found: no hint that a draft exists);
* ``lines_for(principal, round, recipient=None)``: its statement lines of the recipients the principal may
  read (``grant_recipients``: IMDi all, a municipality its own, a county municipality its counties');
* ``statement(acting, round, recipient)``: one recipient's statement (*termingrunnlag*) with its sum,
  **audited** as a read of personal data (``grants:statement``, with the persons listed);
* ``error_reports_for(principal)``: the «Meld feil i grunnlag» cases (IMDi all, a recipient its own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from nir.access.grants import grant_recipients, sees_drafts
from nir.access.models import AuditAction
from nir.access.policy import AccessDenied, Permission, allows
from nir.actions.acting import Acting
from nir.grants.models import GrantErrorReport, PaymentRound, RoundStatus, StatementLine


def _require_read(principal: Any) -> None:
    if not allows(principal, Permission.GRANTS_READ):
        raise AccessDenied(Permission.GRANTS_READ)


def rounds_for(principal: Any) -> QuerySet[PaymentRound]:
    _require_read(principal)
    qs = PaymentRound.objects.all()
    if not sees_drafts(principal):
        qs = qs.exclude(status=RoundStatus.DRAFT)
    return qs.order_by("-grant_year", "-quarter")


def find_round(principal: Any, year: int, quarter: int) -> PaymentRound | None:
    return rounds_for(principal).filter(grant_year=year, quarter=quarter).first()


def lines_for(principal: Any, payment_round: PaymentRound, recipient: str | None = None) -> QuerySet[StatementLine]:
    """The round's lines the principal may read (of ``recipient`` only, when given)."""
    _require_read(principal)
    qs = StatementLine.objects.filter(round=payment_round)
    if payment_round.status == RoundStatus.DRAFT and not sees_drafts(principal):
        return qs.none()
    area = grant_recipients(principal)
    if area is not None:
        qs = qs.filter(recipient__in=sorted(area))
    if recipient is not None:
        qs = qs.filter(recipient=recipient)
    return qs.select_related("person").order_by("person__duf", "grant_type", "grant_year", "pk")


@dataclass
class Statement:
    """One recipient's lines of one round, with the sum (*termingrunnlag*)."""

    round: PaymentRound
    recipient: str
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((ln.delta for ln in self.lines), Decimal(0))

    @property
    def requires_notice(self) -> bool:
        return any(ln.requires_notice for ln in self.lines)


def recipient_of(municipality: str) -> str:
    """``5001`` → ``municipality:5001``; ``county:50`` and ``municipality:5001`` stay as they are."""
    text = municipality.strip()
    if text.startswith(("municipality:", "county:")):
        return text
    return f"county:{text}" if len(text) == 2 else f"municipality:{text}"


def statement(
    acting: Acting, payment_round: PaymentRound, recipient: str, *, action: str = str(AuditAction.READ)
) -> Statement:
    """``recipient``'s statement of ``payment_round``, audited (``action``: read on a page, export for a
    download). A recipient the principal may not read: AccessDenied."""
    principal = acting.principal
    if not acting.unrestricted:
        _require_read(principal)
        area = grant_recipients(principal)
        if area is not None and recipient not in area:
            raise AccessDenied(Permission.GRANTS_READ, f"Du kan ikke se tilskuddsgrunnlaget til {recipient[:30]}.")
        lines = list(lines_for(principal, payment_round, recipient))
    else:
        qs = StatementLine.objects.filter(round=payment_round, recipient=recipient).select_related("person")
        lines = list(qs.order_by("person__duf", "grant_type", "grant_year", "pk"))
    acting.audit(
        what="grants:statement",
        action=action,
        persons=[ln.person_id for ln in lines],
        filters={"round": payment_round.label, "recipient": recipient, "status": payment_round.status},
    )
    return Statement(payment_round, recipient, lines)


def error_reports_for(principal: Any) -> QuerySet[GrantErrorReport]:
    _require_read(principal)
    qs = GrantErrorReport.objects.select_related("line", "line__round", "line__person")
    area = grant_recipients(principal)
    if area is not None:
        qs = qs.filter(recipient__in=sorted(area))
    return qs


# --- the statement as rows (CSV, XLSX) and JSON ------------------------------------------------------

COLUMNS = (
    "DUF-nummer",
    "Tilskuddstype",
    "Tilskuddsår",
    "År",
    "Periode fra",
    "Periode til",
    "Regel",
    "Sats",
    "Forfalt",
    "Utbetalt før",
    "Differanse",
    "Verifisert",
    "Krever forhåndsvarsel",
    "Forklaring",
)


def _d(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def line_json(ln: StatementLine) -> dict[str, Any]:
    return {
        "person": ln.person.duf,
        "grant_type": ln.grant_type,
        "grant_year": ln.grant_year,
        "year_index": ln.year_index,
        "period": {"from": _d(ln.period_from), "to": _d(ln.period_to)} if ln.period_from else None,
        "rules": list(ln.rules),
        "rate": ln.rate,
        "due": str(ln.due),
        "paid_before": str(ln.paid_before),
        "delta": str(ln.delta),
        "verified": ln.verified,
        "requires_notice": ln.requires_notice,
        "explanation": ln.explanation,
    }


def statement_json(st: Statement) -> dict[str, Any]:
    r = st.round
    return {
        "round": r.label,
        "grant_year": r.grant_year,
        "quarter": r.quarter,
        "status": r.status,
        "cutoff_known_at": r.cutoff_known_at.isoformat(),
        "period_end": r.period_end.isoformat(),
        "approved_at": r.approved_at.isoformat() if r.approved_at else None,
        "rules_version": r.rules_version,
        "grants_version": r.grants_version,
        "recipient": st.recipient,
        "lines": [line_json(ln) for ln in st.lines],
        "total": str(st.total),
        "requires_notice": st.requires_notice,
    }


def statement_rows(st: Statement) -> list[list[Any]]:
    """The statement as spreadsheet rows (``nir.spreadsheet``): a heading, the lines, the sum."""
    from nir.spreadsheet import Header

    rows: list[list[Any]] = [[Header(c) for c in COLUMNS]]
    for ln in st.lines:
        rows.append(
            [
                ln.person.duf,
                ln.grant_type,
                ln.grant_year,
                ln.year_index,
                ln.period_from,
                ln.period_to,
                ", ".join(ln.rules),
                ln.rate,
                ln.due,
                ln.paid_before,
                ln.delta,
                "ja" if ln.verified else "nei",
                "ja" if ln.requires_notice else "nei",
                ln.explanation,
            ]
        )
    rows.append([Header("Sum"), *([None] * 9), st.total, None, None, None])
    return rows


def statement_title(st: Statement) -> str:
    return f"Termingrunnlag {st.round.label} {st.recipient}"
