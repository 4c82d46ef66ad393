"""Issue 11 item 6: spreadsheet formula injection is neutralized on every export, and the due-date calendar
escapes what people type.

Names, notes and summaries are typed by people, some outside the bureau (a quick capture, a QR registration, an
imported sheet). A cell that starts with "=", "+", "-", "@", a tab or a carriage return runs as a formula when the
sheet is opened, edited or saved again as CSV, so every cell goes through core.imports.values.safe_cell, whose
contract is exact: such text gets one leading apostrophe and is otherwise kept as written; numbers, dates and
other text are left alone.

EXPORTS lists every download the product serves. It is checked against the running code: each URL's view is
followed into the project functions it calls, and any that builds a workbook, sets Content-Disposition or serves
a file or a calendar is a download (test_every_download_has_a_case), so a new export without a row here fails.
Each spreadsheet case writes hostile payloads into the user-typed fields the export shows, downloads it through
its real view as a user allowed to, and opens it with openpyxl: no formula cells, no text cell a spreadsheet
would run, and each payload found in its own column, neutralized and otherwise whole (the positive control: the
test cannot pass because the field was left out of the export).
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import CodeType, SimpleNamespace
from typing import Any, cast
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell

from accounts.roles import Role
from core.imports.models import ImportJob
from core.imports.services import import_upload, import_validate
from directory import services as directory_services
from directory.models import Carrier, Organization, Sector
from projects import services
from projects.models import Activity, Lead, LeadType
from reminders.services import preference_for
from reporting.ledger import Week
from talent.services.contacts import contact_update
from talent.services.events import attendance_record, event_create
from tests.factories import join, make_lead, make_user
from tests.projects import conftest as projects
from tests.reminders.conftest import add_milestone
from tests.routes import named_views
from tests.talent.conftest import person

pytestmark = pytest.mark.django_db

# The projects set-up (units A and B, their officers and heads, unit A's lead) and its English client.
world = projects.world
client_as = projects.client_as

# The payloads of issue 11. Each starts with a character safe_cell neutralizes.
PAYLOADS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
)
# Full-width "＝": safe_cell does not treat it as a trigger and openpyxl writes it as text. Pinned below as kept
# verbatim and never a formula cell; to revisit if a spreadsheet program is shown to run it from a text cell.
FULL_WIDTH = "＝1+1"
# safe_cell's trigger characters (core.imports.values).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A Hong Kong mobile as people write it, and as the channel stores it (E.164).
PHONE, E164 = "+852 9123 4567", "+85291234567"


def neutralized(text: str) -> str:
    """What safe_cell writes for `text`, as openpyxl reads it back. openpyxl writes a carriage return raw into
    the XML, and XML parsers turn it into a line feed; the neutralizing apostrophe is there either way."""
    written = "'" + text if text.startswith(TRIGGERS) else text
    return written.replace("\r", "\n")


@pytest.fixture(autouse=True)
def _no_report_cache(settings):
    settings.REPORT_CACHE_SECONDS = 0


# --- Finding every download in the running code ---------------------------------------------------------------

# What makes a function a download: it builds a workbook, sets a file name, or serves a file or a calendar.
DOWNLOAD_NAMES = frozenset(
    {"Workbook", "FileResponse", "StreamingHttpResponse", "content_disposition_header"}
)
DOWNLOAD_TEXTS = ("Content-Disposition", "text/calendar", "text/csv")


def _project_modules() -> dict[str, Any]:
    """The loaded modules of the product (not its tests, benchmarks or virtualenv)."""
    root = Path(settings.BASE_DIR).resolve()
    modules = {}
    for name, module in list(sys.modules.items()):
        path = Path(getattr(module, "__file__", None) or "/").resolve()
        if root not in path.parents:
            continue
        top = path.relative_to(root).parts[0]
        if top not in {"tests", "bench", ".venv"}:
            modules[name] = module
    return modules


def _codes(code: CodeType) -> Iterator[CodeType]:
    """A code object and those nested in it (lambdas, inner functions, comprehensions)."""
    yield code
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _codes(constant)


def _makes_download(codes: list[CodeType], helpers: set[str]) -> bool:
    for code in codes:
        if set(code.co_names) & (DOWNLOAD_NAMES | helpers):
            return True
        texts = [c for c in code.co_consts if isinstance(c, str)]
        if any(marker in text for marker in DOWNLOAD_TEXTS for text in texts):
            return True
    return False


def _download_helpers(modules: dict[str, Any]) -> set[str]:
    """Names of the product's module-level functions that make a download or call one that does (new_sheet,
    lead_list_workbook, xlsx_response, export_workbook, ...), found to a fixed point."""
    functions = [
        obj
        for name, module in modules.items()
        for obj in vars(module).values()
        if inspect.isfunction(obj) and obj.__module__ == name
    ]
    helpers: set[str] = set()
    while True:
        found = {f.__name__ for f in functions if _makes_download(list(_codes(f.__code__)), helpers)}
        if found <= helpers:
            return helpers
        helpers |= found


def _view_codes(callback: Callable, modules: dict[str, Any]) -> list[CodeType]:
    """The code of the product functions behind a URL: through decorators (__wrapped__), the admin's wrappers
    (closures), bound methods, and the methods of class-based and DRF views."""
    codes: list[CodeType] = []
    stack: list[Any] = [callback]
    seen: set[int] = set()
    while stack:
        obj = stack.pop()
        if id(obj) in seen or not callable(obj):
            continue
        seen.add(id(obj))
        if getattr(obj, "__wrapped__", None) is not None:
            stack.append(obj.__wrapped__)
        view_class = getattr(obj, "view_class", None) or getattr(obj, "cls", None)
        if inspect.isclass(view_class):
            for klass in view_class.__mro__:
                if klass.__module__ in modules:
                    stack += [m for m in vars(klass).values() if inspect.isfunction(m)]
        function = getattr(obj, "__func__", obj)
        if not inspect.isfunction(function):
            continue
        for cell in function.__closure__ or ():
            try:
                stack.append(cell.cell_contents)
            except ValueError:  # a cell not filled yet
                continue
        if function.__module__ in modules:
            codes += _codes(function.__code__)
    return codes


def downloads_in_the_code() -> set[str]:
    """The URL names of every view that serves a download."""
    patterns = list(named_views())  # first: reading the URLconf imports the views
    modules = _project_modules()
    helpers = _download_helpers(modules)
    return {name for name, callback in patterns if _makes_download(_view_codes(callback, modules), helpers)}


# --- Reading a workbook ---------------------------------------------------------------------------------------


def workbook_of(response: HttpResponse) -> Workbook:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert response["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(response.content))


def cells(workbook: Workbook) -> Iterator[Cell]:
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def column(workbook: Workbook, header: str) -> list[Any]:
    """Every value under a cell reading `header` (a table's column) or beside it (a label's value, as in the
    filter lines above a table), in every sheet."""
    values = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == header:
                    values.append(sheet.cell(cell.row, cell.column + 1).value)
                    values += [
                        sheet.cell(r, cell.column).value for r in range(cell.row + 1, sheet.max_row + 1)
                    ]
    return values


# --- The hostile data -----------------------------------------------------------------------------------------


@pytest.fixture
def hostile(world):
    """Unit A's leads as a hostile typist wrote them: one lead named after each payload, all owned by an officer
    whose first name is a payload, with payload-named organizations, sector, carrier and source event, a talent
    lead whose person has a payload for a name and a Hong Kong phone, a call with a payload next step, and a
    coordination need per lead whose department and request are payloads."""
    owner = join(make_user(Role.OFFICER, username="mallory", first_name=PAYLOADS[6]), world.unit_a)
    # Organization names are stripped by the service, so the whitespace payloads cannot start one.
    organizations = [
        directory_services.organization_create(kind=Organization.Kind.UNIVERSITY, name=payload)
        for payload in PAYLOADS
        if payload == payload.strip()
    ]
    sector = directory_services.sector_create(code="hostile", name=PAYLOADS[3], group=Sector.Group.PILLAR)
    carrier = directory_services.carrier_create(name=PAYLOADS[2], kind=Carrier.Kind.PARK)
    today = timezone.localdate()
    event = event_create(actor=world.manager_a, name=PAYLOADS[0], starts_on=today, ends_on=today)
    leads = [
        make_lead(
            owner=owner,
            unit=world.unit_a,
            name=name,
            # One organization each where there are enough: a lead is a duplicate by organization and name,
            # and "\t=1" and "\r=1" are one name once whitespace is folded.
            hk_organization=organizations[index % len(organizations)],
            sector=sector,
            target_carrier=carrier,
            source_event=event,
            expected_investment=Decimal("30000000.00") if index == 0 else None,
        )
        for index, name in enumerate((*PAYLOADS, FULL_WIDTH))
    ]
    talent = person(PAYLOADS[3], phones=[PHONE])
    talent_lead = make_lead(
        owner=owner, unit=world.unit_a, lead_type=LeadType.TALENT, name="港大 张博士", subject_contact=talent
    )
    services.activity_log(
        actor=owner,
        lead=leads[0],
        kind=Activity.Kind.CALL,
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
        summary=PAYLOADS[1],
        next_step=PAYLOADS[3],
    )
    for lead, request in zip(leads, (*PAYLOADS, FULL_WIDTH), strict=True):
        services.coordination_need_add(actor=owner, lead=lead, request=request, department=PAYLOADS[2])
    return SimpleNamespace(
        owner=owner,
        organizations=organizations,
        sector=sector,
        carrier=carrier,
        event=event,
        leads=leads,
        talent=talent,
        talent_lead=talent_lead,
    )


# --- The cases ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """An export as downloaded, and the cells it must hold: (column header or label, exact value)."""

    response: HttpResponse
    expected: list[tuple[str, Any]] = field(default_factory=list)


def every_name(header: str, stored: Callable[[str], str] = str) -> list[tuple[str, Any]]:
    """Each lead's name (one per payload, and the full-width one kept verbatim) in the column `header`;
    `stored` is what the product keeps of the text before exporting it."""
    return [(header, neutralized(stored(name))) for name in (*PAYLOADS, FULL_WIDTH)]


def lead_list(world, client_as, hostile) -> Download:
    """The lead list with personal data, filtered by the hostile owner (whose name the filter line repeats)."""
    response = client_as(world.a).get(f"{reverse('reporting:leads-export')}?owner={hostile.owner.pk}")
    return Download(
        response,
        [
            *every_name("Name"),
            ("Owner", neutralized(PAYLOADS[6])),  # the filter line and the column
            ("Hong Kong organization", neutralized(PAYLOADS[1])),
            ("Sector", neutralized(PAYLOADS[3])),
            ("Target carrier", neutralized(PAYLOADS[2])),
            ("Source event", neutralized(PAYLOADS[0])),
            ("Talent", neutralized(PAYLOADS[3])),
            # The product's decision (tests/reporting/test_exports.py): an E.164 phone starts with "+", so it
            # gets the apostrophe like any other such text.
            ("Phone", "'" + E164),
            # Numbers stay numbers.
            ("Expected investment", 30000000),
        ],
    )


def funnel(world, client_as, hostile) -> Download:
    """The funnel's only typed text is in the filter lines: each names a payload-named row."""
    query = urlencode(
        {
            "owner": hostile.owner.pk,
            "event": hostile.event.pk,
            "organization": hostile.organizations[1].pk,
            "carrier": hostile.carrier.pk,
            "sector": hostile.sector.pk,
        }
    )
    response = client_as(world.manager_a).get(f"{reverse('reporting:funnel-export')}?{query}")
    return Download(
        response,
        [
            ("Owner", neutralized(PAYLOADS[6])),
            ("Source event", neutralized(str(hostile.event))),  # "name (date)"
            ("Hong Kong organization", neutralized(PAYLOADS[1])),
            ("Carrier", neutralized(PAYLOADS[2])),
            ("Sector", neutralized(PAYLOADS[3])),
        ],
    )


