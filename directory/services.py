"""Writes for reference data: organizations and their aliases, carriers, sectors, and the holiday calendar."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version as package_version
from typing import IO

import chinese_calendar
import holidays
import opencc
from chinese_calendar import constants as chinese_calendar_constants
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.tree import tree_insert, tree_move
from directory.models import Carrier, Holiday, HolidayYear, Organization, OrganizationAlias, Region, Sector
from directory.signals import calendar_year_completed

# --- Lookup keys --------------------------------------------------------------------------------------------

_LEADING_THE = re.compile(r"^the\s+")


@functools.cache
def _t2s() -> opencc.OpenCC:
    # Loading the dictionaries takes a moment: once per process, and only when a key is first needed.
    return opencc.OpenCC("t2s")


def name_key(text: str) -> str:
    """The alias lookup key: 'H.K.U.S.T.', 'hkust' and 'HKUST' share one, as do 香港科技大學 and 香港科技大学."""
    text = unicodedata.normalize("NFKC", text or "")  # full-width letters and digits become ASCII
    text = _t2s().convert(text).casefold()
    # "&" carries meaning ("Science & Technology" = "Science and Technology"), unlike the rest of punctuation.
    text = _LEADING_THE.sub("", text.replace("&", " and ").strip())
    return "".join(ch for ch in text if ch.isalnum())


# --- Organizations ------------------------------------------------------------------------------------------

_NAME_FIELDS = ("name", "name_zh_hant", "name_en", "abbreviation")


def _names_of(organization: Organization) -> list[str]:
    return [value for field in _NAME_FIELDS if (value := getattr(organization, field).strip())]


def organization_check_aliases(*, organization: Organization | None, aliases: Iterable[str]) -> None:
    """Refuse aliases without letters or digits, and aliases that already name another organization."""
    by_key: dict[str, str] = {}
    for alias in aliases:
        key = name_key(alias)
        if not key:
            raise ApplicationError(
                _("“%(alias)s” has no letters or digits, so it cannot be looked up.") % {"alias": alias},
                field="alias",
            )
        by_key.setdefault(key, alias)
    taken = OrganizationAlias.objects.filter(key__in=by_key).select_related("organization")
    if organization is not None and organization.pk:
        taken = taken.exclude(organization=organization)
    clash = taken.order_by("key").first()
    if clash:
        raise ApplicationError(
            _(
                "“%(alias)s” is already an alias of %(organization)s. "
                "Use that organization, or remove the alias there."
            )
            % {"alias": by_key[clash.key], "organization": clash.organization},
            field="alias",
        )


def _register_aliases(organization: Organization, aliases: Iterable[str]) -> list[OrganizationAlias]:
    """Add the aliases the organization does not have yet (by key); return the rows created."""
    known = set(organization.aliases.values_list("key", flat=True))
    created = []
    for alias in aliases:
        alias = alias.strip()
        key = name_key(alias)
        if key in known:
            continue
        row = OrganizationAlias(organization=organization, alias=alias, key=key)
        row.full_clean()
        row.save()
        known.add(key)
        created.append(row)
    return created


def _refuse_parent_cycle(organization: Organization, parent: Organization | None) -> None:
    ancestor = parent
    while ancestor is not None:
        if ancestor.pk == organization.pk:
            raise ApplicationError(
                _("An organization cannot be placed under itself or one of its own units."), field="parent"
            )
        ancestor = ancestor.parent


@transaction.atomic
def organization_create(
    *,
    kind: str,
    name: str,
    name_zh_hant: str = "",
    name_en: str = "",
    abbreviation: str = "",
    region: str = Region.HONG_KONG,
    parent: Organization | None = None,
    is_channel: bool = False,
    website: str = "",
    aliases: Iterable[str] = (),
) -> Organization:
    """Create an organization; its names, its abbreviation and `aliases` all become lookup aliases."""
    organization = Organization(
        kind=kind,
        name=name.strip(),
        name_zh_hant=name_zh_hant.strip(),
        name_en=name_en.strip(),
        abbreviation=abbreviation.strip(),
        region=region,
        parent=parent,
        is_channel=is_channel,
        website=website,
    )
    organization.full_clean()
    all_aliases = [*_names_of(organization), *aliases]
    organization_check_aliases(organization=None, aliases=all_aliases)
    organization.save()
    _register_aliases(organization, all_aliases)
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, **fields: object) -> Organization:
    """Change an organization; aliases follow its names (a replaced name stops being an alias)."""
    # The caller may have changed the instance already (a ModelForm does): the stored row has the old names.
    stored = Organization.objects.select_for_update().get(pk=organization.pk)
    for field, value in fields.items():
        setattr(organization, field, value.strip() if isinstance(value, str) else value)
    organization.full_clean()
    _refuse_parent_cycle(organization, organization.parent)
    names = _names_of(organization)
    organization_check_aliases(organization=organization, aliases=names)
    organization.save()
    current_keys = {name_key(name) for name in names}
    dropped_keys = {name_key(name) for name in _names_of(stored)} - current_keys
    for row in organization.aliases.filter(key__in=dropped_keys):
        row.delete()
    _register_aliases(organization, names)
    return organization


@transaction.atomic
def organization_add_alias(*, organization: Organization, alias: str) -> OrganizationAlias:
    """Register another name the organization goes by; an alias it already has (by key) is returned as is."""
    organization_check_aliases(organization=organization, aliases=[alias])
    existing = organization.aliases.filter(key=name_key(alias)).first()
    return existing or _register_aliases(organization, [alias])[0]


@transaction.atomic
def organization_remove_alias(*, alias: OrganizationAlias) -> None:
    """Remove an alias; the organization's own names stay aliases as long as they are its names."""
    row = OrganizationAlias.objects.select_related("organization").filter(pk=alias.pk).first()
    if row is None:
        return  # already gone, e.g. replaced when a name changed in the same admin save
    if row.key in {name_key(name) for name in _names_of(row.organization)}:
        raise ApplicationError(
            _("“%(alias)s” is a name of %(organization)s. Change the name instead of removing the alias.")
            % {"alias": row.alias, "organization": row.organization},
            field="alias",
        )
    row.delete()


