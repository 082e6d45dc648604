"""``nir import`` on hostile or broken input (issue 15 § 3.4; docs/interchange-format.md).

Whatever a file contains, the command never ends in a traceback: every bad line is reported
with its line number, field and rule, the other lines are stored (each line all or nothing),
and the summary says exactly what was stored. ``--atomic`` stores the whole file or nothing.
"""

from __future__ import annotations

import importlib
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from register_support import basic_facts, interchange_line, register_counts

from nir.register import models as m


def import_command():
    """The module of ``nir import`` (named after a keyword, so imported by name)."""
    return importlib.import_module("nir.actions.management.commands.import")


SUMMARY = re.compile(
    r"(?P<accepted>\d+) personer (?:lagret|ville blitt lagret), (?P<refused>\d+) linjer avvist, "
    r"(?P<warned>\d+) med advarsler\.\n"
    r"Personer: (?P<new>\d+) nye, (?P<updated>\d+) oppdatert, (?P<unchanged>\d+) uendret\. "
    r"Registreringer: (?P<created>\d+) opprettet, (?P<corrected>\d+) korrigert, (?P<annulled>\d+) annullert\."
)


def run_import(path, *args, **opts):
    """Run the import; return (stdout, stderr, CommandError or None). Any other exception — a
    traceback for the user — fails the test."""
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("import", str(path), *args, stdout=out, stderr=err, **opts)
    except CommandError as e:
        error = e
    return out.getvalue(), err.getvalue(), error


def summary(out: str) -> dict[str, int]:
    found = SUMMARY.search(out)
    assert found, f"no summary in {out!r}"
    return {k: int(v) for k, v in found.groupdict().items()}


def line_bytes(line) -> bytes:
    return (line if isinstance(line, bytes) else json.dumps(line, ensure_ascii=False).encode("utf-8")) + b"\n"


def write_bytes(path, lines, *, prefix: bytes = b"") -> str:
    path.write_bytes(prefix + b"".join(line_bytes(x) for x in lines))
    return str(path)


def rows_stored() -> int:
    """Every registration row except the Regelmotor's derived status."""
    return sum(v for k, v in register_counts().items() if k not in ("Person", "DerivedStatus"))


def refused(err: str, lineno: int, field: str, rule: str) -> bool:
    return any(ln.startswith(f"linje {lineno}: {field}: ") and ln.endswith(f"[{rule}]") for ln in err.splitlines())


# --- bad bytes, encodings, nesting ----------------------------------------------------------------


def _good_bad_good(new_duf, bad: bytes | dict) -> tuple[list, list[str]]:
    good1, good2 = new_duf(), new_duf()
    return [interchange_line(good1, basic_facts()), bad, interchange_line(good2, basic_facts())], [good1, good2]


def _deep(depth: int) -> bytes:
    return b'{"duf": "x", "facts": ' + b"[" * depth + b"]" * depth + b"}"


