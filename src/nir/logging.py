"""Logging filter that keeps national identity numbers out of every log line.

Eleven consecutive digits (fødselsnummer, D-nummer, synthetic numbers) are
replaced by ``***********`` before a record is emitted.
"""

from __future__ import annotations

import logging
import re

_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{6}\s?\d{5}(?!\d)")


def redact(text: str) -> str:
    return _ELEVEN_DIGITS.sub("***********", text)


class RedactIdentityNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True
