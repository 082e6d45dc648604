from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "nir.access"
    label = "access"
    verbose_name = "Tilgang"
