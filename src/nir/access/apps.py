from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "nir.access"
    label = "access"
    verbose_name = "Tilgang"

    def ready(self):
        post_migrate.connect(_install_audit_triggers, sender=self)


def _install_audit_triggers(sender, using, **kwargs):
    from nir.access.db import install_audit_triggers

    install_audit_triggers(using)
