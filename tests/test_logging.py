"""No national identity number in any log line (overview.md: access follows the law;
nir.logging.RedactIdentityNumbers)."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import io
import logging
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings

from nir import identity
from nir.logging import RedactIdentityNumbers, duf_pseudonym, redact, redact_log

NUMBER = identity.make_synthetic_national_id(dt.date(1990, 1, 15), 0) or identity.make_synthetic_national_id(
    dt.date(1990, 1, 15), 1
)
DUF = identity.make_duf("2026123456")


def record(msg, *args):
    return logging.LogRecord("nir.test", logging.INFO, __file__, 1, msg, args, None)


def test_redact_text():
    assert redact(f"fnr {NUMBER} registrert") == "fnr *********** registrert"
    assert redact(f"{NUMBER[:6]} {NUMBER[6:]}") == "***********"
    assert redact(f"a={NUMBER},b={NUMBER}") == "a=***********,b=***********"


def test_twelve_digit_duf_and_short_numbers_are_kept():
    """A DUF number (12 digits) is not an identity number; neither is a municipality number."""
    assert redact(f"DUF {DUF} i kommune 5001") == f"DUF {DUF} i kommune 5001"
    assert redact("1234567890") == "1234567890"


def test_filter_redacts_message_and_args():
    f = RedactIdentityNumbers()
    r = record("oppslag på %s av %s", NUMBER, "bruker")
    assert f.filter(r) is True  # never drops a record
    assert NUMBER not in r.getMessage()
    assert r.getMessage() == "oppslag på *********** av bruker"
    r = record(f"direkte {NUMBER}")
    f.filter(r)
    assert r.getMessage() == "direkte ***********"
    r = record("ingen nummer her: %d personer", 3)
    f.filter(r)
    assert r.getMessage() == "ingen nummer her: 3 personer" and r.args == (3,)


def test_logger_output_has_no_identity_numbers():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactIdentityNumbers())
    logger = logging.getLogger("nir.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.info("person %s hentet", NUMBER)
        logger.warning({"fnr": NUMBER})
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert not re.search(r"\d{11}", out), out
    assert out.count("***********") == 2


def test_every_configured_handler_carries_the_filter():
    filters = settings.LOGGING["filters"]
    name = next(k for k, v in filters.items() if v.get("()") == "nir.logging.RedactIdentityNumbers")
    for handler_name, handler in settings.LOGGING["handlers"].items():
        assert name in handler.get("filters", []), handler_name


# --- numbers written with separators (issue 15 § 3.6) -------------------------------------------


def spelled(number: str) -> list[str]:
    """The ways people write an 11-digit number: grouped 6+5, 4+7, with dots, in a URL."""
    return [
        f"{number[:6]}-{number[6:]}",
        f"{number[:4]} {number[4:]}",
        f"{number[:6]} {number[6:]}",
        f"{number[:2]}.{number[2:4]}.{number[4:6]}.{number[6:]}",
        f"{number[:6]}+{number[6:]}",
        f"{number[:6]}%20{number[6:]}",
        f"{number[:6]}\u00a0{number[6:]}",
    ]


def test_identity_numbers_with_separators_are_masked():
    for text in spelled(NUMBER):
        assert redact(f"søk: q={text}&side=2") == "søk: q=***********&side=2", text
        assert redact_log(f"GET /personer/?q={text} HTTP/1.1") == "GET /personer/?q=*********** HTTP/1.1"
    assert redact(f"2026-12-07 {NUMBER[:6]} {NUMBER[6:]}") == "2026-12-07 ***********"  # after a date


@pytest.mark.parametrize(
    "text",
    [
        "født 24.08.1996, registrert 07.12.2026 08:46:04",
        "beløp 1 234 567 890,50 kr og 12 345 678 901 kr",  # 11 digits, but not a valid number
        "telefon +47 22 33 44 55, org.nr. 974 760 673",
        "127.0.0.1 - [2026-12-07 08:46:04 +0000] 0.123",
        "1234567890 og 1234567890123",
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert redact(text) == text
    assert redact_log(text) == text


def test_a_duf_number_in_a_log_line_becomes_a_keyed_pseudonym(settings):
    settings.NIR_LOG_PSEUDONYM_KEY = "test-key-1"
    line = f'"GET /personer/{DUF}/ HTTP/1.1" 200 / GET /api/v1/persons/{DUF}/decisions'
    out = redact_log(line)
    assert DUF not in out and re.fullmatch(
        r'"GET /personer/duf-[0-9a-f]{12}/ HTTP/1\.1" 200 / GET /api/v1/persons/duf-[0-9a-f]{12}/decisions', out
    )
    pseudonym = duf_pseudonym(DUF)
    assert out.count(pseudonym) == 2 and redact_log(line) == out  # stable
    assert redact_log(f"{DUF[:4]} {DUF[4:10]} {DUF[10:]}") == pseudonym  # grouped, valid check digits
    assert redact(line) == line  # the audit table keeps DUF numbers
    settings.NIR_LOG_PSEUDONYM_KEY = "test-key-2"
    assert duf_pseudonym(DUF) != pseudonym  # keyed: without the key, not computable
    settings.NIR_LOG_PSEUDONYM_KEY = ""
    derived = duf_pseudonym(DUF)
    assert derived not in (pseudonym, duf_pseudonym(identity.make_duf("2026123457")))


def test_tracebacks_are_redacted():
    try:
        raise ValueError(f"person {DUF} med fnr {NUMBER[:6]}-{NUMBER[6:]}")
    except ValueError:
        import sys

        r = logging.LogRecord("nir.test", logging.ERROR, __file__, 1, "feil", (), sys.exc_info())
    RedactIdentityNumbers().filter(r)
    out = logging.Formatter().format(r)
    assert DUF not in out and NUMBER[6:] not in out and "***********" in out and "duf-" in out


# --- every logger that writes a request path, as configured (settings.LOGGING) -----------------


@contextlib.contextmanager
def captured(*names):
    """The output of the configured handlers of these loggers (and their ancestors'), as one text."""
    buf = io.StringIO()
    handlers, seen = [], set()
    for name in names:
        logger = logging.getLogger(name)
        while logger is not None:
            for h in logger.handlers:
                if type(h) is logging.StreamHandler and id(h) not in seen:  # not pytest's own
                    seen.add(id(h))
                    handlers.append((h, h.setStream(buf)))
            logger = logger.parent if logger.propagate else None
    assert handlers, names
    try:
        yield buf
    finally:
        for h, old in handlers:
            h.setStream(old)


def assert_clean(out: str, *secrets: str):
    assert out.strip(), "nothing was logged"
    for s in secrets:
        assert s not in out, out
    assert not re.search(r"(?<!\d)\d{11,12}(?!\d)", out), out


@pytest.mark.django_db
def test_django_request_warnings_carry_no_duf_or_identity_number(client, django_user_model):
    from nir.testing.builders import make_user

    with captured("django.request") as out:
        assert client.get(f"/api/v1/persons/{DUF}").status_code == 401
        assert client.get(f"/api/v1/persons/?q={NUMBER[:6]}-{NUMBER[6:]}").status_code in (401, 404)
        client.force_login(make_user(django_user_model, "saksbehandler-5001", "k-5001"))
        assert client.get(f"/personer/{DUF}/").status_code == 404
        assert client.get(f"/api/v1/persons/{DUF}/absences").status_code == 405
    text = out.getvalue()
    assert_clean(text, DUF, NUMBER[6:])
    assert "Unauthorized: /api/v1/persons/duf-" in text and "Not Found: /personer/duf-" in text


def test_runserver_access_log_carries_no_duf_or_identity_number():
    """runserver's request handler writes each request line to ``django.server``."""
    from django.core.servers.basehttp import WSGIRequestHandler

    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = None
    handler.requestline = f"GET /personer/{DUF}/?q={NUMBER[:4]}+{NUMBER[4:]} HTTP/1.1"
    handler.client_address = ("127.0.0.1", 5000)
    with captured("django.server") as out:
        handler.log_request(200, 1234)
        handler.requestline = f"GET /api/v1/persons/{DUF} HTTP/1.1"
        handler.log_request(404, 0)
    text = out.getvalue()
    assert_clean(text, DUF, NUMBER[6:])
    assert text.count("duf-") == 2


def test_granian_access_log_carries_no_duf_or_identity_number(tmp_path):
    """The production server with its access log on, the query string logged too (docs/security.md)."""
    port = _free_port()
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        NIR_DEBUG="0",
        NIR_SECRET_KEY="test-secret",
        NIR_VAR_DIR=str(tmp_path),
        NIR_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path}/nir.sqlite3",
    )
    exe = os.path.join(os.path.dirname(sys.executable), "granian")
    proc = subprocess.Popen(
        [
            exe,
            "--interface",
            "wsgi",
            "--workers",
            "1",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--access-log",
            "--access-log-fmt",
            '%(addr)s "%(method)s %(path)s?%(query_string)s" %(status)d',
            "nir.wsgi:application",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        paths = [f"/api/v1/persons/{DUF}", f"/personer/{DUF}/", f"/personer/?q={NUMBER[:6]}-{NUMBER[6:]}"]
        assert [_get(port, path) for path in paths] == [401, 302, 302]
        time.sleep(0.5)  # the access log is written after the answer
    finally:
        proc.terminate()
        text = proc.communicate(timeout=30)[0]
    lines = [line for line in text.splitlines() if '"GET ' in line]
    assert len(lines) == len(paths), text
    assert_clean("\n".join(lines), DUF, NUMBER[6:])
    assert sum("duf-" in line for line in lines) == 2  # (in the order the answers finished)
    assert sum("q=***********" in line for line in lines) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> int:
    deadline = time.monotonic() + 30
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            conn.close()
