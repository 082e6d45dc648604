"""nir synth --out: deterministic files, whatever the chunk size (no database needed)."""

from __future__ import annotations

import io
import json

from django.core.management import call_command
from synth_support import NOW_ISO

from nir.register.interchange import parse_line
from nir.synth.generator import BLOCK


def _file(tmp_path, name, **kwargs) -> bytes:
    path = tmp_path / name
    call_command("synth", now=NOW_ISO, out=str(path), quiet=True, stdout=io.StringIO(), **kwargs)
    return path.read_bytes()


def test_same_seed_same_file_whatever_the_chunk_size(tmp_path):
    persons = BLOCK + 200
    a = _file(tmp_path, "a.jsonl", persons=persons, seed=7)
    b = _file(tmp_path, "b.jsonl", persons=persons, seed=7, chunk_size=1)
    c = _file(tmp_path, "c.jsonl", persons=persons, seed=8)
    assert a == b
    assert a != c
    lines = a.decode("utf-8").splitlines()
    assert len(lines) == persons
    for raw in lines[:500]:
        assert parse_line(json.loads(raw)).problems == []


def test_out_dash_writes_to_standard_output():
    out = io.StringIO()
    call_command("synth", persons=5, seed=1, now=NOW_ISO, out="-", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 5 and all(json.loads(x)["duf"] for x in lines)


def test_interchange_lines_in_memory_equal_the_file(tmp_path):
    from synth_support import lines_in_memory

    written = [json.loads(x) for x in _file(tmp_path, "d.jsonl", persons=300, seed=9).decode().splitlines()]
    assert lines_in_memory(300, seed=9) == written
