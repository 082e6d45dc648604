from django.apps import AppConfig


class GrantsConfig(AppConfig):
    """Tilskudd: per-capita grants, payment rounds and statements (issue 20)."""

    name = "nir.grants"
    label = "grants"
    verbose_name = "Tilskudd"
