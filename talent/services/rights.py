"""Personal-data rights (PIPL, PDPO): everything held on one person as JSON or a spreadsheet, erasure that
anonymizes the person in current rows and in history, the retention rule the nightly task applies, and the
access log (who viewed or exported which contacts) with its own retention."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import IllegalStateError
from core.imports.values import safe_cell
from talent import references
from talent.models import Attendance, Consent, Contact, PersonalDataLog
from talent.references import _plain
from talent.selectors import shows_personal_data
from talent.services.contacts import identity_refresh

_CONTACT_EXPORT_FIELDS = (
    "id",
    "name",
    "name_simplified",
    "name_romanized",
    "english_name",
    "title",
    "organization__name",
    "position",
    "highest_degree",
    "research_field",
    "interests",
    "residency",
    "linkedin_url",
    "wecom_user_id",
    "preferred_language",
    "preferred_script",
    "notes",
    "consent_follow_up",
    "consent_mailings",
    "consent_sharing",
    "consent_mainland",
    "consent_recorded_at",
    "status",
    "created_at",
    "updated_at",
)

# Cleared on erasure, in the record and in every history row of it.
_ERASED_VALUES: dict[str, Any] = {
    "name_simplified": "",
    "name_romanized": "",
    "english_name": "",
    "title": "",
    "position": "",
    "highest_degree": "",
    "research_field": "",
    "interests": [],
    "residency": "",
    "linkedin_url": "",
    "wecom_user_id": "",
    "preferred_language": "",
    "preferred_script": "",
    "notes": "",
}


def contact_export(*, actor: User | None, contact: Contact) -> dict[str, Any]:
    """Everything held on the person, section by section (the record, its history, then every handler's rows)."""
    record = Contact.objects.filter(pk=contact.pk).values(*_CONTACT_EXPORT_FIELDS).get()
    history = list(
        Contact.history.filter(id=contact.pk)
        .order_by("history_date", "history_id")
        .values("history_date", "history_type", "name", "name_romanized", "english_name", "title", "notes")
    )
    # Sections are keyed by a stable name (what a program reads); titles are for people (the workbook's sheets).
    sections: dict[str, list[dict[str, Any]]] = {
        "talent.contact": [record],
        "talent.contact_history": history,
    }
    titles = {"talent.contact": _("contact"), "talent.contact_history": _("changes to the contact")}
    for handler in references.handlers():
        rows = handler.export(contact)
        if rows:
            sections.setdefault(handler.slug, []).extend(rows)
            titles.setdefault(handler.slug, handler.section)
    personal_data_access_log(
        actor=actor,
        kind=PersonalDataLog.Kind.EXPORT,
        channel=PersonalDataLog.Channel.ADMIN,
        contact_ids=[contact.pk],
        details={"sections": {name: len(rows) for name, rows in sections.items()}},
    )
    return _plain(
        {"contact_id": contact.pk, "exported_at": timezone.now(), "titles": titles, "sections": sections}
    )


def export_workbook(data: dict[str, Any]) -> bytes:
    """The export as an XLSX workbook: one sheet per section, a header row of field names."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, (name, rows) in enumerate(data["sections"].items()):
        # Sheet titles: at most 31 characters, none of []:*?/\\ ; unique (the number makes them so).
        title = (
            "".join(ch for ch in str(data["titles"].get(name, name)) if ch not in "[]:*?/\\")[:28] or "sheet"
        )
        sheet = workbook.create_sheet(f"{index + 1} {title}"[:31])
        columns = list(dict.fromkeys(key for row in rows for key in row))
        sheet.append(columns)
        for row in rows:
            sheet.append([safe_cell(row.get(column)) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def contact_erase(*, actor: User | None, contact: Contact, reason: str) -> PersonalDataLog:
    """Anonymize the person: the record and its history keep no name, channel or note; the rows that point to it
    (attendances, leads, activities) stay for the statistics, scrubbed by their handlers."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.status == Contact.Status.ERASED:
        raise IllegalStateError(_("This person has already been erased."))
    label = _("Erased person #%(pk)s") % {"pk": contact.pk}
    logged = _admin_log_entries(contact)
    touched = {
        f"{eraser.__module__}.{eraser.__name__}": eraser(contact, label) for eraser in references.erasers()
    }
    touched |= {handler.key: handler.erase(contact) for handler in references.handlers()}
    placeholder = f"#{contact.pk}"
    for name, value in _ERASED_VALUES.items():
        setattr(contact, name, value)
    contact.name = placeholder
    contact.status = Contact.Status.ERASED
    contact.merged_into = None
    contact.erased_at = timezone.now()
    contact.save()
    Contact.history.filter(id=contact.pk).update(name=placeholder, **_ERASED_VALUES)
    # The admin's log names what was changed ("陳大文 @ 推介会"): keep that it happened, not who it was.
    touched["admin.logentry"] = logged.update(object_repr=label, change_message="")
    identity_refresh(contact=contact)
    return PersonalDataLog.objects.create(
        kind=PersonalDataLog.Kind.ERASURE,
        contact_id_value=contact.pk,
        actor=actor,
        reason=reason[:200],
        details={"rows": {key: n for key, n in touched.items() if n}},
    )


def _admin_log_entries(contact: Contact):
    """The admin log rows about the person and about the rows that point at them, read before the handlers run
    (some delete their rows)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    about = Q(content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact.pk))
    for handler in references.handlers():
        ids = [str(pk) for pk in handler.rows(contact).values_list("pk", flat=True)]
        if ids and not handler.model._meta.auto_created:
            about |= Q(content_type=ContentType.objects.get_for_model(handler.model), object_id__in=ids)
    return LogEntry.objects.filter(pk__in=list(LogEntry.objects.filter(about).values_list("pk", flat=True)))


def retention_due(*, now: dt.datetime | None = None):
    """Contacts past the retention period: not changed, met or asked for consent since the cutoff, and not kept
    by another app (a live lead) — handlers say which contacts they keep."""
    days = settings.CONTACT_RETENTION_DAYS
    if days <= 0:
        return Contact.objects.none(), None
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    due = Contact.objects.filter(status=Contact.Status.ACTIVE, updated_at__lt=cutoff).exclude(
        Q(pk__in=Attendance.objects.filter(created_at__gte=cutoff).values("contact_id"))
        | Q(pk__in=Consent.objects.filter(recorded_at__gte=cutoff).values("contact_id"))
    )
    for keep in references.retention_keepers():
        for in_use in keep(cutoff):
            due = due.exclude(pk__in=in_use)
    return due, cutoff


def retention_apply(*, now: dt.datetime | None = None, limit: int = 1000) -> PersonalDataLog:
    """Erase the contacts past retention, each in its own transaction (one failure does not keep the rest), and
    log the run."""
    due, cutoff = retention_due(now=now)
    ids = list(due.order_by("pk").values_list("pk", flat=True)[:limit])
    erased, failed = [], []
    for pk in ids:
        try:
            contact_erase(actor=None, contact=Contact(pk=pk), reason="retention")
            erased.append(pk)
        except IllegalStateError:
            failed.append(pk)
    return PersonalDataLog.objects.create(
        kind=PersonalDataLog.Kind.RETENTION,
        reason=_("retention period of %(days)s days") % {"days": settings.CONTACT_RETENTION_DAYS},
        details=_plain({"cutoff": cutoff, "erased": erased, "skipped": failed, "more": len(ids) == limit}),
    )


@transaction.atomic
def personal_data_export_log(
    *, actor: User, reason: str, details: dict[str, Any], contact_ids: Iterable[int] = ()
) -> PersonalDataLog:
    """Log a report export that carried people's names, phones or e-mails: it is about many people, so it names
    no one contact; `details` says which report, how many rows and with which filters, `contact_ids` whose data
    the file held."""
    rows = details.get("rows")
    entry = PersonalDataLog(
        kind=PersonalDataLog.Kind.EXPORT,
        channel=PersonalDataLog.Channel.REPORT,
        contact_id_value=None,
        contact_ids=list(dict.fromkeys(contact_ids)),
        row_count=rows if isinstance(rows, int) else None,
        actor=actor,
        reason=reason.strip()[:200],
        details=_plain(details),
    )
    entry.full_clean()
    entry.save()
    return entry


# --- The access log -------------------------------------------------------------------------------------------


def personal_data_access_log(
    *,
    actor: User | None,
    kind: str,
    channel: str,
    contact_ids: Iterable[int],
    count: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> PersonalDataLog:
    """Record that `actor` saw (kind "view") or took away ("export") the personal data of `contact_ids`: one
    INSERT, whatever the number of contacts. `count` is the rows the page, answer or file held (the number of
    contacts when omitted)."""
    ids = list(dict.fromkeys(int(pk) for pk in contact_ids))
    return PersonalDataLog.objects.create(
        kind=kind,
        channel=channel,
        actor=actor,
        contact_id_value=ids[0] if len(ids) == 1 else None,
        contact_ids=ids,
        row_count=len(ids) if count is None else count,
        reason=reason.strip()[:200],
        details=_plain(details or {}),
    )


def personal_data_viewed(*, user, channel: str, contact_ids: Iterable[int], count: int | None = None) -> None:
    """Log a page or an answer that showed contacts, when it showed them unmasked (DESIGN §2: a masked phone or
    e-mail is not personal data worth an entry) and showed any at all."""
    ids = list(contact_ids)
    if ids and shows_personal_data(user):
        personal_data_access_log(
            actor=user, kind=PersonalDataLog.Kind.VIEW, channel=channel, contact_ids=ids, count=count
        )


def personal_data_log_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the views and exports older than PERSONAL_DATA_LOG_DAYS (0 keeps them all), in one DELETE;
    erasures, withdrawals and retention runs are the record of rights requests and stay. Returns the rows
    deleted."""
    days = settings.PERSONAL_DATA_LOG_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _by_model = PersonalDataLog.objects.filter(
        kind__in=PersonalDataLog.ACCESS_KINDS, at__lt=cutoff
    ).delete()
    return deleted
