"""Browser tests: Playwright driving Debian's Chromium (headless, no browser download) against a
Django live server, with axe-core (npm, node_modules/axe-core) run in the pages.

    make browser-binaries        # installs /usr/bin/chromium with apt if missing (``make test`` does it)
    NIR_VAR_DIR=/tmp/x .venv/bin/pytest tests/web/browser -q

* One Chromium per session; a fresh context (cookies, storage) and page per test: locale nb-NO,
  viewport 1280x900. ``login(page, username)`` logs in through the real login form.
* ``world``: a small synthetic register built per test (committed: the live server reads it; the
  database is put back as it was after each test): caseworkers of Trondheim (k-5001) and Bergen
  (k-4601), an IMDi administrator, and persons in Trondheim.
* ``axe_check(page, name)``: axe-core with the WCAG 2.0/2.1 A and AA rules; fails on a violation
  of impact «serious» or «critical». ``screenshot(page, name)``: a full-page PNG in
  ``test-artifacts/screenshots/<name>.png`` for review.
* The pages' Content-Security-Policy stays on (no bypass): axe is injected with ``page.evaluate``,
  and every console error (a CSP violation is one), uncaught page error or failed request fails
  the test (``BrowserLog.allow`` for an expected one, such as the 404 of a refused person).
* The tests run once, in the SQLite pass of ``nir.testing.suite``: they are deselected on PostgreSQL.
  A missing Chromium is a failure (``make browser-binaries``), never a skip.

The live server needs committed data; ``transactional_db`` is replaced here (see its doc string):
the register's append-only triggers refuse the DELETE with which pytest-django would empty the
database after each test. So these tests must not ask for pytest-django's ``db``, ``client`` or
``django_user_model`` (they bring its own database handling back); use ``get_user_model()``.
The live server handles one request at a time (see ``live_server``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.urls import get_resolver

BROWSER_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BROWSER_DIR.parents[2]
SCREENSHOT_DIR = PROJECT_DIR / "test-artifacts" / "screenshots"
AXE_REPORT_DIR = PROJECT_DIR / "test-artifacts" / "axe"
CHROMIUM = os.environ.get("NIR_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

PASSWORD = "Nettleser-test-2026!"  # synthetic test users only
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_ADVICE_TAGS = ["best-practice"]  # reported in test-artifacts/axe/, never failing
AXE_FAILING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 15_000


# --- collection: the «browser» marker; run once (SQLite pass) ----------------------------------------


def _is_browser_item(item) -> bool:
    return BROWSER_DIR in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config, items):
    """Mark the browser tests «browser»; skip a test whose pages are not yet in the URL configuration
    (``@pytest.mark.browser(urls=("persons", ...))``); deselect them all on the PostgreSQL pass."""
    mine = [item for item in items if _is_browser_item(item)]
    for item in mine:
        item.add_marker(pytest.mark.browser)
        needed = [name for mark in item.iter_markers("browser") for name in mark.kwargs.get("urls", ())]
        missing = [name for name in dict.fromkeys(needed) if url_missing(name)]
        if missing:
            item.add_marker(
                pytest.mark.skip(
                    reason="not in the URL configuration yet (django.urls.reverse: NoReverseMatch): "
                    + ", ".join(missing)
                )
            )
    if ON_POSTGRES and mine:
        # The pages are the same on both databases; the PostgreSQL pass covers the queries.
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if not _is_browser_item(item)]


def url_missing(name: str) -> bool:
    """True while no URL pattern has this name (other parts of the web application are being built).
    A URL configuration that does not even import is not «missing»: the tests run and fail on it."""
    try:
        return name not in get_resolver().reverse_dict
    except Exception:  # noqa: BLE001 – reported by the tests themselves, not as a crash of the collection
        return False


# --- the live server: one request at a time ---------------------------------------------------------

# Held while the live server handles a request, and while the database is copied back after a test.
_DB_LOCK = threading.Lock()


def _serialized(application):
    """A WSGI application that handles one request at a time, body and all."""

    def app(environ, start_response):
        with _DB_LOCK:
            result = application(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()  # request_finished, inside the lock too

    return app


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, but handling one request at a time. With the in-memory SQLite
    test database every request thread shares the test's one connection, and requests at the same
    time (Arbeidsflate loads its sections in parallel with htmx) would interleave their transactions
    on it («database table is locked»); a real deployment has a connection per worker."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    class SerializedWSGIServer(ThreadedWSGIServer):
        def set_app(self, application):
            super().set_app(_serialized(application))

    class SerializedLiveServerThread(LiveServerThread):
        server_class = SerializedWSGIServer

    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    plain = server.thread
    server.thread = SerializedLiveServerThread(
        plain.host, plain.static_handler, connections_override=plain.connections_override, port=plain.port
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


# --- the browser ------------------------------------------------------------------------------------------


class _Chromium:
    """One Chromium for the run of browser tests, stopped after the last of them (``pytest_runtest_teardown``).

    Playwright's sync API keeps an event loop running in this thread while it is started, and
    Django's ORM refuses to run beside one: DJANGO_ALLOW_ASYNC_UNSAFE is set while Chromium runs
    (the fixtures build the register with the browser open), and both end with the browser tests, so
    neither the loop nor the variable reaches the tests after them (or their subprocesses:
    ``check --deploy`` reports the variable)."""

    ENV = "DJANGO_ALLOW_ASYNC_UNSAFE"

    def __init__(self):
        self.playwright = None
        self.browser = None
        self.env_before: str | None = None

    def get(self):
        if self.browser is None:
            if not Path(CHROMIUM).exists():
                pytest.fail(
                    f"Chromium is missing ({CHROMIUM}): run `make browser-binaries` (installs Debian's "
                    "chromium with apt). The browser tests never download a browser.",
                    pytrace=False,
                )
            if not AXE_JS.exists():
                pytest.fail(f"axe-core is missing ({AXE_JS}): run `make install` (npm ci).", pytrace=False)
            from playwright.sync_api import sync_playwright

            self.env_before = os.environ.get(self.ENV)
            os.environ[self.ENV] = "true"
            self.playwright = sync_playwright().start()
            try:
                self.browser = self.playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
            except BaseException:
                self.stop()
                raise
        return self.browser

    def stop(self):
        try:
            if self.browser is not None:
                self.browser.close()
            if self.playwright is not None:
                self.playwright.stop()
        finally:
            self.browser = self.playwright = None
            if self.env_before is None:
                os.environ.pop(self.ENV, None)
            else:
                os.environ[self.ENV] = self.env_before


_CHROMIUM = _Chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)  # the test's fixtures first (the page's context)
    finally:
        if _CHROMIUM.browser is not None and (nextitem is None or not _is_browser_item(nextitem)):
            _CHROMIUM.stop()


def pytest_sessionfinish(session):
    _CHROMIUM.stop()


@pytest.fixture
def browser():
    """The Chromium of the browser tests (started by the first one)."""
    return _CHROMIUM.get()


@dataclass
class BrowserLog:
    """Console errors (CSP violations among them), page errors and failed requests of one page."""

    errors: list[str] = field(default_factory=list)
    # No favicon: the browser's own request for /favicon.ico is not the page's doing.
    allowed: list[re.Pattern] = field(default_factory=lambda: [re.compile(r"/favicon\.ico\)$")])
    reported: int = 0  # errors before this index have failed a check already

    def allow(self, pattern: str):
        """Expect messages matching ``pattern`` (e.g. the console error of a 404 page)."""
        self.allowed.append(re.compile(pattern))

    def add(self, message: str):
        self.errors.append(message)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors[self.reported :] if not any(p.search(e) for p in self.allowed)]

    def check(self, where: str = ""):
        bad = self.unexpected()
        self.reported = len(self.errors)
        assert not bad, (
            f"browser errors{' on ' + where if where else ''} (CSP violations, script errors, "
            "failed requests):\n  " + "\n  ".join(bad)
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.nir_call_failed = report.failed
    return report


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context and page on the live server (relative URLs: ``page.goto("/rapporter/")``)."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="nb-NO",
        timezone_id="Europe/Oslo",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    log = BrowserLog()
    pg.nir_log = log
    pg.on(
        "console",
        lambda msg: (
            log.add(f"console.{msg.type}: {msg.text} ({msg.location.get('url', '')})") if msg.type == "error" else None
        ),
    )
    pg.on("pageerror", lambda exc: log.add(f"page error: {exc}"))
    # A request cancelled by leaving the page (net::ERR_ABORTED, e.g. an htmx section still loading) is
    # not an error; an answer with an error status shows up as a console error («Failed to load resource»).
    pg.on(
        "requestfailed",
        lambda req: (
            log.add(f"request failed: {req.method} {req.url} ({req.failure})")
            if "ERR_ABORTED" not in (req.failure or "")
            else None
        ),
    )
    try:
        yield pg
        if not getattr(request.node, "nir_call_failed", True):  # a failed test has said enough
            log.check("the last page")
    finally:
        context.close()


# --- helpers (as fixtures: ``login``, ``screenshot``, ``axe_check``, ``check_page``) ------------------------


def do_login(page, username: str, password: str = PASSWORD, next: str | None = None):
    """Log in through the login form; ends on the page the form leads to: ``next``, or the start page."""
    page.goto("/login/" + (f"?next={quote(next)}" if next else ""))
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Logg inn").click()
    assert "/login/" not in page.url, f"login as {username} failed: {page.get_by_role('alert').all_inner_texts()}"
    settle(page)  # e.g. Arbeidsflate's sections, which htmx loads after the page
    return navigation.value  # the response of the page the login led to


SETTLED_JS = """() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')
    && document.getAnimations().every(a => a.playState !== 'running'
                                          || a.effect?.getComputedTiming().endTime === Infinity)"""


def settle(page):
    """Wait until the page is at rest: loaded, no htmx request or swap under way (htmx marks them with
    classes from the moment it sends, e.g. the hx-trigger="load" sections), no CSS transition running
    (e.g. a «Lagrer …» indicator fading out, which axe would measure half-transparent). Faster than
    Playwright's «networkidle», which waits for 500 ms without requests."""
    page.wait_for_load_state("load")
    page.wait_for_function(SETTLED_JS, polling=50)


