"""Merging two records of one person, and undoing it (DESIGN §4: every contact-reference handler, one transaction)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Field, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError
from talent import references
from talent.models import Contact, ContactMerge, DuplicatePair
from talent.references import _plain
from talent.services.consent import consent_current_refresh
from talent.services.contacts import EDITABLE_FIELDS, identity_refresh

# Fields the kept record takes from the merged one when it has nothing of its own.
_FILLABLE = sorted(EDITABLE_FIELDS - {"name"})


def _field(name: str) -> Field:
    field = Contact._meta.get_field(name)
    assert isinstance(field, Field)  # a concrete column, not a reverse relation
    return field


def _field_value(contact: Contact, name: str):
    return getattr(contact, _field(name).attname)


def _lock(*contacts: Contact) -> None:
    ids = sorted(c.pk for c in contacts)
    list(Contact.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    for contact in contacts:
        contact.refresh_from_db()


@transaction.atomic
def contact_merge(*, actor: User, source: Contact, target: Contact) -> ContactMerge:
    """Fold `source` into `target`: every reference moves (a clashing row is set aside for undo), the kept record
    fills its blank fields from the merged one, the merged one stays as a pointer to the kept one."""
    if source.pk == target.pk:
        raise ApplicationError(_("A contact cannot be merged into itself."), field="source")
    _lock(source, target)
    for contact in (source, target):
        if contact.status != Contact.Status.ACTIVE:
            raise IllegalStateError(
                _("%(contact)s is %(status)s and cannot take part in a merge.")
                % {"contact": contact, "status": contact.get_status_display().lower()}
            )
    before = {name: _field_value(target, name) for name in (*_FILLABLE, *_CONSENT_FIELDS)}
    filled = []
    for name in _FILLABLE:
        if before[name] in ("", None, []) and _field_value(source, name) not in ("", None, []):
            setattr(target, _field(name).attname, _field_value(source, name))
            filled.append(name)
    if filled:
        target.save()
    changes = {handler.key: handler.merge(source, target) for handler in references.handlers()}
    source.status = Contact.Status.MERGED
    source.merged_into = target
    source.save()
    consent_current_refresh(contact=target)
    now = timezone.now()
    DuplicatePair.objects.filter(
        Q(first=source, second=target) | Q(first=target, second=source), status=DuplicatePair.Status.OPEN
    ).update(status=DuplicatePair.Status.MERGED, decided_by=actor, decided_at=now)
    merge = ContactMerge.objects.create(
        source=source,
        target=target,
        actor=actor,
        changes=_plain(
            {"handlers": changes, "target_before": {n: before[n] for n in filled + list(_CONSENT_FIELDS)}}
        ),
    )
    identity_refresh(contact=source)
    identity_refresh(contact=target)
    return merge


_CONSENT_FIELDS = (
    "consent_follow_up",
    "consent_mailings",
    "consent_sharing",
    "consent_mainland",
    "consent_recorded_at",
)


@transaction.atomic
def contact_merge_undo(*, actor: User, merge: ContactMerge) -> ContactMerge:
    """Put both records back as they were before the merge."""
    merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise IllegalStateError(_("This merge has already been undone."))
    if merge.changes.get("erased"):
        raise IllegalStateError(_("This merge cannot be undone: one of the people has been erased."))
    source, target = merge.source, merge.target
    _lock(source, target)
    later = ContactMerge.objects.filter(
        Q(source__in=[source, target]) | Q(target__in=[source, target]),
        undone_at__isnull=True,
        pk__gt=merge.pk,
    )
    if later.exists() or source.merged_into_id != target.pk or target.status != Contact.Status.ACTIVE:
        raise IllegalStateError(_("A later merge involves these people: undo that one first."))
    recorded = merge.changes.get("handlers", {})
    for handler in reversed(references.handlers()):
        handler.undo(recorded.get(handler.key, []), source, target)
    for name, value in merge.changes.get("target_before", {}).items():
        field = _field(name)
        setattr(target, field.attname, None if value is None else field.to_python(value))
    target.save()
    source.status = Contact.Status.ACTIVE
    source.merged_into = None
    source.save()
    DuplicatePair.objects.filter(
        Q(first=source, second=target) | Q(first=target, second=source), status=DuplicatePair.Status.MERGED
    ).update(status=DuplicatePair.Status.OPEN, decided_by=None, decided_at=None)
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.save(update_fields=["undone_at", "undone_by"])
    identity_refresh(contact=source)
    identity_refresh(contact=target)
    return merge
