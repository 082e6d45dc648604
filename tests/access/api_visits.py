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
    # (a goal that can be extended: the person has extensions, add_revision_rows)
    "final-goals": {"final_goal": "complete_vgo_2025"},
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
    # the grants' facts (grants.md A.1.1, issue 20)
    "family-reunifications": {"reference_basis_at_grant": "utl_28", "application_date": "2025-03-01"},
    "upper-secondary-enrolments": {"from": "2026-01-05", "full_time": True, "county": "50"},
    "reception-stays": {"centre": "Mottak Lade", "host_municipality": "5001", "from": "2025-05-01"},
    "extra-grant-cases": {"type": "FHT1", "grant_year": 2026, "applied_at": "2026-02-01"},
}


# A move that the register accepts for a person followed up by Trondheim (5001) since 01.11.2025.
MOVE = {"move_date": "2026-06-01", "municipality": "4601", "address": "Storgata 1", "postal_code": "5003"}


def post_json(c, path, body, headers):
    return c.post(f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers)


def write(segment):
    """A visit that registers one valid fact of kind ``segment`` on the person with DUF ``duf``."""
    return lambda c, h, duf: post_json(c, f"/persons/{duf}/{segment}", WRITE_BODIES[segment], h)


# --- corrections and annulments (POST /persons/{duf}/<resource>/{id}/corrections, …/annulments) -------

# resource -> a valid correction's values. Each visit is sent for the person's newest current row of
# the kind; the annulment (visited first: the operations are visited in order) takes the newest row,
# the correction the next (``add_revision_rows`` gives every kind two rows).
CORRECTIONS = {
    "permits": {"arrival_date": "2025-09-20"},
    "residences": {"address": "Storgata 2"},
    "follow-up": {"to": "2099-12-31"},
    "settlements": {"date": "2025-11-02"},
    "decisions": {"end_date": "2028-01-04"},
    "final-goals": {"final_goal": "partial_vgo_2025"},
    "extension": {"months": 4},
    "participation": {"hours": 80},
    "measures": {"hours_per_week": 25},
    "absences": {"kind": "time_off"},
    "terminations": {"date": "2026-10-02"},
    "career-guidance": {"organisation": "Karrieresenteret"},
    "competence-mappings": {"date": "2025-10-16"},
    "exams": {"level": "B2"},
    "family-reunifications": {"application_date": "2025-04-01"},
    "upper-secondary-enrolments": {"to": "2026-06-20"},
    "reception-stays": {"to": "2025-10-31"},
    "extra-grant-cases": {"amount_applied": 100000},
    "details": {"last_name": "Aasen"},  # the person's own details: corrected, never annulled
}


def _newest(resource, duf) -> int:
    from nir.register import kinds

    model = kinds.BY_RESOURCE[resource].model
    pk = model.objects.current().filter(person__duf=duf).order_by("-pk").values_list("pk", flat=True).first()
    return pk or 1  # none (the principal could not register one): refused before the id matters


def revise(resource, what):
    """A visit that corrects or annuls the person's newest current registration of ``resource``."""
    if what == "corrections":
        body = {"reason": "Feil registrert", "values": CORRECTIONS[resource]}
    else:
        body = {"reason": "Registrert på feil person"}
    return lambda c, h, duf: post_json(c, f"/persons/{duf}/{resource}/{_newest(resource, duf)}/{what}", body, h)


REVISION_VISITS = {
    f"POST /persons/{{duf}}/{resource}/{{id}}/{what}": revise(resource, what)
    for resource in CORRECTIONS
    for what in ("annulments", "corrections")
    if what == "corrections" or resource != "details"
}


# --- plausibility warnings (GET /persons/{duf}/warnings, POST …/warnings/{id}/acknowledgements) ----------


def make_warning(duf) -> int:
    """An open plausibility warning of the person (made here, on a current participation row: the
    matrix's register has none) — or 1 when the person is unknown (refused before the id matters)."""
    from django.utils import timezone

    from nir.register import models as m

    person = m.Person.objects.filter(duf=duf).first()
    row = m.Participation.objects.current().filter(person=person).order_by("-pk").first() if person else None
    if row is None:
        return 1
    warning = m.PlausibilityWarning.objects.create(
        person=person,
        kind="participation",
        registration_id=row.pk,
        rule="participation_hours_above_full_time",
        field="hours",
        message="60 timer er mer enn full tid",
        recorded_at=timezone.now(),
    )
    return warning.pk


WARNING_VISITS = {
    "GET /persons/{duf}/warnings": lambda c, h, duf: c.get(f"/api/v1/persons/{duf}/warnings", headers=h),
    "POST /persons/{duf}/warnings/{warning_id}/acknowledgements": lambda c, h, duf: post_json(
        c, f"/persons/{duf}/warnings/{make_warning(duf)}/acknowledgements", {"comment": "Riktig"}, h
    ),
}