def take_screenshot(page, name: str) -> Path:
    """A full-page PNG of the current page in test-artifacts/screenshots/<name>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    settle(page)
    # caret="initial": hiding the caret leaves style="" on inputs, which htmx copies when it swaps
    # (settles) an element with an id – refused by the CSP and reported as the page's error.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe-core's violations of the current page: WCAG 2.0/2.1 A and AA, and axe's best practices."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())  # not a <script> tag: the page's CSP stays on
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS + AXE_ADVICE_TAGS,
    )
    return result["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            target = " ".join(t if isinstance(t, str) else json.dumps(t, ensure_ascii=False) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}  –  {node.get('html', '')[:160]}  –  {summary[:300]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def run_axe_check(page, name: str) -> list[dict]:
    """Fail on a WCAG 2.0/2.1 A/AA violation (axe-core) of impact serious or critical (and on browser
    errors so far). Every violation – minor and moderate ones, best practices – is written to
    test-artifacts/axe/<name>.txt for review."""
    settle(page)
    page.nir_log.check(name)
    violations = axe_violations(page)
    AXE_REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (AXE_REPORT_DIR / f"{name}.txt").write_text(
        f"{page.url}\n{format_violations(violations) or 'no violations'}\n", encoding="utf-8"
    )
    bad = [v for v in violations if v["impact"] in AXE_FAILING_IMPACTS and set(v["tags"]) & set(AXE_TAGS)]
    assert not bad, f"axe-core: serious or critical violations on {name} ({page.url}):\n{format_violations(bad)}"
    return violations


@pytest.fixture
def login():
    """``login(page, username, password=PASSWORD, next=None)`` through the real login form; returns
    the response of the page it leads to (``next``, or the start page)."""
    return do_login


@pytest.fixture
def screenshot():
    """``screenshot(page, name)``: full-page PNG in test-artifacts/screenshots/<name>.png."""
    return take_screenshot


@pytest.fixture
def axe_check():
    """``axe_check(page, name)``: axe-core, failing on serious and critical violations."""
    return run_axe_check


@pytest.fixture
def check_page():
    """``check_page(page, name)``: axe_check, then screenshot."""

    def run(page, name: str):
        run_axe_check(page, name)
        take_screenshot(page, name)

    return run


# --- the database -----------------------------------------------------------------------------------------

_SNAPSHOT: list = []  # the test database as the browser tests found it (SQLite in memory)


def _raw_sqlite():
    connection.ensure_connection()
    return connection.connection


@pytest.fixture
def transactional_db(request, django_db_setup, django_db_blocker):
    """Replaces pytest-django's ``transactional_db`` for the browser tests (the live server needs the
    test's data committed). pytest-django empties the database after each such test with DELETE,
    which the register's append-only triggers refuse, and then reloads all reference data (seconds).
    Here the in-memory SQLite test database is copied once, before the first browser test, and
    copied back after each test (SQLite's backup API: milliseconds; triggers and all). Any other
    database: triggers dropped, ``flush``, whose post_migrate signal reinstalls them."""
    assert "_django_db_helper" not in request.fixturenames, (
        "a browser test asked for pytest-django's db/client/django_user_model (see tests/web/browser/conftest.py)"
    )
    with django_db_blocker.unblock():
        in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()
        if in_memory and not _SNAPSHOT:
            snapshot = sqlite3.connect(":memory:", check_same_thread=False)
            _raw_sqlite().backup(snapshot)
            _SNAPSHOT.append(snapshot)
        try:
            yield
        finally:
            assert not connection.in_atomic_block, "a test left a transaction open"
            if in_memory:
                with _DB_LOCK:  # not under a request the browser left behind
                    _SNAPSHOT[0].backup(_raw_sqlite())
            else:
                from django.core.management import call_command

                if connection.vendor == "sqlite":
                    with connection.cursor() as cur:
                        cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                        for (name,) in cur.fetchall():
                            cur.execute(f'DROP TRIGGER IF EXISTS "{name}"')
                call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def fast_passwords(settings):
    """One password check costs ~1 s with the production hasher; the tests log in many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    users: dict
    persons: dict

    def duf(self, key: str) -> str:
        return self.persons[key].duf


@pytest.fixture
def world(transactional_db, fast_passwords):
    """Users (password ``PASSWORD``) and persons in Trondheim, registered 10.01.2026.

    * ``ny`` – Nora Nymark: rett og plikt (utl. § 28, settled by agreement), no participation decision yet
    * ``deltaker`` – Didrik Deltaker: participation from 05.01.2026 with a final goal
    * ``avvik`` – Agnes Avvik: participation from 05.01.2026 without a final goal (deviation «sluttmål mangler»)
    * ``tidlig`` – Frida Førstart: participation from 01.12.2025 with a final goal of 2026 (the other
      deviation, «oppstart før 2026, sluttmål fra 1.1.2026»)
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from nir.register.actors import Actor
    from nir.testing.builders import Register, make_user

    # Not pytest-django's django_user_model: it asks for ``db``, which would bring back its flush.
    django_user_model = get_user_model()
    users = {
        "trondheim": make_user(
            django_user_model, "saksbehandler-trondheim", "k-5001", first_name="Tora", last_name="Trondsen"
        ),
        "bergen": make_user(
            django_user_model, "saksbehandler-bergen", "k-4601", first_name="Berit", last_name="Bergesen"
        ),
        "imdi": make_user(django_user_model, "admin-imdi", "imdi", first_name="Ida", last_name="Imsen"),
    }
    hashed = make_password(PASSWORD)
    django_user_model.objects.filter(pk__in=[u.pk for u in users.values()]).update(password=hashed)
    r = Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    persons = {
        "ny": r.person("Nora", "Nymark"),
        "deltaker": r.person("Didrik", "Deltaker"),
        "avvik": r.person("Agnes", "Avvik"),
        "tidlig": r.person("Frida", "Førstart"),
    }
    r.participation(persons["deltaker"], dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    r.participation(persons["avvik"], dt.date(2026, 1, 5))
    r.participation(persons["tidlig"], dt.date(2025, 12, 1), goal="work_no_vgo_2026")
    return World(users, persons)
