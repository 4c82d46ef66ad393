"""Reads of reference data: organization lookup by any of its names, carrier subtrees, sector choices."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from directory.models import Carrier, Organization, OrganizationAlias
from directory.services import name_key


def organization_lookup(text: str) -> Organization | None:
    """The organization one of whose aliases has exactly the key of `text` ('港科大' finds HKUST), or None."""
    key = name_key(text)
    if not key:
        return None
    alias = OrganizationAlias.objects.select_related("organization").filter(key=key).first()
    return alias.organization if alias else None


def organizations_matching(query: str) -> QuerySet[Organization]:
    """Organizations with an alias whose key contains the query's key: exact matches first, then prefixes."""
    key = name_key(query)
    if not key:
        return Organization.objects.none()
    aliases = OrganizationAlias.objects.filter(organization=OuterRef("pk"))
    # EXISTS rather than a join: one row per organization without DISTINCT, and the exact and prefix tests
    # are probes of the unique index on the alias key.
    return (
        Organization.objects.filter(Exists(aliases.filter(key__contains=key)))
        .annotate(
            exact_match=Exists(aliases.filter(key=key)),
            prefix_match=Exists(aliases.filter(key__startswith=key)),
        )
        .select_related("parent")
        .order_by("-exact_match", "-prefix_match", "name", "pk")
    )


def carrier_subtree(carrier: Carrier) -> QuerySet[Carrier]:
    """The carrier and every carrier below it, in tree order."""
    return Carrier.objects.filter(path__startswith=carrier.path).order_by("path")
