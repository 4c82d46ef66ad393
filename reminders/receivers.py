"""Reactions to projects' signals, inside the sender's transaction: a rollback keeps the reminders too."""

from __future__ import annotations

from reminders.services import reminders_cancel, reminders_cancel_for_leads, reminders_cancel_for_talent


def cancel_for_milestones(sender, *, milestone_ids, **kwargs) -> None:
    reminders_cancel(subject_type="milestone", subject_ids=milestone_ids, reason="milestone resolved")


def cancel_for_leads(sender, *, previous_owners, **kwargs) -> None:
    reminders_cancel_for_leads(previous_owners=previous_owners, reason="lead reassigned")


def cancel_for_withdrawn_consent(sender, *, contact_id, purposes, **kwargs) -> None:
    if "follow_up" in purposes:
        reminders_cancel_for_talent(contact_id=contact_id, reason="follow-up consent withdrawn")


def erase_talent_names(contact, label: str) -> int:
    """Inbox copies quote the lead's name, and a talent lead is named after its person: on erasure the names
    become the label (e-mails already sent are out of reach)."""
    from projects.models import Lead
    from reminders.models import Notification

    names_by_lead = {
        lead.pk: [name for name in (lead.name, lead.name_zh_hant, lead.name_en) if name]
        for lead in Lead.objects.filter(subject_contact=contact)
    }
    changed = 0
    for notification in Notification.objects.filter(reminder__lead__in=list(names_by_lead)).select_related(
        "reminder"
    ):
        title, body = notification.title, notification.body
        for name in names_by_lead[notification.reminder.lead_id]:
            title, body = title.replace(name, label), body.replace(name, label)
        if (title, body) != (notification.title, notification.body):
            notification.title, notification.body = title[:300], body
            notification.save(update_fields=["title", "body"])
            changed += 1
    return changed
