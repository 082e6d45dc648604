from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "nir.reports"
    label = "reports"
    verbose_name = "Rapporter"
