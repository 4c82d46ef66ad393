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
