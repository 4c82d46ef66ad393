from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and units")

    def ready(self) -> None:
        # The API's security scheme registers itself with drf-spectacular on import.
        import accounts.api.schema  # noqa: F401
        from accounts.roles import sync_role_groups
        from accounts.signals import revoke_credentials_of_inactive_user

        # Django creates permissions in its own post_migrate handler, after the migrations ran; the role groups
        # are therefore filled in post_migrate too (sync_role_groups creates any permissions still missing).
        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="accounts.sync_role_groups")
        post_save.connect(
            revoke_credentials_of_inactive_user,
            sender=self.get_model("User"),
            dispatch_uid="accounts.revoke_credentials_of_inactive_user",
        )
        self._connect_sign_in_events()

    @staticmethod
    def _connect_sign_in_events() -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth import signals

        from accounts import authlog
        from accounts.middleware import stamp_sign_in

        signals.user_logged_in.connect(stamp_sign_in, dispatch_uid="accounts.stamp_sign_in")
        signals.user_logged_in.connect(authlog.logged_in, dispatch_uid="accounts.log_logged_in")
        signals.user_logged_out.connect(authlog.logged_out, dispatch_uid="accounts.log_logged_out")
        signals.user_login_failed.connect(authlog.login_failed, dispatch_uid="accounts.log_login_failed")
        user_locked_out.connect(authlog.locked_out, dispatch_uid="accounts.log_locked_out")
