from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentConfig(AppConfig):
    name = "talent"
    verbose_name = _("Talent and events")

    def ready(self) -> None:
        from core.imports import registry
        from talent.handlers import register_talent_handlers
        from talent.imports import SignInSheetImporter

        register_talent_handlers()
        registry.register(SignInSheetImporter)  # registering the same class again is harmless
