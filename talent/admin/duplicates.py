"""The review queue of possible duplicate contacts, and the merges made from it.

The queue lists open pairs best first. A pair's page shows the two people side by side, field by field, with the
differences marked, and offers three decisions: keep the left record and merge the right one into it, the
reverse (contact_merge, for users with `talent.merge_contact`), or "not the same person" (pair_dismiss). Every
merge is listed in ContactMergeAdmin, whose "Undo" action calls contact_merge_undo.

Both people of a pair must be within the user's scope for the pair to be seen at all; event recorders have no
right to the queue and get 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from talent.admin.base import DefaultStatusFilter, NoHistoryAdmin, change_url, link, local_time
from talent.admin.display import consent_summary_text, reasons_shown
from talent.admin.masking import shown
from talent.models import Affiliation, Attendance, Contact, ContactChannel, ContactMerge, DuplicatePair
from talent.selectors import contacts_visible_to
from talent.services.contacts import pair_dismiss
from talent.services.merge import contact_merge, contact_merge_undo

MERGE_PERMISSION = "talent.merge_contact"

# The apps above talent link leads to contacts under these names (projects.LeadContact.contact and
# projects.Lead.subject_contact), read by name: talent never imports them. Each maps to the lead id of a row.
LEAD_RELATIONS = {"lead_roles": "lead_id", "talent_leads": "pk"}


def _both_visible(user, queryset: QuerySet, first: str, second: str) -> QuerySet:
    visible = contacts_visible_to(user)
    if not visible.query.where:
        # Everyone is visible (officers, managers): two IN (SELECT every contact) would only slow the queue.
        return queryset
    ids = visible.values("pk")
    return queryset.filter(**{f"{first}__in": ids, f"{second}__in": ids})


class PairStatusFilter(DefaultStatusFilter):
    """Open pairs unless asked otherwise: the queue is what is left to decide."""

    statuses = DuplicatePair.Status
    default = DuplicatePair.Status.OPEN


class PairChangeList(ChangeList):
    """Writes the reasons once per page, in the reader's language and masked as the reader may see them."""

    def get_results(self, request) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        for pair in self.result_list:
            pair.reasons_text = reasons_shown(request.user, pair.reasons)