# --- Carriers -----------------------------------------------------------------------------------------------


def _refuse_sibling_name(carrier: Carrier, parent: Carrier | None) -> None:
    siblings = Carrier.objects.filter(parent=parent, name=carrier.name).exclude(pk=carrier.pk)
    if siblings.exists():
        raise ApplicationError(
            _("A carrier named “%(name)s” already exists there.") % {"name": carrier.name}, field="name"
        )


@transaction.atomic
def carrier_create(
    *,
    name: str,
    kind: str,
    parent: Carrier | None = None,
    name_zh_hant: str = "",
    name_en: str = "",
    abbreviation: str = "",
    is_active: bool = True,
) -> Carrier:
    """Create a carrier under `parent` (None makes a top-level carrier)."""
    carrier = Carrier(
        name=name.strip(),
        kind=kind,
        parent=parent,
        name_zh_hant=name_zh_hant.strip(),
        name_en=name_en.strip(),
        abbreviation=abbreviation.strip(),
        is_active=is_active,
    )
    carrier.full_clean(exclude=["path"])
    _refuse_sibling_name(carrier, parent)
    return tree_insert(carrier)


@transaction.atomic
def carrier_update(*, carrier: Carrier, parent: Carrier | None, **fields: object) -> Carrier:
    """Change a carrier's names, kind or active flag; move it with its subtree when the parent changed."""
    stored_parent_id = Carrier.objects.filter(pk=carrier.pk).values_list("parent_id", flat=True).get()
    for field, value in fields.items():
        setattr(carrier, field, value)
    carrier.parent_id = stored_parent_id
    carrier.full_clean(exclude=["path", "parent"])
    _refuse_sibling_name(carrier, parent)
    carrier.save()
    if (parent.pk if parent else None) != stored_parent_id:
        carrier = tree_move(carrier, parent)
    return carrier


# --- Sectors ------------------------------------------------------------------------------------------------


def _refuse_third_level(sector: Sector) -> None:
    parent = sector.parent
    if parent is None:
        return
    if parent.parent_id is not None or parent.pk == sector.pk:
        raise ApplicationError(_("A sub-sector must be placed under a top-level sector."), field="parent")
    if sector.pk and sector.children.exists():
        raise ApplicationError(
            _("“%(sector)s” has sub-sectors, so it must stay a top-level sector.") % {"sector": sector.name},
            field="parent",
        )