def weekly_ledger(world, client_as, hostile) -> Download:
    query = urlencode({"unit": world.unit_a.pk, "week": Week.current().iso})
    response = client_as(world.a).get(f"{reverse('reporting:weekly-ledger-xlsx')}?{query}")
    return Download(
        response,
        [
            *every_name("Project name"),
            ("Hong Kong organization", neutralized(PAYLOADS[0])),
            ("Introducer or source event", neutralized(PAYLOADS[0])),
            ("Sector", neutralized(PAYLOADS[3])),
            ("Owner", neutralized(PAYLOADS[6])),
            ("Next step", neutralized(PAYLOADS[3])),
            # "department: request", the request's whitespace folded to single spaces.
            ("Needs government coordination", neutralized(f"{PAYLOADS[2]}: {' '.join(PAYLOADS[0].split())}")),
        ],
    )


def dispatch_list(world, client_as, hostile) -> Download:
    """Filtered by the payload department, typed into the query string: the filter line repeats it."""
    query = urlencode({"department": PAYLOADS[2]})
    response = client_as(world.a).get(f"{reverse('reporting:dispatch-xlsx')}?{query}")
    return Download(
        response,
        [
            *every_name("Lead"),
            *[("Request", neutralized(request)) for request in (*PAYLOADS, FULL_WIDTH)],
            ("Owner", neutralized(PAYLOADS[6])),
            ("Responsible department", neutralized(PAYLOADS[2])),
            # The group heading starts with the department.
            ("No.", neutralized(f"{PAYLOADS[2]} (8 open, 0 overdue)")),
        ],
    )


