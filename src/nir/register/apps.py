from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class RegisterConfig(AppConfig):
    name = "nir.register"
    label = "register"
    verbose_name = "Registeret"

    def ready(self) -> None:
        post_migrate.connect(_install_triggers, sender=self)
        connection_created.connect(_fast_json_rows, dispatch_uid="nir.register.fast_json_rows")


def _install_triggers(sender: AppConfig, using: str, **kwargs: Any) -> None:
    from nir.register.db import install_append_only, register_append_only_tables

    install_append_only(using, register_append_only_tables())
    # the triggers that keep each person's current facts (a table rebuilt by a migration loses them)
    from nir.register import person_facts

    person_facts.install(using)


def _fast_json_rows(sender: type[BaseDatabaseWrapper], connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """PostgreSQL: parse ``json`` values (the register's reads send each row as ``row_to_json``,
    ``nir.register.snapshot_sql``) with orjson instead of the standard library: a fifth of the
    time of ``json.loads``, ~6 % of an API registration. Django's ``jsonb`` columns are not
    touched (Django loads them as text and parses them itself)."""
    if connection.vendor != "postgresql":
        return
    from nir.register.snapshot_sql import register_json_loader

    register_json_loader(connection.connection)
