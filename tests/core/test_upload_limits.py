"""Issue 11: oversized and wrong-type uploads are refused with a clear message, write nothing, and a valid file
on the same path is accepted.

Every way a file reaches the product is found in the running code (forms with a file field, models with a file
field shown in the admin, API views that parse multipart bodies) and must map to a path in UPLOAD_PATHS
(test_every_upload_entry_point_has_a_path). Each path is driven through its real view as a user allowed to use
it, with the size limits made small for speed. For each path, each refusal (too large, a disallowed extension,
contents that are not what the name says: a Windows program renamed) is either a case here or names the
existing test that already asserts the same message and that nothing was written.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.parsers import FileUploadParser, MultiPartParser
from rest_framework.test import APIClient

from accounts.roles import Role
from core.imports.models import ImportJob
from directory.models import Holiday
from projects.models import CapitalInjection, Document, Milestone, Pass, Signing
from projects.services.milestones import milestone_add
from tests.factories import make_organization, make_user
from tests.projects import conftest as projects
from tests.projects.conftest import PDF, form_data
from tests.routes import named_views

pytestmark = pytest.mark.django_db

# The projects set-up: units A and B, their officers and heads, unit A's lead, MEDIA_ROOT in a temporary directory.
world = projects.world

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LIMIT = 100  # bytes, for documents and imports (DOCUMENT_MAX_BYTES, IMPORT_MAX_BYTES)
TOO_LARGE = 2048
# The first bytes of a Windows program (the "MZ" header): what a renamed .exe looks like inside.
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00" + b"\x00" * 40

DOCUMENT_TOO_LARGE = "The file is 2.0\xa0KB; the largest accepted is 100\xa0bytes."
DOCUMENT_WRONG_TYPE = "Files of this type cannot be uploaded. Upload PDF, JPG, PNG, Word or Excel files."
DOCUMENT_NOT_A_PDF = "The file's contents do not match its “.pdf” name. Save it again in that format."
IMPORT_TOO_LARGE = "The file is 2.0\xa0KB; the largest accepted is 100\xa0bytes. Split it into smaller files."
IMPORT_WRONG_TYPE = "Only .xlsx and .csv files can be imported."
IMPORT_NOT_A_WORKBOOK = (
    "The file could not be read as an Excel workbook: open it, save it again as .xlsx and upload that."
)
IMPORT_NOT_TEXT = "The text encoding of the CSV file is not recognised: save it as “CSV UTF-8” or as .xlsx."
HOLIDAYS_TOO_LARGE = "The file is larger than 1 MB; a holiday calendar is much smaller."
HOLIDAYS_WRONG_TYPE = "File extension “exe” is not allowed. Allowed extensions are: csv."
HOLIDAYS_NOT_TEXT = "The file is not UTF-8 or GBK text. Save it as “CSV UTF-8” and try again."
HOLIDAYS_MAX_BYTES = 1024 * 1024  # directory.admin.HolidayImportForm.MAX_BYTES, which its message names


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.DOCUMENT_MAX_BYTES = LIMIT
    settings.IMPORT_MAX_BYTES = LIMIT


def stored_files() -> list[str]:
    media = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def pdf(name: str = "协议.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def oversized_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "扫描件.pdf", PDF + b"0" * (TOO_LARGE - len(PDF)), content_type="application/pdf"
    )


def program(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PROGRAM, content_type="application/octet-stream")


def ledger_csv(
    content: bytes = "项目名称,香港机构\n港科大 团队,香港科技大学\n".encode(),
) -> SimpleUploadedFile:
    return SimpleUploadedFile("台账.csv", content, content_type="text/csv")


def holidays_csv(
    content: bytes = "date,region,kind,name\n2027-01-01,CN,休,元旦\n".encode(),
) -> SimpleUploadedFile:
    return SimpleUploadedFile("2027.csv", content, content_type="text/csv")


# --- What the user is shown -----------------------------------------------------------------------------------


def errors_shown(response) -> list[str]:
    """The error messages of an admin page: error-level messages and the errors of the page's forms."""
    context = response.context
    shown = [str(m) for m in context.get("messages", []) if m.level == message_levels.ERROR]
    for name in ("adminform", "form", "upload_form"):
        form = context.get(name)
        form = getattr(form, "form", form)
        if isinstance(form, forms.BaseForm):
            shown += [error for errors in form.errors.values() for error in errors]
    return shown


