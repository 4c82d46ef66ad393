"""`Idempotency-Key` on the API's POSTs, through the one idempotency store (talent.services.submissions).

A view that mixes in `IdempotentPost` runs its whole POST inside `submit_once`, scoped to the user and the path:
the same key and body again answers the stored response without running anything; the same key with another body
is 422; a POST that fails (any 4xx raised by the view) keeps nothing, so the client may retry with the same key.
Without the header a POST runs as usual. The schema declares the header and the 422 (core.api.AutoSchema).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from talent.services.submissions import submit_once


def _file_digest(upload: UploadedFile) -> dict[str, Any]:
    """An uploaded file as the store compares it: its name, type and contents (another file under the same
    name is another body)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {"name": upload.name, "content_type": upload.content_type, "sha256": digest.hexdigest()}


def request_body(request) -> Any:
    """The request's body in a form the store can fingerprint: JSON as parsed, a form as lists per field with
    files replaced by their digests."""
    data = request.data
    if not hasattr(data, "lists"):
        return data
    return {
        field: [_file_digest(value) if isinstance(value, UploadedFile) else value for value in values]
        for field, values in data.lists()
    }


class IdempotentPost:
    """A POST handled by the view's `create` (DRF's generic views already route POST there; other views
    define `create` instead of `post`)."""

    idempotent = True

    def post(self, request, *args, **kwargs) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return self.create(request, *args, **kwargs)  # type: ignore[attr-defined]

        def perform() -> tuple[int, Any]:
            response = self.create(request, *args, **kwargs)  # type: ignore[attr-defined]
            # Stored as the client received it (amounts as JSON numbers, not the store's strings).
            return response.status_code, json.loads(JSONRenderer().render(response.data))

        code, answer, replayed = submit_once(
            scope=f"user:{request.user.pk} POST {request.path}",
            key=key,
            body=request_body(request),
            perform=perform,
        )
        return Response(answer, status=code, headers={"Idempotent-Replayed": "true"} if replayed else None)
