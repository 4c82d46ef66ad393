"""How leads, their people and activities follow a contact merge, its undo, an erasure and an export
(talent's registry: DESIGN §4)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from projects.models import Activity, Lead, LeadContact
from talent.models import Contact
from talent.references import MovingReference, register, register_keeper


class TalentLeadReference(MovingReference):
    """A talent-track lead is named after its person: erasure renames the lead (and its history rows) and keeps
    the lead's facts (stages, signings) for the statistics."""

    def erase(self, contact: Contact) -> int:
        from projects.services.merge import lead_fill_name_keys

        label = gettext("Erased person #%(pk)s") % {"pk": contact.pk}
        scrub = {"name": label, "name_zh_hant": "", "name_en": ""}
        leads = list(self.rows(contact))
        for lead in leads:
            for name, value in scrub.items():
                setattr(lead, name, value)
            lead_fill_name_keys(lead)
            lead.save()
        Lead.history.filter(id__in=[lead.pk for lead in leads]).update(
            **scrub, name_key=leads[0].name_key if leads else "", name_zh_hant_key="", name_en_key=""
        )
        return len(leads)


_CLOSED = [Lead.Status.LOST, Lead.Status.MERGED]


def _kept_by_leads(cutoff) -> list:
    """People of a lead still open, or met in an activity since the cutoff, are in use."""
    open_leads = Lead.objects.exclude(status__in=_CLOSED)
    return [
        open_leads.filter(subject_contact__isnull=False).values("subject_contact_id"),
        LeadContact.objects.filter(lead__in=open_leads).values("contact_id"),
        Activity.contacts.through.objects.filter(activity__occurred_at__gte=cutoff).values("contact_id"),
    ]


def register_contact_references() -> None:
    register_keeper(_kept_by_leads)
    register(
        TalentLeadReference(
            Lead,
            "subject_contact",
            export_fields=("code", "name", "stage", "status", "created_at"),
            section=lambda: _("talent leads"),
        ),
        MovingReference(
            LeadContact,
            "contact",
            unique_with=("lead", "role"),
            export_fields=("lead__code", "lead__name", "role"),
        ),
        MovingReference(
            Activity.contacts.through,
            "contact",
            unique_with=("activity",),
            export_fields=(
                "activity__occurred_at",
                "activity__kind",
                "activity__lead__code",
                "activity__summary",
            ),
            section=lambda: _("activities"),
        ),
    )
