"""Signals projects sends for apps above it (reminders) that must react inside the same transaction.

Projects never imports those apps; they connect here in their AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with milestone_ids: milestones completed or marked not applicable; their pending reminders are moot.
milestones_resolved = Signal()
# Sent with previous_owners ({lead id: previous owner id}): leads that changed owner; reminders queued for
# the previous owner are moot.
leads_reassigned = Signal()
