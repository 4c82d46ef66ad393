"""What a reminder says, written at delivery in the recipient's language from the subject as it is then."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit
from core.money import format_amount
from funding.models import ApplicationWindow, FundingApplication, Tranche
from projects.models import Lead, Milestone
from projects.selectors import leads_visible_to, milestones_overdue_filter
from projects.stages import Stage
from reminders.models import Reminder, ReminderRule
from reminders.sweep import UNRESOLVED, stalled_leads_filter

Kind = ReminderRule.Kind
DIGEST_LINES = 20


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str  # path on this site; channels that leave the site make it absolute

    def absolute_url(self) -> str:
        return f"{settings.SITE_URL.rstrip('/')}{self.url}" if self.url else ""


def _lead_url(lead_id: int) -> str:
    return reverse("admin:projects_lead_change", args=[lead_id])


def _milestone_message(reminder: Reminder) -> Message:
    milestone = Milestone.objects.select_related("lead__owner", "template", "lead_pass").get(
        pk=reminder.subject_id
    )
    lead = milestone.lead
    what = f"{lead.code} {lead.name} · {milestone}"
    due = milestone.due_on.isoformat() if milestone.due_on else ""
    kind = reminder.rule.kind
    if kind == Kind.MILESTONE_DUE_IN:
        title = _("Due on %(date)s: %(what)s") % {"date": due, "what": what}
    elif kind == Kind.MILESTONE_DUE_TODAY:
        title = _("Due today: %(what)s") % {"what": what}
    elif kind == Kind.MILESTONE_ESCALATION:
        title = _("Escalated, overdue since %(date)s: %(what)s") % {"date": due, "what": what}
    else:
        title = _("Overdue since %(date)s: %(what)s") % {"date": due, "what": what}
    body = _("Pass: %(pass)s. Owner: %(owner)s. Record the evidence on the lead page once it is done.") % {
        "pass": milestone.lead_pass.localized_name,
        "owner": lead.owner,
    }
    return Message(title, body, _lead_url(lead.pk))


def _lead_message(reminder: Reminder) -> Message:
    lead = Lead.objects.get(pk=reminder.subject_id)
    what = f"{lead.code} {lead.name}"
    rule = reminder.rule
    if rule.kind == Kind.STAGE_STUCK:
        title = _("%(what)s has been at “%(stage)s” for %(days)s days or more") % {
            "what": what,
            "stage": Stage(lead.stage).label,
            "days": rule.days,
        }
    elif rule.kind == Kind.NO_ACTIVITY:
        title = _("No follow-up on %(what)s for %(days)s days or more") % {"what": what, "days": rule.days}
    elif rule.kind == Kind.INTAKE_SLA:
        title = _("%(what)s is not qualified yet, %(days)s days after registration") % {
            "what": what,
            "days": rule.days,
        }
    else:
        title = _("%(what)s was paused until %(date)s: review whether to resume it") % {
            "what": what,
            "date": lead.resume_review_on.isoformat() if lead.resume_review_on else "",
        }
    body = _("Log an activity or move the stage on the lead page.")
    return Message(title, body, _lead_url(lead.pk))


def _application_url(application_id: int) -> str:
    return reverse("admin:funding_fundingapplication_change", args=[application_id])


def _window_message(reminder: Reminder) -> Message | None:
    """The recipient's drafts in the batch as they are now; the sweep's re-check has just confirmed there is one."""
    window = ApplicationWindow.objects.select_related("version__program").get(pk=reminder.subject_id)
    drafts = list(
        FundingApplication.objects.filter(
            window=window, status=FundingApplication.Status.DRAFT, lead__owner_id=reminder.recipient_id
        )
        .select_related("lead")
        .order_by("lead__code", "pk")
    )
    if not drafts:
        return None
    what = f"{window.version.program.localized_name} {window.version.year} · {window.batch}"
    closes = window.closes_on.isoformat()
    if window.closes_on == timezone.localdate():
        title = _("Funding batch closes today: %(what)s") % {"what": what}
    else:
        title = _("Funding batch closes on %(date)s: %(what)s") % {"date": closes, "what": what}
    if len(drafts) == 1:
        lead = drafts[0].lead
        body = _("The application of %(lead)s is still a draft: submit it before %(date)s.") % {
            "lead": f"{lead.code} {lead.name}",
            "date": closes,
        }
        return Message(title, body, _application_url(drafts[0].pk))
    # Codes only: the row names no single lead, so erasing a talent's name could not reach names quoted here.
    body = _("Draft applications still to submit before %(date)s: %(leads)s.") % {
        "date": closes,
        "leads": ", ".join(draft.lead.code for draft in drafts),
    }
    url = reverse("admin:funding_fundingapplication_changelist") + (
        f"?status__exact={FundingApplication.Status.DRAFT}"
        f"&version__program__id__exact={window.version.program_id}&version__year__exact={window.version.year}"
    )
    return Message(title, body, url)


def _tranche_message(reminder: Reminder) -> Message:
    tranche = Tranche.objects.select_related("application__lead", "application__version__program").get(
        pk=reminder.subject_id
    )
    application = tranche.application
    lead = application.lead
    what = (
        f"{lead.code} {lead.name} · {application.version.program.localized_name} {application.version.year}"
    )
    amount = format_amount(tranche.amount, application.currency)
    if tranche.planned_on == timezone.localdate():
        title = _("Tranche due today: %(amount)s, %(what)s") % {"amount": amount, "what": what}
    else:
        title = _("Tranche due on %(date)s: %(amount)s, %(what)s") % {
            "date": tranche.planned_on.isoformat(),
            "amount": amount,
            "what": what,
        }
    body = _("Record the payment on the application page once it is made, or move the planned date.")
    return Message(title, body, _application_url(application.pk))


def _manager_digest(reminder: Reminder) -> Message | None:
    from accounts.models import User

    manager = User.objects.get(pk=reminder.subject_id)
    # The manager's own scope, confidential rule included: a digest is a list like any other.
    leads = leads_visible_to(manager)
    overdue = list(
        Milestone.objects.filter(
            status__in=UNRESOLVED,
            due_on__lt=timezone.localdate(),
            lead__in=leads.filter(status__in=[Lead.Status.ACTIVE, Lead.Status.PAUSED]),
        )
        .select_related("lead", "template")
        .order_by("due_on", "pk")[: DIGEST_LINES + 1]
    )
    stalled = list(
        leads.filter(stalled_leads_filter()).order_by("stage_entered_at", "pk")[: DIGEST_LINES + 1]
    )
    if not overdue and not stalled:
        return None
    lines = [_("Overdue milestones:")] if overdue else []
    lines += [f"- {m.due_on} {m.lead.code} {m.lead.name} · {m}" for m in overdue[:DIGEST_LINES]]
    if len(overdue) > DIGEST_LINES:
        lines.append(_("… and more in the lead list."))
    if stalled:
        lines.append(_("Stalled leads:"))
        lines += [f"- {lead.code} {lead.name} · {Stage(lead.stage).label}" for lead in stalled[:DIGEST_LINES]]
        if len(stalled) > DIGEST_LINES:
            lines.append(_("… and more in the lead list."))
    title = _("Daily digest for %(date)s") % {"date": reminder.occurs_on.isoformat()}
    url = reverse("admin:projects_lead_changelist") + "?overdue=yes"
    return Message(title, "\n".join(lines), url)


def _unit_digest(reminder: Reminder) -> Message | None:
    """Counts only: the group chat is no place for names, companies or people."""
    unit = Unit.objects.get(pk=reminder.subject_id)
    subtree = Lead.objects.filter(owning_unit__path__startswith=unit.path)
    counts = subtree.aggregate(
        stalled=Count("pk", filter=stalled_leads_filter()),
        overdue=Count(
            "pk", filter=Q(status__in=[Lead.Status.ACTIVE, Lead.Status.PAUSED]) & milestones_overdue_filter()
        ),
    )
    if not counts["stalled"] and not counts["overdue"]:
        return None
    title = _("%(unit)s, %(date)s") % {"unit": unit.name, "date": reminder.occurs_on.isoformat()}
    body = _("Leads with overdue milestones: %(overdue)s. Stalled leads: %(stalled)s.") % counts
    return Message(title, body, "")


def message_for(reminder: Reminder) -> Message | None:
    """None when there is nothing to say (an empty digest)."""
    subject = reminder.rule.subject_type
    if subject == "milestone":
        return _milestone_message(reminder)
    if subject == "lead":
        return _lead_message(reminder)
    if subject == "window":
        return _window_message(reminder)
    if subject == "tranche":
        return _tranche_message(reminder)
    if reminder.rule.kind == Kind.MANAGER_DIGEST:
        return _manager_digest(reminder)
    return _unit_digest(reminder)
