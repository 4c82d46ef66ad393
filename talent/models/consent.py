"""Consent as PDPO and PIPL ask for it: a versioned statement in three scripts, purposes ticked separately, every
grant and withdrawal kept as its own row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from talent.models.contacts import Contact


class ConsentText(models.Model):
    """One version of the personal information collection statement. A published version is never edited: a
    change is a new version, so every consent row says exactly what the person read."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    body_zh_hans = models.TextField(_("statement (Simplified Chinese)"))
    body_zh_hant = models.TextField(_("statement (Traditional Chinese)"))
    body_en = models.TextField(_("statement (English)"))
    published_on = models.DateField(_("published on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent statement")
        verbose_name_plural = _("consent statements")
        ordering = ["-published_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.version} ({self.published_on:%Y-%m-%d})"

    def body(self, language: str | None = None) -> str:
        language = (language or translation.get_language() or "zh-hans").lower()
        if language.startswith("en"):
            return self.body_en
        if language in {"zh-hant", "zh-hk", "zh-tw"}:
            return self.body_zh_hant
        return self.body_zh_hans


class Consent(models.Model):
    """A grant or a withdrawal, as recorded: the latest row for a person is their current consent."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Given")
        WITHDRAWAL = "withdrawal", _("Withdrawn")

    class Channel(models.TextChoices):
        QR_FORM = "qr_form", _("QR self-registration form")
        PAPER = "paper", _("Signed sign-in sheet")
        STAFF = "staff", _("Collected by staff (card or conversation)")
        IMPORT = "import", _("Import")
        EMAIL = "email", _("E-mail from the person")
        API = "api", _("API")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consents", verbose_name=_("contact")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GRANT)
    text = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, related_name="consents", verbose_name=_("statement version")
    )
    follow_up = models.BooleanField(_("follow-up contact"), default=False)
    mailings = models.BooleanField(_("event and news mailings"), default=False)
    sharing = models.BooleanField(_("sharing with Suzhou carriers"), default=False)
    mainland = models.BooleanField(_("processing on the mainland"), default=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    evidence = models.CharField(
        _("evidence"),
        max_length=200,
        blank=True,
        help_text=_("Form id, sheet photo reference or e-mail date."),
    )
    language = models.CharField(_("language shown"), max_length=8, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["contact", "-recorded_at", "-pk"]
        indexes = [
            # A person's current consent: their latest row.
            models.Index(fields=["contact", "-recorded_at", "-id"], name="consent_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} · {self.get_kind_display()} · {self.text.version}"

    def purposes(self) -> dict[str, bool]:
        return {
            "follow_up": self.follow_up,
            "mailings": self.mailings,
            "sharing": self.sharing,
            "mainland": self.mainland,
        }