@transaction.atomic
def sector_create(
    *,
    code: str,
    name: str,
    group: str | None = None,
    parent: Sector | None = None,
    name_zh_hant: str = "",
    name_en: str = "",
) -> Sector:
    """Create a sector, or a sub-sector under a top-level one (which by default takes its parent's group)."""
    if group is None:
        if parent is None:
            raise ApplicationError(_("A top-level sector needs a group."), field="group")
        group = parent.group
    sector = Sector(
        code=code, name=name.strip(), group=group, parent=parent, name_zh_hant=name_zh_hant, name_en=name_en
    )
    sector.full_clean()
    _refuse_third_level(sector)
    sector.save()
    return sector


@transaction.atomic
def sector_update(*, sector: Sector, **fields: object) -> Sector:
    """Change a sector; sectors stay two levels deep."""
    for field, value in fields.items():
        setattr(sector, field, value)
    sector.full_clean()
    _refuse_third_level(sector)
    sector.save()
    return sector


# --- Working days -------------------------------------------------------------------------------------------

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WorkingDay:
    """A date reached by counting working days; provisional when the count crossed a year without calendar."""

    date: dt.date
    provisional: bool


def _counts_as_working(day: dt.date, kind: str | None) -> bool:
    if kind == Holiday.Kind.DAY_OFF:
        return False
    if kind == Holiday.Kind.WORKDAY:
        return True  # a 调休 make-up day, usually a Saturday or Sunday
    return day.weekday() < 5


def is_working_day(day: dt.date, region: str = Region.MAINLAND) -> bool:
    """Whether `day` is a working day in `region` (weekends only when its year has no complete calendar)."""
    if not HolidayYear.objects.filter(region=region, year=day.year).exists():
        return day.weekday() < 5
    kind = Holiday.objects.filter(region=region, date=day).values_list("kind", flat=True).first()
    return _counts_as_working(day, kind)


class WorkingCalendar:
    """One region's calendar held in memory: count many due dates with two queries in all.

    Holidays are a few dozen rows a year, so loading them whole is cheaper than one query per date counted."""

    def __init__(self, region: str = Region.MAINLAND) -> None:
        self.complete_years = set(HolidayYear.objects.filter(region=region).values_list("year", flat=True))
        self.exceptions = dict(Holiday.objects.filter(region=region).values_list("date", "kind"))

    def add(self, start: dt.date, days: int) -> WorkingDay:
        """The date `days` working days after `start` (`start` itself when days is 0)."""
        if days < 0:
            raise ApplicationError(_("The number of working days cannot be negative."), field="days")
        remaining, provisional, day = days, False, start
        while remaining:
            day += ONE_DAY
            complete = day.year in self.complete_years
            provisional = provisional or not complete
            if _counts_as_working(day, self.exceptions.get(day) if complete else None):
                remaining -= 1
        return WorkingDay(date=day, provisional=provisional)


def working_days_after(*, start: dt.date, days: int, region: str = Region.MAINLAND) -> WorkingDay:
    """The date `days` working days after `start` (`start` itself when days is 0)."""
    if days < 0:
        raise ApplicationError(_("The number of working days cannot be negative."), field="days")
    if days == 0:
        return WorkingDay(date=start, provisional=False)
    return WorkingCalendar(region).add(start, days)


# --- Holiday calendar ---------------------------------------------------------------------------------------


def _notify_year_completed(region: str, year: int) -> None:
    # After commit: receivers (projects) recompute due dates from rows other transactions must be able to see.
    transaction.on_commit(
        functools.partial(calendar_year_completed.send, sender=HolidayYear, region=region, year=year)
    )


def _put_day(existing: Holiday | None, *, region: str, day: dt.date, kind: str, name: str) -> str:
    """Create or update one calendar day; returns "created", "updated" or "unchanged"."""
    if existing is not None and existing.kind == kind and existing.name == name:
        return "unchanged"  # saving anyway would add a history row for nothing
    holiday = existing or Holiday(region=region, date=day)
    holiday.kind, holiday.name = kind, name
    holiday.full_clean()
    holiday.save()
    return "updated" if existing else "created"


def _mark_year(*, region: str, year: int, source: str) -> bool:
    """Record that the year's calendar is complete; returns whether anything changed."""
    row = HolidayYear.objects.filter(region=region, year=year).first()
    if row is not None and row.source == source:
        return False
    row = row or HolidayYear(region=region, year=year)
    row.source = source
    row.full_clean()
    row.save()
    return True


