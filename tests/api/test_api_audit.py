"""Every API read and write of personal data leaves one audit event (issue 5, part 5) naming the persons."""

from __future__ import annotations

import json

import pytest
from api_helpers import API

from nir.access.models import AuditEvent

pytestmark = pytest.mark.django_db


def events():
    return list(AuditEvent.objects.order_by("id"))


def persons_of(event):
    return sorted(event.person_links.values_list("person_id", flat=True))


def test_reading_a_person_is_audited(world, as_user, users):
    before = len(events())
    assert as_user("trondheim").get(f"{API}/persons/{world['anne'].duf}").status_code == 200
    new = events()[before:]
    assert len(new) == 1
    e = new[0]
    assert (e.action, e.channel, e.what, e.user_id) == ("read", "api", "person", users["trondheim"].pk)
    assert persons_of(e) == [world["anne"].pk]


def test_a_write_and_a_batch_are_audited(world, as_user):
    c = as_user("trondheim")
    before = len(events())
    body = {"scheme": "intro", "kind": "time_off", "from": "2026-03-02", "to": "2026-03-02"}
    assert (
        c.post(
            f"{API}/persons/{world['tor'].duf}/absences", json.dumps(body), content_type="application/json"
        ).status_code
        == 201
    )
    batch = {
        "items": [
            {"id": "1", "duf": world["anne"].duf, "kind": "absences", "values": body},
            {
                "id": "2",
                "duf": world["tor"].duf,
                "kind": "absences",
                "values": {**body, "from": "2026-03-03", "to": "2026-03-03"},
            },
        ]
    }
    assert (
        c.post(
            f"{API}/batches", json.dumps(batch), content_type="application/json", HTTP_IDEMPOTENCY_KEY="audit-1"
        ).status_code
        == 201
    )
    write, batch_event = events()[before:]
    assert (write.action, write.what, persons_of(write)) == ("write", "absences", [world["tor"].pk])
    assert (batch_event.action, batch_event.what) == ("write", "batch")
    assert persons_of(batch_event) == sorted([world["anne"].pk, world["tor"].pk])


def test_a_report_through_the_api_is_audited_with_its_persons(world, as_user):
    before = len(events())
    r = as_user("trondheim").get(f"{API}/reports/personliste")
    assert r.status_code == 200
    (e,) = events()[before:]
    assert e.action == "report" and e.channel == "api" and e.person_count == r.json()["count"]
