"""What every report page shares: who may open it and how its filters are read."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from reporting.filters import ReportFilterForm, ReportFilters, filters_from

DASHBOARD_PERMISSION = "reporting.view_dashboard"
# Lists of leads show names and owners: the rows themselves, which report viewers (aggregates only) never get.
LEAD_LIST_PERMISSION = "projects.view_lead"


def _requires(permission: str) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


dashboard_required = _requires(DASHBOARD_PERMISSION)
lead_list_required = _requires(LEAD_LIST_PERMISSION)


def parse_filters(request: HttpRequest) -> tuple[ReportFilters | None, ReportFilterForm]:
    """The filters in the request's query string: (filters, form), filters None when the form has errors."""
    return filters_from(request.GET)
