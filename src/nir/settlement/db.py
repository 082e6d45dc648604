"""Database-level guarantee of the settlement tables: append-only, like the register's.

The one installer (``nir.register.db.install_append_only``) with these tables, after every migrate
(``SettlementConfig.ready``), on SQLite and PostgreSQL alike; the application's PostgreSQL role
gets exactly the matching privileges (``nir.access.dbrole``, which learns the tables through
``nir.register.db.add_append_only_tables``):

* every versioned table (a need, a request, a decision, a capacity line, a case's details, a
  member, a mapping, an agreement): *supersedable* — the one UPDATE closes a version
  (``superseded_at`` from NULL to a value, nothing else changed);
* a request round (``RequestRound``): the one UPDATE sends it (``sent_at`` from NULL to a value,
  with ``sent_by_user``), nothing else; a sent round is never changed;
* the rest (indicator datasets and rows, the case anchor, proposals, answers, settled households
  and members): *immutable*, and *lockable*: an action may take ``SELECT … FOR UPDATE`` on them (the
  lock a write on a case or a proposal takes), which PostgreSQL grants only with an UPDATE privilege —
  the application's role gets UPDATE (id), which no statement makes and the trigger refuses anyway,
  as for the register's person.

Every DELETE is refused, and on PostgreSQL every TRUNCATE.
"""

from __future__ import annotations

from django.db import models

from nir.register.db import AppendOnlyTable

SETTLEMENT_APPEND_ONLY_MESSAGE = "NIR settlement rows are append-only"


def settlement_append_only_tables() -> list[AppendOnlyTable]:
    from django.apps import apps

    from nir.settlement.models import RequestRound, Versioned

    out = []
    for model in apps.get_app_config("settlement").get_models():
        table = model._meta.db_table
        columns = tuple(f.column for f in model._meta.concrete_fields)
        if issubclass(model, Versioned):
            out.append(AppendOnlyTable(table, SETTLEMENT_APPEND_ONLY_MESSAGE, columns))
        elif model is RequestRound:
            sent_by = model._meta.get_field("sent_by_user")
            assert isinstance(sent_by, models.ForeignKey)
            once = ("sent_at", sent_by.column)
            out.append(AppendOnlyTable(table, SETTLEMENT_APPEND_ONLY_MESSAGE, columns, once=once))
        else:
            out.append(AppendOnlyTable(table, SETTLEMENT_APPEND_ONLY_MESSAGE, lockable=True))
    return out
