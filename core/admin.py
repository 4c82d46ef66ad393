"""The admin base every business model uses: one scope for list, change, delete, history and autocomplete."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from core.errors import ApplicationError


class ReadOnlyHistoryMixin:
    """simple-history's version page builds its form as for an add (every field editable, whatever the user's
    rights) and on POST saves it, a revert, after checking only the *view* permission: a user who may only read a
    row could rewrite it, and an officer could set `is_superuser` on their own user record. Reverts are off
    (SIMPLE_HISTORY_REVERT_DISABLED), so the page is for reading: anything but GET is refused before any lookup,
    for everyone."""

    def history_view(self, request, object_id, extra_context=None):
        self._scoped_object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        self._scoped_object_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]

    def _scoped_object_or_404(self, request: HttpRequest, object_id: str):
        """The row, as the change page finds it: no rights on the model is 403 whether or not the row is in the
        admin's queryset (a 404 would depend on the row, DESIGN §2), then a row outside it, or a malformed id
        ("x", which escaped simple-history's own lookup as a 500), 404. simple-history falls back to the latest
        history row when that lookup fails, so its pages check here first."""
        if not self.has_view_or_change_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404
        return obj


class ScopedAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """Subclasses implement `scope(user, queryset)` with their app's selector.

    Rows outside the scope answer 404 everywhere: a redirect or a 403 would confirm that the row exists.
    """

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        # Fail closed: an admin that forgot to say how it is scoped shows nothing.
        return queryset.none()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope(request.user, super().get_queryset(request))

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj) -> str:
        """The same box as Django's, written directly: Django renders a form widget through the template engine
        per row, which was a quarter of a 100-row list's rendering time."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), obj),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        # modelform_factory builds a new class per request, so the acting user can ride on it for clean().
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    # Forms check what they can; a rule only a service knows (or a race with another user) still ends as an
    # error message, never a 500, and the view's transaction is rolled back whole.
    def _refused(self, request: HttpRequest, error: ApplicationError) -> HttpResponseRedirect:
        self.message_user(request, error.message, level=messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            return self._refused(request, error)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:
            return self._refused(request, error)

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            # Actions and list edits post here: all or nothing, like the change form.
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except ApplicationError as error:
            return self._refused(request, error)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with "doesn't exist"; out-of-scope ids must look like missing ids.
        raise Http404

    def _keeps_history(self) -> bool:
        return hasattr(self.model._meta, "simple_history_manager_attribute")

    def history_view(self, request, object_id, extra_context=None):
        if not self._keeps_history():
            # A model without a simple-history table (reminders): the admin's own log is its history.
            self._scoped_object_or_404(request, object_id)
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._keeps_history() and request.method in ("GET", "HEAD"):
            self._scoped_object_or_404(request, object_id)
            raise Http404  # no past versions to show
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)


class ReferenceAdmin(ScopedAdmin):
    """Reference data (organizations, carriers, sectors, calendars) is visible to every role that may view it."""

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect (/admin/r/), behind the scope of the model's admin. Django's own
    (contenttypes.views.shortcut) looks the row up unscoped: once a model has a public page, its redirect, or
    its absence, would tell anyone signed in to the admin whether an id exists. As on the change page: no rights
    on the model answers 403, a row outside the scope (or of a model with no admin) 404."""
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404 from None
    if model is None or not admin.site.is_registered(model):
        raise Http404
    model_admin = admin.site.get_model_admin(model)
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    if model_admin.get_object(request, unquote(object_id)) is None:
        raise Http404
    return shortcut(request, content_type_id, object_id)


admin.site.site_header = admin.site.site_title = "苏港通 · Suzhou–HK Pipeline"

# Registers the imports admin (ImportJob); it lives beside the engine it drives.
from core.imports import admin as imports_admin  # noqa: E402, F401