BAD_LINES = {
    # a Latin-1 «ø» in a name: not UTF-8
    "latin1_byte": (
        lambda duf: (
            json.dumps(interchange_line(duf, basic_facts(), last_name="SØRENSEN"))
            .replace("\\u00d8", "\u00d8")
            .encode("latin-1")
        ),
        "$",
        "encoding",
    ),
    "invalid_utf8_sequence": (
        lambda duf: b'{"duf": "' + duf.encode() + b'", "first_name": "\xed\xa0\x80"}',
        "$",
        "encoding",
    ),
    # JSON's \ud800 is a lone surrogate: text that cannot be stored
    "lone_surrogate": (
        lambda duf: json.dumps(interchange_line(duf, basic_facts(), first_name="A\ud800")).encode(),
        "first_name",
        "encoding",
    ),
    "raw_nul_byte": (lambda duf: b'{"duf": "' + duf.encode() + b'",\x00 "facts": {}}', "$", "encoding"),
    "invalid_json": (lambda duf: b'{"duf": "' + duf.encode() + b'", "facts": {', "$", "json"),
    # json.loads raises RecursionError at a few thousand levels
    "recursion": (lambda duf: _deep(100_000), "$", "nesting"),
    # far deeper than the format ever nests, though Python would parse it
    "nesting_in_field": (
        lambda duf: json.dumps(
            interchange_line(
                duf, basic_facts(permits=[{"basis": [[[[[[[[[["utl_28"]]]]]]]]]], "decision_date": "2025-10-01"}])
            )
        ).encode(),
        "facts.permits[0].basis[0][0][0][0]",
        "nesting",
    ),  # where it passes MAX_DEPTH
    # Python refuses integers of more than 4,300 digits with ValueError, not JSONDecodeError
    "huge_integer": (
        lambda duf: b'{"duf": "' + duf.encode() + b'", "facts": {"extension_months": ' + b"9" * 5000 + b"}}",
        "$",
        "json",
    ),
    # a time with an offset that does not exist in UTC (Python: OverflowError when converted)
    "registered_at_overflow": (
        lambda duf: json.dumps(
            interchange_line(duf, basic_facts(), registered_at="0001-01-01T00:00:00+14:00")
        ).encode(),
        "registered_at",
        "type",
    ),
    "item_registered_at_overflow": (
        lambda duf: json.dumps(
            interchange_line(
                duf,
                basic_facts(
                    absences=[
                        {
                            "scheme": "intro",
                            "kind": "absence",
                            "from": "2026-03-02",
                            "to": "2026-03-06",
                            "registered_at": "0001-01-01T00:00:00+14:00",
                        }
                    ]
                ),
            )
        ).encode(),
        "facts.absences[0].registered_at",
        "type",
    ),
    "not_an_object": (lambda duf: b"[1, 2, 3]", "$", "type"),
    "nul_in_name": (
        lambda duf: json.dumps(interchange_line(duf, basic_facts(), first_name="Ola\u0000")).encode(),
        "first_name",
        "nul_character",
    ),
    "nul_in_address": (
        lambda duf: json.dumps(
            interchange_line(
                duf,
                basic_facts(residences=[{"municipality": "5001", "address": "Storgata 1\u0000", "from": "2026-01-01"}]),
            )
        ).encode(),
        "facts.residences[0].address",
        "nul_character",
    ),
    "escape_in_organisation": (
        lambda duf: json.dumps(
            interchange_line(
                duf,
                basic_facts(
                    competence_mappings=[
                        {"date": "2026-01-20", "kind": "simplified", "organisation": "k-\u001b[2J5001"}
                    ]
                ),
            )
        ).encode(),
        "facts.competence_mappings[0].organisation",
        "control_character",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(BAD_LINES))
def test_bad_line_is_refused_with_line_and_field_and_the_others_are_stored(kind, tmp_path, new_duf):
    make, field, rule = BAD_LINES[kind]
    bad_duf = new_duf()
    lines, good = _good_bad_good(new_duf, make(bad_duf))
    before = rows_stored()
    out, err, error = run_import(write_bytes(tmp_path / "f.jsonl", lines))

    assert isinstance(error, CommandError) and error.returncode == 1, (out, err)
    assert refused(err, 2, field, rule), err
    assert "\x00" not in err and "\x1b" not in err  # the terminal gets no raw control characters
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(good)
    s = summary(out)
    assert (s["accepted"], s["refused"], s["new"], s["updated"]) == (2, 1, 2, 0)
    assert s["created"] == rows_stored() - before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "encoding, bom",
    [
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-32-be", b"\x00\x00\xfe\xff"),
    ],
    ids=["utf16le_bom", "utf16be_bom", "utf16le", "utf16be", "utf32le_bom", "utf32be_bom"],
)
def test_a_utf16_or_utf32_file_is_refused_whole_saying_it_must_be_utf8(encoding, bom, tmp_path, new_duf):
    text = "".join(json.dumps(interchange_line(new_duf(), basic_facts()), ensure_ascii=False) + "\n" for _ in range(3))
    path = tmp_path / "windows.jsonl"
    path.write_bytes(bom + text.encode(encoding))
    out, err, error = run_import(path)
    assert isinstance(error, CommandError) and error.returncode == 1, (out, err)
    assert "UTF-8" in err and encoding[:6].upper() in err.upper() and "[file_encoding]" in err, err
    assert "iconv" in err and "Filen er avvist i sin helhet" in out
    assert m.Person.objects.count() == 0
    assert summary(out)["accepted"] == 0


@pytest.mark.django_db
def test_a_utf8_byte_order_mark_is_accepted(tmp_path, new_duf):
    duf = new_duf()
    _out, err, error = run_import(
        write_bytes(tmp_path / "bom.jsonl", [interchange_line(duf, basic_facts())], prefix=b"\xef\xbb\xbf")
    )
    assert error is None, err
    assert m.Person.objects.filter(duf=duf).exists()


@pytest.mark.django_db
def test_crlf_line_endings_are_accepted(tmp_path, new_duf):
    duf1, duf2 = new_duf(), new_duf()
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b"".join(line_bytes(interchange_line(d, basic_facts()))[:-1] + b"\r\n" for d in (duf1, duf2)))
    _out, err, error = run_import(path)
    assert error is None, err
    assert m.Person.objects.count() == 2


