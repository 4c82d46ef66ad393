"""Exports and the lists staff take to meetings: the funnel and lead list as XLSX, the weekly ledger (一周一报) and
the dispatch-meeting list (调度会), each as a page and as XLSX."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Unit, User
from accounts.visibility import visible_units
from core.throttle import allow
from projects.stages import Stage
from reporting import exports
from reporting.filters import ReportFilterForm, ReportFilters
from reporting.funnel import funnel
from reporting.ledger import (
    Week,
    default_unit,
    dispatch_departments,
    dispatch_groups,
    dispatch_needs,
    lead_export_rows,
    ledger_leads,
    ledger_row,
    report_leads,
)
from reporting.views.common import dashboard_required, lead_list_required, parse_filters
from talent.selectors import PERSONAL_DATA_PERMISSION
from talent.services.rights import personal_data_export_log

LEDGER_PAGE_SIZE = 50

# --- Forms ----------------------------------------------------------------------------------------------------


class ExportReasonForm(forms.Form):
    """Why a large export with people's phones and e-mails is needed: kept in the personal-data log."""

    reason = forms.CharField(
        label=gettext_lazy("Why do you need this export?"),
        min_length=10,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={
            "required": gettext_lazy("Say why you need this export (at least 10 characters)."),
            "min_length": gettext_lazy(
                "Say a little more about why you need this export: at least 10 characters."
            ),
        },
    )


class _UnitsForm(forms.Form):
    """A form with a `unit` choice among the units the user can see, read once: the select and the validation
    share one query. A unit outside the user's scope is an error, not an empty list: a list must never suggest
    that a unit has nothing."""

    unit_empty_label: Any = None

    def __init__(self, user, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.units = {unit.pk: unit for unit in visible_units(user).order_by("path")}
        # Indented by depth below the highest unit shown, so a head sees the tree they manage.
        top = min((unit.depth for unit in self.units.values()), default=0)
        choices = [(str(pk), "\u3000" * (unit.depth - top) + unit.name) for pk, unit in self.units.items()]
        if self.unit_empty_label is not None:
            choices.insert(0, ("", self.unit_empty_label))
        cast(forms.ChoiceField, self.fields["unit"]).choices = choices

    def clean_unit(self) -> Unit | None:
        written = self.cleaned_data.get("unit")
        return self.units[int(written)] if written else None


_UNIT_ERRORS = {"invalid_choice": gettext_lazy("Choose one of the units you can see.")}


class LedgerForm(_UnitsForm):
    """A unit the user can see (default: their own) and a week (default: this week)."""

    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False, error_messages=_UNIT_ERRORS)
    week = forms.CharField(
        label=gettext_lazy("Week"),
        required=False,
        help_text=gettext_lazy("An ISO week (2026-W05) or any date within it (2026-01-28)."),
        widget=forms.TextInput(attrs={"type": "week", "placeholder": "2026-W05"}),
    )

    def clean_unit(self) -> Unit:
        unit = super().clean_unit() or default_unit(self.user, list(self.units.values()))
        if unit is None:
            raise forms.ValidationError(_("You belong to no unit: ask an administrator to add you to one."))
        return unit

    def clean_week(self) -> Week:
        written = self.cleaned_data.get("week", "")
        if not written:
            return Week.current()
        try:
            return Week.parse(written)
        except ValueError:
            raise forms.ValidationError(
                _("“%(week)s” is not a week: write 2026-W05, or a date such as 2026-01-28.")
                % {"week": written}
            ) from None


class DispatchForm(_UnitsForm):
    unit_empty_label = gettext_lazy("All my units")

    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False, error_messages=_UNIT_ERRORS)
    # Free text matched exactly (the page offers the departments with open needs): a bookmarked department whose
    # needs were all resolved shows an empty list, not an error.
    department = forms.CharField(label=gettext_lazy("Responsible department"), required=False, max_length=100)


# --- Helpers --------------------------------------------------------------------------------------------------


