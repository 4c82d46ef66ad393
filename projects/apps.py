from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Leads and projects")

    def ready(self) -> None:
        from core.imports import registry
        from directory.signals import calendar_year_completed
        from projects.contact_references import register_contact_references
        from projects.imports import LedgerImporter
        from projects.signals import recompute_provisional_due_dates

        register_contact_references()
        registry.register(LedgerImporter)

        calendar_year_completed.connect(
            recompute_provisional_due_dates, dispatch_uid="projects.recompute_due"
        )
