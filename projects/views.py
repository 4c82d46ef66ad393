from __future__ import annotations

import functools
import secrets

import opencc
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError
from projects import services
from projects.forms import QuickLogForm
from projects.models import Activity, Lead
from projects.models.passes import LocalizedNameMixin
from projects.selectors import document_get, lead_get, lead_is_read_only_for, leads_visible_to


@require_GET
@login_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Hand a document to a user who can see its lead; anyone else gets 404, as if it did not exist."""
    if not request.user.has_perm("projects.view_document"):
        raise Http404
    document = document_get(request.user, pk=pk)
    if document is None:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    # Personal and commercial data: never kept by shared caches or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Quick log: the phone page to log a call or a visit ------------------------------------------------------

SEARCH_RESULTS = 10
SHORTCUTS = 5
# Tokens of the forms rendered in this session: token -> the activity it saved, or None while unused.
TOKENS_KEY = "quick_log_tokens"
TOKENS_KEPT = 20


def _may_log_activities(view):
    """Login first (the admin login, then back here); then the role: a user who cannot log activities at
    all (an event recorder, a report viewer) gets 403 before any lead is looked at."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm("projects.add_activity"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(checked)


@functools.cache
def _converters() -> tuple[opencc.OpenCC, opencc.OpenCC]:
    # Loading the dictionaries takes a moment: once per process, and only when someone first searches.
    return opencc.OpenCC("t2s"), opencc.OpenCC("s2t")


def _pickable_leads(user) -> QuerySet[Lead]:
    """Visible leads an activity can be logged on (a merged lead takes no more), most recently active first."""
    return (
        leads_visible_to(user)
        .exclude(status=Lead.Status.MERGED)
        .only("pk", "code", "name", "name_zh_hant", "name_en", "stage")
        .order_by(F("last_activity_at").desc(nulls_last=True), "-created_at", "-pk")
    )


def _lead_search(user, term: str) -> list[Lead]:
    """Up to ten leads whose code or one of whose names contains the term; a term typed in one Chinese script
    also finds names written in the other (量子計算 finds a lead named only 量子计算)."""
    term = term.strip()[:100]
    if not term:
        return []
    to_simplified, to_traditional = _converters()
    condition = Q(code__icontains=term) | Q(name_en__icontains=term)
    for spelling in {term, to_simplified.convert(term), to_traditional.convert(term)}:
        condition |= Q(name__icontains=spelling) | Q(name_zh_hant__icontains=spelling)
    return list(_pickable_leads(user).filter(condition)[:SEARCH_RESULTS])


def _shortcuts(user) -> list[Lead]:
    """The user's own leads (owned or co-owned) they worked on last: a repeat call is two taps."""
    co_owned = Lead.co_owners.through.objects.filter(user=user).values("lead_id")
    return list(_pickable_leads(user).filter(Q(owner=user) | Q(pk__in=co_owned))[:SHORTCUTS])


def _lead_row(lead: Lead) -> dict:
    """One lead as the page and the JSON search show it, named in the reader's language."""
    return {
        "id": lead.pk,
        "code": lead.code,
        "name": LocalizedNameMixin.localized_name.fget(lead),  # Lead has the mixin's three name fields
        "stage": str(lead.get_stage_display()),
    }


def _lead_or_404(user, raw_pk: str | None) -> Lead:
    try:
        pk = int(raw_pk or "")
    except ValueError:
        raise Http404 from None
    lead = lead_get(user, pk=pk)
    if lead is None:
        raise Http404
    if lead_is_read_only_for(user, lead):
        raise PermissionDenied  # offered to the user's unit: read-only until accepted
    return lead


def _tokens(session: SessionBase) -> dict[str, int | None]:
    return dict(session.get(TOKENS_KEY, []))


def _tokens_keep(session: SessionBase, tokens: dict[str, int | None]) -> None:
    # A dict keeps insertion order: the oldest forms' tokens drop out first.
    session[TOKENS_KEY] = list(tokens.items())[-TOKENS_KEPT:]


def _token_issue(session: SessionBase) -> str:
    tokens = _tokens(session)
    token = secrets.token_urlsafe(16)
    tokens[token] = None
    _tokens_keep(session, tokens)
    return token


def _saved_redirect(activity_pk: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('projects:quick-log')}?saved={activity_pk}")


def _render_form(request: HttpRequest, lead: Lead, form: QuickLogForm, token: str) -> HttpResponse:
    last = lead.activities.order_by("-occurred_at", "-pk").first()
    context = {"lead": lead, "row": _lead_row(lead), "form": form, "token": token, "last_activity": last}
    return render(request, "projects/quick_log.html", context)


def _render_picker(request: HttpRequest) -> HttpResponse:
    user = request.user
    term = request.GET.get("q", "").strip()
    saved = None
    if request.GET.get("saved", "").isdigit():
        saved = (
            Activity.objects.select_related("lead")
            .filter(
                pk=int(request.GET["saved"]), created_by=user, lead__in=leads_visible_to(user).values("pk")
            )
            .first()
        )
    context = {
        "q": term,
        "leads": [_lead_row(lead) for lead in (_lead_search(user, term) if term else _shortcuts(user))],
        "saved": saved,
    }
    return render(request, "projects/quick_log.html", context)


def _quick_log_post(request: HttpRequest) -> HttpResponse:
    lead = _lead_or_404(request.user, request.POST.get("lead"))
    form = QuickLogForm(request.POST, lead=lead)
    token = request.POST.get("token", "")
    with transaction.atomic():
        # A double tap sends two requests that each loaded the session before the other saved it. Locking the
        # lead queues them; the later one reads the tokens as stored now and finds the first one's activity.
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        tokens = _tokens(type(request.session)(session_key=request.session.session_key))
        if tokens.get(token):
            return _saved_redirect(tokens[token])
        if token not in tokens:
            # Too old (more forms opened since than the session keeps) or never issued: check and save again.
            form.add_error(None, gettext("This form was open too long. Check the details and save again."))
            _tokens_keep(request.session, tokens)
            token = _token_issue(request.session)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                activity = services.activity_log(
                    actor=request.user,
                    lead=lead,
                    kind=data["kind"],
                    occurred_at=data["occurred_at"] or timezone.now(),
                    summary=data["summary"],
                    next_step=data["next_step"],
                    next_step_on=data["next_step_on"],
                    aftercare=data.get("aftercare"),
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                tokens[token] = activity.pk
                _tokens_keep(request.session, tokens)
                # Stored before the lock is released, so the queued twin sees it (the middleware saves too late).
                request.session.save()
                return _saved_redirect(activity.pk)
    return _render_form(request, lead, form, token)


@require_http_methods(["GET", "POST"])
@_may_log_activities
def quick_log(request: HttpRequest) -> HttpResponse:
    """Pick a lead (search, or one of your recent leads), then log a call, visit, meeting or WeChat on it."""
    if request.method == "POST":
        return _quick_log_post(request)
    if "lead" not in request.GET:
        return _render_picker(request)
    lead = _lead_or_404(request.user, request.GET["lead"])
    return _render_form(request, lead, QuickLogForm(lead=lead), _token_issue(request.session))


@require_GET
@_may_log_activities
def quick_log_leads(request: HttpRequest) -> JsonResponse:
    """The lead search as JSON, for the page's search-as-you-type; same scope and matching as the page."""
    leads = _lead_search(request.user, request.GET.get("q", ""))
    return JsonResponse({"results": [_lead_row(lead) for lead in leads]})