@dataclass(frozen=True)
class Sent:
    accepted: bool
    errors: list[str]


def admin_post(client: Client, url: str, data: dict[str, Any], *, done: Callable[[str], bool] | str) -> Sent:
    """Post an admin form (following redirects); accepted when it lands where `done` says (a path, or a test
    of the path) with no error shown."""
    response = client.post(url, data, follow=True, **EN)
    assert response.status_code == 200
    landed = (response.redirect_chain[-1][0] if response.redirect_chain else url).split("?")[0]
    arrived = done(landed) if callable(done) else landed == done
    errors = errors_shown(response)
    return Sent(accepted=arrived and not errors, errors=errors)


# --- The upload paths -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadPath:
    """A way a file reaches the product. `send(world, file)` posts it through the real view; `written()` counts
    what an accepted upload writes (rows of its model); `refusals` maps each kind of bad file to a maker and the
    exact English message, or to the existing test that covers it."""

    send: Callable[[Any, SimpleUploadedFile], Sent]
    written: Callable[[], int]
    valid: Callable[[], SimpleUploadedFile]
    refusals: dict[str, tuple[Callable[[], SimpleUploadedFile], str] | str]
    stores_files: bool = True


def _english(user) -> Client:
    client = Client(**EN)
    client.force_login(user)
    return client


def document_admin(world, file) -> Sent:
    data = {"lead": world.lead.pk, "kind": Document.Kind.OTHER, "title": "", "file": file}
    return admin_post(
        _english(world.a),
        reverse("admin:projects_document_add"),
        data,
        done=reverse("admin:projects_document_changelist"),
    )


def signing_action(world, file) -> Sent:
    investor = make_organization("HKSTP", "香港科技园公司")
    data = {
        "signed_on": timezone.localdate().isoformat(),
        "kind": Signing.Kind.NEW,
        "investor": investor.pk,
        "amount": "30000000",
        "currency": "CNY",
        "file": file,
    }
    return admin_post(
        _english(world.a),
        reverse("admin:projects_lead_add_signing", args=[world.lead.pk]),
        data,
        done=reverse("admin:projects_lead_change", args=[world.lead.pk]),
    )


def capital_injection_action(world, file) -> Sent:
    data = {
        "received_on": timezone.localdate().isoformat(),
        "amount": "5000000",
        "currency": "HKD",
        "file": file,
    }
    return admin_post(
        _english(world.a),
        reverse("admin:projects_lead_add_capital_injection", args=[world.lead.pk]),
        data,
        done=reverse("admin:projects_lead_change", args=[world.lead.pk]),
    )


def milestone_evidence(world, file) -> Sent:
    """Completing a milestone in its admin page with the evidence uploaded there."""
    milestone = milestone_add(
        actor=world.a, lead=world.lead, lead_pass=Pass.objects.get(code="rules"), title="核对检测标准"
    )
    client = _english(world.a)
    url = reverse("admin:projects_milestone_change", args=[milestone.pk])
    data = {**form_data(client.get(url)), "outcome": "done", "evidence_note": "检测报告", "upload": file}
    sent = admin_post(client, url, data, done=reverse("admin:projects_milestone_changelist"))
    milestone.refresh_from_db()
    assert (milestone.status == Milestone.Status.DONE) == sent.accepted  # all or nothing
    return sent


def api_upload(world, file) -> Sent:
    client = APIClient()
    client.force_login(world.a)
    response = client.post(
        reverse("projects_api:document-upload"),
        {"lead": world.lead.pk, "file": file},
        format="multipart",
        **EN,
    )
    if response.status_code == 201:
        return Sent(accepted=True, errors=[])
    assert response.status_code == 400
    return Sent(accepted=False, errors=response.json().get("file", []))


