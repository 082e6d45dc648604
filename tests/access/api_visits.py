"""Valid request bodies for every API write, shared by the access-matrix and audit-coverage tests."""

from __future__ import annotations

import json

ABSENCE = {"scheme": "intro", "kind": "leave", "from": "2026-09-07", "to": "2026-09-11"}
WRITE_BODIES = {
    "decisions": {
        "scheme": "intro",
        "type": "participation",
        "decision_date": "2026-02-02",
        "start_date": "2026-02-02",
    },
    "final-goals": {"final_goal": "work_vgo_2026"},
    "participation": {"scheme": "norwegian", "from": "2026-03-01", "to": "2026-03-31", "hours": 48},
    "measures": {"measure": "work_practice", "from": "2026-04-01", "to": "2026-06-30", "hours_per_week": 20},
    "absences": ABSENCE,
    "terminations": {
        "scheme": "intro",
        "type": "completed",
        "reason": "work",
        "hours_work_per_week": 37.5,
        "date": "2026-10-01",
    },
    "career-guidance": {"date": "2026-02-20", "kind": "individual"},
}


# A move that the register accepts for a person followed up by Trondheim (5001) since 01.11.2025.
MOVE = {"move_date": "2026-06-01", "municipality": "4601", "address": "Storgata 1", "postal_code": "5003"}


def post_json(c, path, body, headers):
    return c.post(f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers)


def write(segment):
    """A visit that registers one valid fact of kind ``segment`` on the person with DUF ``duf``."""
    return lambda c, h, duf: post_json(c, f"/persons/{duf}/{segment}", WRITE_BODIES[segment], h)
