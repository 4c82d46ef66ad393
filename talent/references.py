"""Contact-reference handlers (DESIGN §4): how every foreign key to Contact follows a merge, its undo, an erasure
and an export of the person's data.

`talent` cannot import the apps above it, so each app registers the handlers of its own models in
`AppConfig.ready()`; merge, undo, erasure and export call every handler in the same transaction. A test walks the
models and refuses a foreign key to Contact (history tables and many-to-many tables included) without a handler.
A handler of a model with history also answers for the model's history table.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from talent.models import Contact

Records = list[dict[str, Any]]


class ContactReference:
    """The default: rows stay where they are on merge and erasure, and are listed in exports."""

    def __init__(
        self,
        model: type[models.Model],
        field: str,
        *,
        export_fields: Sequence[str] = (),
        scrub: dict[str, Any] | None = None,
        section: Callable[[], str] | None = None,
        slug: str = "",
    ) -> None:
        self.model = model
        self.field = field
        self.export_fields = tuple(export_fields)
        self.scrub = scrub or {}
        self._section = section
        self.slug = slug or model._meta.label_lower

    @property
    def key(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field}"

    @property
    def section(self) -> str:
        return str(self._section() if self._section else self.model._meta.verbose_name_plural)

    def rows(self, contact: Contact) -> models.QuerySet:
        return self.model._default_manager.filter(**{self.field: contact})

    def merge(self, source: Contact, target: Contact) -> Records:
        return []

    def undo(self, records: Records, source: Contact, target: Contact) -> None:
        return None

    def erase(self, contact: Contact) -> int:
        """Scrub the declared fields on the person's rows and on those rows' history. Returns rows touched."""
        if not self.scrub:
            return 0
        rows = self.rows(contact)
        ids = list(rows.values_list("pk", flat=True))
        for row in rows:
            for name, value in self.scrub.items():
                setattr(row, name, value)
            row.save(update_fields=list(self.scrub))
        history = _history_model(self.model)
        if history is not None and ids:
            history.objects.filter(**{f"{self.model._meta.pk.attname}__in": ids}).update(**self.scrub)
        return len(ids)

    def export(self, contact: Contact) -> list[dict[str, Any]]:
        if not self.export_fields:
            return []
        return [_plain(row) for row in self.rows(contact).values(*self.export_fields)]


class MovingReference(ContactReference):
    """Rows move to the kept contact. A row that would clash with one the kept contact already has (equal
    `unique_with` fields) is deleted and kept whole in the merge log, so that undo can put it back."""

    def __init__(
        self, model: type[models.Model], field: str, *, unique_with: Sequence[str] = (), **kwargs
    ) -> None:
        super().__init__(model, field, **kwargs)
        self.unique_with = tuple(unique_with)

    def _clash_key(self, row: models.Model) -> tuple:
        return tuple(getattr(row, self.model._meta.get_field(name).attname) for name in self.unique_with)

    def merge(self, source: Contact, target: Contact) -> Records:
        records: Records = []
        taken = {self._clash_key(row) for row in self.rows(target)} if self.unique_with else set()
        for row in self.rows(source).order_by("pk"):
            if self.unique_with and self._clash_key(row) in taken:
                records.append({"deleted": _dump(row)})
                row.delete()
                continue
            setattr(row, self.field, target)
            row.save()
            records.append({"moved": row.pk})
        return records

    def undo(self, records: Records, source: Contact, target: Contact) -> None:
        moved = [r["moved"] for r in records if "moved" in r]
        for row in self.model._default_manager.filter(pk__in=moved).order_by("pk"):
            setattr(row, self.field, source)
            row.save()
        for record in records:
            if "deleted" in record:
                row = _load(self.model, record["deleted"])
                row.save(force_insert=True)
                # Saving stamps auto_now(_add) fields with the current time; the restored row keeps its own.
                clocks = {
                    f.attname: f.to_python(record["deleted"][f.attname])
                    for f in self.model._meta.concrete_fields
                    if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
                }
                if clocks:
                    self.model._default_manager.filter(pk=row.pk).update(**clocks)


def _history_model(model: type[models.Model]) -> type[models.Model] | None:
    manager = getattr(model, "history", None)
    return getattr(manager, "model", None) if manager is not None else None


class _Encoder(DjangoJSONEncoder):
    """Django's encoder rounds times to milliseconds; a restored row must keep its exact time."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            return o.isoformat()
        return super().default(o)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, cls=_Encoder))


def _dump(row: models.Model) -> dict[str, Any]:
    return _plain({field.attname: field.value_from_object(row) for field in row._meta.concrete_fields})


def _load(model: type[models.Model], data: dict[str, Any]) -> models.Model:
    values = {}
    for field in model._meta.concrete_fields:
        if field.attname in data:
            value = data[field.attname]
            values[field.attname] = None if value is None else field.to_python(value)
    return model(**values)


# --- The registry -------------------------------------------------------------------------------------------------

_registry: dict[tuple[type[models.Model], str], ContactReference] = {}


def register(*handlers: ContactReference) -> None:
    for handler in handlers:
        _registry[(handler.model, handler.field)] = handler


def handlers() -> list[ContactReference]:
    """In registration order: merge runs them in this order, undo in reverse."""
    return list(_registry.values())


def handler_for(model: type[models.Model], field: str) -> ContactReference | None:
    handler = _registry.get((model, field))
    if handler is None:
        # A history table is answered for by its model's handler (simple-history sets `instance_type`).
        base = getattr(model, "instance_type", None)
        if base is not None:
            handler = _registry.get((base, field))
    return handler


_keepers: list[Callable[[Any], list[models.QuerySet]]] = []


def register_keeper(keeper: Callable[[Any], list[models.QuerySet]]) -> None:
    """A rule of an app above talent that keeps contacts from the retention task: `keeper(cutoff)` returns
    querysets of the contact ids still in use."""
    if keeper not in _keepers:
        _keepers.append(keeper)


def retention_keepers() -> list[Callable[[Any], list[models.QuerySet]]]:
    return list(_keepers)


_erasers: list[Callable[[Contact, str], int]] = []


def register_eraser(eraser: Callable[[Contact, str], int]) -> None:
    """Personal data an app above talent copied into text without a foreign key (a notification quoting a talent
    lead's name): `eraser(contact, label)` replaces it with the label and returns the rows changed. Erasers run
    before the handlers, while the copied names can still be read."""
    if eraser not in _erasers:
        _erasers.append(eraser)


def erasers() -> list[Callable[[Contact, str], int]]:
    return list(_erasers)


def contact_foreign_keys() -> Iterable[tuple[type[models.Model], str]]:
    """Every (model, field) holding a foreign key to Contact, history and many-to-many tables included."""
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Contact:
                yield model, field.name
