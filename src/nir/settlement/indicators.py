"""Municipal indicators (``settlement.md`` § 4): read a settlement world's ``municipalities.csv`` and
its data dictionary ``municipalities.columns.csv`` (``../shared/settlement/formats.md``).

``read_indicators(directory)`` parses and checks both files and returns ``ParsedIndicators`` (one
``IndicatorRow`` per municipality, the dictionary, whether any column is ``SYNTHETIC``, the files'
SHA-256) without touching the database; ``nir.settlement.actions.planning.load_indicators`` stores
it as an ``IndicatorDataset`` with its ``MunicipalIndicators`` (audited). A bad file is refused
whole with ``IndicatorFileError`` naming the file, the line and the column.

Until real SSB/NAV figures are loaded the indicators are the synthetic world's, and every page and
export that shows them says so (``SYNTHETIC_LABEL``). A copy of the public world's files is kept in
``nir/settlement/data/`` (``PUBLIC_WORLD``) so that the demo and the tests need nothing outside the
repository.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PUBLIC_WORLD = Path(__file__).resolve().parent / "data"
MUNICIPALITIES_FILE = "municipalities.csv"
COLUMNS_FILE = "municipalities.columns.csv"
SYNTHETIC = "SYNTHETIC"
SYNTHETIC_LABEL = "Syntetiske indikatorer – ikke offisiell statistikk"

# column -> (kind, lowest, highest); kind: text, code, int, float, flag (0/1). ``None``: no bound.
REQUIRED: dict[str, tuple[str, float | None, float | None]] = {
    "municipality_number": ("code", None, None),
    "population": ("int", 0, None),
}
KNOWN: dict[str, tuple[str, float | None, float | None]] = {
    **REQUIRED,
    "name": ("text", None, None),
    "county_number": ("text", None, None),
    "economic_region": ("text", None, None),
    "ba_region": ("text", None, None),
    "centrality": ("int", 1, 6),
    "unemployment_rate": ("float", 0, 100),
    "immigrant_employment_rate": ("float", 0, 1),
    "immigrant_share": ("float", 0, 1),
    "labour_market_diversity": ("float", 0, 1),
    "upper_secondary_school": ("flag", None, None),
    "accessible_housing": ("flag", None, None),
    "mental_health_services": ("flag", None, None),
    "specialist_health_services": ("flag", None, None),
    "secondary_migration_rate": ("float", 0, 1),
    "living_conditions_index": ("float", 0, 1),
}
# Columns kept in ``MunicipalIndicators.extra`` rather than a field of their own.
EXTRA_TEXT = ("name", "county_number")
EXTRA_PREFIX = "diaspora_per_1000_"
MODEL_FIELDS = tuple(c for c in KNOWN if c not in EXTRA_TEXT and c != "municipality_number")


class IndicatorFileError(ValueError):
    """A file that cannot be loaded: which file, line (1 = the header) and column, and why."""

    def __init__(self, file: str, message: str, *, line: int | None = None, column: str = ""):
        self.file, self.line, self.column, self.message = file, line, column, message
        where = file + (f", linje {line}" if line is not None else "") + (f", kolonne {column}" if column else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class IndicatorRow:
    """One municipality's indicators: ``values`` holds the ``MunicipalIndicators`` fields,
    ``extra`` the name, county and diaspora columns."""

    municipality: str
    values: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedIndicators:
    rows: list[IndicatorRow]
    columns: list[dict[str, str]]  # the data dictionary: column, source, description
    synthetic: bool
    sha256: str  # of municipalities.csv followed by municipalities.columns.csv

    @property
    def synthetic_columns(self) -> list[str]:
        return [c["column"] for c in self.columns if c["source"] == SYNTHETIC]


def _read_text(path: Path) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IndicatorFileError(path.name, "filen finnes ikke") from None
    except OSError as e:
        raise IndicatorFileError(path.name, f"kan ikke leses ({e.strerror})") from None
    try:
        return data, data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise IndicatorFileError(path.name, "er ikke UTF-8", line=line) from None


def _rows(name: str, text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise IndicatorFileError(name, "filen er tom") from None
    except csv.Error as e:
        raise IndicatorFileError(name, f"ugyldig CSV ({e})", line=1) from None
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise IndicatorFileError(name, "kolonnen står flere ganger i overskriften", line=1, column=dupes[0])
    out = []
    try:
        for values in reader:
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise IndicatorFileError(
                    name, f"{len(values)} verdier, overskriften har {len(header)}", line=reader.line_num
                )
            out.append((reader.line_num, values))
    except csv.Error as e:
        raise IndicatorFileError(name, f"ugyldig CSV ({e})", line=reader.line_num) from None
    return header, out


def _value(name: str, line: int, column: str, raw: str, kind: str, low: float | None, high: float | None) -> Any:
    raw = raw.strip()
    if kind in ("text", "code"):
        if kind == "code" and not (len(raw) == 4 and raw.isdigit()):
            raise IndicatorFileError(
                name, f"kommunenummer må være fire sifre, ikke {raw[:20]!r}", line=line, column=column
            )
        return raw
    if raw == "":
        if column in REQUIRED:
            raise IndicatorFileError(name, "verdi mangler", line=line, column=column)
        return None
    try:
        if kind == "flag":
            if raw not in ("0", "1"):
                raise ValueError
            return raw == "1"
        number: float = int(raw) if kind == "int" else float(raw)
    except ValueError:
        expected = {"flag": "0 eller 1", "int": "et heltall", "float": "et tall"}[kind]
        raise IndicatorFileError(name, f"{raw[:20]!r} er ikke {expected}", line=line, column=column) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise IndicatorFileError(name, f"{raw[:20]!r} er ikke et endelig tall", line=line, column=column)
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"{low if low is not None else '…'}–{high if high is not None else '…'}"
        raise IndicatorFileError(name, f"{raw[:20]} er utenfor {bounds}", line=line, column=column)
    return number


def parse(municipalities: bytes | str, columns: bytes | str) -> ParsedIndicators:
    """Parse and check the two files' contents (see ``read_indicators``)."""
    mb = municipalities if isinstance(municipalities, bytes) else municipalities.encode()
    cb = columns if isinstance(columns, bytes) else columns.encode()
    for fname, data in ((MUNICIPALITIES_FILE, mb), (COLUMNS_FILE, cb)):
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise IndicatorFileError(fname, "er ikke UTF-8", line=data[: e.start].count(b"\n") + 1) from None
    # the data dictionary
    dheader, drows = _rows(COLUMNS_FILE, cb.decode("utf-8-sig"))
    for needed in ("column", "source", "description"):
        if needed not in dheader:
            raise IndicatorFileError(COLUMNS_FILE, "kolonnen mangler i overskriften", line=1, column=needed)
    dictionary: list[dict[str, str]] = []
    described: dict[str, str] = {}
    for line, values in drows:
        entry = {k: values[dheader.index(k)].strip() for k in ("column", "source", "description")}
        if not entry["column"]:
            raise IndicatorFileError(COLUMNS_FILE, "kolonnenavn mangler", line=line, column="column")
        if not entry["source"]:
            raise IndicatorFileError(COLUMNS_FILE, "kilde mangler", line=line, column="source")
        if entry["column"] in described:
            raise IndicatorFileError(COLUMNS_FILE, "kolonnen er beskrevet to ganger", line=line, column="column")
        described[entry["column"]] = entry["source"]
        dictionary.append(entry)
    # the municipalities
    header, rows = _rows(MUNICIPALITIES_FILE, mb.decode("utf-8-sig"))
    for needed in REQUIRED:
        if needed not in header:
            raise IndicatorFileError(MUNICIPALITIES_FILE, "kolonnen mangler i overskriften", line=1, column=needed)
    for column in header:
        if column not in described:
            raise IndicatorFileError(
                MUNICIPALITIES_FILE, f"kolonnen er ikke beskrevet i {COLUMNS_FILE}", line=1, column=column
            )
        if column not in KNOWN and not column.startswith(EXTRA_PREFIX):
            raise IndicatorFileError(MUNICIPALITIES_FILE, "ukjent kolonne", line=1, column=column)
    out: list[IndicatorRow] = []
    seen: dict[str, int] = {}
    for line, values in rows:
        record: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for column, raw in zip(header, values, strict=True):
            kind, low, high = KNOWN.get(column, ("float", 0, None))
            value = _value(MUNICIPALITIES_FILE, line, column, raw, kind, low, high)
            if column in EXTRA_TEXT or column.startswith(EXTRA_PREFIX):
                extra[column] = value
            else:
                record[column] = value
        number = record.pop("municipality_number")
        if number in seen:
            raise IndicatorFileError(
                MUNICIPALITIES_FILE,
                f"kommune {number} står også på linje {seen[number]}",
                line=line,
                column="municipality_number",
            )
        seen[number] = line
        out.append(IndicatorRow(number, {f: record.get(f) for f in MODEL_FIELDS if f in record}, extra))
    if not out:
        raise IndicatorFileError(MUNICIPALITIES_FILE, "ingen kommuner i filen")
    digest = hashlib.sha256(mb)
    digest.update(cb)
    return ParsedIndicators(
        rows=out,
        columns=dictionary,
        synthetic=any(described[c] == SYNTHETIC for c in header),
        sha256=digest.hexdigest(),
    )


def read_indicators(directory: str | Path) -> ParsedIndicators:
    """The indicators of a settlement world folder (``municipalities.csv`` and its data dictionary)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise IndicatorFileError(str(folder), "er ikke en mappe")
    mb, _ = _read_text(folder / MUNICIPALITIES_FILE)
    cb, _ = _read_text(folder / COLUMNS_FILE)
    return parse(mb, cb)
