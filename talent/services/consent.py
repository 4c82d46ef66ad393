"""Consent grants and withdrawals. The latest row is the person's current consent, copied onto the contact for
lists; a withdrawal of follow-up tells the apps above (reminders) to stop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from talent.models import Consent, ConsentText, Contact, PersonalDataLog, Purpose
from talent.signals import consent_withdrawn

PURPOSES = tuple(Purpose.values)


def consent_text_current() -> ConsentText | None:
    """The statement in force today: the latest published on or before today."""
    return (
        ConsentText.objects.filter(published_on__lte=timezone.localdate())
        .order_by("-published_on", "-pk")
        .first()
    )


@transaction.atomic
def consent_text_save(*, actor: User | None, text: ConsentText) -> ConsentText:
    """Add a statement version, or correct one not yet published. A published version is what people have read:
    it is never changed (publish a new version instead)."""
    if text.pk is not None:
        stored = ConsentText.objects.select_for_update().get(pk=text.pk)
        if stored.published_on <= timezone.localdate():
            raise IllegalStateError(
                _("Version %(version)s has been published and cannot be changed: add a new version.")
                % {"version": stored.version}
            )
    full_clean_or_error(text)
    text.save()
    return text


def consent_current_refresh(*, contact: Contact) -> None:
    """Copy the latest consent row onto the contact (no row: nothing consented)."""
    latest = Consent.objects.filter(contact=contact).order_by("-recorded_at", "-pk").first()
    values = latest.purposes() if latest else dict.fromkeys(PURPOSES, False)
    changed = []
    for purpose, value in values.items():
        if getattr(contact, f"consent_{purpose}") != value:
            setattr(contact, f"consent_{purpose}", value)
            changed.append(f"consent_{purpose}")
    recorded_at = latest.recorded_at if latest else None
    if contact.consent_recorded_at != recorded_at:
        contact.consent_recorded_at = recorded_at
        changed.append("consent_recorded_at")
    if changed:
        contact.save()


def _check_purposes(purposes: Iterable[str]) -> set[str]:
    chosen = set(purposes)
    unknown = chosen - set(PURPOSES)
    if unknown:
        raise ApplicationError(
            _("Unknown purposes: %(names)s.") % {"names": ", ".join(sorted(unknown))}, field="purposes"
        )
    return chosen


@transaction.atomic
def consent_record(
    *,
    actor: User | None,
    contact: Contact,
    purposes: Iterable[str],
    channel: str,
    text: ConsentText | None = None,
    evidence: str = "",
    language: str = "",
    recorded_at: dt.datetime | None = None,
) -> Consent:
    """Record what the person agreed to, each purpose separately; purposes not ticked are refused."""
    chosen = _check_purposes(purposes)
    text = text or consent_text_current()
    if text is None:
        raise ApplicationError(_("No consent statement has been published yet."), field="text")
    recorded_at = recorded_at or timezone.now()
    if recorded_at > timezone.now():
        raise ApplicationError(_("Consent cannot be recorded with a future time."), field="recorded_at")
    consent = Consent(
        contact=contact,
        kind=Consent.Kind.GRANT,
        text=text,
        channel=channel,
        evidence=evidence,
        language=language,
        recorded_by=actor,
        recorded_at=recorded_at,
        **{purpose: purpose in chosen for purpose in PURPOSES},
    )
    full_clean_or_error(consent)
    consent.save()
    before = {p for p in PURPOSES if contact.consents_to(p)}
    consent_current_refresh(contact=contact)
    _announce_withdrawal(contact, before - chosen, actor)
    return consent


@transaction.atomic
def consent_withdraw(
    *, actor: User | None, contact: Contact, purposes: Iterable[str], channel: str, evidence: str = ""
) -> Consent:
    """The person withdraws some purposes (all, when none are named); the others stay as they were."""
    withdrawn = _check_purposes(purposes) or set(PURPOSES)
    current = Consent.objects.filter(contact=contact).order_by("-recorded_at", "-pk").first()
    text = current.text if current else consent_text_current()
    if text is None:
        raise ApplicationError(_("No consent statement has been published yet."), field="text")
    kept = {p for p in PURPOSES if contact.consents_to(p)} - withdrawn
    consent = Consent(
        contact=contact,
        kind=Consent.Kind.WITHDRAWAL,
        text=text,
        channel=channel,
        evidence=evidence,
        recorded_by=actor,
        recorded_at=max(timezone.now(), current.recorded_at if current else timezone.now()),
        **{purpose: purpose in kept for purpose in PURPOSES},
    )
    full_clean_or_error(consent)
    consent.save()
    before = {p for p in PURPOSES if contact.consents_to(p)}
    consent_current_refresh(contact=contact)
    PersonalDataLog.objects.create(
        kind=PersonalDataLog.Kind.WITHDRAWAL,
        contact_id_value=contact.pk,
        actor=actor,
        reason=", ".join(sorted(withdrawn)),
    )
    _announce_withdrawal(contact, before & withdrawn, actor)
    return consent


def _announce_withdrawal(contact: Contact, purposes: set[str], actor: User | None) -> None:
    if purposes:
        # In the same transaction: a reminder cancelled by a withdrawal is cancelled with it or not at all.
        consent_withdrawn.send(sender=Contact, contact_id=contact.pk, purposes=frozenset(purposes))
