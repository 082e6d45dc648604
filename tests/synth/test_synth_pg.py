"""nir synth's bulk path on PostgreSQL, as a user runs it: worker process, COPY on two
connections, set-wise key checks. Uses its own throwaway server (not the test database),
because that path commits outside any test transaction."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from synth_support import NOW_ISO

from nir.register import models as m
from nir.synth.generator import BLOCK
from nir.testing.pg import ThrowawayPostgres

pytestmark = pytest.mark.postgres

PERSONS = 2 * BLOCK + 700  # three blocks: the worker process and pipelining are used


def _nir(*args: str, env: dict) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("nir")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nir.cli"]
    return subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, check=True)


def test_bulk_load_into_postgres_keeps_every_key_and_chain(tmp_path):
    with ThrowawayPostgres() as url:
        env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=str(tmp_path))
        _nir("migrate", "-v0", env=env)
        out = _nir(
            "synth", "--persons", str(PERSONS), "--seed", "2", "--now", NOW_ISO, "--chunk-size", "5000", env=env
        ).stdout
        assert f"{PERSONS:,}".replace(",", " ") in out and "personer/s" in out
        with psycopg.connect(url) as conn:
            q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
            assert q("SELECT count(*) FROM register_person") == PERSONS
            assert q("SELECT count(DISTINCT duf) FROM register_person") == PERSONS
            for model in m.REGISTRATION_MODELS:
                t = model._meta.db_table
                # IMDi's extra-grant case decisions are not part of the synthetic population (docs/grants.md)
                assert model is m.ExtraGrantCase or q(f"SELECT count(*) FROM {t}") > 0, t
                # No dangling keys (the load checked them set-wise instead of per row).
                assert (
                    q(
                        f"SELECT count(*) FROM {t} x LEFT JOIN register_person p ON p.id = x.person_id "
                        f"WHERE p.id IS NULL"
                    )
                    == 0
                ), t
                assert (
                    q(
                        f"SELECT count(*) FROM {t} x LEFT JOIN {t} s ON s.id = x.supersedes_id "
                        f"WHERE x.supersedes_id IS NOT NULL AND s.id IS NULL"
                    )
                    == 0
                ), t
                assert (
                    q(
                        f"SELECT count(*) FROM {t} x LEFT JOIN access_apiclient c ON c.id = x.registered_by_client_id "
                        f"WHERE x.registered_by_client_id IS NOT NULL AND c.id IS NULL"
                    )
                    == 0
                ), t
                # Every superseded row is closed exactly when its successor was registered.
                assert (
                    q(
                        f"SELECT count(*) FROM {t} x JOIN {t} o ON o.id = x.supersedes_id "
                        f"WHERE o.superseded_at IS DISTINCT FROM x.recorded_at OR o.person_id <> x.person_id"
                    )
                    == 0
                ), t
                assert q(f"SELECT count(*) FROM {t} WHERE superseded_at IS NOT NULL") == q(
                    f"SELECT count(*) FROM {t} WHERE supersedes_id IS NOT NULL"
                ), t
                # A person's rows are never registered before the person.
                assert (
                    q(
                        f"SELECT count(*) FROM {t} x JOIN register_person p ON p.id = x.person_id "
                        f"WHERE x.recorded_at < p.recorded_at"
                    )
                    == 0
                ), t
            # The append-only triggers are in force after the load.
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
                conn.execute(
                    "UPDATE register_decision SET scheme = 'x' WHERE id = (SELECT min(id) FROM register_decision)"
                )
            conn.rollback()
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
                conn.execute("DELETE FROM register_person WHERE id = (SELECT min(id) FROM register_person)")
