"""Running a generation: blocks from the generator, in chunks to a writer, with progress.

Generation and writing overlap when ``worker`` is true: the generator runs
in a separate process (``python -m nir.synth.worker``, no Django) whose
finished blocks a reader thread collects into a bounded queue, while this
process writes the previous ones (on two cores: one generates, the database
backend loads).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pickle
import queue as queue_mod
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nir.synth.generator import BLOCK, Batch, Generator
from nir.synth.worker import HEADER

QUEUE_BLOCKS = 4  # blocks generated ahead of the writer


@dataclass
class SynthResult:
    persons: int
    rows: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def persons_per_second(self) -> float:
        return self.persons / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.elapsed if self.elapsed > 0 else 0.0


def _read_exact(stream, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def _reader(proc: subprocess.Popen, q: queue_mod.Queue) -> None:
    """Read framed blocks from the worker into ``q`` (bounded, so the worker runs only a few blocks ahead)."""
    try:
        while True:
            head = _read_exact(proc.stdout, HEADER.size)
            if not head:
                q.put(_END)
                return
            (size,) = HEADER.unpack(head)
            data = _read_exact(proc.stdout, size)
            if len(data) != size:
                q.put(RuntimeError("the generator process stopped in the middle of a block"))
                return
            q.put(pickle.loads(data))
    except BaseException as e:  # noqa: BLE001 - handed to the consumer
        q.put(e)


_END = object()


def iter_batches(persons: int, seed: int, now: dt.datetime, *, worker: bool = False) -> Iterator[Batch]:
    """The blocks of a population, in order; generated in a worker process when ``worker``."""
    if not worker:
        g = Generator(persons, seed, now)
        for b in range(g.blocks):
            yield g.block(b)
        return
    Generator(persons, seed, now)  # validate the arguments here, with a clear error
    proc = subprocess.Popen(
        [sys.executable, "-m", "nir.synth.worker", str(persons), str(seed), now.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_worker_env(),
    )
    q: queue_mod.Queue = queue_mod.Queue(maxsize=QUEUE_BLOCKS)
    reader = threading.Thread(target=_reader, args=(proc, q), daemon=True, name="nir-synth-reader")
    reader.start()
    finished = False
    try:
        while True:
            item = q.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
        rc = proc.wait()
        if rc != 0:
            raise RuntimeError(
                f"the generator process failed (exit {rc}):\n{proc.stderr.read().decode(errors='replace')}"
            )
        finished = True
    finally:
        if not finished and proc.poll() is None:
            proc.kill()  # our own child; the reader thread ends with its pipe
        with contextlib.suppress(Exception):
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            with contextlib.suppress(Exception):
                stream.close()


def _worker_env() -> dict[str, str]:
    """The worker imports this very package, even when it is not installed (source checkout on sys.path)."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def run(
    persons: int,
    seed: int,
    now: dt.datetime,
    writer,
    *,
    chunk_size: int = 25_000,
    worker: bool | None = None,
    progress=None,
) -> SynthResult:
    """Generate ``persons`` and hand them to ``writer.write_chunk`` in chunks of about ``chunk_size``.

    ``progress(done_persons)`` is called after every chunk. ``worker`` defaults to
    a worker process for populations of more than two blocks.
    """
    if worker is None:
        worker = persons > 2 * BLOCK
    chunk_size = max(chunk_size, 1)
    started = time.perf_counter()
    rows: dict[str, int] = defaultdict(int)
    pending: list[Batch] = []
    pending_persons = done = 0

    def flush():
        nonlocal pending, pending_persons, done
        if pending:
            writer.write_chunk(pending)
            for b in pending:
                for k, v in b.row_counts().items():
                    rows[k] += v
            done += pending_persons
            pending, pending_persons = [], 0
            if progress:
                progress(done)

    try:
        for batch in iter_batches(persons, seed, now, worker=worker):
            pending.append(batch)
            pending_persons += batch.persons
            if pending_persons >= chunk_size:
                flush()
        flush()
    finally:
        close = getattr(writer, "close", None)
        if close:
            close()
    return SynthResult(persons=done, rows=dict(rows), elapsed=time.perf_counter() - started)