def contact_data_export(world, client_as, hostile) -> Download:
    """The data-subject export of a person (the XLSX button of the contact's Export page), every field of the
    record, its history and the rows of other apps that refer to the person. The payloads go where the
    services keep them as typed (an activity's summary is stripped, a note is not)."""
    contact = hostile.talent
    contact_update(
        actor=world.a, contact=contact, notes=PAYLOADS[5], english_name=PAYLOADS[1], position=PAYLOADS[6]
    )
    attendance_record(actor=world.a, event=hostile.event, contact=contact, notes=PAYLOADS[4])
    services.activity_log(
        actor=world.a,
        lead=hostile.talent_lead,
        kind=Activity.Kind.MEETING,
        occurred_at=timezone.now() - dt.timedelta(minutes=1),
        summary=PAYLOADS[0],
        contacts=[contact],
    )
    Lead.objects.filter(pk=hostile.talent_lead.pk).update(name=PAYLOADS[2])  # a talent lead named by hand
    response = client_as(world.manager_a).post(
        reverse("admin:talent_contact_export", args=[contact.pk]), {"format": "xlsx"}
    )
    return Download(
        response,
        [
            ("name", neutralized(PAYLOADS[3])),  # the record, its history
            ("notes", neutralized(PAYLOADS[5])),
            ("english_name", neutralized(PAYLOADS[1])),
            ("position", neutralized(PAYLOADS[6])),
            ("event__name", neutralized(PAYLOADS[0])),
            ("notes", neutralized(PAYLOADS[4])),  # the attendance's
            ("activity__summary", neutralized(PAYLOADS[0])),
            ("name", neutralized(PAYLOADS[2])),  # the talent lead's
            ("value", "'" + E164),
            ("raw", "'" + PHONE),
        ],
    )


