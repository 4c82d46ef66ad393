"""What an importer is: the outcome of checking one row, and the two steps every importer implements.

The engine (core.imports.services) reads the file, hands rows to `check` in chunks, stores the result for the
preview, and at commit checks every row again and hands the importable ones to `commit` inside one transaction.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.imports.reading import Column, SourceRow

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

StrOrPromise = str | Promise


class Outcome(models.TextChoices):
    NEW = "new", _("New")
    MATCH = "match", _("Matches existing")
    REVIEW = "review", _("Needs review")
    UNCHANGED = "unchanged", _("Already imported")
    ERROR = "error", _("Error")


# The outcomes whose rows `commit` receives.
COMMITTED_OUTCOMES = frozenset({Outcome.NEW, Outcome.MATCH, Outcome.REVIEW})


@dataclass
class RowCheck:
    """The verdict on one source row.

    `messages` are the reasons of an ERROR, or notes on the other outcomes ("matches HK-2025-0012"). `key` is the
    row's natural key: the engine turns a later row of the same file with a key already seen into an ERROR.
    `data` holds JSON-able cleaned values the importer wants back at commit.
    """

    number: int
    outcome: str
    messages: list[str] = field(default_factory=list)
    key: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class ImportOptionsForm(forms.Form):
    """Choices made once for the whole file (the event a sign-in sheet belongs to, the owning unit, ...)."""

    def __init__(self, *args: Any, user: AbstractUser, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def as_options(self) -> dict[str, Any]:
        """The cleaned data as JSON: objects become their ids, dates ISO text, decimals text."""
        return {name: _json_value(value) for name, value in self.cleaned_data.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, QuerySet):
        return sorted(value.values_list("pk", flat=True))
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_json_value(item) for item in value]
    return value


class Importer(abc.ABC):
    """One kind of spreadsheet import. Subclasses are registered with core.imports.registry.

    `check` must accept any subsequence of the file's rows: the engine calls it chunk by chunk (so the progress
    bar moves), and a row's verdict may not depend on rows outside the chunk. Duplicates within the file are the
    engine's business (through `RowCheck.key`), not the importer's. `check` never writes.
    """

    kind: ClassVar[str]
    title: ClassVar[StrOrPromise]
    # The model permission needed to use it, e.g. "talent.add_attendance".
    permission: ClassVar[str]
    columns: ClassVar[Sequence[Column]]
    options_form: ClassVar[type[ImportOptionsForm] | None] = None
    # Names for the keys of the counts `commit` returns, shown on the job page ({"contacts_created": _("...")}).
    result_labels: ClassVar[dict[str, StrOrPromise]] = {}

    def __init__(self, *, actor: AbstractUser, options: dict[str, Any]) -> None:
        self.actor = actor
        self.options = options

    @abc.abstractmethod
    def check(self, rows: Sequence[SourceRow]) -> list[RowCheck]:
        """One RowCheck per row, in the same order. No writes; look up existing records in bulk."""

    @abc.abstractmethod
    def commit(self, checks: Sequence[RowCheck]) -> dict[str, int]:
        """Write the NEW, MATCH and REVIEW rows through the app's services; return counts for the job page.

        Runs inside the engine's one transaction: raising ApplicationError aborts the whole import.
        """
