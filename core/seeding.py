"""Demo data: each app that has some provides `<app>.demo` (a module or a package) with `seed(ctx)`; apps run in INSTALLED_APPS order,
so a higher app finds what the lower ones made in the context.

Everything random comes from `ctx.rng`, and every date from `ctx.today`, so one seed gives one dataset.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

# Fields whose values differ between two identical seedings: row ids and values derived from them, clocks,
# salted password hashes.
VOLATILE_FIELDS = {
    "id",
    "path",
    "created_at",
    "updated_at",
    "date_joined",
    "last_login",
    "password",
    "recorded_at",
    "token",
    "uploaded_at",
    "requested_at",
    "decided_at",
    "file",
    "found_at",
    "consent_recorded_at",
    "merged_at",
    "at",
}


@dataclass
class DemoContext:
    rng: random.Random
    leads: int
    today: date
    # Noon of `today` in Asia/Shanghai: the clock all demo timestamps count back from.
    now: datetime = field(init=False)
    # Filled in by the apps as they seed, for the apps after them.
    users: dict[str, Any] = field(default_factory=dict)
    units: dict[str, Any] = field(default_factory=dict)
    printed_logins: list[tuple[str, str, str]] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.now = datetime.combine(self.today, time(12), tzinfo=timezone.get_current_timezone())


def demo_modules() -> list:
    modules = []
    for app_config in apps.get_app_configs():
        try:
            modules.append(importlib.import_module(f"{app_config.name}.demo"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app_config.name}.demo":
                raise
    return modules


def seed_all(*, seed: int, leads: int, today: date) -> DemoContext:
    ctx = DemoContext(rng=random.Random(seed), leads=leads, today=today)
    for module in demo_modules():
        module.seed(ctx)
    return ctx


def _business_models() -> list[type[models.Model]]:
    ours = {"accounts", "directory", "talent", "projects", "funding", "reminders", "reporting"}
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in ours
        and model._meta.managed
        and not model.__name__.startswith("Historical")
    ]


def _row(obj: models.Model) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in VOLATILE_FIELDS:
            continue
        if f.is_relation:
            target = getattr(obj, f.name)
            row[f.name] = None if target is None else _natural(target)
        else:
            value = getattr(obj, f.attname)
            if isinstance(value, dict):
                # JSON (stage-change evidence) cites rows by id, and ids are volatile; the cited rows are in the
                # dump themselves, by their names.
                value = {k: v for k, v in value.items() if not k.endswith(("_id", "_ids"))}
            row[f.name] = value.isoformat() if hasattr(value, "isoformat") else value
    for f in obj._meta.many_to_many:
        row[f.name] = sorted(_natural(t) for t in getattr(obj, f.name).all())
    return row


def _natural(obj: models.Model) -> str:
    # str() of our models is built from names, never from ids, so it survives a reseed.
    return f"{obj._meta.label}:{obj}"


def canonical_dump() -> str:
    """Every business row as sorted JSON lines, with ids replaced by the names of what they point at."""
    lines = []
    for model in _business_models():
        relations = [f.name for f in model._meta.concrete_fields if f.is_relation]
        many = [f.name for f in model._meta.many_to_many]
        for obj in model._default_manager.select_related(*relations).prefetch_related(*many):
            lines.append(
                json.dumps([model._meta.label, _row(obj)], ensure_ascii=False, sort_keys=True, default=str)
            )
    return "\n".join(sorted(lines))


def fingerprint() -> str:
    return hashlib.sha256(canonical_dump().encode()).hexdigest()
