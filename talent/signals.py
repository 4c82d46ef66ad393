"""Signals talent sends to the apps above it (which it cannot import)."""

from django.dispatch import Signal

# Sent inside the withdrawing transaction when a person withdraws consent to some purposes. Arguments: contact_id, purposes (frozenset of
# talent.models.Purpose values). Reminders stop following up a talent whose follow-up consent is gone.
consent_withdrawn = Signal()
