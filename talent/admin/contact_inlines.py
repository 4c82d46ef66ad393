"""The contact page's form and inlines. Channels and affiliations are added here (ContactAdmin.save_formset calls
their services); attendances, consent records and duplicate pairs are read-only tables."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from talent.admin.base import ReadOnlyInline, change_url, link
from talent.admin.display import purposes_text
from talent.admin.masking import may_see_personal_data, shown
from talent.models import (
    Affiliation,
    Attendance,
    Consent,
    Contact,
    ContactChannel,
    DuplicatePair,
    Interest,
    RecruitmentEvent,
)
from talent.selectors import (
    ALL_CONTACTS_PERMISSION,
    attendances_visible_to,
    contacts_visible_to,
    events_visible_to,
)
from talent.services.contacts import EDITABLE_FIELDS, channel_normalize


def _https_formfield(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class ContactForm(forms.ModelForm):
    """What the contact services may change. On the add page, where the person was met: required of users who
    see only the people met at their events (the new contact would otherwise be out of their sight at once)."""

    actor = None  # put on the class by ScopedAdmin.get_form

    interests = forms.MultipleChoiceField(
        label=_("interests"), choices=Interest.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    met_at = forms.ModelChoiceField(
        label=_("met at event"),
        queryset=RecruitmentEvent.objects.none(),
        required=False,
        help_text=_("Records the person's attendance at this event."),
    )

    class Meta:
        model = Contact
        fields = sorted(EDITABLE_FIELDS)
        # The class's own fields (the admin builds its form with ContactAdmin.formfield_for_dbfield instead).
        formfield_callback = _https_formfield

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk or self.actor is None:
            self.fields.pop("met_at", None)
        else:
            self.fields["met_at"].queryset = events_visible_to(self.actor).order_by("-starts_on", "pk")
            self.fields["met_at"].required = not self.actor.has_perm(ALL_CONTACTS_PERMISSION)


class ChannelForm(forms.ModelForm):
    """A new phone, e-mail or WeChat ID as typed; it is checked here so a mistake is shown beside the field."""

    class Meta:
        model = ContactChannel
        fields = ["kind", "raw", "label"]
        labels = {"raw": _("number or address")}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("kind") and cleaned.get("raw"):
            try:
                cleaned["value"] = channel_normalize(cleaned["kind"], cleaned["raw"])
            except ApplicationError as error:
                self.add_error("raw", error.message)
        elif self.instance.pk is None and cleaned.get("kind") and not cleaned.get("raw"):
            self.add_error("raw", gettext("Enter the number or address."))
        return cleaned


# --- Inlines ----------------------------------------------------------------------------------------------------


class ChannelInline(admin.TabularInline):
    """Existing channels are never edited in place (no service changes one): remove and add again. Users
    without the personal-data permission see them masked, and can neither add nor remove."""

    model = ContactChannel
    form = ChannelForm
    # Django's tabular template names each row by str(channel), which is the value in full: this one does not.
    template = "admin/talent/contact/channel_inline.html"
    extra = 0
    verbose_name_plural = _("phones, e-mails and WeChat")

    def get_fields(self, request, obj=None):
        if may_see_personal_data(request.user):
            return ["kind", "raw", "label", "value"]
        return ["kind", "value_shown", "label"]

    def get_readonly_fields(self, request, obj=None):
        if may_see_personal_data(request.user):
            return ["value"]
        return ["kind", "value_shown", "label"]

    def get_formset(self, request, obj=None, **kwargs):
        self.viewer = request.user  # the inline is built per request; value_shown reads it
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description=_("value"))
    def value_shown(self, channel: ContactChannel) -> str:
        return shown(self.viewer, channel.kind, channel.value)

    def _may_write(self, request, obj) -> bool:
        active = obj is None or obj.status == Contact.Status.ACTIVE
        return active and may_see_personal_data(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self._may_write(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)


class AffiliationInline(admin.TabularInline):
    """New affiliations go through affiliation_add; recorded ones are shown as they were entered."""

    model = Affiliation
    fields = ["organization", "department", "position", "started_on", "ended_on"]
    autocomplete_fields = ["organization"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        active = obj is None or obj.status == Contact.Status.ACTIVE
        return active and super().has_add_permission(request, obj)


class AttendanceTable(ReadOnlyInline):
    model = Attendance
    columns = ["event_link", "method", "grade", "next_action", "next_action_on", "captured_by", "created_at"]
    verbose_name_plural = _("events attended")

    def get_queryset(self, request):
        return attendances_visible_to(request.user, super().get_queryset(request)).select_related(
            "event", "captured_by"
        )

    @admin.display(description=_("event"))
    def event_link(self, attendance: Attendance) -> str:
        return link(change_url(attendance), attendance.event)


class ConsentTable(ReadOnlyInline):
    model = Consent
    columns = ["recorded_at", "kind", "purposes", "channel", "statement", "evidence", "recorded_by"]
    verbose_name_plural = _("consent records")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("text", "recorded_by")

    @admin.display(description=_("purposes in force"))
    def purposes(self, consent: Consent) -> str:
        return purposes_text(consent)

    @admin.display(description=_("statement version"))
    def statement(self, consent: Consent) -> str:
        return consent.text.version


class DuplicateTable(ReadOnlyInline):
    """The pairs of the review queue this person is in, either side, with the other person visible to the user."""

    model = DuplicatePair
    fk_name = "first"
    columns = ["other", "level", "score", "status", "review"]
    verbose_name_plural = _("possible duplicates")

    def rows(self, request, contact: Contact) -> QuerySet[DuplicatePair]:
        visible = contacts_visible_to(request.user).values("pk")
        return (
            DuplicatePair.objects.filter(
                Q(first=contact, second__in=visible) | Q(second=contact, first__in=visible)
            )
            .select_related("first", "second")
            .order_by("status", "-score", "pk")
        )

    @admin.display(description=_("other contact"))
    def other(self, pair: DuplicatePair) -> str:
        other = pair.second if pair.first_id == self.contact_id else pair.first
        return link(change_url(other), other)

    @admin.display(description=_("review"))
    def review(self, pair: DuplicatePair) -> str:
        return link(change_url(pair), gettext("Review"))

    def get_formset(self, request, obj=None, **kwargs):
        self.contact_id = obj.pk if obj else None
        formset = super().get_formset(request, obj, **kwargs)
        formset.row_source = staticmethod(lambda instance: self.rows(request, instance))
        return formset
