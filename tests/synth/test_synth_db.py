"""nir synth against the database and through the register's own validation and import.

Runs on SQLite (executemany) and, in the PostgreSQL pass of nir.testing.suite,
on PostgreSQL (COPY) — inside the test's transaction, so with one connection.
"""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from synth_support import NOW, NOW_ISO, current, generate, jsonl_lines, lines_in_memory, typed_rows

from nir.access.models import ApiClient
from nir.register import models as m
from nir.register.history import versions
from nir.register.interchange import parse_datetime, parse_line
from nir.register.services import validate_parsed
from nir.register.validation import validate_fact
from nir.synth import world as w

pytestmark = pytest.mark.django_db

MODELS = {mdl.__name__: mdl for mdl in m.REGISTRATION_MODELS}


def _synth(**kwargs):
    out = io.StringIO()
    call_command("synth", now=NOW_ISO, in_process=True, stdout=out, **kwargs)
    return out.getvalue()


def test_synth_writes_every_generated_row_with_its_bookkeeping():
    _synth(persons=300, seed=3, quiet=True)
    batches = generate(300, seed=3)
    expected = {name: sum(b.frames[name].height for b in batches if name in b.frames) for name in ("Person", *MODELS)}
    assert m.Person.objects.count() == expected["Person"] == 300
    for name, model in MODELS.items():
        assert model.objects.count() == expected[name], name
        cur = sum(current(b.frames[name]).height for b in batches if name in b.frames)
        assert model.objects.current().count() == cur, name

    # Corrections point at the row they replace, whose registration time they close.
    corrected = m.Decision.objects.filter(operation=m.Operation.CORRECT).select_related("supersedes")
    assert corrected.exists()
    for row in corrected:
        assert row.supersedes.superseded_at == row.recorded_at
        assert row.change_reason
        assert [v.pk for v in versions(row)] == [row.supersedes_id, row.pk]
    annulled = m.Measure.objects.filter(operation=m.Operation.ANNUL).select_related("supersedes")
    for row in annulled:
        assert row.supersedes.fact_values() == row.fact_values()

    # Who registered: the synthetic case system of a municipality, or the Regelmotor.
    assert ApiClient.objects.filter(client_id__startswith="synth-").count() == len(w.municipalities().number)
    regs = m.Decision.objects.select_related("registered_by_client__organisation")[:200]
    for row in regs:
        assert row.registered_by_kind == m.ActorKind.CLIENT
        assert row.source_system == row.registered_by_client.source_system
        assert row.registered_by_client.organisation.code.startswith("k-")
    for row in m.Termination.objects.filter(registered_by_kind=m.ActorKind.SYSTEM):
        assert row.registered_by_system == "Regelmotor" == row.source_system
        assert row.registered_by_client_id is None and row.termination_reason == "loss_due_to_work"

    # Persons become known with their first registration, and details are registered then.
    person = m.Person.objects.order_by("id").first()
    first = min(
        model.objects.filter(person=person).order_by("recorded_at").first().recorded_at
        for model in MODELS.values()
        if model.objects.filter(person=person).exists()
    )
    assert person.recorded_at == first
    assert m.PersonDetails.objects.filter(person=person).order_by("id").first().recorded_at == first


def test_a_second_run_appends_after_the_existing_rows():
    _synth(persons=120, seed=4, quiet=True)
    first_max = m.Decision.objects.order_by("-id").first().pk
    _synth(persons=120, seed=5, quiet=True)
    assert m.Person.objects.count() == 240
    assert m.Decision.objects.filter(pk__gt=first_max).count() == sum(
        b.frames["Decision"].height for b in generate(120, seed=5)
    )


def test_summary_names_rows_per_table_and_speed():
    text = _synth(persons=50, seed=6)
    assert "personer (anker)" in text and "vedtak" in text and "personer/s" in text


