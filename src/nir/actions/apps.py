from django.apps import AppConfig


class ActionsConfig(AppConfig):
    """The action layer (no models): installed for its commands, ``nir import`` and ``nir rules``,
    which write through the actions."""

    name = "nir.actions"
    label = "actions"
    verbose_name = "Handlinger"
