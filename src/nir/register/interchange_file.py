"""Reading an interchange file (JSON Lines, UTF-8) safely, one line at a time, as bytes.

    for line in read_lines(binary_file):
        line.number, line.obj, line.problems       # obj is None when the line was refused here

Whatever the bytes are, nothing here raises for bad input: a line that is not UTF-8, holds a raw
NUL byte, is not JSON, nests deeper than the format ever does, is longer than ``MAX_LINE_BYTES``
or decodes to text that cannot be stored (a lone surrogate, ``\\ud800``) comes back with its
problems (field ``$`` or the path of the offending value, rule ``encoding``, ``json``,
``nesting``, ``line_too_long``). The field-by-field rules (types, codes, control characters in
text …) are ``nir.register.interchange.parse_line`` and ``nir.register.validation``.

A file in UTF-16 or UTF-32 (with a byte-order mark, or recognisable without one by its zero bytes,
RFC 4627 § 3) is refused as a whole before any line is read: ``FileEncodingError``. A UTF-8
byte-order mark is skipped. docs/interchange-format.md, «Reading the file».
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from nir.register.errors import Problem

# A line is one person; the largest realistic one is a few tens of kilobytes.
MAX_LINE_BYTES = 4 * 1024 * 1024
# Containers inside one another: the format has four (the line, facts, a list, an item). A little
# deeper is a wrong type that parse_line names precisely; far deeper is refused here.
MAX_DEPTH = 8

_BOMS = (  # longest first: the UTF-32-LE mark begins with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "UTF-32BE"),
    (codecs.BOM_UTF16_LE, "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "UTF-16BE"),
)


class FileEncodingError(Exception):
    """The file is not UTF-8 at all (UTF-16 or UTF-32): refused before any line is stored."""

    def __init__(self, encoding: str, bom: bool):
        self.encoding = encoding
        self.bom = bom
        how = "med byte-rekkefølgemerke (BOM)" if bom else "uten byte-rekkefølgemerke, gjenkjent på nullbytene"
        source = encoding[:6] if bom else encoding  # iconv reads the mark itself, and drops it
        super().__init__(
            f"filen er kodet som {encoding} ({how}); nir import leser bare UTF-8. Konverter den først, "
            f"for eksempel: iconv -f {source} -t UTF-8 FIL > FIL.utf8.jsonl"
        )

    def problem(self) -> Problem:
        return Problem("$", "file_encoding", str(self))


@dataclass
class Line:
    number: int
    obj: Any = None
    problems: list[Problem] = field(default_factory=list)
    raw_size: int = 0


def detect_encoding(head: bytes) -> tuple[str, bool] | None:
    """(encoding, has BOM) when ``head`` (the file's first bytes) is UTF-16 or UTF-32, else None.

    Without a byte-order mark: the pattern of zero bytes in the first four octets (RFC 4627 § 3;
    a JSON text starts with an ASCII character)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, True
    if len(head) >= 4:
        zeros = (head[0] == 0, head[1] == 0, head[2] == 0, head[3] == 0)
        return {
            (True, True, True, False): ("UTF-32BE", False),
            (False, True, True, True): ("UTF-32LE", False),
            (True, False, True, False): ("UTF-16BE", False),
            (False, True, False, True): ("UTF-16LE", False),
        }.get(zeros)
    if len(head) >= 2 and (head[0] == 0) != (head[1] == 0):
        return ("UTF-16BE" if head[0] == 0 else "UTF-16LE"), False
    return None


def read_lines(fh: BinaryIO, *, max_line_bytes: int | None = None) -> Iterator[Line]:
    """The file's lines, numbered from 1; blank lines are skipped (but counted). Raises only
    ``FileEncodingError`` (before the first line) and the file's own read errors."""
    limit = max_line_bytes or MAX_LINE_BYTES
    number = 0
    first = True
    while True:
        raw = fh.readline(limit + 1)
        if not raw:
            return
        number += 1
        if first:
            first = False
            found = detect_encoding(raw)
            if found:
                raise FileEncodingError(*found)
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if len(raw) > limit and not raw.endswith(b"\n"):
            size = len(raw) + _skip_rest_of_line(fh, limit)
            yield Line(
                number, None, [Problem("$", "line_too_long", f"linjen er for lang ({size} byte; høyst {limit})")], size
            )
            continue
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        yield decode_line(number, line)


def _skip_rest_of_line(fh: BinaryIO, chunk: int) -> int:
    skipped = 0
    while True:
        part = fh.readline(chunk)
        skipped += len(part)
        if not part or part.endswith(b"\n"):
            return skipped


def decode_line(number: int, raw: bytes) -> Line:
    """One line's bytes as a JSON value, or the reason it cannot be one."""

    def refused(field_path: str, rule: str, message: str) -> Line:
        return Line(number, None, [Problem(field_path, rule, message)], len(raw))

    nul = raw.find(b"\x00")
    if nul >= 0:
        return refused("$", "encoding", f"linjen inneholder en NUL-byte (kolonne {nul + 1}); er filen UTF-16?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return refused(
            "$", "encoding", f"ugyldig UTF-8: byte 0x{raw[e.start]:02X} i kolonne {e.start + 1} (filen må være UTF-8)"
        )
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        return refused("$", "json", f"ugyldig JSON: {e.msg} (kolonne {e.colno})")
    except RecursionError:
        return refused("$", "nesting", "JSON-en er nøstet for dypt")
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        return refused("$", "json", f"ugyldig JSON: {str(e).split(';')[0]}")
    problem = _check_value(obj)
    if problem is not None:
        return Line(number, None, [problem], len(raw))
    return Line(number, obj, [], len(raw))


def _check_value(obj: Any) -> Problem | None:
    """Nesting depth and text that cannot be stored (lone surrogates), with the path of the value.

    One quick pass without paths; only a line with a problem is walked again to name it."""
    if _quick_ok(obj):
        return None
    return _find(obj, "", 1)


def _quick_ok(obj: Any) -> bool:
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                return False
            for k, v in value.items():
                if not _encodable(k):
                    return False
                stack.append((v, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                return False
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str) and not _encodable(value):
            return False
    return True


def _find(value: Any, path: str, depth: int) -> Problem | None:
    here = path or "$"
    if isinstance(value, (dict, list)) and depth > MAX_DEPTH:
        return Problem(here, "nesting", f"verdien er nøstet for dypt (mer enn {MAX_DEPTH} nivåer)")
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if not _encodable(k):
                return Problem(here, "encoding", "et feltnavn inneholder ugyldig Unicode (enslig surrogat)")
            found = _find(v, sub, depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _find(v, f"{path}[{i}]", depth + 1)
            if found:
                return found
    elif isinstance(value, str) and not _encodable(value):
        return Problem(here, "encoding", "teksten inneholder ugyldig Unicode (enslig surrogat, f.eks. \\ud800)")
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
