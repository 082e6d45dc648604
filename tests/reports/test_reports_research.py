"""The pseudonymised research extract (docs/research-extract.md): ``nir.reports.research`` and
``nir export research`` — one Parquet file per table, no identifying strings, stable keyed
pseudonyms, coarsened dates, protected persons without places, known_at, the policy table."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import os
import re
import stat
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import at
from nir import identity
from nir.register import models as m
from nir.register import services
from nir.reports import research

pytestmark = pytest.mark.django_db

KEY = bytes(range(32))
OTHER_KEY = bytes(range(100, 132))
T = at(2026, 8, 1)  # after the world was registered, before the late registrations below


def _synthetic_id(birth: dt.date) -> str:
    lo, hi = identity.individual_range(birth.year)
    for individual in range(lo + 7, hi + 1):
        number = identity.make_synthetic_national_id(birth, individual)
        if number:
            return number
    raise AssertionError(birth)


def _details(first, last, birth, protected=False) -> dict:
    return {
        "national_id": _synthetic_id(birth),
        "first_name": first,
        "last_name": last,
        "birth_date": birth,
        "sex": "female",
        "education": "below_upper_secondary",
        "protected_identity": protected,
    }


@pytest.fixture
def rworld(world, register):
    """The reports world plus: addresses, a protected person in Oslo, a person who becomes protected
    after T, a person registered at a month boundary, and registrations made after T."""
    r, p = register, dict(world)
    r.add(
        p["anne"],
        m.Residence,
        {"municipality": "5001", "address": "Storgata 17", "postal_code": "7011", "valid_from": dt.date(2025, 11, 1)},
    )
    # Kari: protected identity (skjermet), in Oslo, Grünerløkka.
    kari = services.create_person(
        identity.make_duf("2026900001"),
        _details("Kari", "Skjultesen", dt.date(1988, 7, 23), protected=True),
        r.actor,
        at=at(2026, 2, 2),
    ).row
    r.add(kari, m.ResidencePermit, {"basis": "utl_28", "decision_date": dt.date(2025, 10, 1)}, at(2026, 2, 2))
    r.add(
        kari,
        m.Residence,
        {
            "municipality": "0301",
            "district": "030102",
            "address": "Hemmeligveien 3B",
            "postal_code": "0552",
            "valid_from": dt.date(2025, 11, 1),
        },
        at(2026, 2, 2),
    )
    r.add(
        kari,
        m.Settlement,
        {"municipality": "0301", "district": "030102", "settlement_date": dt.date(2025, 11, 1), "by_agreement": True},
        at(2026, 2, 2),
    )
    r.add(
        kari,
        m.FollowUp,
        {"municipality": "0301", "district": "030102", "valid_from": dt.date(2025, 11, 1)},
        at(2026, 2, 2),
    )
    r.add(
        kari,
        m.CompetenceMapping,
        {"mapping_date": dt.date(2025, 12, 1), "kind": "after_settlement", "organisation": "Oslo kommune"},
        at(2026, 2, 2),
    )
    r.participation(kari, dt.date(2026, 2, 2), goal="work_no_vgo_2026", when=at(2026, 2, 2))
    p["kari"] = kari
    # Eva (Oslo, Gamle Oslo) becomes protected after T: hidden in every extract made from now on.
    eva_details = m.PersonDetails.objects.current().get(person=p["eva"])
    services.correct(eva_details, {"protected_identity": True}, "Skjerming registrert", r.actor, at=at(2026, 10, 1))
    # Tom: registered 31.01.2026 23:30 UTC = 01.02.2026 00:30 in Norway.
    p["tom"] = services.create_person(
        identity.make_duf("2026900002"),
        _details("Tom", "Grensesen", dt.date(1979, 12, 31)),
        r.actor,
        at=dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC),
    ).row
    # After T: an absence for Anne, a new person.
    r.add(
        p["anne"],
        m.Absence,
        {"scheme": "intro", "kind": "absence", "from_date": dt.date(2026, 8, 17), "to_date": dt.date(2026, 8, 19)},
        at(2026, 9, 1),
    )
    p["late"] = services.create_person(
        identity.make_duf("2026900003"),
        _details("Sen", "Etternølersen", dt.date(1995, 3, 3)),
        r.actor,
        at=at(2026, 9, 2),
    ).row
    return p


def extract(tmp_path: Path, name: str = "x", key: bytes = KEY, **kw) -> Path:
    out = tmp_path / name
    research.write_research_extract(out, key=key, **kw)
    return out


def frame(out: Path, model) -> pl.DataFrame:
    return pl.read_parquet(out / research.table_spec(model).file)


def ps(person, key: bytes = KEY) -> str:
    return research.pseudonym(key, person.duf)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)


def output_strings(out: Path) -> tuple[set[str], str]:
    """Every string value in every Parquet file (and its schema metadata), and all text files joined."""
    values: set[str] = set()
    texts = []
    for path in sorted(out.iterdir()):
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            for col in table.columns:
                values.update(_strings(col.to_pylist()))
            texts.append(str(table.schema) + str(table.schema.metadata))
        else:
            texts.append(path.read_text(encoding="utf-8"))
    return values, "\n".join(texts)


def identifying_strings() -> set[str]:
    """DUF numbers, identity numbers, names, addresses, postal codes and free text of the whole register."""
    found = set(m.Person.objects.values_list("duf", flat=True))
    for row in m.PersonDetails.objects.values("national_id", "first_name", "last_name"):
        found.update(row.values())
    for row in m.Residence.objects.values("address", "postal_code"):
        found.update(row.values())
    for model in m.ALL_REGISTRATION_MODELS:
        found.update(model.objects.values_list("change_reason", flat=True))
    return {s for s in found if s}


# --- files, manifest, dictionary ----------------------------------------------------------


def test_every_model_has_a_file_and_the_manifest_describes_them(rworld, tmp_path):
    out = extract(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    models = research.extract_models()
    assert m.Person in models and m.DerivedStatus in models and set(m.ALL_REGISTRATION_MODELS) <= set(models)
    for model in models:
        spec = research.table_spec(model)
        path = out / spec.file
        assert path.exists(), spec.file
        table = pq.read_table(path)
        assert table.schema.remove_metadata() == spec.schema
        assert manifest["files"][spec.file]["rows"] == table.num_rows
        assert manifest["files"][spec.file]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert table.num_rows == 0 or pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
        assert table.column_names[0] == "pseudonym"
    assert (out / "persons.parquet").exists()
    assert manifest["known_at"] is None and manifest["pseudonym"]["scheme"] == research.PSEUDONYM_SCHEME
    assert manifest["pseudonym"]["key_id"] == research.key_id(KEY)
    assert dt.datetime.fromisoformat(manifest["created_at"]) <= timezone.now()
    for name in ("data-dictionary.md", "data-dictionary.json"):
        assert manifest["files"][name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    # Every row known now is in the extract.
    assert manifest["files"]["persons.parquet"]["rows"] == m.Person.objects.count()
    for model in m.ALL_REGISTRATION_MODELS:
        assert frame(out, model).height == model.objects.current().count(), model.__name__
    assert frame(out, m.DerivedStatus).height > 0  # the Regelmotor's rows of the world

    dictionary = json.loads((out / "data-dictionary.json").read_text())
    by_file = {t["file"]: t for t in dictionary["tables"]}
    assert set(by_file) == {research.table_spec(mdl).file for mdl in models}
    decision = by_file["decision.parquet"]
    cols = {c["name"]: c for c in decision["columns"]}
    assert cols["decision_type"]["code_list"] == "decision_type"
    assert cols["decision_month"]["type"] == "date32[day]" and "month" in cols["decision_month"]["coarsening"]
    assert cols["follow_up_county"]["source"] == "Decision.follow_up_municipality"
    omitted = {o["source"] for o in by_file["person_details.parquet"]["omitted"]}
    assert {"PersonDetails.national_id", "PersonDetails.first_name", "PersonDetails.last_name"} <= omitted
    md = (out / "data-dictionary.md").read_text()
    assert "## `decision.parquet`" in md and "| `decision_month` | date32[day] |" in md


def test_no_identifying_string_and_no_key_in_any_output(rworld, tmp_path):
    out = extract(tmp_path, known_at=None)
    secrets_ = identifying_strings()
    assert {rworld["anne"].duf, "Anne", "Aas", "Storgata 17", "7011", "Hemmeligveien 3B", "Feil sluttmål"} <= secrets_
    values, text = output_strings(out)
    assert not (secrets_ & values)
    for s in secrets_:
        # A short secret (a postal code) may occur inside a hex digest of the manifest by chance
        # (~1 % of runs): it must not stand as a token of its own; longer ones not at all.
        if len(s) >= 6:
            assert s not in text, s
        else:
            assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])", text), s
        if len(s) >= 6:  # long strings not even inside another value
            assert not any(s in v for v in values), s
    for path in out.iterdir():
        data = path.read_bytes()
        assert KEY not in data and KEY.hex().encode() not in data
    # Nor any identifier of a row, a user or a client.
    for model in research.extract_models():
        names = set(frame(out, model).columns)
        assert not names & {
            "id",
            "person_id",
            "duf",
            "national_id",
            "first_name",
            "last_name",
            "address",
            "postal_code",
            "change_reason",
            "supersedes_id",
            "superseded_at",
            "registered_by_user_id",
            "registered_by_client_id",
        }


# --- pseudonyms -----------------------------------------------------------------------------


def test_pseudonyms_are_stable_across_runs_and_differ_with_another_key(rworld, tmp_path):
    a, b = extract(tmp_path, "a"), extract(tmp_path, "b")
    c = extract(tmp_path, "c", key=OTHER_KEY)
    pa_, pb, pc = (set(frame(o, m.Person)["pseudonym"]) for o in (a, b, c))
    assert pa_ == pb and not (pa_ & pc)
    assert pa_ == {research.pseudonym(KEY, duf) for duf in m.Person.objects.values_list("duf", flat=True)}
    # Same key, same register: byte-identical files.
    ma, mb = (json.loads((o / "manifest.json").read_text())["files"] for o in (a, b))
    assert ma == mb
    # The scheme as documented: first 16 hex digits of HMAC-SHA256(key, DUF).
    duf = rworld["anne"].duf
    assert ps(rworld["anne"]) == hmac.new(KEY, duf.encode(), hashlib.sha256).hexdigest()[:16]


def test_fast_pseudonyms_equal_the_reference_hmac():
    dufs = [identity.make_duf(f"2026{i:06d}") for i in range(1, 300)]
    for key in (KEY, b"x" * 16, bytes(range(64)), bytes(range(200))):  # short, one block, longer than a block
        assert research.pseudonyms(key, dufs).to_pylist() == [research.pseudonym(key, d) for d in dufs]
    assert research.pseudonyms(KEY, []).to_pylist() == []


def test_the_same_person_has_the_same_pseudonym_in_every_file(rworld, tmp_path):
    out = extract(tmp_path)
    persons = set(frame(out, m.Person)["pseudonym"])
    anne = ps(rworld["anne"])
    for model in research.extract_models():
        f = frame(out, model)
        assert set(f["pseudonym"]) <= persons, model.__name__
        if model is m.Person:
            assert f.filter(pl.col("pseudonym") == anne).height == 1
        else:
            expected = model.objects.current().filter(person=rworld["anne"]).count()
            assert f.filter(pl.col("pseudonym") == anne).height == expected, model.__name__
    assert frame(out, m.Decision).filter(pl.col("pseudonym") == anne).height >= 1
    assert frame(out, m.Residence).filter(pl.col("pseudonym") == anne)["municipality"].to_list() == ["5001"]


# --- coarsening -----------------------------------------------------------------------------


def test_dates_are_coarsened(rworld, tmp_path):
    out = extract(tmp_path)
    for model in research.extract_models():
        table = pq.read_table(out / research.table_spec(model).file)
        for name, col in zip(table.column_names, table.columns):
            assert not pa.types.is_timestamp(col.type), (model.__name__, name)
            if pa.types.is_date(col.type):
                assert name.endswith("_month"), name
                assert all(d.day == 1 for d in col.to_pylist() if d is not None), (model.__name__, name)
    details = frame(out, m.PersonDetails)
    assert "birth_date" not in details.columns and details["birth_year"].dtype == pl.Int16
    assert set(details["birth_year"]) == {1990, 1988, 1979, 1995}
    eva = frame(out, m.Decision).filter(pl.col("pseudonym") == ps(rworld["eva"]))
    assert eva["decision_month"].to_list() == [dt.date(2026, 1, 1)]  # decided 05.01.2026
    assert eva["recorded_month"].to_list() == [dt.date(2026, 1, 1)]  # registered 10.01.2026
    # Registration times are months in Norwegian time: 31.01.2026 23:30 UTC is February in Norway.
    tom = ps(rworld["tom"])
    assert frame(out, m.Person).filter(pl.col("pseudonym") == tom)["recorded_month"].to_list() == [dt.date(2026, 2, 1)]
    assert frame(out, m.PersonDetails).filter(pl.col("pseudonym") == tom)["birth_year"].to_list() == [1979]
    # Numbers and codes are kept.
    david = frame(out, m.Termination).filter(pl.col("pseudonym") == ps(rworld["david"]))
    assert david.select(
        "termination_type", "termination_reason", "hours_work_per_week", "termination_month"
    ).rows() == [("completed", "work", 37.5, dt.date(2026, 6, 1))]
    derived = frame(out, m.DerivedStatus)
    assert derived.schema["errors"] == pl.List(pl.String)
    assert derived.schema["intro_absence_workdays"] == pl.Int32
    assert set(derived["intro_category"]) >= {"right_and_duty"}
    who = frame(out, m.DerivedStatus).select("registered_by_kind", "registered_by_system").unique().rows()
    assert who == [("system", "Regelmotor")]


def test_protected_persons_have_no_place_below_county(rworld, tmp_path):
    out = extract(tmp_path)
    for person in ("kari", "eva"):  # eva: protected after T, so also in an extract at T
        for o in (out, extract(tmp_path, f"at-{person}", known_at=T)):
            who = ps(rworld[person])
            seen = 0
            for model in research.extract_models():
                spec = research.table_spec(model)
                rows = frame(o, model).filter(pl.col("pseudonym") == who)
                for col in spec.columns:
                    if col.policy in ("municipality", "district", "unless_protected"):
                        assert rows[col.name].null_count() == rows.height, (person, model.__name__, col.name)
                    if col.policy == "county" and rows.height:
                        assert set(rows[col.name].drop_nulls()) <= {"03"}, (person, model.__name__, col.name)
                        seen += rows[col.name].drop_nulls().len()
            assert seen >= 2  # the county is kept
    kari = ps(rworld["kari"])
    assert frame(out, m.Residence).filter(pl.col("pseudonym") == kari).select(
        "municipality", "county", "district"
    ).rows() == [(None, "03", None)]
    assert frame(out, m.PersonDetails).filter(pl.col("pseudonym") == kari)["protected_identity"].to_list() == [True]
    # Others in Oslo keep municipality and district.
    cecilie = frame(out, m.FollowUp).filter(pl.col("pseudonym") == ps(rworld["cecilie"]))
    assert cecilie.select("municipality", "county", "district").rows() == [("0301", "03", "030102")]
    assert frame(out, m.CompetenceMapping)["organisation"].to_list() == [None]


# --- known_at -------------------------------------------------------------------------------


def test_known_at_reproduces_an_earlier_state(rworld, tmp_path):
    now, then = extract(tmp_path, "now"), extract(tmp_path, "then", known_at=T)
    anne = ps(rworld["anne"])
    assert frame(now, m.Absence).filter(pl.col("pseudonym") == anne).height == 1
    assert frame(then, m.Absence).filter(pl.col("pseudonym") == anne).height == 0  # registered 01.09.2026
    late = ps(rworld["late"])
    assert late in set(frame(now, m.Person)["pseudonym"]) and late not in set(frame(then, m.Person)["pseudonym"])
    assert late not in set(frame(then, m.PersonDetails)["pseudonym"])
    # Eva's protection was registered after T: at T her details say unprotected (her places are hidden anyway).
    eva = ps(rworld["eva"])
    assert frame(then, m.PersonDetails).filter(pl.col("pseudonym") == eva)["protected_identity"].to_list() == [False]
    assert frame(now, m.PersonDetails).filter(pl.col("pseudonym") == eva).select(
        "protected_identity", "operation"
    ).rows() == [(True, "correct")]
    # Cecilie's final goal, corrected 01.03.2026: the old value before, the corrected one after.
    cecilie = ps(rworld["cecilie"])
    early = extract(tmp_path, "early", known_at=at(2026, 2, 15))
    assert frame(early, m.FinalGoal).filter(pl.col("pseudonym") == cecilie).select("goal", "operation").rows() == [
        ("work_no_vgo_old", "create")
    ]
    assert frame(then, m.FinalGoal).filter(pl.col("pseudonym") == cecilie).select("goal", "operation").rows() == [
        ("work_no_vgo_2026", "correct")
    ]
    # The same filter as the ORM's known_at, table by table.
    for model in m.ALL_REGISTRATION_MODELS:
        assert frame(then, model).height == model.objects.known_at(T).count(), model.__name__
    manifest = json.loads((then / "manifest.json").read_text())
    assert dt.datetime.fromisoformat(manifest["known_at"]) == T


def test_chunks_and_row_groups_do_not_change_the_content(rworld, tmp_path):
    whole, pieces = extract(tmp_path, "whole"), extract(tmp_path, "pieces", chunk=7)
    for model in research.extract_models():
        file = research.table_spec(model).file
        assert pq.read_table(whole / file).equals(pq.read_table(pieces / file)), file
    assert pq.ParquetFile(pieces / "decision.parquet").num_row_groups > 1


# --- the policy table -----------------------------------------------------------------------


def test_every_field_of_every_model_has_a_policy():
    """Fails when a field (or a registration model) is added without deciding what the extract does with it:
    add the field to ``POLICIES`` in nir.reports.research (and docs/research-extract.md)."""
    assert research.policy_problems() == []
    for model in research.extract_models():
        spec = research.table_spec(model)
        covered = {c.source for c in spec.columns} | {n for n, _r in spec.dropped}
        assert covered == {f.attname for f in model._meta.concrete_fields}, model.__name__


def test_a_field_without_a_policy_stops_the_extract(rworld, tmp_path, monkeypatch):
    policies = dict(research.POLICIES["Decision"])
    del policies["scheme"]
    monkeypatch.setitem(research.POLICIES, "Decision", policies)
    with pytest.raises(research.PolicyError, match=r"Decision\.scheme: no policy"):
        extract(tmp_path)
    assert not (tmp_path / "x").exists() or not list((tmp_path / "x").iterdir())  # nothing written


def test_a_bookkeeping_field_without_a_policy_or_an_uncoarsened_date_is_refused(monkeypatch):
    bookkeeping = dict(research.BOOKKEEPING)
    del bookkeeping["change_reason"]
    monkeypatch.setattr(research, "BOOKKEEPING", bookkeeping)
    problems = research.policy_problems()
    assert f"{m.Decision.__name__}.change_reason: no policy (add it to POLICIES in nir.reports.research)" in problems
    assert any(p.startswith("DerivedStatus.change_reason") for p in problems)  # every registration model
    monkeypatch.setattr(research, "BOOKKEEPING", research.BOOKKEEPING | {})
    monkeypatch.setitem(
        research.POLICIES,
        "Absence",
        research.POLICIES["Absence"] | {"from_date": research.KEEP(), "no_such_field": research.KEEP()},
    )
    problems = research.policy_problems()
    assert "Absence.from_date: policy 'keep' does not fit a DateField (dates must be coarsened)" in problems
    assert "Absence.no_such_field: policy for a field the model does not have" in problems


# --- the key --------------------------------------------------------------------------------


def test_key_from_file_hex_or_raw_then_environment_then_var(tmp_path, monkeypatch, settings):
    raw = tmp_path / "raw.key"
    raw.write_bytes(KEY)
    hexed = tmp_path / "hex.key"
    hexed.write_text(KEY.hex() + "\n")
    assert research.resolve_key(raw).key == KEY and research.resolve_key(hexed).key == KEY
    short = tmp_path / "short.key"
    short.write_bytes(b"abc")
    with pytest.raises(research.ResearchExtractError, match="for kort"):
        research.resolve_key(short)
    with pytest.raises(research.ResearchExtractError, match="kan ikke lese"):
        research.resolve_key(tmp_path / "missing.key")

    settings.VAR_DIR = tmp_path / "var"
    monkeypatch.setenv(research.KEY_ENV, OTHER_KEY.hex())
    assert research.resolve_key().key == OTHER_KEY and research.resolve_key().source == "env"
    monkeypatch.setenv(research.KEY_ENV, "not hex")
    with pytest.raises(research.ResearchExtractError, match=research.KEY_ENV):
        research.resolve_key()
    monkeypatch.delenv(research.KEY_ENV)
    first = research.resolve_key()
    path = tmp_path / "var" / research.KEY_FILE_NAME
    assert first.created and first.path == path and len(first.key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert first.key.hex() not in (first.message or "") and first.key.hex() not in repr(first)
    again = research.resolve_key()
    assert not again.created and again.key == first.key and again.message is None


# --- the command ----------------------------------------------------------------------------


def run_export(*args, **opts) -> str:
    err = io.StringIO()
    call_command("export", "research", *args, stdout=io.StringIO(), stderr=err, **opts)
    return err.getvalue()


def test_command_end_to_end(rworld, tmp_path, monkeypatch, settings):
    settings.VAR_DIR = tmp_path / "var"
    monkeypatch.delenv(research.KEY_ENV, raising=False)
    err = run_export("--out", str(tmp_path / "one"), "--quiet")
    key = (tmp_path / "var" / research.KEY_FILE_NAME).read_bytes()
    assert "Opprettet ny pseudonymnøkkel" in err and key.hex() not in err
    n = len(research.extract_models())
    assert f"{n} filer" in err and "rader" in err and "persons.parquet" in err
    assert set(frame(tmp_path / "one", m.Person)["pseudonym"]) == {
        research.pseudonym(key, d) for d in m.Person.objects.values_list("duf", flat=True)
    }
    # Second run: the same key from var/, the same pseudonyms; --known-at as in the other commands.
    err = run_export("--out", str(tmp_path / "two"), "--known-at", "2026-08-01")
    assert "Opprettet" not in err
    two = tmp_path / "two"
    assert set(frame(two, m.Person)["pseudonym"]) < set(frame(tmp_path / "one", m.Person)["pseudonym"])
    assert frame(two, m.Absence).height == m.Absence.objects.known_at(T).count()
    manifest = json.loads((two / "manifest.json").read_text())
    assert manifest["known_at"].startswith("2026-08-01T23:59:59")
    # --key-file.
    keyfile = tmp_path / "k.hex"
    keyfile.write_text(KEY.hex())
    run_export("--out", str(tmp_path / "three"), "--key-file", str(keyfile), "--quiet")
    assert ps(rworld["anne"]) in set(frame(tmp_path / "three", m.Person)["pseudonym"])


def test_command_refusals(tmp_path):
    with pytest.raises(CommandError, match="--out"):
        run_export()
    short = tmp_path / "short.key"
    short.write_bytes(b"123")
    with pytest.raises(CommandError, match="for kort"):
        run_export("--out", str(tmp_path / "x"), "--key-file", str(short))
    with pytest.raises(CommandError, match="--known-at"):
        run_export("--out", str(tmp_path / "x"), "--known-at", "igår")


def test_synthetic_register_round_trip(tmp_path):
    call_command(
        "synth", persons=200, seed=5, now="2026-11-01T12:00:00+01:00", in_process=True, quiet=True, stdout=io.StringIO()
    )
    out = extract(tmp_path)
    assert frame(out, m.Person).height == 200
    for model in m.ALL_REGISTRATION_MODELS:
        assert frame(out, model).height == model.objects.current().count(), model.__name__
    values, text = output_strings(out)
    secrets_ = identifying_strings()
    assert secrets_ and not (secrets_ & values)
    assert not any(s in text for s in secrets_)


# --- PostgreSQL: the COPY path --------------------------------------------------------------


@pytest.mark.postgres
def test_copy_and_fetch_paths_write_identical_files(rworld, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    copy = extract(tmp_path, "copy", chunk=5)
    fetch = extract(tmp_path, "fetch", method="fetch", chunk=5)
    mc, mf = (json.loads((o / "manifest.json").read_text()) for o in (copy, fetch))
    assert mc["read_method"] == "copy" and mf["read_method"] == "fetch"
    assert mc["files"] == mf["files"]  # byte for byte, dictionary included
    then_copy = extract(tmp_path, "then-copy", known_at=T)
    then_fetch = extract(tmp_path, "then-fetch", known_at=T, method="fetch")
    assert (
        json.loads((then_copy / "manifest.json").read_text())["files"]
        == json.loads((then_fetch / "manifest.json").read_text())["files"]
    )
    for model in m.ALL_REGISTRATION_MODELS:
        assert frame(then_copy, model).height == model.objects.known_at(T).count(), model.__name__
    values, _text = output_strings(copy)
    assert not (identifying_strings() & values)
