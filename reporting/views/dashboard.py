"""The managers' dashboard and the lead lists its bars open."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.visibility import visible_units
from directory.models import Organization, Sector
from projects.selectors import leads_visible_to
from projects.stages import STAGES, Phase, Stage, Track
from reporting.breakdowns import DIMENSIONS, breakdown, cohort_trend, shared_cohort
from reporting.filters import ReportFilterForm, ReportFilters
from reporting.funnel import funnel
from reporting.kpis import kpis
from reporting.ledger import report_leads
from reporting.stalled import overdue_milestones, stalled_leads
from reporting.targets import target_progress
from reporting.views.common import (
    DASHBOARD_PERMISSION,
    LEAD_LIST_PERMISSION,
    dashboard_required,
    lead_list_required,
)
from talent.models import RecruitmentEvent

DIMENSION_TITLES = {
    "carrier": gettext_lazy("By target carrier"),
    "sector": gettext_lazy("By sector"),
    "event": gettext_lazy("By source event"),
    "organization": gettext_lazy("By Hong Kong organization"),
}


def _narrow_choices(form: ReportFilterForm, user) -> None:
    """Offer only what the user can use: their visible units, the staff of those units, recent events and the
    organizations their leads come from. (An id typed into the URL outside these is still only counted within
    the user's scope.)"""
    units = visible_units(user)
    form.fields["unit"].queryset = units
    form.fields["owner"].queryset = (
        get_user_model()
        .objects.filter(memberships__unit__in=units, is_active=True)
        .distinct()
        .order_by("username")
    )
    # A sub-sector's label names its parent: joined here, not fetched once per option.
    form.fields["sector"].queryset = Sector.objects.select_related("parent")
    form.fields["event"].queryset = RecruitmentEvent.objects.order_by("-starts_on")[:200]
    form.fields["organization"].queryset = Organization.objects.filter(
        pk__in=leads_visible_to(user).values("hk_organization")
    ).order_by("name")


def _chart_data(
    filters: ReportFilters, funnel_data: dict[str, Any], trend: list[dict[str, Any]], *, may_list_leads: bool
) -> dict[str, Any]:
    """What static/js/dashboard.js draws: the funnel exactly as the API returns it, plus labels and links."""
    return {
        "funnel": funnel_data,
        "trend": trend,
        "labels": {
            "stages": {code: str(Stage(code).label) for code in STAGES},
            "phases": {code: str(label) for code, label in Phase.choices},
            "tracks": {code: str(label) for code, label in Track.choices},
            "reached": _("Reached"),
            "drop_off": _("drop-off"),
            "median_days": _("Median days in stage"),
            "cohort": _("New leads"),
            "signed": _("Signed"),
            "landed": _("Landed"),
            "days": _("days"),
        },
        # Report viewers see aggregates only: their bars lead nowhere.
        "lead_list_url": reverse("reporting:leads") if may_list_leads else None,
        "query": filters.as_params(),
    }


def home(request: HttpRequest) -> HttpResponse:
    """The site's front door: managers and report viewers land on the dashboard, everyone else in the admin
    (which sends the anonymous to its login page)."""
    if request.user.has_perm(DASHBOARD_PERMISSION):
        return redirect("reporting:dashboard")
    return redirect("admin:index")


@dashboard_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = ReportFilterForm(request.GET or None)
    _narrow_choices(form, request.user)
    filters = form.filters() if form.is_bound and form.is_valid() else None
    if not form.is_bound:
        filters = ReportFilters.default()
    context: dict[str, Any] = {"title": _("Dashboard"), "form": form, "filters": filters}
    if filters is None:
        return render(request, "reporting/dashboard.html", context, status=400)
    user = request.user
    may_list_leads = user.has_perm(LEAD_LIST_PERMISSION)
    # The funnel, the trend and the breakdowns group one cohort: on a cache miss it is computed once for all.
    shared = shared_cohort(user, filters)
    funnel_data = funnel(user, filters, shared=shared)
    trend = cohort_trend(user, filters, shared=shared)
    context.update(
        {
            "funnel": funnel_data,
            "stage_rows": [
                {
                    **row,
                    "track_label": Track(row["track"]).label,
                    "stage_label": Stage(row["stage"]).label,
                }
                for row in funnel_data["stages"]
            ],
            "phase_rows": [
                {
                    **row,
                    "track_label": Track(row["track"]).label if row["track"] else _("Both tracks"),
                    "phase_label": Phase(row["phase"]).label,
                }
                for row in funnel_data["phases"]
            ],
            "chart_data": _chart_data(filters, funnel_data, trend, may_list_leads=may_list_leads),
            "kpis": kpis(user, filters, funnel_data=funnel_data),
            "targets": target_progress(user, year=filters.date_to.year),
            "breakdowns": [
                (dimension, DIMENSION_TITLES[dimension], breakdown(user, filters, dimension, shared=shared))
                for dimension in DIMENSIONS
            ],
            # Lists of leads are rows, not aggregates: report viewers get the counts on the cards only.
            "stalled": stalled_leads(user, filters) if may_list_leads else [],
            "overdue": overdue_milestones(user, filters) if may_list_leads else [],
            "may_list_leads": may_list_leads,
            "query": filters.query_string(),
        }
    )
    return render(request, "reporting/dashboard.html", context)


@lead_list_required
def lead_list(request: HttpRequest) -> HttpResponse:
    form = ReportFilterForm(request.GET)
    measure, stage = request.GET.get("measure", ""), request.GET.get("stage", "")
    filters = form.filters() if form.is_valid() else None
    try:
        leads = report_leads(request.user, filters, measure=measure, stage=stage) if filters else None
    except ValueError:  # an unknown measure or stage
        leads = None
    if leads is None:
        context = {"title": _("Leads"), "form": form, "bad_drill_down": filters is not None}
        return render(request, "reporting/lead_list.html", context, status=400)
    leads = leads.select_related("owner", "owning_unit", "hk_organization").order_by("-created_at", "-pk")
    page = Paginator(leads, 50).get_page(request.GET.get("page"))
    context = {
        "title": _("Leads"),
        "filters": filters,
        "described": filters.described(),
        "measure": measure,
        "stage_label": Stage(stage).label if stage else "",
        "page": page,
        "query": filters.query_string(measure=measure, stage=stage),
    }
    return render(request, "reporting/lead_list.html", context)
