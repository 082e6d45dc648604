"""Each person's current facts in one row, kept up to date by the database itself.

    install(using)      # the view and the triggers; after every migrate (idempotent)
    refresh_all(using)  # recompute every person's row from the register (the migration's backfill)

``PersonFacts`` (table ``register_personfacts``) holds, per person, what the national figures
(``nir.reports.statistics``, the Kommuner table of ``nir.reports.worklist``) read from eight
tables — the current derived status, and for follow-up, settlement, residence permit, final goal,
termination, Norwegian participation and exams the few dates and values a figure tests — as the
register holds them **now** (current rows: not superseded, not annulled). A figure for the
register as known at an earlier ``known_at`` is computed from the tables themselves, as before.

The facts do not depend on a reference date: they are dates (first and last of a kind of row) and
the values of the latest row, and a figure compares them with its own date when it reads them. A
fact a date alone cannot settle — the follow-up municipality on a day between a person's first and
last period, say — is looked up in the table for that person only (``nir.reports.statistics``).

Maintenance: one view, ``register_personfacts_v``, defines a person's row from the register; after
every INSERT (a new row, a correction, an annulment) and UPDATE (a row superseded) of one of the
tables it reads, a trigger replaces the row of each person the statement touched by the view's row
(PostgreSQL: one statement-level trigger per table and event, over the statement's transition
table, recomputing only that table's columns, whose function writes as the schema's owner — the
application's role may only read the table; SQLite: a row trigger replacing the whole row). So
every write path — the actions, a batch, an import, the Regelmotor's re-evaluation, a migration —
keeps it without knowing of it (the bulk loader, which bypasses triggers, calls
``refresh_all`` once when its load ends), and ``tests/actions/test_person_facts.py`` checks the table against the view
after each kind of write.
"""

from __future__ import annotations

from django.db import connections

TABLE = "register_personfacts"
VIEW = "register_personfacts_v"
# Tests of Norwegian (any skill); the social-studies and citizenship tests are not counted (Tab 3.2.18).
NORWEGIAN_EXAMS = ("norwegian_oral", "norwegian_listening", "norwegian_reading", "norwegian_writing")

# A current row: not superseded and not an annulment (Registration.objects.current()).
_CUR = "superseded_at IS NULL AND operation <> 'annul'"


def _of(table: str, expr: str, where: str = "", order: str = "") -> str:
    """A scalar subquery over the person's current rows of ``table``."""
    cond = f"t.person_id = p.id AND t.{_CUR}" + (f" AND {where}" if where else "")
    tail = f" ORDER BY {order} LIMIT 1" if order else ""
    return f"(SELECT {expr} FROM {table} t WHERE {cond}{tail})"


_EXAMS = ", ".join(f"'{e}'" for e in NORWEGIAN_EXAMS)
_DS_LATEST = "t.id DESC"
_FU_LATEST = "t.valid_from DESC, t.id DESC"
_PE_LATEST = "t.decision_date DESC, t.id DESC"
_REASONED = "t.scheme = 'intro' AND t.termination_reason <> ''"
_COMPLETED = "t.scheme = 'intro' AND t.termination_type = 'completed'"
_NP = "t.scheme = 'norwegian' AND t.hours > 0"

# (column, SQL over the person p): the view's columns, in the table's order.
# The derived status's columns: (column, SQL over its row t), all of one row per person (the newest
# current one, should a statement leave two for a moment).
STATUS_COLUMNS: tuple[tuple[str, str], ...] = (
    *(
        (c, f"t.{c}")
        for c in (
            "law",
            "intro_category",
            "norwegian_category",
            "intro_start_date",
            "intro_deadline",
            "intro_closed_date",
            "norwegian_deadline",
        )
    ),
    (
        "deviation",
        "CASE WHEN t.deviation_final_goal_missing "
        "OR t.deviation_final_goal_2026_before_2026_start OR t.deviation_final_goal_expired "
        "THEN 1 ELSE 0 END",
    ),
)