def import_admin(world, file) -> Sent:
    return admin_post(
        _english(world.a),
        f"{reverse('admin:core_importjob_add')}?kind=projects.ledger",
        {"file": file},
        # The new job's page; a refusal shows the upload page again.
        done=lambda landed: any(
            landed == reverse("admin:core_importjob_change", args=[pk])
            for pk in ImportJob.objects.values_list("pk", flat=True)
        ),
    )


def holiday_import(world, file) -> Sent:
    administrator = make_user(Role.ADMINISTRATOR, username="administrator")
    return admin_post(
        _english(administrator),
        reverse("admin:directory_holiday_import"),
        {"file": file, "region": ""},
        done=reverse("admin:directory_holiday_changelist"),
    )


def _documents() -> int:
    return Document.objects.count()


DOCUMENT_REFUSALS = {
    "too large": (oversized_pdf, DOCUMENT_TOO_LARGE),
    "extension": (lambda: program("setup.exe"), DOCUMENT_WRONG_TYPE),
    "contents": (lambda: program("协议.pdf"), DOCUMENT_NOT_A_PDF),
}

UPLOAD_PATHS: dict[str, UploadPath] = {
    "document admin": UploadPath(
        document_admin,
        _documents,
        pdf,
        {
            **DOCUMENT_REFUSALS,
            "extension": "tests/projects/test_admin_records.py::test_a_refused_upload_becomes_a_message",
        },
    ),
    "signing": UploadPath(
        signing_action,
        lambda: Signing.objects.count() + Document.objects.count(),
        pdf,
        {
            **DOCUMENT_REFUSALS,
            "contents": "tests/projects/test_admin_records.py::"
            "test_a_wrong_file_is_refused_with_the_upload_services_message",
        },
    ),
    "capital injection": UploadPath(
        capital_injection_action,
        lambda: CapitalInjection.objects.count() + Document.objects.count(),
        pdf,
        DOCUMENT_REFUSALS,
    ),
    "milestone evidence": UploadPath(milestone_evidence, _documents, pdf, DOCUMENT_REFUSALS),
    "api documents": UploadPath(
        api_upload,
        _documents,
        pdf,
        {
            "too large": "tests/api/test_documents.py::test_an_oversized_file_is_400_with_the_limit",
            "extension": "tests/api/test_documents.py::"
            "test_a_file_of_the_wrong_type_is_400_with_the_services_message",
            # That test checks the message only; here also that nothing was written.
            "contents": DOCUMENT_REFUSALS["contents"],
        },
    ),
    "import": UploadPath(
        import_admin,
        ImportJob.objects.count,
        ledger_csv,
        {
            "too large": (lambda: ledger_csv(b"x" * TOO_LARGE), IMPORT_TOO_LARGE),
            "extension": (lambda: program("台账.exe"), IMPORT_WRONG_TYPE),
            "contents": (lambda: program("台账.xlsx"), IMPORT_NOT_A_WORKBOOK),
            "contents as csv": (lambda: program("台账.csv"), IMPORT_NOT_TEXT),
        },
    ),
    "holiday calendar": UploadPath(
        holiday_import,
        Holiday.objects.count,
        holidays_csv,
        {
            "too large": (lambda: holidays_csv(b"x" * (HOLIDAYS_MAX_BYTES + 1)), HOLIDAYS_TOO_LARGE),
            "extension": (
                lambda: SimpleUploadedFile(
                    "2027.exe", "date,region,kind,name\n2027-01-01,CN,休,元旦\n".encode()
                ),
                HOLIDAYS_WRONG_TYPE,
            ),
            "contents": (lambda: program("2027.csv"), HOLIDAYS_NOT_TEXT),
        },
        stores_files=False,  # read in the request, never stored
    ),
}
REFUSALS = ("too large", "extension", "contents")

REFUSAL_CASES = [
    pytest.param(path, kind, id=f"{path}: {kind}")
    for path, upload_path in UPLOAD_PATHS.items()
    for kind, case in upload_path.refusals.items()
    if not isinstance(case, str)
]


