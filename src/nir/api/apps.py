from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "nir.api"
    label = "api"
    verbose_name = "API"
