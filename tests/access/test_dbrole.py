"""The application's own PostgreSQL role (nir.access.dbrole, docs/security.md; issue 15 § 3.7).

A fresh database owned by a non-superuser owner role: ``nir migrate`` connects as the owner
(NIR_MIGRATE_DATABASE_URL), ``nir dbrole --create`` creates the application's role and grants it,
``nir import`` (also --update, which supersedes) works as that role, and that role is refused
TRUNCATE, DROP, ALTER, DELETE and UPDATE of facts and of audit events, and owns nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from nir import identity

pytestmark = pytest.mark.postgres

psycopg = pytest.importorskip("psycopg")


def _line(duf: str, **facts) -> str:
    born = dt.date(1990, 1, 15)
    nid = next(n for i in range(500) if (n := identity.make_synthetic_national_id(born, i)))
    return json.dumps(
        {
            "duf": duf,
            "first_name": "Test",
            "last_name": "Testesen",
            "follow_up_municipality": "5001",
            "facts": {
                "birth_date": born.isoformat(),
                "national_id": nid,
                "education": "below_upper_secondary",
                "permits": [{"basis": "utl_28", "decision_date": "2025-10-01"}],
                "settlements": [{"municipality": "5001", "date": "2025-11-01", "by_agreement": True}],
                "decisions": [
                    {
                        "scheme": "intro",
                        "type": "participation",
                        "decision_date": "2026-01-05",
                        "start_date": "2026-01-05",
                    }
                ],
                "final_goal": "work_no_vgo_2026",
                **facts,
            },
        }
    )


WEB = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from nir.testing.builders import make_user
c = Client()
c.force_login(make_user(get_user_model(), "saksbehandler-5001", "k-5001"))
print(c.get("/personer/DUF/").status_code)
print(c.post("/api/v1/persons/DUF/absences", json.dumps({"scheme": "intro", "kind": "leave", "from": "2026-03-02",
             "to": "2026-03-06"}), content_type="application/json").status_code)
print(c.get("/api/v1/persons/DUF").status_code)
# Bosetting (issue 17): a municipality's decision, then a new version of it (superseding)
import datetime
k = make_user(get_user_model(), "koordinator-5001", "k-5001", roles=["settlement_coordinator"])
c.force_login(k)
y = datetime.date.today().year
d = {"year": y, "status": "decided", "persons": 10, "um_persons": 1, "decision_date": f"{y}-01-10"}
path = "/api/v1/settlement/municipalities/5001/decisions"
print(c.post(path, json.dumps(d), content_type="application/json").status_code)
print(c.post(path, json.dumps({**d, "persons": 12, "reason": "endret"}), content_type="application/json").status_code)
"""


@pytest.fixture
def database():
    """A new database owned by a new owner role (CREATEROLE, not a superuser); dropped afterwards."""
    db = settings.DATABASES["default"]
    server = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}
    name = f"nir_roles_{uuid.uuid4().hex[:8]}"
    owner, app = f"{name}_owner", f"{name}_app"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as su:
        su.execute(f"CREATE ROLE \"{owner}\" LOGIN CREATEROLE PASSWORD 'owner-secret'")
        su.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    try:
        yield {
            "name": name,
            "owner": owner,
            "app": app,
            "url": lambda user: f"postgresql://{user}@{db['HOST']}:{db['PORT']}/{name}",
        }
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as su:
            su.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            su.execute(f'DROP ROLE IF EXISTS "{app}"')
            su.execute(f'DROP ROLE IF EXISTS "{owner}"')


