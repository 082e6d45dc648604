from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReferenceConfig(AppConfig):
    name = "nir.reference"
    label = "reference"
    verbose_name = "Referansedata"

    def ready(self):
        post_migrate.connect(_load_after_migrate, sender=self)


def _load_after_migrate(sender, using, plan=None, **kwargs):
    # `nir migrate` on a fresh database yields a complete one: reference data
    # and code lists are loaded (idempotently) from the files in the repo. The access app,
    # later in INSTALLED_APPS, then loads the organisations derived from them.
    from nir.reference.loaders import load_all

    load_all(using=using)