@admin.register(DuplicatePair)
class DuplicatePairAdmin(NoHistoryAdmin):
    list_display = ["first_person", "second_person", "level", "score", "reasons_shown", "status", "found_at"]
    list_display_links = None  # each name links to the pair's review page
    list_filter = [PairStatusFilter, "level"]
    list_select_related = ["first__organization", "second__organization"]
    ordering = ["-score", "-found_at", "pk"]
    search_fields = ["first__name", "second__name", "first__english_name", "second__english_name"]
    show_full_result_count = False
    actions = None

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return _both_visible(user, queryset, "first", "second")

    def get_changelist(self, request, **kwargs):
        return PairChangeList

    @staticmethod
    def _person(pair: DuplicatePair, contact: Contact) -> str:
        text = f"{contact} · {contact.organization}" if contact.organization_id else str(contact)
        return link(change_url(pair), text)

    @admin.display(description=_("contact"), ordering="first__name")
    def first_person(self, pair: DuplicatePair) -> str:
        return self._person(pair, pair.first)

    @admin.display(description=_("other contact"), ordering="second__name")
    def second_person(self, pair: DuplicatePair) -> str:
        return self._person(pair, pair.second)

    @admin.display(description=_("reasons"))
    def reasons_shown(self, pair: DuplicatePair) -> str:
        return getattr(pair, "reasons_text", "")

    def has_add_permission(self, request) -> bool:
        return False  # pairs are found by identity matching when people are saved

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_merge_permission(self, request) -> bool:
        return request.user.has_perm(MERGE_PERMISSION)

    # --- The review page ------------------------------------------------------------------------------------

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        pair = self._scoped_object_or_404(request, object_id)
        if request.method == "POST":
            return self._decide(request, pair, request.POST.get("decision", ""))
        return self._review_page(request, pair)

    def _decide(self, request: HttpRequest, pair: DuplicatePair, decision: str) -> HttpResponse:
        user = request.user
        if decision in {"keep_first", "keep_second"}:
            if not self.has_merge_permission(request):
                raise PermissionDenied
            target, source = (
                (pair.first, pair.second) if decision == "keep_first" else (pair.second, pair.first)
            )

            def perform():
                return contact_merge(actor=user, source=source, target=target)

            def done(merge: ContactMerge) -> str:
                return gettext("%(source)s was merged into %(target)s.") % {
                    "source": source,
                    "target": target,
                }

        elif decision == "dismiss":
            if not self.has_change_permission(request, pair):
                raise PermissionDenied

            def perform():
                return pair_dismiss(actor=user, pair=pair)

            def done(_pair: DuplicatePair) -> str:
                return gettext("Marked as two different people.")

        else:
            self.message_user(request, gettext("Choose one of the decisions."), messages.ERROR)
            return HttpResponseRedirect(request.path)
        try:
            with transaction.atomic():
                result = perform()
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)
        self.message_user(request, done(result), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:talent_duplicatepair_changelist"))

    def _review_page(self, request: HttpRequest, pair: DuplicatePair) -> HttpResponse:
        people = {
            contact.pk: contact
            for contact in Contact.objects.filter(pk__in=[pair.first_id, pair.second_id])
            .select_related("organization")
            .prefetch_related(
                Prefetch("channels", queryset=ContactChannel.objects.order_by("kind", "pk")),
                Prefetch("affiliations", queryset=Affiliation.objects.select_related("organization")),
                Prefetch(
                    "attendances",
                    queryset=Attendance.objects.select_related("event").order_by("event__starts_on", "pk"),
                ),
            )
        }
        left, right = people[pair.first_id], people[pair.second_id]
        leads = _leads_linked([left.pk, right.pk])
        user = request.user
        left_facts, right_facts = _facts(left, user, leads), _facts(right, user, leads)
        rows = [
            {
                "label": label,
                "left": left_facts[key][1],
                "right": right_facts[key][1],
                "differs": left_facts[key][0] != right_facts[key][0],
            }
            for key, label in FACT_LABELS
        ]
        is_open = pair.status == DuplicatePair.Status.OPEN
        both_active = left.status == right.status == Contact.Status.ACTIVE
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": pair,
            "title": gettext("Is this the same person?"),
            "subtitle": str(pair),
            "pair": pair,
            "left": left,
            "right": right,
            "left_url": change_url(left),
            "right_url": change_url(right),
            "rows": rows,
            "reasons": reasons_shown(user, pair.reasons),
            "can_merge": is_open and both_active and self.has_merge_permission(request),
            "can_dismiss": is_open and self.has_change_permission(request, pair),
            "decided": None
            if is_open
            else {
                "status": pair.get_status_display(),
                "by": pair.decided_by,
                "at": local_time(pair.decided_at),
            },
            "media": self.media,
        }
        return TemplateResponse(request, "admin/talent/duplicatepair/review.html", context)


FACT_LABELS = [
    ("name", _("name")),
    ("name_romanized", _("romanized name")),
    ("english_name", _("English given name")),
    ("title", _("title")),
    ("organization", _("organization")),
    ("affiliations", _("affiliations")),
    ("phones", _("phones")),
    ("emails", _("e-mails")),
    ("wechat", _("WeChat ID")),
    ("events", _("events attended")),
    ("leads", _("leads linked")),
    ("consent", _("consent")),
    ("created", _("created")),
]


