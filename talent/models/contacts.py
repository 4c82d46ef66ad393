"""People met through the pipeline, how to reach them, where they work, and the keys that find them again."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.models import Organization


class Residency(models.TextChoices):
    """Drives the talent pass's visa and settlement lines. The category only: never an ID number."""

    HK_PERMANENT = "hk_permanent", _("Hong Kong permanent resident (Chinese citizen)")
    HK_NON_PERMANENT = "hk_non_permanent", _("Hong Kong non-permanent resident")
    FOREIGN_IN_HK = "foreign_in_hk", _("Foreign national in Hong Kong")
    MAINLAND_IN_HK = "mainland_in_hk", _("Mainland-born, working in Hong Kong")
    OTHER = "other", _("Other")


class Interest(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PART_TIME = "part_time", _("Part-time")
    PROJECT = "project", _("Project collaboration")
    FOUND = "found", _("Start a company")
    INVEST = "invest", _("Invest")
    EXPLORING = "exploring", _("Just exploring")


class Purpose(models.TextChoices):
    """What a person may consent to, each separately (PIPL asks for separate consent to share)."""

    FOLLOW_UP = "follow_up", _("Follow-up contact")
    MAILINGS = "mailings", _("Event and news mailings")
    SHARING = "sharing", _("Sharing with Suzhou carriers and partner departments")
    MAINLAND = "mainland", _("Storage and processing on the mainland")


class Contact(models.Model):
    """A person met through the pipeline: a PI, founder, team member or talent."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("contact status", "Active")
        MERGED = "merged", _("Merged into another contact")
        ERASED = "erased", _("Erased")

    class Language(models.TextChoices):
        CANTONESE = "yue", _("Cantonese")
        MANDARIN = "cmn", _("Mandarin")
        ENGLISH = "en", _("English")

    class Script(models.TextChoices):
        TRADITIONAL = "hant", _("Traditional Chinese")
        SIMPLIFIED = "hans", _("Simplified Chinese")
        LATIN = "latn", _("English")

    name = models.CharField(_("name"), max_length=100, help_text=_("As the person writes it."))
    name_simplified = models.CharField(
        _("name (Simplified Chinese)"), max_length=100, blank=True, editable=False
    )
    name_romanized = models.CharField(
        _("romanized name"), max_length=100, blank=True, help_text=_("As on the person's card: CHAN Tai Man.")
    )
    english_name = models.CharField(_("English given name"), max_length=60, blank=True, help_text=_("Peter"))
    title = models.CharField(
        _("title"), max_length=60, blank=True, help_text=_("Prof, Dr, Ir, JP … shown, not used for matching.")
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        help_text=_("Where the person works now; earlier places are affiliations."),
    )
    position = models.CharField(_("position"), max_length=120, blank=True)
    highest_degree = models.CharField(_("highest degree and institution"), max_length=200, blank=True)
    research_field = models.CharField(_("research field"), max_length=200, blank=True)
    interests = models.JSONField(_("interests"), default=list, blank=True)
    residency = models.CharField(
        _("residency category"), max_length=20, choices=Residency.choices, blank=True
    )
    linkedin_url = models.URLField(_("LinkedIn"), blank=True)
    wecom_user_id = models.CharField(
        _("WeCom user id"),
        max_length=64,
        blank=True,
        help_text=_("For staff-side contacts reached through WeCom."),
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=3, choices=Language.choices, blank=True
    )
    preferred_script = models.CharField(
        _("preferred script"), max_length=4, choices=Script.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    # The current consent, kept in step with the latest Consent row by the consent services: lists filter on it.
    consent_follow_up = models.BooleanField(_("consents to follow-up"), default=False, editable=False)
    consent_mailings = models.BooleanField(_("consents to mailings"), default=False, editable=False)
    consent_sharing = models.BooleanField(_("consents to sharing"), default=False, editable=False)
    consent_mainland = models.BooleanField(
        _("consents to mainland processing"), default=False, editable=False
    )
    consent_recorded_at = models.DateTimeField(_("consent recorded"), null=True, blank=True, editable=False)

    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE, editable=False
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        editable=False,
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "pk"]
        permissions = [
            ("view_personal_data", _("Can see phone numbers and e-mail addresses")),
            ("view_all_contacts", _("Can see contacts beyond the events one is assigned to")),
            ("merge_contact", _("Can merge contacts and undo merges")),
            ("manage_personal_data", _("Can export and erase a person's data")),
        ]
        indexes = [
            # The retention task: active contacts not touched since a cutoff.
            models.Index(fields=["status", "updated_at"], name="contact_status_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="merged", merged_into__isnull=False)
                | (~models.Q(status="merged") & models.Q(merged_into__isnull=True)),
                name="contact_merged_has_target",
            )
        ]

    def __str__(self) -> str:
        if self.status == self.Status.ERASED:
            return gettext("Erased person #%(pk)s") % {"pk": self.pk}
        if self.english_name and not self.name.lower().startswith(self.english_name.lower()):
            return f"{self.name} ({self.english_name})"
        return self.name

    def consents_to(self, purpose: str) -> bool:
        return bool(getattr(self, f"consent_{purpose}"))


class ContactChannel(models.Model):
    """One way to reach a person: a phone in E.164 (the input kept as typed), an e-mail, a WeChat ID."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat ID")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="channels", verbose_name=_("contact")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    value = models.CharField(
        _("value"),
        max_length=254,
        help_text=_("Phones in E.164, e-mails in lower case: what matching compares."),
    )
    raw = models.CharField(_("as entered"), max_length=254, blank=True)
    label = models.CharField(
        _("label"), max_length=40, blank=True, help_text=_("mobile, office, mainland SIM …")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact channel")
        verbose_name_plural = _("contact channels")
        ordering = ["contact", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "kind", "value"], name="channel_once_per_contact"),
        ]
        indexes = [
            # Identity matching: other people holding the same phone, e-mail or WeChat ID.
            models.Index(fields=["kind", "value"], name="channel_kind_value"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Affiliation(models.Model):
    """Where a person worked and when: people move between universities and InnoHK labs."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="affiliations", verbose_name=_("contact")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="affiliations", verbose_name=_("organization")
    )
    department = models.CharField(_("department or lab"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=120, blank=True)
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        ordering = ["contact", "-started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="affiliation_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.organization}"


class ContactMatchKey(models.Model):
    """A name key of a contact (see talent.identity.match_keys), rewritten whenever the contact is saved, so that
    matching one person against hundreds of thousands reads an index instead of every row."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="match_keys")
    key = models.CharField(max_length=120)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "key"], name="match_key_once_per_contact")]
        indexes = [
            # Identity matching: the contacts sharing any of a person's keys.
            models.Index(fields=["key", "contact"], name="match_key_lookup"),
        ]

    def __str__(self) -> str:
        return self.key
