"""The contact admin: the list staff search, the person's page, and its inlines.

Saving the form calls contact_create or contact_update; channels go through channel_add and channel_remove,
affiliations through affiliation_add. Status, the merge pointer and the consent flags are shown, never edited:
they change through merges, erasure and consent records. Phones and e-mails are masked for users without
`talent.view_personal_data` (talent.admin.masking). Export, erasure and consent withdrawal are the buttons of the
person's page (contact_actions.py).
"""

from __future__ import annotations

import contextlib

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedAdmin
from core.errors import ApplicationError
from talent.admin.base import adopt
from talent.admin.contact_actions import ContactActionsMixin
from talent.admin.contact_filters import (
    AttendedEventFilter,
    ConsentFilter,
    ContactChangeList,
    ContactStatusFilter,
)
from talent.admin.contact_inlines import (
    AffiliationInline,
    AttendanceTable,
    ChannelInline,
    ConsentTable,
    ContactForm,
    DuplicateTable,
)
from talent.admin.display import consent_summary_text
from talent.models import Affiliation, Attendance, Contact, ContactChannel, PersonalDataLog
from talent.names import simplified
from talent.phones import phone_e164
from talent.selectors import contacts_visible_to
from talent.services.contacts import (
    EDITABLE_FIELDS,
    affiliation_add,
    channel_add,
    channel_remove,
    contact_create,
    contact_update,
)
from talent.services.events import attendance_record
from talent.services.rights import personal_data_viewed

# --- The admin --------------------------------------------------------------------------------------------------

SEARCH_FIELDS = ["name", "name_simplified", "name_romanized", "english_name"]

STATE_FIELDS = [
    "status",
    "merged_into",
    "erased_at",
    "consent_shown",
    "consent_recorded_at",
    "created_by",
    "created_at",
    "updated_at",
]