@pytest.mark.django_db
def test_a_line_longer_than_the_limit_is_refused_without_reading_it_whole(tmp_path, new_duf, monkeypatch):
    monkeypatch.setattr("nir.register.interchange_file.MAX_LINE_BYTES", 4096)
    long = json.dumps(interchange_line(new_duf(), basic_facts(), first_name="A" * 10_000)).encode()
    lines, good = _good_bad_good(new_duf, long)
    out, err, error = run_import(write_bytes(tmp_path / "long.jsonl", lines))
    assert error is not None and refused(err, 2, "$", "line_too_long"), err
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(good)
    assert summary(out)["refused"] == 1


@pytest.mark.django_db
def test_standard_input_is_read_as_bytes(monkeypatch, new_duf):
    duf = new_duf()
    data = b"\xc3( oops\n" + line_bytes(interchange_line(duf, basic_facts()))
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    _out, err, error = run_import("-")
    assert error is not None and refused(err, 1, "$", "encoding"), err
    assert m.Person.objects.filter(duf=duf).exists()


# --- PostgreSQL: NUL reached the database as DataError ----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_nul_in_text_is_refused_on_postgresql_not_a_data_error(tmp_path, new_duf):
    assert connection.vendor == "postgresql"
    lines, good = _good_bad_good(
        new_duf,
        json.dumps(
            interchange_line(
                new_duf(),
                basic_facts(residences=[{"municipality": "5001", "address": "Storgata\u00001", "from": "2026-01-01"}]),
            )
        ).encode(),
    )
    before = rows_stored()
    out, err, error = run_import(write_bytes(tmp_path / "nul.jsonl", lines), "--batch", "1")
    assert isinstance(error, CommandError) and error.returncode == 1
    assert refused(err, 2, "facts.residences[0].address", "nul_character"), err
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(good)
    assert summary(out)["created"] == rows_stored() - before


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_value_the_database_refuses_is_a_refused_line_not_a_traceback(tmp_path, new_duf, monkeypatch):
    """The last line of defence: should validation ever let through what PostgreSQL refuses
    (here: NUL, with the validation rule switched off), the line is refused, not the import."""
    from nir.register import validation

    monkeypatch.setattr(validation, "text_problems", lambda *a, **k: [])
    lines, good = _good_bad_good(
        new_duf,
        json.dumps(
            interchange_line(
                new_duf(),
                basic_facts(residences=[{"municipality": "5001", "address": "Storgata\u00001", "from": "2026-01-01"}]),
            )
        ).encode(),
    )
    before = rows_stored()
    out, err, error = run_import(write_bytes(tmp_path / "nul.jsonl", lines))
    assert isinstance(error, CommandError) and error.returncode == 1
    assert refused(err, 2, "$", "database_refused"), err
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(good)
    assert summary(out)["created"] == rows_stored() - before


# --- the summary is exact ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_summary_counts_exactly_what_was_stored_including_update(tmp_path, new_duf):
    old, same, new = new_duf(), new_duf(), new_duf()
    assert (
        run_import(
            write_bytes(
                tmp_path / "1.jsonl",
                [
                    interchange_line(old, basic_facts(), registered_at="2026-02-01T10:00:00+01:00"),
                    interchange_line(same, basic_facts(), registered_at="2026-02-01T10:00:00+01:00"),
                ],
            )
        )[2]
        is None
    )
    persons, rows = m.Person.objects.count(), rows_stored()
    superseded = sum(
        mdl.objects.exclude(superseded_at=None).count() for mdl in m.REGISTRATION_MODELS if mdl is not m.DerivedStatus
    )
    changed = basic_facts(final_goal="work_vgo_2026", absences=[])  # goal changed, absence gone
    out, _err, error = run_import(
        write_bytes(
            tmp_path / "2.jsonl",
            [
                interchange_line(old, changed, last_name="Nyttnavn", registered_at="2026-03-01T10:00:00+01:00"),
                b'{"duf": oops}',
                interchange_line(same, basic_facts(), registered_at="2026-03-01T10:00:00+01:00"),
                interchange_line(new, basic_facts(), registered_at="2026-03-01T10:00:00+01:00"),
            ],
        ),
        "--update",
    )
    assert error is not None and error.returncode == 1
    s = summary(out)
    assert (s["accepted"], s["refused"], s["new"], s["updated"], s["unchanged"]) == (3, 1, 1, 1, 1)
    assert m.Person.objects.count() - persons == s["new"]
    # every row written is counted once: new facts + the corrected details + the annulments (tombstones)
    assert rows_stored() - rows == s["created"] + s["corrected"] + s["annulled"]
    # the details corrected; the old final goal and the absence annulled (the new goal is created)
    assert (s["corrected"], s["annulled"]) == (1, 2)
    now_superseded = sum(
        mdl.objects.exclude(superseded_at=None).count() for mdl in m.REGISTRATION_MODELS if mdl is not m.DerivedStatus
    )
    assert now_superseded - superseded == 3