def add_revision_rows(register, person):
    """Give ``person`` (built by ``Register.person`` with a participation decision and a final goal) two
    current rows of every kind, so that each kind can be annulled and then corrected. The places are
    the person's own follow-up municipality: an earlier period elsewhere would make that municipality
    a former follow-up municipality that reads the person (issue 16 § 2)."""
    import datetime as dt

    from nir.register import models as m

    home = m.FollowUp.objects.current().filter(person=person).values_list("municipality", flat=True).first()

    day = dt.date(2026, 2, 2)
    rows = [
        (m.ResidencePermit, {"basis": "utl_28", "decision_date": dt.date(2025, 9, 1)}),
        (m.Residence, {"municipality": home, "address": "Storgata 1", "valid_from": dt.date(2025, 11, 1)}),
        (m.Residence, {"municipality": home, "address": "Storgata 3", "valid_from": dt.date(2024, 1, 1)}),
        (m.FollowUp, {"municipality": home, "valid_from": dt.date(2024, 1, 1), "valid_to": dt.date(2024, 6, 30)}),
        (m.Settlement, {"municipality": home, "settlement_date": dt.date(2024, 1, 1), "by_agreement": True}),
        (m.Decision, {"scheme": "intro", "decision_type": "loss_of_self_certification", "decision_date": day}),
        (m.FinalGoal, {"scheme": "intro", "goal": "complete_vgo_2025"}),
        (m.Extension, {"scheme": "intro", "months": 3}),
        (m.Extension, {"scheme": "intro", "months": 2}),
    ]
    for _ in range(2):
        rows += [
            (m.Participation, {"scheme": "intro", "from_date": day, "to_date": dt.date(2026, 2, 27), "hours": 60}),
            (m.Measure, {"scheme": "intro", "measure": "work_practice", "from_date": day}),
            (m.Absence, {"scheme": "intro", "kind": "leave", "from_date": day, "to_date": dt.date(2026, 2, 3)}),
            (
                m.Termination,
                {"scheme": "norwegian", "termination_type": "completed", "termination_date": dt.date(2026, 10, 1)},
            ),
            (m.CareerGuidance, {"guidance_date": day, "kind": "individual"}),
            (m.CompetenceMapping, {"mapping_date": dt.date(2025, 10, 15), "kind": "before_settlement"}),
            (
                m.Exam,
                {
                    "scheme": "norwegian",
                    "exam_type": "norwegian_oral",
                    "exam_date": dt.date(2026, 1, 20),
                    "result": "passed",
                    "level": "B1",
                },
            ),
            (m.FamilyReunification, {"reference_basis_at_grant": "utl_28", "application_date": dt.date(2025, 3, 1)}),
            (m.UpperSecondaryEnrolment, {"from_date": dt.date(2026, 1, 5), "full_time": True, "county": "50"}),
            (m.ReceptionStay, {"centre": "Mottak Lade", "host_municipality": home, "from_date": dt.date(2025, 5, 1)}),
            (m.ExtraGrantCase, {"grant_type": "FHT1", "grant_year": 2026, "applied_at": dt.date(2026, 2, 1)}),
        ]
    for model, values in rows:
        register.add(person, model, values)


# Bosetting (issue 17 § 2): a municipality's decision and capacity, visited on Trondheim (5001).
def settlement_line() -> int:
    """A capacity line of Trondheim to change, close or reopen (straight through the store)."""
    import datetime as dt

    from nir.actions.acting import Acting
    from nir.settlement import store
    from nir.settlement.models import CapacityLine

    year = dt.date.today().year
    row = store.create(
        CapacityLine,
        Acting.system("Test"),
        municipality="5001",
        kind="single_adults",
        period_from=dt.date(year, 1, 1),
        period_to=dt.date(year, 3, 31),
        places=5,
    )
    return row.pk


def _settlement_decision() -> dict:
    import datetime as dt

    year = dt.date.today().year
    return {"year": year, "status": "decided", "persons": 10, "um_persons": 1, "decision_date": f"{year}-01-10"}


SETTLEMENT_MUNICIPAL_VISITS = {
    "GET /settlement/municipalities/{municipality}/decisions": lambda c, h, duf: c.get(
        "/api/v1/settlement/municipalities/5001/decisions", headers=h
    ),
    "POST /settlement/municipalities/{municipality}/decisions": lambda c, h, duf: post_json(
        c, "/settlement/municipalities/5001/decisions", _settlement_decision(), h
    ),
    "GET /settlement/municipalities/{municipality}/capacity": lambda c, h, duf: c.get(
        "/api/v1/settlement/municipalities/5001/capacity", headers=h
    ),
    "POST /settlement/municipalities/{municipality}/capacity": lambda c, h, duf: post_json(
        c,
        "/settlement/municipalities/5001/capacity",
        {"kind": "um", "period_from": "2026-04-01", "period_to": "2026-04-30", "places": 2},
        h,
    ),
    "POST /settlement/capacity/{id}/corrections": lambda c, h, duf: post_json(
        c, f"/settlement/capacity/{settlement_line()}/corrections", {"reason": "Flere boliger", "places": 6}, h
    ),
    "POST /settlement/capacity/{id}/closures": lambda c, h, duf: post_json(
        c, f"/settlement/capacity/{settlement_line()}/closures", {"reason": "Fullt"}, h
    ),
    "POST /settlement/capacity/{id}/reopenings": lambda c, h, duf: post_json(
        c, f"/settlement/capacity/{settlement_line()}/reopenings", {}, h
    ),
}
