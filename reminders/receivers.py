"""Reactions to projects' signals, inside the sender's transaction: a rollback keeps the reminders too."""

from __future__ import annotations

from reminders.services import reminders_cancel, reminders_cancel_for_leads


def cancel_for_milestones(sender, *, milestone_ids, **kwargs) -> None:
    reminders_cancel(subject_type="milestone", subject_ids=milestone_ids, reason="milestone resolved")


def cancel_for_leads(sender, *, previous_owners, **kwargs) -> None:
    reminders_cancel_for_leads(previous_owners=previous_owners, reason="lead reassigned")
