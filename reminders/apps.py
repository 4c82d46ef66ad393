from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        from projects.events import leads_reassigned, milestones_resolved
        from reminders import checks, receivers  # noqa: F401 - registers the system checks
        from talent.references import register_eraser
        from talent.signals import consent_withdrawn

        milestones_resolved.connect(receivers.cancel_for_milestones, dispatch_uid="reminders-milestones")
        leads_reassigned.connect(receivers.cancel_for_leads, dispatch_uid="reminders-leads")
        consent_withdrawn.connect(receivers.cancel_for_withdrawn_consent, dispatch_uid="reminders-consent")
        register_eraser(receivers.erase_talent_names)
