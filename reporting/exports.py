"""The reports as XLSX workbooks: the funnel, the lead list, the weekly ledger (一周一报) and the dispatch-meeting
list (调度会).

Every sheet starts with a title and the filters it was made with, so a printed or forwarded sheet says what it
counts. Every cell goes through core.imports.values.safe_cell: names and summaries are typed by people (and by
people outside the bureau), and a cell starting with "=", "+", "-" or "@" would run as a formula in Excel.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from accounts.models import Unit
from core.imports.values import safe_cell
from projects.imports.columns import COLUMN
from projects.models import Lead
from projects.stages import Phase, Stage, Track
from reporting.ledger import DispatchGroup, LedgerRow, Week, contact_values, person_name
from talent.models import ContactChannel

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6EE")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_DATE = "yyyy-mm-dd"
_DATETIME = "yyyy-mm-dd hh:mm"
_PERCENT = "0.00%"
_AMOUNT = "#,##0.00"


def cell(value: Any) -> Any:
    """A value as written to a sheet: lazy translations as text, aware datetimes as Suzhou wall-clock time (Excel
    has no time zones), and text that a spreadsheet would run as a formula kept as text."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    return safe_cell(value)


class SheetWriter:
    """Writes one sheet top to bottom: title, filter lines, then tables."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet

    @property
    def row_number(self) -> int:
        return self.sheet.max_row

    def title(self, text: str) -> None:
        self.sheet.append([cell(text)])
        self.sheet.cell(self.row_number, 1).font = _TITLE

    def lines(self, pairs: Iterable[tuple[str, Any]]) -> None:
        """The filters (or any label: value pairs), one per row, the label in bold."""
        for label, value in pairs:
            self.row([label, value])
            self.sheet.cell(self.row_number, 1).font = _BOLD

    def blank(self) -> None:
        # An empty cell, not an empty list: openpyxl's max_row counts only rows that hold a cell.
        self.sheet.append([None])

    def subtitle(self, text: str) -> None:
        self.sheet.append([cell(text)])
        self.sheet.cell(self.row_number, 1).font = _BOLD

    def header(self, labels: Sequence[Any], *, widths: Sequence[int] = (), freeze: bool = False) -> None:
        self.sheet.append([cell(label) for label in labels])
        number = self.row_number
        for column in range(1, len(labels) + 1):
            header = self.sheet.cell(number, column)
            header.font = _BOLD
            header.fill = _HEADER_FILL
            header.alignment = _WRAP
        for column, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(column)].width = width
        if freeze:
            # A coordinate, not a cell: creating the cell would push the first data row down.
            self.sheet.freeze_panes = f"A{number + 1}"

    def row(self, values: Sequence[Any], *, formats: dict[int, str] | None = None) -> None:
        """One row; dates and datetimes get a date format, text that spans lines wraps. `formats` maps a
        0-based column to a number format (percentages, amounts)."""
        self.sheet.append([cell(value) for value in values])
        number = self.row_number
        for column, value in enumerate(values):
            target = self.sheet.cell(number, column + 1)
            if formats and column in formats and value is not None:
                target.number_format = formats[column]
            elif isinstance(value, dt.datetime):
                target.number_format = _DATETIME
            elif isinstance(value, dt.date):
                target.number_format = _DATE
            target.alignment = _WRAP if isinstance(value, str) and "\n" in value else _TOP

    def heading(self, text: str, *, span: int) -> None:
        """A group heading across the table's width."""
        self.sheet.append([cell(text)])
        number = self.row_number
        self.sheet.cell(number, 1).font = _BOLD
        if span > 1:
            self.sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=span)


def new_sheet(title: str) -> tuple[Workbook, SheetWriter]:
    workbook = Workbook()
    sheet = workbook.active
    # Sheet names: at most 31 characters, none of []:*?/\.
    sheet.title = re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "Sheet"
    return workbook, SheetWriter(sheet)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def exported_at() -> tuple[str, str]:
    return _("Exported at"), f"{timezone.localtime():%Y-%m-%d %H:%M}"


