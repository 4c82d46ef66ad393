"""Reads of leads, always through the visibility rule (DESIGN §2)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.visibility import scope_filter
from projects.models import Document, Lead


def leads_visible_to(user, queryset: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """The leads `user` may see; narrow `queryset` when given (the admin passes its own)."""
    queryset = Lead.objects.all() if queryset is None else queryset
    return queryset.filter(
        scope_filter(
            user, Lead, unit="owning_unit", owners=("owner", "co_owners"), confidential="confidential"
        )
    )


def lead_get(user, *, pk: int) -> Lead | None:
    """One lead by id, or None when it does not exist or the user may not see it."""
    return leads_visible_to(user).filter(pk=pk).first()


def document_get(user, *, pk: int) -> Document | None:
    """One document, when the user can see the lead it belongs to."""
    return Document.objects.filter(pk=pk, lead__in=leads_visible_to(user).values("pk")).first()
