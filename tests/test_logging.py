"""No national identity number in any log line (overview.md: access follows the law;
nir.logging.RedactIdentityNumbers)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re

from django.conf import settings

from nir import identity
from nir.logging import RedactIdentityNumbers, redact

NUMBER = identity.make_synthetic_national_id(dt.date(1990, 1, 15), 0) or identity.make_synthetic_national_id(
    dt.date(1990, 1, 15), 1)
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
