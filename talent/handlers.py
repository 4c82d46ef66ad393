"""The contact-reference handlers of talent's own models (other apps register theirs in their AppConfig.ready)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from talent.models import (
    Affiliation,
    Attendance,
    Consent,
    Contact,
    ContactChannel,
    ContactMatchKey,
    ContactMerge,
    DuplicatePair,
)
from talent.references import ContactReference, MovingReference, Records, register


class ChannelReference(MovingReference):
    """Phones, e-mails and WeChat IDs are nothing but personal data: erasure deletes them and their history."""

    def erase(self, contact: Contact) -> int:
        ids = list(self.rows(contact).values_list("pk", flat=True))
        ContactChannel.history.filter(Q(id__in=ids) | Q(contact_id=contact.pk)).delete()
        ContactChannel.objects.filter(pk__in=ids).delete()
        ContactChannel.history.filter(contact_id=contact.pk).delete()  # the rows the delete itself recorded
        return len(ids)


class MatchKeyReference(ContactReference):
    """Keys are derived: the merge service rewrites both people's keys; erasure deletes them."""

    def erase(self, contact: Contact) -> int:
        return self.rows(contact).delete()[0]


class PairReference(ContactReference):
    """The review queue: the merge service settles the merged pair and withdraws the merged person's open pairs
    (undo asks the matcher again). Erasure deletes every pair: their reasons quote phones and e-mails."""

    def merge(self, source: Contact, target: Contact) -> Records:
        DuplicatePair.objects.filter(Q(**{self.field: source}), status=DuplicatePair.Status.OPEN).exclude(
            Q(first=target) | Q(second=target)
        ).delete()
        return []

    def erase(self, contact: Contact) -> int:
        return self.rows(contact).delete()[0]


class MergeLogReference(ContactReference):
    """Merges stay logged. Their undo data holds copies of the person's rows: erasure drops it (the merge can no
    longer be undone) and keeps only the ids."""

    def erase(self, contact: Contact) -> int:
        return self.rows(contact).update(changes={"erased": True})


def register_talent_handlers() -> None:
    register(
        ChannelReference(
            ContactChannel,
            "contact",
            unique_with=("kind", "value"),
            export_fields=("kind", "value", "raw", "label"),
        ),
        MovingReference(
            Affiliation,
            "contact",
            export_fields=("organization__name", "department", "position", "started_on", "ended_on"),
            scrub={"department": "", "position": ""},
        ),
        MovingReference(
            Attendance,
            "contact",
            unique_with=("event",),
            export_fields=(
                "event__name",
                "event__starts_on",
                "session",
                "method",
                "grade",
                "next_action",
                "next_action_on",
                "notes",
                "created_at",
            ),
            scrub={"notes": "", "next_action": "", "session": ""},
        ),
        MovingReference(
            Consent,
            "contact",
            export_fields=(
                "kind",
                "text__version",
                "follow_up",
                "mailings",
                "sharing",
                "mainland",
                "channel",
                "evidence",
                "language",
                "recorded_at",
            ),
            scrub={"evidence": ""},
        ),
        MovingReference(
            Contact,
            "merged_into",
            export_fields=("pk", "created_at"),
            section=lambda: _("merged records"),
            slug="talent.merged_records",
        ),
        MatchKeyReference(ContactMatchKey, "contact"),
        PairReference(DuplicatePair, "first"),
        PairReference(DuplicatePair, "second"),
        MergeLogReference(ContactMerge, "source", export_fields=("target_id", "merged_at", "undone_at")),
        MergeLogReference(ContactMerge, "target", export_fields=("source_id", "merged_at", "undone_at")),
    )
