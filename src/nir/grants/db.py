"""Database-level guarantees of the payment rounds (``nir.grants.models``): an approved round is frozen.

Like the register's append-only triggers (``nir.register.db``), installed after every migrate
(``GrantsConfig.ready``) on SQLite and PostgreSQL alike, but following a round's life: a draft may be
recalculated (its lines deleted and written anew), an approved one never.

* ``grants_statementline``: never UPDATEd; INSERTed and DELETEd only while its round is a draft.
* ``grants_paymentround``: a draft may change (recalculated, approved); an approved round only becomes
  *paid* (``status`` to ``paid`` with ``paid_at``, nothing else); a paid round never changes. Only a
  draft may be DELETEd.
* ``grants_granterrorreport`` (a case for IMDi): never DELETEd; answered once (while ``open``), its
  report itself (line, recipient, text, who and when) never changed.

PostgreSQL also refuses TRUNCATE of the three (a statement-level trigger).
"""

from __future__ import annotations

from django.db import connections

MESSAGE = "NIR grant rounds: an approved round is frozen"

ROUND = "grants_paymentround"
LINE = "grants_statementline"
REPORT = "grants_granterrorreport"
TABLES = (ROUND, LINE, REPORT)

_ROUND_FIXED = (
    "grant_year",
    "quarter",
    "cutoff_known_at",
    "period_end",
    "calculated_at",
    "calculated_by_id",
    "calculated_by_label",
    "approved_at",
    "approved_by_id",
    "approved_by_label",
    "rules_version",
    "grants_version",
    "paid_through",
    "persons",
    "summary",
)
_REPORT_FIXED = ("line_id", "recipient", "text", "reported_at", "reported_by_id", "reported_by_label")


def _changed(columns: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f'NEW."{c}" {distinct} OLD."{c}"' for c in columns)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sqlite_statements() -> list[str]:
    ch = _changed(_ROUND_FIXED, "IS NOT")
    rch = _changed(_REPORT_FIXED, "IS NOT")
    status_of = f'(SELECT status FROM "{ROUND}" WHERE id = {{}}.round_id)'
    raise_ = "BEGIN SELECT RAISE(ABORT, {}); END"
    out = []
    for name in ("round_no_update", "round_no_delete", "line_no_update", "line_no_delete", "line_no_insert"):
        out.append(f"DROP TRIGGER IF EXISTS grants_{name}")
    out += [f"DROP TRIGGER IF EXISTS grants_{n}" for n in ("report_no_update", "report_no_delete")]
    out += [
        f'CREATE TRIGGER grants_round_no_update BEFORE UPDATE ON "{ROUND}" '
        f"WHEN OLD.status = 'paid' OR (OLD.status = 'approved' AND "
        f"(NEW.status IS NOT 'paid' OR NEW.paid_at IS NULL OR {ch})) "
        + raise_.format(_lit(MESSAGE + ": UPDATE of an approved round refused")),
        f'CREATE TRIGGER grants_round_no_delete BEFORE DELETE ON "{ROUND}" '
        f"WHEN OLD.status <> 'draft' " + raise_.format(_lit(MESSAGE + ": DELETE refused")),
        f'CREATE TRIGGER grants_line_no_update BEFORE UPDATE ON "{LINE}" '
        + raise_.format(_lit(MESSAGE + ": UPDATE of a statement line refused")),
        f'CREATE TRIGGER grants_line_no_delete BEFORE DELETE ON "{LINE}" '
        f"WHEN {status_of.format('OLD')} <> 'draft' " + raise_.format(_lit(MESSAGE + ": DELETE refused")),
        f'CREATE TRIGGER grants_line_no_insert BEFORE INSERT ON "{LINE}" '
        f"WHEN {status_of.format('NEW')} <> 'draft' " + raise_.format(_lit(MESSAGE + ": INSERT refused")),
        f'CREATE TRIGGER grants_report_no_update BEFORE UPDATE ON "{REPORT}" '
        f"WHEN OLD.status <> 'open' OR {rch} " + raise_.format(_lit(MESSAGE + ": a report is answered once")),
        f'CREATE TRIGGER grants_report_no_delete BEFORE DELETE ON "{REPORT}" '
        + raise_.format(_lit(MESSAGE + ": DELETE refused")),
    ]
    return out


def _pg_statements() -> list[str]:
    ch = _changed(_ROUND_FIXED, "IS DISTINCT FROM")
    rch = _changed(_REPORT_FIXED, "IS DISTINCT FROM")
    msg = _lit(MESSAGE)
    out = [
        # TG_ARGV[0]: the message. Called only to refuse (the WHEN conditions let the allowed changes by).
        """CREATE OR REPLACE FUNCTION nir_grants_refuse() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '%: % on % refused', TG_ARGV[0], TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql""",
        # A statement line is written and deleted only while its round is a draft (WHEN takes no subquery).
        f"""CREATE OR REPLACE FUNCTION nir_grants_line_guard() RETURNS trigger AS $$
DECLARE s text;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION '%: UPDATE on % refused', TG_ARGV[0], TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  SELECT status INTO s FROM "{ROUND}" WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.round_id ELSE NEW.round_id END);
  IF s IS DISTINCT FROM 'draft' THEN
    RAISE EXCEPTION '%: % on % of a round not a draft refused', TG_ARGV[0], TG_OP, TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    ]
    for table in TABLES:
        for name in ("guard", "no_update", "no_delete", "no_truncate"):
            out.append(f'DROP TRIGGER IF EXISTS {table}_{name} ON "{table}"')
        out.append(
            f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION nir_grants_refuse({msg})"
        )
    out += [
        f'CREATE TRIGGER {ROUND}_no_update BEFORE UPDATE ON "{ROUND}" FOR EACH ROW '
        f"WHEN (OLD.status = 'paid' OR (OLD.status = 'approved' AND "
        f"(NEW.status IS DISTINCT FROM 'paid' OR NEW.paid_at IS NULL OR {ch}))) "
        f"EXECUTE FUNCTION nir_grants_refuse({msg})",
        f'CREATE TRIGGER {ROUND}_no_delete BEFORE DELETE ON "{ROUND}" FOR EACH ROW '
        f"WHEN (OLD.status <> 'draft') EXECUTE FUNCTION nir_grants_refuse({msg})",
        f'CREATE TRIGGER {LINE}_guard BEFORE INSERT OR UPDATE OR DELETE ON "{LINE}" FOR EACH ROW '
        f"EXECUTE FUNCTION nir_grants_line_guard({msg})",
        f'CREATE TRIGGER {REPORT}_no_update BEFORE UPDATE ON "{REPORT}" FOR EACH ROW '
        f"WHEN (OLD.status <> 'open' OR {rch}) EXECUTE FUNCTION nir_grants_refuse({msg})",
        f'CREATE TRIGGER {REPORT}_no_delete BEFORE DELETE ON "{REPORT}" FOR EACH ROW '
        f"EXECUTE FUNCTION nir_grants_refuse({msg})",
    ]
    return out


def install(using: str) -> None:
    """(Re)install the payment rounds' triggers in the database ``using`` (when its tables exist)."""
    conn = connections[using]
    if not set(TABLES) <= set(conn.introspection.table_names()):
        return
    statements = _pg_statements() if conn.vendor == "postgresql" else _sqlite_statements()
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
