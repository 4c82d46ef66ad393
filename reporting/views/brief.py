"""The monthly brief: a printable page and the same document as a PDF (WeasyPrint, with a CJK font).

`?month=2026-10&unit=3`: the month (default: the last full month) and the unit whose subtree it covers (default:
the first unit the user heads or manages; empty: everything the user sees). A bad month or a unit the user cannot
see answers 400 with the form's errors, for the PDF too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Unit, UnitMembership
from accounts.visibility import visible_units
from reporting.brief import BRIEF_LANGUAGE, default_month, month_start
from reporting.brief import monthly_brief as brief_data
from reporting.views.common import dashboard_required

PRINT_CSS = "css/brief-print.css"
# Nothing was recorded before; and the brief looks a year back, which date arithmetic cannot do near year 1.
EARLIEST_MONTH = dt.date(2000, 1, 1)


class BriefForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={
            "required": gettext_lazy("Choose a month."),
            "invalid": gettext_lazy("Enter a month as YYYY-MM, for example 2026-10."),
        },
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=gettext_lazy("All units in your scope"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the units you can see.")},
    )

    def __init__(self, *args: Any, user, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        unit = cast(forms.ModelChoiceField, self.fields["unit"])
        unit.queryset = visible_units(user).filter(is_active=True).order_by("path")

    def clean_month(self) -> dt.date:
        month = month_start(self.cleaned_data["month"])
        if month > month_start(self.today):
            raise forms.ValidationError(_("The brief covers a past or the current month, not a future one."))
        if month < EARLIEST_MONTH:
            raise forms.ValidationError(
                _("Choose a month from %(month)s on.") % {"month": f"{EARLIEST_MONTH:%Y-%m}"}
            )
        return month


def _default_unit(user) -> Unit | None:
    """The first unit (by the tree) the user heads or manages: their own brief, not the whole bureau's."""
    membership = (
        UnitMembership.objects.filter(
            user=user,
            role__in=[UnitMembership.Role.HEAD, UnitMembership.Role.MANAGER],
            unit__is_active=True,
        )
        .select_related("unit")
        .order_by("unit__path")
        .first()
    )
    return membership.unit if membership is not None else None


def _form(request: HttpRequest, today: dt.date) -> BriefForm:
    """The bound form, with the defaults filled in for the parameters the request leaves out. An empty `unit`
    (chosen "all") is kept: only a missing one takes the default."""
    data: QueryDict = request.GET.copy()
    if "month" not in data:
        data["month"] = default_month(today).strftime("%Y-%m")
    if "unit" not in data:
        unit = _default_unit(request.user)
        data["unit"] = str(unit.pk) if unit is not None else ""
    return BriefForm(data, user=request.user, today=today)


def _document(request: HttpRequest, form: BriefForm, today: dt.date, template: str) -> tuple[str, dict]:
    """The brief rendered with `template`, in Simplified Chinese whatever the reader's language."""
    data = form.cleaned_data
    brief = brief_data(request.user, month=data["month"], unit=data["unit"], today=today)
    with translation.override(BRIEF_LANGUAGE):
        return render_to_string(template, {"brief": brief}, request=request), brief


def _invalid(request: HttpRequest, form: BriefForm) -> HttpResponse:
    return render(
        request,
        "reporting/brief.html",
        {"title": _("Monthly brief"), "form": form, "document": None},
        status=400,
    )


@dashboard_required
def monthly_brief(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = _form(request, today)
    if not form.is_valid():
        return _invalid(request, form)
    document, brief = _document(request, form, today, "reporting/brief/document.html")
    query = request.GET.copy()
    query["month"] = form.cleaned_data["month"].strftime("%Y-%m")
    query["unit"] = str(form.cleaned_data["unit"].pk) if form.cleaned_data["unit"] else ""
    return render(
        request,
        "reporting/brief.html",
        {
            "title": _("Monthly brief"),
            "form": form,
            "document": document,
            "brief": brief,
            "query": query.urlencode(),
        },
    )


def print_stylesheet_path() -> str:
    """The print stylesheet on disk: from the source tree (development, tests), else where collectstatic put it."""
    return finders.find(PRINT_CSS) or staticfiles_storage.path(PRINT_CSS)


@dashboard_required
def monthly_brief_pdf(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = _form(request, today)
    if not form.is_valid():
        return _invalid(request, form)
    # Imported here: WeasyPrint loads Pango when imported, and only this view needs it.
    from weasyprint import CSS, HTML

    html, _brief = _document(request, form, today, "reporting/brief/pdf.html")
    # Everything the document needs is in the HTML and the stylesheet read from disk, so nothing is fetched;
    # base_url only makes the document's links absolute.
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        stylesheets=[CSS(filename=print_stylesheet_path())]
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="brief-{form.cleaned_data["month"]:%Y-%m}.pdf"'
    return response
