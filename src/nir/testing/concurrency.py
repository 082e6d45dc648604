"""Run work on several threads at once, each with its own database connection (PostgreSQL tests of
concurrent writers): all start together at a barrier, exceptions are collected, connections closed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def run_concurrently(n: int, work: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """``work(i)`` for i in 0..n-1 on n threads released together; their results in order.
    Raises ``AssertionError`` listing every exception a thread raised."""
    from django.db import connection

    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as e:  # reported by the caller's assertion, not lost in the thread
            errors.append(repr(e))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not errors, errors
    return results
