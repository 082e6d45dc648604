from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "nir.reports"
    label = "reports"
    verbose_name = "Rapporter"

    def ready(self):
        from nir.access.audit_labels import label_kind
        from nir.reports import registry

        def report_label(report_id: str) -> str:
            d = registry.REPORTS.get(report_id)
            return f"Rapport: {d.title}" if d else f"Rapport {report_id}"

        label_kind("report", report_label)  # the audit log's «what» of a report (``report:ID``)