def _export_problem(
    request: HttpRequest, form: ReportFilterForm, *, bad_drill_down: bool = False
) -> HttpResponse:
    """Bad filters on an export: a page saying what is wrong (400), never a 500 or an empty file."""
    context = {"title": _("Export"), "filter_form": form, "bad_drill_down": bad_drill_down}
    return render(request, "reporting/export_reason.html", context, status=400)


def _drill_down_line(measure: str, stage: str) -> list[tuple[str, str]]:
    if not stage:
        return []
    texts = {
        "reached": _("reached it or a later stage"),
        "current": _("now there, active or paused"),
        "lost": _("lost there"),
    }
    return [(_("Stage"), f"{Stage(stage).label} · {texts[measure]}")]


def _period_name(filters: ReportFilters) -> str:
    return f"{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}"


# --- Funnel and lead list -------------------------------------------------------------------------------------


@require_GET
@dashboard_required
def funnel_export(request: HttpRequest) -> HttpResponse:
    filters, form = parse_filters(request)
    if filters is None:
        return _export_problem(request, form)
    content = exports.funnel_workbook(funnel(request.user, filters), filters.described())
    period = _period_name(filters)
    return exports.xlsx_response(
        content, filename=f"{_('Funnel')}-{period}.xlsx", ascii_filename=f"funnel-{period}.xlsx"
    )


@require_http_methods(["GET", "POST"])
@lead_list_required
def lead_list_export(request: HttpRequest) -> HttpResponse:
    """The lead list's rows as XLSX. With the personal-data permission the talents' names, phones and e-mails
    are included and every such export is logged; above REPORT_EXPORT_REASON_ROWS rows it first asks why (the
    form posts back to this URL, filters in the query string)."""
    user = request.user
    filters, form = parse_filters(request)
    if filters is None:
        return _export_problem(request, form)
    measure, stage = request.GET.get("measure", ""), request.GET.get("stage", "")
    try:
        leads = report_leads(user, filters, measure=measure, stage=stage)
    except ValueError:
        return _export_problem(request, form, bad_drill_down=True)
    personal = user.has_perm(PERSONAL_DATA_PERMISSION)
    described = [*filters.described(), *_drill_down_line(measure, stage)]
    reason = ""
    if personal:
        # Counted in the shared cache per user: a script pulling the contact book through the report runs into
        # it, a person preparing a meeting never does. Bad filters above do not count.
        limit = settings.REPORT_PERSONAL_EXPORTS_PER_HOUR
        if not allow("personal_export", str(user.pk), limit=limit, window=3600):
            context = {"title": _("Export"), "throttled": limit}
            return render(request, "reporting/export_reason.html", context, status=429)
        count = leads.count()
        if count > getattr(settings, "REPORT_EXPORT_REASON_ROWS", 500):
            reason_form = ExportReasonForm(request.POST if request.method == "POST" else None)
            if not reason_form.is_valid():
                context = {
                    "title": _("Export"),
                    "reason_form": reason_form,
                    "count": count,
                    "described": described,
                    "action": request.get_full_path(),
                }
                return render(
                    request,
                    "reporting/export_reason.html",
                    context,
                    status=400 if reason_form.is_bound else 200,
                )
            reason = reason_form.cleaned_data["reason"]
    rows = list(lead_export_rows(leads, personal=personal))
    content = exports.lead_list_workbook(rows, described=described, personal=personal)
    if personal:
        personal_data_export_log(
            actor=cast(User, user),  # lead_list_required let only a signed-in user through
            reason=reason,
            details={"report": "lead_list", "rows": len(rows), "filters": filters.as_json()},
        )
    period = _period_name(filters)
    return exports.xlsx_response(
        content, filename=f"{_('Leads')}-{period}.xlsx", ascii_filename=f"leads-{period}.xlsx"
    )


# --- Weekly ledger --------------------------------------------------------------------------------------------


def _ledger_form(request: HttpRequest) -> LedgerForm:
    form = LedgerForm(request.user, request.GET)
    if form.is_valid():
        # Show what was chosen when the query left it to the defaults (the user's unit, this week).
        shown = request.GET.copy()
        shown["unit"], shown["week"] = str(form.cleaned_data["unit"].pk), form.cleaned_data["week"].iso
        form.data = shown
    return form


