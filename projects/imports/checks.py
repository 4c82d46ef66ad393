"""Reading one ledger row: each cell parsed and resolved, the row's problems listed, and what registering it needs
kept for the commit."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import opencc
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from core.imports.reading import Column, SourceRow
from core.imports.values import CellError, parse_amount, parse_date, text
from core.money import Currency
from directory.services import name_key
from projects.imports.columns import (
    CHANNEL_WORDS,
    COLUMN,
    FORMULA_STARTS,
    LEAD_TYPE_WORDS,
    NAME_MAX,
    STAGE_WORDS,
)
from projects.imports.lookups import Lookups
from projects.models import LeadType, SourceChannel
from projects.stages import FIRST_STAGE, TRACK_STAGES, Stage, Track
from projects.validators import validate_hk_company_number, validate_uscc


@dataclass
class Row:
    """One ledger row read and resolved; `messages` holds its errors."""

    number: int
    messages: list[str] = field(default_factory=list)
    name: str = ""
    organization_id: int | None = None
    lead_type: str = ""
    stage: str = ""
    stage_on: dt.date | None = None
    registered_on: dt.date | None = None
    uscc: str = ""
    hk_company_number: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def name_key(self) -> str:
        return name_key(self.name)

    @property
    def key(self) -> str:
        if self.uscc:
            return f"uscc:{self.uscc}"
        if self.hk_company_number:
            return f"hkcr:{self.hk_company_number}"
        if self.organization_id and self.name_key:
            return f"org:{self.organization_id}:{self.name_key}"
        return ""


def read_row(source: SourceRow, lookups: Lookups) -> Row:
    values = source.values
    row = Row(number=source.number)
    problems = row.messages
    row.name = text(values.get("name"))
    if not row.name:
        problems.append(_("The project name is empty."))
    elif row.name.startswith(FORMULA_STARTS):
        problems.append(
            _("The project name “%(name)s” looks like a spreadsheet formula; type the name itself.")
            % {"name": row.name}
        )
    elif len(row.name) > NAME_MAX:
        problems.append(_("The project name is longer than %(max)d characters.") % {"max": NAME_MAX})

    organization = text(values.get("organization"))
    row.organization_id = lookups.organizations.get(name_key(organization))
    if not organization:
        problems.append(_("The Hong Kong organization is empty."))
    elif row.organization_id is None:
        problems.append(
            _(
                "The organization “%(name)s” is not in the directory: add it, or this name as its alias, first."
            )
            % {"name": organization}
        )

    _read_type_and_stage(row, values, lookups)
    sector_id = _read_sector(row, values, lookups)
    _read_dates(row, values)
    owner, unit = _read_owner_and_unit(row, values, lookups)
    amount, currency = _read_amount(row, values)
    _read_numbers(row, values)
    channel = _read_channel(row, values, lookups)
    if problems or owner is None or unit is None:  # without problems both were found
        return row
    names = {"name": row.name}
    simplified = _t2s().convert(row.name)
    if simplified != row.name:
        # The ledger wrote it in Traditional characters: keep them as the team's own name.
        names = {"name": simplified, "name_zh_hant": row.name}
    row.data = {
        **names,
        "lead_type": row.lead_type,
        "hk_organization": row.organization_id,
        "sector": sector_id,
        "owner": owner.pk,
        "owning_unit": unit.pk,
        "source_channel": channel,
        "expected_investment": str(amount) if amount is not None else None,
        "expected_investment_currency": currency,
        "uscc": row.uscc,
        "hk_company_number": row.hk_company_number,
        "description": text(values.get("notes")),
        "registered_on": row.stage_on.isoformat() if row.stage == Stage.REGISTERED and row.stage_on else None,
        "created_on": row.registered_on.isoformat() if row.registered_on else None,
        "moves": [[row.stage, row.stage_on.isoformat()]] if row.stage_on and _is_move(row) else [],
    }
    return row


def _read_type_and_stage(row: Row, values: dict[str, Any], lookups: Lookups) -> None:
    written_type = text(values.get("lead_type"))
    type_names = "、".join(words[0] for words in LEAD_TYPE_WORDS.values() if words[0] != "人才")
    row.lead_type = _lookup(lookups.lead_types, written_type) or ""
    if not written_type:
        row.messages.append(_("The lead type is empty: write one of %(types)s.") % {"types": type_names})
    elif row.lead_type == LeadType.TALENT:
        row.messages.append(
            _(
                "Talent leads are not imported from the ledger: a talent lead needs the person as a contact. "
                "Register it from the lead form once the person is in the contacts."
            )
        )
        return
    elif not row.lead_type:
        row.messages.append(
            _("The lead type “%(type)s” is unknown: write one of %(types)s.")
            % {"type": written_type, "types": type_names}
        )
    written_stage = text(values.get("stage"))
    stage = _lookup(lookups.stages, written_stage) if written_stage else FIRST_STAGE[Track.ORGANIZATION]
    if stage is None or stage not in TRACK_STAGES[Track.ORGANIZATION]:
        known = "、".join(words[0] for words in STAGE_WORDS.values())
        row.messages.append(
            _("The stage “%(stage)s” is unknown: write one of %(stages)s.")
            % {"stage": written_stage, "stages": known}
        )
        return
    row.stage = stage


def _read_sector(row: Row, values: dict[str, Any], lookups: Lookups) -> int | None:
    written = text(values.get("sector"))
    if not written:
        return None
    found = lookups.sectors.get(name_key(written), set())
    if len(found) != 1:
        message = (
            _("The sector “%(sector)s” is not in the sector list.")
            if not found
            else _("“%(sector)s” names more than one sector: write the sector's full name.")
        )
        row.messages.append(message % {"sector": written})
        return None
    return next(iter(found))


def _read_dates(row: Row, values: dict[str, Any]) -> None:
    today = timezone.localdate()
    dates: dict[str, dt.date | None] = {"stage_date": None, "first_contact": None}
    unreadable = False
    for key in dates:
        if not text(values.get(key)):
            continue
        try:
            day = parse_date(values[key])
        except CellError as error:
            row.messages.append(_cell_problem(COLUMN[key], error.message))
            unreadable = True
            continue
        if day > today:
            row.messages.append(
                _cell_problem(COLUMN[key], _("%(date)s is in the future.") % {"date": day.isoformat()})
            )
            unreadable = True
            continue
        dates[key] = day
    row.stage_on, first_contact = dates["stage_date"], dates["first_contact"]
    if row.stage and _is_move(row) and row.stage_on is None and not unreadable:
        row.messages.append(
            _("Give the date the lead reached “%(stage)s” in the stage date column.")
            % {"stage": Stage(row.stage).label}
        )
    if first_contact and row.stage_on and first_contact > row.stage_on:
        row.messages.append(
            _("The first contact (%(first)s) is after the stage date (%(stage)s).")
            % {"first": first_contact.isoformat(), "stage": row.stage_on.isoformat()}
        )
    row.registered_on = first_contact or row.stage_on


def _read_owner_and_unit(
    row: Row, values: dict[str, Any], lookups: Lookups
) -> tuple[User | None, Unit | None]:
    written = text(values.get("owner"))
    owner: User | None = lookups.actor
    if written:
        owner = lookups.usernames.get(written.casefold())
        if owner is None:
            same_name = lookups.full_names.get(name_key(written), [])
            owner = same_name[0] if len(same_name) == 1 else None
            if len(same_name) > 1:
                row.messages.append(
                    _("Several users are called “%(name)s”: write the owner's username.") % {"name": written}
                )
                return None, None
        if owner is None:
            row.messages.append(
                _("No active user is called “%(name)s”: write the owner's username or full name.")
                % {"name": written}
            )
            return None, None
    assert owner is not None
    if lookups.unit_missing:
        row.messages.append(_("The owning unit chosen for this import no longer exists."))
        return owner, None
    unit = lookups.unit
    if unit is None:
        units = lookups.units_of.get(owner.pk, [])
        if len(units) != 1:
            row.messages.append(
                _("%(owner)s is not a member of any unit: choose the owning unit when uploading the file.")
                % {"owner": owner}
                if not units
                else _("%(owner)s belongs to several units: choose the owning unit when uploading the file.")
                % {"owner": owner}
            )
            return owner, None
        unit = units[0]
    if problem := lookups.ownership_problem(owner, unit):
        row.messages.append(problem)
        return owner, None
    return owner, unit


def _read_amount(row: Row, values: dict[str, Any]) -> tuple[Any, str]:
    if not text(values.get("investment")):
        return None, Currency.CNY
    try:
        amount, currency = parse_amount(values["investment"])
    except CellError as error:
        row.messages.append(_cell_problem(COLUMN["investment"], error.message))
        return None, Currency.CNY
    if currency not in Currency.values:
        row.messages.append(
            _cell_problem(
                COLUMN["investment"],
                _("amounts in %(currency)s cannot be recorded.") % {"currency": currency},
            )
        )
    return amount, currency


def _read_numbers(row: Row, values: dict[str, Any]) -> None:
    row.uscc = text(values.get("uscc")).replace(" ", "").upper()
    number = values.get("hk_company_number")
    row.hk_company_number = text(number).replace(" ", "")
    if isinstance(number, int | float) and row.hk_company_number.isdigit():
        # A number cell drops the leading zeros of a 7-digit registration number.
        row.hk_company_number = row.hk_company_number.zfill(7)
    for value, validate in (
        (row.uscc, validate_uscc),
        (row.hk_company_number, validate_hk_company_number),
    ):
        if not value:
            continue
        try:
            validate(value)
        except ValidationError as error:
            row.messages.extend(error.messages)


def _read_channel(row: Row, values: dict[str, Any], lookups: Lookups) -> str:
    written = text(values.get("source_channel"))
    if not written:
        return SourceChannel.OTHER  # most ledgers do not say; "other" is the list's own catch-all
    channel = _lookup(lookups.channels, written)
    if channel is None:
        known = "、".join(words[0] for words in CHANNEL_WORDS.values())
        row.messages.append(
            _("The source channel “%(channel)s” is unknown: write one of %(channels)s.")
            % {"channel": written, "channels": known}
        )
        return ""
    return channel


def _lookup(keys: dict[str, str], written: str) -> str | None:
    key = name_key(written)
    # "已签约", "已入驻": the ledger's "already ..." names the stage itself.
    return keys.get(key) or (keys.get(key[1:]) if key.startswith("已") else None)


def _is_move(row: Row) -> bool:
    return row.stage != FIRST_STAGE[Track.ORGANIZATION]


def _cell_problem(column: Column, problem: str) -> str:
    return _("%(column)s: %(problem)s") % {"column": column.label, "problem": problem}


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")
