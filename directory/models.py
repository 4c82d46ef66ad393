from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.tree import TreeNode


class Region(models.TextChoices):
    HONG_KONG = "HK", _("Hong Kong")
    MAINLAND = "CN", _("Mainland China")
    OTHER = "OT", _("Elsewhere")


class Organization(models.Model):
    """A university, lab, company, public body or association. Each name it goes by is an OrganizationAlias."""

    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University")
        UNIVERSITY_UNIT = "university_unit", _("University department or institute")
        INNOHK_CENTRE = "innohk_centre", _("InnoHK centre")
        RESEARCH_INSTITUTE = "research_institute", _("Research institute")
        GOVERNMENT = "government", _("Government body")
        PUBLIC_PLATFORM = "public_platform", _("Public platform")
        COMPANY = "company", _("Company")
        INVESTOR = "investor", _("Investor")
        ASSOCIATION = "association", _("Association or chamber")
        COMPETING_LOCATION = "competing_location", _("Competing location")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    region = models.CharField(_("region"), max_length=2, choices=Region.choices, default=Region.HONG_KONG)
    name = models.CharField(_("name (Simplified Chinese)"), max_length=200)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_channel = models.BooleanField(
        _("channel or introducer"),
        default=False,
        help_text=_("Associations, tech-transfer offices, chambers."),
    )
    website = models.URLField(_("website"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name


class OrganizationAlias(models.Model):
    """One name an organization goes by, as written, with its lookup key (see directory.services)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("organization")
    )
    alias = models.CharField(_("alias"), max_length=255)
    # One name resolves to one organization: a key may not belong to two. directory.services refuses it with a
    # readable message first; the constraint catches two officers adding the same alias at once. unique=True
    # (not a Meta constraint) also gives PostgreSQL the varchar_pattern_ops index that serves the prefix
    # search of organization autocomplete, besides the exact lookups.
    key = models.CharField(_("lookup key"), max_length=255, editable=False, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organization alias")
        verbose_name_plural = _("organization aliases")

    def __str__(self) -> str:
        return self.alias


class Carrier(TreeNode):
    """A Suzhou landing place: a district, park, zone, platform or building, nested."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District or development zone")
        PARK = "park", _("Park")
        SCIENCE_CITY = "science_city", _("Science city or innovation belt")
        PLATFORM = "platform", _("Platform or institute")
        BUILDING = "building", _("Building")

    name = models.CharField(_("name (Simplified Chinese)"), max_length=200)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name


class Sector(models.Model):
    """Two levels: a sector (parent empty) and its sub-sectors."""

    class Group(models.TextChoices):
        BRIEF = "brief", _("Priority sector of the brief")
        PILLAR = "pillar", _("Suzhou pillar industry")
        EMERGING = "emerging", _("Strategic emerging industry")
        FUTURE = "future", _("Future industry")
        PLAN15 = "plan15", _("15th Five-Year Plan addition")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent sector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    name = models.CharField(_("name (Simplified Chinese)"), max_length=100)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["parent_id", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class Holiday(models.Model):
    """A day that breaks the Monday–Friday rule: a public holiday, or a weekend made a workday (调休)."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WORKDAY = "workday", _("Make-up workday")

    region = models.CharField(_("region"), max_length=2, choices=Region.choices[:2])
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("holiday calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["region", "date"]
        constraints = [models.UniqueConstraint(fields=["region", "date"], name="holiday_one_per_region_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_region_display()} {self.get_kind_display()} {self.name}".strip()


class HolidayYear(models.Model):
    """Marks a year whose calendar is complete for a region. Dates in a year without a row are provisional."""

    region = models.CharField(_("region"), max_length=2, choices=Region.choices[:2])
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("source"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["region", "-year"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="holiday_year_one_per_region")]

    def __str__(self) -> str:
        return f"{self.year} {self.get_region_display()}"
