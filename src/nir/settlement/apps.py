from django.apps import AppConfig


class SettlementConfig(AppConfig):
    """Bosetting: the settlement system (need, request, municipal decisions, capacity, cases,
    mapping, proposals, agreements, settled) and its figures (issue 17)."""

    name = "nir.settlement"
    label = "settlement"
    verbose_name = "Bosetting"
