from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from projects.models import CapitalInjection, Lead, Signing, StageChange
        from reporting.cache import invalidate

        # Every write that can move a report figure starts a new cache generation (reporting.cache).
        for model in (StageChange, Lead, Signing, CapitalInjection):
            post_save.connect(invalidate, sender=model, dispatch_uid=f"reporting-{model.__name__}-save")
            post_delete.connect(invalidate, sender=model, dispatch_uid=f"reporting-{model.__name__}-delete")
        m2m_changed.connect(invalidate, sender=Lead.co_owners.through, dispatch_uid="reporting-co-owners")
