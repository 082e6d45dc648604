"""A throwaway PostgreSQL server for tests and benchmarks.

Uses Debian's ``initdb`` and ``pg_ctl`` (package ``postgresql``): a new
cluster in a temporary directory, listening on a free loopback port and a
private Unix socket, removed on exit. No root and no system service needed
(when run as root it runs the server as the ``postgres`` user).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bin_dir() -> Path:
    override = os.environ.get("NIR_PG_BINDIR")
    candidates = [override] if override else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    which = shutil.which("initdb")
    if which:
        return Path(which).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's 'postgresql' package "
        "(make test does this with apt)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demote():
    """preexec_fn: run PostgreSQL as 'postgres' when we are root (it refuses to run as root)."""
    pw = pwd.getpwnam("postgres")
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)


@contextlib.contextmanager
def ThrowawayPostgres(
    *,
    fsync: bool = False,
    tuned_for_bulk: bool = True,  # noqa: N802
    settings: dict[str, str] | None = None,
) -> Iterator[str]:
    """Start a private PostgreSQL server; yield its DATABASE_URL; stop and remove it afterwards.

    ``settings`` are extra server settings (``{"shared_buffers": "4GB"}``), applied last.
    """
    bindir = find_bin_dir()
    root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="nir-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    preexec = None
    if root:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        os.chown(sock, pw.pw_uid, pw.pw_gid)
        preexec = _demote
    port = _free_port()
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    try:
        try:
            subprocess.run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "nir",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                check=True,
                capture_output=True,
                preexec_fn=preexec,
                env=env,
            )
            opts = [
                f"-p {port}",
                "-h 127.0.0.1",
                f"-k {sock}",
                "-c max_connections=100",
                "-c shared_buffers=512MB",
                "-c work_mem=32MB",
                "-c maintenance_work_mem=512MB",
                "-c synchronous_commit=off",
            ]
            if not fsync:
                opts += ["-c fsync=off", "-c full_page_writes=off"]
            if tuned_for_bulk:
                opts += [
                    "-c max_wal_size=8GB",
                    "-c checkpoint_timeout=30min",
                    "-c wal_level=minimal",
                    "-c max_wal_senders=0",
                ]
            opts += [f"-c {k}={v}" for k, v in (settings or {}).items()]
            subprocess.run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(base / "server.log"),
                    "-o",
                    " ".join(opts),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                check=True,
                capture_output=True,
                preexec_fn=preexec,
                env=env,
            )
            _wait_ready(port)
            subprocess.run(
                [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "nir", "nir"],
                check=True,
                capture_output=True,
                env=env,
            )
        except subprocess.CalledProcessError as e:
            log = base / "server.log"
            detail = log.read_text()[-2000:] if log.exists() else ""
            stderr = (e.stderr or b"").decode(errors="replace")
            raise PostgresUnavailable(f"could not start PostgreSQL: {stderr}\n{detail}") from e
        # Only start-up failures are PostgresUnavailable; errors inside the with-block propagate as they are.
        yield f"postgresql://nir@127.0.0.1:{port}/nir"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                preexec_fn=preexec,
                env=env,
            )
        shutil.rmtree(base, ignore_errors=True)


def _wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        time.sleep(0.1)
    raise PostgresUnavailable("PostgreSQL did not accept connections in time")


if __name__ == "__main__":  # manual use: python -m nir.testing.pg  (prints a URL, waits)
    with ThrowawayPostgres() as url:
        print(url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