def test_every_version_of_every_row_passes_field_validation():
    """What the write path would accept: codes valid on the fact date, periods, municipalities."""
    batches = generate(300, seed=8)
    problems, warnings = [], []
    for b in batches:
        part = current(b.frames["Decision"]).filter(pl.col("decision_type") == "participation")
        start = dict(part.group_by("person_id").agg(pl.col("start_date").min()).iter_rows())
        for name, model in MODELS.items():
            frame = b.frames.get(name)
            if frame is None:
                continue
            days = frame["recorded_at"].dt.convert_time_zone("Europe/Oslo").dt.date().to_list()
            persons = frame["person_id"].to_list()
            for values, day, person in zip(typed_rows(frame, model.FACT_FIELDS), days, persons):
                p, wrn = validate_fact(
                    model,
                    values,
                    path=name,
                    registered_on=day,
                    programme_start=start.get(person) if model is m.FinalGoal else None,
                )
                problems += [(name, values, x) for x in p]
                warnings += wrn
    assert problems == []
    assert {x.rule for x in warnings} <= {"final_goal_outside_window"}


def test_interchange_lines_pass_the_import_validation():
    lines = jsonl_lines(300, seed=9)
    assert len(lines) == 300
    warned = 0
    for line in lines:
        parsed = parse_line(json.loads(json.dumps(line)))
        problems, warnings = validate_parsed(parsed, at=parse_datetime(line["registered_at"]))
        assert problems == [], (line["duf"], problems)
        assert {x.rule for x in warnings} <= {"final_goal_outside_window"}
        warned += bool(warnings)
    assert warned < 0.05 * len(lines)


def test_nir_import_accepts_every_line_of_synth_output(tmp_path):
    path = tmp_path / "synth.jsonl"
    _synth(persons=150, seed=10, out=str(path), quiet=True)
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 150
    assert all(parse_datetime(x["registered_at"]) <= NOW for x in lines)
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), source="synth", stdout=out, stderr=err)  # CommandError if any line is refused
    assert "150 personer lagret, 0 linjer avvist" in out.getvalue()
    assert m.Person.objects.count() == 150
    decisions = sum(len(x["facts"].get("decisions", [])) for x in lines)
    assert m.Decision.objects.current().count() == decisions
    # Each fact keeps its own registration time.
    assert m.Decision.objects.filter(recorded_at__lt=timezone.now() - timezone.timedelta(days=30)).exists()


def test_numbering_date_matches_the_reference_data():
    from nir.reference.loaders import NUMBERING_2024

    assert w.MUNICIPALITY_NUMBERING_FROM == NUMBERING_2024


def test_loading_the_same_population_twice_is_refused_cleanly():
    from django.core.management.base import CommandError

    _synth(persons=40, seed=12, quiet=True)
    with pytest.raises(CommandError, match="finnes allerede"):
        _synth(persons=40, seed=12, quiet=True)
    assert m.Person.objects.count() == 40


def test_every_person_has_a_first_name_and_a_surname():
    """Issue 16: the demo (2,000 persons, seed 1) was reported with 53 persons without a surname. Every
    version of every person's details — generated, in the interchange lines and loaded — has both names."""
    for seed in (1, 2):
        frames = pl.concat([b.frames["PersonDetails"] for b in generate(2000, seed=seed)])
        for col in ("first_name", "last_name"):
            assert frames.filter(pl.col(col).str.strip_chars() == "").height == 0, (seed, col)
        lines = lines_in_memory(2000, seed=seed)
        assert len(lines) == 2000
        assert all(line["first_name"].strip() and line["last_name"].strip() for line in lines), seed
    _synth(persons=2000, seed=1, quiet=True)
    assert m.PersonDetails.objects.current().count() == 2000
    blank = m.PersonDetails.objects.filter(Q(last_name__regex=r"^\s*$") | Q(first_name__regex=r"^\s*$"))
    assert not blank.exists(), list(blank.values_list("person__duf", "first_name", "last_name")[:5])
