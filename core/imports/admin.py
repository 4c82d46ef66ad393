"""The imports admin: upload a spreadsheet, watch it being checked, look at the preview, commit, download rejects.

A job is not edited through a form: its page shows the job and offers the Commit button. Jobs are seen by their
uploader (superusers see all); another user's job answers 404. Every page needs the permission of the job's
importer (403 without it); the list needs the permission of at least one importer.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.imports import registry
from core.imports.base import COMMITTED_OUTCOMES, Importer, Outcome
from core.imports.models import ImportJob
from core.imports.services import (
    import_commit_start,
    import_importer_class,
    import_jobs_visible_to,
    import_max_bytes,
    import_may_use,
    import_rejected_workbook,
    import_upload,
)

PREVIEW_PAGE_ROWS = 100
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "An Excel workbook (.xlsx) or a CSV file (UTF-8 or GBK), up to %(size)s."
        ) % {"size": filesizeformat(import_max_bytes())}


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(importer.kind, importer.title) for importer in registry.all_importers()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


def _title_of(kind: str) -> str:
    importer_cls = import_importer_class(kind)
    return str(importer_cls.title) if importer_cls else kind


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "kind_title", "status", "outcome_summary", "created_by", "created_at")
    list_filter = ("status", KindFilter)
    search_fields = ("original_name",)
    list_select_related = ("created_by",)
    # Jobs are not deleted from the list; nothing else to do with several at once.
    actions = None
    change_list_template = "admin/core/importjob/change_list.html"

    # --- Who may do what ------------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportJob]:
        return import_jobs_visible_to(request.user)

    def _may_import(self, request: HttpRequest) -> bool:
        return bool(registry.available_to(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_import(request)

    def has_view_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        if obj is not None:
            return import_may_use(request.user, obj.kind)
        return self._may_import(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_import(request)

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False

    def _job(self, request: HttpRequest, object_id: int | str) -> ImportJob:
        """The job, if it is the user's (else 404) and the user may use its importer (else 403)."""
        if not self._may_import(request):
            raise PermissionDenied
        job = self.get_queryset(request).filter(pk=object_id).first()
        if job is None:
            raise Http404
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    # --- List -----------------------------------------------------------------------------------------------

    @admin.display(description=_("kind"), ordering="kind")
    def kind_title(self, job: ImportJob) -> str:
        return _title_of(job.kind)

    @admin.display(description=_("rows"))
    def outcome_summary(self, job: ImportJob) -> str:
        return format_html_join(
            " · ",
            "{} {}",
            ((label, job.counts[value]) for value, label in Outcome.choices if job.counts.get(value)),
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        importers = [
            (f"{reverse('admin:core_importjob_add')}?kind={importer.kind}", importer.title)
            for importer in registry.available_to(request.user)
        ]
        return super().changelist_view(request, {**(extra_context or {}), "importers": importers})

    # --- Pages ----------------------------------------------------------------------------------------------

    def get_urls(self):
        def view(route: str, function, name: str):
            return path(route, self.admin_site.admin_view(function), name=f"core_importjob_{name}")

        # Only these pages: a job is never edited, deleted or given a change history through the admin.
        return [
            view("", self.changelist_view, "changelist"),
            view("add/", self.add_view, "add"),
            view("<int:object_id>/change/", self.change_view, "change"),
            view("<int:object_id>/status/", self.status_view, "status"),
            view("<int:object_id>/commit/", self.commit_view, "commit"),
            view("<int:object_id>/rejected/", self.rejected_view, "rejected"),
        ]

    def _render(self, request: HttpRequest, template: str, context: dict[str, Any]) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/core/importjob/{template}",
            {**self.admin_site.each_context(request), "opts": self.opts, **context},
        )

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None):
        available = registry.available_to(request.user)
        if not available:
            raise PermissionDenied
        kind = request.GET.get("kind") or (available[0].kind if len(available) == 1 else "")
        if not kind:
            return self._render(
                request,
                "choose_kind.html",
                {"title": gettext("Import a spreadsheet"), "importers": self._importer_links(available)},
            )
        importer_cls = import_importer_class(kind)
        if importer_cls is None:
            raise Http404
        if importer_cls not in available:
            raise PermissionDenied

        data = request.POST if request.method == "POST" else None
        files = request.FILES if request.method == "POST" else None
        upload_form = UploadForm(data, files)
        # A link may preset options (the event page's "Import a sign-in sheet" names its event).
        preset = {
            key.removeprefix("options-"): value
            for key, value in request.GET.items()
            if key.startswith("options-")
        }
        options_form = (
            importer_cls.options_form(data, user=request.user, prefix="options", initial=preset)
            if importer_cls.options_form
            else None
        )
        forms_valid = upload_form.is_valid() and (options_form is None or options_form.is_valid())
        if request.method == "POST" and forms_valid:
            try:
                job = import_upload(
                    actor=request.user,
                    kind=kind,
                    file=upload_form.cleaned_data["file"],
                    options=options_form.as_options() if options_form else {},
                )
            except ApplicationError as error:
                upload_form.add_error("file" if error.field == "file" else None, error.message)
            else:
                self.message_user(
                    request,
                    gettext("“%(name)s” was uploaded; its rows are being checked.")
                    % {"name": job.original_name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:core_importjob_change", args=[job.pk]))

        for form in filter(None, (upload_form, options_form)):
            for field in form.fields.values():
                field.label = capfirst(field.label)
        return self._render(
            request,
            "upload.html",
            {
                "title": gettext("Import: %(title)s") % {"title": importer_cls.title},
                # The class itself would be called by the template engine: pass what the page shows.
                "kind": importer_cls.kind,
                "columns": importer_cls.columns,
                "other_importers": self._importer_links(
                    [other for other in available if other is not importer_cls]
                ),
                "upload_form": upload_form,
                "options_form": options_form,
                "media": upload_form.media + (options_form.media if options_form else forms.Media()),
            },
        )

    def _importer_links(self, importers: list[type[Importer]]) -> list[tuple[str, str, str]]:
        add = reverse("admin:core_importjob_add")
        return [(importer.kind, f"{add}?kind={importer.kind}", str(importer.title)) for importer in importers]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        job = self._job(request, object_id)
        importer_cls = import_importer_class(job.kind)
        outcome = request.GET.get("outcome", "")
        if outcome not in Outcome.values:
            outcome = ""
        rows = job.rows.order_by("number")
        if outcome:
            rows = rows.filter(outcome=outcome)
        page = Paginator(rows, PREVIEW_PAGE_ROWS).get_page(request.GET.get("p"))
        keys = [key for key, _text in job.headers]
        outcome_labels = dict(Outcome.choices)
        committable = sum(job.counts.get(value, 0) for value in COMMITTED_OUTCOMES)
        is_committer = request.user.pk == job.created_by_id or request.user.is_superuser
        result_labels = importer_cls.result_labels if importer_cls else {}
        return self._render(
            request,
            "job.html",
            {
                "title": job.original_name,
                "job": job,
                "kind_title": _title_of(job.kind),
                "outcome": outcome,
                "outcomes": [
                    (value, label, job.counts.get(value, 0), value == outcome)
                    for value, label in Outcome.choices
                ],
                "header_texts": [text for _key, text in job.headers],
                "page": page,
                "preview": [
                    (
                        row.number,
                        row.outcome,
                        outcome_labels.get(row.outcome, row.outcome),
                        [row.values.get(key, "") for key in keys],
                        row.messages,
                    )
                    for row in page
                ],
                "results": [(result_labels.get(key, key), value) for key, value in job.results.items()],
                "committable": committable,
                "can_commit": job.status == ImportJob.Status.VALIDATED and committable > 0 and is_committer,
                "show_commit": job.status == ImportJob.Status.VALIDATED,
                "errors": job.counts.get(Outcome.ERROR, 0),
                "status_url": reverse("admin:core_importjob_status", args=[job.pk]),
                "commit_url": reverse("admin:core_importjob_commit", args=[job.pk]),
                "rejected_url": reverse("admin:core_importjob_rejected", args=[job.pk]),
                "progress_text": _progress_text(job),
            },
        )

    def status_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        job = self._job(request, object_id)
        return JsonResponse(
            {
                "status": job.status,
                "status_label": job.get_status_display(),
                "in_progress": job.in_progress,
                "processed_rows": job.processed_rows,
                "total_rows": job.total_rows,
                "progress_text": _progress_text(job),
                "counts": job.counts,
            }
        )

    def commit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._job(request, object_id)
        try:
            import_commit_start(job=job, actor=request.user)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, gettext("The rows are being imported."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:core_importjob_change", args=[job.pk]))

    def rejected_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self._job(request, object_id)
        response = HttpResponse(import_rejected_workbook(job=job), content_type=XLSX_CONTENT_TYPE)
        stem = job.original_name.rsplit(".", 1)[0] or "import"
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=gettext("%(name)s - rejected rows.xlsx") % {"name": stem}
        )
        return response


def _progress_text(job: ImportJob) -> str:
    if job.status == ImportJob.Status.UPLOADED:
        return gettext("Waiting for a worker to check the file…")
    if job.status == ImportJob.Status.VALIDATING:
        return gettext("%(processed)s of %(total)s rows checked") % {
            "processed": job.processed_rows,
            "total": job.total_rows,
        }
    if job.status == ImportJob.Status.COMMITTING:
        return gettext("Importing %(total)s rows…") % {"total": job.total_rows}
    return ""