@transaction.atomic
def holiday_set(*, region: str, date: dt.date, kind: str, name: str = "") -> Holiday:
    """Make `date` a day off or a make-up workday in `region` (one row per region and date)."""
    existing = Holiday.objects.filter(region=region, date=date).first()
    _put_day(existing, region=region, day=date, kind=kind, name=name.strip())
    return Holiday.objects.get(region=region, date=date)


@transaction.atomic
def holiday_year_mark_complete(*, region: str, year: int, source: str = "") -> HolidayYear:
    """Declare a year's calendar complete: its dates stop being provisional, and listeners recompute."""
    _mark_year(region=region, year=year, source=source or _("entered by hand"))
    _notify_year_completed(region, year)
    return HolidayYear.objects.get(region=region, year=year)


def _package_calendar(region: str, year: int) -> tuple[dict[dt.date, tuple[str, str]], str]:
    """The official days of a year from the packages, as {date: (kind, name)}, and a source label."""
    days: dict[dt.date, tuple[str, str]]
    if region == Region.MAINLAND:
        days = {
            day: (Holiday.Kind.DAY_OFF, _chinese_holiday_name(name))
            for day, name in chinese_calendar.holidays.items()
            if day.year == year
        }
        if not days:
            raise ApplicationError(
                _(
                    "The chinese_calendar package (version %(version)s) has no mainland calendar for "
                    "%(year)s yet. Update the package once the State Council has published the year, or "
                    "import the year from a CSV file."
                )
                % {"version": package_version("chinesecalendar"), "year": year},
                field="year",
            )
        days.update(
            (day, (Holiday.Kind.WORKDAY, _chinese_holiday_name(name)))
            for day, name in chinese_calendar.workdays.items()
            if day.year == year
        )
        return days, f"chinese_calendar {package_version('chinesecalendar')}"
    if region == Region.HONG_KONG:
        hong_kong = holidays.HongKong(years=year, language="zh_HK")
        days = {day: (Holiday.Kind.DAY_OFF, name) for day, name in hong_kong.items()}
        return days, f"holidays {holidays.__version__}"
    raise ApplicationError(_("There is no holiday calendar for that region."), field="region")


def _chinese_holiday_name(english: str) -> str:
    # chinese_calendar names days in English; its enum knows the Chinese name staff expect to read.
    try:
        return chinese_calendar_constants.Holiday(english).chinese
    except ValueError:
        return english


@transaction.atomic
def holiday_year_load(*, region: str, year: int) -> int:
    """Load a year's official calendar from the packages; returns how many days were created or changed.

    Mainland years come from chinese_calendar, Hong Kong years from holidays. Days entered by hand that the
    package does not list are kept. Running it again changes nothing.
    """
    days, source = _package_calendar(region, year)
    existing = {holiday.date: holiday for holiday in Holiday.objects.filter(region=region, date__year=year)}
    changed = sum(
        _put_day(existing.get(day), region=region, day=day, kind=kind, name=name) != "unchanged"
        for day, (kind, name) in sorted(days.items())
    )
    if _mark_year(region=region, year=year, source=source) or changed:
        _notify_year_completed(region, year)
    return changed


@dataclass(frozen=True, slots=True)
class HolidayImportResult:
    created: int
    updated: int
    unchanged: int
    completed_years: tuple[tuple[str, int], ...] = ()


_CSV_COLUMNS = {
    "date": "date",
    "日期": "date",
    "region": "region",
    "地区": "region",
    "kind": "kind",
    "类型": "kind",
    "name": "name",
    "名称": "name",
}
_CSV_KINDS = {
    "day_off": Holiday.Kind.DAY_OFF,
    "休": Holiday.Kind.DAY_OFF,
    "workday": Holiday.Kind.WORKDAY,
    "班": Holiday.Kind.WORKDAY,
}
_CSV_REGIONS = {
    "cn": Region.MAINLAND,
    "内地": Region.MAINLAND,
    "hk": Region.HONG_KONG,
    "香港": Region.HONG_KONG,
}
_CSV_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_CSV_MAX_LISTED_ERRORS = 20
_CSV_NAME_MAX_LENGTH = 100  # Holiday.name


def _csv_text(file: IO[bytes] | IO[str]) -> str:
    data = file.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    # Excel on Chinese Windows saves "CSV" as GBK; "CSV UTF-8" starts with a byte-order mark.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ApplicationError(_("The file is not UTF-8 or GBK text. Save it as “CSV UTF-8” and try again."))