@admin.register(Contact)
class ContactAdmin(ContactActionsMixin, ScopedAdmin):
    form = ContactForm
    change_form_template = "admin/talent/contact/change_form.html"
    list_display = [
        "name",
        "english_name",
        "organization",
        "phone",
        "email",
        "consent_summary",
        "status",
    ]
    list_select_related = ["organization"]
    list_filter = [
        ContactStatusFilter,
        ("organization", admin.RelatedOnlyFieldListFilter),
        "residency",
        ConsentFilter,
        AttendedEventFilter,
    ]
    search_fields = SEARCH_FIELDS
    search_help_text = _(
        "Name in any script, romanized or English name; or a whole phone number, e-mail or WeChat ID."
    )
    autocomplete_fields = ["organization"]
    # The scoped COUNT is enough: a second one without the filters adds nothing here.
    show_full_result_count = False
    inlines = [ChannelInline, AffiliationInline, AttendanceTable, ConsentTable, DuplicateTable]

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return contacts_visible_to(user, queryset)

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related("organization", "merged_into", "created_by")
        try:
            return queryset.get(pk=Contact._meta.pk.to_python(object_id))
        except (Contact.DoesNotExist, ValidationError, ValueError):
            return None

    # --- List -----------------------------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return ContactChangeList

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and changelist is not None:
            # The page shows each row's first phone and e-mail: the access log keeps which rows.
            personal_data_viewed(
                user=request.user,
                channel=PersonalDataLog.Channel.ADMIN,
                contact_ids=[contact.pk for contact in changelist.result_list],
            )
        return response

    @admin.display(description=_("phone"))
    def phone(self, contact: Contact) -> str:
        return getattr(contact, "phone_shown", "") or "—"

    @admin.display(description=_("e-mail"))
    def email(self, contact: Contact) -> str:
        return getattr(contact, "email_shown", "") or "—"

    @admin.display(description=_("consent"))
    def consent_summary(self, contact: Contact) -> str:
        return consent_summary_text(contact)

    def get_search_results(self, request, queryset, search_term):
        """Every word in one of the names (a traditional spelling also finds the simplified name), or the whole
        term as a phone number, e-mail or WeChat ID held by the person."""
        match = request.resolver_match
        if match is not None and match.url_name == "autocomplete":
            # Merged and erased records are never chosen for new links.
            queryset = queryset.filter(status=Contact.Status.ACTIVE)
        term = search_term.strip()
        if not term:
            return queryset, False
        words = [
            unescape_string_literal(bit) if bit[:1] in {'"', "'"} and bit[0] == bit[-1] else bit
            for bit in smart_split(term)
        ]
        by_name = Q()
        for word in words:
            by_name &= Q.create(
                [(f"{field}__icontains", word) for field in SEARCH_FIELDS]
                + [("name_simplified__icontains", simplified(word))],
                connector=Q.OR,
            )
        channels = Q()
        for kind, value in _channel_candidates(term):
            channels |= Q(kind=kind, value=value)
        holders = ContactChannel.objects.filter(channels).values("contact_id")
        return queryset.filter(by_name | Q(pk__in=holders)), False

    # --- Form -----------------------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (_("Name"), {"fields": ["name", "name_romanized", "english_name", "title"]}),
            (
                _("Work"),
                {"fields": ["organization", "position", "highest_degree", "research_field", "interests"]},
            ),
            (
                _("Person"),
                {
                    "fields": [
                        "residency",
                        ("preferred_language", "preferred_script"),
                        "linkedin_url",
                        "wecom_user_id",
                        "notes",
                    ]
                },
            ),
        ]
        if obj is None:
            fieldsets.insert(0, (None, {"fields": ["met_at"]}))
            return fieldsets
        return [*fieldsets, (_("Status and consent"), {"fields": STATE_FIELDS})]

    def get_readonly_fields(self, request, obj=None):
        return STATE_FIELDS if obj else []

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Django 6 makes https the default scheme for URL fields; say so now rather than warn on every form.
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_inlines(self, request, obj):
        if obj is None:
            return [ChannelInline, AffiliationInline]
        return self.inlines

    @admin.display(description=_("consent in force"))
    def consent_shown(self, contact: Contact) -> str:
        return consent_summary_text(contact)

    def has_change_permission(self, request, obj=None) -> bool:
        # A merged or erased record is kept as it is: it opens read-only.
        active = obj is None or obj.status == Contact.Status.ACTIVE
        return active and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would skip every contact-reference handler: erasure is the way to remove a person.
        return False

    def save_model(self, request, obj: Contact, form, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            contact_update(actor=request.user, contact=obj, **data)
            return
        name = data.pop("name")
        saved = contact_create(actor=request.user, name=name, **data)
        adopt(obj, saved)
        event = form.cleaned_data.get("met_at")
        if event is not None:
            attendance_record(actor=request.user, event=event, contact=saved, method=Attendance.Method.STAFF)

    def save_formset(self, request, form, formset, change: bool) -> None:
        """New channels and affiliations through their services, removed channels through channel_remove; the
        formset keeps what was done for the change message, as formset.save() would."""
        contact = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is ContactChannel:
            for row in formset.initial_forms:
                if row in formset.deleted_forms:
                    channel_remove(actor=request.user, channel=row.instance)
                    formset.deleted_objects.append(row.instance)
            for row in formset.extra_forms:
                if row.has_changed() and row not in formset.deleted_forms:
                    data = row.cleaned_data
                    added = channel_add(
                        actor=request.user,
                        contact=contact,
                        kind=data["kind"],
                        raw=data["raw"],
                        label=data["label"],
                    )
                    if added is not None:  # None: the person already had it
                        formset.new_objects.append(added)
        elif formset.model is Affiliation:
            for row in formset.extra_forms:
                if row.has_changed():
                    data = row.cleaned_data
                    added = affiliation_add(
                        actor=request.user,
                        contact=contact,
                        organization=data["organization"],
                        department=data["department"],
                        position=data["position"],
                        started_on=data["started_on"],
                        ended_on=data["ended_on"],
                    )
                    formset.new_objects.append(added)
        # The read-only tables have no forms: nothing to save.

    def construct_change_message(self, request, form, formsets, add):
        # The admin log names each added or removed row by str(row), and a channel's is its value in full: the
        # log would keep phones and e-mails that masking hides and erasure removes. Their own history has them.
        kept = [formset for formset in formsets if formset.model is not ContactChannel]
        return super().construct_change_message(request, form, kept, add)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["contact_tools"] = self.contact_tools(request, obj)
            personal_data_viewed(
                user=request.user, channel=PersonalDataLog.Channel.ADMIN, contact_ids=[obj.pk]
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


def _channel_candidates(term: str) -> list[tuple[str, str]]:
    """The channel values a search term could be, normalized as channels are stored."""
    candidates = []
    with contextlib.suppress(ApplicationError):  # not a phone number: maybe an e-mail or WeChat ID
        candidates.append((ContactChannel.Kind.PHONE, phone_e164(term)))
    if "@" in term:
        candidates.append((ContactChannel.Kind.EMAIL, term.lower()))
    elif not any(ch.isspace() for ch in term):
        candidates.append((ContactChannel.Kind.WECHAT, term.lower()))
    return candidates
