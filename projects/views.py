from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from projects.selectors import document_get


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
