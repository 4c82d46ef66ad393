"""The event pages: quick capture for recorders (/m/capture/) and self-registration by QR code (/r/<key>/).

Both go through `capture_person` inside the idempotency store: the key travels with the form (a hidden field the
page fills in, or the offline queue's own key in the Idempotency-Key header), so a double tap, a retry after a lost
answer or a queued entry sent from two tabs saves the person once."""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError, IdempotencyMismatchError
from core.throttle import allow, client_ip
from directory.selectors import organizations_matching
from talent.forms import CaptureForm, RegistrationForm, _PersonForm
from talent.models import Attendance, Consent, RecruitmentEvent
from talent.selectors import DUPLICATE_HINT, events_visible_to, has_open_duplicate
from talent.services.capture import capture_person
from talent.services.consent import consent_text_current
from talent.services.submissions import submit_once

CAPTURE_PERMISSION = "talent.add_attendance"
ORGANIZATION_SUGGESTIONS = 8
RECENT_CAPTURES = 10
EVENTS_PER_PAGE = 20
LANGUAGES = ("zh-hant", "en", "zh-hans")


def _may_capture(view):
    """Login first; then the role: a user who may not record attendances (a report viewer) gets 403."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(CAPTURE_PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(checked)


def _new_key() -> str:
    return uuid.uuid4().hex


def _apply_error(form: _PersonForm, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _submit(
    *,
    actor,
    event: RecruitmentEvent,
    form: _PersonForm,
    key: str,
    scope: str,
    method: str,
    consent_channel: str,
) -> tuple[int, dict[str, Any], bool]:
    """Save the person once per scope and key. ApplicationError (bad phone, and so on) and a reused key with
    another body propagate to the caller, which shows them on the form."""
    language = translation.get_language() or settings.LANGUAGE_CODE

    def perform() -> tuple[int, dict[str, Any]]:
        result = capture_person(
            actor=actor,
            event=event,
            person=form.person(language=language),
            method=method,
            consent_channel=consent_channel,
        )
        return 201, {
            "id": result.attendance.pk,
            "name": result.attendance.contact.name,
            "possible_match": result.possible_match,
        }

    return submit_once(scope=scope, key=key, body=form.canonical(), perform=perform)


def _statement(language: str | None = None) -> str:
    text = consent_text_current()
    return text.body(language) if text else ""


# --- Quick capture ----------------------------------------------------------------------------------------------


def _capture_scope(request: HttpRequest, event: RecruitmentEvent) -> str:
    return f"capture:user:{request.user.pk}:event:{event.pk}"


def _saved_message(answer: dict[str, Any]) -> dict[str, str]:
    return {
        "message": _("Saved: %(name)s") % {"name": answer["name"]},
        "hint": str(DUPLICATE_HINT) if answer.get("possible_match") else "",
    }


@require_GET
@_may_capture
def capture_events(request: HttpRequest) -> HttpResponse:
    """The events the user may capture at, latest first."""
    events = events_visible_to(request.user).order_by("-starts_on", "pk")
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "talent/capture_events.html", {"page": page, "today": timezone.localdate()})


@require_http_methods(["GET", "POST"])
@_may_capture
def capture(request: HttpRequest, event_id: int) -> HttpResponse:
    """The capture page. Without JavaScript it posts here; with it, entries go through the offline queue."""
    event = get_object_or_404(events_visible_to(request.user), pk=event_id)
    saved: dict[str, str] | None = None
    if request.method == "POST":
        form = CaptureForm(request.POST)
        key = request.POST.get("key", "")
        if form.is_valid():
            try:
                _code, answer, _replayed = _submit(
                    actor=request.user,
                    event=event,
                    form=form,
                    key=key,
                    scope=_capture_scope(request, event),
                    method=Attendance.Method.STAFF,
                    consent_channel=Consent.Channel.STAFF,
                )
            except ApplicationError as error:
                _apply_error(form, error)
            else:
                url = reverse("talent:capture", args=[event.pk])
                return HttpResponseRedirect(f"{url}?saved={answer['id']}")
    else:
        form = CaptureForm()
        key = _new_key()
        attendance = _own_capture(request, event, request.GET.get("saved"))
        if attendance is not None:
            saved = _saved_message(
                {"name": attendance.contact.name, "possible_match": has_open_duplicate(attendance.contact)}
            )
    if request.method == "POST":
        key = key or _new_key()
    recent = (
        Attendance.objects.filter(event=event, captured_by=request.user)
        .select_related("contact")
        .order_by("-created_at", "-pk")[:RECENT_CAPTURES]
    )
    context = {
        "event": event,
        "form": form,
        "key": key,
        "saved": saved,
        "statement": _statement(),
        "recent": recent,
    }
    return render(request, "talent/capture.html", context, status=400 if form.errors else 200)


def _own_capture(request: HttpRequest, event: RecruitmentEvent, raw_pk: str | None) -> Attendance | None:
    if not (raw_pk or "").isdigit():
        return None
    return (
        Attendance.objects.filter(event=event, captured_by=request.user, pk=int(raw_pk))
        .select_related("contact")
        .first()
    )


def _json_errors(form: _PersonForm) -> dict[str, list[str]]:
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


@require_POST
@_may_capture
def capture_submit(request: HttpRequest, event_id: int) -> JsonResponse:
    """One queued entry from the page's offline queue: JSON body, the entry's key in Idempotency-Key.

    201 saved (200 when the key was seen before with the same entry: the first answer again), 400 with the
    form's messages, 422 when the key came with different content."""
    event = events_visible_to(request.user).filter(pk=event_id).first()
    if event is None:
        return JsonResponse({"detail": _("Not found.")}, status=404)
    key = request.headers.get("Idempotency-Key", "")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RawPostDataException):
        # RawPostDataException: a form-encoded or multipart body, already read as a form (the CSRF check does).
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"errors": {"__all__": [_("The entry could not be read.")]}}, status=400)
    form = CaptureForm(data=body)
    if not form.is_valid():
        return JsonResponse({"errors": _json_errors(form)}, status=400)
    try:
        code, answer, replayed = _submit(
            actor=request.user,
            event=event,
            form=form,
            key=key,
            scope=_capture_scope(request, event),
            method=Attendance.Method.STAFF,
            consent_channel=Consent.Channel.STAFF,
        )
    except IdempotencyMismatchError as error:
        return JsonResponse({"errors": {"__all__": [error.message]}}, status=422)
    except ApplicationError as error:
        _apply_error(form, error)
        return JsonResponse({"errors": _json_errors(form)}, status=400)
    return JsonResponse({**answer, **_saved_message(answer)}, status=200 if replayed else code)