COLUMNS: tuple[tuple[str, str], ...] = (
    *((c, _of("register_derivedstatus", expr, order=_DS_LATEST)) for c, expr in STATUS_COLUMNS),
    # follow-up periods: how many, the first start, and the latest starting one
    ("fu_count", _of("register_followup", "NULLIF(COUNT(*), 0)")),
    ("fu_first", _of("register_followup", "MIN(t.valid_from)")),
    ("fu_from", _of("register_followup", "t.valid_from", order=_FU_LATEST)),
    ("fu_to", _of("register_followup", "t.valid_to", order=_FU_LATEST)),
    ("fu_municipality", _of("register_followup", "t.municipality", order=_FU_LATEST)),
    ("fu_district", _of("register_followup", "t.district", order=_FU_LATEST)),
    # settlements: the first and last settlement date
    ("st_first", _of("register_settlement", "MIN(t.settlement_date)")),
    ("st_last", _of("register_settlement", "MAX(t.settlement_date)")),
    # residence permits: the first and last decision date, the latest permit's basis
    ("pe_first", _of("register_residencepermit", "MIN(t.decision_date)")),
    ("pe_last", _of("register_residencepermit", "MAX(t.decision_date)")),
    ("pe_basis", _of("register_residencepermit", "t.basis", order=_PE_LATEST)),
    # the latest final goal of the introduction programme
    ("goal", _of("register_finalgoal", "t.goal", "t.scheme = 'intro'", "t.recorded_at DESC, t.id DESC")),
    # terminations of the introduction programme (any; with a reason; completed) and of Norwegian training
    ("te_first", _of("register_termination", "MIN(t.termination_date)", "t.scheme = 'intro'")),
    ("te_reason_first", _of("register_termination", "MIN(t.termination_date)", _REASONED)),
    ("te_reason_last", _of("register_termination", "MAX(t.termination_date)", _REASONED)),
    ("te_completed_first", _of("register_termination", "MIN(t.termination_date)", _COMPLETED)),
    ("te_completed_last", _of("register_termination", "MAX(t.termination_date)", _COMPLETED)),
    ("nte_first", _of("register_termination", "MIN(t.termination_date)", "t.scheme = 'norwegian'")),
    # participation in Norwegian training (hours over 0): first and last start, last end
    ("np_first_from", _of("register_participation", "MIN(t.from_date)", _NP)),
    ("np_last_from", _of("register_participation", "MAX(t.from_date)", _NP)),
    ("np_last_to", _of("register_participation", "MAX(t.to_date)", _NP)),
    # Norwegian exams: the first taken (passed or failed), the first passed
    (
        "ex_taken_first",
        _of("register_exam", "MIN(t.exam_date)", f"t.exam_type IN ({_EXAMS}) AND t.result IN ('passed', 'failed')"),
    ),
    ("ex_passed_first", _of("register_exam", "MIN(t.exam_date)", f"t.exam_type IN ({_EXAMS}) AND t.result = 'passed'")),
)
NAMES = tuple(c for c, _sql in COLUMNS)
# The tables the view reads: a write to any of them replaces the person's row.
SOURCE_TABLES = (
    "register_derivedstatus",
    "register_followup",
    "register_settlement",
    "register_residencepermit",
    "register_finalgoal",
    "register_termination",
    "register_participation",
    "register_exam",
)

VIEW_SQL = (
    f"CREATE VIEW {VIEW} AS SELECT p.id AS person_id, "
    + ", ".join(f"{sql} AS {name}" for name, sql in COLUMNS)
    + " FROM register_person p"
)
_COLS = ", ".join(("person_id", *NAMES))


# SECURITY DEFINER: the function writes the table as its owner (the schema's), so the application's
# role may only read it (nir.access.dbrole) and cannot set a figure's facts itself.
def columns_of(table: str) -> tuple[str, ...]:
    """The columns read from ``table``."""
    return tuple(c for c, sql in COLUMNS if f"FROM {table} t " in sql)


def pg_function(table: str) -> str:
    return f"nir_person_facts_{table}"