def xlsx_response(content: bytes, *, filename: str, ascii_filename: str) -> HttpResponse:
    """A download: `ascii_filename` for old clients, `filename` (Chinese allowed) per RFC 6266 for the rest."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_filename).strip("-") or "export.xlsx"
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(filename)}"
    return response


# --- Funnel ---------------------------------------------------------------------------------------------------


def funnel_workbook(data: dict[str, Any], described: list[tuple[str, str]]) -> bytes:
    """reporting.funnel.funnel()'s figures: the stages table, the phases table and the overall conversion."""
    workbook, writer = new_sheet(_("Funnel"))
    writer.title(_("Funnel"))
    writer.lines([*described, exported_at()])
    writer.blank()
    writer.subtitle(_("Stages"))
    writer.header(
        [
            _("Track"),
            _("Phase"),
            _("Stage"),
            _("Reached"),
            _("Now at the stage"),
            _("Lost at the stage"),
            _("Conversion from the previous stage"),
            _("Median days in stage"),
        ],
        widths=[18, 14, 26, 10, 12, 12, 16, 14],
    )
    for row in data["stages"]:
        writer.row(
            [
                Track(row["track"]).label,
                Phase(row["phase"]).label,
                Stage(row["stage"]).label,
                row["reached"],
                row["current"],
                row["lost"],
                row["conversion"],
                row["median_days_in_stage"],
            ],
            formats={6: _PERCENT},
        )
    writer.blank()
    writer.subtitle(_("Phases"))
    writer.header([_("Phase"), _("Track"), _("Reached"), _("Conversion to the next phase")])
    for row in data["phases"]:
        writer.row(
            [
                Phase(row["phase"]).label,
                Track(row["track"]).label if row["track"] else _("Both tracks"),
                row["reached"],
                row["conversion"],
            ],
            formats={3: _PERCENT},
        )
    writer.blank()
    writer.subtitle(_("Overall conversion (last stage ÷ first stage)"))
    for track, value in data["overall"].items():
        writer.row([Track(track).label, value], formats={1: _PERCENT})
    return workbook_bytes(workbook)


# --- Lead list ------------------------------------------------------------------------------------------------


def lead_list_headers(*, personal: bool) -> list[str]:
    headers = [
        _("Code"),
        _("Name"),
        _("Lead type"),
        _("Track"),
        _("Stage"),
        _("Status"),
        _("Owner"),
        _("Owning unit"),
        _("Hong Kong organization"),
        _("Sector"),
        _("Target carrier"),
        _("Source event"),
        _("In this stage since"),
        _("Last activity"),
        _("Expected investment"),
        _("Currency"),
    ]
    if personal:
        headers += [_("Talent"), _("Phone"), _("E-mail")]
    return headers


def lead_list_workbook(leads: Iterable[Lead], *, described: list[tuple[str, str]], personal: bool) -> bytes:
    """The leads of a report list (fetched by reporting.ledger.lead_export_rows), one row each. The talent's
    name, phones and e-mails only with `personal`: the caller decides (the personal-data permission) and logs."""
    workbook, writer = new_sheet(_("Leads"))
    writer.title(_("Leads"))
    writer.lines([*described, exported_at()])
    writer.blank()
    writer.header(
        lead_list_headers(personal=personal),
        widths=[14, 30, 16, 12, 12, 10, 12, 16, 24, 16, 20, 20, 12, 16, 16, 8, 12, 18, 24],
        freeze=True,
    )
    for lead in leads:
        values: list[Any] = [
            lead.code,
            lead.name,
            lead.get_lead_type_display(),
            Track(lead.track).label,
            Stage(lead.stage).label,
            lead.get_status_display(),
            person_name(lead.owner),
            lead.owning_unit.name,
            lead.hk_organization.name if lead.hk_organization else "",
            lead.sector.name if lead.sector else "",
            lead.target_carrier.name if lead.target_carrier else "",
            lead.source_event.name if lead.source_event else "",
            timezone.localdate(lead.stage_entered_at),
            lead.last_activity_at,
            lead.expected_investment,
            lead.expected_investment_currency if lead.expected_investment is not None else "",
        ]
        if personal:
            values += [
                lead.subject_contact.name if lead.subject_contact else "",
                contact_values(lead, ContactChannel.Kind.PHONE),
                contact_values(lead, ContactChannel.Kind.EMAIL),
            ]
        writer.row(values, formats={14: _AMOUNT})
    return workbook_bytes(workbook)


