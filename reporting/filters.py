"""The filters every report shares (dashboard, funnel API, exports, brief): a period and what narrows the leads.

They live in the URL (`?from=2026-01-01&to=2026-06-30&track=org&unit=3`), so a manager can bookmark or send a
view; the same names are the funnel endpoint's query parameters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from directory.models import Carrier, Organization, Sector
from projects.models import Lead, LeadType
from projects.selectors import leads_visible_to
from projects.stages import Track
from talent.models import RecruitmentEvent

# Longer periods are refused: nobody reads a funnel over decades, and the cohort query grows with the span.
MAX_PERIOD_DAYS = 366 * 10
# Dates outside these are refused: near year 1 or 9999 the period's instants (and a year before `to`) fall
# outside what datetime can hold, and the request would fail with a 500 instead of a field error.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)

# The filters that name a row (by id), in the order they are shown and echoed.
ID_FILTERS = ("carrier", "sector", "unit", "owner", "event", "organization")


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 12 months, today included: 2026-11-28 gives 2025-11-29 … 2026-11-28."""
    today = today or timezone.localdate()
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + dt.timedelta(days=1), today


@dataclass(frozen=True)
class ReportFilters:
    """A validated period and narrowing filters. Row filters hold model instances (or None)."""

    date_from: dt.date
    date_to: dt.date
    track: str = ""
    lead_type: str = ""
    carrier: Carrier | None = None
    sector: Sector | None = None
    unit: Unit | None = None
    owner: Any = None  # a User
    event: RecruitmentEvent | None = None
    organization: Organization | None = None

    @classmethod
    def default(cls, **values: Any) -> ReportFilters:
        date_from, date_to = default_period()
        return cls(
            date_from=values.pop("date_from", date_from), date_to=values.pop("date_to", date_to), **values
        )

    # --- What the period means in time --------------------------------------------------------------------

    @property
    def starts_at(self) -> dt.datetime:
        """The period's first instant: 00:00 of `date_from` in the reporting time zone."""
        return dt.datetime.combine(self.date_from, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def ends_before(self) -> dt.datetime:
        """The instant after the period: 00:00 of the day after `date_to` (the dates are inclusive)."""
        return dt.datetime.combine(
            self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
        )

    def tracks(self) -> list[str]:
        """The tracks the figures cover: both, or the one the track or lead-type filter leaves."""
        if self.lead_type:
            return [LeadType.track_of(self.lead_type)]
        if self.track:
            return [self.track]
        return list(Track.values)

    # --- Applying them ------------------------------------------------------------------------------------

    def lead_condition(self) -> Q:
        """A Q on Lead for every filter but the period. Units and carriers take their subtree; a sector takes
        its sub-sectors."""
        condition = Q()
        if self.track:
            condition &= Q(track=self.track)
        if self.lead_type:
            condition &= Q(lead_type=self.lead_type)
        if self.carrier is not None:
            condition &= Q(target_carrier__path__startswith=self.carrier.path)
        if self.sector is not None:
            condition &= Q(sector=self.sector) | Q(sector__parent=self.sector)
        if self.unit is not None:
            condition &= Q(owning_unit__path__startswith=self.unit.path)
        if self.owner is not None:
            condition &= Q(owner=self.owner)
        if self.event is not None:
            condition &= Q(source_event=self.event)
        if self.organization is not None:
            condition &= Q(hk_organization=self.organization)
        return condition

    def leads(self, user) -> QuerySet[Lead]:
        """The leads the report covers before the period: visible to `user`, matching the filters, not merged
        (a merged lead is a duplicate of one still counted)."""
        return (
            leads_visible_to(user).filter(self.lead_condition()).exclude(status=Lead.Status.MERGED).order_by()
        )

    # --- Writing them back --------------------------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        """The filters as the API echoes them: dates as ISO strings, rows as ids, unset as null."""
        echoed: dict[str, Any] = {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "track": self.track or None,
            "lead_type": self.lead_type or None,
        }
        for name in ID_FILTERS:
            value = getattr(self, name)
            echoed[name] = value.pk if value is not None else None
        return echoed

    def as_params(self) -> dict[str, str]:
        """The set filters as query parameters (what a link to another report with the same view carries)."""
        return {name: str(value) for name, value in self.as_json().items() if value is not None}

    def query_string(self, **extra: Any) -> str:
        params = {**self.as_params(), **{k: str(v) for k, v in extra.items() if v not in (None, "")}}
        return urlencode(params)

    def described(self) -> list[tuple[str, str]]:
        """(label, value) pairs of the period and every set filter, in the user's language: what an export
        writes above its table so a printed sheet says what it counts."""
        lines: list[tuple[str, str]] = [
            (str(_("Period")), f"{self.date_from:%Y-%m-%d} – {self.date_to:%Y-%m-%d}"),
        ]
        if self.track:
            lines.append((str(_("Track")), str(Track(self.track).label)))
        if self.lead_type:
            lines.append((str(_("Lead type")), str(LeadType(self.lead_type).label)))
        labels = {
            "carrier": _("Carrier"),
            "sector": _("Sector"),
            "unit": _("Unit"),
            "owner": _("Owner"),
            "event": _("Source event"),
            "organization": _("Hong Kong organization"),
        }
        for name in ID_FILTERS:
            value = getattr(self, name)
            if value is not None:
                shown = value.get_full_name() or value.get_username() if name == "owner" else str(value)
                lines.append((str(labels[name]), shown))
        return lines

    def replace(self, **values: Any) -> ReportFilters:
        return dataclasses.replace(self, **values)


class ReportFilterForm(forms.Form):
    """Parses and validates the filters from a query string. Unknown ids are errors, not silently ignored: a
    stale bookmark must not show figures for everything while claiming a filter."""

    track = forms.ChoiceField(label=_("Track"), choices=[("", "—"), *Track.choices], required=False)
    lead_type = forms.ChoiceField(
        label=_("Lead type"), choices=[("", "—"), *LeadType.choices], required=False
    )
    carrier = forms.ModelChoiceField(label=_("Carrier"), queryset=Carrier.objects.all(), required=False)
    sector = forms.ModelChoiceField(label=_("Sector"), queryset=Sector.objects.all(), required=False)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.all(), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.all(), required=False)
    event = forms.ModelChoiceField(
        label=_("Source event"), queryset=RecruitmentEvent.objects.all(), required=False
    )
    organization = forms.ModelChoiceField(
        label=_("Hong Kong organization"), queryset=Organization.objects.all(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the period's fields are added by name.
        date_from, date_to = default_period()
        in_range = [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]
        self.fields = {
            "from": forms.DateField(
                label=_("From"), required=False, input_formats=["%Y-%m-%d"], validators=in_range
            ),
            "to": forms.DateField(
                label=_("To"), required=False, input_formats=["%Y-%m-%d"], validators=in_range
            ),
            **self.fields,
        }
        self.fields["from"].widget.input_type = "date"
        self.fields["to"].widget.input_type = "date"
        self.fields["from"].initial = date_from
        self.fields["to"].initial = date_to

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        default_from, default_to = default_period()
        date_to = cleaned.get("to") or default_to
        date_from = cleaned.get("from") or (
            default_from if not cleaned.get("to") else default_period(date_to)[0]
        )
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        if date_from > date_to:
            self.add_error("to", _("The end of the period must not be before its start."))
        elif (date_to - date_from).days > MAX_PERIOD_DAYS:
            self.add_error("from", _("Choose a period of at most ten years."))
        cleaned["from"], cleaned["to"] = date_from, date_to
        track, lead_type = cleaned.get("track"), cleaned.get("lead_type")
        if track and lead_type and LeadType.track_of(lead_type) != track:
            self.add_error("lead_type", _("This lead type belongs to the other track."))
        return cleaned

    def filters(self) -> ReportFilters:
        """The validated filters; call after is_valid()."""
        data = self.cleaned_data
        return ReportFilters(
            date_from=data["from"],
            date_to=data["to"],
            track=data.get("track") or "",
            lead_type=data.get("lead_type") or "",
            **{name: data.get(name) for name in ID_FILTERS},
        )


def filters_from(params) -> tuple[ReportFilters | None, ReportFilterForm]:
    """Parse a query dict: (filters, form) when valid, (None, form with errors) otherwise."""
    form = ReportFilterForm(params)
    return (form.filters() if form.is_valid() else None), form
