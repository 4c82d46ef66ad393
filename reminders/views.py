"""The user's side of reminders: the inbox, notification settings and the private calendar feed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from reminders import ical, selectors, services
from reminders.forms import PreferenceForm

INBOX_PAGE = 30


def _page(request: HttpRequest, title: str, template: str, **context) -> HttpResponse:
    # The admin's frame (header, language switcher, user links), so the inbox feels like the rest of the site.
    return render(request, template, {**admin.site.each_context(request), "title": title, **context})


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(request.user), INBOX_PAGE).get_page(request.GET.get("page"))
    return _page(
        request,
        _("Reminders"),
        "reminders/inbox.html",
        page=page,
        unread=selectors.unread_count(request.user),
    )


@require_GET
@login_required
def unread(request: HttpRequest) -> JsonResponse:
    """The bell's number, fetched by the admin pages' script so no page pays a query for it."""
    response = JsonResponse({"unread": selectors.unread_count(request.user)})
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def mark_read(request: HttpRequest) -> HttpResponseRedirect:
    """Mark one notification read and follow its link, or mark them all read."""
    notification_id = request.POST.get("notification")
    if notification_id:
        try:
            ids = [int(notification_id)]
        except ValueError:
            raise Http404 from None
        services.notifications_mark_read(user=request.user, ids=ids)
        target = selectors.inbox(request.user).filter(pk=ids[0]).values_list("url", flat=True).first()
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(target)
    else:
        count = services.notifications_mark_read(user=request.user)
        messages.success(request, _("%(count)s reminders marked read.") % {"count": count})
    return HttpResponseRedirect(reverse("reminders:inbox"))


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    preference = services.preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_update(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your notification settings were saved."))
            return HttpResponseRedirect(reverse("reminders:preferences"))
    feed = request.build_absolute_uri(reverse("reminders:calendar", args=[preference.calendar_token]))
    return _page(request, _("Notification settings"), "reminders/preferences.html", form=form, feed_url=feed)


@require_POST
@login_required
def rotate_calendar(request: HttpRequest) -> HttpResponseRedirect:
    services.calendar_token_rotate(user=request.user)
    messages.success(request, _("Your calendar address was changed; the old one no longer works."))
    return HttpResponseRedirect(reverse("reminders:preferences"))


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's due dates for their calendar app. The secret address is the only credential: calendar apps
    cannot log in. An unknown or rotated address answers 404."""
    user = selectors.user_for_calendar_token(token)
    if user is None:
        raise Http404
    base = settings.SITE_URL.rstrip("/")
    events = [
        ical.DayEvent(
            uid=f"milestone-{m.pk}@suzhou-hk",
            day=m.due_on,
            summary=f"{m.lead.code} {m}",
            description=f"{m.lead.name} · {m.lead_pass.localized_name}",
            url=base + reverse("admin:projects_lead_change", args=[m.lead_id]),
        )
        for m in selectors.calendar_milestones(user)
    ]
    body = ical.calendar(name=_("Suzhou–HK due dates"), events=events, stamp=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="due-dates.ics"'
    return response
