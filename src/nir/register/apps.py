from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegisterConfig(AppConfig):
    name = "nir.register"
    label = "register"
    verbose_name = "Registeret"

    def ready(self):
        post_migrate.connect(_install_triggers, sender=self)


def _install_triggers(sender, using, **kwargs):
    from nir.register.db import install_append_only_triggers

    install_append_only_triggers(using)
