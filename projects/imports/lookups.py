"""What ledger rows are resolved against: organizations, sectors, users, units and the choice words, read once
per chunk of rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models
from django.utils import translation

from accounts.models import Unit, UnitMembership, User
from core.errors import ApplicationError
from core.imports.reading import SourceRow
from core.imports.values import text
from directory.models import OrganizationAlias, Sector
from directory.services import name_key
from projects.imports.columns import CHANNEL_WORDS, LEAD_TYPE_WORDS, STAGE_WORDS
from projects.models import LeadType, SourceChannel
from projects.services.leads import lead_check_ownership
from projects.stages import Stage


def _choice_keys(choices: type[models.TextChoices], words: Mapping[Any, tuple[str, ...]]) -> dict[str, str]:
    """Lookup key → choice value, from each choice's code, its English and Chinese labels and `words`."""
    keys: dict[str, str] = {}
    for value, extra in words.items():
        labels = [value, *extra]
        for language in ("en", "zh-hans", "zh-hant"):
            with translation.override(language):
                labels.append(str(choices(value).label))
        keys.update({key: str(value) for label in labels if (key := name_key(label))})
    return keys


class Lookups:
    """Everything rows are resolved against, read once per chunk of rows."""

    def __init__(self, rows: Sequence[SourceRow], *, actor: User, options: dict[str, Any]) -> None:
        self.actor = actor
        org_keys = {name_key(text(row.values.get("organization"))) for row in rows} - {""}
        self.organizations = dict(
            OrganizationAlias.objects.filter(key__in=org_keys).values_list("key", "organization_id")
        )
        self.sectors: dict[str, set[int]] = defaultdict(set)
        for pk, *names in Sector.objects.values_list("pk", "code", "name", "name_zh_hant", "name_en"):
            for written in names:
                if key := name_key(written):
                    self.sectors[key].add(pk)
        self.usernames: dict[str, User] = {}
        self.full_names: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(is_active=True).only("username", "first_name", "last_name"):
            self.usernames[user.username.casefold()] = user
            if key := name_key(user.get_full_name()):
                self.full_names[key].append(user)
        self.unit: Unit | None = None
        self.unit_missing = False
        if options.get("owning_unit"):
            self.unit = Unit.objects.filter(pk=options["owning_unit"]).first()
            self.unit_missing = self.unit is None
        self.units_of: dict[int, list[Unit]] = defaultdict(list)
        if self.unit is None:
            memberships = UnitMembership.objects.filter(user__is_active=True, unit__is_active=True)
            for membership in memberships.select_related("unit"):
                self.units_of[membership.user_id].append(membership.unit)
        self._ownership: dict[tuple[int, int], str] = {}
        self.lead_types = _choice_keys(LeadType, LEAD_TYPE_WORDS)
        self.stages = _choice_keys(Stage, STAGE_WORDS)
        self.channels = _choice_keys(SourceChannel, CHANNEL_WORDS)

    def ownership_problem(self, owner: User, unit: Unit) -> str:
        """Why `owner` cannot own a lead of `unit` registered by the actor ("" when they can)."""
        pair = (owner.pk, unit.pk)
        if pair not in self._ownership:
            try:
                lead_check_ownership(actor=self.actor, owner=owner, owning_unit=unit)
                self._ownership[pair] = ""
            except ApplicationError as error:
                self._ownership[pair] = error.message
        return self._ownership[pair]
