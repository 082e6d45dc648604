"""Login throttling for username/password login; docs/security.md.

After ``NIR_LOGIN_MAX_FAILURES_PER_USER`` failed attempts for one username (case-insensitive) or
``NIR_LOGIN_MAX_FAILURES_PER_IP`` from one client address within ``NIR_LOGIN_WINDOW_SECONDS``,
further attempts are refused without checking the password until the window has passed. The
window starts at the first failure. A successful login clears the username's counter.

The counters live in Django's cache (``django.core.cache.cache``), so they hold across worker
processes when a shared cache is configured. Cache keys carry a hash of the username, never the
username itself (it could be an identity number, or a password typed in the wrong field).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

PREFIX = "nir:login-failures"


@dataclass(frozen=True)
class Limits:
    per_user: int
    per_ip: int
    window: int  # seconds

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            per_user=int(getattr(settings, "NIR_LOGIN_MAX_FAILURES_PER_USER", 5)),
            per_ip=int(getattr(settings, "NIR_LOGIN_MAX_FAILURES_PER_IP", 20)),
            window=int(getattr(settings, "NIR_LOGIN_WINDOW_SECONDS", 15 * 60)),
        )


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with ``NIR_LOGIN_TRUSTED_PROXIES`` = n > 0 the n-th
    address from the right of X-Forwarded-For (the one our own outermost proxy saw). An IPv6
    address counts as its /64 network, which one client usually has whole."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "NIR_LOGIN_TRUSTED_PROXIES", 0))
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _user_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().casefold().encode("utf-8")).hexdigest()
    return f"{PREFIX}:user:{digest}"


def _ip_key(ip: str) -> str:
    return f"{PREFIX}:ip:{hashlib.sha256(ip.encode()).hexdigest()}"


def _state(key: str) -> tuple[int, float | None]:
    """(failures in the current window, when the window started)."""
    values = cache.get_many([f"{key}:n", f"{key}:t"])
    return int(values.get(f"{key}:n") or 0), values.get(f"{key}:t")


def _bump(key: str, window: int, now: float) -> int:
    """One more failure under ``key``; the window (and both keys' expiry) runs from the first one."""
    count_key, start_key = f"{key}:n", f"{key}:t"
    start = cache.get(start_key)
    if start is not None and start + window <= now:  # a window the cache has not yet expired
        cache.delete_many([count_key, start_key])
    cache.add(start_key, now, window)
    cache.add(count_key, 0, window)
    try:
        count = cache.incr(count_key)  # atomic on Redis, memcached and the local-memory cache
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, window)
        count = 1
    start = cache.get(start_key, now)
    remaining = max(1, math.ceil(start + window - now))
    # Some backends (database, file) reset the expiry on incr: put the window's end back.
    cache.touch(count_key, remaining)
    return count


def _wait(key: str, limit: int, window: int, now: float) -> int:
    count, start = _state(key)
    if count < limit:
        return 0
    if start is None:  # start evicted: block; the counter's own expiry ends it
        return window
    return max(0, math.ceil(start + window - now))


def blocked_for(username: str, ip: str, *, now: float | None = None) -> int:
    """Seconds until the username or the address may try again; 0 if it may try now."""
    limits = Limits.from_settings()
    now = time.time() if now is None else now
    return max(
        _wait(_user_key(username), limits.per_user, limits.window, now),
        _wait(_ip_key(ip), limits.per_ip, limits.window, now),
    )


def record_failure(username: str, ip: str, *, now: float | None = None) -> tuple[int, int]:
    """Count a failed attempt; returns the (username, address) counts in their windows."""
    limits = Limits.from_settings()
    now = time.time() if now is None else now
    return (_bump(_user_key(username), limits.window, now), _bump(_ip_key(ip), limits.window, now))


def record_success(username: str) -> None:
    """A successful login clears the username's counter (not the address's)."""
    key = _user_key(username)
    cache.delete_many([f"{key}:n", f"{key}:t"])


def minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


# --- fixed-window rate limits (the API's per client and user, the web's exports per user) ----------

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"3000/m"`` → (3000, 60); the period is s, m, h or d."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[:1]]


def fixed_window(key: str, count: int, period: int) -> float | None:
    """Count one request under ``key``; ``None`` while at most ``count`` fall in the current window of
    ``period`` seconds, else the seconds until the window ends (for ``Retry-After``).

    ``cache.add`` + ``cache.incr``: atomic in Redis/Memcached and in Django's database and
    local-memory caches; one small cache operation per request. With a cache shared by all workers
    (production) the limit holds across workers; with the local-memory cache it is per process.
    """
    from django.core.cache import DEFAULT_CACHE_ALIAS, caches

    now = time.time()
    window = int(now // period)
    name = f"nir-rate:{key}:{period}:{window}"
    store = caches[DEFAULT_CACHE_ALIAS]  # once: each use of the ``cache`` proxy looks it up again
    store.add(name, 0, timeout=period + 1)
    try:
        used = store.incr(name)
    except ValueError:  # evicted between add and incr: start again
        store.set(name, 1, timeout=period + 1)
        used = 1
    if used <= count:
        return None
    return (window + 1) * period - now