LEDGER_HEADER = [
    "序号",
    "项目名称",
    "香港机构",
    "类型",
    "领域",
    "进展",
    "进展日期",
    "首次接触",
    "负责人",
    "备注",
]


def csv_upload(rows: list[list[str]]) -> SimpleUploadedFile:
    """A CSV as Excel writes it: fields quoted, so tabs, carriage returns and commas stay inside their cell."""

    def quoted(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    lines = [",".join(quoted(value) for value in row) for row in [LEDGER_HEADER, *rows]]
    return SimpleUploadedFile("台账.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def import_rejected_rows(world, client_as, hostile) -> Download:
    """The rejected rows of a lead-ledger import: each row a payload name and no organization (so every row is
    an error), with payload notes; downloaded from the job's page. The rows keep each cell as the preview shows
    it (core.imports.services.cell_text: stripped), so "\t=1" and "\r=1" come back as "=1", neutralized."""
    rows = [
        [str(number), name, "", "高校团队", "", "洽谈", "", "", "", PAYLOADS[(number + 1) % len(PAYLOADS)]]
        for number, name in enumerate((*PAYLOADS, FULL_WIDTH), start=1)
    ]
    job = import_upload(actor=world.a, kind="projects.ledger", file=csv_upload(rows), options={})
    job = import_validate(job=job)
    assert job.status == ImportJob.Status.VALIDATED
    response = client_as(world.a).get(reverse("admin:core_importjob_rejected", args=[job.pk]))
    return Download(
        response,
        [
            *every_name("项目名称", str.strip),
            *[("备注", neutralized(payload.strip())) for payload in PAYLOADS],
        ],
    )


CALENDAR = "reminders:calendar"

# Every download, by URL name: a case, or why it is not one.
EXPORTS: dict[str, Callable[..., Download] | str] = {
    "reporting:leads-export": lead_list,
    "reporting:funnel-export": funnel,
    "reporting:weekly-ledger-xlsx": weekly_ledger,
    "reporting:dispatch-xlsx": dispatch_list,
    "admin:talent_contact_export": contact_data_export,  # also offers JSON: not a spreadsheet, nothing runs
    "admin:core_importjob_rejected": import_rejected_rows,
    CALENDAR: "text/calendar, not a spreadsheet: the RFC 5545 escaping is tested below",
    "reporting:brief-pdf": "a PDF, not a spreadsheet: its text is typeset, never evaluated",
    "projects:document-download": "sends back the uploaded file's own bytes; what may be uploaded is checked "
    "by tests/core/test_upload_limits.py",
}
SPREADSHEETS = sorted(name for name, case in EXPORTS.items() if callable(case))


def test_every_download_has_a_case():
    found = downloads_in_the_code()
    assert {"reporting:leads-export", "admin:talent_contact_export", CALENDAR} <= found  # the finder finds
    assert found == set(EXPORTS), {"without a case": found - set(EXPORTS), "gone": set(EXPORTS) - found}


@pytest.mark.parametrize("export", SPREADSHEETS)
def test_no_cell_of_an_export_runs_and_every_payload_is_kept_as_text(export, world, client_as, hostile):
    case = cast(Callable[..., Download], EXPORTS[export])  # SPREADSHEETS holds the callable cases only
    download = case(world, client_as, hostile)
    workbook = workbook_of(download.response)
    formulas = [(c.parent.title, c.coordinate, c.value) for c in cells(workbook) if c.data_type == "f"]
    assert formulas == []
    runnable = [
        (c.parent.title, c.coordinate, c.value)
        for c in cells(workbook)
        if isinstance(c.value, str) and c.value.startswith(TRIGGERS)
    ]
    assert runnable == []
    missing = [
        (header, value) for header, value in download.expected if value not in column(workbook, header)
    ]
    assert missing == []


def test_the_full_width_equals_sign_is_kept_verbatim_as_text(world, client_as, hostile):
    workbook = workbook_of(lead_list(world, client_as, hostile).response)
    [cell] = [c for c in cells(workbook) if c.value == FULL_WIDTH]
    assert cell.data_type == "s"


def test_control_characters_a_workbook_cannot_hold_do_not_break_the_export(world, client_as):
    """A vertical tab (Word's line break) in a lead's name used to make openpyxl refuse the whole workbook: a
    500 for every export listing the lead. It is written as a space; a control character before "=" cannot
    smuggle the formula past the check."""
    make_lead(owner=world.a, unit=world.unit_a, name="港大\x0b电池团队")
    make_lead(owner=world.a, unit=world.unit_a, name="\x01=1+1")
    workbook = workbook_of(client_as(world.a).get(reverse("reporting:leads-export")))
    names = column(workbook, "Name")
    assert {"港大 电池团队", " =1+1", world.lead.name} <= set(names)
    assert not [c for c in cells(workbook) if c.data_type == "f"]


def test_numbers_stay_numbers_in_the_reports(world, client_as, hostile):
    """safe_cell leaves numbers alone (a negative one too: tests/core/imports/test_values.py); through the real
    exports an amount and the funnel's counts are number cells, not text."""
    leads = workbook_of(client_as(world.a).get(reverse("reporting:leads-export")))
    [amount] = [c for c in cells(leads) if c.value == 30000000]
    assert amount.data_type == "n"
    funnel_sheet = workbook_of(client_as(world.manager_a).get(reverse("reporting:funnel-export"))).active
    reached = [row[3] for row in funnel_sheet.iter_rows() if row[2].value == "Lead"]
    assert [(c.value, c.data_type) for c in reached] == [(len(hostile.leads) + 1, "n"), (1, "n")]


def test_the_rejected_rows_of_a_workbook_upload_are_its_cells_as_text_and_formulas_never_run(
    world, client_as
):
    """The rejected rows hold each cell as the preview shows it (core.imports.services.cell_text), not as typed:
    an amount typed as a number comes back as its digits in a text cell, a negative one with the apostrophe
    (pinned as the product does it today: a fixed file uploaded again reads "'-5"), and a real formula cell of
    the upload (read as its text "=SUM(A1)") as neutralized text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["项目名称", "香港机构", "意向投资额", "备注"])
    # No organization: error rows.
    sheet.append(["港大 电池团队", "", 5000000, "=SUM(A1)"])
    sheet.append(["港大 机器人团队", "", -5, ""])
    assert sheet["D2"].data_type == "f"  # the upload really holds a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("台账.xlsx", buffer.getvalue())
    job = import_validate(job=import_upload(actor=world.a, kind="projects.ledger", file=upload, options={}))
    rejected = workbook_of(client_as(world.a).get(reverse("admin:core_importjob_rejected", args=[job.pk])))
    header = [cell.value for cell in rejected.active[1]]
    rows = [
        {title: (cell.value, cell.data_type) for title, cell in zip(header, row, strict=True)}
        for row in rejected.active.iter_rows(min_row=2)
    ]
    # The positive control: both rows are there.
    assert [row["项目名称"] for row in rows] == [("港大 电池团队", "s"), ("港大 机器人团队", "s")]
    assert [row["意向投资额"] for row in rows] == [("5000000", "s"), ("'-5", "s")]
    assert rows[0]["备注"] == ("'=SUM(A1)", "s")


# --- The calendar feed (RFC 5545) -----------------------------------------------------------------------------


def unfolded(body: str) -> list[str]:
    """The feed's content lines: CRLF-separated, a line starting with a space continues the one before."""
    assert body.endswith("\r\n")
    lines: list[str] = []
    for line in body.split("\r\n")[:-1]:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescaped(value: str) -> str:
    """RFC 5545 TEXT read back: \\\\ \\; \\, and \\n (or \\N)."""
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append("\n" if following in "nN" else following)
        else:
            out.append(char)
    return "".join(out)


def bare_separators(value: str) -> list[str]:
    """The ";" and "," of a TEXT value that are not escaped (RFC 5545 requires \\; and \\,)."""
    found, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            next(chars)
        elif char in ";,":
            found.append(char)
    return found


def test_the_calendar_escapes_what_people_type_so_nothing_becomes_a_property(world, client):
    """A milestone title and a lead name with line breaks, ";", ",", a backslash and a control character: each
    event stays one SUMMARY and one DESCRIPTION, nothing typed starts a line of its own, and a calendar app
    reads back exactly the text (the control character, which TEXT may not hold, as a space)."""
    title = "签约\r\nEND:VEVENT\r\nBEGIN:VEVENT\nATTENDEE:mailto:x@evil.example\rSUMMARY:a;b,c\\d\x0be"
    Lead.objects.filter(pk=world.lead.pk).update(name="港科大;团队,\nDESCRIPTION:injected")
    milestone = add_milestone(world, "2025-03-20", title=title)
    response = client.get(reverse(CALENDAR, args=[preference_for(world.a).calendar_token]))
    assert response.status_code == 200
    body = response.content.decode()
    lines = unfolded(body)
    assert [line for line in lines if line.startswith(("BEGIN:VEVENT", "END:VEVENT"))] == [
        "BEGIN:VEVENT",
        "END:VEVENT",
    ]
    assert not [line for line in lines if line.startswith(("ATTENDEE", "SUMMARY:a"))]
    [summary] = [line.removeprefix("SUMMARY:") for line in lines if line.startswith("SUMMARY:")]
    [description] = [line.removeprefix("DESCRIPTION:") for line in lines if line.startswith("DESCRIPTION:")]
    assert (bare_separators(summary), bare_separators(description)) == ([], [])
    expected_title = title.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", " ")
    assert unescaped(summary) == f"{world.lead.code} {expected_title}"
    assert unescaped(description).startswith("港科大;团队,\nDESCRIPTION:injected · ")
    # No control character but the CRLF line ends (RFC 5545 §3.3.11).
    assert not [char for char in body.replace("\r\n", "") if ord(char) < 32 or ord(char) == 127]
    assert milestone.title == title  # the positive control: the title really held them