@require_GET
@lead_list_required
def weekly_ledger(request: HttpRequest) -> HttpResponse:
    form = _ledger_form(request)
    context: dict[str, Any] = {"title": _("Weekly ledger"), "form": form, "headers": exports.ledger_headers()}
    if form.errors:
        return render(request, "reporting/ledger.html", context, status=400)
    unit, week = form.cleaned_data["unit"], form.cleaned_data["week"]
    page = Paginator(ledger_leads(request.user, unit=unit, week=week), LEDGER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context.update(
        {
            "title": exports.ledger_title(unit, week),
            "unit": unit,
            "week": week,
            "lines": exports.ledger_lines(unit, week),
            "page": page,
            "rows": [ledger_row(lead) for lead in page.object_list],
            "query": urlencode({"unit": unit.pk, "week": week.iso}),
            "previous_week": urlencode({"unit": unit.pk, "week": week.shifted(-1).iso}),
            "next_week": urlencode({"unit": unit.pk, "week": week.shifted(1).iso}),
        }
    )
    return render(request, "reporting/ledger.html", context)


@require_GET
@lead_list_required
def weekly_ledger_xlsx(request: HttpRequest) -> HttpResponse:
    form = _ledger_form(request)
    if form.errors:
        context = {"title": _("Weekly ledger"), "form": form, "headers": exports.ledger_headers()}
        return render(request, "reporting/ledger.html", context, status=400)
    unit, week = form.cleaned_data["unit"], form.cleaned_data["week"]
    rows = [ledger_row(lead) for lead in ledger_leads(request.user, unit=unit, week=week)]
    content = exports.ledger_workbook(rows, unit=unit, week=week)
    return exports.xlsx_response(
        content,
        filename=f"{unit.name}-{_('Weekly ledger')}-{week.iso}.xlsx",
        ascii_filename=f"weekly-ledger-{unit.pk}-{week.iso}.xlsx",
    )


# --- Dispatch-meeting list ------------------------------------------------------------------------------------


def _dispatch(request: HttpRequest) -> tuple[DispatchForm, dict[str, Any]]:
    """The form and, when it is valid, the grouped needs and the lines that describe the selection."""
    form = DispatchForm(request.user, request.GET)
    if not form.is_valid():
        return form, {}
    unit, department = form.cleaned_data["unit"], form.cleaned_data["department"]
    groups = dispatch_groups(dispatch_needs(request.user, unit=unit, department=department))
    lines = [
        (_("Unit"), _("%(unit)s and the units under it") % {"unit": unit.name} if unit else _("All my units"))
    ]
    if department:
        lines.append((_("Responsible department"), department))
    lines.append((_("Open needs"), str(sum(len(group.items) for group in groups))))
    return form, {"groups": groups, "lines": lines, "unit": unit, "department": department}


@require_GET
@lead_list_required
def dispatch_list(request: HttpRequest) -> HttpResponse:
    form, found = _dispatch(request)
    context: dict[str, Any] = {
        "title": _("Dispatch meeting list"),
        "form": form,
        "departments": dispatch_departments(request.user),
        "headers": exports.dispatch_headers(),
        **found,
    }
    if not found:
        return render(request, "reporting/dispatch.html", context, status=400)
    context["query"] = request.GET.urlencode()
    context["today"] = timezone.localdate()
    return render(request, "reporting/dispatch.html", context)


@require_GET
@lead_list_required
def dispatch_list_xlsx(request: HttpRequest) -> HttpResponse:
    form, found = _dispatch(request)
    if not found:
        context = {
            "title": _("Dispatch meeting list"),
            "form": form,
            "departments": dispatch_departments(request.user),
            "headers": exports.dispatch_headers(),
        }
        return render(request, "reporting/dispatch.html", context, status=400)
    content = exports.dispatch_workbook(found["groups"], described=found["lines"])
    today = timezone.localdate()
    return exports.xlsx_response(
        content,
        filename=f"{_('Dispatch meeting list')}-{today:%Y%m%d}.xlsx",
        ascii_filename=f"dispatch-list-{today:%Y%m%d}.xlsx",
    )
