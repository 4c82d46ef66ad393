"""Two read-only pages of the funding admin, mixed into FundingApplicationAdmin.

- The funding of one lead at a glance (lead_funding_panel for today), linked from the lead's page through
  projects.lead_pages, since projects may not import funding (DESIGN §4).
- Funding totals per lead, carrier or programme, converted to one currency at the rates of one date; a missing
  rate shows the service's message instead of a sum that would be wrong.

Both ask for funding.view_fundingapplication (403 without it) and read only what the user's scope reaches: the
lead through projects.selectors.lead_get (404 outside the scope), the applications through
applications_visible_to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.money import Currency, format_amount
from funding.admin.base import money
from funding.models import ApplicationWindow, FundingApplication, ProgramVersion
from funding.selectors import ProgramOption, applications_visible_to, lead_funding_panel, totals
from funding.services.matching import HELD
from projects.selectors import lead_get, lead_is_read_only_for

VIEW = "funding.view_fundingapplication"
ADD = "funding.add_fundingapplication"
TOTALS_PER_PAGE = 50


@dataclass
class OptionRow:
    """A programme version offered to the lead, with the deadline of its current batch and what is missing."""

    version: ProgramVersion
    window: ApplicationWindow | None
    missing: list[str]
    matching: str
    apply_url: str


class TotalsForm(forms.Form):
    group_by = forms.ChoiceField(
        label=_("group by"),
        choices=[("lead", _("lead")), ("carrier", _("carrier")), ("program", _("programme"))],
        initial="lead",
    )
    currency = forms.ChoiceField(label=_("convert into"), choices=Currency.choices, initial=Currency.CNY)
    on = forms.DateField(label=_("rates of"), widget=AdminDateWidget)
    status = forms.MultipleChoiceField(
        label=_("status"),
        choices=FundingApplication.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(HELD),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()

    def values(self) -> dict | None:
        """The choices to total by: the defaults on a first visit, the cleaned ones after, None when invalid."""
        if not self.is_bound:
            return {name: field.initial for name, field in self.fields.items()}
        return self.cleaned_data if self.is_valid() else None


class FundingPagesMixin:
    """Mixed into FundingApplicationAdmin (a ScopedAdmin)."""

    admin_site: Any
    opts: Any
    media: Any

    def get_urls(self):
        def url(route: str, view: Callable, name: str):
            return path(route, self.admin_site.admin_view(view), name=f"funding_fundingapplication_{name}")

        return [
            # Before the object routes, which would take "totals" for an id.
            url("lead/<int:lead_id>/", self.lead_funding_view, "lead"),
            url("totals/", self.totals_view, "totals"),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perm(VIEW):
            extra_context["funding_totals_url"] = reverse("admin:funding_fundingapplication_totals")
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    # --- One lead --------------------------------------------------------------------------------------------

    def lead_funding_view(self, request: HttpRequest, lead_id: int) -> HttpResponse:
        user = request.user
        if not user.has_perm(VIEW):
            raise PermissionDenied
        lead = lead_get(user, pk=lead_id)
        if lead is None:
            raise Http404
        today = timezone.localdate()
        panel = lead_funding_panel(user=user, lead=lead, on=today)
        can_apply = user.has_perm(ADD) and not lead_is_read_only_for(user, lead)

        def apply_url(version: ProgramVersion, window: ApplicationWindow | None) -> str:
            if not can_apply:
                return ""
            preset = {"lead": lead.pk, "version": version.pk}
            if window is not None:
                preset["window"] = window.pk
            return f"{reverse('admin:funding_fundingapplication_add')}?{urlencode(preset)}"

        def option_row(option: ProgramOption) -> OptionRow:
            matching = ""
            if option.matching is not None:
                matching = money(option.matching.amount, option.matching.currency)
            return OptionRow(
                version=option.version,
                window=option.window,
                missing=[result.text for result in option.eligibility.missing],
                matching=matching or option.matching_error,
                apply_url=apply_url(option.version, option.window),
            )

        applications = [
            {
                "application": line.application,
                "url": reverse("admin:funding_fundingapplication_change", args=[line.application.pk]),
                "requested": money(line.application.requested_amount, line.currency),
                "approved": money(line.application.approved_amount, line.currency),
                "paid": money(line.paid, line.currency) if line.paid else "—",
            }
            for line in panel.applications
        ]
        currencies = sorted(set(panel.approved_totals) | set(panel.paid_totals))
        money_totals = [
            (
                currency,
                money(panel.approved_totals.get(currency, Decimal(0)), currency),
                money(panel.paid_totals.get(currency, Decimal(0)), currency),
            )
            for currency in currencies
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Funding of %(lead)s") % {"lead": lead.code},
            "lead": lead,
            "lead_url": reverse("admin:projects_lead_change", args=[lead.pk]),
            "on": today,
            "applications": applications,
            "money_totals": money_totals,
            "eligible_now": [option_row(option) for option in panel.eligible_now],
            "could_be_eligible": [option_row(option) for option in panel.could_be_eligible],
            "upcoming": [(window, apply_url(window.version, window)) for window in panel.upcoming_windows],
            "horizon_days": 90,
        }
        return TemplateResponse(request, "admin/funding/fundingapplication/lead_funding.html", context)

    # --- Totals ----------------------------------------------------------------------------------------------

    def totals_view(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.has_perm(VIEW):
            raise PermissionDenied
        bound = any(name in request.GET for name in TotalsForm.base_fields)
        form = TotalsForm(request.GET if bound else None)
        values = form.values()
        rows, rates, error, page = [], [], "", None
        grand: dict[str, str] = {}
        if values is not None:
            queryset = applications_visible_to(user).filter(status__in=values["status"])
            try:
                result = totals(
                    queryset=queryset, to=values["currency"], on=values["on"], group_by=values["group_by"]
                )
            except ApplicationError as exc:
                error = exc.message
            else:
                rates = _rates_used(result)
                to = values["currency"]
                grand = {
                    "count": str(sum(total.count for total in result)),
                    "approved": format_amount(sum((t.approved for t in result), Decimal(0)), to),
                    "paid": format_amount(sum((t.paid for t in result), Decimal(0)), to),
                }
                page = Paginator(result, TOTALS_PER_PAGE).get_page(request.GET.get("p"))
                rows = [
                    {
                        "label": total.label,
                        "count": total.count,
                        "approved": format_amount(total.approved, to),
                        "approved_exact": f"{total.approved:,.2f} {to}",
                        "paid": format_amount(total.paid, to),
                        "paid_exact": f"{total.paid:,.2f} {to}",
                        "rates": total.rates,
                    }
                    for total in page.object_list
                ]
        query = request.GET.copy()
        query.pop("p", None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Funding totals"),
            "form": form,
            "values": values,
            "rows": rows,
            "grand": grand,
            "rates": rates,
            "error": error,
            "page": page,
            "query": query.urlencode(),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/funding/fundingapplication/totals.html", context)


def _rates_used(result) -> list[str]:
    """Every rate any group was converted with, once each, in a stable order."""
    seen: dict[str, None] = {}
    for total in result:
        for text in filter(None, total.rates.split("; ")):
            seen.setdefault(text, None)
    return sorted(seen)