@require_GET
@_may_capture
def capture_organizations(request: HttpRequest) -> JsonResponse:
    """Organizations whose names or aliases contain the typed text ('港科大' offers HKUST)."""
    term = request.GET.get("q", "").strip()[:100]
    if not term:
        return JsonResponse({"results": []})
    organizations = organizations_matching(term)[:ORGANIZATION_SUGGESTIONS]
    return JsonResponse({"results": [{"id": org.pk, "name": org.name} for org in organizations]})


# --- Self-registration by QR code ---------------------------------------------------------------------------------


def registration_url(request: HttpRequest, event: RecruitmentEvent) -> str:
    """The address in the event's QR code: on the internet-facing host when one is configured."""
    path = reverse("talent:register", args=[event.registration_key])
    return (
        f"{settings.PUBLIC_BASE_URL}{path}" if settings.PUBLIC_BASE_URL else request.build_absolute_uri(path)
    )


def qr_svg(data: str) -> SafeString:
    """A QR code as inline SVG that scales to the printed size (medium error correction survives a crease)."""
    import segno

    # segno writes only path geometry: the encoded text never appears in the markup.
    return mark_safe(segno.make(data, error="m").svg_inline(scale=10, border=2, omitsize=True))  # noqa: S308


def _registration_language(request: HttpRequest) -> str:
    asked = request.GET.get("lang") or request.POST.get("lang") or ""
    if asked in LANGUAGES:
        return asked
    current = translation.get_language() or ""
    return current if current in LANGUAGES else "zh-hant"


def _registration_event(key: str) -> RecruitmentEvent:
    event = RecruitmentEvent.objects.filter(registration_key=key).first()
    if event is None:
        raise Http404
    return event


def _registration_allowed(request: HttpRequest) -> bool:
    limit, window = settings.REGISTRATION_THROTTLE
    return allow("register", client_ip(request), limit=limit, window=window)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, key: str) -> HttpResponse:
    """The form attendees fill in on their own phones; nothing on it reveals who else registered."""
    event = _registration_event(key)
    language = _registration_language(request)
    with translation.override(language):
        context: dict[str, Any] = {"event": event, "language": language, "languages": LANGUAGES}
        if not event.takes_registrations(timezone.localdate()):
            return render(request, "talent/register_closed.html", context, status=410)
        if request.method == "POST":
            if not _registration_allowed(request):
                return render(request, "talent/register_busy.html", context, status=429)
            form = RegistrationForm(request.POST)
            submission_key = request.POST.get("key", "")
            if form.is_valid():
                if form.cleaned_data["website"]:
                    return _registered_redirect(event, language)
                try:
                    _submit(
                        actor=None,
                        event=event,
                        form=form,
                        key=submission_key,
                        scope=f"register:event:{event.pk}",
                        method=Attendance.Method.QR,
                        consent_channel=Consent.Channel.QR_FORM,
                    )
                except ApplicationError as error:
                    _apply_error(form, error)
                else:
                    return _registered_redirect(event, language)
            submission_key = submission_key or _new_key()
        else:
            form = RegistrationForm()
            submission_key = _new_key()
        context.update(form=form, key=submission_key, statement=_statement(language))
        response = render(request, "talent/register.html", context, status=400 if form.errors else 200)
    # The page is personal once filled in, and must not be served to the next person from a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


def _registered_redirect(event: RecruitmentEvent, language: str) -> HttpResponseRedirect:
    url = reverse("talent:register-done", args=[event.registration_key])
    return HttpResponseRedirect(f"{url}?lang={language}")


@require_GET
def register_done(request: HttpRequest, key: str) -> HttpResponse:
    event = _registration_event(key)
    language = _registration_language(request)
    with translation.override(language):
        context = {"event": event, "language": language, "languages": LANGUAGES}
        return render(request, "talent/register_done.html", context)
