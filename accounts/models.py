from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.tree import TreeNode


class User(AbstractUser):
    wecom_userid = models.CharField(
        _("WeCom user id"), max_length=64, blank=True, help_text=_("Used to send WeCom application messages.")
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        # Chinese names are written surname first, with no space.
        if any("\u4e00" <= ch <= "\u9fff" for ch in self.last_name + self.first_name):
            return f"{self.last_name}{self.first_name}"
        return super().get_full_name()

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class Unit(TreeNode):
    """A section of the bureau or a carrier team. Membership grants scope; heads and managers see the subtree."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("Bureau")
        SECTION = "section", _("Section")
        OFFICE = "office", _("Resident office")
        CARRIER_TEAM = "carrier_team", _("Carrier team")

    name = models.CharField(_("name (Simplified Chinese)"), max_length=100)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SECTION)
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="UnitMembership", related_name="units", verbose_name=_("members")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class UnitMembership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", pgettext_lazy("role in a unit", "Member")
        HEAD = "head", pgettext_lazy("role in a unit", "Head")
        MANAGER = "manager", pgettext_lazy("role in a unit", "Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    role = models.CharField(_("role in unit"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="membership_one_per_user_unit"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(role="head"), name="membership_one_head_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A credential for `Authorization: Token <secret>`. Only the secret's SHA-256 is stored: a leaked database
    or backup holds no usable token. Tokens are issued and revoked (deleted), never edited, so they carry no
    history; issuing and revoking are logged instead (logger "accounts.auth")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    # A salt or a slow hash buys nothing here: the secret is 256 random bits, not a password to guess.
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        _("prefix"),
        max_length=8,
        editable=False,
        help_text=_("The first characters of the token, to recognize it."),
    )
    label = models.CharField(
        _("label"),
        max_length=100,
        blank=True,
        help_text=_("What the token is for, e.g. the script using it."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        # The admin's search by prefix (someone reads a token's first characters out from a script or a log).
        indexes = [models.Index(fields=["prefix"], name="apitoken_prefix_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.label}".strip()


class UserSession(AbstractBaseSession):
    """Django's database session with the signed-in user's id in a column of its own, so that deactivating a
    user deletes their sessions with one indexed DELETE (accounts.sessions fills the column)."""

    # No database constraint: a session saved by a request that raced the user's deletion must not fail with
    # an IntegrityError (SessionStore.create() retries on that forever). Deleting a user still deletes the
    # rows (Django cascades in Python), and a session naming a missing user authenticates nobody.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="sessions",
        verbose_name=_("user"),
    )

    class Meta:
        verbose_name = _("sign-in session")
        verbose_name_plural = _("sign-in sessions")

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore
