from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GrantsConfig(AppConfig):
    """Tilskudd: per-capita grants, payment rounds and statements (issue 20)."""

    name = "nir.grants"
    label = "grants"
    verbose_name = "Tilskudd"

    def ready(self) -> None:
        from nir.access.audit_labels import label_kind

        label_kind("grants", _audit_label)
        post_migrate.connect(_install_triggers, sender=self)


AUDIT_LABELS = {
    "statement": "Tilskuddsgrunnlag (termingrunnlag)",
    "round": "Beregning av tilskuddstermin",
    "approve": "Godkjenning av tilskuddstermin",
    "paid": "Utbetaling av tilskuddstermin registrert",
    "error-report": "Meld feil i tilskuddsgrunnlag",
    "error-answer": "Svar på feil i tilskuddsgrunnlag",
}


def _audit_label(ident: str) -> str:
    return AUDIT_LABELS.get(ident, f"Tilskudd ({ident})")


def _install_triggers(sender: AppConfig, using: str, **kwargs: Any) -> None:
    """After every migrate: an approved payment round is frozen (nir.grants.db)."""
    from nir.grants.db import install

    install(using)
