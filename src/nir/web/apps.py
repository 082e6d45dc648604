from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WebConfig(AppConfig):
    name = "nir.web"
    label = "web"
    verbose_name = "Webapplikasjon"

    def ready(self):
        post_migrate.connect(_load_help_texts, sender=self, dispatch_uid="nir.web.help_texts")


def _load_help_texts(sender, using="default", **kwargs):
    from nir.web.help import load_defaults

    load_defaults()
