"""The ``nir`` command (README "The nir command"): one entry point for NIR's and Django's
commands that honours DATABASE_URL. Subprocess tests, kept few."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from nir import codes, identity

NIR = Path(sys.executable).with_name("nir")


def nir(*args, env_extra=None, input=None, check=True):
    env = dict(os.environ)
    env.update(env_extra or {})
    result = subprocess.run([str(NIR), *args], capture_output=True, text=True, env=env, input=input, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A fresh SQLite database made by ``nir migrate`` alone."""
    tmp = tmp_path_factory.mktemp("scratch")
    db = tmp / "scratch.db"
    env = {"DATABASE_URL": f"sqlite:///{db}", "NIR_VAR_DIR": str(tmp)}
    nir("migrate", "--noinput", env_extra=env)
    return db, env


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return {
            table: con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for table in (
                "reference_municipality",
                "reference_county",
                "reference_district",
                "reference_codeentry",
                "access_organisation",
                "register_person",
                "register_persondetails",
                "register_decision",
            )
        }


def test_help_lists_the_nir_commands():
    out = nir("--help").stdout
    assert out.startswith("Bruk: nir KOMMANDO")
    for command in ("import FILE.jsonl", "export facts", "demo", "synth", "loadrefdata", "migrate"):
        assert command in out, command
    assert nir().stdout == out  # no arguments: the same help


def test_migrate_gives_a_complete_database(scratch):
    """``DATABASE_URL=sqlite:///… nir migrate``: schema, reference data, code lists,
    organisations and the append-only triggers, nothing else needed."""
    db, env = scratch
    c = counts(db)
    assert c["reference_municipality"] == 357
    assert c["reference_county"] == 15
    assert c["reference_district"] == 17
    assert c["reference_codeentry"] == sum(len(cl.codes) for cl in codes.all_lists().values())
    # … and Bosetting's (issue 17): IMDi's six regional offices, UDI and Bufetat
    assert c["access_organisation"] == 1 + 15 + 357 + 17 + 10 + 6 + 2
    assert c["register_person"] == 0
    with sqlite3.connect(db) as con:
        triggers = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"register_decision_no_update", "register_decision_no_delete", "register_person_no_delete"} <= triggers
    assert {"settlement_municipaldecision_no_update", "settlement_capacityline_no_delete"} <= triggers
    # migrate again: idempotent
    nir("migrate", "--noinput", env_extra=env)
    assert counts(db) == c


def test_import_and_export_through_the_nir_command(scratch):
    """``nir import`` refuses bad lines with exit status 1 and stores the good ones;
    ``nir export facts`` writes them back. The database comes from DATABASE_URL."""
    db, env = scratch
    birth = dt.date(1988, 3, 3)
    number = next(n for i in range(500) if (n := identity.make_synthetic_national_id(birth, i)))
    good = {
        "duf": identity.make_duf("2026555001"),
        "first_name": "Cli",
        "last_name": "Testesen",
        "follow_up_municipality": "5001",
        "facts": {
            "birth_date": birth.isoformat(),
            "national_id": number,
            "settlements": [{"municipality": "5001", "date": "2025-11-01", "by_agreement": True}],
        },
    }
    bad = dict(good, duf="202655500100")
    stdin = json.dumps(good) + "\n" + json.dumps(bad) + "\n"
    result = nir("import", "-", env_extra=env, input=stdin, check=False)
    assert result.returncode == 1
    assert "1 personer lagret, 1 linjer avvist" in result.stdout
    assert "linje 2: duf:" in result.stderr and "[duf_checksum]" in result.stderr
    assert counts(db)["register_person"] == 1

    exported = nir("export", "facts", env_extra=env)
    lines = [json.loads(x) for x in exported.stdout.splitlines()]
    assert [ln["duf"] for ln in lines] == [good["duf"]]
    assert lines[0]["facts"]["settlements"][0]["municipality"] == "5001"
    assert lines[0]["follow_up_municipality"] == "5001"
    assert "1 personer eksportert" in exported.stderr