def _csv_date(value: str) -> dt.date | None:
    match = _CSV_DATE.match(value)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _csv_rows(text: str, region: str | None) -> list[tuple[str, dt.date, str, str]]:
    """Parse and check every row; raise one ApplicationError listing every bad row."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    columns = [_CSV_COLUMNS.get(cell.strip().lower()) for cell in header or []]
    required = {"date", "kind"} if region else {"date", "region", "kind"}
    if missing := sorted(required - set(columns)):
        raise ApplicationError(
            _("The first row must name the columns date, region, kind and name. Missing: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    rows: list[tuple[str, dt.date, str, str]] = []
    errors: list[dict[str, object]] = []
    first_seen: dict[tuple[str, dt.date], int] = {}
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        values = {column: cell.strip() for column, cell in zip(columns, cells, strict=False) if column}
        problems = []
        day = _csv_date(values.get("date", ""))
        if day is None:
            problems.append(
                _("“%(value)s” is not a date (write 2027-01-01).") % {"value": values.get("date", "")}
            )
        row_region = _CSV_REGIONS.get(values.get("region", "").lower()) if values.get("region") else region
        if row_region is None:
            problems.append(
                _("“%(value)s” is not a region (write CN or HK).") % {"value": values.get("region", "")}
            )
        elif region and row_region != region:
            problems.append(
                _("the row is for %(row_region)s, but this import is for %(region)s.")
                % {"row_region": Region(row_region).label, "region": Region(region).label}
            )
        kind = _CSV_KINDS.get(values.get("kind", "").lower())
        if kind is None:
            problems.append(
                _("“%(value)s” is not a kind (write day_off or 休, workday or 班).")
                % {"value": values.get("kind", "")}
            )
        name = values.get("name", "")
        if len(name) > _CSV_NAME_MAX_LENGTH:
            problems.append(_("the name is longer than 100 characters."))
        if (
            day is not None
            and row_region is not None
            and (earlier := first_seen.setdefault((row_region, day), line)) != line
        ):
            problems.append(_("the same day is already on row %(row)d.") % {"row": earlier})
        if problems:
            errors.extend({"row": line, "message": problem} for problem in problems)
        elif day is not None and row_region is not None and kind is not None:
            rows.append((row_region, day, kind, name))
    if errors:
        listed = [_("row %(row)d: %(message)s") % error for error in errors[:_CSV_MAX_LISTED_ERRORS]]
        if len(errors) > _CSV_MAX_LISTED_ERRORS:
            listed.append(_("and %(count)d more") % {"count": len(errors) - _CSV_MAX_LISTED_ERRORS})
        raise ApplicationError(
            _("Nothing was imported. Fix these rows and import the file again: %(errors)s")
            % {"errors": "; ".join(listed)},
            field="file",
            extra={"errors": errors},
        )
    if not rows:
        raise ApplicationError(_("The file has a header row but no days."), field="file")
    return rows


@transaction.atomic
def holiday_import_csv(
    *, file: IO[bytes] | IO[str], region: str | None = None, mark_complete: bool = False
) -> HolidayImportResult:
    """Import calendar days from CSV: all rows or none.

    Columns, after a header row, in UTF-8 or GBK: ``date,region,kind,name``. Date as 2027-01-01 or 2027/1/1;
    region CN or HK (may be empty when `region` is given; a row for another region is refused); kind
    ``day_off`` or 休, ``workday`` or 班; name optional. Existing days are updated. With `mark_complete`, every
    region and year that appears in the file is declared complete (see holiday_year_mark_complete).
    """
    rows = _csv_rows(_csv_text(file), region)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for row_region in {row[0] for row in rows}:
        dates = [row[1] for row in rows if row[0] == row_region]
        existing = {
            holiday.date: holiday
            for holiday in Holiday.objects.filter(region=row_region, date__range=(min(dates), max(dates)))
        }
        for _region, day, kind, name in (row for row in rows if row[0] == row_region):
            counts[_put_day(existing.get(day), region=row_region, day=day, kind=kind, name=name)] += 1
    completed: list[tuple[str, int]] = []
    if mark_complete:
        for row_region, year in sorted({(row[0], row[1].year) for row in rows}):
            _mark_year(region=row_region, year=year, source=_("CSV import"))
            _notify_year_completed(row_region, year)
            completed.append((row_region, year))
    return HolidayImportResult(**counts, completed_years=tuple(completed))
