from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentConfig(AppConfig):
    name = "talent"
    verbose_name = _("Talent and events")

    def ready(self) -> None:
        from talent.handlers import register_talent_handlers

        register_talent_handlers()
