"""Submitting once: the idempotency store's one service. Quick capture, the QR form and the API's creating POSTs
run their work through `submit_once`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, IdempotencyMismatchError, IllegalStateError
from talent.models import Submission


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return repr(o)  # an uploaded file in a multipart body: its name and type, never a 500


def fingerprint(body: Any) -> str:
    """The same body in any key order, spacing or encoding gives the same fingerprint."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=_Encoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > 128 or not key.isprintable():
        raise ApplicationError(
            _("A submission key is 1 to 128 printable characters."), field="idempotency_key"
        )
    return key


def submit_once(
    *, scope: str, key: str, body: Any, perform: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Run `perform` (which returns a status code and a JSON-able answer) once per scope and key.

    Returns (status, answer, replayed). The same key with the same body returns the stored answer without running
    anything; with another body it is refused (IdempotencyMismatchError). The key is written in the same transaction as
    the work: a concurrent second request waits on the unique index until the first commits, then replays it; if
    the work fails, nothing is kept and the client may retry with the same key."""
    if not scope:
        raise ValueError("an idempotency scope is required (anonymous submissions too)")
    key = _check_key(key)
    print_ = fingerprint(body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = Submission.objects.create(scope=scope[:200], key=key, fingerprint=print_)
        except IntegrityError:
            record = Submission.objects.get(scope=scope[:200], key=key)
            if record.fingerprint != print_:
                raise IdempotencyMismatchError(
                    _("This submission key was already used with different content."), field="idempotency_key"
                ) from None
            if record.status_code is None:  # not reachable once the first has committed; kept as a guard
                raise IllegalStateError(
                    _("This submission is still being processed; try again shortly.")
                ) from None
            return record.status_code, record.response, True
        status_code, answer = perform()
        record.status_code = status_code
        record.response = json.loads(json.dumps(answer, cls=DjangoJSONEncoder))
        record.save(update_fields=["status_code", "response"])
        return status_code, record.response, False


def submissions_purge(*, now: dt.datetime | None = None) -> int:
    """Forget keys older than SUBMISSION_KEY_DAYS: a retry that late is a new submission."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.SUBMISSION_KEY_DAYS)
    return Submission.objects.filter(created_at__lt=cutoff).delete()[0]
