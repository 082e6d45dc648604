"""Schemathesis against the OpenAPI schema of /api/v1/ (bounded, derandomised), through the WSGI app.

Twice: logged in as an IMDi user (a session cookie and a CSRF token, the whole middleware chain), and as
Trondheim's case system (an OAuth2 bearer token, the machine clients' shorter chain, nir.handlers). Every
operation — reads and writes — gets generated requests, valid and invalid; asserted: no 5xx, every status
code, content type and body as documented (problems as application/problem+json with the Problem schema).
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from nir.settlement.models import CapacityLine
from nir.testing.builders import make_client
from nir.wsgi import application

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = {"GET": 12, "POST": 15}
# A valid body per write kind (generated codes are almost never in the code lists).
VALID = {
    "decisions": {"scheme": "intro", "type": "loss_of_self_certification", "decision_date": "2026-02-02"},
    "final-goals": {"final_goal": "work_vgo_2026"},
    "participation": {"scheme": "norwegian", "from": "2026-03-01", "to": "2026-03-31", "hours": 48},
    "measures": {"measure": "work_practice", "from": "2026-04-01", "to": "2026-06-30", "hours_per_week": 20},
    "absences": {"scheme": "intro", "kind": "leave", "from": "2026-09-07", "to": "2026-09-11"},
    "terminations": {"scheme": "intro", "type": "completed", "reason": "work", "date": "2026-10-01"},
    "career-guidance": {"date": "2026-02-20", "kind": "individual"},
    "annulments": {"reason": "Registrert på feil person"},
    "moves": {"move_date": "2026-06-01", "municipality": "4601"},
}
# … and of a municipality's settlement decision and capacity (issue 17), by operation path
YEAR = dt.date.today().year
VALID_SETTLEMENT = {
    "/settlement/municipalities/{municipality}/decisions": {
        "year": YEAR,
        "status": "decided",
        "persons": 20,
        "um_persons": 2,
        "decision_date": f"{YEAR}-01-10",
        "reason": "Endret i bystyret",
    },
    "/settlement/municipalities/{municipality}/capacity": {
        "kind": "um",
        "period_from": f"{YEAR}-01-01",
        "period_to": f"{YEAR}-01-31",
        "places": 2,
    },
    "/settlement/capacity/{id}/closures": {"reason": "Fullt"},
    "/settlement/capacity/{id}/reopenings": {},
}
# Corrections and annulments (two per registration kind): fewer examples each, an existing registration
# and its person half the time (a valid annulment above; a correction's generated values mostly reach
# the register).
REVISION_EXAMPLES = 6


@pytest.fixture
def session_headers(client, users):
    client.force_login(users["imdi"])
    token = _get_new_csrf_string()
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: token,
    }
    return {"headers": {"X-CSRFToken": token}, "cookies": cookies}


@pytest.fixture
def bearer_headers(world):
    """Trondheim's case system with every scope: the persons it follows up are read and written."""
    return {"headers": make_client("k-5001", "fagsystem-5001").headers(), "cookies": {}}


@pytest.mark.parametrize("caller", ["session", "bearer"])
def test_api_conforms_to_its_schema(world, same_connection, caller, request, settings):
    session_headers = request.getfixturevalue(f"{caller}_headers")
    settings.NIR_API_RATE_LIMITS = {"client": None, "user": None}  # hundreds of requests in seconds
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    dufs = [p.duf for p in world.values()]
    operations = [result.ok() for result in schema.get_all_operations()]
    # 13 single operations, POST /batches, 28 corrections and annulments, 3 of moves, 2 of supervision, the
    # details' correction, 2 of plausibility warnings; Bosetting: GET /settlement/requests/{year} (issue 17),
    # GET /settlement/figures, GET /settlement/weekly-list, 7 of municipal settlement decisions and capacity
    # + the grants' facts (issue 20): 4 registrations, 8 corrections and annulments; the rates and a person's grants
    assert len(operations) == 92
    # + 10 of settlement cases and 7 of their changes after registration (issue 17), 1 recommendation (issue 18)
    from nir.register import kinds

    failures = []
    statuses: dict[str, set[int]] = {}
    for op in operations:
        strategies = [op.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        segment = op.path.rsplit("/", 1)[-1]
        settlement = op.path.removeprefix("/api/v1") if "/settlement/" in op.path else None
        if op.method.upper() == "POST" and settlement in VALID_SETTLEMENT:
            strategies.append(op.as_strategy(GenerationMode.POSITIVE, body=VALID_SETTLEMENT[settlement]))
        elif op.method.upper() == "POST" and settlement is None and segment in VALID:
            strategies.append(op.as_strategy(GenerationMode.POSITIVE, body=VALID[segment]))  # some accepted
        strategy = st.one_of(strategies)
        if "{duf}" in op.path:
            strategy = st.tuples(strategy, st.sampled_from(dufs + [None])).map(_with_duf)
        if "{municipality}" in op.path and settlement is not None:
            # the caller's own municipality half the time: writes reach the settlement actions
            strategy = st.tuples(strategy, st.sampled_from(["5001", None])).map(_with_municipality)
        if "{id}" in op.path and settlement is not None:
            lines = list(CapacityLine.objects.current().filter(municipality="5001").values_list("pk", flat=True))
            strategy = st.tuples(strategy, st.sampled_from(lines + [None])).map(_with_line)
        elif "{id}" in op.path:  # half the time a current registration of the kind, with its person's DUF
            model = kinds.BY_RESOURCE[op.path.split("/")[-3]].model
            rows = [(r.person.duf, r.pk) for r in model.objects.current().select_related("person").order_by("pk")]
            strategy = st.tuples(strategy, st.sampled_from(rows + [None])).map(_with_row)

        @hsettings(
            max_examples=REVISION_EXAMPLES if "{id}" in op.path else MAX_EXAMPLES.get(op.method.upper(), 10),
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            response = case.call_and_validate(
                headers=session_headers["headers"], cookies=session_headers["cookies"], checks=CHECKS
            )
            # run() is called below, in this iteration: op is the current operation
            statuses.setdefault(f"{op.method.upper()} {op.path}", set()).add(response.status_code)  # noqa: B023

        try:
            run()
        except Exception as e:  # collect per operation, report all
            failures.append(f"{op.method.upper()} {op.path}: {e}")
    assert not failures, "\n\n".join(failures)
    # The run reached the register: some writes were accepted (201), some refused (422), reads answered.
    seen = set().union(*statuses.values())
    assert {200, 201, 404, 422} <= seen and len(statuses) == 92, statuses
    assert any(201 in got for op, got in statuses.items() if op.endswith("/annulments")), statuses


def _with_municipality(pair):
    case, municipality = pair
    if municipality is not None and case.path_parameters is not None:
        case.path_parameters["municipality"] = municipality
    return case


def _with_line(pair):
    case, line = pair
    if line is not None and case.path_parameters is not None:
        case.path_parameters["id"] = line
    return case


def _with_duf(pair):
    case, duf = pair
    if duf is not None and case.path_parameters is not None:
        case.path_parameters["duf"] = duf  # an existing person half the time: writes reach the register
    return case


def _with_row(pair):
    case, row = pair
    if row is not None and case.path_parameters is not None:
        case.path_parameters["duf"], case.path_parameters["id"] = row
    return case
