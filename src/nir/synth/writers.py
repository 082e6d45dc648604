"""Writing generated blocks: PostgreSQL (COPY), SQLite (executemany) or JSON Lines.

The generator's frames carry *local* ids (0-based per block and table) and
the municipality whose case system registered each row. A database writer
reserves real ids, shifts every id column (``id``, ``person_id``,
``supersedes_id``) by the reserved base, replaces the municipality by the
synthetic ``ApiClient`` of that municipality, and bulk-loads the rows. Rows
are only ever INSERTed: a corrected first version is written with its
``superseded_at`` already set, which the append-only triggers
(``nir.register.db``) never see.

PostgreSQL, per block:

* ``LOCK TABLE … IN EXCLUSIVE MODE`` on every table written (readers are not
  blocked; other writers wait until the chunk commits), then one
  ``setval(seq, nextval(seq) + n - 1)`` per table reserves ``n`` consecutive
  ids. Under the lock no INSERT can draw from the sequence in between, and
  one statement replaces ``n`` calls of ``nextval`` (5 µs each, measured).
* ``COPY … FROM STDIN (FORMAT csv)`` of the CSV that polars writes.
* While block k is copied, block k+1's ids are reserved and its CSV encoded
  in helper threads (polars and psycopg release the GIL).
* Outside a caller's transaction, a second connection loads ``SIDE_TABLES``
  (about half the rows) in parallel: PostgreSQL uses one core per connection.
  The first connection, which holds the persons, commits first.
* Foreign keys: when the role may (a superuser, as in the throwaway server of
  the benchmark), the chunk is loaded with ``session_replication_role =
  replica`` so PostgreSQL does not queue one deferred foreign-key check per
  row (11 µs a row at commit, measured: more than the COPY itself), and the
  same constraints are checked set-wise for each block's id ranges before
  the transaction commits (``_verify_keys``); a violation rolls the chunk
  back. Without the privilege, or with ``check_keys="triggers"``, the
  ordinary per-row checks run. The replica role skips every trigger, also
  those that keep each person's current facts (``nir.register.person_facts``):
  they are then computed once, for the whole register, when the load ends.

SQLite: ids from ``max(id) + 1`` inside the write transaction, rows by
``executemany``. JSON Lines: the current version of every fact, one person
per line in the interchange format (regelmotor.md § 8), with each item's
``registered_at``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import IO

import polars as pl
from django.db import connections, transaction

from nir.access.loaders import municipality_org_code
from nir.access.models import ApiClient, Organisation
from nir.register import models as m
from nir.register.interchange import LIST_SPECS
from nir.synth import world as w
from nir.synth.generator import Generator

MODELS: dict[str, type] = {mdl.__name__: mdl for mdl in (m.Person, *m.REGISTRATION_MODELS)}


def model_columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


class SynthConflict(RuntimeError):
    """The generated persons collide with persons already in the register."""


# --- API clients of the synthetic case systems --------------------------------------------


def client_id_for(municipality: str) -> str:
    return f"synth-{municipality}"


def ensure_clients(using: str = "default") -> dict[str, int]:
    """One ApiClient per municipality, for the (synthetic) case system it uses. Idempotent.

    Returns municipality number -> ApiClient primary key.
    """
    M = w.municipalities()
    numbers = [str(n) for n in M.number]
    orgs = {
        o.municipality_number: o
        for o in Organisation.objects.using(using).filter(code__in=[municipality_org_code(n) for n in numbers])
    }
    missing_orgs = [n for n in numbers if n not in orgs]
    if missing_orgs:
        raise RuntimeError(
            f"{len(missing_orgs)} kommuner mangler som organisasjon (f.eks. {missing_orgs[0]}); "
            "kjør «nir migrate» eller «nir loadrefdata» først"
        )
    existing = {c.client_id: c.pk for c in ApiClient.objects.using(using).filter(client_id__startswith="synth-")}
    new = []
    for number, system in zip(numbers, M.system):
        cid = client_id_for(number)
        if cid not in existing:
            org = orgs[number]
            new.append(
                ApiClient(
                    client_id=cid,
                    name=f"{system} – {org.name}",
                    organisation=org,
                    source_system=str(system),
                    active=True,
                )
            )
    if new:
        ApiClient.objects.using(using).bulk_create(new)
        existing = {c.client_id: c.pk for c in ApiClient.objects.using(using).filter(client_id__startswith="synth-")}
    return {n: existing[client_id_for(n)] for n in numbers}


# --- preparing a frame for the database ---------------------------------------------------


def _with_db_ids(
    frame: pl.DataFrame, model, id_base: int, person_base: int, clients: pl.DataFrame | None
) -> pl.DataFrame:
    """Shift local ids by the reserved bases and resolve the registering client."""
    exprs = [pl.col("id") + id_base]
    if model is not m.Person:
        exprs += [pl.col("person_id") + person_base, pl.col("supersedes_id") + id_base]
    out = frame.with_columns(exprs)
    if model is not m.Person:
        out = out.join(clients, on="client_muni", how="left").with_columns(
            pl.lit(None, dtype=pl.Int64).alias("registered_by_user_id")
        )
    missing = [c for c in model_columns(model) if c not in out.columns]
    if missing:
        out = out.with_columns([_default_of(model, c) for c in missing])
    return out.select(model_columns(model))


def _default_of(model, column: str) -> pl.Expr:
    """A value for a model field the generator does not know (added after it was written)."""
    f = next(f for f in model._meta.concrete_fields if f.column == column)
    if f.has_default() and not callable(f.default):
        return pl.lit(f.default).alias(column)
    if f.null:
        return pl.lit(None).alias(column)
    raise RuntimeError(f"{model.__name__}.{f.name} er påkrevd, men ukjent for nir synth; generatoren må utvides")


# Tables loaded by the second PostgreSQL connection (about half the rows; Person stays on the first).
SIDE_TABLES = (
    "Decision",
    "Participation",
    "Measure",
    "Absence",
    "Termination",
    "CareerGuidance",
    "CompetenceMapping",
    "Exam",
    "ReceptionStay",
    "UpperSecondaryEnrolment",
)


class DatabaseWriter:
    """Writes blocks to the Django database ``using`` (PostgreSQL or SQLite).

    On PostgreSQL, outside any transaction of the caller, a second connection
    loads ``SIDE_TABLES`` in parallel with the first (PostgreSQL uses one core per
    connection; the machine has two). Each chunk commits on the first connection,
    which holds the persons, and then on the second, so a committed row never
    points at a person that is not. Inside a caller's transaction (tests) one
    connection loads everything, within that transaction.
    """

    def __init__(self, using: str = "default", *, check_keys: str = "auto", streams: int | None = None):
        if check_keys not in ("auto", "triggers"):
            raise ValueError("check_keys must be 'auto' or 'triggers'")
        self.using = using
        self.conn = connections[using]
        self.vendor = self.conn.vendor
        if self.vendor not in ("postgresql", "sqlite"):
            raise RuntimeError(f"unsupported database {self.vendor}")
        clients = ensure_clients(using)
        self.clients = pl.DataFrame(
            {
                "client_muni": list(clients),
                "registered_by_client_id": list(clients.values()),
            },
            schema={"client_muni": pl.Utf8, "registered_by_client_id": pl.Int64},
        )
        self.bypass = False
        self._facts_stale = False
        if self.vendor == "postgresql" and check_keys == "auto":
            with self.conn.cursor() as cur:
                cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                row = cur.fetchone()
                self.bypass = bool(row and row[0])
        self._client_ids = list(clients.values())
        self._client_table = ApiClient._meta.db_table
        if streams is None:
            streams = 2 if self.vendor == "postgresql" and not self.conn.in_atomic_block else 1
        if streams == 2 and (self.vendor != "postgresql" or self.conn.in_atomic_block):
            raise ValueError("two streams need PostgreSQL and no open transaction")
        self.streams = streams
        self._side = None
        if streams == 2:
            self._side = self.conn.get_new_connection(self.conn.get_connection_params())
            self._side.autocommit = False
            self._side_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nir-synth-side")
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nir-synth-encode")
        self.rows_written: dict[str, int] = defaultdict(int)

    def write_chunk(self, batches) -> None:
        """One transaction per chunk of blocks (per connection on PostgreSQL)."""
        self._check_new_persons(batches)
        if self.vendor == "sqlite":
            with transaction.atomic(using=self.using):
                for batch in batches:
                    self._write_sqlite(batch)
            return
        if self._side is None:
            with transaction.atomic(using=self.using), self.conn.cursor() as cur:
                self._begin(cur, tuple(MODELS))
                self._write_pg(cur, None, batches)
                self._end(cur)
                self._refresh_facts(cur, batches)
            return
        side_cur = self._side.cursor()
        try:
            with transaction.atomic(using=self.using), self.conn.cursor() as cur:
                main_tables = tuple(n for n in MODELS if n not in SIDE_TABLES)
                self._begin(cur, main_tables)
                self._side_pool.submit(self._begin, side_cur, SIDE_TABLES).result()
                self._write_pg(cur, side_cur, batches)
                self._end(cur)
                self._side_pool.submit(self._end, side_cur).result()
        except BaseException:
            self._side.rollback()
            raise
        # The persons are committed; now the rows that point at them.
        self._side.commit()
        with transaction.atomic(using=self.using), self.conn.cursor() as cur:
            self._refresh_facts(cur, batches)

    def _refresh_facts(self, cur, batches) -> None:
        """A chunk that bypassed the triggers keeping each person's current facts
        (``nir.register.person_facts``) leaves them to be computed once, when the load ends (``close``):
        the view that computes them reads whole tables, so computing them per chunk grows with the
        square of the register (measured: one chunk's refresh ran for over 12 minutes at 1 M persons)."""
        if self.bypass:
            self._facts_stale = True

    def _check_new_persons(self, batches) -> None:
        """Refuse, before writing anything of the chunk, persons whose DUF number is already registered."""
        table = m.Person._meta.db_table
        with self.conn.cursor() as cur:
            for batch in batches:
                dufs = batch.frames["Person"]["duf"].to_list()
                if self.vendor == "postgresql":
                    cur.execute(f'SELECT duf FROM "{table}" WHERE duf = ANY(%s) LIMIT 1', [dufs])
                else:
                    cur.execute(
                        f'SELECT duf FROM "{table}" WHERE duf IN ({", ".join(["%s"] * len(dufs))}) LIMIT 1', dufs
                    )
                row = cur.fetchone()
                if row:
                    raise SynthConflict(
                        f"DUF-nummer {row[0]} finnes allerede i registeret: denne befolkningen (samme --seed) "
                        "er trolig lastet før. Bruk et annet --seed eller en tom database."
                    )

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._side is not None:
            self._side_pool.shutdown(wait=True)
            self._side.close()
            self._side = None
        if self._facts_stale:
            # Also after a failed load: the chunks committed before it are in the register.
            from nir.register import person_facts

            with transaction.atomic(using=self.using):
                person_facts.refresh_all(self.using)
            self._facts_stale = False

    # --- PostgreSQL ----------------------------------------------------------------------

    def _begin(self, cur, names) -> None:
        if self.bypass:
            cur.execute("SET LOCAL session_replication_role = replica")
            # What the per-row checks would do for the clients: keep them from being deleted meanwhile.
            cur.execute(f'SELECT 1 FROM "{self._client_table}" WHERE id = ANY(%s) FOR KEY SHARE', [self._client_ids])
        tables = ", ".join(f'"{MODELS[n]._meta.db_table}"' for n in names)
        # Always in the same order: concurrent loaders queue instead of deadlocking.
        cur.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")

    def _end(self, cur) -> None:
        if self.bypass:
            cur.execute("SET LOCAL session_replication_role = DEFAULT")

    def _write_pg(self, cur, side_cur, batches) -> None:
        """Block k+1's ids are reserved and its CSV encoded while block k is being copied."""

        def prepare(batch):
            bases = self._reserve(cur, batch)  # under the table locks of both connections
            if side_cur is None:
                return batch, bases, self._pool.submit(self._encode, batch, bases, None), None
            main = tuple(n for n in batch.frames if n not in SIDE_TABLES)
            return (
                batch,
                bases,
                self._pool.submit(self._encode, batch, bases, main),
                self._pool.submit(self._encode, batch, bases, SIDE_TABLES),
            )

        def load(prepared):
            batch, bases, main_job, side_job = prepared
            side = None
            if side_job is not None:
                side = self._side_pool.submit(lambda: self._load(side_cur, batch, bases, *side_job.result()))
            self._load(cur, batch, bases, *main_job.result())
            if side is not None:
                side.result()

        current = None
        for batch in batches:
            nxt = prepare(batch)
            if current is not None:
                load(current)
            current = nxt
        if current is not None:
            load(current)

    def _reserve(self, cur, batch) -> dict[str, int]:
        """Consecutive ids per table: one setval under the table lock replaces n calls of nextval."""
        bases = {}
        for name, frame in batch.frames.items():
            if not frame.height:
                continue
            table = MODELS[name]._meta.db_table
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, frame.height],
            )
            bases[name] = cur.fetchone()[0] - frame.height + 1
        return bases

    def _encode(self, batch, bases: dict[str, int], names):
        """CSV per table, ready for COPY (runs in a helper thread; polars releases the GIL)."""
        payload = []
        for name, frame in batch.frames.items():
            if name not in bases or (names is not None and name not in names):
                continue
            model = MODELS[name]
            out = _with_db_ids(frame, model, bases[name], bases["Person"], self.clients)
            text_cols = [c for c, t in out.schema.items() if t == pl.Utf8]
            data = out.write_csv(include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.6f%z")
            payload.append((model, out.columns, text_cols, data, out.height))
        return (payload,)

    def _load(self, cur, batch, bases, payload) -> None:
        for model, cols, text_cols, data, height in payload:
            opts = "FORMAT csv"
            if text_cols:  # blank text is '' in these columns, never NULL
                opts += ", FORCE_NOT_NULL (" + ", ".join(f'"{c}"' for c in text_cols) + ")"
            col_list = ", ".join(f'"{c}"' for c in cols)
            with cur.copy(f'COPY "{model._meta.db_table}" ({col_list}) FROM STDIN WITH ({opts})') as copy:
                copy.write(data)
            self.rows_written[model.__name__] += height
        if self.bypass:
            self._verify_keys(cur, batch, bases, [p[0].__name__ for p in payload])

    def _verify_keys(self, cur, batch, bases: dict[str, int], names) -> None:
        """The block's foreign keys, checked set-wise (instead of one deferred trigger check per row).

        Every id of the block is in a range reserved for it and just filled, so a row's
        person must lie in the block's person range, a superseded row in the block's
        range of the same table, and a client among the synthetic clients (locked above).
        The row count per range proves the ranges hold exactly the block's rows.
        """
        plo = bases["Person"]
        phi = plo + batch.frames["Person"].height - 1
        for name in names:
            lo = bases[name]
            model = MODELS[name]
            hi = lo + batch.frames[name].height - 1
            table = model._meta.db_table
            if model is m.Person:
                cur.execute(f'SELECT count(*), 0 FROM "{table}" WHERE id BETWEEN %s AND %s', [lo, hi])
            else:
                cur.execute(
                    f"SELECT count(*), count(*) FILTER (WHERE person_id NOT BETWEEN %s AND %s"
                    f" OR supersedes_id NOT BETWEEN %s AND %s"
                    f" OR registered_by_user_id IS NOT NULL"
                    f' OR registered_by_client_id <> ALL(%s)) FROM "{table}" WHERE id BETWEEN %s AND %s',
                    [plo, phi, lo, hi, self._client_ids, lo, hi],
                )
            count, bad = cur.fetchone()
            if count != hi - lo + 1 or bad:
                raise RuntimeError(
                    f"fremmednøkkelkontroll feilet for {table} (id {lo}–{hi}); blokken er rullet tilbake"
                )

    # --- SQLite ----------------------------------------------------------------------------

    def _write_sqlite(self, batch) -> None:
        with self.conn.cursor() as cur:
            bases = {}
            for name in batch.frames:
                table = MODELS[name]._meta.db_table
                cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
                bases[name] = cur.fetchone()[0] + 1
            for name, frame in batch.frames.items():
                if not frame.height:
                    continue
                model = MODELS[name]
                out = _with_db_ids(frame, model, bases[name], bases["Person"], self.clients)
                out = out.with_columns(
                    [
                        pl.col(c).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
                        for c, t in out.schema.items()
                        if isinstance(t, pl.Datetime)
                    ]
                    + [pl.col(c).dt.to_string("%Y-%m-%d") for c, t in out.schema.items() if t == pl.Date]
                )
                cols = ", ".join(f'"{c}"' for c in out.columns)
                marks = ", ".join(["%s"] * len(out.columns))
                cur.executemany(f'INSERT INTO "{model._meta.db_table}" ({cols}) VALUES ({marks})', out.rows())
                self.rows_written[name] += out.height


# --- JSON Lines ------------------------------------------------------------------------------


def _current(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("superseded_at").is_null() & (pl.col("operation") != "annul"))


def _local_iso(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone("Europe/Oslo").dt.strftime("%Y-%m-%dT%H:%M:%S%:z")


# The grants' person-level facts the generator writes (grants.md A.1.1), as interchange keys.
GRANT_DETAIL_KEYS = ("mother", "citizenship", "emigration_date", "asylum_procedure", "asylum_duty_group_entry")


class JsonlWriter:
    """Writes the current facts of each person as one interchange line (regelmotor.md § 8)."""

    def __init__(self, fh: IO[str]):
        self.fh = fh
        self.specs = {model.__name__: (key, spec) for key, (model, spec) in LIST_SPECS.items()}
        self.rows_written: dict[str, int] = defaultdict(int)
        self.lines = 0

    def write_chunk(self, batches) -> None:
        for batch in batches:
            self._write(batch)

    def close(self) -> None:
        self.fh.flush()

    def _items(self, name: str, frame: pl.DataFrame) -> dict[int, list[dict]]:
        key, spec = self.specs[name]
        cur = _current(frame)
        self.rows_written[name] += cur.height
        exprs = [pl.col("person_id")]
        for json_key, fname, kind, _required in spec:
            if fname not in cur.columns:  # a field the generator does not fill: absent
                exprs.append(pl.lit(None).alias(json_key))
                continue
            col = pl.col(fname)
            if kind == "date":
                col = col.dt.to_string("%Y-%m-%d")
            exprs.append(col.alias(json_key))
        exprs.append(_local_iso("recorded_at").alias("registered_at"))
        out: dict[int, list[dict]] = defaultdict(list)
        optional = {j for j, _f, _k, req in spec if not req}
        for row in cur.select(exprs).iter_rows(named=True):
            pid = row.pop("person_id")
            item = {k: v for k, v in row.items() if not (k in optional and (v is None or v == ""))}
            out[pid].append(item)
        return out

    def _write(self, batch) -> None:
        lines = [json.dumps(line, ensure_ascii=False, separators=(",", ":")) for line in self.lines_of(batch)]
        self.fh.write("\n".join(lines) + ("\n" if lines else ""))
        self.lines += len(lines)

    def lines_of(self, batch) -> list[dict]:
        """The interchange lines (as dicts) of one generated block."""
        f = batch.frames
        persons = f["Person"]
        details = _current(f["PersonDetails"]).with_columns(pl.col("birth_date").dt.to_string("%Y-%m-%d"))
        details = details.with_columns(
            [pl.col(c).dt.to_string("%Y-%m-%d") for c in GRANT_DETAIL_KEYS if details.schema.get(c) == pl.Date]
        )
        family: dict[int, dict] = {}
        if "FamilyReunification" in f:
            cur = _current(f["FamilyReunification"])
            self.rows_written["FamilyReunification"] += cur.height
            for row in cur.iter_rows(named=True):
                family[row["person_id"]] = {
                    "reference_person": row["reference_person"],
                    "reference_basis_at_grant": row["reference_basis_at_grant"],
                    "reference_first_settlement_date": row["reference_first_settlement_date"].isoformat(),
                    "application_date": row["application_date"].isoformat(),
                    "reference_nordic_citizen": row["reference_nordic_citizen"],
                    "reference_is_family_immigrant": row["reference_is_family_immigrant"],
                }
        self.rows_written["Person"] += persons.height
        self.rows_written["PersonDetails"] += details.height
        lists = {name: self._items(name, f[name]) for name in self.specs if name in f}
        goals: dict[int, tuple[str, dt.datetime]] = {}
        if "FinalGoal" in f:
            cur = _current(f["FinalGoal"])
            self.rows_written["FinalGoal"] += cur.height
            for pid, goal, at in cur.select("person_id", "goal", _local_iso("recorded_at")).iter_rows():
                goals[pid] = (goal, at)
        ext: dict[int, tuple[int, str]] = {}
        if "Extension" in f:
            cur = _current(f["Extension"])
            self.rows_written["Extension"] += cur.height
            for pid, months, at in cur.select("person_id", "months", _local_iso("recorded_at")).iter_rows():
                prev = ext.get(pid, (0, ""))
                ext[pid] = (prev[0] + months, max(prev[1], at))
        det = {r["person_id"]: r for r in details.iter_rows(named=True)}
        lines = []
        for pid, duf in persons.select("id", "duf").iter_rows():
            d = det[pid]
            facts: dict = {"birth_date": d["birth_date"], "education": d["education"], "sex": d["sex"]}
            if d["national_id"]:
                facts["national_id"] = d["national_id"]
            if d["protected_identity"]:
                facts["protected_identity"] = True
            for key in GRANT_DETAIL_KEYS:
                if d.get(key):
                    facts[key] = d[key]
            if d.get("unaccompanied_minor") is not None:
                facts["unaccompanied_minor"] = {"flag": d["unaccompanied_minor"], "with_companion": d["with_companion"]}
            if pid in family:
                facts["family_reunification"] = family[pid]
            times = []
            for name, per_person in lists.items():
                items = per_person.get(pid)
                if items:
                    facts[self.specs[name][0]] = items
                    times += [it["registered_at"] for it in items]
            # Final goal and extension have no registered_at of their own in the format:
            # they take the line's registered_at.
            line_at = None
            if pid in goals:
                facts["final_goal"] = goals[pid][0]
                line_at = goals[pid][1]
            if pid in ext:
                facts["extension_months"] = ext[pid][0]
                line_at = max(filter(None, (line_at, ext[pid][1])), key=_iso_key)
            if line_at is None:
                line_at = max(times, key=_iso_key) if times else None
            follow = facts.get("follow_up") or []
            current_fu = max(follow, key=lambda it: it["from"])["municipality"] if follow else None
            lines.append(
                {
                    "duf": duf,
                    "first_name": d["first_name"],
                    "last_name": d["last_name"],
                    "follow_up_municipality": current_fu,
                    "registered_at": line_at,
                    "facts": facts,
                }
            )
        return lines


def interchange_lines(persons: int, seed: int, now: dt.datetime) -> Iterator[dict]:
    """A synthetic population as interchange lines (dicts), block by block, without a file.

    The same lines ``nir synth --out`` writes; ``line["facts"]`` is what the rules engine takes.
    """
    g = Generator(persons, seed, now)
    writer = JsonlWriter(io.StringIO())
    for b in range(g.blocks):
        yield from writer.lines_of(g.block(b))


def _iso_key(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)
