"""Forms of the pages outside the admin: the phone page that logs a call or a visit."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from projects.models import Activity, AftercareTouchpoint, Lead

# A touch-point is offered from two weeks before its due date, and for as long as it stays pending.
AFTERCARE_OFFERED_DAYS_AHEAD = 14


def aftercare_offered(lead: Lead) -> QuerySet[AftercareTouchpoint]:
    """The lead's pending aftercare touch-points that are due within two weeks or overdue, earliest first."""
    horizon = timezone.localdate() + dt.timedelta(days=AFTERCARE_OFFERED_DAYS_AHEAD)
    return AftercareTouchpoint.objects.filter(lead=lead, done_at__isnull=True, due_on__lte=horizon).order_by(
        "due_on", "months"
    )


class ChoiceCheckbox(forms.CheckboxInput):
    """A single checkbox that posts one choice's id: ticked means that choice, unticked means none."""

    def __init__(self, choice: object, attrs: dict | None = None) -> None:
        self.choice = str(choice)
        super().__init__(attrs, check_test=self._is_choice)

    def _is_choice(self, value: object) -> bool:
        return value is not None and str(value) == self.choice

    def format_value(self, value):
        return self.choice

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class QuickLogForm(forms.Form):
    """What an officer types on the move: the kind, what happened, and what comes next."""

    KINDS = (Activity.Kind.CALL, Activity.Kind.VISIT, Activity.Kind.MEETING, Activity.Kind.WECHAT)

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in KINDS],
        initial=Activity.Kind.CALL,
        widget=forms.RadioSelect,
    )
    summary = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write a line about what was said or seen.")},
    )
    next_step = forms.CharField(label=_("Next step"), max_length=300, required=False)
    next_step_on = forms.DateField(
        label=_("Next step by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        help_text=_("Leave empty to use the current time."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    aftercare = forms.ModelChoiceField(
        queryset=AftercareTouchpoint.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _(
                "This aftercare touch-point is no longer pending. Reload the page and try again."
            )
        },
    )

    def __init__(self, *args, lead: Lead, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offered = aftercare_offered(lead)
        # The earliest pending touch-point is the one this call or visit most likely was.
        self.touchpoint = offered.first()
        if self.touchpoint is None:
            del self.fields["aftercare"]
            return
        field = self.fields["aftercare"]
        field.queryset = offered
        field.widget = ChoiceCheckbox(self.touchpoint.pk)
        field.label = gettext("This was the %(months)s-month aftercare visit") % {
            "months": self.touchpoint.months
        }
        due = self.touchpoint.due_on.isoformat()
        field.help_text = (
            gettext("Overdue since %(date)s.")
            if self.touchpoint.due_on < timezone.localdate()
            else gettext("Due on %(date)s.")
        ) % {"date": due}