@pytest.mark.django_db
def test_an_unexpected_failure_stops_and_says_exactly_what_was_stored(tmp_path, new_duf, monkeypatch):
    """A failure that is not the line's fault (a bug, a lost connection) stops the import: the
    committed batches stay, the open batch is rolled back, and the summary says which is which."""
    importing = import_command()
    dufs = [new_duf() for _ in range(5)]
    real = importing.store_line

    def store(parsed, actor, *, update):
        if parsed.duf == dufs[3]:
            raise RuntimeError("tilkoblingen brøt")
        return real(parsed, actor, update=update)

    monkeypatch.setattr(importing, "store_line", store)
    out, err, error = run_import(
        write_bytes(tmp_path / "f.jsonl", [interchange_line(d, basic_facts()) for d in dufs]), "--batch", "2"
    )
    assert isinstance(error, CommandError) and error.returncode == 2, (out, err)
    assert "linje 4:" in err and "tilkoblingen brøt" in err and "RuntimeError" in err, err
    assert "linje 3–4" in err  # the open batch, rolled back
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(dufs[:2])
    s = summary(out)
    assert (s["accepted"], s["new"]) == (2, 2)
    assert "Importen stoppet etter linje 4" in out


# --- --atomic ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("batch", ["1", "500"])
def test_atomic_stores_nothing_when_any_line_is_refused(tmp_path, new_duf, batch):
    lines, _good = _good_bad_good(new_duf, b'{"duf": ')
    before = register_counts()
    out, err, error = run_import(write_bytes(tmp_path / "a.jsonl", lines), "--atomic", "--batch", batch)
    assert isinstance(error, CommandError) and error.returncode == 1
    assert refused(err, 2, "$", "json"), err
    assert register_counts() == before
    s = summary(out)
    assert (s["accepted"], s["refused"], s["new"], s["created"]) == (0, 1, 0, 0)
    assert "--atomic: ingenting er lagret" in out and "2 godkjente linjer" in out


@pytest.mark.django_db
def test_atomic_stores_the_whole_file_when_every_line_is_good(tmp_path, new_duf):
    dufs = [new_duf() for _ in range(3)]
    out, err, error = run_import(
        write_bytes(tmp_path / "a.jsonl", [interchange_line(d, basic_facts()) for d in dufs]),
        "--atomic",
        "--batch",
        "1",
    )
    assert error is None, err
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(dufs)
    assert summary(out)["new"] == 3


@pytest.mark.django_db
def test_atomic_unexpected_failure_stores_nothing(tmp_path, new_duf, monkeypatch):
    importing = import_command()
    dufs = [new_duf() for _ in range(3)]
    real = importing.store_line

    def store(parsed, actor, *, update):
        if parsed.duf == dufs[2]:
            raise RuntimeError("boom")
        return real(parsed, actor, update=update)

    monkeypatch.setattr(importing, "store_line", store)
    out, _err, error = run_import(
        write_bytes(tmp_path / "a.jsonl", [interchange_line(d, basic_facts()) for d in dufs]),
        "--atomic",
        "--batch",
        "1",
    )
    assert isinstance(error, CommandError) and error.returncode == 2
    assert m.Person.objects.count() == 0
    assert summary(out)["accepted"] == 0


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_or_written_is_a_command_error(tmp_path, new_duf):
    good = write_bytes(tmp_path / "g.jsonl", [interchange_line(new_duf(), basic_facts())])
    for args in (
        [str(tmp_path / "finnes-ikke.jsonl")],
        [str(tmp_path)],
        [good, "--errors", str(tmp_path / "mangler" / "feil.jsonl")],
    ):
        _out, _err, error = run_import(*args)
        assert isinstance(error, CommandError) and ("kan ikke lese" in str(error) or "kan ikke skrive" in str(error))
    assert m.Person.objects.count() == 0


@pytest.mark.django_db
def test_ctrl_c_stops_with_the_summary_of_what_was_committed(tmp_path, new_duf, monkeypatch):
    importing = import_command()
    dufs = [new_duf() for _ in range(4)]
    real = importing.store_line

    def store(parsed, actor, *, update):
        if parsed.duf == dufs[2]:
            raise KeyboardInterrupt
        return real(parsed, actor, update=update)

    monkeypatch.setattr(importing, "store_line", store)
    out, err, error = run_import(
        write_bytes(tmp_path / "f.jsonl", [interchange_line(d, basic_facts()) for d in dufs]), "--batch", "2"
    )
    assert isinstance(error, CommandError) and error.returncode == 130
    assert "avbrutt" in err and "linje 3 er rullet tilbake" in err, err
    assert set(m.Person.objects.values_list("duf", flat=True)) == set(dufs[:2])
    assert summary(out)["new"] == 2