def _pg_function_sql(table: str) -> str:
    """PostgreSQL: the trigger function of ``table``. It recomputes only the columns read from that
    table (the view's other subqueries are not evaluated): a write to one table costs its few index
    probes, not the whole row's. SECURITY DEFINER: it writes the table as its owner (the schema's),
    so the application's role may only read it (nir.access.dbrole) and cannot set a figure's facts."""
    cols = columns_of(table)
    if table == "register_derivedstatus":
        return _pg_status_function_sql()
    return f"""
CREATE OR REPLACE FUNCTION {pg_function(table)}() RETURNS trigger
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO {TABLE} (person_id, {", ".join(cols)})
    SELECT person_id, {", ".join(cols)} FROM {VIEW} WHERE person_id IN (SELECT person_id FROM changed)
  ON CONFLICT (person_id) DO UPDATE SET ({", ".join(cols)}) = ROW({", ".join(f"EXCLUDED.{c}" for c in cols)});
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def _pg_status_function_sql() -> str:
    """PostgreSQL: the derived status's trigger function. Its columns all come from one row, the
    person's newest current status: read once per person (a LATERAL join) instead of once per column
    as the view's scalar subqueries do — the same values, at an eighth of the index probes, which
    a re-evaluation of the whole register pays for every person whose status it writes."""
    cols = [c for c, _expr in STATUS_COLUMNS]
    # No current status: every column NULL, as the view's subqueries give (the CASE would give 0).
    exprs = [f"CASE WHEN t.id IS NULL THEN NULL ELSE {expr} END" for _c, expr in STATUS_COLUMNS]
    return f"""
CREATE OR REPLACE FUNCTION {pg_function("register_derivedstatus")}() RETURNS trigger
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO {TABLE} (person_id, {", ".join(cols)})
    SELECT c.person_id, {", ".join(exprs)}
    FROM (SELECT DISTINCT person_id FROM changed) c
    LEFT JOIN LATERAL (
      SELECT * FROM register_derivedstatus t WHERE t.person_id = c.person_id AND t.{_CUR}
      ORDER BY {_DS_LATEST} LIMIT 1
    ) t ON true
  ON CONFLICT (person_id) DO UPDATE SET ({", ".join(cols)}) = ROW({", ".join(f"EXCLUDED.{c}" for c in cols)});
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def install(using: str) -> None:
    """(Re)create the view and the triggers that keep ``register_personfacts`` (when it exists)."""
    conn = connections[using]
    existing = set(conn.introspection.table_names())
    if TABLE not in existing:
        return
    with conn.cursor() as cur:
        cur.execute(f"DROP VIEW IF EXISTS {VIEW}")
        cur.execute(VIEW_SQL)
        for table in SOURCE_TABLES:
            if conn.vendor == "postgresql":
                cur.execute(_pg_function_sql(table))
            for event in ("insert", "update"):
                name = f"{table}_facts_{event}"
                if conn.vendor == "postgresql":
                    cur.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
                    cur.execute(
                        f'CREATE TRIGGER {name} AFTER {event.upper()} ON "{table}" '
                        "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
                        f"EXECUTE FUNCTION {pg_function(table)}()"
                    )
                else:
                    cur.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cur.execute(
                        f'CREATE TRIGGER {name} AFTER {event.upper()} ON "{table}" FOR EACH ROW BEGIN '
                        f"INSERT OR REPLACE INTO {TABLE} ({_COLS}) "
                        f"SELECT {_COLS} FROM {VIEW} WHERE person_id = NEW.person_id; END"
                    )


def refresh_all(using: str) -> None:
    """Replace every person's row by the view's (a full recomputation)."""
    conn = connections[using]
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            # After a bulk load the planner may still hold the statistics of nearly empty tables (autovacuum
            # analysed them early in the load) and probe the view's subqueries by sequential scans: measured
            # > 12 minutes for 200,000 persons against 24 s once analysed.
            cur.execute(f"ANALYZE register_person, {', '.join(SOURCE_TABLES)}")
        cur.execute(f"DELETE FROM {TABLE}")
        cur.execute(f"INSERT INTO {TABLE} ({_COLS}) SELECT {_COLS} FROM {VIEW} WHERE {_NOT_EMPTY}")


# A person without any current row of the source tables: no row and a row of NULLs say the same.
_NOT_EMPTY = "NOT (" + " AND ".join(f"{c} IS NULL" for c in NAMES) + ")"


def differences(using: str = "default") -> list[tuple[object, ...]]:
    """Rows of the table that differ from the view's (both directions): empty when it is up to date."""
    conn = connections[using]
    table = f"SELECT {_COLS} FROM {TABLE} WHERE {_NOT_EMPTY}"
    view = f"SELECT {_COLS} FROM {VIEW} WHERE {_NOT_EMPTY}"
    query = (
        f"SELECT 'table', a.* FROM ({table} EXCEPT {view}) a "
        f"UNION ALL SELECT 'view', b.* FROM ({view} EXCEPT {table}) b"
    )
    with conn.cursor() as cur:
        cur.execute(query)
        return [tuple(row) for row in cur.fetchall()]
