from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SettlementConfig(AppConfig):
    """Bosetting: the settlement system (need, request, municipal decisions, capacity, cases,
    mapping, proposals, agreements, settled) and its figures (issue 17)."""

    name = "nir.settlement"
    label = "settlement"
    verbose_name = "Bosetting"

    def ready(self) -> None:
        from nir.register.db import add_append_only_tables
        from nir.settlement.db import settlement_append_only_tables

        add_append_only_tables(settlement_append_only_tables)
        post_migrate.connect(_install_triggers, sender=self)


def _install_triggers(sender: AppConfig, using: str, **kwargs: Any) -> None:
    """After every migrate: the settlement tables' append-only triggers (nir.settlement.db)."""
    from nir.register.db import install_append_only
    from nir.settlement.db import settlement_append_only_tables

    install_append_only(using, settlement_append_only_tables())
