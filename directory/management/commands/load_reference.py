"""Load the seed reference data and the official holiday calendars. Running it again only adds what is missing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from directory import reference, services
from directory.models import Carrier, Holiday, HolidayYear, Organization, OrganizationAlias, Region, Sector
from directory.selectors import organization_lookup


class Command(BaseCommand):
    help = "Load organizations, carriers, sectors and holiday calendars (idempotent)."

    def handle(self, *args, **options) -> None:
        self._new_aliases = self._new_days = 0
        try:
            with transaction.atomic():
                new_organizations = sum(self._organization(entry) for entry in reference.ORGANIZATIONS)
                new_carriers = sum(self._carrier(entry, parent=None) for entry in reference.CARRIERS)
                new_sectors = sum(self._sector(entry, parent=None) for entry in reference.SECTORS)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self._report(Organization._meta.verbose_name_plural, Organization.objects.count(), new_organizations)
        self._report(
            OrganizationAlias._meta.verbose_name_plural, OrganizationAlias.objects.count(), self._new_aliases
        )
        self._report(Carrier._meta.verbose_name_plural, Carrier.objects.count(), new_carriers)
        self._report(Sector._meta.verbose_name_plural, Sector.objects.count(), new_sectors)
        for region, years in reference.CALENDAR_YEARS.items():
            for year in years:
                self._calendar_year(region, year)
        self._report(Holiday._meta.verbose_name_plural, Holiday.objects.count(), self._new_days)
        self._report(HolidayYear._meta.verbose_name_plural, HolidayYear.objects.count(), None)

    def _report(self, label, total: int, new: int | None) -> None:
        line = f"{capfirst(label)}: {total}"
        if new is not None:
            line += " " + _("(%(count)d new)") % {"count": new}
        self.stdout.write(line)

    def _organization(self, entry: dict) -> int:
        """Create the organization unless one of its names already resolves; add any missing seed alias."""
        data = {key: value for key, value in entry.items() if key not in {"aliases", "parent"}}
        names = [data.get(field, "") for field in ("abbreviation", "name", "name_en", "name_zh_hant")]
        aliases = [*filter(None, names), *entry.get("aliases", [])]
        existing = next(filter(None, (organization_lookup(name) for name in names if name)), None)
        if existing is not None:
            # Names an officer has changed since stay changed; only seed aliases the row lacks are added.
            known = set(existing.aliases.values_list("key", flat=True))
            for alias in aliases:
                if services.name_key(alias) not in known:
                    services.organization_add_alias(organization=existing, alias=alias)
                    known.add(services.name_key(alias))
                    self._new_aliases += 1
            return 0
        parent = organization_lookup(entry["parent"]) if entry.get("parent") else None
        if entry.get("parent") and parent is None:
            raise CommandError(f"Reference data lists {entry['parent']!r} as a parent before defining it.")
        organization = services.organization_create(**data, parent=parent, aliases=entry.get("aliases", []))
        self._new_aliases += organization.aliases.count()
        return 1

    def _carrier(self, entry: dict, *, parent: Carrier | None) -> int:
        data = {key: value for key, value in entry.items() if key != "children"}
        carrier = Carrier.objects.filter(parent=parent, name=data["name"]).first()
        created = 0
        if carrier is None:
            carrier = services.carrier_create(**data, parent=parent)
            created = 1
        return created + sum(self._carrier(child, parent=carrier) for child in entry.get("children", []))

    def _sector(self, entry: dict, *, parent: Sector | None) -> int:
        data = {key: value for key, value in entry.items() if key != "children"}
        sector = Sector.objects.filter(code=data["code"]).first()
        created = 0
        if sector is None:
            sector = services.sector_create(**data, parent=parent)
            created = 1
        return created + sum(self._sector(child, parent=sector) for child in entry.get("children", []))

    def _calendar_year(self, region: str, year: int) -> None:
        try:
            self._new_days += services.holiday_year_load(region=region, year=year)
        except ApplicationError as error:
            # A package without the year yet is expected (chinese_calendar lags a year): note it and go on.
            self.stdout.write(
                _("Skipped the %(region)s calendar for %(year)d: %(reason)s")
                % {"region": Region(region).label, "year": year, "reason": error.message}
            )
