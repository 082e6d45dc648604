"""Identity numbers out of the logs and the audit table.

``redact(text)`` — for every text NIR stores or logs (the audit table's filters and endpoint,
log lines): a national identity number (fødselsnummer, D-nummer, synthetic numbers) becomes
``***********``:

* eleven consecutive digits, always (whatever their check digits: a mistyped number is still one);
* eleven digits written in groups joined by single separators — space, no-break space, ``-``,
  ``.``, ``+`` or ``%20`` (a URL's space), e.g. ``248396-47022``, ``2483 9647022``,
  ``24.83.96.47022`` — when they are a valid number (python-stdnum's check digits and birth date,
  through ``nir.identity``; synthetic numbers included). Other grouped numbers — dates, amounts,
  phone numbers — are left as they are.

``redact_log(text)`` — for log lines only: ``redact``, and a DUF number (UDI's case number, twelve
consecutive digits, or twelve in groups with valid DUF check digits) becomes a keyed pseudonym
``duf-<12 hex>``: HMAC-SHA256 of the twelve digits under ``settings.NIR_LOG_PSEUDONYM_KEY`` (by
default derived from the deployment's ``SECRET_KEY``), so the same person has the same pseudonym
in every line and process of a deployment, and nobody without the key can tell whose it is
(``nir log-pseudonym DUF`` computes it, to find a person's lines). Access-log lines and
``django.request`` warnings carry request paths such as ``/personer/<duf>/``; the audit table
keeps DUF numbers (who looked up whom is what it is for), the logs do not.

``RedactIdentityNumbers`` is the logging filter on every handler of ``settings.LOGGING`` (runserver's
``django.server``, ``django.request``, granian's ``granian.access``, ``nir.*``, the root): it
rewrites the message, and a traceback's text, with ``redact_log``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable

from nir import identity

REDACTED = "***********"

# A chain of digit groups joined by single separators; each group is a run of digits.
_SEP = r"(?:[ \u00a0.+\-]|%20)"
_CHAIN = re.compile(rf"(?<!\d)\d+(?:{_SEP}\d+)*")
_GROUP = re.compile(r"\d+")


def _is_national_id(digits: str) -> bool:
    try:
        identity.validate_national_id(digits, allow_synthetic=True)
    except identity.IdentifierError:
        return False
    return True


def _is_duf(digits: str) -> bool:
    try:
        identity.validate_duf(digits)
    except identity.IdentifierError:
        return False
    return True


def _rewrite(text: str, duf: Callable[[str], str] | None) -> str:
    """Replace identity numbers (and, with ``duf``, DUF numbers by ``duf(digits)``) in ``text``."""

    def chain(match: re.Match) -> str:
        s = match.group()
        groups, pos = [], 0
        while pos < len(s):  # the chain's digit runs, in order; separators (one each) between them
            g = _GROUP.match(s, pos)
            groups.append((g.start(), g.end()))
            pos = g.end() + (3 if s.startswith("%20", g.end()) else 1)
        out, last, i = [], 0, 0
        while i < len(groups):
            total, replaced = 0, False
            for j in range(i, len(groups)):
                total += groups[j][1] - groups[j][0]
                if total > 12:
                    break
                if total not in (11, 12):
                    continue
                digits = "".join(s[a:b] for a, b in groups[i : j + 1])
                single = i == j
                if total == 11 and (single or _is_national_id(digits)):
                    new = REDACTED
                elif total == 12 and duf is not None and (single or _is_duf(digits)):
                    new = duf(digits)
                else:
                    continue
                out += [s[last : groups[i][0]], new]
                last, i, replaced = groups[j][1], j + 1, True
                break
            if not replaced:
                i += 1
        return "".join(out) + s[last:] if out else s

    return _CHAIN.sub(chain, text)


def redact(text: str) -> str:
    """``text`` with every national identity number replaced by ``***********`` (module text)."""
    return _rewrite(text, None)


def _pseudonym_key() -> bytes:
    from django.conf import settings

    key = getattr(settings, "NIR_LOG_PSEUDONYM_KEY", "") or ""
    if key:
        return key.encode()
    # Derived from the deployment's secret key (stable as long as it is), never the key itself.
    return hmac.new(settings.SECRET_KEY.encode(), b"nir.logging.duf-pseudonym", hashlib.sha256).digest()


def duf_pseudonym(duf: str) -> str:
    """The keyed pseudonym of a DUF number in the logs: ``duf-`` and 12 hex digits of its HMAC."""
    digits = "".join(ch for ch in duf if ch.isdigit())
    return "duf-" + hmac.new(_pseudonym_key(), digits.encode(), hashlib.sha256).hexdigest()[:12]


def redact_log(text: str) -> str:
    """``redact`` and every DUF number replaced by its keyed pseudonym (module text)."""
    return _rewrite(text, duf_pseudonym)


class RedactIdentityNumbers(logging.Filter):
    """On every handler: the record's message and traceback without identity or DUF numbers."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_log(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_log(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_log(record.stack_info)
        return True
