"""Helpers of the action tests: the write events of the audit log, a failing audit log."""

from __future__ import annotations

import datetime as dt

from nir.access.models import AuditEvent

ABSENCE = {"scheme": "intro", "kind": "time_off", "from_date": dt.date(2026, 3, 2), "to_date": dt.date(2026, 3, 3)}


def write_events():
    return list(AuditEvent.objects.filter(action="write").order_by("id"))


def persons_of(event) -> set[int]:
    return set(event.person_links.values_list("person_id", flat=True))


def fail_audit(monkeypatch):
    """Make every audit event fail to be written (as a full disk or a lost connection would)."""
    from nir.access import audit

    def broken(**kwargs):
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(audit, "record", broken)