def nir(env, *args):
    done = subprocess.run(
        [sys.executable, "-m", "nir.cli", *args], env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    return done


def test_the_application_role_owns_nothing_and_cannot_remove_or_rewrite_facts(database, tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL=database["url"](database["app"]),
        NIR_MIGRATE_DATABASE_URL=database["url"](database["owner"]),
        NIR_VAR_DIR=str(tmp_path),
        NIR_APP_PASSWORD="app-secret",
    )
    env.pop("NIR_DB_AS_OWNER", None)
    env.pop("NIR_APP_DB_ROLE", None)
    nir(env, "migrate", "--verbosity", "0")  # as the owner; the application's role does not exist yet
    out = nir(env, "dbrole", "--create", "--password-env", "NIR_APP_PASSWORD").stdout
    assert "register_decision" in out and "SELECT, INSERT, UPDATE (superseded_at)" in out
    # Bosetting's tables (nir.settlement.db): versions closed once, a request round sent once
    assert "settlement_municipaldecision" in out and "UPDATE (sent_at, sent_by_user_id)" in out
    nir(env, "migrate", "--verbosity", "0")  # again: the grants are given again, nothing else changes

    # The application works as its role: persons, facts, the derived status …
    duf = identity.make_duf("2026990001")
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(_line(duf) + "\n")
    second.write_text(_line(duf, final_goal="work_vgo_2026") + "\n")
    nir(env, "import", str(first))
    nir(env, "import", "--update", str(second))  # … and superseding (UPDATE of superseded_at)
    nir(env, "audit", "person", duf)  # reads the audit log and records that read
    # … and the web application and the API: a session, a page, a registration with its audit event.
    web = nir(env, "shell", "-c", WEB.replace("DUF", duf)).stdout
    assert web.split()[-5:] == ["200", "201", "200", "201", "201"], web

    with psycopg.connect(database["url"](database["app"]), autocommit=True) as c:
        assert c.execute("SELECT current_user").fetchone()[0] == database["app"]
        assert c.execute("SELECT count(*) FROM register_finalgoal WHERE superseded_at IS NOT NULL").fetchone()[0] == 1
        assert c.execute("SELECT count(*) FROM access_auditevent").fetchone()[0] >= 1
        assert c.execute("SELECT count(*) FROM settlement_municipaldecision").fetchone()[0] == 2
        # the triggers kept the person's facts through the application's writes (the --update's goal)
        assert c.execute("SELECT goal FROM register_personfacts").fetchall() == [("work_vgo_2026",)]
        owned = c.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        ).fetchone()[0]
        assert owned == 0
        rows = c.execute("SELECT count(*) FROM register_finalgoal").fetchone()[0]
        denied = [
            "TRUNCATE register_decision CASCADE",
            "TRUNCATE access_auditevent CASCADE",
            "TRUNCATE register_person CASCADE",
            "DROP TABLE register_decision CASCADE",
            "DROP TABLE access_auditevent CASCADE",
            "ALTER TABLE register_decision DISABLE TRIGGER USER",
            "ALTER TABLE register_finalgoal ADD COLUMN x int",
            "DROP TRIGGER register_finalgoal_no_delete ON register_finalgoal",
            "DELETE FROM register_finalgoal",
            "DELETE FROM register_person",
            "DELETE FROM access_auditevent",
            "DELETE FROM access_auditeventperson",
            "UPDATE register_finalgoal SET goal = 'work_vgo_2026'",
            "UPDATE register_persondetails SET last_name = 'X'",
            "UPDATE register_person SET duf = '000000000000'",
            "UPDATE access_auditevent SET what = 'x'",
            # each person's current facts: kept by the triggers only (as the owner)
            "UPDATE register_personfacts SET fu_municipality = '0301'",
            "DELETE FROM register_personfacts",
            "INSERT INTO register_personfacts (person_id) VALUES (-1)",
            "CREATE TABLE nir_own (id int)",
            "SELECT setval(pg_get_serial_sequence('register_finalgoal', 'id'), 1)",
            # Bosetting (issue 17): the settlement tables are append-only too
            "TRUNCATE settlement_municipaldecision CASCADE",
            "DELETE FROM settlement_municipaldecision",
            "DELETE FROM settlement_capacityline",
            "UPDATE settlement_capacityline SET places = 1",
            "UPDATE settlement_requestround SET note = 'x'",
            "UPDATE settlement_settlementcase SET number = 'x'",
            "DELETE FROM settlement_proposal",
        ]
        for statement in denied:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(statement)
        # What the grants let through, the triggers still refuse: a superseded row stays closed.
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            c.execute("UPDATE register_finalgoal SET superseded_at = now() WHERE superseded_at IS NOT NULL")
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            c.execute("UPDATE register_person SET id = id")
        assert c.execute("SELECT count(*) FROM register_finalgoal").fetchone()[0] == rows

    with psycopg.connect(database["url"](database["owner"]), autocommit=True) as c:  # the owner: the triggers
        for table in (
            "register_decision",
            "register_person",
            "access_auditevent",
            "access_auditeventperson",
            "settlement_municipaldecision",
            "settlement_settlementcase",
        ):
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="append-only"):
                c.execute(f"TRUNCATE {table} CASCADE")