def _leads_linked(contact_ids: list[int]) -> dict[int, int]:
    """How many leads each contact is linked to, as a team member or as the talent a lead is about."""
    leads: dict[int, set[int]] = {pk: set() for pk in contact_ids}
    for name, lead_column in LEAD_RELATIONS.items():
        try:
            relation = Contact._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        contact_column = relation.field.name
        rows = relation.related_model._default_manager.filter(**{f"{contact_column}__in": contact_ids})
        for contact_id, lead_id in rows.values_list(f"{contact_column}_id", lead_column):
            leads[contact_id].add(lead_id)
    return {pk: len(ids) for pk, ids in leads.items()}


def _facts(contact: Contact, user, leads: dict[int, int]) -> dict[str, tuple[Any, str]]:
    """Each fact as (what is compared, what is shown): channels are compared in full and shown masked when the
    user may not see them."""

    def channel(kind: str) -> tuple[Any, str]:
        values = [c.value for c in contact.channels.all() if c.kind == kind]
        return sorted(values), ", ".join(shown(user, kind, value) for value in values) or "—"

    def plain(value) -> tuple[Any, str]:
        text = str(value) if value not in (None, "") else ""
        return text, text or "—"

    affiliations = [
        " ".join(
            part
            for part in (
                str(a.organization),
                a.department,
                a.position,
                f"{a.started_on or '…'}–{a.ended_on or '…'}" if a.started_on or a.ended_on else "",
            )
            if part
        )
        for a in contact.affiliations.all()
    ]
    events = [str(attendance.event) for attendance in contact.attendances.all()]
    return {
        "name": plain(contact.name),
        "name_romanized": plain(contact.name_romanized),
        "english_name": plain(contact.english_name),
        "title": plain(contact.title),
        "organization": plain(contact.organization),
        "affiliations": (sorted(affiliations), "; ".join(affiliations) or "—"),
        "phones": channel(ContactChannel.Kind.PHONE),
        "emails": channel(ContactChannel.Kind.EMAIL),
        "wechat": channel(ContactChannel.Kind.WECHAT),
        "events": (sorted(events), "; ".join(events) or "—"),
        "leads": plain(leads.get(contact.pk, 0)),
        "consent": plain(consent_summary_text(contact)),
        "created": plain(local_time(contact.created_at)),
    }


# --- Merges -----------------------------------------------------------------------------------------------------


@admin.register(ContactMerge)
class ContactMergeAdmin(NoHistoryAdmin):
    list_display = ["merged_at", "merged_contact", "kept_contact", "actor", "undone_at", "undone_by"]
    list_select_related = ["source", "target", "actor", "undone_by"]
    list_filter = [("undone_at", admin.EmptyFieldListFilter)]
    search_fields = ["source__name", "target__name"]
    fields = ["merged_at", "merged_contact", "kept_contact", "actor", "undone_at", "undone_by"]
    readonly_fields = fields
    actions = ["undo_merge"]
    show_full_result_count = False

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return _both_visible(user, queryset, "source", "target")

    @admin.display(description=_("merged contact"), ordering="source__name")
    def merged_contact(self, merge: ContactMerge) -> str:
        return link(change_url(merge.source), merge.source)

    @admin.display(description=_("kept contact"), ordering="target__name")
    def kept_contact(self, merge: ContactMerge) -> str:
        return link(change_url(merge.target), merge.target)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_merge_permission(self, request) -> bool:
        return request.user.has_perm(MERGE_PERMISSION)

    @admin.action(description=_("Undo the selected merges"), permissions=["merge"])
    def undo_merge(self, request: HttpRequest, queryset: QuerySet[ContactMerge]) -> None:
        """All or nothing: a refusal (a later merge to undo first, an erased person) rolls every undo back and is
        shown as the error (ScopedAdmin.changelist_view)."""
        merges = list(queryset.order_by("-merged_at", "-pk"))  # a chain is undone from its last merge back
        for merge in merges:
            contact_merge_undo(actor=request.user, merge=merge)
        self.message_user(
            request,
            ngettext("%(count)s merge undone.", "%(count)s merges undone.", len(merges))
            % {"count": len(merges)},
            messages.SUCCESS,
        )