# --- Weekly ledger --------------------------------------------------------------------------------------------


def ledger_headers() -> list[str]:
    """The 台账 columns. Where the lead-ledger import has the column, its label is used as is, so an exported
    ledger reads back through the import in any of the three languages; the import ignores the others."""
    return [
        _("Code"),
        str(COLUMN["name"].label),
        str(COLUMN["organization"].label),
        str(COLUMN["source_channel"].label),
        _("Introducer or source event"),
        str(COLUMN["sector"].label),
        str(COLUMN["investment"].label),
        str(COLUMN["owner"].label),
        str(COLUMN["first_contact"].label),
        str(COLUMN["stage"].label),
        str(COLUMN["stage_date"].label),
        _("Status"),
        _("Progress this week"),
        _("Next step"),
        _("Needs government coordination"),
    ]


def ledger_title(unit: Unit, week: Week) -> str:
    return _("%(unit)s weekly ledger %(week)s") % {"unit": unit.name, "week": week}


def ledger_lines(unit: Unit, week: Week) -> list[tuple[str, str]]:
    return [
        (_("Unit"), _("%(unit)s and the units under it") % {"unit": unit.name}),
        (_("Week"), f"{week.iso} ({week})"),
    ]


def ledger_workbook(rows: Iterable[LedgerRow], *, unit: Unit, week: Week) -> bytes:
    workbook, writer = new_sheet(_("Weekly ledger"))
    writer.title(ledger_title(unit, week))
    writer.lines([*ledger_lines(unit, week), exported_at()])
    writer.blank()
    writer.header(
        ledger_headers(), widths=[14, 30, 24, 18, 20, 16, 16, 12, 12, 12, 12, 10, 48, 30, 36], freeze=True
    )
    for row in rows:
        writer.row(row.cells())
    return workbook_bytes(workbook)


# --- Dispatch-meeting list ------------------------------------------------------------------------------------


def dispatch_headers() -> list[str]:
    return [
        _("No."),
        _("Lead code"),
        _("Lead"),
        _("Owner"),
        _("Unit"),
        _("Request"),
        _("Due date"),
        _("Days overdue"),
    ]


def dispatch_heading(group: DispatchGroup) -> str:
    return _("%(department)s (%(count)s open, %(overdue)s overdue)") % {
        "department": group.department,
        "count": len(group.items),
        "overdue": group.overdue,
    }


def dispatch_workbook(groups: list[DispatchGroup], *, described: list[tuple[str, str]]) -> bytes:
    """The open needs under one heading per responsible department, by due date; overdue ones say by how
    many days."""
    workbook, writer = new_sheet(_("Dispatch meeting"))
    writer.title(_("Dispatch meeting list: open coordination needs"))
    writer.lines([*described, exported_at()])
    writer.blank()
    headers = dispatch_headers()
    writer.header(headers, widths=[6, 14, 30, 12, 16, 48, 12, 10], freeze=True)
    number = 0
    for group in groups:
        writer.heading(dispatch_heading(group), span=len(headers))
        for item in group.items:
            number += 1
            need = item.need
            writer.row(
                [
                    number,
                    need.lead.code,
                    need.lead.name,
                    person_name(need.lead.owner),
                    need.lead.owning_unit.name,
                    need.request,
                    need.due_on,
                    item.days_overdue or None,
                ]
            )
    return workbook_bytes(workbook)
