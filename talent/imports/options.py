"""What the officer tells the sign-in import besides the file: the event, and the consent printed on the sheet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports.base import ImportOptionsForm
from talent.models import ConsentText, Purpose, RecruitmentEvent
from talent.selectors import events_visible_to


class SignInOptionsForm(ImportOptionsForm):
    event = forms.ModelChoiceField(
        label=gettext_lazy("Event"),
        queryset=RecruitmentEvent.objects.none(),
        help_text=gettext_lazy("The event whose sign-in sheet this is."),
    )
    consent_purposes = forms.MultipleChoiceField(
        label=gettext_lazy("Consent on the sheet covers"),
        choices=Purpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Tick what the statement printed on the paper sheet asks people to agree to. Rows whose consent "
            "column says yes (是, Y, ✓) get a paper consent for these purposes. Leave all unticked when the sheet "
            "carried no consent statement."
        ),
    )
    consent_reference = forms.CharField(
        label=gettext_lazy("Where the signed sheets are kept"),
        required=False,
        max_length=100,
        help_text=gettext_lazy(
            "A file or folder reference for the paper or its scan, kept as consent evidence."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["event"].queryset = events_visible_to(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        event = data.get("event")
        if data.get("consent_purposes") and event is not None and consent_text(event) is None:
            self.add_error(
                "consent_purposes",
                _(
                    "No consent statement had been published by %(date)s, the event's last day. Tick no "
                    "purposes, or first add the statement printed on the sheet as a version published by then."
                )
                % {"date": event.ends_on.isoformat()},
            )
        return data


def consent_time(event: RecruitmentEvent) -> dt.datetime:
    """When the paper was signed, as near as the sheet tells: the end of the event (never in the future). A
    withdrawal made after the event stays the person's current consent."""
    end = timezone.make_aware(dt.datetime.combine(event.ends_on, dt.time(23, 59)))
    return min(end, timezone.now())


def consent_text(event: RecruitmentEvent) -> ConsentText | None:
    """The statement in force when the sheet was signed."""
    return (
        ConsentText.objects.filter(published_on__lte=timezone.localdate(consent_time(event)))
        .order_by("-published_on", "-pk")
        .first()
    )
