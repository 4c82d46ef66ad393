from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and units")

    def ready(self) -> None:
        from accounts.roles import sync_role_groups

        # Django creates permissions in its own post_migrate handler, after the migrations ran; the role groups
        # are therefore filled in post_migrate too (sync_role_groups creates any permissions still missing).
        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="accounts.sync_role_groups")