# --- Every entry point has a path -----------------------------------------------------------------------------

# Each way in found in the code, and the path(s) that drive it.
ENTRY_POINTS = {
    "form projects.admin.forms.RecordForm": ("signing", "capital injection"),  # the base of the two below
    "form projects.admin.forms.SigningForm": ("signing",),
    "form projects.admin.forms.CapitalInjectionForm": ("capital injection",),
    "form projects.admin.passes.MilestoneForm": ("milestone evidence",),
    "form core.imports.admin.UploadForm": ("import",),
    "form directory.admin.HolidayImportForm": ("holiday calendar",),
    "admin model projects.document": ("document admin",),  # the add form made from the model
    "admin model core.importjob": ("import",),  # its add page is the UploadForm
    "api projects_api:document-upload": ("api documents",),
}


def _subclasses(klass: type) -> Iterator[type]:
    for subclass in klass.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _is_product(klass: type) -> bool:
    module = inspect.getmodule(klass)
    path = Path(getattr(module, "__file__", None) or "/").resolve()
    root = Path(settings.BASE_DIR).resolve()
    return root in path.parents and path.relative_to(root).parts[0] not in {"tests", "bench", ".venv"}


def upload_entry_points() -> set[str]:
    """Product forms with a file field, admin-registered models with a file field, and API views that parse
    multipart or file bodies."""
    patterns = list(named_views())  # first: reading the URLconf imports the views and forms
    found = {
        f"form {form.__module__}.{form.__qualname__}"
        for form in _subclasses(forms.BaseForm)
        if _is_product(form) and any(isinstance(f, forms.FileField) for f in form.base_fields.values())
    }
    found |= {
        f"admin model {model._meta.label_lower}"
        for model in apps.get_models()
        if model in admin.site._registry and any(isinstance(f, models.FileField) for f in model._meta.fields)
    }
    for name, callback in patterns:
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        parsers = getattr(view_class, "parser_classes", ()) or ()
        if any(issubclass(parser, (MultiPartParser, FileUploadParser)) for parser in parsers):
            found.add(f"api {name}")
    return found


def test_every_upload_entry_point_has_a_path():
    found = upload_entry_points()
    assert {
        "form core.imports.admin.UploadForm",
        "api projects_api:document-upload",
    } <= found  # the finder finds
    assert found == set(ENTRY_POINTS), {
        "without a path": found - set(ENTRY_POINTS),
        "gone": set(ENTRY_POINTS) - found,
    }
    assert {path for paths in ENTRY_POINTS.values() for path in paths} == set(UPLOAD_PATHS)


def test_every_path_accounts_for_each_kind_of_bad_file():
    """Each refusal is a case here or names the existing test that covers it, and that test exists."""
    root = Path(settings.BASE_DIR)
    for upload_path in UPLOAD_PATHS.values():
        assert set(REFUSALS) <= set(upload_path.refusals)
        for refusal in upload_path.refusals.values():
            if isinstance(refusal, str):
                file, name = refusal.split("::")
                assert f"def {name}(" in (root / file).read_text()


# --- The cases ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(UPLOAD_PATHS))
def test_a_valid_file_is_accepted(path, world):
    """The positive control of every refusal below: the same path, the same user, a good file."""
    upload_path = UPLOAD_PATHS[path]
    sent = upload_path.send(world, upload_path.valid())
    assert sent == Sent(accepted=True, errors=[])
    assert upload_path.written() >= 1
    assert bool(stored_files()) == upload_path.stores_files


@pytest.mark.parametrize(("path", "kind"), REFUSAL_CASES)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_written(path, kind, world):
    upload_path = UPLOAD_PATHS[path]
    # REFUSAL_CASES holds the refusals that are cases here, not references to other tests.
    make, message = cast(tuple[Callable[[], SimpleUploadedFile], str], upload_path.refusals[kind])
    sent = upload_path.send(world, make())
    assert sent == Sent(accepted=False, errors=[message])
    assert upload_path.written() == 0
    assert stored_files() == []
