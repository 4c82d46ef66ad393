"""Uploading documents: size and type are checked on the bytes, not on what the browser claims."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from projects.models import Document, Lead

# extension -> (content type, accepted leading bytes)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
}
UNATTACHED_LIFETIME = dt.timedelta(days=1)


def _max_size() -> int:
    return getattr(settings, "DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)


def document_check_file(file: UploadedFile) -> str:
    """Refuse an empty, oversized or unexpected file; return its content type."""
    extension = PurePath(file.name or "").suffix.lower()
    if extension not in ALLOWED_TYPES:
        raise ApplicationError(
            _("Files of this type cannot be uploaded. Upload PDF, JPG, PNG, Word or Excel files."),
            field="file",
        )
    if not file.size:
        raise ApplicationError(_("The file is empty."), field="file")
    if file.size > _max_size():
        raise ApplicationError(
            _("The file is %(size)s; the largest accepted is %(limit)s.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(_max_size())},
            field="file",
        )
    content_type, signatures = ALLOWED_TYPES[extension]
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not any(head.startswith(signature) for signature in signatures):
        raise ApplicationError(
            _("The file's contents do not match its “%(extension)s” name. Save it again in that format.")
            % {"extension": extension},
            field="file",
        )
    return content_type


@transaction.atomic
def document_upload(
    *,
    actor: User,
    lead: Lead,
    file: UploadedFile,
    title: str = "",
    kind: str = Document.Kind.OTHER,
    attached: bool = False,
) -> Document:
    """Store a file for a lead. Uploads left unattached (cited by nothing) are purged after a day."""
    if lead.status == Lead.Status.MERGED:
        raise IllegalStateError(_("This lead was merged into another lead and can no longer be changed."))
    content_type = document_check_file(file)
    original_name = PurePath(file.name or "").name[:255]
    document = Document(
        lead=lead,
        kind=kind,
        title=(title or original_name)[:200],
        token=secrets.token_hex(16),
        original_name=original_name,
        content_type=content_type,
        size=file.size or 0,
        attached=attached,
        uploaded_by=actor,
    )
    full_clean_or_error(document, exclude=["file"])
    document.file.save(document.token, file, save=False)
    try:
        document.save()
    except DatabaseError:
        document.file.delete(save=False)  # the row failed: keep no file without a row
        raise
    return document


def document_purge_unattached(*, now: dt.datetime | None = None) -> int:
    """Delete uploads that nothing cited within a day; return how many went."""
    cutoff = (now or timezone.now()) - UNATTACHED_LIFETIME
    count = 0
    for document in Document.objects.filter(attached=False, uploaded_at__lt=cutoff).iterator():
        document.file.delete(save=False)
        document.delete()
        count += 1
    return count
